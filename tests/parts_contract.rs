//! The contract behind every backward: an activation's derivative comes out of its WGSL as
//! parts, m · 2^k (`Parts` in shaders/numerics.wgsl), and `times_parts(g, d)` multiplies the
//! upstream gradient in with one rounding wherever g · m · 2^k is a normal f32. That holds
//! where k ≠ 0 for m = 0 or 2^-62 ≤ |m| ≤ 2^37, with |m| ≥ 2^-39 where k > 64 (plain values,
//! k = 0, take any m).
//!
//! Both halves are checked on the GPU through the names `wgsl::library` gives the crate's own
//! WGSL (`gpuact_...`): every activation's parts over special, random and swept inputs (with
//! parameters far from their defaults) stay in the range; and `times_parts` over that range,
//! against the exact product in float64 (g · m has at most 48 significant bits and the scaling
//! by 2^k stays inside float64's range, so the float64 value is exact and `as f32` is the one
//! correct rounding).

mod common;

use common::{dispatch, gpu, random_values, specials};
use gpu_activations::{Activation, GpuActivations, wgsl};

/// Runs `body` (WGSL reading `a[i]`, `b[i]`, `c[i]` and writing `out0[i]`, `out1[i]`) after
/// `library` over the three inputs; returns the first `outs` outputs.
fn run(
    gpu: &GpuActivations,
    library: &str,
    body: &str,
    ins: [&[f32]; 3],
    outs: usize,
) -> Vec<Vec<f32>> {
    let n = ins[0].len();
    let src = format!(
        "{library}\n\
         @group(0) @binding(0) var<storage, read> a: array<f32>;\n\
         @group(0) @binding(1) var<storage, read> b: array<f32>;\n\
         @group(0) @binding(2) var<storage, read> c: array<f32>;\n\
         @group(0) @binding(3) var<storage, read_write> out0: array<f32>;\n\
         @group(0) @binding(4) var<storage, read_write> out1: array<f32>;\n\
         @compute @workgroup_size(64)\n\
         fn probe(@builtin(global_invocation_id) id: vec3<u32>) {{\n    \
         let i = id.x;\n    \
         if (i < arrayLength(&a)) {{\n        \
         _ = b[i];\n        _ = c[i];\n        _ = out1[i];\n{body}\n    }}\n}}\n"
    );
    let device = gpu.device();
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("parts probe"),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("parts probe"),
        layout: None,
        module: &module,
        entry_point: Some("probe"),
        compilation_options: Default::default(),
        cache: None,
    });
    let buffers: Vec<_> = ins
        .iter()
        .map(|v| gpu.upload(v).unwrap())
        .chain((0..2).map(|_| gpu.upload(&vec![0.0; n]).unwrap()))
        .collect();
    let resources = buffers.iter().map(|t| t.raw().as_entire_binding()).collect();
    dispatch(gpu, &pipeline, resources, (n as u32).div_ceil(64));
    buffers[3..3 + outs].iter().map(|t| gpu.download(t).unwrap()).collect()
}

/// Every activation (defaults, and parameters far from them) over specials, random bit
/// patterns, and a fine sweep of [-40, 40] (every zero of a derivative, every branch). NaN
/// inputs are left out: their result is NaN whatever the parts.
#[test]
fn every_derivatives_parts_stay_in_range() {
    let gpu = gpu();
    let mut xs = specials();
    xs.extend(random_values(1 << 16, 31));
    xs.extend((0..1 << 18).map(|i| -40.0 + 80.0 * i as f32 / (1 << 18) as f32));
    let params = [
        Activation::Elu { alpha: 1e-30 },
        Activation::Elu { alpha: -3e38 },
        Activation::Elu { alpha: f32::MIN_POSITIVE },
        Activation::Elu { alpha: f32::from_bits(0x0000_0400) }, // subnormal: counts as 0
        Activation::Elu { alpha: 0.0 },
        Activation::Celu { alpha: 1e-30 },
        Activation::Celu { alpha: -3e38 },
        Activation::Softplus { beta: 1e-30, threshold: 20.0 },
        Activation::Softplus { beta: 3e38, threshold: 20.0 },
    ];
    let zeros = vec![0.0; xs.len()];
    for act in Activation::ALL.iter().chain(&params) {
        act.validate().unwrap();
        let library = wgsl::library(&[*act]).unwrap();
        let body = format!(
            "        gpuact_set_barrier(a[i]);\n        \
             let d = gpuact_{}_act_df(a[i]);\n        \
             out0[i] = d.m;\n        \
             out1[i] = f32(d.k);",
            act.name()
        );
        let out = run(&gpu, &library, &body, [&xs, &zeros, &zeros], 2);
        for ((x, m), k) in xs.iter().zip(&out[0]).zip(&out[1]) {
            if x.is_nan() {
                continue; // the kernel gives NaN whatever the parts
            }
            let low = if *k > 64.0 { 2f32.powi(-39) } else { 2f32.powi(-62) };
            let ok = *k == 0.0 || *m == 0.0 || (low..=2f32.powi(37)).contains(&m.abs());
            assert!(ok, "{act}: parts ({m:e}, {k}) at x = {x:e} outside the range");
        }
    }
}

/// times_parts against the exact product: g over every exponent (0, subnormals and ±inf
/// included), m at and between the ends of its range, k from -700 to 700 (where the scaling
/// alone under- or overflows). Where the result is a normal f32 or ±inf it must be the exact
/// product rounded once; below the normal range, 0 (flushed) or within one step of the
/// subnormal grid (a second rounding there is allowed, as results there may flush).
#[test]
fn times_parts_is_the_exact_product_rounded_once() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let n = 1 << 18;
    let mut gs = Vec::with_capacity(n);
    let mut ms = Vec::with_capacity(n);
    let mut ks = Vec::with_capacity(n);
    while gs.len() < n {
        let g = match rng.random_range(0..8) {
            0 => [0.0, -0.0, f32::INFINITY, -f32::INFINITY, f32::MAX, f32::MIN_POSITIVE]
                [rng.random_range(0..6)],
            1 => f32::from_bits(rng.random_range(1..0x0080_0000)), // subnormal
            _ => f32::from_bits(
                rng.random_range(0x0080_0000..0x7f80_0000) | (rng.random::<u32>() & 1 << 31),
            ),
        };
        // k: mostly where g m 2^k lands near the ends of the f32 range, the rest anywhere.
        let k = if rng.random() {
            let target = if rng.random() { -126.0 } else { 127.0 };
            let e = rng.random_range(-62.0..37.0);
            (target - (g.abs() as f64).log2() - e).round().clamp(-700.0, 700.0) as i32
                + rng.random_range(-3..=3)
        } else {
            rng.random_range(-700..=700)
        };
        let low = if k > 64 { -39 } else { -62 };
        let m = if rng.random_range(0..4) == 0 {
            [2f32.powi(low), -2f32.powi(37), f32::from_bits(0x2080_0001), 1.0, 0.7, -1.42]
                [rng.random_range(0..6)]
        } else {
            let e = rng.random_range(low..37);
            rng.random_range(1.0f32..2.0) * 2f32.powi(e) * if rng.random() { 1.0 } else { -1.0 }
        };
        let m = if k > 64 && m.abs() < 2f32.powi(-39) { 2f32.powi(-39) } else { m };
        if k == 0 {
            continue; // the plain path, g * m
        }
        gs.push(g);
        ms.push(m);
        ks.push(k as f32);
    }
    let library = wgsl::library(&[]).unwrap();
    let body = "        gpuact_set_barrier(a[i]);\n        \
                out0[i] = gpuact_times_parts(a[i], gpuact_Parts(b[i], i32(c[i])));";
    let got = &run(&gpu(), &library, body, [&gs, &ms, &ks], 1)[0];
    let mut checked_tiny = 0;
    for i in 0..n {
        let (g, m, k) = (gs[i], ms[i], ks[i] as i32);
        let exact = g as f64 * m as f64 * 2f64.powi(k);
        let want = exact as f32;
        let r = got[i];
        let ok = if g.is_infinite() || want.is_infinite() || want.abs() >= f32::MIN_POSITIVE {
            r.to_bits() == want.to_bits()
        } else if g != 0.0 && g.abs() < f32::MIN_POSITIVE && r == 0.0 {
            true // a subnormal grad_out may flush
        } else {
            checked_tiny += 1;
            r == 0.0 || (r as f64 - exact).abs() <= 2f64.powi(-149)
        };
        assert!(ok, "times_parts({g:e}, {m:e} * 2^{k}) = {r:e}, want {want:e}");
    }
    assert!(checked_tiny > 1000, "too few results below the normal range: {checked_tiny}");
}
