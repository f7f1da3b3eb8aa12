//! Upload + in-place operation + download of N floats, reporting wall time and the process's
//! peak resident memory against the 3·N·4 bytes + 64 MiB target.
//!
//! `cargo run --release --example roundtrip -- 67108864`, or under `/usr/bin/time -v` for its
//! "Maximum resident set size".

use std::time::Instant;

use gpu_activations::{GpuActivations, Options};

/// Peak resident set size of this process in bytes (Linux), if known.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() -> Result<(), gpu_activations::Error> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1 << 26);
    let gpu = GpuActivations::with_options(Options { verify: false, ..Options::from_env() })?;
    let before = peak_rss().unwrap_or(0);
    let input: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 - 500.0).collect();
    let mut output = vec![0.0f32; n];
    // The first round also pays for first-touch page faults of the fresh device memory; the
    // second reuses the pooled buffer. Both are reported.
    for round in 1..=2 {
        let t = Instant::now();
        let x = gpu.upload(&input)?;
        gpu.sync()?;
        let up = t.elapsed();
        gpu.relu_inplace(&x)?;
        gpu.sync()?;
        let op = t.elapsed() - up;
        gpu.download_into(&x, &mut output)?;
        let wall = t.elapsed();
        let down = wall - up - op;
        assert!(output.iter().zip(&input).all(|(y, x)| *y == x.max(0.0)), "wrong result");
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "round {round}, N = {n}: upload {:.1} ms + relu_inplace {:.1} ms + download_into {:.1} ms = {:.1} ms ({:.2} GB/s of host data each way)",
            ms(up),
            ms(op),
            ms(down),
            ms(wall),
            (2 * n * 4) as f64 / wall.as_secs_f64() / 1e9 / 2.0
        );
    }
    let peak = peak_rss().unwrap_or(0);
    let target = 3 * n as u64 * 4 + (64 << 20);
    let grown = peak.saturating_sub(before);
    println!(
        "peak RSS {:.1} MiB = {:.1} MiB before any tensor (driver, compiler) + {:.1} MiB for the \
         round trip; target 3·N·4 + 64 MiB = {:.1} MiB: {}",
        peak as f64 / 1048576.0,
        before as f64 / 1048576.0,
        grown as f64 / 1048576.0,
        target as f64 / 1048576.0,
        if grown <= target { "met" } else { "MISSED" }
    );
    Ok(())
}
