// f16 storage for the elementwise kernel: one word of the kernel (4 elements) is one vec2<u32>
// in memory, two f16 values per u32, the even index in the low half (see half_bits.wgsl, which
// the host prepends). Loads widen exactly; stores round to nearest, ties to even, once.

@group(0) @binding(1) var<storage, read> xs: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> ys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> gs: array<vec2<u32>>;

fn unpack_word(w: vec2<u32>) -> vec4<f32> {
    return vec4<f32>(
        f32_from_f16_bits(w.x & 0xffffu),
        f32_from_f16_bits(w.x >> 16u),
        f32_from_f16_bits(w.y & 0xffffu),
        f32_from_f16_bits(w.y >> 16u),
    );
}

fn pack_word(v: vec4<f32>) -> vec2<u32> {
    return vec2<u32>(
        f16_bits_from_f32(v.x) | (f16_bits_from_f32(v.y) << 16u),
        f16_bits_from_f32(v.z) | (f16_bits_from_f32(v.w) << 16u),
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
