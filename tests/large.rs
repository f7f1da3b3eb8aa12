//! A tensor larger than one storage binding (128 MiB = 33,554,432 f32 on lavapipe): it must be
//! processed in several bindings, every element in its right place.

mod common;

use gpu_activations::{Activation, reference, ulp};

#[test]
fn tensor_over_33_554_432_elements_is_processed_in_several_bindings() {
    let gpu = common::gpu();
    let n = 33_554_432 + 5;
    // Values that differ along the tensor, so a binding at the wrong offset shows.
    let xs: Vec<f32> = (0..n)
        .map(|i| ((i % 1_000_003) as f32 - 500_000.0) * 1e-4)
        .collect();
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
            assert!(
                ulp::within(y[i], reference::forward_f64(act, x), b.forward_ulp),
                "{act} y[{i}]"
            );
            let want = reference::backward_f64(act, x, gs[i] as f64);
            assert!(ulp::within(d[i], want, b.backward_ulp), "{act} dx[{i}]");
        }
    }
}
