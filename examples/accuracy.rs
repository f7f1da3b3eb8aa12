//! Measures every activation's accuracy on the current adapter against the float64 reference.
//!
//! `cargo run --release --example accuracy` sweeps 2^24 inputs spread evenly over the f32 bit
//! patterns (every exponent, both signs, ±0, ±inf, NaN, subnormals); `--exhaustive` runs all 2^32.
//! Prints a table and writes it as Markdown (`--out PATH`, default `target/accuracy.md`).

use std::fmt::Write as _;

use gpu_activations::{Activation, GpuActivations, Options, reference, ulp::Stats};

/// Inputs per GPU batch.
const BATCH: u64 = 1 << 24;

/// A deterministic upstream gradient in [1, 2) for element `i`, so that the final multiply
/// rounds too.
fn grad_for(bits: u32) -> f32 {
    let h = bits.wrapping_mul(0x9E37_79B9) ^ (bits >> 16);
    f32::from_bits(0x3f80_0000 | (h & 0x007f_ffff))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let args: Vec<String> = std::env::args().collect();
    let exhaustive = args.iter().any(|a| a == "--exhaustive");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "target/accuracy.md".into());
    let gpu = GpuActivations::with_options(Options {
        verify: false,
        ..Options::from_env()
    })?;
    let info = gpu.adapter_info();
    let adapter = format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type);
    println!("adapter: {adapter}");

    // Inputs: bit patterns 0, stride, 2*stride, ... (plus an odd offset so mantissas vary).
    let (batches, stride) = if exhaustive { (256u64, 1u64) } else { (1, 256) };
    let bar = indicatif::ProgressBar::new(batches * Activation::ALL.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} batches {elapsed_precise} (eta {eta})",
    )?);
    let mut stats = vec![(Stats::default(), Stats::default()); Activation::ALL.len()];
    for b in 0..batches {
        let bits: Vec<u32> = (0..BATCH)
            .map(|i| ((b * BATCH + i) * stride + if stride > 1 { i % stride } else { 0 }) as u32)
            .collect();
        let xs: Vec<f32> = bits.iter().map(|&u| f32::from_bits(u)).collect();
        let gs: Vec<f32> = bits.iter().map(|&u| grad_for(u)).collect();
        let x = gpu.upload(&xs)?;
        let g = gpu.upload(&gs)?;
        for (a, act) in Activation::ALL.iter().enumerate() {
            let y = gpu.download(&gpu.forward(*act, &x)?)?;
            let d = gpu.download(&gpu.backward(*act, &x, &g)?)?;
            let (f, bk) = measure(*act, &xs, &gs, &y, &d);
            stats[a].0.merge(&f);
            stats[a].1.merge(&bk);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    let inputs = batches * BATCH;
    let mut md = String::new();
    writeln!(
        md,
        "Measured on `{adapter}` over {inputs} inputs ({}); backward with grad_out in [1, 2).\n",
        if exhaustive {
            "every f32"
        } else {
            "every 256th f32 bit pattern: all exponents, both signs"
        }
    )?;
    writeln!(
        md,
        "| activation | forward max ULP | forward mean ULP | worst x | bound | backward max ULP | backward mean ULP | worst x | bound |"
    )?;
    writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    let mut ok = true;
    for (act, (f, b)) in Activation::ALL.iter().zip(&stats) {
        let bounds = act.bounds();
        ok &= f.max <= bounds.forward_ulp && b.max <= bounds.backward_ulp;
        writeln!(
            md,
            "| {} | {:.2} | {:.4} | {:e} | {} | {:.2} | {:.4} | {:e} | {} |",
            act.name(),
            f.max,
            f.mean(),
            f.worst_input,
            bounds.forward_ulp,
            b.max,
            b.mean(),
            b.worst_input,
            bounds.backward_ulp
        )?;
    }
    print!("{md}");
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, &md)?;
    println!(
        "\nwritten to {out}; every bound {}",
        if ok { "holds" } else { "DOES NOT hold" }
    );
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Forward and backward statistics for one batch, computed on all cores.
fn measure(act: Activation, xs: &[f32], gs: &[f32], y: &[f32], d: &[f32]) -> (Stats, Stats) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = xs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let r = (t * chunk).min(xs.len())..((t + 1) * chunk).min(xs.len());
                s.spawn(move || {
                    let (mut f, mut b) = (Stats::default(), Stats::default());
                    for i in r {
                        let x = xs[i] as f64;
                        f.add(xs[i], y[i], reference::forward_f64(act, x));
                        b.add(xs[i], d[i], reference::backward_f64(act, x, gs[i] as f64));
                    }
                    (f, b)
                })
            })
            .collect();
        handles
            .into_iter()
            .fold((Stats::default(), Stats::default()), |(mut f, mut b), h| {
                let (hf, hb) = h.join().expect("worker panicked");
                f.merge(&hf);
                b.merge(&hb);
                (f, b)
            })
    })
}
