//! Backward with an infinite `grad_out` follows exact arithmetic: `grad_out · f′(x)` evaluated
//! exactly, then rounded once to f32. In a vanishing tail f′(x) is tiny but not 0 for every
//! finite x, so ±∞ · f′(x) is ±∞ (however far out x is, f′ below float64's range included), while
//! any finite `grad_out` gives a result that rounds to 0. Only where f′ is exactly 0, or at
//! x = ±∞ where the limit of f′ is 0, is the result 0.
//!
//! The expected signs are derived by hand below, never from the code under test.

mod common;

use gpu_activations::{Activation, GpuActivations, reference};

const INF: f32 = f32::INFINITY;

/// Tail points `(activation, x, sign of the exact f′(x))`. The signs:
///
/// - GELU: f′(x) = Φ(x) + x·φ(x) = φ(x)·(x + Φ(x)/φ(x)), and for x < 0 Mills' ratio gives
///   0 < Φ(x)/φ(x) < 1/|x|, so x + Φ(x)/φ(x) < x + 1/|x| < 0 for x < −1: negative.
/// - GELU-tanh: f′(x) = σ(v)·(1 + x·K·(1 + 3A·x²)·σ(−v)) with v = K·(x + A·x³), K = 2√(2/π),
///   A = 0.044715. For x < 0, v < 0 so σ(−v) > 1/2 and x·K·(1 + 3A·x²) < x·K, hence
///   1 + x·K·(1 + 3A·x²)·σ(−v) < 1 + x·K/2 < 0 for x < −2/K ≈ −1.25: negative.
/// - ELU: α·eˣ, the sign of α (exactly 0 for α = 0). SELU: scale·α·eˣ > 0. CELU (α > 0):
///   e^(x/α) > 0.
/// - Softplus: σ(βx) > 0. Sigmoid: σ(x)·σ(−x) > 0. Tanh: sech²(x) > 0. Log-sigmoid: σ(−x) > 0.
/// - SiLU: σ(x)·(1 + x·σ(−x)); for x < 0, σ(−x) > 1/2, so 1 + x·σ(−x) < 1 + x/2 < 0 for x < −2:
///   negative.
/// - Mish: f′ = tanh(sp) + x·sech²(sp)·σ(x) with sp = ln(1 + eˣ). For x < −1, with e = eˣ < 0.37:
///   tanh(sp) < sp < e, sech²(sp) = 1 − tanh²(sp) > 1 − e² > 1/2 and σ(x) = e/(1 + e) > e/2, so
///   f′ < e + x·e/4 = e·(1 + x/4) < 0 for x < −4: negative.
fn tail_points() -> Vec<(Activation, f32, f32)> {
    let elu = |alpha| Activation::Elu { alpha };
    let softplus2 = Activation::Softplus { beta: 2.0, threshold: 20.0 };
    let celu = |alpha| Activation::Celu { alpha };
    let mut v = Vec::new();
    let mut add = |act: Activation, xs: &[f32], sign: f32| {
        v.extend(xs.iter().map(|&x| (act, x, sign)));
    };
    // φ(x) underflows float64 from x ≈ −38.6; at −3e38, x² overflows f32.
    add(Activation::Gelu, &[-38.6, -40.0, -1e4, -3e38], -1.0);
    // e^v underflows float64 from x ≈ −21.5; from about −7e12, x³ overflows f32.
    add(Activation::GeluTanh, &[-21.5, -30.0, -1e20, -3e38], -1.0);
    // e^x underflows float64 below −745.13.
    add(elu(0.5), &[-745.0, -745.2, -1000.0, -3e38], 1.0);
    add(elu(1.0), &[-1000.0, -3e38], 1.0); // the pipeline with the default compiled in
    add(elu(-0.5), &[-1000.0], -1.0);
    add(elu(0.0), &[-1000.0, -1.0], 0.0);
    // σ(2x) underflows float64 from x ≈ −372.6; 2x overflows f32 from x ≈ −1.7014e38.
    add(softplus2, &[-372.6, -400.0, -1.7e38, -1.8e38, -3e38], 1.0);
    add(Activation::Softplus { beta: 1.0, threshold: 20.0 }, &[-1000.0, -3e38], 1.0);
    add(Activation::Sigmoid, &[-1000.0, 1000.0, -3e38, 3e38], 1.0);
    // 2x overflows f32 past 1.7e38.
    add(Activation::Tanh, &[-1000.0, 1000.0, -3e38, 3e38], 1.0);
    add(Activation::Silu, &[-1000.0, -3e38], -1.0);
    add(Activation::Mish, &[-1000.0, -3e38], -1.0);
    add(Activation::Selu, &[-1000.0, -3e38], 1.0);
    add(celu(1.0), &[-1000.0, -3e38], 1.0);
    add(celu(0.5), &[-400.0], 1.0);
    add(celu(1e-30), &[-1.0], 1.0); // x/α = −1e30: far below any exponent's range
    add(Activation::Logsigmoid, &[1000.0, 3e38], 1.0);
    v
}

/// Infinite inputs where the limit of f′ is 0: the backward result is 0 whatever `grad_out` is.
fn zero_limits() -> Vec<(Activation, f32)> {
    use Activation as A;
    vec![
        (A::Gelu, -INF),
        (A::GeluTanh, -INF),
        (A::Elu { alpha: 0.5 }, -INF),
        (A::Elu { alpha: 1.0 }, -INF),
        (A::Softplus { beta: 2.0, threshold: 20.0 }, -INF),
        (A::Softplus { beta: 1.0, threshold: 20.0 }, -INF),
        (A::Sigmoid, -INF),
        (A::Sigmoid, INF),
        (A::Tanh, -INF),
        (A::Tanh, INF),
        (A::Silu, -INF),
        (A::Mish, -INF),
        (A::Selu, -INF),
        (A::Celu { alpha: 1.0 }, -INF),
        (A::Celu { alpha: 0.5 }, -INF),
        (A::Logsigmoid, INF),
        (A::Arctan, -INF),
        (A::Arctan, INF),
        (A::Softsign, INF),
    ]
}

/// The gradients tried at every point: both infinities, then finite ones whose product with a
/// tail derivative rounds to 0 (0 itself included).
const GRADS: [f32; 7] = [INF, -INF, 1.0, -1.0, f32::MAX, -f32::MAX, 0.0];

/// What exact arithmetic gives for `g · f′(x)` where f′(x) has the sign `sign` (0: f′(x) = 0)
/// and is far below any f32.
fn expected(sign: f32, g: f32) -> f32 {
    if g.is_infinite() && sign != 0.0 { sign * g } else { 0.0 }
}

#[test]
fn reference_keeps_underflowed_derivatives_nonzero() {
    for (act, x, sign) in tail_points() {
        let d = reference::derivative_f64(act, x as f64);
        assert!(
            (sign == 0.0 && d == 0.0) || d.signum() == sign as f64,
            "{act}′({x:e}) = {d:e}, expected sign {sign}"
        );
        for g in GRADS {
            let want = expected(sign, g);
            let got = reference::backward_f64(act, x as f64, g as f64);
            if g.is_infinite() {
                assert_eq!(got, want as f64, "{act} backward_f64 at x = {x:e}, grad_out = {g:e}");
            } else {
                assert!(got.abs() < 1e-280, "{act} at x = {x:e}, grad_out = {g:e}: {got:e}");
            }
            let got = reference::backward(act, x, g);
            assert_eq!(got, want, "{act} backward at x = {x:e}, grad_out = {g:e}");
        }
    }
}

#[test]
fn reference_is_zero_where_the_limit_of_the_derivative_is() {
    for (act, x) in zero_limits() {
        for g in GRADS {
            assert_eq!(reference::backward_f64(act, x as f64, g as f64), 0.0, "{act}({x}), {g}");
        }
    }
}

/// A zero grad_out gives 0 even where f′ overflows float64: CELU with α < 0 has
/// f′(x) = e^(x/α) = e^1000 at x = −1000, α = −1. Exactly, 0 · f′ = 0, and any other normal f32
/// grad_out (≥ 2^−126 in size) times e^1000 > 2^1442 overflows f32 with its own sign.
#[test]
fn reference_zero_grad_out_times_an_overflowed_derivative_is_zero() {
    let act = Activation::Celu { alpha: -1.0 };
    assert_eq!(reference::backward_f64(act, -1000.0, 0.0), 0.0);
    assert_eq!(reference::backward(act, -1000.0, 0.0), 0.0);
    assert_eq!(reference::backward(act, -1000.0, 1.0), INF);
    assert_eq!(reference::backward(act, -1000.0, -f32::MIN_POSITIVE), -INF);
}

/// Derivatives that underflow float64 only for inputs beyond f32's range: the same rule holds.
#[test]
fn reference_rule_holds_for_float64_inputs() {
    // 1/(1 + x²) and 1/(1 + |x|)² are positive; tanh²(x) is positive for x ≠ 0.
    for (act, x) in [
        (Activation::Arctan, 1e200),
        (Activation::Softsign, -1e200),
        (Activation::Tanhshrink, 1e-200),
    ] {
        assert_eq!(reference::backward_f64(act, x, f64::INFINITY), f64::INFINITY, "{act}({x:e})");
    }
    assert_eq!(reference::backward_f64(Activation::Tanhshrink, 0.0, f64::INFINITY), 0.0);
}

fn gpu_backward_in_the_tails(gpu: &GpuActivations) {
    let mut cases: Vec<(Activation, f32, f32)> = tail_points();
    cases.extend(zero_limits().into_iter().map(|(act, x)| (act, x, 0.0)));
    for (act, x, sign) in cases {
        let xs = vec![x; GRADS.len()];
        let xb = gpu.upload(&xs).unwrap();
        let gb = gpu.upload(&GRADS).unwrap();
        let d = gpu.backward(act, &xb, &gb).unwrap_or_else(|e| panic!("{act} at x = {x:e}: {e}"));
        let d = gpu.download(&d).unwrap();
        for (&g, &got) in GRADS.iter().zip(&d) {
            let want = expected(sign, g);
            assert_eq!(got, want, "{act} backward at x = {x:e}, grad_out = {g:e}");
            assert_eq!(got, reference::backward(act, x, g), "{act} at x = {x:e}, grad_out = {g:e}");
        }
    }
    // CELU with α < 0: e^(x/α) overflows float64 at x = −1000 (see the reference test above).
    let act = Activation::Celu { alpha: -1.0 };
    let gs = [0.0, 1.0, -f32::MIN_POSITIVE, INF];
    let d = gpu
        .backward(act, &gpu.upload(&[-1000.0; 4]).unwrap(), &gpu.upload(&gs).unwrap())
        .unwrap_or_else(|e| panic!("{act}: {e}"));
    assert_eq!(gpu.download(&d).unwrap(), vec![0.0, INF, -INF, INF]);
}

/// The GPU alone, judged only by the hand-derived values.
#[test]
fn gpu_backward_in_the_tails_without_verification() {
    let mut gpu = common::gpu();
    gpu.set_verify(false);
    gpu_backward_in_the_tails(&gpu);
}

/// The same with verification on: the reference agrees, so no `Error::Mismatch`.
#[test]
fn gpu_backward_in_the_tails_with_verification() {
    let gpu = common::gpu();
    assert!(gpu.verify());
    gpu_backward_in_the_tails(&gpu);
}
