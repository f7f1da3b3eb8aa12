//! The `*_into` forms against the reference, and their argument errors.

mod common;

use gpu_activations::{Activation, Error, reference};

#[test]
fn results_written_into_the_callers_tensors_match_the_reference() {
    for verify in [false, true] {
        let mut gpu = common::gpu();
        gpu.set_verify(verify);
        let xs = common::random_values(4_099, 11);
        let gs = common::grads(4_099, 12);
        let x = gpu.upload(&xs).unwrap();
        let g = gpu.upload(&gs).unwrap();
        let y = gpu.upload(&vec![f32::NAN; xs.len()]).unwrap();
        let d = gpu.upload(&vec![f32::NAN; xs.len()]).unwrap();
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        let (ye, de) =
            (gpu.upload(&vec![0.0; xs.len()]).unwrap(), gpu.upload(&vec![0.0; xs.len()]).unwrap());
        for act in Activation::ALL {
            gpu.forward_into(*act, &x, &y).unwrap();
            gpu.backward_into(*act, &x, &g, &d).unwrap();
            gpu.encode_forward_into(&mut encoder, *act, &x, &ye).unwrap();
            gpu.encode_backward_into(&mut encoder, *act, &x, &g, &de).unwrap();
            let (ys, ds) = (gpu.download(&y).unwrap(), gpu.download(&d).unwrap());
            let b = act.bounds();
            for i in 0..xs.len() {
                let want = reference::forward_f64(*act, xs[i] as f64);
                assert!(b.forward_ok(ys[i], want), "{act} forward_into at {:e}", xs[i]);
                let want = reference::backward_f64(*act, xs[i] as f64, gs[i] as f64);
                assert!(
                    b.backward_ok(xs[i], gs[i], ds[i], want),
                    "{act} backward_into at {:e}",
                    xs[i]
                );
            }
        }
        // The encoder ran every activation in turn: its results are the last one's.
        gpu.queue().submit([encoder.finish()]);
        let last = *Activation::ALL.last().unwrap();
        let (ys, ds) = (gpu.download(&ye).unwrap(), gpu.download(&de).unwrap());
        for i in 0..xs.len() {
            assert!(last.bounds().forward_ok(ys[i], reference::forward_f64(last, xs[i] as f64)));
            let want = reference::backward_f64(last, xs[i] as f64, gs[i] as f64);
            assert!(last.bounds().backward_ok(xs[i], gs[i], ds[i], want));
        }
        assert_eq!(gpu.download(&x).unwrap().len(), xs.len());
    }
}

#[test]
fn into_rejects_wrong_outputs() {
    let gpu = common::gpu();
    let other = common::gpu_with_limits(|l| l);
    let x = gpu.upload(&[1.0, -2.0, 3.0]).unwrap();
    let short = gpu.upload(&[0.0; 2]).unwrap();
    let foreign = other.upload(&[0.0; 3]).unwrap();
    let relu = Activation::Relu;
    assert!(matches!(gpu.forward_into(relu, &x, &short), Err(Error::LengthMismatch { .. })));
    assert!(matches!(gpu.forward_into(relu, &x, &foreign), Err(Error::WrongDevice { .. })));
    assert!(matches!(gpu.forward_into(relu, &x, &x), Err(Error::Shape(_))));
    assert!(matches!(gpu.backward_into(relu, &x, &x, &x), Err(Error::Shape(_))));
    let g = gpu.upload(&[1.0; 3]).unwrap();
    assert!(matches!(gpu.backward_into(relu, &x, &g, &g), Err(Error::Shape(_))));
    let half = gpu.cast(&y_of(&gpu), gpu_activations::DType::F16).unwrap();
    assert!(matches!(gpu.forward_into(relu, &x, &half), Err(Error::DTypeMismatch { .. })));
    let bad = Activation::Elu { alpha: f32::NAN };
    let y = gpu.upload(&[0.0; 3]).unwrap();
    assert!(matches!(gpu.forward_into(bad, &x, &y), Err(Error::InvalidParameter { .. })));
    assert_eq!(gpu.download(&x).unwrap(), vec![1.0, -2.0, 3.0]);
    assert_eq!(gpu.download(&y).unwrap(), vec![0.0; 3]);
}

fn y_of(gpu: &gpu_activations::GpuActivations) -> gpu_activations::GpuBuffer {
    gpu.upload(&[0.0; 3]).unwrap()
}
