// GELU with the exact erf: f(x) = x Phi(x), f'(x) = Phi(x) + x phi(x), with Phi the standard
// normal CDF and phi its density. No branches: SIMD lanes (lavapipe's, a GPU's diverging warps)
// run every side of a branch anyway, so the few pieces below are all computed and one selected,
// and each is as short as the bounds allow (every operation counts on a CPU adapter).
//   |x| < 1/2:  Phi(x) = 1/2 + x P(x^2), P a polynomial (tools/fit.py).
//   |x| >= 1/2: at t = |x|, phi(t) = e^(-t^2/2 - ln sqrt(2 pi)) as parts (1 + d) 2^k, t^2/2
//              split exactly, and Mills' ratio M(t) = Q(t) / phi(t), Q(t) = Phi(-t), as one
//              rational Q_m / (t Q_m + P_m) on [1/2, 20] (tools/fit.py). Then x Phi(x) is
//              x (1 - phi M) for x > 0 and -t phi M for x < 0; f'(x) is 1 - phi D for x > 0 and
//              phi D for x < 0, D = M - t = (Q_m - t den) / den, den = t Q_m + P_m.
//   Near the zero of f' (x0 = -0.75179..., on [-1, -1/2]), f'(x) = (x - x0) S(x) keeps
//              relative accuracy.
// The factor 1 + d enters as fma(d, v, v), one rounding fewer than forming 1 + d first (an
// unfused fma only gives that rounding back). Past t = 20 every product with phi(t) is below
// the f32 range, so t stops there.
const GELU_DF_ZERO_HI: f32 = -0.7517915368080139;
const GELU_DF_ZERO_LO: f32 = 1.211444945855772e-08;
const LN_SQRT_2PI_HI: f32 = 0.9189453125;           // 15 significant bits: exact sums
const LN_SQRT_2PI_LO: f32 = -6.77929532725822e-06; // ln sqrt(2 pi) - LN_SQRT_2PI_HI

// Phi(x) for |x| < 1/2: 1/2 + x P(x^2), P of degree 3 fitted (minimax, tools/fit.py; within
// 0.81 x 2^-24 relative), where the roundings of the tail formula below would add up to 4 ULP.
fn gelu_phi_near(x: f32) -> f32 {
    let z = x * x;
    return 0.5 + x * (0.3989422917366028 + z * (-0.06648994237184525 + z * (0.0099648367613554
        + z * -0.0011311303824186325)));
}

// e^r - 1 for |r| <= ln2/2: r + r^2 P(r), P of degree 4 fitted (minimax, tools/fit.py) so
// that 1 + d is within 0.1 x 2^-24 of e^r: two terms fewer than expm1_reduced's Taylor
// series, and still far below the roundings around it.
fn gelu_expm1(r: f32) -> f32 {
    let p = 0.4999999403953552 + r * (0.16666509211063385 + r * (0.04166853055357933
        + r * (0.008370154537260532 + r * 0.0013811620883643627)));
    return r + (r * r) * p;
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
    return Parts(gelu_expm1(r), i32(kf));
}

// Q_m and P_m of M(t) = Q_m / (t Q_m + P_m), fitted on [1/2, 20] (tools/fit.py: within 1.6e-8
// relative with these f32 coefficients; below 1/2 Phi is a polynomial).
fn gelu_mills_q(t: f32) -> f32 {
    return 1.0 + t * (1.0016955137252808 + t * (0.46897339820861816 + t * (0.1187107041478157
        + t * 0.01485690101981163)));
}

fn gelu_mills_p(t: f32) -> f32 {
    return 0.7978681325912476 + t * (0.43596702814102173 + t * (0.11888826638460159
        + t * 0.01485300250351429));
}

// S(x) = f'(x) / (x - x0) on [-1, -1/2] (tools/fit.py, degree 6: 0.25 ULP), u = 4 x + 3.
fn gelu_df_near_zero(x: f32) -> f32 {
    let u = 4.0 * x + 3.0;
    let s = 0.43218955397605896 + u * (0.09705466032028198 + u * (-0.0011757781030610204
        + u * (-0.0017829329008236527 + u * (-5.7055694924201816e-05 + u * (1.8801403712132014e-05
        + u * 1.1123947842861526e-06)))));
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
    return select(tail, x * gelu_phi_near(x), t < 0.5);
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
    let zero_window = x > -1.0 && x < -0.5;
    let plain_m = select(select(1.0 - pd * s, near, t < 0.5), gelu_df_near_zero(x), zero_window);
    let tail = neg && !zero_window && t >= 0.5;
    return Parts(select(select(plain_m, pd, tail), 0.0, neg_inf), select(0, e.k, tail && !neg_inf));
}
