//! A tensor larger than one storage binding (128 MiB = 33,554,432 f32 on lavapipe): it must be
//! processed in several bindings, every element in its right place.

mod common;

use gpu_activations::{Activation, reference};

#[test]
fn tensor_over_33_554_432_elements_is_processed_in_several_bindings() {
    let gpu = common::gpu();
    let n = 33_554_432 + 5;
    // Values that differ along the tensor, so a binding at the wrong offset shows.
    let xs: Vec<f32> = (0..n).map(|i| ((i % 1_000_003) as f32 - 500_000.0) * 1e-4).collect();
    let gs: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32 * 0.125).collect();
    let x = gpu.upload(&xs).unwrap();
    let g = gpu.upload(&gs).unwrap();
    for act in [Activation::LeakyRelu { alpha: 0.01 }, Activation::Tanh] {
        let y = gpu.download(&gpu.forward(act, &x).unwrap()).unwrap();
        let d = gpu.download(&gpu.backward(act, &x, &g).unwrap()).unwrap();
        assert_eq!((y.len(), d.len()), (n, n));
        let b = act.bounds();
        for i in 0..n {
            let x = xs[i] as f64;
            assert!(b.forward_ok(y[i], reference::forward_f64(act, x)), "{act} y[{i}]");
            let want = reference::backward_f64(act, x, gs[i] as f64);
            assert!(b.backward_ok(xs[i], gs[i], d[i], want), "{act} dx[{i}]");
        }
    }
}

/// The same splitting and grid spilling on a device joined with tiny limits (64 KiB bindings,
/// 2 workgroups per grid dimension), so both paths run on every adapter at a small size.
#[test]
fn small_device_limits_split_bindings_and_spill_the_grid_into_y() {
    let small = common::gpu_with_limits(|l| wgpu::Limits {
        max_storage_buffer_binding_size: 1 << 16,
        max_compute_workgroups_per_dimension: 2,
        ..l
    });
    // 100,003 floats: 25,001 vec4 = 7 bindings of at most 4,096 vec4, each 4 workgroups of
    // 1,024 vec4 laid out 2 x 2.
    let xs: Vec<f32> = (0..100_003).map(|i| (i as f32 - 50_000.0) * 1e-3).collect();
    let gs: Vec<f32> = (0..xs.len()).map(|i| 1.0 + (i % 5) as f32).collect();
    common::assert_matches_reference(&small, Activation::Sigmoid, &xs, &gs);
    common::assert_matches_reference(&small, Activation::LeakyRelu { alpha: 0.1 }, &xs, &gs);
}
