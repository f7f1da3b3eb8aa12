// Conversion between storage types, one word (8 elements) per step. The host prepends WG and
// PER (as for kernel.wgsl), the uniform block (storage/params.wgsl), the storage pieces of both
// types with the bindings xs (source) and ys (target), load_x and store_y
// (src/runtime/pipeline.rs): values are widened exactly to f32 and rounded once (to nearest,
// ties to even) to the target.

@compute @workgroup_size(WG)
fn convert(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let base = (wid.x + wid.y * params.row) * (WG * PER) + l;
    for (var k = 0u; k < PER; k++) {
        let i = base + k * WG;
        if (i < params.n) {
            store_y(params.start.y + i, load_x(params.start.x + i));
        }
    }
}

// Element by element, as kernel.wgsl's forward_el: one invocation per 4-byte unit of y.
@compute @workgroup_size(WG)
fn convert_el(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let u = (wid.x + wid.y * params.row) * WG + l;
    if (u >= params.n) {
        return;
    }
    let unit = params.start.y / EL_Y + u;
    var v = vec2<f32>();
    var ok = vec2<bool>();
    for (var k = 0u; k < EL_Y; k++) {
        let j = unit * EL_Y + k - params.start.y;
        if (j < params.count) {
            v[k] = el_x(params.start.x + j);
            ok[k] = true;
        }
    }
    put_y(unit, v, ok);
}
