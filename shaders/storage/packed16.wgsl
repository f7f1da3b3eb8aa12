// 16-bit storage (f16 or bf16) for the elementwise kernel: one word of the kernel (4 elements) is
// one vec2<u32> in memory, two values per u32, the even index in the low half. The host prepends
// half_bits.wgsl and the format's widen16 / narrow16 (its conversions there). Loads widen
// exactly; stores round to nearest, ties to even, once.

@group(0) @binding(1) var<storage, read> xs: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> ys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> gs: array<vec2<u32>>;

fn unpack_word(w: vec2<u32>) -> vec4<f32> {
    return vec4<f32>(
        widen16(w.x & 0xffffu),
        widen16(w.x >> 16u),
        widen16(w.y & 0xffffu),
        widen16(w.y >> 16u),
    );
}

fn pack_word(v: vec4<f32>) -> vec2<u32> {
    return vec2<u32>(
        narrow16(v.x) | (narrow16(v.y) << 16u),
        narrow16(v.z) | (narrow16(v.w) << 16u),
    );
}

fn load_x(i: u32) -> vec4<f32> {
    return unpack_word(xs[i]);
}

fn load_g(i: u32) -> vec4<f32> {
    return unpack_word(gs[i]);
}

fn load_y(i: u32) -> vec4<f32> {
    return unpack_word(ys[i]);
}

fn store_y(i: u32, v: vec4<f32>) {
    ys[i] = pack_word(v);
}
