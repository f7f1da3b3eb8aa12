//! An application that owns its device and buffers (as a wgpu app or engine would) runs a dense
//! layer `y = gelu(W·x + b)` two ways, both checked against the float64 reference:
//!
//! 1. its own WGSL matrix-product kernel, whose epilogue calls `gelu_forward` from
//!    [`wgsl::library`] (one dispatch, nothing of the crate at run time);
//! 2. a plain matrix-product kernel into its own buffer, then the crate on that buffer through
//!    [`GpuActivations::wrap`] (no copy) and the fused [`GpuActivations::bias_forward`].
//!
//! `cargo run --release --example interop` (`WGPU_BACKEND=gl` for the GL backend)

use std::time::Instant;

use gpu_activations::{Activation, DType, GpuActivations, Options, reference, ulp, wgsl};

/// The layer: a batch of `BATCH` inputs of `IN` features to `OUT` features.
const BATCH: usize = 256;
const IN: usize = 256;
const OUT: usize = 512;
const ACT: Activation = Activation::Gelu;

/// The application's kernel: `pre[n, o] = Σ_k W[o, k] x[n, k] + b[o]`, then (when fused) the
/// activation. `pre` keeps the value the activation was applied to, so the check below can
/// judge the activation alone; a real application would drop it.
fn matmul_source(epilogue: &str) -> String {
    format!(
        "@group(0) @binding(0) var<storage, read> x: array<f32>;
         @group(0) @binding(1) var<storage, read> w: array<f32>;
         @group(0) @binding(2) var<storage, read> b: array<f32>;
         @group(0) @binding(3) var<storage, read_write> y: array<f32>;
         @group(0) @binding(4) var<storage, read_write> pre: array<f32>;

         @compute @workgroup_size(64)
         fn main(@builtin(global_invocation_id) id: vec3<u32>) {{
             let o = id.x;
             let n = id.y;
             if (o >= {OUT}u || n >= {BATCH}u) {{ return; }}
             var acc = 0.0;
             for (var k = 0u; k < {IN}u; k++) {{
                 acc += w[o * {IN}u + k] * x[n * {IN}u + k];
             }}
             {epilogue}
         }}"
    )
}

/// The application's own compute pipeline and bind group over its buffers.
struct Layer {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
}

impl Layer {
    fn new(device: &wgpu::Device, source: &str, buffers: &[(u32, &wgpu::Buffer)]) -> Layer {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("application dense layer"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("application dense layer"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .map(|&(binding, b)| wgpu::BindGroupEntry { binding, resource: b.as_entire_binding() })
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        Layer { pipeline, bind_group }
    }

    fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups((OUT as u32).div_ceil(64), BATCH as u32, 1);
    }
}

/// Deterministic values in [-scale, scale).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s =
        seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// The largest error in ULPs of `ys` against the reference activation of `pre`.
fn largest_ulp(pre: &[f32], ys: &[f32]) -> f64 {
    pre.iter()
        .zip(ys)
        .map(|(&p, &y)| ulp::error(y, reference::forward_f64(ACT, p as f64)))
        .fold(0.0, f64::max)
}

/// The median wall time of `runs` runs of `f` (each waited for).
fn median_ms(device: &wgpu::Device, runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    // The application's own instance, adapter, device and queue (WGPU_BACKEND picks the backend).
    let backends = Options::from_env().backends;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))?;
    let (device, queue) = pollster::block_on(adapter.request_device(&Default::default()))?;
    let info = adapter.get_info();
    println!("the application's device: {} ({:?})", info.name, info.backend);
    println!("dense layer: x ({BATCH} × {IN}) → gelu(W·x + b) ({BATCH} × {OUT})\n");

    // The application's buffers.
    let usage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let buffer = |label: &str, data: &[f32]| {
        let b = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (data.len() * 4) as u64,
            usage,
            mapped_at_creation: false,
        });
        queue.write_buffer(&b, 0, bytemuck::cast_slice(data));
        b
    };
    let (xs, ws, bs) = (
        values(BATCH * IN, 1, 1.0),
        values(OUT * IN, 2, 2.0 / (IN as f32).sqrt()),
        values(OUT, 3, 0.5),
    );
    let (x, w, b) = (buffer("x", &xs), buffer("W", &ws), buffer("b", &bs));
    let zeros = vec![0.0f32; BATCH * OUT];
    let (y1, pre1) = (buffer("y (fused kernel)", &zeros), buffer("pre-activation", &zeros));
    let z = buffer("W·x", &zeros);

    // 1. The application's kernel with the library's gelu in its epilogue.
    let library = wgsl::library(&[ACT])?;
    let fused_source = format!(
        "{library}\n{}",
        matmul_source(
            "let v = acc + b[o];
             pre[n * {OUT}u + o] = v;
             y[n * {OUT}u + o] = gelu_forward(v);"
        )
        .replace("{OUT}", &OUT.to_string())
    );
    let fused =
        Layer::new(&device, &fused_source, &[(0, &x), (1, &w), (2, &b), (3, &y1), (4, &pre1)]);

    // 2. A plain product into z, then the crate on the application's buffers.
    let plain_source = matmul_source("y[n * {OUT}u + o] = acc;").replace("{OUT}", &OUT.to_string());
    let plain = Layer::new(&device, &plain_source, &[(0, &x), (1, &w), (3, &z)]);
    let gpu = GpuActivations::from_device(device.clone(), queue.clone())?;
    let (z_view, b_view) =
        (gpu.wrap(&z, 0, BATCH * OUT, DType::F32)?, gpu.wrap(&b, 0, OUT, DType::F32)?);

    let run_fused = || {
        let mut enc = device.create_command_encoder(&Default::default());
        fused.record(&mut enc);
        queue.submit([enc.finish()]);
    };
    let run_crate = || -> Result<gpu_activations::GpuBuffer, gpu_activations::Error> {
        let mut enc = device.create_command_encoder(&Default::default());
        plain.record(&mut enc);
        queue.submit([enc.finish()]);
        // A dense layer's output (batch, features): channels = OUT, spatial = 1.
        gpu.bias_forward(ACT, &z_view, &b_view, OUT, 1)
    };
    run_fused();
    let y2 = run_crate()?;

    // Both against the reference: each path's activation of its own pre-activation (the
    // crate's bounds, in ULPs), and the whole layer against a float64 one.
    let y1s = gpu.download(&gpu.wrap(&y1, 0, BATCH * OUT, DType::F32)?)?;
    let pre1s = gpu.download(&gpu.wrap(&pre1, 0, BATCH * OUT, DType::F32)?)?;
    let y2s = gpu.download(&y2)?;
    let pre2s = reference::bias_input(&gpu.download(&z_view)?, &bs, OUT, 1);
    let mut layer_error = [0.0f64; 2];
    for n in 0..BATCH {
        for o in 0..OUT {
            let dot: f64 = (0..IN).map(|k| ws[o * IN + k] as f64 * xs[n * IN + k] as f64).sum();
            let want = reference::forward_f64(ACT, dot + bs[o] as f64);
            for (e, ys) in layer_error.iter_mut().zip([&y1s, &y2s]) {
                *e = e.max((ys[n * OUT + o] as f64 - want).abs());
            }
        }
    }
    let bound = ACT.bounds().forward_ulp;
    let ulps = [largest_ulp(&pre1s, &y1s), largest_ulp(&pre2s, &y2s)];
    let runs = 15;
    let times = [
        median_ms(&device, runs, run_fused),
        median_ms(&device, runs, || drop(run_crate().expect("bias_forward"))),
    ];
    for (k, name) in ["own kernel + wgsl::library epilogue", "own matmul + wrap + bias_forward"]
        .iter()
        .enumerate()
    {
        println!(
            "{name:<38} gelu within {:.2} ULP of its input's reference (bound {bound}); \
             layer within {:.1e} of float64; {:.2} ms (median of {runs})",
            ulps[k], layer_error[k], times[k]
        );
    }
    if ulps.iter().any(|&u| u > bound) {
        return Err("an activation is outside its bound".into());
    }
    Ok(())
}
