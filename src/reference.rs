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

use crate::table::activation::Activation;

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

/// The input an activation sees after a per-channel bias: `x[i] + bias[c]` rounded once to
/// f32 (as two separate operations would round it), for `x` laid out (N, C, S) row-major,
/// c = (i / spatial) % channels.
pub fn bias_input(x: &[f32], bias: &[f32], channels: usize, spatial: usize) -> Vec<f32> {
    x.iter().enumerate().map(|(i, &x)| x + bias[(i / spatial) % channels]).collect()
}

/// The bias gradient of `act` after a per-channel bias, in float64: for each channel, the sum
/// of `grad_out · f′(x + bias[c])` over its elements (the sum `x + bias[c]` rounded to f32, as
/// [`bias_input`]), and the sum of those terms' magnitudes (the scale of a sum's rounding). A
/// term near a zero of f′, where the backward pass is held to an absolute error instead
/// ([`Bounds::backward_allowance`](crate::Bounds::backward_allowance)), counts at least 2¹⁸
/// times that error, so that a bound of 2⁻¹⁸ of the magnitude includes each term's own.
pub fn bias_grad(
    act: Activation,
    x: &[f32],
    bias: &[f32],
    grad_out: &[f32],
    channels: usize,
    spatial: usize,
) -> (Vec<f64>, Vec<f64>) {
    let bounds = act.bounds();
    let (mut sum, mut magnitude) = (vec![0.0; channels], vec![0.0; channels]);
    for (i, (&xb, &g)) in bias_input(x, bias, channels, spatial).iter().zip(grad_out).enumerate() {
        let term = backward_f64(act, xb as f64, g as f64);
        let c = (i / spatial) % channels;
        sum[c] += term;
        magnitude[c] += term.abs().max(2f64.powi(18) * bounds.backward_allowance(xb, g));
    }
    (sum, magnitude)
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
