//! The defects a stress run found, each guarded here with verification off (as in production
//! release builds, where they hid): batches that gave memory back to the pool before their
//! submission ran, device loss that went unreported, uploads that grew the pool without bound,
//! waits without a limit, and device errors reported by the wrong call.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use gpu_activations::{Activation, Error, GpuActivations, GpuBuffer, Options, reference};

/// The test adapter with verification off.
fn unverified() -> GpuActivations {
    let mut gpu = common::gpu();
    gpu.set_verify(false);
    gpu
}

fn ramp(n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((i % 1000) as f32 - 500.0) * scale).collect()
}

/// Asserts `got` is `act` applied to `xs` (the piecewise-linear and tanh activations used here
/// are within their ULP bounds of the reference; a clobbered buffer is off by far more).
fn assert_forward(act: Activation, xs: &[f32], got: &[f32]) {
    assert_eq!(xs.len(), got.len());
    let bounds = act.bounds();
    let bad = (0..xs.len())
        .filter(|&i| !bounds.forward_ok(got[i], reference::forward_f64(act, xs[i] as f64)))
        .count();
    assert_eq!(bad, 0, "{act}: {bad} of {} elements wrong", xs.len());
}

/// An unfused operation's input, dropped before `submit()`, must not be handed to an
/// operation submitted in between (which would overwrite it before the batch reads it).
#[test]
fn batch_keeps_an_unfused_input_dropped_before_submit() {
    let gpu = unverified();
    let n = 70_001; // above the fusing limit: a dispatch of its own
    let (a, b) = (ramp(n, 0.01), ramp(n, -0.02));
    let x = gpu.upload(&a).unwrap();
    let mut batch = gpu.batch();
    let y = batch.forward(Activation::Relu, &x).unwrap();
    drop(x);
    let other = gpu.upload(&b).unwrap();
    let z = gpu.forward(Activation::Tanh, &other).unwrap(); // may take x's memory if released
    batch.submit().unwrap();
    assert_forward(Activation::Relu, &a, &gpu.download(&y).unwrap());
    assert_forward(Activation::Tanh, &b, &gpu.download(&z).unwrap());
}

/// An unfused operation's output, dropped before `submit()`, must not be handed to an
/// operation submitted in between (whose result the batch would then overwrite).
#[test]
fn batch_keeps_an_unfused_output_dropped_before_submit() {
    let gpu = unverified();
    let n = 70_001;
    let (a, b) = (ramp(n, 0.01), ramp(n, -0.02));
    let x = gpu.upload(&a).unwrap();
    let other = gpu.upload(&b).unwrap();
    let mut batch = gpu.batch();
    drop(batch.forward(Activation::Relu, &x).unwrap());
    let z = gpu.forward(Activation::Tanh, &other).unwrap();
    batch.submit().unwrap();
    assert_forward(Activation::Tanh, &b, &gpu.download(&z).unwrap());
}

/// A fused run's input, dropped after another kind of operation was recorded behind it (so
/// the run was flushed), must stay reserved until the batch has run.
#[test]
fn batch_keeps_a_flushed_runs_input() {
    let gpu = unverified();
    let n = 1_000;
    let (a, b, c) = (ramp(n, 0.01), ramp(n, -0.03), ramp(n, 0.005));
    let x = gpu.upload(&a).unwrap();
    let w = gpu.upload(&c).unwrap();
    let mut batch = gpu.batch();
    let y = batch.forward(Activation::Relu, &x).unwrap();
    let v = batch.forward(Activation::Tanh, &w).unwrap(); // another kind: the relu run is flushed
    drop(x);
    let other = gpu.upload(&b).unwrap();
    let z = gpu.forward(Activation::Hardtanh { min_val: -1.0, max_val: 1.0 }, &other).unwrap();
    batch.submit().unwrap();
    assert_forward(Activation::Relu, &a, &gpu.download(&y).unwrap());
    assert_forward(Activation::Tanh, &c, &gpu.download(&v).unwrap());
    let ht = Activation::Hardtanh { min_val: -1.0, max_val: 1.0 };
    assert_forward(ht, &b, &gpu.download(&z).unwrap());
}

/// A fused run's result, dropped after its run was flushed and its slab left behind, must not
/// free the slab to an operation submitted before the batch (the batch would overwrite it).
#[test]
fn batch_keeps_a_flushed_runs_slab() {
    let gpu = unverified();
    let a = ramp(1_000, 0.01);
    let x = gpu.upload(&a).unwrap();
    let mut batch = gpu.batch();
    let y = batch.forward(Activation::Relu, &x).unwrap();
    // y is in the current slab, so an operation on it starts a new slab; the old one is held
    // only by y now.
    let s = batch.forward(Activation::Sigmoid, &y).unwrap();
    let t = batch.forward(Activation::Tanh, &x).unwrap(); // flushes the sigmoid run
    drop(y);
    // The first slab holds 65,536 floats: an output of that size takes it if it was released.
    let b = ramp(65_536, -0.02);
    let other = gpu.upload(&b).unwrap();
    let z = gpu.forward(Activation::Tanh, &other).unwrap();
    batch.submit().unwrap();
    assert_forward(Activation::Tanh, &b, &gpu.download(&z).unwrap());
    let relu_a: Vec<f32> = a.iter().map(|&v| reference::relu(v)).collect();
    assert_forward(Activation::Sigmoid, &relu_a, &gpu.download(&s).unwrap());
    assert_forward(Activation::Tanh, &a, &gpu.download(&t).unwrap());
}

/// Tensors recorded into a caller's encoder may be dropped before the caller submits: they are
/// never given to other work through the pool.
#[test]
fn encoded_tensors_may_be_dropped_before_the_caller_submits() {
    let gpu = unverified();
    let n = 70_001;
    let (a, b) = (ramp(n, 0.01), ramp(n, -0.02));
    let x = gpu.upload(&a).unwrap();
    let mut encoder = gpu.device().create_command_encoder(&Default::default());
    let y = gpu.encode_forward(&mut encoder, Activation::Relu, &x).unwrap();
    drop(x);
    let other = gpu.upload(&b).unwrap();
    let z = gpu.forward(Activation::Tanh, &other).unwrap();
    gpu.queue().submit([encoder.finish()]);
    assert_forward(Activation::Relu, &a, &gpu.download(&y).unwrap());
    assert_forward(Activation::Tanh, &b, &gpu.download(&z).unwrap());
}

/// Runs `f` on another thread and fails if it has not finished within `limit` (a hang).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the call hung")
}

fn is_lost<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::DeviceLost { .. }))
}

/// After the device is lost every call returns `Error::DeviceLost`, promptly.
#[test]
fn device_loss_is_reported_by_every_call() {
    let results = within(Duration::from_secs(60), || {
        let mut gpu = common::gpu_with_limits(|l| l);
        gpu.set_verify(false);
        let x = gpu.upload(&[1.0, -2.0, 3.0]).unwrap();
        let g = gpu.upload(&[1.0; 3]).unwrap();
        assert_eq!(gpu.download(&gpu.relu(&x).unwrap()).unwrap(), vec![1.0, 0.0, 3.0]);
        gpu.device().destroy();
        let start = Instant::now();
        let mut batch = gpu.batch();
        let recorded = batch.forward(Activation::Relu, &x);
        let lost = [
            ("relu", is_lost(gpu.relu(&x))),
            ("backward", is_lost(gpu.backward(Activation::Gelu, &x, &g))),
            ("relu_inplace", is_lost(gpu.relu_inplace(&x))),
            ("softmax", is_lost(gpu.softmax(&x, 3))),
            ("prelu", is_lost(gpu.prelu(&x, &g, 3))),
            ("batch", is_lost(recorded.and_then(|_| batch.submit()))),
            ("sync", is_lost(gpu.sync())),
            ("upload", is_lost(gpu.upload(&[1.0]))),
            ("download", is_lost(gpu.download(&x))),
            ("write", is_lost(gpu.write(&x, &[0.0; 3]))),
            ("warm_up", is_lost(gpu.warm_up())),
        ];
        (lost, start.elapsed())
    });
    let (lost, took) = results;
    for (call, ok) in lost {
        assert!(ok, "{call} after device loss did not return Error::DeviceLost");
    }
    assert!(took < Duration::from_secs(10), "calls after the loss took {took:?}");
}

/// The reason wgpu gives is in the error.
#[test]
fn device_loss_names_its_reason() {
    let gpu = common::gpu_with_limits(|l| l);
    gpu.device().destroy();
    match gpu.sync() {
        Err(e @ Error::DeviceLost { .. }) => {
            assert!(e.to_string().contains("Destroyed"), "{e}");
        }
        other => panic!("expected DeviceLost, got {other:?}"),
    }
}

/// A loop of upload + op + download reaches a steady state: after its first rounds the pool
/// neither grows nor allocates.
#[test]
fn upload_op_download_loops_hold_flat_memory() {
    let gpu = unverified();
    let data = ramp(1_000, 0.01);
    let mut out = vec![0.0; data.len()];
    let mut held = Vec::new();
    for round in 0..3_000 {
        let x = gpu.upload(&data).unwrap();
        let y = gpu.forward(Activation::Silu, &x).unwrap();
        gpu.download_into(&y, &mut out).unwrap();
        if round % 500 == 499 {
            held.push(gpu.pooled_bytes());
        }
    }
    assert_forward(Activation::Silu, &data, &out);
    // Two tensors of 1,000 floats are in flight per round: the pool holds a few such buffers,
    // never one per round (the leak kept 18 KB per round, 54 MB over this loop).
    assert!(held.windows(2).all(|w| w[0] == w[1]), "pool grew: {held:?}");
    assert!(held[0] <= 4 * 4_000, "pool holds {} bytes", held[0]);
}

/// Buffers of a size no longer used are freed after a while, without `release_pooled()`.
#[test]
fn the_pool_trims_idle_buffers() {
    let gpu = unverified();
    let big: Vec<GpuBuffer> = (0..8).map(|_| gpu.upload(&vec![1.0; 100_000]).unwrap()).collect();
    drop(big);
    assert!(gpu.pooled_bytes() >= 8 * 400_000);
    let small = [1.0f32; 4];
    for _ in 0..5_000 {
        drop(gpu.upload(&small).unwrap()); // a take and a return each time
    }
    assert!(gpu.pooled_bytes() <= 64, "{} bytes still pooled", gpu.pooled_bytes());
    gpu.release_pooled();
    assert_eq!(gpu.pooled_bytes(), 0);
}

/// An upload larger than the device allows is an error before anything is allocated.
#[test]
fn oversized_upload_is_an_error() {
    let gpu = common::gpu_with_limits(|l| wgpu::Limits { max_buffer_size: 1 << 20, ..l });
    let data = vec![0.5f32; 1 << 19]; // 2 MiB
    assert!(matches!(gpu.upload(&data), Err(Error::TooLarge { .. })));
    assert_eq!(gpu.pooled_bytes(), 0);
    assert!(gpu.upload(&data[..1000]).is_ok());
}

/// With `wait_timeout` set, a wait that takes longer returns `Error::Timeout`; the work goes on
/// and a later wait without the limit sees it finished.
#[test]
fn waits_time_out_when_asked() {
    let mut gpu = GpuActivations::with_options(Options {
        verify: false,
        wait_timeout: Some(Duration::from_micros(1)),
        ..Options::from_env()
    })
    .unwrap();
    let data = ramp(1 << 22, 0.01);
    let x = gpu.upload(&data).unwrap();
    gpu.set_wait_timeout(None);
    gpu.sync().unwrap();
    gpu.set_wait_timeout(Some(Duration::from_micros(1)));
    let mut y = gpu.forward(Activation::Gelu, &x).unwrap();
    for _ in 0..7 {
        y = gpu.forward(Activation::Gelu, &y).unwrap();
    }
    if gpu.adapter_info().backend == wgpu::Backend::Gl {
        // llvmpipe's GL driver runs compute work inside the submission (measured: the eight
        // dispatches took 370 ms to queue, the wait 10 µs), so nothing is left to time out.
        gpu.sync().unwrap();
    } else {
        assert!(matches!(gpu.sync(), Err(Error::Timeout { .. })));
    }
    gpu.set_wait_timeout(None);
    gpu.sync().unwrap();
    assert_eq!(gpu.download(&y).unwrap().len(), data.len());
}

/// A device error is returned by the operation that caused it, not by a later unrelated call.
#[test]
fn device_errors_belong_to_the_call_that_caused_them() {
    let gpu = common::gpu_with_limits(|l| l);
    let x = gpu.upload(&[1.0, 2.0]).unwrap();
    x.raw().destroy(); // a caller destroying the wgpu buffer behind a tensor
    assert!(matches!(gpu.relu(&x), Err(Error::Gpu(_))));
    let fine = gpu.upload(&[-1.0, 1.0]).unwrap();
    let y = gpu.relu(&fine).unwrap();
    assert_eq!(gpu.download(&y).unwrap(), vec![0.0, 1.0]);
    gpu.check_forward(Activation::Relu, &fine, &y).unwrap();
}
