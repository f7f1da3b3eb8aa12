//! Soak: 100,000 operations of a training-style loop (upload, forward, backward, in-place,
//! batches, download) on one instance with verification off, as in production. Prints the
//! process's resident memory every 10,000 operations and fails unless it has reached a plateau:
//! the second half of the run may not grow it by more than 16 MiB. Every 500th result is
//! compared with the float64 reference.
//!
//! `cargo run --release --example soak`

use std::time::Instant;

use gpu_activations::{Activation, Error, GpuActivations, Options, reference};

const OPERATIONS: u64 = 100_000;
const SAMPLE_EVERY: u64 = 10_000;
/// Most growth allowed between the sample at half time and the last one.
const PLATEAU_SLACK: u64 = 16 << 20;

/// Resident set size of this process in bytes (Linux; `None` elsewhere).
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Prints one row of the table (operations so far, RSS, pooled bytes, time); returns the RSS.
fn sample(gpu: &GpuActivations, ops: u64, start: Instant) -> u64 {
    let rss = rss_bytes().unwrap_or(0);
    println!(
        "{ops:>10} {:>10.1} {:>12.2} {:>8.1}",
        mib(rss),
        mib(gpu.pooled_bytes()),
        start.elapsed().as_secs_f64()
    );
    rss
}

fn check(act: Activation, xs: &[f32], ys: &[f32]) {
    for (&x, &y) in xs.iter().zip(ys) {
        let want = reference::forward_f64(act, x as f64);
        assert!(act.bounds().forward_ok(y, want), "{act} at {x:e}: GPU {y:e}, reference {want:e}");
    }
}

fn main() -> Result<(), Error> {
    env_logger::init();
    let gpu = GpuActivations::with_options(Options { verify: false, ..Options::from_env() })?;
    println!("adapter: {} ({:?})", gpu.adapter_info().name, gpu.adapter_info().backend);
    let sizes = [17usize, 1_000, 4_096, 70_001];
    let acts = [Activation::Relu, Activation::Gelu, Activation::Sigmoid, Activation::Silu];
    let inputs: Vec<Vec<f32>> =
        sizes.iter().map(|&n| (0..n).map(|i| (i % 97) as f32 * 0.25 - 12.0).collect()).collect();
    let mut host: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n]).collect();

    let start = Instant::now();
    let mut ops = 0u64;
    let mut next_sample = 0u64;
    let mut samples = Vec::new();
    let mut round = 0usize;
    println!("{:>10} {:>10} {:>12} {:>8}", "operations", "RSS MiB", "pooled MiB", "seconds");
    while ops < OPERATIONS {
        if ops >= next_sample {
            samples.push(sample(&gpu, ops, start));
            next_sample += SAMPLE_EVERY;
        }
        let k = round % sizes.len();
        let act = acts[(round / sizes.len()) % acts.len()];
        let xs = &inputs[k];
        match round % 4 {
            0 => {
                // upload, forward, download: 3 operations
                let x = gpu.upload(xs)?;
                let y = gpu.forward(act, &x)?;
                gpu.download_into(&y, &mut host[k])?;
                ops += 3;
            }
            1 => {
                // upload x and grad_out, backward, download: 4 operations
                let x = gpu.upload(xs)?;
                let g = gpu.upload(&inputs[k])?;
                let d = gpu.backward(act, &x, &g)?;
                gpu.download_into(&d, &mut host[k])?;
                ops += 4;
            }
            2 => {
                // a batch of three with an input dropped before submit, then a download:
                // upload, 3 recorded, submit, download = 6 operations
                let x = gpu.upload(xs)?;
                let mut batch = gpu.batch();
                let h = batch.forward(Activation::Relu, &x)?;
                let y = batch.forward(act, &h)?;
                let _t = batch.forward(Activation::Tanh, &x)?;
                drop((x, h));
                batch.submit()?;
                gpu.download_into(&y, &mut host[k])?;
                ops += 6;
            }
            _ => {
                // in place: upload, op, download = 3 operations
                let x = gpu.upload(xs)?;
                gpu.forward_inplace(act, &x)?;
                gpu.download_into(&x, &mut host[k])?;
                if round % 500 == 3 {
                    check(act, xs, &host[k]);
                }
                ops += 3;
            }
        }
        round += 1;
    }
    let rss = sample(&gpu, ops, start);
    samples.push(rss);
    if samples.iter().all(|&s| s == 0) {
        println!("RSS is not available on this platform: no plateau check");
        return Ok(());
    }
    let half = samples[samples.len() / 2];
    let growth = rss.saturating_sub(half);
    println!(
        "second-half growth: {:.2} MiB (limit {:.0} MiB) over {round} rounds",
        mib(growth),
        mib(PLATEAU_SLACK)
    );
    if growth > PLATEAU_SLACK {
        eprintln!("memory did not plateau");
        std::process::exit(1);
    }
    println!("plateau reached");
    Ok(())
}
