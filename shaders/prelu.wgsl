// PReLU: y = x for x > 0, w[c] x otherwise, with x laid out (N, C, S) row-major and c the channel
// of an element: c = (i / S) % C, or 0 when there is one weight. The weight gradient sums
// x * grad_out over the x <= 0 elements of each channel in two passes: blocks of a channel
// reduce in workgroup memory to partial sums, then one invocation per channel adds its blocks.
//
// The host prepends WG (invocations per workgroup, a power of two: the reduction halves it)
// and FINAL_WG (of the last pass), and fills Params from the mirroring Rust struct
// (src/rowwise/prelu.rs).

struct Params {
    n: u32,        // elements
    channels: u32, // C
    spatial: u32,  // S
    wlen: u32,     // 1 or C
    row: u32,      // invocations (or workgroups) per row of the grid
    zero: u32,     // always 0: see opaque() in numerics.wgsl
    blocks: u32,   // partial sums per channel
    per_block: u32, // elements of a channel per block
}

@group(0) @binding(0) var<uniform> params: Params;

// The optimization barrier's zero (see opaque() in numerics.wgsl), read at run time.
fn barrier_zero() -> u32 {
    return params.zero;
}

@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ws: array<f32>;
@group(0) @binding(3) var<storage, read_write> ys: array<f32>;
@group(0) @binding(4) var<storage, read> gs: array<f32>;

fn channel(i: u32) -> u32 {
    return select((i / params.spatial) % params.channels, 0u, params.wlen == 1u);
}

@compute @workgroup_size(WG)
fn prelu_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n) {
        return;
    }
    let x = xs[i];
    let y = select(ws[channel(i)] * x, x, x > 0.0);
    ys[i] = select(y, nan_f32(), is_nan(x));
}

@compute @workgroup_size(WG)
fn prelu_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n) {
        return;
    }
    let x = xs[i];
    let g = gs[i];
    let d = select(g * ws[channel(i)], g, x > 0.0);
    ys[i] = select(d, nan_f32(), is_nan(x) || is_nan(g));
}

// Workgroup (b, c): the b-th block of channel c's elements. ys receives blocks * C partials.
@compute @workgroup_size(WG)
fn prelu_weight_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let b = wid.x;
    let c = wid.y;
    let per_channel = params.n / select(params.channels, 1u, params.wlen == 1u);
    let start = b * params.per_block;
    let end = min(start + params.per_block, per_channel);
    var acc = 0.0;
    for (var j = start + lid; j < end; j += WG) {
        // j-th element of channel c: batch j / S, position j % S
        var i = j;
        if (params.wlen != 1u) {
            i = ((j / params.spatial) * params.channels + c) * params.spatial + j % params.spatial;
        }
        let x = xs[i];
        if (!(x > 0.0)) {
            acc += x * gs[i];
        }
    }
    let sum = workgroup_sum(lid, acc);
    if (lid == 0u) {
        ys[c * params.blocks + b] = sum;
    }
}

// One invocation per weight: the sum of its channel's partials (xs holds them here).
@compute @workgroup_size(FINAL_WG)
fn prelu_weight_final(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= params.wlen) {
        return;
    }
    var acc = 0.0;
    for (var b = 0u; b < params.blocks; b++) {
        acc += xs[c * params.blocks + b];
    }
    ys[c] = acc;
}
