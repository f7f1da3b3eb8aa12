//! Bad input is a clear `Error`, never a panic or a wrong answer.

mod common;

use common::gpu;
use gpu_activations::{Activation, Error, GpuActivations, Options};

#[test]
fn grad_out_of_another_length_is_an_error() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0, 2.0, 3.0]).unwrap();
    let g = gpu.upload(&[1.0, 2.0]).unwrap();
    let err = gpu.relu_backward(&x, &g).unwrap_err();
    assert!(
        matches!(err, Error::LengthMismatch { what: "grad_out", got: 2, expected: 3 }),
        "{err}"
    );
    assert!(matches!(gpu.backward(Activation::Tanh, &g, &x), Err(Error::LengthMismatch { .. })));
}

#[test]
fn buffers_of_another_device_are_rejected() {
    let a = gpu();
    let b = gpu();
    let xa = a.upload(&[1.0, -1.0]).unwrap();
    let xb = b.upload(&[1.0, -1.0]).unwrap();
    assert!(matches!(b.relu(&xa), Err(Error::WrongDevice { what: "x" })));
    assert!(matches!(b.download(&xa), Err(Error::WrongDevice { .. })));
    assert!(matches!(b.sigmoid_backward(&xb, &xa), Err(Error::WrongDevice { what: "grad_out" })));
    assert!(matches!(a.sigmoid_backward(&xb, &xa), Err(Error::WrongDevice { what: "x" })));
    // The rightful owner still works.
    assert_eq!(a.download(&a.relu(&xa).unwrap()).unwrap(), vec![1.0, 0.0]);
}

#[test]
fn nonsensical_parameters_are_errors() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0, -1.0]).unwrap();
    let g = gpu.upload(&[1.0, 1.0]).unwrap();
    for alpha in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let e = gpu.leaky_relu(&x, alpha).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { param: "alpha", .. }), "{e}");
        assert!(gpu.elu(&x, alpha).is_err());
        assert!(gpu.elu_backward(&x, &g, alpha).is_err());
        assert!(gpu.leaky_relu_backward(&x, &g, alpha).is_err());
    }
    for beta in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let act = Activation::Softplus { beta, threshold: 20.0 };
        let e = gpu.forward(act, &x).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { param: "beta", .. }), "{e}");
        assert!(gpu.backward(act, &x, &g).is_err());
    }
    let e = gpu.celu(&x, 0.0).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { activation: "celu", param: "alpha", .. }), "{e}");
    let e = gpu.hardtanh_backward(&x, &g, 1.0, -1.0).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { param: "min_val", .. }), "{e}");
    assert!(gpu.hardtanh(&x, f32::NEG_INFINITY, 1.0).is_err());
    for lambda in [-0.1, f32::NAN] {
        let e = gpu.softshrink(&x, lambda).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { param: "lambda", .. }), "{e}");
        assert!(gpu.hardshrink_backward(&x, &g, lambda).is_err());
    }
    let e = gpu.threshold(&x, 0.0, f32::INFINITY).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { param: "value", .. }), "{e}");
    assert!(gpu.softplus_with(&x, -2.0, 20.0).is_err());
    let act = Activation::Softplus { beta: 1.0, threshold: f32::NAN };
    assert!(matches!(
        gpu.forward(act, &x),
        Err(Error::InvalidParameter { param: "threshold", .. })
    ));
}

#[test]
fn empty_in_gives_empty_out() {
    let gpu = gpu();
    let x = gpu.upload(&[]).unwrap();
    assert!(x.is_empty());
    assert_eq!(x.len(), 0);
    for act in Activation::ALL {
        let y = gpu.forward(*act, &x).unwrap();
        assert!(y.is_empty());
        assert!(gpu.download(&y).unwrap().is_empty());
        assert!(gpu.backward(*act, &x, &x).unwrap().is_empty());
    }
    gpu.sync().unwrap();
}

#[test]
fn sizes_over_the_device_limit_are_errors() {
    // Join a device whose buffers are capped at 1 MiB: a 1M-float tensor no longer fits.
    let small = common::gpu_with_limits(|l| wgpu::Limits { max_buffer_size: 1 << 20, ..l });
    let err = small.upload(&vec![0.0; 1 << 20]).unwrap_err();
    assert!(matches!(err, Error::TooLarge { elements: 1_048_576, .. }), "{err}");
    // Just under the cap still works, with every element computed.
    let xs: Vec<f32> = (0..262_140).map(|i| i as f32 - 131_070.0).collect();
    let y = small.download(&small.relu(&small.upload(&xs).unwrap()).unwrap()).unwrap();
    assert!(y.iter().zip(&xs).all(|(y, x)| *y == x.max(0.0)));
}

#[test]
fn no_adapter_is_an_error_that_says_how_to_get_one() {
    // No backend at all: nothing can be found.
    let opts = Options { backends: wgpu::Backends::empty(), ..Options::default() };
    let err = GpuActivations::with_options(opts).unwrap_err();
    assert!(matches!(err, Error::NoAdapter { .. }), "{err}");
    assert!(err.to_string().contains("apt-get install mesa-vulkan-drivers"), "{err}");
}

#[test]
fn an_adapter_name_that_matches_nothing_is_an_error() {
    let opts = Options { adapter_name: Some("no such adapter 7f3a".into()), ..Options::default() };
    match GpuActivations::with_options(opts) {
        Err(Error::AdapterNotFound { wanted, available }) => {
            assert_eq!(wanted, "no such adapter 7f3a");
            assert!(!available.is_empty(), "the adapters that exist are listed");
        }
        other => panic!("expected AdapterNotFound, got {other:?}"),
    }
    // A name that does match picks that adapter.
    let name = gpu().adapter_info().name.clone();
    let opts = Options { adapter_name: Some(name[..4].to_uppercase()), ..Options::from_env() };
    assert_eq!(GpuActivations::with_options(opts).unwrap().adapter_info().name, name);
}

#[test]
fn verification_reports_a_disagreement_with_the_reference() {
    let gpu = gpu();
    let x = gpu.upload(&[0.5, 2.0, -1.0]).unwrap();
    let y = gpu.relu(&x).unwrap();
    gpu.check_forward(Activation::Relu, &x, &y).unwrap();
    // relu's output is not sigmoid's: the first element already disagrees.
    match gpu.check_forward(Activation::Sigmoid, &x, &y).unwrap_err() {
        Error::Mismatch { activation, direction, index, input, gpu: got, reference, .. } => {
            assert_eq!(
                (activation, direction, index, input, got),
                ("sigmoid", "forward", 0, 0.5, 0.5)
            );
            assert!((reference - 0.622_459_3).abs() < 1e-6);
        }
        e => panic!("expected Mismatch, got {e}"),
    }
    let g = gpu.upload(&[1.0, 1.0, 1.0]).unwrap();
    let d = gpu.relu_backward(&x, &g).unwrap();
    gpu.check_backward(Activation::Relu, &x, &g, &d).unwrap();
    let e = gpu.check_backward(Activation::LeakyRelu { alpha: 0.5 }, &x, &g, &d).unwrap_err();
    assert!(matches!(e, Error::Mismatch { index: 2, grad_out: Some(1.0), .. }), "{e}");
    assert!(e.to_string().contains("leaky_relu backward"), "{e}");
}
