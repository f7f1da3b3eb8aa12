// GELU with the exact erf: f(x) = x Phi(x), f'(x) = Phi(x) + x phi(x), with Phi the standard
// normal CDF and phi its density. The polynomials are fitted by tools/fit.py.
//   |x| <= 1:  Phi(x) = 1/2 + x P(x^2).
//   |x| > 1:   the tail Q(t) = Phi(-t) = e^(-t^2/2) R(t), R the scaled Mills ratio fitted
//              piecewise, and e^(-t^2/2) with t^2/2 split exactly, kept as parts so that
//              x Phi(x) and f'(x) stay accurate deep into the tail.
//   Near the zero of f' (x0 = -0.75179...), f'(x) = (x - x0) S(x) keeps relative accuracy.
const INV_SQRT_2PI: f32 = 0.3989422917366028;
const GELU_DF_ZERO_HI: f32 = -0.7517915368080139;
const GELU_DF_ZERO_LO: f32 = 1.211444945855772e-08;

// Phi(x) - 1/2 = x P(x^2) for |x| <= 1.
fn gelu_phi_poly(z: f32) -> f32 {
    let u = 2.0 * z - 1.0;
    return 0.3680489957332611 + u * (-0.028676215559244156 + u * (0.002088590059429407
        + u * (-0.00012231714208610356 + u * (6.029946234775707e-06 + u * (-2.2850373682103964e-07
        + u * (-1.9996687683487835e-07 + u * (-6.091351867354433e-09 + u * 9.850190707538786e-08)))))));
}

// The scaled Mills ratio R(t) = Q(t) e^(t^2/2) = M(t) / sqrt(2 pi) for t >= 1.
fn scaled_mills(t: f32) -> f32 {
    if (t < 2.0) {
        let u = 2.0 * t - 3.0;
        return 0.20578067004680634 + u * (-0.04513563960790634 + u * (0.008796651847660542
            + u * (-0.0015621273778378963 + u * (0.00025729567278176546 + u * (-3.956023647333495e-05
            + u * (4.7894577619445045e-06 + u * (-8.104131552499894e-07 + u * (1.1262329735473031e-06
            + u * (-7.649784805607851e-09 + u * -3.8782391698077845e-07)))))))));
    }
    if (t < 4.0) {
        let u = t - 3.0;
        return 0.12151394784450531 + u * (-0.03440043330192566 + u * (0.009156332351267338
            + u * (-0.0023105228319764137 + u * (0.0005561445141211152 + u * (-0.00012820759729947895
            + u * (2.8683691198239103e-05 + u * (-6.472792392742122e-06 + u * (1.090733235287189e-06
            + u * (9.228612185552265e-08 + u * (1.223245646997384e-07
            + u * -1.3596969949958293e-07))))))))));
    }
    if (t < 8.0) {
        let u = 0.5 * t - 3.0;
        return 0.06477931141853333 + u * (-0.020532788708806038 + u * (0.006361957173794508
            + u * (-0.0019294660305604339 + u * (0.0005731128621846437 + u * (-0.00016727580805309117
            + u * (4.877881656284444e-05 + u * (-1.3306753317010589e-05 + u * (2.7603780381468823e-06
            + u * (-1.209850324812578e-06 + u * 6.739460900462291e-07)))))))));
    }
    // t R(t) as a polynomial in s = 1/t^2
    let u = (1.0 / (t * t) - 0.008125) / 0.0075;
    let g = 0.3957768380641937 + u * (-0.0028544741217046976 + u * (6.000456778565422e-05
        + u * (-2.0390739337017294e-06 + u * (-2.6467388281048443e-08 + u * (-5.735947716800638e-09
        + u * 7.522798739501013e-08)))));
    return g / t;
}

// e^(-t^2/2) as parts, t^2/2 split into an exact part and a small one.
fn half_square_exp_parts(t: f32) -> Parts {
    let th = hi12(t);
    return exp_sum_parts(-0.5 * (th * th), -0.5 * ((t - th) * (t + th)));
}

fn act_f(x: f32) -> f32 {
    let a = abs(x);
    if (a <= 1.0) {
        return x * (0.5 + x * gelu_phi_poly(x * x));
    }
    let ph = half_square_exp_parts(a);
    let q = ph.m * scaled_mills(a); // Q(|x|) = q * 2^ph.k
    if (x > 0.0) {
        return x * (1.0 - scale2(q, ph.k));
    }
    return select(scale2(x * q, ph.k), 0.0, is_inf(x)); // x Phi(x) -> 0 at -inf
}

// S(x) = f'(x) / (x - x0) on [-1.5, -0.25].
fn gelu_df_near_zero(x: f32) -> f32 {
    let u = (x + 0.875) / 0.625;
    let s = 0.3835870027542114 + u * (0.24231857061386108 + u * (0.008691155351698399
        + u * (-0.025382516905665398 + u * (-0.0039023724384605885 + u * (0.001472066156566143
        + u * (0.0003674919717013836 + u * (-5.312355642672628e-05 + u * (-2.2911333871888928e-05
        + u * (1.11556892079534e-06 + u * 1.6233237829510472e-06)))))))));
    return ((x - GELU_DF_ZERO_HI) - GELU_DF_ZERO_LO) * s;
}

fn act_df(x: f32) -> Parts {
    if (x > -1.5 && x < -0.25) {
        return plain(gelu_df_near_zero(x));
    }
    let a = abs(x);
    if (a <= 1.0) {
        let z = x * x;
        return plain((0.5 + x * gelu_phi_poly(z)) + x * (INV_SQRT_2PI * exp_nonpos(-0.5 * z)));
    }
    if (is_inf(x)) {
        return plain(select(0.0, 1.0, x > 0.0)); // the limits; any finite x keeps its token
    }
    let ph = half_square_exp_parts(a);
    if (x > 0.0) {
        return plain(1.0 + scale2(ph.m * (a * INV_SQRT_2PI - scaled_mills(a)), ph.k)); // 1 - Q + x phi
    }
    return Parts(ph.m * (scaled_mills(a) - a * INV_SQRT_2PI), ph.k); // Q(t) - t phi(t), t = -x
}
