//! One `GpuActivations` shared by 8 threads: 1,600 mixed operations (forward, backward,
//! in-place calls, batches with handles dropped before submit, softmax) with every result checked against the float64 reference on
//! the host, verification off. A watchdog fails the test if the threads have not finished
//! within 5 minutes (a deadlock) instead of letting it hang.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gpu_activations::{Activation, GpuActivations, reference, ulp};
use rand::{Rng, SeedableRng};

const THREADS: usize = 8;
const OPS_PER_THREAD: usize = 200;

/// Elements compared by one thread, or the first disagreement.
fn worker(gpu: &GpuActivations, seed: u64) -> Result<u64, String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut compared = 0u64;
    let forward_ok = |act: Activation, xs: &[f32], ys: &[f32]| -> Result<u64, String> {
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            let want = reference::forward_f64(act, x as f64);
            if !act.bounds().forward_ok(y, want) {
                return Err(format!("{act} [{i}] x = {x:e}: GPU {y:e}, reference {want:e}"));
            }
        }
        Ok(xs.len() as u64)
    };
    for op in 0..OPS_PER_THREAD {
        let act = Activation::ALL[rng.random_range(0..Activation::ALL.len())];
        let n = match rng.random_range(0..4) {
            0 => rng.random_range(1..16),
            1 => rng.random_range(1..5_000),
            _ => rng.random_range(1..70_000),
        };
        let xs = common::random_values(n, seed * 1_000 + op as u64);
        let gs = common::grads(n, seed * 7_919 + op as u64);
        let x = gpu.upload(&xs).map_err(|e| e.to_string())?;
        match op % 5 {
            0 => {
                let y = gpu.forward(act, &x).map_err(|e| e.to_string())?;
                compared += forward_ok(act, &xs, &gpu.download(&y).map_err(|e| e.to_string())?)?;
            }
            1 => {
                let g = gpu.upload(&gs).map_err(|e| e.to_string())?;
                let d = gpu.backward(act, &x, &g).map_err(|e| e.to_string())?;
                let ds = gpu.download(&d).map_err(|e| e.to_string())?;
                for i in 0..n {
                    let want = reference::backward_f64(act, xs[i] as f64, gs[i] as f64);
                    if !act.bounds().backward_ok(xs[i], gs[i], ds[i], want) {
                        return Err(format!(
                            "{act} backward [{i}]: GPU {:e}, reference {want:e}",
                            ds[i]
                        ));
                    }
                }
                compared += n as u64;
            }
            2 => {
                gpu.forward_inplace(act, &x).map_err(|e| e.to_string())?;
                compared += forward_ok(act, &xs, &gpu.download(&x).map_err(|e| e.to_string())?)?;
            }
            3 => {
                // A batch of three: two fused small ones and the tensor itself; handles
                // dropped before submit.
                let small: Vec<f32> = xs.iter().take(7).copied().collect();
                let s = gpu.upload(&small).map_err(|e| e.to_string())?;
                let mut batch = gpu.batch();
                let a = batch.forward(act, &s).map_err(|e| e.to_string())?;
                let b = batch.forward(Activation::Relu, &s).map_err(|e| e.to_string())?;
                let c = batch.forward(act, &x).map_err(|e| e.to_string())?;
                drop((s, b));
                batch.submit().map_err(|e| e.to_string())?;
                compared += forward_ok(act, &small, &gpu.download(&a).map_err(|e| e.to_string())?)?;
                compared += forward_ok(act, &xs, &gpu.download(&c).map_err(|e| e.to_string())?)?;
            }
            _ => {
                // Softmax over rows of up to 64, the tensor cut to whole rows.
                let row = rng.random_range(1..64).min(n);
                let rows = n / row;
                let moderate: Vec<f32> =
                    (0..rows * row).map(|_| rng.random_range(-30.0f32..30.0)).collect();
                let t = gpu.upload(&moderate).map_err(|e| e.to_string())?;
                let y = gpu.softmax(&t, row).map_err(|e| e.to_string())?;
                let ys = gpu.download(&y).map_err(|e| e.to_string())?;
                let want = reference::softmax(&moderate, row);
                for i in 0..ys.len() {
                    if !ulp::within(ys[i], want[i], gpu_activations::SOFTMAX_FORWARD_ULP) {
                        return Err(format!(
                            "softmax [{i}]: GPU {:e}, reference {:e}",
                            ys[i], want[i]
                        ));
                    }
                }
                compared += ys.len() as u64;
            }
        }
    }
    Ok(compared)
}

#[test]
fn eight_threads_share_one_instance() {
    let mut gpu = common::gpu();
    gpu.set_verify(false);
    let gpu = Arc::new(gpu);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    for t in 0..THREADS {
        let (gpu, tx) = (gpu.clone(), tx.clone());
        std::thread::spawn(move || {
            let result = worker(&gpu, t as u64 + 1);
            drop(gpu); // the instance is dropped by the test's own thread, last
            let _ = tx.send(result);
        });
    }
    drop(tx);
    let mut compared = 0;
    for _ in 0..THREADS {
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(Ok(n)) => compared += n,
            Ok(Err(e)) => panic!("a thread got a wrong result or an error: {e}"),
            Err(_) => panic!("watchdog: threads still running after 300 s (deadlock?)"),
        }
    }
    println!(
        "concurrency: {THREADS} threads, {} operations, {compared} elements compared, {:.1} s",
        THREADS * OPS_PER_THREAD,
        start.elapsed().as_secs_f64()
    );
}
