//! Every activation, forward and backward, on the real adapter against the float64 reference.

mod common;

use common::{assert_matches_reference, gpu, grads, random_values, specials};
use gpu_activations::Activation;

#[test]
fn special_values_match_the_reference() {
    let gpu = gpu();
    let xs = specials();
    for act in Activation::ALL {
        // Each special input once with grad_out 1 and once with a varied gradient.
        let mut x2 = xs.clone();
        x2.extend(&xs);
        let mut g = vec![1.0; xs.len()];
        g.extend(grads(xs.len(), 7));
        assert_matches_reference(&gpu, *act, &x2, &g);
    }
}

#[test]
fn random_values_across_all_exponents_match_the_reference() {
    let gpu = gpu();
    for (k, act) in Activation::ALL.iter().enumerate() {
        let xs = random_values(1 << 16, 100 + k as u64);
        let gs = grads(xs.len(), 200 + k as u64);
        assert_matches_reference(&gpu, *act, &xs, &gs);
    }
}

#[test]
fn non_default_parameters_match_the_reference() {
    let gpu = gpu();
    let xs = random_values(1 << 14, 5);
    let gs = grads(xs.len(), 6);
    for act in [
        Activation::LeakyRelu { alpha: 0.3 },
        Activation::LeakyRelu { alpha: -2.5 },
        Activation::Elu { alpha: 0.5 },
        Activation::Elu { alpha: 2.0 },
        Activation::Softplus { beta: 1.0, threshold: 5.0 },
        Activation::Softplus { beta: 2.0, threshold: 20.0 },
    ] {
        assert_matches_reference(&gpu, act, &xs, &gs);
    }
}

/// The property test's find: softplus with β = 0.3527283 at x = −10.922174 measured 4.05 ULP
/// (bound 4) while every step of its WGSL, emulated in f32, gives 2.05. The shader compiler had
/// reassociated e^r = 1 + (r + r²P) into (1 + r) + r²P, rounding twice at full size;
/// `exp_reduced` (numerics.wgsl) now holds the sum together. The 4,001 f32 values around that x,
/// forward and backward, on the pipeline whose β is read at run time.
#[test]
fn the_exponential_is_rounded_once_where_the_compiler_would_round_twice() {
    let gpu = gpu();
    let x0 = -10.922174f32;
    let xs: Vec<f32> =
        (-2000..=2000).map(|d: i32| f32::from_bits((x0.to_bits() as i32 + d) as u32)).collect();
    let gs = grads(xs.len(), 8);
    let act = Activation::Softplus { beta: 0.3527283, threshold: 0.0 };
    assert_matches_reference(&gpu, act, &xs, &gs);
}

#[test]
fn every_length_including_vec4_tails() {
    let gpu = gpu();
    for &n in &[1usize, 3, 4, 5, 255, 256, 257, 1023, 1024, 1025] {
        let xs = random_values(n, n as u64);
        let gs = grads(n, 1000 + n as u64);
        for act in Activation::ALL {
            assert_matches_reference(&gpu, *act, &xs, &gs);
        }
    }
}

/// Limits written out by hand (not taken from the reference): the mathematical values at ±inf,
/// NaN propagation, and the PyTorch conventions at the kinks.
#[test]
fn limits_kinks_and_nan_by_hand() {
    let gpu = gpu();
    let inf = f32::INFINITY;
    let pi_2 = std::f32::consts::FRAC_PI_2;
    #[rustfmt::skip]
    let forward: &[(Activation, f32, f32)] = &[
        (Activation::Sigmoid, -inf, 0.0), (Activation::Sigmoid, inf, 1.0),
        (Activation::Tanh, -inf, -1.0), (Activation::Tanh, inf, 1.0),
        (Activation::Elu { alpha: 1.5 }, -inf, -1.5), (Activation::Elu { alpha: 1.0 }, inf, inf),
        (Activation::Arctan, -inf, -pi_2), (Activation::Arctan, inf, pi_2),
        (Activation::Softplus { beta: 1.0, threshold: 20.0 }, -inf, 0.0),
        (Activation::Softplus { beta: 1.0, threshold: 20.0 }, inf, inf),
        (Activation::Softplus { beta: 1.0, threshold: 20.0 }, 25.0, 25.0),
        (Activation::Relu, -inf, 0.0), (Activation::Relu, inf, inf),
        (Activation::LeakyRelu { alpha: 0.01 }, -inf, -inf),
        (Activation::Identity, -inf, -inf),
        (Activation::Silu, -inf, 0.0), (Activation::Silu, inf, inf),
        (Activation::Mish, -inf, 0.0), (Activation::Mish, inf, inf),
        (Activation::Selu, -inf, -1.758_099_3), (Activation::Selu, inf, inf),
        (Activation::Celu { alpha: 2.0 }, -inf, -2.0), (Activation::Celu { alpha: 2.0 }, inf, inf),
        (Activation::Softsign, -inf, -1.0), (Activation::Softsign, inf, 1.0),
        (Activation::Hardtanh { min_val: -2.0, max_val: 3.0 }, -inf, -2.0),
        (Activation::Hardtanh { min_val: -2.0, max_val: 3.0 }, inf, 3.0),
        (Activation::Relu6, -inf, 0.0), (Activation::Relu6, inf, 6.0), (Activation::Relu6, 7.0, 6.0),
        (Activation::Hardsigmoid, -inf, 0.0), (Activation::Hardsigmoid, inf, 1.0),
        (Activation::Hardsigmoid, 0.0, 0.5),
        (Activation::Hardswish, -inf, 0.0), (Activation::Hardswish, inf, inf),
        (Activation::Hardswish, -3.0, 0.0), (Activation::Hardswish, 3.0, 3.0),
        (Activation::Logsigmoid, -inf, -inf), (Activation::Logsigmoid, inf, 0.0),
        (Activation::Softshrink { lambda: 0.5 }, 0.5, 0.0), (Activation::Softshrink { lambda: 0.5 }, 2.0, 1.5),
        (Activation::Softshrink { lambda: 0.5 }, -inf, -inf),
        (Activation::Hardshrink { lambda: 0.5 }, 0.5, 0.0), (Activation::Hardshrink { lambda: 0.5 }, -0.75, -0.75),
        (Activation::Threshold { threshold: 1.0, value: -7.0 }, 1.0, -7.0),
        (Activation::Threshold { threshold: 1.0, value: -7.0 }, 1.5, 1.5),
        (Activation::Threshold { threshold: 1.0, value: -7.0 }, -inf, -7.0),
    ];
    for &(act, x, want) in forward {
        let y = gpu.download(&gpu.forward(act, &gpu.upload(&[x]).unwrap()).unwrap()).unwrap();
        assert_eq!(y[0], want, "{act}({x})");
    }
    // Derivatives at the kinks, with grad_out = 1.
    #[rustfmt::skip]
    let backward: &[(Activation, f32, f32)] = &[
        (Activation::Relu, 0.0, 0.0), (Activation::Relu, -0.0, 0.0), (Activation::Relu, 1e-30, 1.0),
        (Activation::LeakyRelu { alpha: 0.01 }, 0.0, 0.01),
        (Activation::LeakyRelu { alpha: 0.01 }, -5.0, 0.01),
        (Activation::Elu { alpha: 2.0 }, 0.0, 2.0), // negative branch at 0: alpha * e^0
        (Activation::Softplus { beta: 1.0, threshold: 20.0 }, 21.0, 1.0),
        (Activation::Sigmoid, 0.0, 0.25), (Activation::Tanh, 0.0, 1.0), (Activation::Arctan, 0.0, 1.0),
        (Activation::Sigmoid, inf, 0.0), (Activation::Tanh, -inf, 0.0), (Activation::Arctan, inf, 0.0),
        (Activation::Silu, -inf, 0.0), (Activation::Silu, inf, 1.0), (Activation::Silu, 0.0, 0.5),
        (Activation::Mish, -inf, 0.0), (Activation::Mish, inf, 1.0), (Activation::Mish, 0.0, 0.6),
        (Activation::Selu, -inf, 0.0), (Activation::Selu, 1.0, 1.050_701),
        (Activation::Celu { alpha: 2.0 }, 0.0, 1.0), (Activation::Softsign, 1.0, 0.25),
        (Activation::Hardtanh { min_val: -2.0, max_val: 3.0 }, -2.0, 0.0),
        (Activation::Hardtanh { min_val: -2.0, max_val: 3.0 }, 3.0, 0.0),
        (Activation::Hardtanh { min_val: -2.0, max_val: 3.0 }, 0.0, 1.0),
        (Activation::Relu6, 0.0, 0.0), (Activation::Relu6, 6.0, 0.0), (Activation::Relu6, 5.0, 1.0),
        (Activation::Hardsigmoid, 3.0, 0.0), (Activation::Hardsigmoid, -3.0, 0.0),
        (Activation::Hardswish, -3.0, 0.0), (Activation::Hardswish, 3.0, 1.0), (Activation::Hardswish, 4.0, 1.0),
        (Activation::Hardswish, -4.0, 0.0),
        (Activation::Logsigmoid, -inf, 1.0), (Activation::Logsigmoid, inf, 0.0), (Activation::Logsigmoid, 0.0, 0.5),
        (Activation::Softshrink { lambda: 0.5 }, 0.5, 0.0), (Activation::Softshrink { lambda: 0.5 }, -0.6, 1.0),
        (Activation::Hardshrink { lambda: 0.5 }, -0.5, 0.0), (Activation::Hardshrink { lambda: 0.5 }, 0.6, 1.0),
        (Activation::Threshold { threshold: 1.0, value: -7.0 }, 1.0, 0.0),
        (Activation::Threshold { threshold: 1.0, value: -7.0 }, 1.5, 1.0),
    ];
    let one = gpu.upload(&[1.0]).unwrap();
    for &(act, x, want) in backward {
        let d =
            gpu.download(&gpu.backward(act, &gpu.upload(&[x]).unwrap(), &one).unwrap()).unwrap();
        assert_eq!(d[0], want, "{act}'({x})");
    }
    // NaN in gives NaN out, forward and backward, for every activation.
    let x = gpu.upload(&[f32::NAN, -f32::NAN, 1.0]).unwrap();
    let g = gpu.upload(&[1.0, 1.0, f32::NAN]).unwrap();
    for act in Activation::ALL {
        let y = gpu.download(&gpu.forward(*act, &x).unwrap()).unwrap();
        assert!(y[0].is_nan() && y[1].is_nan(), "{act} forward of NaN gave {y:?}");
        let d = gpu.download(&gpu.backward(*act, &x, &g).unwrap()).unwrap();
        assert!(d.iter().all(|v| v.is_nan()), "{act} backward with NaN gave {d:?}");
    }
}

/// The tails the crate promises: expm1/log1p quality near 0 and derivatives that keep their
/// digits where they are tiny. Expected values from series and exp products (see reference.rs
/// tests for their derivation).
#[test]
fn accurate_tails() {
    let gpu = gpu();
    let e30 = 9.357_622_968_840_175e-14; // e^-30
    #[rustfmt::skip]
    let cases: &[(Activation, bool, f32, f64)] = &[
        (Activation::Elu { alpha: 1.0 }, false, -1e-7, -1e-7 + 5e-15),
        (Activation::Softplus { beta: 1.0, threshold: 20.0 }, false, -30.0, e30 - e30 * e30 / 2.0),
        (Activation::Sigmoid, true, 30.0, e30 / ((1.0 + e30) * (1.0 + e30))),
        (Activation::Tanh, true, 10.0, 8.244_614_546_626_394e-9),
        (Activation::Tanh, false, 1e-6, 1e-6 - 1e-18 / 3.0),
    ];
    let one = gpu.upload(&[1.0]).unwrap();
    for &(act, backward, x, want) in cases {
        let xb = gpu.upload(&[x]).unwrap();
        let out = if backward { gpu.backward(act, &xb, &one) } else { gpu.forward(act, &xb) };
        let got = gpu.download(&out.unwrap()).unwrap()[0];
        let bound = if backward { act.bounds().backward_ulp } else { act.bounds().forward_ulp };
        assert!(
            gpu_activations::ulp::error(got, want) <= bound,
            "{act} {} at {x}: {got:e} vs {want:e}",
            if backward { "backward" } else { "forward" }
        );
    }
}

#[test]
fn named_methods_equal_the_table_forms() {
    let gpu = gpu();
    let xs = random_values(1000, 42);
    let x = gpu.upload(&xs).unwrap();
    let g = gpu.upload(&grads(1000, 43)).unwrap();
    let d = |b: gpu_activations::GpuBuffer| -> Vec<u32> {
        gpu.download(&b).unwrap().iter().map(|v| v.to_bits()).collect()
    };
    let pairs = [
        (d(gpu.identity(&x).unwrap()), Activation::Identity),
        (d(gpu.relu(&x).unwrap()), Activation::Relu),
        (d(gpu.leaky_relu(&x, 0.2).unwrap()), Activation::LeakyRelu { alpha: 0.2 }),
        (d(gpu.elu(&x, 0.7).unwrap()), Activation::Elu { alpha: 0.7 }),
        (d(gpu.softplus(&x).unwrap()), Activation::Softplus { beta: 1.0, threshold: 20.0 }),
        (d(gpu.sigmoid(&x).unwrap()), Activation::Sigmoid),
        (d(gpu.tanh(&x).unwrap()), Activation::Tanh),
        (d(gpu.arctan(&x).unwrap()), Activation::Arctan),
    ];
    for (named, act) in pairs {
        assert_eq!(named, d(gpu.forward(act, &x).unwrap()), "{act} forward");
    }
    let pairs = [
        (d(gpu.identity_backward(&x, &g).unwrap()), Activation::Identity),
        (d(gpu.relu_backward(&x, &g).unwrap()), Activation::Relu),
        (d(gpu.leaky_relu_backward(&x, &g, 0.2).unwrap()), Activation::LeakyRelu { alpha: 0.2 }),
        (d(gpu.elu_backward(&x, &g, 0.7).unwrap()), Activation::Elu { alpha: 0.7 }),
        (
            d(gpu.softplus_backward(&x, &g).unwrap()),
            Activation::Softplus { beta: 1.0, threshold: 20.0 },
        ),
        (d(gpu.sigmoid_backward(&x, &g).unwrap()), Activation::Sigmoid),
        (d(gpu.tanh_backward(&x, &g).unwrap()), Activation::Tanh),
        (d(gpu.arctan_backward(&x, &g).unwrap()), Activation::Arctan),
    ];
    for (named, act) in pairs {
        assert_eq!(named, d(gpu.backward(act, &x, &g).unwrap()), "{act} backward");
    }
}

#[test]
fn inputs_are_never_modified() {
    let gpu = gpu();
    let xs = random_values(4097, 9);
    let gs = grads(4097, 10);
    let x = gpu.upload(&xs).unwrap();
    let g = gpu.upload(&gs).unwrap();
    for act in Activation::ALL {
        gpu.forward(*act, &x).unwrap();
        gpu.backward(*act, &x, &g).unwrap();
    }
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(gpu.download(&x).unwrap()), bits(xs));
    assert_eq!(bits(gpu.download(&g).unwrap()), bits(gs));
}

#[test]
fn tutorial_outputs_on_the_gpu() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0, -10.0, 0.0, 15.0, -20.0]).unwrap();
    assert_eq!(gpu.download(&gpu.relu(&x).unwrap()).unwrap(), [1.0, 0.0, 0.0, 15.0, 0.0]);
    // 0.01f32 * -10 is an exact tie between two f32s; round-to-even gives -0.099999994.
    let leaky = gpu.download(&gpu.leaky_relu(&x, 0.01).unwrap()).unwrap();
    assert_eq!(leaky, [1.0, 0.01f32 * -10.0, 0.0, 15.0, 0.01f32 * -20.0]);
    let shown: Vec<String> = leaky.iter().map(|v| format!("{v:.1}")).collect();
    assert_eq!(shown, ["1.0", "-0.1", "0.0", "15.0", "-0.2"]);
}

#[test]
fn operations_can_be_shared_across_threads() {
    let gpu = std::sync::Arc::new(gpu());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let gpu = gpu.clone();
            std::thread::spawn(move || {
                let xs = random_values(5000, t);
                let x = gpu.upload(&xs).unwrap();
                let y = gpu.download(&gpu.sigmoid(&x).unwrap()).unwrap();
                (xs, y)
            })
        })
        .collect();
    for h in handles {
        let (xs, y) = h.join().unwrap();
        for (x, y) in xs.iter().zip(y) {
            let want = gpu_activations::reference::forward_f64(Activation::Sigmoid, *x as f64);
            assert!(gpu_activations::ulp::within(y, want, 4.0));
        }
    }
}

/// grad_out · f′(x) must keep its accuracy where f′(x) alone is below the f32 range but the
/// product is not (huge upstream gradients in the tails).
#[test]
fn huge_gradients_times_tiny_derivatives() {
    let gpu = gpu();
    let xs: Vec<f32> = [-95.0f32, -100.0, -150.0, -177.0, 45.0, 50.0, 60.0, 1e20, -3e38, 3e38]
        .iter()
        .flat_map(|&x| [x; 4])
        .collect();
    let gs: Vec<f32> =
        (0..xs.len()).map(|i| [1e30f32, -3e38, 2f32.powi(100), 1.5][i % 4]).collect();
    for act in Activation::ALL {
        assert_matches_reference(&gpu, *act, &xs, &gs);
    }
    let random_exponent_grads: Vec<f32> =
        random_values(1 << 14, 77).into_iter().map(|g| if g.is_nan() { 1.0 } else { g }).collect();
    for act in Activation::ALL {
        assert_matches_reference(&gpu, *act, &random_values(1 << 14, 78), &random_exponent_grads);
    }
}

/// Hardswish′ at its knees as current PyTorch's `hardswish_backward` gives it: 0 for x ≤ −3,
/// (2x + 3)/6 strictly between −3 and 3, 1 for x ≥ 3; so hardswish′(−3) = 0 and
/// hardswish′(3) = 1. Checked on the reference and on the GPU, verification off and on.
#[test]
fn hardswish_gradient_at_the_knees_as_pytorch() {
    let act = Activation::Hardswish;
    // The f32 neighbours of ±3: 3 ∓ 2^-22 inside, 3 ± 2^-22 outside.
    let (in_lo, out_lo) = (f32::from_bits(0xc03f_ffff), f32::from_bits(0xc040_0001));
    let (in_hi, out_hi) = (f32::from_bits(0x403f_ffff), f32::from_bits(0x4040_0001));
    assert_eq!((in_lo as f64, out_lo as f64), (-3.0 + 2f64.powi(-22), -3.0 - 2f64.powi(-22)));
    assert_eq!((in_hi as f64, out_hi as f64), (3.0 - 2f64.powi(-22), 3.0 + 2f64.powi(-22)));
    // Strictly inside: (2x + 3)/6, here −1/2 + 2^-22/3 and 3/2 − 2^-22/3, rounded once.
    let between = |x: f32| ((2.0 * x as f64 + 3.0) / 6.0) as f32;
    assert_eq!(between(in_lo), (-0.5 + 2f64.powi(-22) / 3.0) as f32);
    assert_eq!(between(in_hi), (1.5 - 2f64.powi(-22) / 3.0) as f32);
    #[rustfmt::skip]
    let cases: [(f32, f32); 8] = [
        (-4.0, 0.0), (out_lo, 0.0), (-3.0, 0.0), (in_lo, between(in_lo)),
        (in_hi, between(in_hi)), (3.0, 1.0), (out_hi, 1.0), (4.0, 1.0),
    ];
    for (x, want) in cases {
        assert_eq!(gpu_activations::reference::hardswish_grad(x), want, "reference at {x}");
    }
    for verify in [false, true] {
        let mut gpu = gpu();
        gpu.set_verify(verify);
        let xs: Vec<f32> = cases.iter().map(|c| c.0).collect();
        let x = gpu.upload(&xs).unwrap();
        let d = gpu.backward(act, &x, &gpu.upload(&[1.0; 8]).unwrap()).unwrap();
        let d = gpu.download(&d).unwrap();
        for ((x, want), got) in cases.into_iter().zip(d) {
            if x.abs() >= 3.0 {
                assert_eq!(got, want, "GPU at {x} (verify {verify})");
            } else {
                assert!(gpu_activations::ulp::error(got, want as f64) <= 1.0, "GPU at {x}: {got}");
            }
        }
        // f′(−3) = 0 exactly, so even an infinite grad_out gives 0; f′(3) = 1 passes it on.
        let x = gpu.upload(&[-3.0, 3.0]).unwrap();
        let g = gpu.upload(&[f32::INFINITY, -f32::INFINITY]).unwrap();
        let d = gpu.download(&gpu.backward(act, &x, &g).unwrap()).unwrap();
        assert_eq!(d, [0.0, -f32::INFINITY], "verify {verify}");
    }
}
