//! Helpers shared by the GPU test files.
#![allow(dead_code)]

use gpu_activations::{Activation, DType, GpuActivations, reference, ulp};

/// The adapter every GPU test runs on. A missing adapter fails the test (it never skips), with
/// the error's advice on installing lavapipe.
pub fn gpu() -> GpuActivations {
    match GpuActivations::new() {
        Ok(mut g) => {
            // Verification is on in every test build, release included; tests of the
            // unverified path turn it off themselves.
            g.set_verify(true);
            if let Some(wanted) = wgpu::Backends::from_env() {
                let got = g.adapter_info().backend;
                assert!(
                    wanted.contains(got.into()),
                    "WGPU_BACKEND asks for {wanted:?}, got {got:?}"
                );
            }
            g
        }
        Err(e) => panic!("GPU tests need an adapter (CI={:?}): {e}", std::env::var("CI").ok()),
    }
}

/// The special inputs the crate promises to handle.
pub fn specials() -> Vec<f32> {
    let mut v = vec![
        0.0,
        f32::INFINITY,
        f32::NAN,
        f32::from_bits(1),           // smallest subnormal
        f32::from_bits(0x0040_0000), // a mid subnormal
        f32::MIN_POSITIVE,
        1e-7,
        0.5,
        1.0,
        17.0,
        20.0,
        30.0,
        88.0,
        89.0,
        1e4,
        f32::MAX,
    ];
    let neg: Vec<f32> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

/// Deterministic values spread over every exponent and both signs: random bit patterns
/// (NaN, ±inf and subnormals included) mixed with values of moderate size.
pub fn random_values(n: usize, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            if i % 2 == 0 { f32::from_bits(rng.random()) } else { rng.random_range(-40.0f32..40.0) }
        })
        .collect()
}

/// Upstream gradients: mostly in [-2, 2], with a few specials to exercise NaN and inf handling.
pub fn grads(n: usize, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| match i % 97 {
            13 => f32::NAN,
            29 => f32::INFINITY,
            31 => 0.0,
            _ => rng.random_range(-2.0f32..2.0),
        })
        .collect()
}

/// Runs `act` forward and backward on the GPU and asserts every element is within the
/// activation's ULP bounds of the float64 reference.
pub fn assert_matches_reference(gpu: &GpuActivations, act: Activation, xs: &[f32], gs: &[f32]) {
    let x = gpu.upload(xs).unwrap();
    let g = gpu.upload(gs).unwrap();
    let y = gpu.download(&gpu.forward(act, &x).unwrap()).unwrap();
    let d = gpu.download(&gpu.backward(act, &x, &g).unwrap()).unwrap();
    assert_within_bounds("", act, xs, gs, &y, &d);
}

/// Asserts that `y` (forward) and `d` (backward with `gs`) computed for `act` at `xs` are
/// within the activation's ULP bounds of the float64 reference; failures start with `label`.
pub fn assert_within_bounds(
    label: &str,
    act: Activation,
    xs: &[f32],
    gs: &[f32],
    y: &[f32],
    d: &[f32],
) {
    assert_within_bounds_in(label, DType::F32, act, xs, gs, y, d);
}

/// [`assert_within_bounds`] for results stored as `dtype` (the bounds of that format, see
/// `Bounds::forward_ok_in`).
pub fn assert_within_bounds_in(
    label: &str,
    dtype: DType,
    act: Activation,
    xs: &[f32],
    gs: &[f32],
    y: &[f32],
    d: &[f32],
) {
    assert_eq!((y.len(), d.len()), (xs.len(), xs.len()));
    let b = act.bounds();
    for i in 0..xs.len() {
        let want = reference::forward_f64(act, xs[i] as f64);
        assert!(
            b.forward_ok_in(dtype, y[i], want),
            "{label}{act} forward at x = {:e}: GPU {:e}, reference {want:e} ({} ULP of {})",
            xs[i],
            y[i],
            ulp::error_in(dtype, y[i], want),
            dtype.name()
        );
        let want = reference::backward_f64(act, xs[i] as f64, gs[i] as f64);
        assert!(
            b.backward_ok_in(dtype, xs[i], gs[i], d[i], want),
            "{label}{act} backward at x = {:e}, grad_out = {:e}: GPU {:e}, reference {want:e} ({} ULP of {})",
            xs[i],
            gs[i],
            d[i],
            ulp::error_in(dtype, d[i], want),
            dtype.name()
        );
    }
}

/// A second `GpuActivations` on the test adapter, joined through `from_device` to a device
/// whose limits `limit` lowers (to reach size, grid and binding paths at small sizes).
pub fn gpu_with_limits(limit: impl FnOnce(wgpu::Limits) -> wgpu::Limits) -> GpuActivations {
    let backend = gpu().adapter_info().backend;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backend.into(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&Default::default())).unwrap();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: limit(adapter.limits()),
        ..Default::default()
    }))
    .unwrap();
    GpuActivations::from_device(device, queue).unwrap()
}

/// Runs a kernel of the test's own, as an application would: `resources` bound at bindings
/// 0, 1, … of `pipeline`'s group 0, `groups` workgroups, submitted on the crate's queue.
pub fn dispatch(
    gpu: &GpuActivations,
    pipeline: &wgpu::ComputePipeline,
    resources: Vec<wgpu::BindingResource>,
    groups: u32,
) {
    let entries: Vec<wgpu::BindGroupEntry> = resources
        .into_iter()
        .enumerate()
        .map(|(i, resource)| wgpu::BindGroupEntry { binding: i as u32, resource })
        .collect();
    let bind_group = gpu.device().create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut encoder = gpu.device().create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(groups, 1, 1);
    }
    gpu.queue().submit([encoder.finish()]);
}
