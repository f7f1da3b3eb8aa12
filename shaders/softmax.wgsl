// Softmax and log-softmax over contiguous rows, one workgroup per row.
//
// Forward: m = max of the row; S = sum of e^(x - m) over the elements below m, and c = how many
// equal m, so that the row's normalizer is c + S and ln(c + S) = ln1p(S) when c = 1 (a dominant
// logit keeps full accuracy in log-softmax). x - m is split exactly (a two-difference behind an
// optimization barrier) so that e^(x - m) keeps full relative accuracy far below the maximum.
// A NaN anywhere makes the row NaN; +inf logits share the probability evenly (the limit), and
// so do the elements of a row that is all -inf (the limit of equal logits; PyTorch gives NaN).
// Backward (from the output y): softmax: y (g - sum(g y)); log-softmax: g - e^y sum(g).
//
// The host prepends WG (invocations per workgroup, a power of two: the reductions halve it) and
// fills Params from the mirroring Rust struct (src/rowwise/softmax.rs).

struct Params {
    rows: u32,
    row_len: u32,
    pad0: u32,
    pad1: u32,
    row: u32,  // workgroups per row of the grid
    zero: u32, // always 0: see opaque() in numerics.wgsl
    pad2: u32,
    pad3: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

// The optimization barrier's zero (see opaque() in numerics.wgsl), read at run time.
fn barrier_zero() -> u32 {
    return params.zero;
}

@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ys: array<f32>;
@group(0) @binding(4) var<storage, read> gs: array<f32>;

var<workgroup> red_a: array<f32, WG>;
var<workgroup> red_b: array<f32, WG>;
var<workgroup> red_c: array<f32, WG>;

fn row_index(wid: vec3<u32>) -> u32 {
    return wid.x + wid.y * params.row;
}

// Sums red_a and red_b across the workgroup into element 0.
fn reduce_sum2(lid: u32) {
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red_a[lid] += red_a[lid + s];
            red_b[lid] += red_b[lid + s];
        }
        workgroupBarrier();
    }
}

struct RowStats {
    m: f32,       // the maximum (NaN if the row has a NaN)
    count: f32,   // how many elements equal m
    s: f32,       // sum of e^(x - m) over the others
}

fn row_stats(base: u32, lid: u32) -> RowStats {
    let n = params.row_len;
    var m = -inf_f32();
    var nan = 0.0;
    for (var j = lid; j < n; j += WG) {
        let x = xs[base + j];
        m = select(m, x, x > m);
        nan = select(nan, 1.0, is_nan(x));
    }
    red_a[lid] = m;
    red_b[lid] = nan;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red_a[lid] = select(red_a[lid], red_a[lid + s], red_a[lid + s] > red_a[lid]);
            red_b[lid] = max(red_b[lid], red_b[lid + s]);
        }
        workgroupBarrier();
    }
    let row_max = red_a[0];
    let any_nan = red_b[0] > 0.0;
    workgroupBarrier();
    // The sum is carried as hi + lo (each addition's rounding error kept), in every invocation
    // and through the tree, so it is correctly rounded but for the final addition.
    var hi = 0.0;
    var lo = 0.0;
    var count = 0.0;
    for (var j = lid; j < n; j += WG) {
        let x = xs[base + j];
        if (x == row_max) {
            count += 1.0;
        } else {
            let s = exact_sum(hi, exp_diff(x, row_max));
            hi = s.x;
            lo += s.y;
        }
    }
    red_a[lid] = hi;
    red_b[lid] = count;
    red_c[lid] = lo;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            let t = exact_sum(red_a[lid], red_a[lid + s]);
            red_a[lid] = t.x;
            red_c[lid] += red_c[lid + s] + t.y;
            red_b[lid] += red_b[lid + s];
        }
        workgroupBarrier();
    }
    let st = RowStats(select(row_max, nan_f32(), any_nan), red_b[0], red_a[0] + red_c[0]);
    workgroupBarrier();
    return st;
}

// e^(x - m) for x < m (m finite), with x - m carried exactly as hi + lo. Below -280 (x = -inf
// included) it is exp_sum_parts' token 2^-500, which exp_diff's scale2 flushes to 0.
fn exp_diff_parts(x: f32, m: f32) -> Parts {
    let d = exact_sum(x, -m);
    return exp_sum_parts(d.x, d.y);
}

fn exp_diff(x: f32, m: f32) -> f32 {
    if (is_inf(m)) {
        return 0.0; // x < m = +inf
    }
    let p = exp_diff_parts(x, m);
    return scale2(p.m, p.k);
}

@compute @workgroup_size(WG)
fn softmax_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_index(wid);
    if (r >= params.rows) {
        return;
    }
    let base = r * params.row_len;
    let st = row_stats(base, lid);
    let total = st.count + st.s;
    for (var j = lid; j < params.row_len; j += WG) {
        let x = xs[base + j];
        var y = select(exp_diff(x, st.m), 1.0, x == st.m) / total;
        ys[base + j] = select(y, nan_f32(), is_nan(st.m));
    }
}

@compute @workgroup_size(WG)
fn log_softmax_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_index(wid);
    if (r >= params.rows) {
        return;
    }
    let base = r * params.row_len;
    let st = row_stats(base, lid);
    let log_total = select(log(st.count + st.s), log1p_acc(st.s), st.count == 1.0);
    for (var j = lid; j < params.row_len; j += WG) {
        let x = xs[base + j];
        var y: f32;
        if (x == st.m) {
            y = -log_total;
        } else if (is_inf(st.m) || is_inf(x)) {
            y = -inf_f32(); // x < m = +inf, or x = -inf < m
        } else {
            // (x - m) - ln(total), with x - m exact as hi + lo: both terms are negative
            let d = exact_sum(x, -st.m);
            y = (d.x - log_total) + d.y;
        }
        ys[base + j] = select(y, nan_f32(), is_nan(st.m));
    }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_index(wid);
    if (r >= params.rows) {
        return;
    }
    let base = r * params.row_len;
    var dot = 0.0;
    for (var j = lid; j < params.row_len; j += WG) {
        dot += gs[base + j] * xs[base + j];
    }
    red_a[lid] = dot;
    red_b[lid] = 0.0;
    reduce_sum2(lid);
    let total = red_a[0];
    for (var j = lid; j < params.row_len; j += WG) {
        ys[base + j] = xs[base + j] * (gs[base + j] - total);
    }
}

@compute @workgroup_size(WG)
fn log_softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_index(wid);
    if (r >= params.rows) {
        return;
    }
    let base = r * params.row_len;
    var sum = 0.0;
    for (var j = lid; j < params.row_len; j += WG) {
        sum += gs[base + j];
    }
    red_a[lid] = sum;
    red_b[lid] = 0.0;
    reduce_sum2(lid);
    let total = red_a[0];
    for (var j = lid; j < params.row_len; j += WG) {
        ys[base + j] = gs[base + j] - exp_acc(xs[base + j]) * total;
    }
}
