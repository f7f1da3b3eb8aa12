//! Property tests: a random activation from the table with random valid parameters, a random
//! length (0 to 300,000, biased to the sizes where the code changes path), values drawn from
//! every exponent with NaN, ±∞ and subnormals, run through every way of calling it (forward,
//! backward, in place, a batch with handles dropped at random points before `submit`, and
//! `encode_*`). Verification is off; every result is compared on the host with the float64
//! reference, within the activation's published [`Bounds`](gpu_activations::Bounds).
//! Invalid parameters are always an `Error`.
//!
//! `PROPTEST_CASES=N cargo test --test properties` runs N cases per property (default 16, to
//! keep CI quick).

mod common;

use gpu_activations::{Activation, Error, GpuActivations, GpuBuffer, reference, ulp};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16)
}

/// One adapter per test, opened by the test and dropped when it returns (opening one per case
/// would dominate the run). Not a static: a device left alive into the process's exit races
/// the driver's own teardown (lavapipe once aborted there with "LLVM ERROR: out of memory"
/// after every test had passed); nor a thread-local, whose destructor runs too late for
/// wgpu-core's own thread-locals.
fn gpu() -> GpuActivations {
    let mut gpu = common::gpu();
    gpu.set_verify(false);
    gpu
}

/// Runs `test` on `cases()` inputs drawn from `strategy`, panicking with the smallest failing
/// input proptest finds.
fn check_all<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = ProptestConfig { cases: cases(), ..ProptestConfig::default() };
    if let Err(e) = proptest::test_runner::TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// `act` with its parameters replaced by `p` (in the order of `param_names`).
fn with_params(act: Activation, p: [f32; 4]) -> Activation {
    match act {
        Activation::LeakyRelu { .. } => Activation::LeakyRelu { alpha: p[0] },
        Activation::Elu { .. } => Activation::Elu { alpha: p[0] },
        Activation::Softplus { .. } => Activation::Softplus { beta: p[0], threshold: p[1] },
        Activation::Celu { .. } => Activation::Celu { alpha: p[0] },
        Activation::Hardtanh { .. } => Activation::Hardtanh { min_val: p[0], max_val: p[1] },
        Activation::Softshrink { .. } => Activation::Softshrink { lambda: p[0] },
        Activation::Hardshrink { .. } => Activation::Hardshrink { lambda: p[0] },
        Activation::Threshold { .. } => Activation::Threshold { threshold: p[0], value: p[1] },
        other => other,
    }
}

/// A parameter value: small, moderate or of any exponent from 2⁻²⁰ to 2²⁰, either sign.
fn param() -> impl Strategy<Value = f32> {
    prop_oneof![
        -4.0f32..4.0,
        (-20i32..20, any::<bool>(), 1.0f32..2.0)
            .prop_map(|(e, neg, m)| if neg { -m } else { m } * 2f32.powi(e)),
        Just(0.0f32),
    ]
}

/// A random activation with parameters made valid (positive β, non-zero α for CELU, ordered
/// hardtanh bounds, non-negative λ).
fn valid_activation() -> impl Strategy<Value = Activation> {
    (0..Activation::ALL.len(), [param(), param(), param(), param()]).prop_map(|(i, mut p)| {
        let act = Activation::ALL[i];
        match act {
            Activation::Softplus { .. } => p[0] = p[0].abs().max(1.0 / 64.0),
            Activation::Celu { .. } if p[0] == 0.0 => p[0] = 1.0,
            Activation::Hardtanh { .. } if p[0] > p[1] => p.swap(0, 1),
            Activation::Softshrink { .. } | Activation::Hardshrink { .. } => p[0] = p[0].abs(),
            _ => {}
        }
        with_params(act, p)
    })
}

/// A parameterized activation with one parameter made invalid.
fn invalid_activation() -> impl Strategy<Value = Activation> {
    let bad = prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)];
    (0..Activation::ALL.len(), bad, 0usize..2, -4.0f32..-0.001).prop_filter_map(
        "has parameters",
        |(i, v, slot, negative)| {
            let act = Activation::ALL[i];
            let n = act.param_names().len();
            if n == 0 {
                return None;
            }
            let mut p = act.params();
            p[slot % n] = v;
            // Also the domain errors: β ≤ 0, α = 0 for CELU, min > max, λ < 0.
            let domain = match act {
                Activation::Softplus { .. } => Some([negative, 20.0, 0.0, 0.0]),
                Activation::Celu { .. } => Some([0.0; 4]),
                Activation::Hardtanh { .. } => Some([1.0, negative, 0.0, 0.0]),
                Activation::Softshrink { .. } | Activation::Hardshrink { .. } => {
                    Some([negative, 0.0, 0.0, 0.0])
                }
                _ => None,
            };
            Some(match (slot, domain) {
                (1, Some(d)) => with_params(act, d),
                _ => with_params(act, p),
            })
        },
    )
}

/// Lengths biased to 0, 1, 3, 4, 5, one and two workgroups of the kernel (256 words of 8 =
/// 2,048 floats, and 4,096), the fusing limit of batches (65,536) and their neighbours, and
/// anything up to 300,000.
fn length() -> impl Strategy<Value = usize> {
    let edges =
        [0usize, 1, 3, 4, 5, 2_047, 2_048, 2_049, 4_095, 4_096, 4_097, 65_535, 65_536, 65_537];
    prop_oneof![
        3 => proptest::sample::select(edges.to_vec()),
        2 => 1usize..64,
        1 => 0usize..300_000,
    ]
}

/// `n` values from `seed`: half are random bit patterns (every exponent, NaN, ±∞ and
/// subnormals), half moderate; a few specials placed at random.
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let specials = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::from_bits(1)];
    (0..n)
        .map(|_| match rng.random_range(0..16) {
            0 => specials[rng.random_range(0..specials.len())],
            1..=8 => f32::from_bits(rng.random()),
            _ => rng.random_range(-40.0f32..40.0),
        })
        .collect()
}

/// Every element of a forward result within the bound, or the first one that is not.
fn check_forward(act: Activation, xs: &[f32], ys: &[f32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(xs.len(), ys.len());
    let b = act.bounds();
    for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
        let want = reference::forward_f64(act, x as f64);
        prop_assert!(
            b.forward_ok(y, want),
            "{:?} forward [{}] x = {:e}: GPU {:e}, reference {:e} ({} ULP)",
            act,
            i,
            x,
            y,
            want,
            ulp::error(y, want)
        );
    }
    Ok(())
}

fn check_backward(
    act: Activation,
    xs: &[f32],
    gs: &[f32],
    ds: &[f32],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(xs.len(), ds.len());
    let b = act.bounds();
    for i in 0..xs.len() {
        let want = reference::backward_f64(act, xs[i] as f64, gs[i] as f64);
        prop_assert!(
            b.backward_ok(xs[i], gs[i], ds[i], want),
            "{:?} backward [{}] x = {:e}, grad_out = {:e}: GPU {:e}, reference {:e} ({} ULP)",
            act,
            i,
            xs[i],
            gs[i],
            ds[i],
            want,
            ulp::error(ds[i], want)
        );
    }
    Ok(())
}

fn download(gpu: &GpuActivations, buf: &GpuBuffer) -> Vec<f32> {
    gpu.download(buf).unwrap()
}

/// Forward, backward, in place and encoded, on one random tensor.
#[test]
fn every_call_form_is_within_bounds() {
    let gpu = gpu();
    check_all((valid_activation(), length(), any::<u64>()), |(act, n, seed)| {
        let xs = values(n, seed);
        let gs = values(n, seed ^ 0x9e37_79b9);
        let x = gpu.upload(&xs).unwrap();
        let g = gpu.upload(&gs).unwrap();
        check_forward(act, &xs, &download(&gpu, &gpu.forward(act, &x).unwrap()))?;
        check_backward(act, &xs, &gs, &download(&gpu, &gpu.backward(act, &x, &g).unwrap()))?;

        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        let ye = gpu.encode_forward(&mut encoder, act, &x).unwrap();
        let de = gpu.encode_backward(&mut encoder, act, &x, &g).unwrap();
        gpu.queue().submit([encoder.finish()]);
        check_forward(act, &xs, &download(&gpu, &ye))?;
        check_backward(act, &xs, &gs, &download(&gpu, &de))?;

        gpu.forward_inplace(act, &x).unwrap();
        check_forward(act, &xs, &download(&gpu, &x))?;
        Ok(())
    });
}

/// A batch of several operations with tensors dropped at random points before `submit`,
/// while other work is submitted in between (which would take any memory given back early).
#[test]
fn batches_survive_dropped_handles() {
    let gpu = gpu();
    let op = (valid_activation(), length(), any::<u64>(), any::<bool>(), 0u8..4);
    check_all((proptest::collection::vec(op, 1..6), any::<bool>()), |(ops, interleave)| {
        let mut batch = gpu.batch();
        let mut kept = Vec::new();
        for (act, n, seed, backward, drop_what) in ops {
            let n = n.min(70_000); // several small and large ones per batch
            let xs = values(n, seed);
            let gs = values(n, !seed);
            let x = gpu.upload(&xs).unwrap();
            let g = gpu.upload(&gs).unwrap();
            let y = if backward {
                batch.backward(act, &x, &g).unwrap()
            } else {
                batch.forward(act, &x).unwrap()
            };
            // 0: keep everything; 1: drop the inputs; 2: drop the result; 3: drop all.
            if drop_what & 1 != 0 {
                drop((x, g));
            }
            if drop_what & 2 != 0 {
                drop(y);
            } else {
                kept.push((act, xs, backward.then_some(gs), y));
            }
            if interleave {
                let noise = gpu.upload(&vec![7.0; n]).unwrap();
                drop(gpu.forward(Activation::Relu, &noise).unwrap());
                let _busy = gpu.forward(Activation::Tanh, &noise).unwrap();
            }
        }
        batch.submit().unwrap();
        for (act, xs, gs, y) in kept {
            match gs {
                None => check_forward(act, &xs, &download(&gpu, &y))?,
                Some(gs) => check_backward(act, &xs, &gs, &download(&gpu, &y))?,
            }
        }
        Ok(())
    });
}

/// Invalid parameters are an `Error` from every entry point, never a panic or a result.
#[test]
fn invalid_parameters_are_errors() {
    let gpu = gpu();
    check_all(invalid_activation(), |act| {
        prop_assert!(act.validate().is_err());
        let x = gpu.upload(&[1.0, -1.0, 0.5]).unwrap();
        let is_param =
            |r: Result<GpuBuffer, Error>| matches!(r, Err(Error::InvalidParameter { .. }));
        prop_assert!(is_param(gpu.forward(act, &x)));
        prop_assert!(is_param(gpu.backward(act, &x, &x)));
        let inplace = gpu.forward_inplace(act, &x);
        prop_assert!(matches!(inplace, Err(Error::InvalidParameter { .. })), "{:?}", inplace);
        prop_assert!(is_param(gpu.batch().forward(act, &x)));
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        prop_assert!(is_param(gpu.encode_forward(&mut encoder, act, &x)));
        prop_assert_eq!(download(&gpu, &x), vec![1.0, -1.0, 0.5]);
        Ok(())
    });
}
