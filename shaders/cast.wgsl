// Conversion between storage types, one word (8 elements) per invocation. The host prepends WG
// (as for kernel.wgsl), the uniform block (storage/params.wgsl), the storage pieces of both
// types with the bindings xs (source) and ys (target), load_x and store_y
// (src/runtime/pipeline.rs): values are widened exactly to f32 and rounded once (to nearest,
// ties to even) to the target.

@compute @workgroup_size(WG)
fn convert(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let i = grid_index(wid, l);
    if (i < params.n) {
        store_y(in_binding(params.start.y, i), load_x(in_binding(params.start.x, i)));
    }
}

// Element by element (see storage/elements.wgsl).
@compute @workgroup_size(WG)
fn convert_el(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let u = el_unit(wid, l);
    if (!any(u.ok)) {
        return;
    }
    var v = vec2<f32>();
    for (var k = 0u; k < EL_Y; k++) {
        if (u.ok[k]) {
            v[k] = el_x(params.start.x + u.first + k);
        }
    }
    put_y(u.index, v, u.ok);
}
