// The sum across the workgroup of one value per invocation, by halving (WG, prepended by the
// host, is a power of two); every invocation gets it. Call from uniform control flow.
var<workgroup> reduce_sums: array<f32, WG>;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
    reduce_sums[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            reduce_sums[lid] += reduce_sums[lid + s];
        }
        workgroupBarrier();
    }
    return reduce_sums[0];
}
