//! The WGSL conversions between f32 and the 16-bit storage formats
//! (`shaders/storage/f16.wgsl`, `shaders/storage/bf16.wgsl`) against the `half` crate's, which round to nearest, ties
//! to even: every one of the 65,536 f16 and bf16 bit patterns widened, and about 1.4 million f32
//! patterns narrowed — a stride through all 2³² plus every f32 at and around each rounding
//! boundary (the midpoints between neighbouring f16 and bf16 values, where ties to even decide).

mod common;

use gpu_activations::GpuActivations;
use half::{bf16, f16};

const SHADER: &str = concat!(
    include_str!("../shaders/storage/word.wgsl"),
    include_str!("../shaders/storage/f16.wgsl"),
    include_str!("../shaders/storage/bf16.wgsl"),
);
const ENTRY_POINTS: &str = r#"
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;

fn index(id: vec3<u32>, n: vec3<u32>) -> u32 {
    return id.x + id.y * n.x * 256u;
}

@compute @workgroup_size(256)
fn to_f16(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let i = index(id, n);
    if (i < arrayLength(&src)) { dst[i] = f16_narrow4(vec4<f32>(bitcast<f32>(src[i]))).x; }
}
@compute @workgroup_size(256)
fn to_bf16(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let i = index(id, n);
    if (i < arrayLength(&src)) { dst[i] = bf16_narrow4(vec4<f32>(bitcast<f32>(src[i]))).x; }
}
@compute @workgroup_size(256)
fn from_f16(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let i = index(id, n);
    if (i < arrayLength(&src)) { dst[i] = bitcast<u32>(f16_widen4(vec4<u32>(src[i])).x); }
}
@compute @workgroup_size(256)
fn from_bf16(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let i = index(id, n);
    if (i < arrayLength(&src)) { dst[i] = bitcast<u32>(bf16_widen4(vec4<u32>(src[i])).x); }
}
"#;

/// Runs entry point `entry` over `input` (one u32 per invocation) and returns its outputs.
fn run(gpu: &GpuActivations, entry: &str, input: &[u32]) -> Vec<u32> {
    let device = gpu.device();
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(entry),
        source: wgpu::ShaderSource::Wgsl(format!("{SHADER}\n{ENTRY_POINTS}").into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    // The crate's tensors carry the bits unchanged (uploads and downloads copy bytes).
    let src = gpu.upload(bytemuck::cast_slice(input)).unwrap();
    let dst = gpu.upload(&vec![0.0f32; input.len()]).unwrap();
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: src.raw().as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: dst.raw().as_entire_binding() },
        ],
    });
    let groups = (src.raw().size() / 4).div_ceil(256) as u32;
    let (gx, gy) = (groups.min(65_535), groups.div_ceil(65_535));
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(gx, gy, 1);
    }
    gpu.queue().submit([encoder.finish()]);
    bytemuck::cast_slice(&gpu.download(&dst).unwrap()).to_vec()
}

/// f32 bit patterns to narrow: a stride through all of them, and every pattern within 2 of each
/// midpoint between neighbouring 16-bit values (`widen` maps a 16-bit pattern to its f32).
fn narrowing_inputs(widen: impl Fn(u16) -> f32) -> Vec<u32> {
    let mut v: Vec<u32> = (0..u32::MAX / 4099).map(|k| k * 4099).collect();
    for h in 0..0x7fffu16 {
        let (lo, hi) = (widen(h) as f64, widen(h + 1) as f64);
        if !lo.is_finite() || !hi.is_finite() {
            continue;
        }
        let mid = ((lo + hi) / 2.0) as f32; // exact: a 16-bit midpoint fits in f32
        for d in -2i64..=2 {
            let b = (mid.to_bits() as i64 + d) as u32;
            v.extend([b, b | 0x8000_0000]);
        }
    }
    v.extend([0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0001, 0x7f80_0001, 0x477f_f000]);
    v
}

fn is_nan16(bits: u32, exponent_mask: u32) -> bool {
    bits & exponent_mask == exponent_mask && bits & !exponent_mask & 0x7fff != 0
}

/// Narrows every pattern of [`narrowing_inputs`] with `entry` and compares with `narrow`
/// (`half`'s conversion); NaN must stay NaN with its sign.
fn assert_narrows(
    entry: &str,
    widen: impl Fn(u16) -> f32,
    narrow: impl Fn(f32) -> u16,
    exponent_mask: u32,
) {
    let gpu = common::gpu();
    let input = narrowing_inputs(widen);
    let got = run(&gpu, entry, &input);
    let mut bad = Vec::new();
    for (&x, &g) in input.iter().zip(&got) {
        let want = narrow(f32::from_bits(x)) as u32;
        let ok = if f32::from_bits(x).is_nan() {
            is_nan16(g, exponent_mask) && (g & 0x8000) == (x >> 16) & 0x8000
        } else {
            g == want
        };
        if !ok {
            bad.push((f32::from_bits(x), g, want));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} wrong, e.g. {:?}",
        bad.len(),
        input.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn f32_to_f16_rounds_to_nearest_even_with_subnormals() {
    assert_narrows(
        "to_f16",
        |h| f16::from_bits(h).to_f32(),
        |x| f16::from_f32(x).to_bits(),
        0x7c00,
    );
}

#[test]
fn f32_to_bf16_rounds_to_nearest_even() {
    assert_narrows(
        "to_bf16",
        |h| bf16::from_bits(h).to_f32(),
        |x| bf16::from_f32(x).to_bits(),
        0x7f80,
    );
}

#[test]
fn every_f16_and_bf16_widens_exactly() {
    let gpu = common::gpu();
    let all: Vec<u32> = (0..=u16::MAX as u32).collect();
    for (entry, widen, exponent_mask) in [
        ("from_f16", (|h| f16::from_bits(h).to_f32()) as fn(u16) -> f32, 0x7c00),
        ("from_bf16", |h| bf16::from_bits(h).to_f32(), 0x7f80),
    ] {
        let got = run(&gpu, entry, &all);
        for (&h, &g) in all.iter().zip(&got) {
            let want = widen(h as u16);
            let g = f32::from_bits(g);
            if is_nan16(h, exponent_mask) {
                assert!(g.is_nan(), "{entry} {h:#06x}: {g}");
            } else if want != 0.0 && want.abs() < f32::MIN_POSITIVE {
                // a bf16 subnormal is an f32 subnormal, which the device may flush to zero
                assert!(g == want || g == 0.0, "{entry} {h:#06x}: {g:e}, want {want:e}");
            } else {
                assert_eq!(g.to_bits(), want.to_bits(), "{entry} {h:#06x}: {g:e}, want {want:e}");
            }
        }
    }
}
