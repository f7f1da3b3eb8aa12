//! `cargo bench --bench throughput`: every activation, forward and backward, GPU-resident, as
//! GB/s (bytes read + written) and as a ratio to `copy_buffer_to_buffer` of the same bytes
//! measured in the same run; then small-op batching, start-up costs and a host round trip.
//!
//! Times are GPU timestamps where the adapter has them (else wall time from submit to
//! completion), the median of repeated runs after a warm-up. `--quick` measures fewer sizes;
//! `--pipelines-only` just the section on working inside other pipelines (bias, wrapped
//! buffers, kept results).

use std::time::Instant;

#[path = "common/naive.rs"]
mod naive;

use gpu_activations::{Activation, DType, GpuActivations, GpuBuffer, Options};

const SIZES: [usize; 5] = [4_096, 65_536, 1_048_576, 16_777_216, 67_108_864];

/// Times one recorded piece of work.
struct Timer<'a> {
    gpu: &'a GpuActivations,
    queries: Option<(wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer, f64)>,
}

impl<'a> Timer<'a> {
    fn new(gpu: &'a GpuActivations) -> Self {
        let dev = gpu.device();
        let wanted =
            wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
        let queries = dev.features().contains(wanted).then(|| {
            let set = dev.create_query_set(&wgpu::QuerySetDescriptor {
                label: None,
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let resolve = dev.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let read = dev.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: 16,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            (set, resolve, read, gpu.queue().get_timestamp_period() as f64)
        });
        Timer { gpu, queries }
    }

    fn kind(&self) -> &'static str {
        if self.queries.is_some() {
            "GPU timestamp queries"
        } else {
            "wall time, submit to completion"
        }
    }

    /// Seconds the work recorded by `f` takes.
    fn time(&self, f: &mut dyn FnMut(&mut wgpu::CommandEncoder)) -> f64 {
        let dev = self.gpu.device();
        let mut enc = dev.create_command_encoder(&Default::default());
        if let Some((set, ..)) = &self.queries {
            enc.write_timestamp(set, 0);
        }
        f(&mut enc);
        if let Some((set, resolve, read, _)) = &self.queries {
            enc.write_timestamp(set, 1);
            enc.resolve_query_set(set, 0..2, resolve, 0);
            enc.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
        }
        let start = Instant::now();
        let idx = self.gpu.queue().submit([enc.finish()]);
        dev.poll(wgpu::PollType::Wait { submission_index: Some(idx), timeout: None }).unwrap();
        let wall = start.elapsed().as_secs_f64();
        match &self.queries {
            None => wall,
            Some((_, _, read, period)) => {
                read.slice(..).map_async(wgpu::MapMode::Read, |_| {});
                dev.poll(wgpu::PollType::wait_indefinitely()).unwrap();
                let t: Vec<u64> =
                    bytemuck::cast_slice(&read.slice(..).get_mapped_range().unwrap()).to_vec();
                read.unmap();
                (t[1].wrapping_sub(t[0])) as f64 * period * 1e-9
            }
        }
    }

    /// The median of `reps` timings after one warm-up.
    fn median(&self, reps: usize, f: &mut dyn FnMut(&mut wgpu::CommandEncoder)) -> f64 {
        self.medians_in_turns(reps, 1, &mut |_, enc| f(enc))[0]
    }

    /// The median GPU (or wall) time of each of `count` pieces of work (`f(k, encoder)` records
    /// piece k), taking turns as [`medians_in_turns`].
    fn medians_in_turns(
        &self,
        reps: usize,
        count: usize,
        f: &mut dyn FnMut(usize, &mut wgpu::CommandEncoder),
    ) -> Vec<f64> {
        medians_in_turns(reps, count, &mut |k| self.time(&mut |enc| f(k, enc)))
    }
}

/// The median of `reps` results of `time(k)` for each of `count` pieces of work, after one
/// warm-up round, the pieces taking turns in every repetition so that a slow spell of a shared
/// host falls on all of them alike.
fn medians_in_turns(reps: usize, count: usize, time: &mut dyn FnMut(usize) -> f64) -> Vec<f64> {
    let mut times = vec![Vec::with_capacity(reps); count];
    for rep in 0..=reps {
        for (k, ts) in times.iter_mut().enumerate() {
            let t = time(k);
            if rep > 0 {
                ts.push(t);
            }
        }
    }
    times
        .iter_mut()
        .map(|ts| {
            ts.sort_by(f64::total_cmp);
            ts[reps / 2]
        })
        .collect()
}

fn reps_for(n: usize) -> usize {
    match n {
        0..=65_536 => 31,
        65_537..=1_048_576 => 15,
        1_048_577..=16_777_216 => 11,
        _ => 7,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // --only relu,sigmoid: just those activations
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_owned).collect());
    let acts: Vec<Activation> = Activation::ALL
        .iter()
        .copied()
        .filter(|a| only.as_ref().is_none_or(|o| o.iter().any(|n| n == a.name())))
        .collect();
    let t0 = Instant::now();
    let gpu =
        GpuActivations::with_options(Options { verify: false, ..Options::from_env() }).unwrap();
    let new_time = t0.elapsed();
    let info = gpu.adapter_info();
    let timer = Timer::new(&gpu);
    println!("adapter: {} ({:?}); timing: {}", info.name, info.backend, timer.kind());

    // Start-up: first use of a pipeline compiles it.
    let small = gpu.upload(&vec![0.5f32; 4096]).unwrap();
    let t = Instant::now();
    let _ = gpu.download(&gpu.forward(Activation::Gelu, &small).unwrap()).unwrap();
    let first = t.elapsed();
    let t = Instant::now();
    let _ = gpu.download(&gpu.forward(Activation::Gelu, &small).unwrap()).unwrap();
    let second = t.elapsed();
    let t = Instant::now();
    gpu.warm_up().unwrap();
    let warm = t.elapsed();
    println!(
        "GpuActivations::new(): {:.1} ms; first gelu call (compiles its pipeline): {:.1} ms, \
         second: {:.2} ms; warm_up() of the rest: {:.0} ms\n",
        new_time.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        second.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3
    );

    let sizes: &[usize] = if quick { &SIZES[..4] } else { &SIZES };
    let largest = *sizes.last().unwrap();
    let xs: Vec<f32> = (0..largest).map(|i| ((i % 2001) as f32 - 1000.0) * 0.01).collect();
    let gs: Vec<f32> = (0..largest).map(|i| 1.0 - (i % 7) as f32 * 0.25).collect();
    if args.iter().any(|a| a == "--pipelines-only") {
        // Just the section on working inside other pipelines.
        inside_other_pipelines(&gpu, &timer, &xs, &gs, 16_777_216.min(largest));
        return;
    }
    let mut rows: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut copy_line = String::new();
    let mut results = vec![Vec::new(); 2 * acts.len()];
    for &n in sizes {
        let x = gpu.upload(&xs[..n]).unwrap();
        let g = gpu.upload(&gs[..n]).unwrap();
        let dst = gpu.upload(&gs[..n]).unwrap();
        let bytes = (n * 4) as u64;
        let reps = reps_for(n);
        let copy = timer.median(reps, &mut |enc| {
            enc.copy_buffer_to_buffer(x.raw(), 0, dst.raw(), 0, bytes);
        });
        let copy_gbs = 2.0 * bytes as f64 / copy / 1e9;
        copy_line += &format!(" {:>9.1} GB/s |", copy_gbs);
        // Every run writes the same output: like the copy's destination, memory already in use
        // (a fresh allocation would time the zero-fill and first touch of new pages).
        let y = gpu.upload(&gs[..n]).unwrap();
        for (a, act) in acts.iter().enumerate() {
            let t = timer.median(reps, &mut |enc| {
                gpu.encode_forward_into(enc, *act, &x, &y).unwrap();
            });
            let gbs = 2.0 * bytes as f64 / t / 1e9;
            results[2 * a].push((gbs, gbs / copy_gbs));
            let t = timer.median(reps, &mut |enc| {
                gpu.encode_backward_into(enc, *act, &x, &g, &y).unwrap();
            });
            let gbs = 3.0 * bytes as f64 / t / 1e9;
            results[2 * a + 1].push((gbs, gbs / copy_gbs));
        }
    }
    for (a, act) in acts.iter().enumerate() {
        rows.push((format!("{} forward", act.name()), results[2 * a].clone()));
        rows.push((format!("{} backward", act.name()), results[2 * a + 1].clone()));
    }

    print!("| kernel |");
    for n in sizes {
        print!(" N = {n} |");
    }
    println!();
    println!("|---|{}", "---:|".repeat(sizes.len()));
    println!("| copy_buffer_to_buffer (baseline) |{copy_line}");
    for (name, cells) in &rows {
        print!("| {name} |");
        for (gbs, ratio) in cells {
            print!(" {gbs:.1} GB/s ({ratio:.2}) |");
        }
        println!();
    }
    println!(
        "\n(GB/s counts bytes read + written: 8 per element forward, 12 backward; in brackets the ratio to the copy of the same N.)\n"
    );

    // Each op against the naive kernel of the same op (its textbook formula with WGSL's
    // builtins, benches/common/naive.rs) at 16M, on the same device in the same run, the two
    // taking turns in every repetition: how much the accurate kernel costs over what a user
    // would write by hand, a ratio that holds across hosts where ratios to the copy do not.
    {
        let n = 16_777_216.min(largest);
        let reps = reps_for(n);
        let x = gpu.upload(&xs[..n]).unwrap();
        let g = gpu.upload(&gs[..n]).unwrap();
        let y = gpu.upload(&gs[..n]).unwrap();
        println!("| vs naive, N = {n} | this crate | naive builtin kernel | crate ÷ naive |");
        println!("|---|---:|---:|---:|");
        for act in &acts {
            let Some((fwd, bwd)) = naive::formulas(act.name()) else { continue };
            for (backward, expr) in [(false, fwd), (true, bwd)] {
                let plain = naive::Naive::new(gpu.device(), expr, [x.raw(), g.raw(), y.raw()], n);
                let times = timer.medians_in_turns(reps, 2, &mut |k, enc| match (k, backward) {
                    (0, true) => gpu.encode_backward_into(enc, *act, &x, &g, &y).unwrap(),
                    (0, false) => gpu.encode_forward_into(enc, *act, &x, &y).unwrap(),
                    _ => plain.record(enc),
                });
                let (t, u) = (times[0], times[1]);
                let naive_name = if act.name() == "gelu" { " (naive: tanh form)" } else { "" };
                println!(
                    "| {} {}{naive_name} | {:.2} G/s | {:.2} G/s | {:.2} |",
                    act.name(),
                    if backward { "backward" } else { "forward" },
                    n as f64 / t / 1e9,
                    n as f64 / u / 1e9,
                    u / t
                );
            }
        }
        println!(
            "\n(elements per second, GPU-resident; crate ÷ naive is the crate's speed as a fraction of the naive kernel's.)\n"
        );
    }

    inside_other_pipelines(&gpu, &timer, &xs, &gs, 16_777_216.min(largest));

    // 16-bit storage at 16M: elements per second of each op on f32, f16 and bf16 tensors of
    // the same values, and the ratio to f32 of the same op in this run. The relu family and the
    // tutorial's activations (the bandwidth-bound ones, where halving the bytes should show).
    let n = 16_777_216.min(largest);
    let reps = reps_for(n);
    let x32 = gpu.upload(&xs[..n]).unwrap();
    let g32 = gpu.upload(&gs[..n]).unwrap();
    let storages = [DType::F32, DType::F16, DType::Bf16];
    let tensors: Vec<(GpuBuffer, GpuBuffer, GpuBuffer)> = storages
        .iter()
        .map(|&d| {
            let cast = |t: &GpuBuffer| gpu.cast(t, d).unwrap();
            (cast(&x32), cast(&g32), cast(&g32))
        })
        .collect();
    let half_acts =
        ["relu", "leaky_relu", "relu6", "hardtanh", "elu", "softplus", "sigmoid", "tanh", "arctan"];
    println!("| 16-bit storage, N = {n} | f32 | f16 (× f32) | bf16 (× f32) |");
    println!("|---|---:|---:|---:|");
    for act in acts.iter().filter(|a| half_acts.contains(&a.name())) {
        for backward in [false, true] {
            // The three storage types take turns in every repetition.
            let times = timer.medians_in_turns(reps, tensors.len(), &mut |k, enc| {
                let (x, g, y) = &tensors[k];
                if backward {
                    gpu.encode_backward_into(enc, *act, x, g, y).unwrap()
                } else {
                    gpu.encode_forward_into(enc, *act, x, y).unwrap()
                }
            });
            let rates: Vec<f64> = times.iter().map(|t| n as f64 / t).collect();
            println!(
                "| {} {} | {:.2} G/s | {:.2} G/s ({:.2}) | {:.2} G/s ({:.2}) |",
                act.name(),
                if backward { "backward" } else { "forward" },
                rates[0] / 1e9,
                rates[1] / 1e9,
                rates[1] / rates[0],
                rates[2] / 1e9,
                rates[2] / rates[0]
            );
        }
    }
    println!(
        "\n(elements per second, GPU-resident; in brackets the ratio to f32 of the same op.)\n"
    );
    drop((x32, g32, tensors));

    // Small ops: 1,000 forward passes over 1,000 distinct tensors of 4,096 elements, batched vs
    // submitted one by one (each waited for, as a caller needing the result would).
    let inputs: Vec<GpuBuffer> =
        (0..1000).map(|k| gpu.upload(&xs[k * 64..k * 64 + 4096]).unwrap()).collect();
    let mut outs = Vec::with_capacity(1000);
    let one_by_one = |outs: &mut Vec<GpuBuffer>| {
        let t = Instant::now();
        for x in &inputs {
            outs.push(gpu.forward(Activation::Relu, x).unwrap());
            gpu.sync().unwrap();
        }
        t.elapsed().as_secs_f64() / 1000.0
    };
    let batched = |outs: &mut Vec<GpuBuffer>| {
        let t = Instant::now();
        let mut batch = gpu.batch();
        for x in &inputs {
            outs.push(batch.forward(Activation::Relu, x).unwrap());
        }
        batch.submit().unwrap();
        gpu.sync().unwrap();
        t.elapsed().as_secs_f64() / 1000.0
    };
    one_by_one(&mut outs);
    outs.clear();
    let separate = (0..3)
        .map(|_| {
            let t = one_by_one(&mut outs);
            outs.clear();
            t
        })
        .fold(f64::MAX, f64::min);
    batched(&mut outs);
    outs.clear();
    let in_batch = (0..3)
        .map(|_| {
            let t = batched(&mut outs);
            outs.clear();
            t
        })
        .fold(f64::MAX, f64::min);
    println!(
        "1,000 relu ops on distinct tensors of 4,096 elements (wall time, best of 3): submitted \
         one by one {:.1} µs/op; one batch (fused) {:.1} µs/op; ratio {:.3}",
        separate * 1e6,
        in_batch * 1e6,
        in_batch / separate
    );

    // Host round trip at 16M: upload + in-place op + download into a caller's slice.
    let n = 16_777_216;
    let mut out = vec![0.0f32; n];
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let x = gpu.upload(&xs[..n]).unwrap();
        gpu.relu_inplace(&x).unwrap();
        gpu.download_into(&x, &mut out).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mut host = vec![0.0f32; n];
    host.copy_from_slice(&xs[..n]); // touch the pages first
    let t = Instant::now();
    host.copy_from_slice(std::hint::black_box(&xs[..n]));
    std::hint::black_box(&host);
    let memcpy = t.elapsed().as_secs_f64();
    println!(
        "upload + relu_inplace + download_into at 16M floats (wall, best of 3): {:.1} ms \
         ({:.2} GB/s of host data moved each way); one host memcpy of 64 MB: {:.1} ms",
        best * 1e3,
        (n * 4) as f64 / best / 1e9,
        memcpy * 1e3
    );
}

/// The median wall time of each of `count` calls `f(k)` (each followed by a sync), taking
/// turns as [`medians_in_turns`].
fn wall_in_turns(
    gpu: &GpuActivations,
    reps: usize,
    count: usize,
    f: &mut dyn FnMut(usize),
) -> Vec<f64> {
    medians_in_turns(reps, count, &mut |k| {
        let t = Instant::now();
        f(k);
        gpu.sync().unwrap();
        t.elapsed().as_secs_f64()
    })
}

/// Bias + activation against the activation alone, results written into a wrapped
/// application buffer against the crate's own, and what keeping every result costs.
fn inside_other_pipelines(
    gpu: &GpuActivations,
    timer: &Timer<'_>,
    xs: &[f32],
    gs: &[f32],
    n: usize,
) {
    let reps = reps_for(n);
    let x = gpu.upload(&xs[..n]).unwrap();
    println!("| inside other pipelines, N = {n} | time | ratio |");
    println!("|---|---:|---:|");
    // A convolution's output (N, C, H·W) = (16, 64, 16384) and a dense layer's (16384, 1024).
    for (label, channels, spatial) in
        [("conv (16, 64, 128·128)", 64, n / 1024), ("dense (16384, 1024)", 1024, 1)]
    {
        let bias = gpu.upload(&gs[..channels]).unwrap();
        for act in [Activation::Relu, Activation::Gelu, Activation::Silu] {
            let t = wall_in_turns(gpu, reps, 2, &mut |k| {
                let y = if k == 0 {
                    gpu.forward(act, &x).unwrap()
                } else {
                    gpu.bias_forward(act, &x, &bias, channels, spatial).unwrap()
                };
                drop(y);
            });
            println!(
                "| bias_forward {} {label} vs forward | {:.1} ms vs {:.1} ms | {:.2} × |",
                act.name(),
                t[1] * 1e3,
                t[0] * 1e3,
                t[1] / t[0]
            );
        }
    }
    // forward_into an application's buffer (wrapped, at offset 0 and at an odd element offset)
    // against forward_into a tensor of the crate's own, and against forward.
    let usage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let app = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("application buffer"),
        size: (2 * n as u64 + 64) * 4,
        usage,
        mapped_at_creation: false,
    });
    let wx = gpu.wrap(&app, 0, n, DType::F32).unwrap();
    let wy = gpu.wrap(&app, n as u64 * 4 + 32, n, DType::F32).unwrap();
    let (ox, oy) = (
        gpu.wrap(&app, 12, n, DType::F32).unwrap(),
        gpu.wrap(&app, n as u64 * 4 + 44, n, DType::F32).unwrap(),
    );
    let y = gpu.upload(&gs[..n]).unwrap();
    for act in [Activation::Relu, Activation::Gelu] {
        let t = timer.medians_in_turns(reps, 3, &mut |k, enc| match k {
            0 => gpu.encode_forward_into(enc, act, &x, &y).unwrap(),
            1 => gpu.encode_forward_into(enc, act, &wx, &wy).unwrap(),
            _ => gpu.encode_forward_into(enc, act, &ox, &oy).unwrap(),
        });
        println!(
            "| forward_into {} on wrapped views vs the crate's own tensors | {:.1} ms vs {:.1} ms (odd offset: {:.1} ms) | {:.2} × ({:.2} ×) |",
            act.name(),
            t[1] * 1e3,
            t[0] * 1e3,
            t[2] * 1e3,
            t[1] / t[0],
            t[2] / t[0]
        );
    }
    // Keeping every result (as training keeps activations) needs a fresh buffer per call,
    // which wgpu zero-fills before the kernel overwrites it; dropped results go back to the
    // pool and are reused; forward_into reuses the caller's tensor. (Not in turns: a kept
    // result must not return to the pool.)
    let kept_reps = 6;
    let mut kept = Vec::with_capacity(kept_reps + 1);
    gpu.release_pooled();
    let keeping = wall_in_turns(gpu, kept_reps, 1, &mut |_| {
        kept.push(gpu.forward(Activation::Relu, &x).unwrap());
    })[0];
    drop(kept);
    let t = wall_in_turns(gpu, reps, 2, &mut |k| match k {
        0 => drop(gpu.forward(Activation::Relu, &x).unwrap()),
        _ => gpu.forward_into(Activation::Relu, &x, &y).unwrap(),
    });
    println!(
        "| relu forward, results kept (a fresh buffer each) vs dropped (pooled) | {:.1} ms vs {:.1} ms | {:.2} × |",
        keeping * 1e3,
        t[0] * 1e3,
        keeping / t[0]
    );
    println!(
        "| relu forward_into the caller's tensor vs forward, dropped | {:.1} ms vs {:.1} ms | {:.2} × |",
        t[1] * 1e3,
        t[0] * 1e3,
        t[1] / t[0]
    );
    println!(
        "\n(bias and kept results: wall time to completion; forward_into on views: GPU time; the median of {reps} after a warm-up, the variants taking turns.)\n"
    );
}
