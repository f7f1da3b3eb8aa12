// GELU with the exact erf: f(x) = x Phi(x), f'(x) = Phi(x) + x phi(x), with Phi the standard
// normal CDF and phi its density. One formula for every x, no branches and no piecewise select:
// SIMD lanes (lavapipe's, a GPU's diverging warps) would run every piece anyway, and on a CPU
// adapter every operation counts. With t = |x| and Q(t) = Phi(-t) = 1 - Phi(t):
//   f(x)  = max(x, 0) - t Q(t)                        (x Phi(x) on both sides of 0)
//   f'(x) = phi(t) (M(t) - t)       for x < 0,  1 - phi(t) (M(t) - t)  for x >= 0,
// M(t) = Q(t) / phi(t) Mills' ratio. Both are e^(-t^2/2) times a rational in t fitted on
// [0, 20] (tools/fit.py):
//   t Q(t)          = e^(-t^2/2) t q / (K t q + p),  K = sqrt(2 pi) in f32 (1 / sqrt(2 pi) of
//                     phi is folded into the rational, so the exponent needs no ln sqrt(2 pi));
//   phi (M(t) - t)  = e^(-t^2/2) (t - t0) (S - D / sqrt(2 pi)) / D, t0 = 0.7517... the zero of
//                     f' at x = -t0: the factor (t - t0) keeps relative accuracy up to the zero.
// e^(-t^2/2) is (1 + d) 2^k, t^2/2 split exactly. The factor 1 + d enters as d v + v, without
// forming 1 + d. Past t = 20 every product with e^(-t^2/2) is below the f32 range, so t stops
// there. Note that fma() may be unfused (lavapipe's is: two roundings), so none is relied on.
const GELU_K: f32 = 2.5066282749176025;       // sqrt(2 pi) rounded to f32
const GELU_INV_K: f32 = 0.3989422917366028;   // 1 / sqrt(2 pi) rounded to f32
const GELU_T0_HI: f32 = 0.7517915368080139;   // t0 = -x0, f'(x0) = 0
const GELU_T0_LO: f32 = -1.211444945855772e-08; // t0 - GELU_T0_HI

// e^r - 1 for |r| <= ln2/2: r + r^2 P(r), P of degree 4 fitted (minimax, tools/fit.py) so
// that 1 + d is within 0.1 x 2^-24 of e^r: two terms fewer than expm1_reduced's Taylor
// series, and still far below the roundings around it.
fn gelu_expm1(r: f32) -> f32 {
    let p = 0.4999999403953552 + r * (0.16666509211063385 + r * (0.04166853055357933
        + r * (0.008370154537260532 + r * 0.0013811620883643627)));
    return r + (r * r) * p;
}

// e^(-t^2/2) = (1 + d) 2^k, returned as Parts(d, k), for 0 <= t <= 20: t^2/2 = th^2/2 (exact,
// th the leading 12 bits of t) + a small part, reduced by ln 2.
fn gelu_half_square_exp(t: f32) -> Parts {
    let th = hi12(t);
    let hi = -0.5 * (th * th);
    let lo = -0.5 * ((t - th) * (t + th));
    let kf = round((hi + lo) * LOG2E);
    let r = minus_k_ln2(hi, kf) + lo;
    return Parts(gelu_expm1(r), i32(kf));
}

// t q(t) with q = 1 + t Q1(t) (tools/fit.py), as t + t (t Q1): near t = 0 it is t itself
// plus a small part, one rounding at full size.
fn gelu_mills_tq(t: f32) -> f32 {
    let q1 = 0.9273791313171387 + t * (0.405153751373291 + t * (0.09459453821182251
        + t * 0.01028464175760746));
    return t + t * (t * q1);
}

// K t q + p(t), p = 2 + t P1(t) (tools/fit.py; p(0) = 2 exactly, so that t Q(t) -> t / 2),
// summed as 2 + (K t q + t P1): near 0 only the last sum rounds at full size. The barrier keeps
// the compiler from moving the constant 2 inward (2 + K t q first), which rounds twice there.
fn gelu_mills_den(t: f32, tq: f32) -> f32 {
    let p1 = 0.9439015984535217 + t * (0.2388077825307846 + t * (0.02570086158812046
        + t * 1.508394689153647e-06));
    return 2.0 + opaque(GELU_K * tq + t * p1);
}

// D(t) and S(t) of phi (M(t) - t) = e^(-t^2/2) (t - t0) (S - D / sqrt(2 pi)) / D, fitted on
// [0, 20] (tools/fit.py: within 1.7e-8 relative with these f32 coefficients).
fn gelu_slope_den(t: f32) -> f32 {
    return 1.0 + t * (1.41841721534729 + t * (0.8174679279327393 + t * (0.23142340779304504
        + t * 0.028255010023713112)));
}

fn gelu_slope_num(t: f32) -> f32 {
    return -0.26613569259643555 + t * (-0.2008386254310608 + t * (-0.06454601138830185
        + t * (-0.008472710847854614 + t * -2.5412415283199152e-08)));
}

fn act_f(x: f32) -> f32 {
    let t = min(abs(x), 20.0);
    let e = gelu_half_square_exp(t);
    let tq = gelu_mills_tq(t);
    let w = fma(e.m, tq, tq) / gelu_mills_den(t, tq);
    // t Q(t) = w 2^k, exact where it is a normal f32 and 0 below.
    return max(x, 0.0) - w * pow2_or_zero(e.k);
}

fn act_df(x: f32) -> Parts {
    let t = min(abs(x), 20.0);
    let e = gelu_half_square_exp(t);
    let den = gelu_slope_den(t);
    let n = ((t - GELU_T0_HI) - GELU_T0_LO) * fma(den, -GELU_INV_K, gelu_slope_num(t));
    let pd = fma(e.m, n, n) / den; // phi(t) (M(t) - t) = pd 2^k
    let neg = x < 0.0;
    let neg_inf = bitcast<u32>(x) == 0xff800000u; // the limit 0 (any finite x keeps its tiny value)
    let pos = 1.0 - pd * pow2_or_zero(e.k);
    return Parts(select(select(pos, pd, neg), 0.0, neg_inf), select(0, e.k, neg));
}
