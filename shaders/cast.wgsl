// Conversion between storage types, one word (8 elements) per step. The host prepends WG and
// PER (as for kernel.wgsl), the storage pieces of both types with the bindings xs (source) and
// ys (target), load_x and store_y (src/runtime/pipeline.rs): values are widened exactly to f32
// and rounded once (to nearest, ties to even) to the target.

struct Params {
    words: u32,
    row: u32,
    zero: u32,
    pad: u32,
    p: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn convert(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let base = (wid.x + wid.y * params.row) * (WG * PER) + l;
    for (var k = 0u; k < PER; k++) {
        let i = base + k * WG;
        if (i < params.words) {
            store_y(i, load_x(i));
        }
    }
}
