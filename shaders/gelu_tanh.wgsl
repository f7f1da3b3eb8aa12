// GELU, PyTorch's approximate='tanh': f(x) = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
// written f(x) = x sigmoid(v) with v = 2u = K x + K A x^3. For x < 0, sigmoid(v) ~ e^v needs v to
// full absolute accuracy, so K x and K A x^3 are formed as exact sums (constants split in two,
// products from 12-bit halves) and reduced by ln 2 separately before they are added; e^v is
// kept as parts.
// f'(x) = sigmoid(v) (1 + x sigmoid(-v) K (1 + 3 A x^2)); near its zero (x0 = -0.75246...) it is
// (x - x0) S(x) with S fitted by tools/fit.py.
const GT_K_HI: f32 = 1.5957691669464111;
const GT_K_LO: f32 = -4.534068042105272e-08;
const GT_KA_HI: f32 = 0.07135481387376785;
const GT_KA_LO: f32 = 2.3988323959931355e-09;
const GT_A: f32 = 0.044715;
const GT_DF_ZERO_HI: f32 = -0.7524614334106445;
const GT_DF_ZERO_LO: f32 = 1.1339628272762046e-08;

// e^v for x < 0, as parts.
fn gelu_tanh_exp(x: f32) -> Parts {
    let kx = mul_exact(GT_K_HI, x);
    let sq = mul_exact(x, x);
    let cube = mul_exact(x, sq.x);
    let cube_lo = cube.y + x * sq.y;
    let w = mul_exact(GT_KA_HI, cube.x);
    let lo = (kx.y + GT_K_LO * x) + (w.y + (GT_KA_HI * cube_lo + GT_KA_LO * cube.x));
    return exp_sum2_parts(kx.x, w.x, lo);
}

fn gelu_tanh_v(x: f32) -> f32 {
    return GT_K_HI * (x + GT_A * x * x * x);
}

fn act_f(x: f32) -> f32 {
    if (x >= 0.0) {
        return x / (1.0 + exp_acc(-gelu_tanh_v(x)));
    }
    let p = gelu_tanh_exp(x);
    let e = scale2(p.m, p.k);
    return select(scale2(x * (p.m / (1.0 + e)), p.k), 0.0, is_inf(x)); // x sigmoid(v) -> 0 at -inf
}

fn act_df(x: f32) -> Parts {
    if (x > -1.5 && x < -0.25) {
        let u = (x + 0.875) / 0.625;
        let s = 0.3828825354576111 + u * (0.24149824678897858 + u * (0.009478163905441761
            + u * (-0.02515997178852558 + u * (-0.004172590095549822 + u * (0.0014464480336755514
            + u * (0.0004092956951353699 + u * (-5.5468717619078234e-05 + u * (-2.308035982423462e-05
            + u * (4.70937266072724e-06 + u * (7.056927131543489e-08
            + u * -1.310908828600077e-06))))))))));
        return plain(((x - GT_DF_ZERO_HI) - GT_DF_ZERO_LO) * s);
    }
    if (x >= 0.0) {
        if (x > 10.0) {
            return plain(1.0); // x sigmoid(-v) < 1e-36: the sum rounds to 1
        }
        let en = exp_acc(-gelu_tanh_v(x));
        let d = 1.0 + en;
        return plain((1.0 + x * (en / d) * GT_K_HI * (1.0 + 3.0 * GT_A * x * x)) / d);
    }
    if (is_inf(x)) {
        return plain(0.0); // the limit at -inf; any finite x keeps its token
    }
    let p = gelu_tanh_exp(x);
    let d = 1.0 + scale2(p.m, p.k);
    // Past -1000 (deep in the token's range, where only the sign matters) x is clamped, so that
    // the token's mantissa, about x K (1 + 3 A x^2), stays within the range of Parts.
    let xc = max(x, -1000.0);
    return Parts(p.m / d * (1.0 + xc * GT_K_HI * (1.0 + 3.0 * GT_A * xc * xc) / d), p.k);
}
