//! The CPU reference: every activation and its derivative evaluated in float64, then rounded.
//!
//! These functions are the judge of the GPU results. Each is written from the mathematical
//! definition with float64 evaluations that stay accurate to well under one f32 ULP over the whole
//! f32 range (`exp_m1`, `ln_1p`, and derivatives written as e/(1+e)² so that tiny values keep
//! their digits). NaN in gives NaN out.
//!
//! ```
//! use gpu_activations::reference;
//! assert_eq!(reference::relu(-2.0), 0.0);
//! assert_eq!(reference::leaky_relu(-10.0, 0.01), 0.01f32 * -10.0);
//! assert_eq!(reference::sigmoid(0.0), 0.5);
//! assert_eq!(reference::leaky_relu_backward(-3.0, 2.0, 0.25), 0.5);
//! assert!((reference::tanh_grad(10.0) - 8.2446e-9).abs() < 1e-12);
//! ```

use crate::activation::Activation;

/// f(x) for `act`, evaluated in float64 (`x` is usually an f32 widened).
pub fn forward_f64(act: Activation, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    (act.spec().f)(x, &params_f64(act))
}

/// f′(x) for `act`, evaluated in float64.
pub fn derivative_f64(act: Activation, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    (act.spec().df)(x, &params_f64(act))
}

/// `grad_out · f′(x)` in float64, with the crate's conventions: NaN in `x` or `grad_out` gives
/// NaN; where f′(x) = 0 the result is 0 whatever `grad_out` is (as PyTorch's ReLU); a zero
/// `grad_out` gives 0 (exact 0 · f′, even where f′ overflowed float64). Otherwise it follows
/// exact arithmetic: an infinite `grad_out` gives ±∞ wherever f′(x) ≠ 0, however tiny (a
/// derivative below float64's range is carried as the smallest subnormal, see the kernels).
///
/// ```
/// use gpu_activations::{Activation, reference};
/// // elu′(−1000) = e^−1000 is below float64's range, but not 0.
/// assert_eq!(reference::backward_f64(Activation::Elu { alpha: 1.0 }, -1000.0, f64::INFINITY), f64::INFINITY);
/// assert_eq!(reference::backward(Activation::Elu { alpha: 1.0 }, -1000.0, f32::MAX), 0.0);
/// ```
pub fn backward_f64(act: Activation, x: f64, grad_out: f64) -> f64 {
    if x.is_nan() || grad_out.is_nan() {
        return f64::NAN;
    }
    let d = derivative_f64(act, x);
    if d == 0.0 {
        0.0
    } else if grad_out == 0.0 {
        grad_out * d.signum() // a zero signed as the product, never 0 · ∞ = NaN
    } else {
        grad_out * d
    }
}

/// f(x) for `act`, rounded to f32.
pub fn forward(act: Activation, x: f32) -> f32 {
    forward_f64(act, x as f64) as f32
}

/// f′(x) for `act`, rounded to f32.
pub fn derivative(act: Activation, x: f32) -> f32 {
    derivative_f64(act, x as f64) as f32
}

/// `grad_out · f′(x)` for `act`, rounded to f32: what a backward pass must return.
pub fn backward(act: Activation, x: f32, grad_out: f32) -> f32 {
    backward_f64(act, x as f64, grad_out as f64) as f32
}

fn params_f64(act: Activation) -> [f64; 4] {
    act.params().map(f64::from)
}

/// Generates `name(x, params)`, `name_grad(x, params)` (f′) and `name_backward(x, grad_out,
/// params)` for every named activation.
#[macro_export]
#[doc(hidden)]
macro_rules! reference_fns {
    ($($doc:literal $fwd:ident / $bwd:ident / $grad:ident ($($p:ident),*) => $variant:ident $({ $($body:tt)* })?;)*) => {
        $(
            #[doc = concat!("f(x) for ", $doc, ", in float64 rounded to f32.")]
            pub fn $fwd(x: f32 $(, $p: f32)*) -> f32 {
                forward($crate::Activation::$variant $({ $($body)* })?, x)
            }
            #[doc = concat!("f′(x) for ", $doc, ", in float64 rounded to f32.")]
            pub fn $grad(x: f32 $(, $p: f32)*) -> f32 {
                derivative($crate::Activation::$variant $({ $($body)* })?, x)
            }
            #[doc = concat!("`grad_out · f′(x)` for ", $doc, ", in float64 rounded to f32: what the GPU's `", stringify!($bwd), "` must return.")]
            pub fn $bwd(x: f32, grad_out: f32 $(, $p: f32)*) -> f32 {
                backward($crate::Activation::$variant $({ $($body)* })?, x, grad_out)
            }
        )*
    };
}
crate::named_activations!(reference_fns);

/// The float64 kernels behind the table; `p` holds the activation's parameters.
pub(crate) mod kernels {
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
}

/// The channel of element `i` of an (N, `channels`, `spatial`) tensor (0 with one weight).
fn prelu_channel(i: usize, wlen: usize, channels: usize, spatial: usize) -> usize {
    if wlen == 1 { 0 } else { (i / spatial) % channels }
}

/// PReLU over an (N, `channels`, `spatial`) row-major slice, in float64 (exact products).
///
/// ```
/// let y = gpu_activations::reference::prelu(&[-2.0, 3.0], &[0.25], 1, 1);
/// assert_eq!(y, vec![-0.5, 3.0]);
/// ```
pub fn prelu(x: &[f32], weight: &[f32], channels: usize, spatial: usize) -> Vec<f64> {
    x.iter()
        .enumerate()
        .map(|(i, &x)| {
            let w = weight[prelu_channel(i, weight.len(), channels, spatial)] as f64;
            if x.is_nan() {
                f64::NAN
            } else if x > 0.0 {
                x as f64
            } else {
                w * x as f64
            }
        })
        .collect()
}

/// PReLU's backward pass in float64: `(grad_x, grad_weight)`, `grad_weight[c]` summing x·grad_out
/// over the x ≤ 0 elements of channel c.
pub fn prelu_backward(
    x: &[f32],
    grad_out: &[f32],
    weight: &[f32],
    channels: usize,
    spatial: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut grad_w = vec![0.0; weight.len()];
    let grad_x = x
        .iter()
        .zip(grad_out)
        .enumerate()
        .map(|(i, (&x, &g))| {
            let c = prelu_channel(i, weight.len(), channels, spatial);
            let (x, g) = (x as f64, g as f64);
            if x <= 0.0 || x.is_nan() {
                grad_w[c] += x * g;
            }
            if x.is_nan() || g.is_nan() {
                f64::NAN
            } else if x > 0.0 {
                g
            } else {
                g * weight[c] as f64
            }
        })
        .collect();
    (grad_x, grad_w)
}

/// Σ|x·grad_out| over the terms of each weight's gradient: the scale of its rounding error.
pub fn prelu_weight_grad_magnitude(
    x: &[f32],
    grad_out: &[f32],
    wlen: usize,
    channels: usize,
    spatial: usize,
) -> Vec<f64> {
    let mut m = vec![0.0; wlen];
    for (i, (&x, &g)) in x.iter().zip(grad_out).enumerate() {
        if x <= 0.0 || x.is_nan() {
            m[prelu_channel(i, wlen, channels, spatial)] += (x as f64 * g as f64).abs();
        }
    }
    m
}

/// For each row: the maximum, how many elements equal it, and Σ e^(x − max) over the others.
fn row_stats(row: &[f32]) -> (f64, f64, f64) {
    let m = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x as f64));
    let count = row.iter().filter(|&&x| x as f64 == m).count() as f64;
    let rest: f64 = row.iter().filter(|&&x| (x as f64) < m).map(|&x| (x as f64 - m).exp()).sum();
    (m, count, rest)
}

/// Softmax over contiguous rows of `row_len`, in float64, with the crate's conventions: a NaN
/// makes its row NaN, and elements equal to the maximum (+∞ included) share its weight.
///
/// ```
/// let y = gpu_activations::reference::softmax(&[0.0, 0.0, 1e4, -1e4], 2);
/// assert_eq!(y, vec![0.5, 0.5, 1.0, 0.0]);
/// ```
pub fn softmax(x: &[f32], row_len: usize) -> Vec<f64> {
    x.chunks(row_len)
        .flat_map(|row| {
            let nan = row.iter().any(|x| x.is_nan());
            let (m, count, rest) = row_stats(row);
            row.iter().map(move |&x| {
                let x = x as f64;
                if nan {
                    f64::NAN
                } else if x == m {
                    1.0 / (count + rest)
                } else if m.is_infinite() {
                    0.0
                } else {
                    (x - m).exp() / (count + rest)
                }
            })
        })
        .collect()
}

/// Log-softmax over contiguous rows, in float64 (conventions as [`softmax`]).
pub fn log_softmax(x: &[f32], row_len: usize) -> Vec<f64> {
    x.chunks(row_len)
        .flat_map(|row| {
            let nan = row.iter().any(|x| x.is_nan());
            let (m, count, rest) = row_stats(row);
            let log_total = if count == 1.0 { rest.ln_1p() } else { (count + rest).ln() };
            row.iter().map(move |&x| {
                let x = x as f64;
                if nan {
                    f64::NAN
                } else if x == m {
                    -log_total
                } else if m.is_infinite() || x.is_infinite() {
                    f64::NEG_INFINITY
                } else {
                    (x - m) - log_total
                }
            })
        })
        .collect()
}

/// Softmax's backward pass from its output `y`, in float64: `(grad_in, scale)`, where
/// grad_in = y·(g − Σ g·y) and scale = |y|·(|g| + Σ|g·y|) bounds the size of the terms.
pub fn softmax_backward(y: &[f32], grad_out: &[f32], row_len: usize) -> (Vec<f64>, Vec<f64>) {
    let mut out = (Vec::with_capacity(y.len()), Vec::with_capacity(y.len()));
    for (ys, gs) in y.chunks(row_len).zip(grad_out.chunks(row_len)) {
        let dot: f64 = ys.iter().zip(gs).map(|(&y, &g)| y as f64 * g as f64).sum();
        let mag: f64 = ys.iter().zip(gs).map(|(&y, &g)| (y as f64 * g as f64).abs()).sum();
        for (&y, &g) in ys.iter().zip(gs) {
            out.0.push(y as f64 * (g as f64 - dot));
            out.1.push((y as f64).abs() * ((g as f64).abs() + mag));
        }
    }
    out
}

/// Log-softmax's backward pass from its output `y`, in float64: `(grad_in, scale)`, where
/// grad_in = g − e^y·Σg and scale = |g| + e^y·Σ|g|.
pub fn log_softmax_backward(y: &[f32], grad_out: &[f32], row_len: usize) -> (Vec<f64>, Vec<f64>) {
    let mut out = (Vec::with_capacity(y.len()), Vec::with_capacity(y.len()));
    for (ys, gs) in y.chunks(row_len).zip(grad_out.chunks(row_len)) {
        let sum: f64 = gs.iter().map(|&g| g as f64).sum();
        let mag: f64 = gs.iter().map(|&g| (g as f64).abs()).sum();
        for (&y, &g) in ys.iter().zip(gs) {
            let p = (y as f64).exp();
            out.0.push(g as f64 - p * sum);
            out.1.push((g as f64).abs() + p * mag);
        }
    }
    out
}
