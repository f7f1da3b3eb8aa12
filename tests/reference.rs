//! The CPU reference against values known independently of it: the tutorial outputs, limits,
//! and values derived by hand (series, exact identities), and every derivative against a
//! central finite difference of the forward reference.

use gpu_activations::{Activation, reference as r, ulp};

/// e^n by repeated multiplication of Euler's number: independent of the libm `exp` the
/// reference uses (relative error about n · 2^-53).
fn exp_by_product(n: i32) -> f64 {
    let p = (0..n.abs()).fold(1.0, |acc, _| acc * std::f64::consts::E);
    if n < 0 { 1.0 / p } else { p }
}

fn close(got: f32, want: f64) -> bool {
    ulp::error(got, want) <= 1.0 // the hand values carry ~1e-15 relative error: well inside 1 ULP
}

#[test]
fn tutorial_outputs() {
    let inputs = [1.0f32, -10.0, 0.0, 15.0, -20.0];
    let relu: Vec<String> = inputs
        .iter()
        .map(|&x| format!("Applying Relu on ({x:.1}) gives {:.1}", r::relu(x)))
        .collect();
    assert_eq!(
        relu,
        [
            "Applying Relu on (1.0) gives 1.0",
            "Applying Relu on (-10.0) gives 0.0",
            "Applying Relu on (0.0) gives 0.0",
            "Applying Relu on (15.0) gives 15.0",
            "Applying Relu on (-20.0) gives 0.0",
        ]
    );
    let leaky: Vec<String> = inputs
        .iter()
        .map(|&x| format!("Applying Leaky Relu on ({x:.1}) gives {:.1}", r::leaky_relu(x, 0.01)))
        .collect();
    assert_eq!(
        leaky,
        [
            "Applying Leaky Relu on (1.0) gives 1.0",
            "Applying Leaky Relu on (-10.0) gives -0.1",
            "Applying Leaky Relu on (0.0) gives 0.0",
            "Applying Leaky Relu on (15.0) gives 15.0",
            "Applying Leaky Relu on (-20.0) gives -0.2",
        ]
    );
    // Exactly the f32 product: 0.01f32 · -10 is a tie that rounds to even.
    assert_eq!(r::leaky_relu(-10.0, 0.01), 0.01f32 * -10.0);
}

#[test]
fn limits_at_infinity_and_nan() {
    let inf = f32::INFINITY;
    assert_eq!((r::sigmoid(-inf), r::sigmoid(inf)), (0.0, 1.0));
    assert_eq!((r::tanh(-inf), r::tanh(inf)), (-1.0, 1.0));
    assert_eq!(r::elu(-inf, 1.5), -1.5);
    assert_eq!(r::arctan(inf), std::f32::consts::FRAC_PI_2);
    assert_eq!(r::arctan(-inf), -std::f32::consts::FRAC_PI_2);
    assert_eq!((r::softplus(-inf), r::softplus(inf)), (0.0, inf));
    assert_eq!((r::sigmoid_grad(inf), r::tanh_grad(-inf), r::arctan_grad(inf)), (0.0, 0.0, 0.0));
    for act in Activation::ALL {
        assert!(r::forward(*act, f32::NAN).is_nan(), "{act}");
        assert!(r::backward(*act, f32::NAN, 1.0).is_nan(), "{act}");
        assert!(r::backward(*act, 1.0, f32::NAN).is_nan(), "{act}");
    }
}

#[test]
fn pytorch_conventions_at_the_kinks() {
    assert_eq!(r::relu_grad(0.0), 0.0);
    assert_eq!(r::relu_backward(0.0, 5.0), 0.0);
    assert_eq!(r::elu_backward(0.0, 3.0, 2.0), 6.0);
    assert_eq!(r::leaky_relu_grad(0.0, 0.01), 0.01);
    assert_eq!(r::elu_grad(0.0, 2.0), 2.0); // negative branch: alpha * e^0
    assert_eq!(r::softplus(21.0), 21.0); // linear past the threshold
    assert_eq!(r::softplus_grad(21.0), 1.0);
    // where f'(x) = 0 the gradient is 0 even for an infinite grad_out, as PyTorch's ReLU
    assert_eq!(r::backward(Activation::Relu, -1.0, f32::INFINITY), 0.0);
}

#[test]
fn hand_derived_values() {
    let e = std::f64::consts::E;
    let pi = std::f64::consts::PI;
    let e30 = exp_by_product(-30);
    // Exact identities.
    assert!(close(r::sigmoid(0.0), 0.5) && close(r::sigmoid_grad(0.0), 0.25));
    assert!(close(r::tanh_grad(0.0), 1.0) && close(r::arctan_grad(1.0), 0.5));
    assert!(close(r::arctan(1.0), pi / 4.0));
    assert!(close(r::softplus(0.0), std::f64::consts::LN_2) && close(r::softplus_grad(0.0), 0.5));
    assert!(close(r::elu(-1.0, 1.0), 1.0 / e - 1.0));
    assert!(close(r::tanh(0.5), (e - 1.0) / (e + 1.0))); // tanh(1/2) = (e - 1)/(e + 1)
    assert!(close(r::sigmoid(1.0), e / (1.0 + e)));
    // Series near 0: e^x - 1 = x + x²/2 + ..., tanh x = x - x³/3 + ...
    assert!(close(r::elu(-1e-7, 1.0), -1e-7 + 0.5e-14));
    assert!(close(r::tanh(1e-6), 1e-6 - 1e-18 / 3.0));
    // Tails: ln(1 + ε) = ε - ε²/2, σ'(x) = e^-x/(1 + e^-x)², tanh'(x) = 4e^-2x/(1 + e^-2x)².
    assert!(close(r::softplus(-30.0), e30 - e30 * e30 / 2.0));
    assert!(close(r::sigmoid_grad(30.0), e30 / ((1.0 + e30) * (1.0 + e30))));
    let e20 = exp_by_product(-20);
    assert!(close(r::tanh_grad(10.0), 4.0 * e20 / ((1.0 + e20) * (1.0 + e20))));
    assert!((r::sigmoid_grad(30.0) as f64 - 9.3576e-14).abs() < 1e-17);
    assert!((r::tanh_grad(10.0) as f64 - 8.2446e-9).abs() < 1e-12);
    assert!(close(r::arctan_grad(1e19), 1e-38)); // 1/(1 + x²) with x² = 1e38
}

#[test]
fn catalogue_values_by_hand() {
    let e = std::f64::consts::E;
    let (alpha, scale) = (1.673_263_242_354_377_3, 1.050_700_987_355_480_5); // PyTorch's SELU
    assert!(close(r::silu(1.0), e / (1.0 + e))); // 1·σ(1)
    assert!(close(r::silu_grad(0.0), 0.5));
    let w = (1.0 + e) * (1.0 + e); // tanh(ln(1 + e)) = (w − 1)/(w + 1)
    assert!(close(r::mish(1.0), (w - 1.0) / (w + 1.0)));
    assert!(close(r::mish_grad(0.0), 0.6)); // tanh(ln 2) = 3/5, plus 0
    assert!(close(r::selu(1.0), scale) && close(r::selu(-1.0), scale * alpha * (1.0 / e - 1.0)));
    assert!(close(r::celu(-1.0, 2.0), 2.0 * (1.0 / e.sqrt() - 1.0)));
    assert!(close(r::celu_grad(-1.0, 2.0), 1.0 / e.sqrt()));
    assert!(close(r::softsign(3.0), 0.75) && close(r::softsign_grad(3.0), 1.0 / 16.0));
    assert_eq!((r::hardtanh(-3.0, -2.0, 1.5), r::hardtanh(0.25, -2.0, 1.5)), (-2.0, 0.25));
    assert_eq!(
        (r::hardtanh_grad(1.5, -2.0, 1.5), r::relu6(7.0), r::relu6_grad(6.0)),
        (0.0, 6.0, 0.0)
    );
    assert!(close(r::hardsigmoid(1.0), 4.0 / 6.0) && close(r::hardswish(1.0), 4.0 / 6.0));
    assert!(close(r::hardswish_grad(1.0), 5.0 / 6.0));
    assert!(close(r::logsigmoid(0.0), -std::f64::consts::LN_2));
    let e30 = exp_by_product(-30); // ln σ(−30) = −30 − ln(1 + e^−30)
    assert!(close(r::logsigmoid(-30.0), -30.0 - e30));
    assert!(close(r::logsigmoid(30.0), -(e30 - e30 * e30 / 2.0)));
    let shrunk = (r::softshrink(2.0, 0.5), r::softshrink(-0.5, 0.5), r::softshrink(-1.0, 0.5));
    assert_eq!(shrunk, (1.5, 0.0, -0.5));
    assert_eq!((r::hardshrink(0.5, 0.5), r::hardshrink(-0.75, 0.5)), (0.0, -0.75));
    assert_eq!((r::threshold(0.1, 0.1, 20.0), r::threshold(0.2, 0.1, 20.0)), (20.0, 0.2));
    assert!(close(r::tanhshrink(1.0), 2.0 / (e * e + 1.0))); // 1 − (e² − 1)/(e² + 1)
    let x = 2f64.powi(-10); // exact in f32; x³/3 − 2x⁵/15, the next term ~1e-12 relative
    assert!(close(r::tanhshrink(x as f32), x.powi(3) / 3.0 - 2.0 * x.powi(5) / 15.0));
    assert!(close(r::tanhshrink_grad(1.0), ((e * e - 1.0) / (e * e + 1.0)).powi(2)));
    // Standard normal table values: Φ(1), Φ(−1), Φ(2), Φ(−5).
    assert!(close(r::gelu(1.0), 0.841_344_746_068_542_9));
    assert!(close(r::gelu(-1.0), -0.158_655_253_931_457_05));
    assert!(close(r::gelu(2.0), 2.0 * 0.977_249_868_051_820_8));
    assert!(close(r::gelu(-5.0), -5.0 * 2.866_515_718_791_939e-7));
    assert!(close(r::gelu_grad(0.0), 0.5) && close(r::gelu_tanh_grad(0.0), 0.5));
    // The tanh form taken literally, where it has no cancellation (x > 0).
    let u = (2.0 / std::f64::consts::PI).sqrt() * (1.0 + 0.044715);
    assert!(close(r::gelu_tanh(1.0), 0.5 * (1.0 + u.tanh())));
    // softplus_with(−1, β = 2) = ln(1 + e^−2)/2
    assert!(close(r::softplus_with(-1.0, 2.0, 20.0), (1.0 + 1.0 / (e * e)).ln() / 2.0));
}

#[test]
fn derivatives_match_central_differences_of_the_forward_reference() {
    let mut acts = Activation::ALL.to_vec();
    acts.extend([
        Activation::LeakyRelu { alpha: 0.1 },
        Activation::Elu { alpha: 1.3 },
        Activation::Softplus { beta: 2.0, threshold: 4.0 }, // linear from x = 2
        Activation::Celu { alpha: 0.4 },
        Activation::Hardtanh { min_val: -0.7, max_val: 2.0 },
    ]);
    // Smooth points only: away from every kink (0, ±0.5, 0.1, ±1, ±3, 6 and the softplus
    // thresholds).
    let points = [-7.5, -2.2, -1.2, -0.4, -0.01, 0.02, 0.3, 1.1, 2.5, 6.5, 9.0];
    for act in acts {
        for &x in &points {
            // Fourth-order central difference: truncation ~h⁴, rounding ~1e-16·|f|/h.
            let h = 1e-3 * f64::max(1.0, f64::abs(x));
            let f = |t: f64| r::forward_f64(act, t);
            let fd = (8.0 * (f(x + h) - f(x - h)) - (f(x + 2.0 * h) - f(x - 2.0 * h))) / (12.0 * h);
            let d = r::derivative_f64(act, x);
            assert!(
                (fd - d).abs() <= 1e-8 * d.abs().max(1e-3),
                "{act}'({x}): {d} vs finite difference {fd}"
            );
        }
    }
}
