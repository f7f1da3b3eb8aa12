// The elementwise kernel shared by every activation. The activation's snippet, prepended to this
// file together with numerics.wgsl, defines act_f(x) -> f32 and act_df(x) -> Parts
// (the derivative as m * 2^k, see numerics.wgsl).
//
// Buffers are padded to whole vec4s; each invocation handles one vec4. Past 65,535 workgroups the
// grid spills into y, and `row` (invocations per grid row) linearizes it.

struct Params {
    n4: u32,   // vec4 elements in this binding
    row: u32,  // invocations per row of the grid
    zero: u32, // always 0, read at run time: see opaque() in numerics.wgsl
    pad: u32,
    p: vec4<f32>, // the activation's parameters
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> ys: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> gs: array<vec4<f32>>;

fn fwd1(x: f32) -> f32 {
    return select(act_f(x), nan_f32(), is_nan(x));
}

fn bwd1(x: f32, g: f32) -> f32 {
    let d = act_df(x);
    let r = select(times_parts(g, d), 0.0, d.m == 0.0);
    return select(r, nan_f32(), is_nan(x) || is_nan(g));
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n4) {
        return;
    }
    let x = xs[i];
    ys[i] = vec4<f32>(fwd1(x.x), fwd1(x.y), fwd1(x.z), fwd1(x.w));
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n4) {
        return;
    }
    let x = xs[i];
    let g = gs[i];
    ys[i] = vec4<f32>(bwd1(x.x, g.x), bwd1(x.y, g.y), bwd1(x.z, g.z), bwd1(x.w, g.w));
}

@compute @workgroup_size(256)
fn forward_inplace(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n4) {
        return;
    }
    let x = ys[i];
    ys[i] = vec4<f32>(fwd1(x.x), fwd1(x.y), fwd1(x.z), fwd1(x.w));
}
