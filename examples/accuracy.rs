//! Measures every activation's accuracy on the current adapter against the float64 reference.
//!
//! `cargo run --release --example accuracy` sweeps 2^24 inputs spread evenly over the f32 bit
//! patterns (every exponent, both signs, ±0, ±inf, NaN, subnormals); `--exhaustive` runs all 2^32.
//! Prints a table and writes it as Markdown (`--out PATH`, default `target/accuracy.md`).

use std::fmt::Write as _;

use gpu_activations::half::{bf16, f16};
use gpu_activations::ulp::{self, Stats};
use gpu_activations::{
    Activation, DType, GpuActivations, GpuBuffer, Options, SOFTMAX_BACKWARD_ABS,
    SOFTMAX_FORWARD_ULP, reference,
};

/// Inputs per GPU batch.
const BATCH: u64 = 1 << 24;

/// A deterministic upstream gradient in [1, 2) for input bits `bits`, so that the final
/// multiply rounds too.
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
    let gpu = GpuActivations::with_options(Options { verify: false, ..Options::from_env() })?;
    let info = gpu.adapter_info();
    let adapter = format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type);
    println!("adapter: {adapter}");

    // Inputs: every `stride`-th bit pattern, offset within the stride so mantissas vary.
    let (batches, stride) = if exhaustive { (256u64, 1u64) } else { (1, 256) };
    let bar = indicatif::ProgressBar::new(batches * Activation::ALL.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} kernels {elapsed_precise} (eta {eta})",
    )?);
    let mut stats = vec![[Stats::default(); 3]; Activation::ALL.len()];
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
            let m = measure(*act, &xs, &gs, &y, &d);
            for (total, part) in stats[a].iter_mut().zip(&m) {
                total.merge(part);
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    let inputs = batches * BATCH;
    let sweep = if exhaustive {
        "every f32"
    } else {
        "every 256th f32 bit pattern: all exponents, both signs"
    };
    let mut md = String::new();
    writeln!(
        md,
        "Measured on `{adapter}` over {inputs} inputs ({sweep}); backward with grad_out in [1, 2).\n"
    )?;
    writeln!(
        md,
        "| activation | forward max ULP | forward mean ULP | worst x | bound | backward max ULP | \
         backward mean ULP | worst x | bound | near the zero of f′: share of the allowance used |"
    )?;
    writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")?;
    let mut ok = true;
    for (act, [f, b, near]) in Activation::ALL.iter().zip(&stats) {
        let bounds = act.bounds();
        ok &= f.max <= bounds.forward_ulp && b.max <= bounds.backward_ulp && near.max <= 1.0;
        let near = match bounds.backward_zero {
            Some(x0) => format!("{:.3} (\\|x − ({x0:.4})\\| ≤ 1/8)", near.max),
            None => "—".into(),
        };
        writeln!(
            md,
            "| {} | {:.2} | {:.4} | {:e} | {} | {:.2} | {:.4} | {:e} | {} | {near} |",
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
    ok &= rowwise(&gpu, &mut md)?;
    ok &= half_sweeps(&gpu, &mut md)?;
    print!("{md}");
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, &md)?;
    println!("\nwritten to {out}; every bound {}", if ok { "holds" } else { "DOES NOT hold" });
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Forward, backward and near-zero-of-f′ statistics for one batch, computed on all cores.
///
/// Within 1/8 of the zero of f′ (where the activation has one) a backward result passes if it
/// is within the ULP bound or within 2⁻²³·|grad_out| absolutely: the third set records there
/// the smaller of the two errors, each as a share of its bound (at most 1 passes); the second
/// set covers every other input.
fn measure(act: Activation, xs: &[f32], gs: &[f32], y: &[f32], d: &[f32]) -> [Stats; 3] {
    let bounds = act.bounds();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = xs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let r = (t * chunk).min(xs.len())..((t + 1) * chunk).min(xs.len());
                s.spawn(move || {
                    let mut st = [Stats::default(); 3];
                    for i in r {
                        let x = xs[i] as f64;
                        st[0].add(xs[i], y[i], reference::forward_f64(act, x));
                        let want = reference::backward_f64(act, x, gs[i] as f64);
                        let near_zero =
                            bounds.backward_zero.is_some_and(|x0| (x - x0).abs() <= 0.125);
                        if near_zero {
                            // The share of the allowance used: the ULP bound or the absolute one.
                            let unit = 2f64.powi(-23) * (gs[i] as f64).abs();
                            let by_ulp = ulp::measured(d[i], want) / bounds.backward_ulp;
                            let by_abs = (d[i] as f64 - want).abs() / unit;
                            st[2].add_error(xs[i], by_ulp.min(by_abs));
                        } else {
                            st[1].add(xs[i], d[i], want);
                        }
                    }
                    st
                })
            })
            .collect();
        handles.into_iter().fold([Stats::default(); 3], |mut acc, h| {
            let part = h.join().expect("worker panicked");
            for (a, p) in acc.iter_mut().zip(&part) {
                a.merge(p);
            }
            acc
        })
    })
}

/// PReLU and the softmax family over 2^22 inputs: rows of 1024 logits at scales from 0.1 to 1e4
/// (softmax), and an (N, 64, 64) tensor of the sweep's inputs (PReLU). Appends their rows.
fn rowwise(gpu: &GpuActivations, md: &mut String) -> Result<bool, Box<dyn std::error::Error>> {
    const ROW: usize = 1024;
    let n = 1usize << 22;
    let xs: Vec<f32> = (0..n)
        .map(|i| {
            let u = grad_for(i as u32) - 1.5; // in [-0.5, 0.5)
            u * 10f32.powi((i / ROW % 6) as i32 - 1)
        })
        .collect();
    let gs: Vec<f32> = (0..n).map(|i| grad_for(!(i as u32)) - 1.5).collect();
    let x = gpu.upload(&xs)?;
    let g = gpu.upload(&gs)?;
    let mut ok = true;
    for log in [false, true] {
        let y = if log { gpu.log_softmax(&x, ROW)? } else { gpu.softmax(&x, ROW)? };
        let d = if log {
            gpu.log_softmax_backward(&y, &g, ROW)?
        } else {
            gpu.softmax_backward(&y, &g, ROW)?
        };
        let (ys, ds) = (gpu.download(&y)?, gpu.download(&d)?);
        let want =
            if log { reference::log_softmax(&xs, ROW) } else { reference::softmax(&xs, ROW) };
        let (bw, scale) = if log {
            reference::log_softmax_backward(&ys, &gs, ROW)
        } else {
            reference::softmax_backward(&ys, &gs, ROW)
        };
        let (mut f, mut b) = (Stats::default(), Stats::default());
        for i in 0..n {
            f.add(xs[i], ys[i], want[i]);
            b.add_error(xs[i], ulp::scaled_error(ds[i], bw[i], scale[i]));
        }
        ok &= f.max <= SOFTMAX_FORWARD_ULP && b.max <= SOFTMAX_BACKWARD_ABS;
        writeln!(
            md,
            "| {} (rows of {ROW}) | {:.2} | {:.4} | {:e} | {} | {:.2} (× 2⁻²³·Σ\\|terms\\|) | {:.4} | {:e} | {} | — |",
            if log { "log_softmax" } else { "softmax" },
            f.max,
            f.mean(),
            f.worst_input,
            SOFTMAX_FORWARD_ULP,
            b.max,
            b.mean(),
            b.worst_input,
            SOFTMAX_BACKWARD_ABS
        )?;
    }
    let (c, s) = (64usize, 64usize);
    let xs: Vec<f32> = (0..n).map(|i| f32::from_bits((i as u32).wrapping_mul(1031))).collect();
    let ws: Vec<f32> = (0..c).map(|k| 0.37 * k as f32 - 11.0).collect();
    let x = gpu.upload(&xs)?;
    let w = gpu.upload(&ws)?;
    let y = gpu.download(&gpu.prelu_with_spatial(&x, &w, c, s)?)?;
    let (dx, _) = gpu.prelu_with_spatial_backward(&x, &g, &w, c, s)?;
    let dx = gpu.download(&dx)?;
    let want = reference::prelu(&xs, &ws, c, s);
    let (want_dx, _) = reference::prelu_backward(&xs, &gs, &ws, c, s);
    let (mut f, mut b) = (Stats::default(), Stats::default());
    for i in 0..n {
        f.add(xs[i], y[i], want[i]);
        b.add(xs[i], dx[i], want_dx[i]);
    }
    ok &= f.max <= 0.5 && b.max <= 0.5;
    writeln!(
        md,
        "| prelu ((N, 64, 64), 64 weights) | {:.2} | {:.4} | {:e} | 0.5 | {:.2} | {:.4} | {:e} | 0.5 | — |",
        f.max,
        f.mean(),
        f.worst_input,
        b.max,
        b.mean(),
        b.worst_input
    )?;
    Ok(ok)
}

/// Upstream gradients of the 16-bit sweeps: exact in both formats, one of them negative, one
/// scaling the result up.
const HALF_GRADS: [f32; 3] = [1.0, -0.75, 3.0];

/// A tensor of `dtype` holding the 16-bit patterns `bits`.
fn upload_bits(
    gpu: &GpuActivations,
    dtype: DType,
    bits: &[u16],
) -> Result<GpuBuffer, gpu_activations::Error> {
    match dtype {
        DType::F16 => {
            gpu.upload_typed(&bits.iter().map(|&b| f16::from_bits(b)).collect::<Vec<_>>())
        }
        _ => gpu.upload_typed(&bits.iter().map(|&b| bf16::from_bits(b)).collect::<Vec<_>>()),
    }
}

/// One format's results for one activation: the largest error in ULPs of the format, how many
/// results are not the correctly rounded value, how many were compared, and whether every one
/// meets the bound.
#[derive(Clone, Default)]
struct HalfStats {
    max: f64,
    not_rounded: u64,
    /// Results below 2⁻¹²⁶ flushed to zero (allowed for bf16, as for f32): not counted above.
    flushed: u64,
    count: u64,
    ok: bool,
}

impl HalfStats {
    fn add(&mut self, dtype: DType, got: f32, want: f64, passes: bool, near_zero: bool) {
        let rounded = ulp::round_to(dtype, want);
        let same = got == rounded || (got.is_nan() && rounded.is_nan());
        let flushed = !same && got == 0.0 && ulp::within_in(dtype, got, want, 0.0);
        if flushed {
            self.flushed += 1;
        } else if !same {
            self.not_rounded += 1;
        }
        // Near a zero of f′ the bound is absolute: the ULP figure is reported elsewhere only.
        let e = if near_zero || same || flushed { 0.0 } else { ulp::error_in(dtype, got, want) };
        self.max = self.max.max(e);
        self.ok &= passes;
        self.count += 1;
    }
}

/// Every activation forward and backward on all 65,536 inputs of f16 and of bf16 (backward with
/// each of [`HALF_GRADS`]), against the float64 reference correctly rounded to the format.
/// Appends a second table.
fn half_sweeps(gpu: &GpuActivations, md: &mut String) -> Result<bool, Box<dyn std::error::Error>> {
    let formats = [DType::F16, DType::Bf16];
    let bits: Vec<u16> = (0..=u16::MAX).collect();
    let mut rows = vec![Vec::new(); Activation::ALL.len()];
    for dtype in formats {
        let x = upload_bits(gpu, dtype, &bits)?;
        let xs = gpu.download(&x)?; // widened exactly
        let grads: Vec<(f32, GpuBuffer)> = HALF_GRADS
            .iter()
            .map(|&g| {
                let gb = gpu.upload(&vec![g; bits.len()])?;
                Ok((g, gpu.cast(&gb, dtype)?))
            })
            .collect::<Result<_, gpu_activations::Error>>()?;
        for (a, act) in Activation::ALL.iter().enumerate() {
            let bounds = act.bounds();
            let y = gpu.download(&gpu.forward(*act, &x)?)?;
            let mut f = HalfStats { ok: true, ..Default::default() };
            for (&xv, &yv) in xs.iter().zip(&y) {
                let want = reference::forward_f64(*act, xv as f64);
                f.add(dtype, yv, want, bounds.forward_ok_in(dtype, yv, want), false);
            }
            let mut b = HalfStats { ok: true, ..Default::default() };
            for (g, gb) in &grads {
                let d = gpu.download(&gpu.backward(*act, &x, gb)?)?;
                for (&xv, &dv) in xs.iter().zip(&d) {
                    let want = reference::backward_f64(*act, xv as f64, *g as f64);
                    let near =
                        bounds.backward_zero.is_some_and(|x0| (xv as f64 - x0).abs() <= 0.125);
                    b.add(dtype, dv, want, bounds.backward_ok_in(dtype, xv, *g, dv, want), near);
                }
            }
            rows[a].push((f, b));
        }
    }
    writeln!(
        md,
        "\n16-bit storage, every one of the 65,536 inputs of each format (backward with grad_out \
         = 1, -0.75 and 3): the largest error in ULPs of the format (outside the window near a zero \
         of f′, where the bound is absolute) and how many results are not the correctly rounded \
         value (results below 2⁻¹²⁶ that bf16, like f32, may flush to zero are counted apart as \
         flushed); bound 0.51 ULP.\n"
    )?;
    writeln!(
        md,
        "| activation | f16 forward max ULP | not correctly rounded | f16 backward max ULP | not correctly rounded | bf16 forward max ULP | not correctly rounded | bf16 backward max ULP | not correctly rounded |"
    )?;
    writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    let mut ok = true;
    for (act, per_format) in Activation::ALL.iter().zip(&rows) {
        let mut line = format!("| {} |", act.name());
        for (f, b) in per_format {
            ok &= f.ok && b.ok;
            for s in [f, b] {
                let flag = if s.ok { "" } else { " ✗" };
                let flushed = if s.flushed > 0 {
                    format!(" (+{} flushed)", s.flushed)
                } else {
                    String::new()
                };
                write!(line, " {:.3}{flag} | {} of {}{flushed} |", s.max, s.not_rounded, s.count)?;
            }
        }
        writeln!(md, "{line}")?;
    }
    Ok(ok)
}
