// Conversion between storage types, one kernel word (4 elements) per step. The host prepends
// WG and PER (as for kernel.wgsl), half_bits.wgsl, and the source's load4 and the target's
// store4 (src/runtime/pipeline.rs), which read xs and write ys as raw u32 words: values are
// widened exactly to f32 and rounded once (to nearest, ties to even) to the target.

struct Params {
    n4: u32,
    row: u32,
    zero: u32,
    pad: u32,
    p: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> ys: array<u32>;

@compute @workgroup_size(WG)
fn convert(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let base = (wid.x + wid.y * params.row) * (WG * PER) + l;
    for (var k = 0u; k < PER; k++) {
        let i = base + k * WG;
        if (i < params.n4) {
            store4(i, load4(i));
        }
    }
}
