// The elementwise kernel shared by every activation. The activation's snippet, prepended to this
// file together with numerics.wgsl, defines act_f(x) -> f32 and act_df(x) -> Parts
// (the derivative as m * 2^k, see numerics.wgsl).
//
// The storage pieces (shaders/storage/, chosen by the host for the tensors' type) are
// prepended too, with the host's bindings of the tensors xs, ys, gs and load_x, load_g, load_y,
// store_y, which move one word of 8 elements between memory and a Word of f32s (word.wgsl);
// the arithmetic is f32 whatever the storage. Tensors are padded to whole words. Each invocation
// moves one word, with no loop (see WORKGROUP in src/runtime/pipeline.rs, which sets WG, the
// invocations per workgroup). The uniform block is storage/params.wgsl.

// The optimization barrier's zero (see opaque() in numerics.wgsl), read at run time.
fn barrier_zero() -> u32 {
    return params.zero;
}

// The activation's parameters. A pipeline built for the PyTorch defaults has them compiled in
// (BAKED, P0..P3 set when the pipeline is created), so the compiler folds them into the
// arithmetic; the generic pipeline reads them from params.p.
override BAKED: bool = false;
override P0: f32 = 0.0;
override P1: f32 = 0.0;
override P2: f32 = 0.0;
override P3: f32 = 0.0;

fn act_params() -> vec4<f32> {
    if (BAKED) {
        return vec4<f32>(P0, P1, P2, P3);
    }
    return params.p;
}

fn fwd1(x: f32) -> f32 {
    return select(act_f(x), nan_f32(), is_nan(x));
}

fn bwd1(x: f32, g: f32) -> f32 {
    let d = act_df(x);
    let r = select(times_parts(g, d), 0.0, d.m == 0.0);
    return select(r, nan_f32(), is_nan(x) || is_nan(g));
}

fn fwd4(x: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(fwd1(x.x), fwd1(x.y), fwd1(x.z), fwd1(x.w));
}

fn bwd4(x: vec4<f32>, g: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(bwd1(x.x, g.x), bwd1(x.y, g.y), bwd1(x.z, g.z), bwd1(x.w, g.w));
}

fn fwd_word(x: Word) -> Word {
    return Word(fwd4(x.lo), fwd4(x.hi));
}

fn bwd_word(x: Word, g: Word) -> Word {
    return Word(bwd4(x.lo, g.lo), bwd4(x.hi, g.hi));
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let i = grid_index(wid, l);
    if (i < params.n) {
        store_y(in_binding(params.start.y, i), fwd_word(load_x(in_binding(params.start.x, i))));
    }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let i = grid_index(wid, l);
    if (i < params.n) {
        let g = load_g(in_binding(params.start.z, i));
        store_y(in_binding(params.start.y, i), bwd_word(load_x(in_binding(params.start.x, i)), g));
    }
}

@compute @workgroup_size(WG)
fn forward_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let i = grid_index(wid, l);
    if (i < params.n) {
        let j = in_binding(params.start.y, i);
        store_y(j, fwd_word(load_y(j)));
    }
}

// Element-wise access, for the parts of views that do not fill whole words (see
// storage/elements.wgsl).
@compute @workgroup_size(WG)
fn forward_el(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let u = el_unit(wid, l);
    if (!any(u.ok)) {
        return;
    }
    var v = vec2<f32>();
    for (var k = 0u; k < EL_Y; k++) {
        if (u.ok[k]) {
            v[k] = fwd1(el_x(params.start.x + u.first + k));
        }
    }
    put_y(u.index, v, u.ok);
}

@compute @workgroup_size(WG)
fn backward_el(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let u = el_unit(wid, l);
    if (!any(u.ok)) {
        return;
    }
    var v = vec2<f32>();
    for (var k = 0u; k < EL_Y; k++) {
        if (u.ok[k]) {
            let j = u.first + k;
            v[k] = bwd1(el_x(params.start.x + j), el_g(params.start.z + j));
        }
    }
    put_y(u.index, v, u.ok);
}

@compute @workgroup_size(WG)
fn forward_inplace_el(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let u = el_unit(wid, l);
    if (!any(u.ok)) {
        return;
    }
    var v = vec2<f32>();
    for (var k = 0u; k < EL_Y; k++) {
        if (u.ok[k]) {
            v[k] = fwd1(el_y(params.start.y + u.first + k));
        }
    }
    put_y(u.index, v, u.ok);
}
