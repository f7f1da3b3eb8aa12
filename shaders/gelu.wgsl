// GELU with the exact erf: f(x) = x Phi(x), f'(x) = Phi(x) + x phi(x), with Phi the standard
// normal CDF and phi its density. No branches: SIMD lanes (lavapipe's, a GPU's diverging warps)
// run every side of a branch anyway, so the few pieces below are all computed and one selected.
//   |x| <= 1:  Phi(x) = 1/2 + x P(x^2), P a polynomial (tools/fit.py).
//   |x| > 1:   at t = |x|, phi(t) = e^(-t^2/2 - ln sqrt(2 pi)) as parts (1 + d) 2^k, t^2/2
//              split exactly, and Mills' ratio M(t) = Q(t) / phi(t), Q(t) = Phi(-t), as one
//              rational Q_m / (t Q_m + P_m) on [0, 20] (tools/fit.py). Then x Phi(x) is
//              x (1 - phi M) for x > 0 and -t phi M for x < 0; f'(x) is 1 - phi D for x > 0 and
//              phi D for x < 0, D = M - t = (Q_m - t den) / den, den = t Q_m + P_m.
//   Near the zero of f' (x0 = -0.75179...), f'(x) = (x - x0) S(x) keeps relative accuracy.
// The factor 1 + d enters as fma(d, v, v), one rounding fewer than forming 1 + d first (an
// unfused fma only gives that rounding back). Past t = 20 every product with phi(t) is below
// the f32 range, so t stops there.
const GELU_DF_ZERO_HI: f32 = -0.7517915368080139;
const GELU_DF_ZERO_LO: f32 = 1.211444945855772e-08;
const LN_SQRT_2PI_HI: f32 = 0.9189453125;           // 15 significant bits: exact sums
const LN_SQRT_2PI_LO: f32 = -6.77929532725822e-06; // ln sqrt(2 pi) - LN_SQRT_2PI_HI

// Phi(x) - 1/2 = x P(x^2) for |x| <= 1.
fn gelu_phi_poly(z: f32) -> f32 {
    let u = 2.0 * z - 1.0;
    return 0.3680489957332611 + u * (-0.028676215559244156 + u * (0.002088590059429407
        + u * (-0.00012231714208610356 + u * (6.029946234775707e-06 + u * (-2.2850373682103964e-07
        + u * (-1.9996687683487835e-07 + u * (-6.091351867354433e-09 + u * 9.850190707538786e-08)))))));
}

// Phi(x) for |x| <= 1.
fn gelu_phi_near(x: f32) -> f32 {
    return 0.5 + x * gelu_phi_poly(x * x);
}

// phi(t) = e^(-t^2/2) / sqrt(2 pi) = (1 + d) 2^k, returned as Parts(d, k), for 0 <= t <= 20:
// t^2/2 = th^2/2 (exact, th the leading 12 bits of t) + a small part, reduced by ln 2 together
// with ln sqrt(2 pi).
fn gelu_density(t: f32) -> Parts {
    let th = hi12(t);
    let hi = -0.5 * (th * th);
    let lo = -0.5 * ((t - th) * (t + th)) - LN_SQRT_2PI_LO;
    let kf = round((hi + lo - LN_SQRT_2PI_HI) * LOG2E);
    // The barrier keeps the compiler from merging kf LN2_HI and kf LN2_LO into kf ln 2, rounded.
    let r = ((opaque(hi - kf * LN2_HI) - LN_SQRT_2PI_HI) - kf * LN2_LO) + lo;
    return Parts(expm1_reduced(r), i32(kf));
}

// Q_m and P_m of M(t) = Q_m / (t Q_m + P_m).
fn gelu_mills_q(t: f32) -> f32 {
    return 1.0 + t * (2.7645039558410645 + t * (2.208683729171753 + t * (0.9223023056983948
        + t * (0.21499517560005188 + t * 0.024403009563684464))));
}

fn gelu_mills_p(t: f32) -> f32 {
    return 0.7978845834732056 + t * (1.8423726558685303 + t * (0.866743803024292
        + t * (0.21538689732551575 + t * 0.024393822997808456)));
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

fn act_f(x: f32) -> f32 {
    let t = min(abs(x), 20.0);
    let e = gelu_density(t);
    let q = gelu_mills_q(t);
    let tq = t * q;
    // Q(t) = (1 + d) q / (t q + p) 2^k, t Q(t) = (1 + d) t q / (t q + p) 2^k: one rounding for
    // the (1 + d) factor, and the same rounded t q above and below.
    let v = select(q, tq, x < 0.0);
    let w = fma(e.m, v, v) / (tq + gelu_mills_p(t));
    let s = pow2i(max(e.k, -127)); // 0 where the tail leaves the normal range
    let tail = select(x * (1.0 - w * s), -w * s, x < 0.0);
    return select(tail, x * gelu_phi_near(x), t <= 1.0);
}

fn act_df(x: f32) -> Parts {
    let t = min(abs(x), 20.0);
    let e = gelu_density(t);
    let q = gelu_mills_q(t);
    let den = t * q + gelu_mills_p(t);
    let n = q - t * den;
    let pd = fma(e.m, n, n) / den; // phi(t) (M(t) - t) = pd 2^k
    let s = pow2i(max(e.k, -127));
    let neg = x < 0.0;
    let neg_inf = neg && is_inf(x); // the limit 0 (any finite x keeps its tiny token)
    let near = gelu_phi_near(x) + x * fma(e.m, s, s);
    let zero_window = x > -1.5 && x < -0.25;
    let plain_m = select(select(1.0 - pd * s, near, t <= 1.0), gelu_df_near_zero(x), zero_window);
    let tail = neg && !zero_window && t > 1.0;
    return Parts(select(select(plain_m, pd, tail), 0.0, neg_inf), select(0, e.k, tail && !neg_inf));
}
