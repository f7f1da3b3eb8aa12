//! In-place operations, batches, encoding into a caller's encoder, warm-up and transfers.

mod common;

use common::{assert_matches_reference, gpu, grads, random_values};
use gpu_activations::{Activation, DType, Error, reference, ulp};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn inplace_equals_out_of_place_for_every_activation() {
    let gpu = gpu();
    let xs = random_values(4099, 3);
    for act in Activation::ALL {
        let x = gpu.upload(&xs).unwrap();
        let y = gpu.download(&gpu.forward(*act, &x).unwrap()).unwrap();
        gpu.forward_inplace(*act, &x).unwrap();
        assert_eq!(bits(&gpu.download(&x).unwrap()), bits(&y), "{act}");
    }
}

#[test]
fn named_inplace_forms() {
    use Activation as A;
    let gpu = gpu();
    let xs = random_values(1000, 4);
    macro_rules! same {
        ($($name:ident ($($p:expr),*) => $act:expr;)*) => {$(
            let x = gpu.upload(&xs).unwrap();
            gpu.$name(&x $(, $p)*).unwrap();
            let want = gpu.download(&gpu.forward($act, &gpu.upload(&xs).unwrap()).unwrap()).unwrap();
            assert_eq!(bits(&gpu.download(&x).unwrap()), bits(&want), stringify!($name));
        )*};
    }
    same! {
        relu_inplace () => A::Relu;
        leaky_relu_inplace (0.2) => A::LeakyRelu { alpha: 0.2 };
        elu_inplace (0.5) => A::Elu { alpha: 0.5 };
        hardtanh_inplace (-2.0, 0.5) => A::Hardtanh { min_val: -2.0, max_val: 0.5 };
        relu6_inplace () => A::Relu6;
        selu_inplace () => A::Selu;
        celu_inplace (1.5) => A::Celu { alpha: 1.5 };
        silu_inplace () => A::Silu;
        mish_inplace () => A::Mish;
        hardsigmoid_inplace () => A::Hardsigmoid;
        hardswish_inplace () => A::Hardswish;
        threshold_inplace (0.5, -1.0) => A::Threshold { threshold: 0.5, value: -1.0 };
    }
    let x = gpu.upload(&xs).unwrap();
    assert!(matches!(gpu.celu_inplace(&x, 0.0), Err(Error::InvalidParameter { .. })));
    assert_eq!(bits(&gpu.download(&x).unwrap()), bits(&xs), "a rejected call leaves x alone");
}

#[test]
fn a_batch_runs_many_operations_in_one_submission() {
    let gpu = gpu();
    let xs = random_values(4096, 5);
    let gs = grads(4096, 6);
    let x = gpu.upload(&xs).unwrap();
    let g = gpu.upload(&gs).unwrap();
    let mut batch = gpu.batch();
    assert!(batch.is_empty());
    let mut outs = Vec::new();
    for _ in 0..3 {
        for act in Activation::ALL {
            outs.push((
                *act,
                batch.forward(*act, &x).unwrap(),
                batch.backward(*act, &x, &g).unwrap(),
            ));
        }
    }
    // A chain inside the batch sees its predecessor's result.
    let h = batch.forward(Activation::Tanh, &x).unwrap();
    let hh = batch.forward(Activation::Sigmoid, &h).unwrap();
    let z = gpu.upload(&xs).unwrap();
    batch.forward_inplace(Activation::Silu, &z).unwrap();
    assert_eq!(batch.len(), 3 * 2 * Activation::ALL.len() + 3);
    batch.submit().unwrap();
    for (act, y, d) in outs {
        let want_y = gpu.download(&gpu.forward(act, &x).unwrap()).unwrap();
        let want_d = gpu.download(&gpu.backward(act, &x, &g).unwrap()).unwrap();
        assert_eq!(bits(&gpu.download(&y).unwrap()), bits(&want_y), "{act}");
        assert_eq!(bits(&gpu.download(&d).unwrap()), bits(&want_d), "{act}");
    }
    let hs = gpu.download(&h).unwrap();
    for (i, v) in gpu.download(&hh).unwrap().iter().enumerate() {
        assert!(ulp::within(*v, reference::forward_f64(Activation::Sigmoid, hs[i] as f64), 4.0));
    }
    let want = gpu.download(&gpu.forward(Activation::Silu, &x).unwrap()).unwrap();
    assert_eq!(bits(&gpu.download(&z).unwrap()), bits(&want));
}

/// With verification on, a batch checks every step against what that step saw and wrote, even
/// when a later in-place step of the same batch overwrites its input or its result (the
/// checks run after submission; they once read the final contents and reported a mismatch).
#[test]
fn verified_batches_check_each_step_before_later_steps_overwrite_it() {
    let gpu = gpu(); // verification on
    let leaky = Activation::LeakyRelu { alpha: 0.25 };
    for n in [5, 4099, 70_000] {
        let xs = random_values(n, 11);
        let x = gpu.upload(&xs).unwrap();
        let mut batch = gpu.batch();
        let h = batch.forward(leaky, &x).unwrap(); // h = f(x)
        batch.forward_inplace(leaky, &h).unwrap(); // h = f(f(x)): the first result overwritten
        batch.forward_inplace(Activation::Relu, &h).unwrap(); // and again
        let y = batch.forward(Activation::Tanh, &x).unwrap();
        batch.forward_inplace(Activation::Sigmoid, &x).unwrap(); // the input of two steps
        batch.submit().expect("every step agrees with the reference");
        let want: Vec<f32> = xs
            .iter()
            .map(|&v| {
                reference::forward(
                    Activation::Relu,
                    reference::forward(leaky, reference::forward(leaky, v)),
                )
            })
            .collect();
        assert_eq!(bits(&gpu.download(&h).unwrap()), bits(&want), "n = {n}");
        let tanh: Vec<f32> = xs.iter().map(|&v| reference::forward(Activation::Tanh, v)).collect();
        let got = gpu.download(&y).unwrap();
        for ((&g, &w), &v) in got.iter().zip(&tanh).zip(&xs) {
            assert!(
                ulp::within(g, reference::forward_f64(Activation::Tanh, v as f64), 4.0),
                "tanh({v}) = {g}, want {w}"
            );
        }
    }
}

#[test]
fn a_batch_larger_than_one_uniform_block_keeps_every_parameter() {
    let gpu = gpu();
    let x = gpu.upload(&[-1.0, 2.0]).unwrap();
    let mut batch = gpu.batch();
    let outs: Vec<_> = (0..2500)
        .map(|k| batch.forward(Activation::LeakyRelu { alpha: k as f32 }, &x).unwrap())
        .collect();
    batch.submit().unwrap();
    for (k, y) in outs.iter().enumerate() {
        assert_eq!(gpu.download(y).unwrap(), [-(k as f32), 2.0], "op {k}");
    }
}

#[test]
fn encoding_into_the_callers_encoder() {
    let gpu = gpu();
    let xs = random_values(3000, 8);
    let gs = grads(3000, 9);
    let x = gpu.upload(&xs).unwrap();
    let g = gpu.upload(&gs).unwrap();
    let mut enc = gpu.device().create_command_encoder(&Default::default());
    let y = gpu.encode_forward(&mut enc, Activation::Gelu, &x).unwrap();
    let d = gpu.encode_backward(&mut enc, Activation::Gelu, &x, &g).unwrap();
    gpu.queue().submit([enc.finish()]);
    gpu.check_forward(Activation::Gelu, &x, &y).unwrap();
    gpu.check_backward(Activation::Gelu, &x, &g, &d).unwrap();
    let mut enc = gpu.device().create_command_encoder(&Default::default());
    assert!(matches!(
        gpu.encode_backward(&mut enc, Activation::Gelu, &x, &gpu.upload(&[1.0]).unwrap()),
        Err(Error::LengthMismatch { .. })
    ));
}

#[test]
fn warm_up_compiles_everything() {
    let gpu = gpu();
    gpu.warm_up().unwrap();
    // Everything still works (and now runs on the compiled pipelines).
    assert_matches_reference(&gpu, Activation::Mish, &random_values(100, 1), &grads(100, 2));
}

#[test]
fn transfers_into_callers_slices_and_overwrites() {
    let gpu = gpu();
    let xs = random_values(1001, 10);
    let x = gpu.upload(&xs).unwrap();
    let mut out = vec![0.0f32; 1001];
    gpu.download_into(&x, &mut out).unwrap();
    assert_eq!(bits(&out), bits(&xs));
    let mut short = vec![0.0f32; 10];
    assert!(matches!(gpu.download_into(&x, &mut short), Err(Error::LengthMismatch { .. })));
    let ys = random_values(1001, 11);
    gpu.write(&x, &ys).unwrap();
    assert_eq!(bits(&gpu.download(&x).unwrap()), bits(&ys));
    assert!(matches!(gpu.write(&x, &ys[..3]), Err(Error::LengthMismatch { .. })));
}

#[test]
fn transfers_larger_than_the_staging_buffer_stream_in_pieces() {
    let gpu = gpu();
    // 20M floats = 80 MB: two staging pieces each way, the second partial.
    let xs: Vec<f32> = (0..20_000_003).map(|i| i as f32 * 0.5 - 1e6).collect();
    let x = gpu.upload(&xs).unwrap();
    let mut out = vec![0.0f32; xs.len()];
    gpu.download_into(&x, &mut out).unwrap();
    assert!(out == xs, "round trip differs");
    gpu.relu_inplace(&x).unwrap();
    gpu.download_into(&x, &mut out).unwrap();
    assert!(out.iter().zip(&xs).all(|(y, x)| *y == x.max(0.0)));
}

#[test]
fn fused_batch_results_are_ordinary_tensors() {
    let gpu = gpu();
    let sizes = [1usize, 3, 64, 1000, 4096, 65_536, 70_000, 5];
    let inputs: Vec<Vec<f32>> = sizes.iter().map(|&n| random_values(n, n as u64)).collect();
    let xs: Vec<_> = inputs.iter().map(|v| gpu.upload(v).unwrap()).collect();
    let g = gpu.upload(&grads(1000, 1)).unwrap();
    let mut batch = gpu.batch();
    // A run of the same kind (fused), a dependency on the run's own result (starts a new run),
    // a backward run, and a tensor too large to fuse in between.
    let ys: Vec<_> = xs.iter().map(|x| batch.forward(Activation::Tanh, x).unwrap()).collect();
    let yy = batch.forward(Activation::Tanh, &ys[3]).unwrap();
    let d = batch.backward(Activation::Tanh, &ys[3], &g).unwrap();
    batch.submit().unwrap();
    for (x, y) in inputs.iter().zip(&ys) {
        let want =
            gpu.download(&gpu.forward(Activation::Tanh, &gpu.upload(x).unwrap()).unwrap()).unwrap();
        assert_eq!(bits(&gpu.download(y).unwrap()), bits(&want), "len {}", x.len());
    }
    let y3 = gpu.download(&ys[3]).unwrap();
    let want = gpu.download(&gpu.tanh(&gpu.upload(&y3).unwrap()).unwrap()).unwrap();
    assert_eq!(bits(&gpu.download(&yy).unwrap()), bits(&want));
    gpu.check_backward(Activation::Tanh, &ys[3], &g, &d).unwrap();
    // Views work everywhere a tensor does: as inputs, in place, in row kernels.
    let z = gpu.sigmoid(&ys[2]).unwrap();
    gpu.check_forward(Activation::Sigmoid, &ys[2], &z).unwrap();
    let s = gpu.softmax(&ys[2], 8).unwrap();
    assert!(
        gpu.download(&s).unwrap().chunks(8).all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-6)
    );
    let before = gpu.download(&ys[4]).unwrap();
    gpu.relu_inplace(&ys[4]).unwrap();
    let want = gpu.download(&gpu.relu(&gpu.upload(&before).unwrap()).unwrap()).unwrap();
    assert_eq!(bits(&gpu.download(&ys[4]).unwrap()), bits(&want));
    // The in-place write stayed inside its own part of the shared buffer.
    assert_eq!(bits(&gpu.download(&ys[3]).unwrap()), bits(&y3));
}

#[test]
fn batches_fuse_on_a_device_with_webgpu_default_binding_limits() {
    // A fused run gathers its inputs by copies into one buffer, so it needs no more storage
    // bindings than a single operation: WebGPU's default of 8 per stage is plenty.
    let small =
        common::gpu_with_limits(|l| wgpu::Limits { max_storage_buffers_per_shader_stage: 8, ..l });
    small.warm_up().unwrap();
    let xs = random_values(300, 12);
    let x = small.upload(&xs).unwrap();
    let g = small.upload(&grads(300, 13)).unwrap();
    let mut batch = small.batch();
    let ys: Vec<_> =
        (0..5).map(|_| batch.forward(Activation::Elu { alpha: 1.0 }, &x).unwrap()).collect();
    let ds: Vec<_> =
        (0..5).map(|_| batch.backward(Activation::Elu { alpha: 1.0 }, &x, &g).unwrap()).collect();
    batch.submit().unwrap();
    for (y, d) in ys.iter().zip(&ds) {
        small.check_forward(Activation::Elu { alpha: 1.0 }, &x, y).unwrap();
        small.check_backward(Activation::Elu { alpha: 1.0 }, &x, &g, d).unwrap();
    }
}

#[test]
fn a_batch_keeps_its_inputs_and_results_until_they_are_done_with() {
    let gpu = gpu();
    let xs = random_values(4096, 21);
    let others = random_values(4096, 22);
    let want: Vec<f32> = xs.iter().map(|&v| reference::relu(v)).collect();
    // An input dropped right after it is recorded: its allocation must not go to other work
    // (here an immediate operation of the same size) before the batch has read it.
    let x = gpu.upload(&xs).unwrap();
    let mut batch = gpu.batch();
    let y = batch.forward(Activation::Relu, &x).unwrap();
    drop(x);
    let w = gpu.upload(&others).unwrap();
    let z = gpu.sigmoid(&w).unwrap();
    batch.submit().unwrap();
    assert_eq!(bits(&gpu.download(&y).unwrap()), bits(&want));
    gpu.check_forward(Activation::Sigmoid, &w, &z).unwrap();
    // One result of a batch kept, the rest dropped: its shared buffer is not reused while it
    // lives, however many batches of the same sizes follow.
    let x = gpu.upload(&xs).unwrap();
    let mut batch = gpu.batch();
    let mut ys: Vec<_> = (0..8).map(|_| batch.forward(Activation::Relu, &x).unwrap()).collect();
    batch.submit().unwrap();
    let kept = ys.swap_remove(3);
    drop(ys);
    for _ in 0..3 {
        let w = gpu.upload(&others).unwrap();
        let mut batch = gpu.batch();
        let zs: Vec<_> = (0..8).map(|_| batch.forward(Activation::Tanh, &w).unwrap()).collect();
        batch.submit().unwrap();
        gpu.check_forward(Activation::Tanh, &w, &zs[7]).unwrap();
    }
    assert_eq!(bits(&gpu.download(&kept).unwrap()), bits(&want));
}

#[test]
fn every_result_keeps_its_input_s_storage_type() {
    let gpu = gpu();
    let x = gpu.upload(&[-2.0, -0.5, 0.0, 1.5, 3.0, -4.0]).unwrap();
    let dy = gpu.upload(&[1.0; 6]).unwrap();
    assert_eq!(x.dtype(), DType::F32);
    assert_eq!((DType::F32.size_in_bytes(), DType::F32.name()), (4, "f32"));
    let w = gpu.upload(&[0.25, 0.5]).unwrap();
    let mut batch = gpu.batch();
    let fused = batch.forward(Activation::Tanh, &x).unwrap();
    batch.submit().unwrap();
    let (grad_x, grad_w) = gpu.prelu_backward(&x, &dy, &w, 2).unwrap();
    let results = [
        gpu.forward(Activation::Gelu, &x).unwrap(),
        gpu.backward(Activation::Gelu, &x, &dy).unwrap(),
        fused,
        gpu.prelu(&x, &w, 2).unwrap(),
        grad_x,
        grad_w,
        gpu.softmax(&x, 3).unwrap(),
        gpu.log_softmax_backward(&gpu.log_softmax(&x, 3).unwrap(), &dy, 3).unwrap(),
    ];
    for y in &results {
        assert_eq!(y.dtype(), DType::F32);
    }
}
