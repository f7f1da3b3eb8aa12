//! Upload + in-place operation + download of N elements, reporting wall time and the process's
//! peak resident memory against the 3·N·size + 64 MiB target (size = 4 bytes for f32, 2 for f16
//! and bf16).
//!
//! `cargo run --release --example roundtrip -- 67108864 [f32|f16|bf16]`, or under
//! `/usr/bin/time -v` for its "Maximum resident set size".

use std::time::{Duration, Instant};

use gpu_activations::half::{bf16, f16};
use gpu_activations::{DType, Element, Error, GpuActivations, Options};

/// Peak resident set size of this process in bytes (Linux), if known.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Two rounds of upload, relu in place and download of `n` elements of `T` made by `from`.
/// The first round also pays for first-touch page faults of the fresh device memory; the
/// second reuses the pooled buffer. Both are reported.
fn round_trip<T: Element + PartialEq + std::fmt::Debug>(
    gpu: &GpuActivations,
    n: usize,
    from: impl Fn(f32) -> T,
) -> Result<(), Error> {
    let input: Vec<T> = (0..n).map(|i| from((i % 1000) as f32 - 500.0)).collect();
    let zero = from(0.0);
    for round in 1..=2 {
        let t = Instant::now();
        let x = gpu.upload_typed(&input)?;
        gpu.sync()?;
        let up = t.elapsed();
        gpu.relu_inplace(&x)?;
        gpu.sync()?;
        let op = t.elapsed() - up;
        let output: Vec<T> = gpu.download_typed(&x)?;
        let wall = t.elapsed();
        let down = wall - up - op;
        let want = |i: usize| if i % 1000 <= 500 { zero } else { input[i] };
        assert!((0..n).all(|i| output[i] == want(i)), "wrong result");
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let bytes = n * std::mem::size_of::<T>();
        println!(
            "round {round}, N = {n} {}: upload {:.1} ms + relu_inplace {:.1} ms + download {:.1} ms = {:.1} ms ({:.2} GB/s of host data each way)",
            T::DTYPE.name(),
            ms(up),
            ms(op),
            ms(down),
            ms(wall),
            bytes as f64 / wall.as_secs_f64() / 1e9
        );
    }
    Ok(())
}

fn main() -> Result<(), Error> {
    env_logger::init();
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1 << 26);
    let dtype = match args.get(2).map(String::as_str) {
        Some("f16") => DType::F16,
        Some("bf16") => DType::Bf16,
        _ => DType::F32,
    };
    let gpu = GpuActivations::with_options(Options { verify: false, ..Options::from_env() })?;
    let before = peak_rss().unwrap_or(0);
    match dtype {
        DType::F16 => round_trip(&gpu, n, f16::from_f32)?,
        DType::Bf16 => round_trip(&gpu, n, bf16::from_f32)?,
        _ => round_trip(&gpu, n, |v| v)?,
    }
    let peak = peak_rss().unwrap_or(0);
    let target = 3 * n as u64 * dtype.size_in_bytes() + (64 << 20);
    let grown = peak.saturating_sub(before);
    println!(
        "peak RSS {:.1} MiB = {:.1} MiB before any tensor (driver, compiler) + {:.1} MiB for the \
         round trip; target 3·N·{} + 64 MiB = {:.1} MiB: {}",
        peak as f64 / 1048576.0,
        before as f64 / 1048576.0,
        grown as f64 / 1048576.0,
        dtype.size_in_bytes(),
        target as f64 / 1048576.0,
        if grown <= target { "met" } else { "MISSED" }
    );
    Ok(())
}
