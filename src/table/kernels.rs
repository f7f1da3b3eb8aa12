//! The float64 kernels behind the table, `p` holding the activation's parameters: each
//! activation's value and derivative, the judge the CPU reference ([`reference`](crate::reference)) rounds.
#![allow(clippy::trivially_copy_pass_by_ref)]

/// The smallest positive float64 (a subnormal, 2^-1074).
const TOKEN: f64 = f64::from_bits(1);

/// `d`, a derivative evaluated in float64 at `x`, unless it underflowed: where `d` is 0 at a
/// finite `x` although the exact derivative is not, the smallest subnormal with the exact
/// value's sign, which the caller gives as the sign of `sign` (`sign` = 0: the exact value
/// is 0, or `d` = 0 is not an underflow; `d` stands). As the shaders' 2^-500 token, it keeps
/// `grad_out · f′` exact in the only way that matters once f′ is below every f32: ±∞ for an
/// infinite `grad_out`, and for any finite one (|g| ≤ f32::MAX) a value that rounds to 0 in
/// f32. At x = ±∞, `d` is the limit of f′ and stands.
fn unless_underflowed(d: f64, x: f64, sign: f64) -> f64 {
    if d == 0.0 && x.is_finite() && sign != 0.0 && !sign.is_nan() {
        TOKEN.copysign(sign)
    } else {
        d
    }
}

/// 1/(1 + e^-x) without overflow.
fn sigmoid64(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    if x >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) }
}

/// e/(1+e)² for e = e^-|x|: the logistic slope, accurate where it is tiny.
fn logistic_slope64(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// The softplus branch test, done in f32 as the GPU (and PyTorch) do it.
fn softplus_linear(x: f64, p: &[f64; 4]) -> bool {
    (p[0] as f32) * (x as f32) > p[1] as f32
}

pub fn identity(x: f64, _: &[f64; 4]) -> f64 {
    x
}
pub fn identity_d(_: f64, _: &[f64; 4]) -> f64 {
    1.0
}
pub fn relu(x: f64, _: &[f64; 4]) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}
pub fn relu_d(x: f64, _: &[f64; 4]) -> f64 {
    if x > 0.0 { 1.0 } else { 0.0 }
}
pub fn leaky_relu(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { x } else { p[0] * x }
}
pub fn leaky_relu_d(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { 1.0 } else { p[0] }
}
pub fn elu(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { x } else { p[0] * x.exp_m1() }
}
pub fn elu_d(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { 1.0 } else { unless_underflowed(p[0] * x.exp(), x, p[0]) }
}
pub fn softplus(x: f64, p: &[f64; 4]) -> f64 {
    if softplus_linear(x, p) {
        return x;
    }
    let z = p[0] * x; // exact: a product of two f32 fits in f64
    (z.max(0.0) + (-z.abs()).exp().ln_1p()) / p[0]
}
pub fn softplus_d(x: f64, p: &[f64; 4]) -> f64 {
    if softplus_linear(x, p) { 1.0 } else { unless_underflowed(sigmoid64(p[0] * x), x, 1.0) }
}
pub fn sigmoid(x: f64, _: &[f64; 4]) -> f64 {
    sigmoid64(x)
}
pub fn sigmoid_d(x: f64, _: &[f64; 4]) -> f64 {
    unless_underflowed(logistic_slope64(x), x, 1.0)
}
pub fn tanh(x: f64, _: &[f64; 4]) -> f64 {
    x.tanh()
}
pub fn tanh_d(x: f64, _: &[f64; 4]) -> f64 {
    // 1 − tanh² = sech² = 4e/(1+e)² with e = e^(−2|x|); no cancellation near 1.
    unless_underflowed(4.0 * logistic_slope64(2.0 * x), x, 1.0)
}
pub fn arctan(x: f64, _: &[f64; 4]) -> f64 {
    x.atan()
}
pub fn arctan_d(x: f64, _: &[f64; 4]) -> f64 {
    unless_underflowed(1.0 / (1.0 + x * x), x, 1.0) // underflows only past |x| = 1e154
}

/// softplus with β = 1, no threshold: max(x, 0) + ln(1 + e^-|x|).
fn softplus64(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// x·y where y → 0 as x → ±∞ faster than x grows: 0 once y has underflowed.
fn times_vanishing(x: f64, y: f64) -> f64 {
    if y == 0.0 { 0.0 } else { x * y }
}

pub fn silu(x: f64, _: &[f64; 4]) -> f64 {
    times_vanishing(x, sigmoid64(x))
}
pub fn silu_d(x: f64, _: &[f64; 4]) -> f64 {
    // σ(x)·s with s = 1 + x·σ(−x): σ(x) > 0, so f′ has the sign of s.
    let s = 1.0 + times_vanishing(x, sigmoid64(-x));
    unless_underflowed(times_vanishing(s, sigmoid64(x)), x, s)
}
pub fn mish(x: f64, _: &[f64; 4]) -> f64 {
    times_vanishing(x, softplus64(x).tanh())
}
pub fn mish_d(x: f64, _: &[f64; 4]) -> f64 {
    let sp = softplus64(x);
    let sech = 1.0 / sp.cosh();
    let tail = times_vanishing(x, sech * sech * sigmoid64(x));
    // With e = eˣ, f′ = e·((e + 2)(e² + 2e + 2) + 4x(1 + e))/(e² + 2e + 2)², which has the
    // sign of 4(1 + x) where e is below float64's range (there sp, e^x itself, is 0).
    unless_underflowed(sp.tanh() + tail, x, if sp == 0.0 { 1.0 + x } else { 0.0 })
}

/// PyTorch's SELU constants.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

pub fn selu(x: f64, _: &[f64; 4]) -> f64 {
    SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }
}
pub fn selu_d(x: f64, _: &[f64; 4]) -> f64 {
    if x > 0.0 {
        SELU_SCALE
    } else {
        unless_underflowed(SELU_SCALE * (SELU_ALPHA * x.exp()), x, 1.0)
    }
}
pub fn celu(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { x } else { p[0] * (x / p[0]).exp_m1() }
}
pub fn celu_d(x: f64, p: &[f64; 4]) -> f64 {
    if x > 0.0 { 1.0 } else { unless_underflowed((x / p[0]).exp(), x, 1.0) }
}
pub fn softsign(x: f64, _: &[f64; 4]) -> f64 {
    if x.is_infinite() { x.signum() } else { x / (1.0 + x.abs()) }
}
pub fn softsign_d(x: f64, _: &[f64; 4]) -> f64 {
    let d = 1.0 + x.abs();
    unless_underflowed(1.0 / (d * d), x, 1.0) // underflows only past |x| = 1e154
}
pub fn hardtanh(x: f64, p: &[f64; 4]) -> f64 {
    if x < p[0] {
        p[0]
    } else if x > p[1] {
        p[1]
    } else {
        x
    }
}
pub fn hardtanh_d(x: f64, p: &[f64; 4]) -> f64 {
    if x > p[0] && x < p[1] { 1.0 } else { 0.0 }
}
pub fn relu6(x: f64, _: &[f64; 4]) -> f64 {
    hardtanh(x, &[0.0, 6.0, 0.0, 0.0])
}
pub fn relu6_d(x: f64, _: &[f64; 4]) -> f64 {
    hardtanh_d(x, &[0.0, 6.0, 0.0, 0.0])
}
pub fn hardsigmoid(x: f64, _: &[f64; 4]) -> f64 {
    relu6(x + 3.0, &[0.0; 4]) / 6.0
}
pub fn hardsigmoid_d(x: f64, _: &[f64; 4]) -> f64 {
    if x > -3.0 && x < 3.0 { 1.0 / 6.0 } else { 0.0 }
}
pub fn hardswish(x: f64, _: &[f64; 4]) -> f64 {
    if x <= -3.0 { 0.0 } else { x * relu6(x + 3.0, &[0.0; 4]) / 6.0 }
}
/// Current PyTorch's convention (its `hardswish_backward`, see pytorch/pytorch#147801): 0 up
/// to −3 included, 1 from 3 included, (2x + 3)/6 strictly between.
pub fn hardswish_d(x: f64, _: &[f64; 4]) -> f64 {
    if x <= -3.0 {
        0.0
    } else if x < 3.0 {
        (2.0 * x + 3.0) / 6.0
    } else {
        1.0
    }
}
pub fn logsigmoid(x: f64, _: &[f64; 4]) -> f64 {
    -softplus64(-x)
}
pub fn logsigmoid_d(x: f64, _: &[f64; 4]) -> f64 {
    unless_underflowed(sigmoid64(-x), x, 1.0)
}
pub fn softshrink(x: f64, p: &[f64; 4]) -> f64 {
    if x > p[0] {
        x - p[0]
    } else if x < -p[0] {
        x + p[0]
    } else {
        0.0
    }
}
pub fn softshrink_d(x: f64, p: &[f64; 4]) -> f64 {
    if x >= -p[0] && x <= p[0] { 0.0 } else { 1.0 }
}
pub fn hardshrink(x: f64, p: &[f64; 4]) -> f64 {
    if x >= -p[0] && x <= p[0] { 0.0 } else { x }
}
pub fn hardshrink_d(x: f64, p: &[f64; 4]) -> f64 {
    softshrink_d(x, p)
}
pub fn tanhshrink(x: f64, _: &[f64; 4]) -> f64 {
    if x.abs() < 0.1 {
        // x − tanh x = x³/3 − 2x⁵/15 + 17x⁷/315 − 62x⁹/2835 + 1382x¹¹/155925 − …; the next
        // term is below 1e-12 relative here, where the subtraction would lose digits.
        let z = x * x;
        x * z
            * (1.0 / 3.0
                + z * (-2.0 / 15.0
                    + z * (17.0 / 315.0 + z * (-62.0 / 2835.0 + z * (1382.0 / 155_925.0)))))
    } else {
        x - x.tanh()
    }
}
pub fn tanhshrink_d(x: f64, _: &[f64; 4]) -> f64 {
    // tanh² x underflows only for |x| < 1e-162, never for an f32 x.
    unless_underflowed(x.tanh() * x.tanh(), x, if x == 0.0 { 0.0 } else { 1.0 })
}

/// The standard normal CDF Φ and density φ.
fn ncdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}
fn npdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

pub fn gelu(x: f64, _: &[f64; 4]) -> f64 {
    times_vanishing(x, ncdf(x))
}
pub fn gelu_d(x: f64, _: &[f64; 4]) -> f64 {
    // Where φ(x) underflows (x < −38.58), f′ = φ(x)·(x + Φ(x)/φ(x)) with Mills' ratio
    // 0 < Φ(x)/φ(x) < 1/|x| for x < 0, so x + Φ(x)/φ(x) < x + 1/|x| < 0: f′ is negative,
    // the sign of x + 1/|x|. (Past x = 38.58, f′ = 1: no underflow on that side.)
    let d = ncdf(x) + times_vanishing(x, npdf(x));
    unless_underflowed(d, x, if npdf(x) == 0.0 { x + 1.0 / x.abs() } else { 0.0 })
}

/// PyTorch's tanh approximation: x·σ(v) with v = 2·√(2/π)·(x + 0.044715·x³).
fn gelu_tanh_v(x: f64) -> f64 {
    2.0 * (2.0 / std::f64::consts::PI).sqrt() * x * (1.0 + 0.044715 * x * x)
}
pub fn gelu_tanh(x: f64, _: &[f64; 4]) -> f64 {
    times_vanishing(x, sigmoid64(gelu_tanh_v(x)))
}
pub fn gelu_tanh_d(x: f64, _: &[f64; 4]) -> f64 {
    let v = gelu_tanh_v(x);
    let k = 2.0 * (2.0 / std::f64::consts::PI).sqrt();
    let slope = x * k * (1.0 + 3.0 * 0.044715 * x * x);
    // σ(v)·s with s = 1 + slope·σ(−v): σ(v) > 0, so f′ has the sign of s.
    let s = 1.0 + times_vanishing(slope, sigmoid64(-v));
    unless_underflowed(times_vanishing(s, sigmoid64(v)), x, s)
}

pub fn threshold(x: f64, p: &[f64; 4]) -> f64 {
    if x > p[0] { x } else { p[1] }
}
pub fn threshold_d(x: f64, p: &[f64; 4]) -> f64 {
    if x > p[0] { 1.0 } else { 0.0 }
}
