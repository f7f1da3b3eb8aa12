// bf16 storage (the top half of an f32): a word (8 elements) is one vec4<u32> in memory (see
// word.wgsl). The conversions work on the bits, four values at a time and without branches.

alias bf16_mem = vec4<u32>;

// The bf16s with bits h (each in the low 16 bits) as f32s: exact.
fn bf16_widen4(h: vec4<u32>) -> vec4<f32> {
    return bitcast<vec4<f32>>(h << vec4<u32>(16u));
}

// The bf16s nearest to v (ties to even), as bits in the low 16 bits: NaN stays NaN (quiet);
// past the largest finite bf16 +-inf (the rounding carry reaches the infinity encoding).
fn bf16_narrow4(v: vec4<f32>) -> vec4<u32> {
    let b = bitcast<vec4<u32>>(v);
    let rounded = (b + vec4<u32>(0x7fffu) + ((b >> vec4<u32>(16u)) & vec4<u32>(1u))) >> vec4<u32>(16u);
    let nan = (b >> vec4<u32>(16u)) | vec4<u32>(0x0040u);
    return select(rounded, nan, (b & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u));
}

fn bf16_to_word(m: bf16_mem) -> Word {
    return Word(bf16_widen4(halves(m.xy)), bf16_widen4(halves(m.zw)));
}

fn bf16_from_word(w: Word) -> bf16_mem {
    return vec4<u32>(pairs(bf16_narrow4(w.lo)), pairs(bf16_narrow4(w.hi)));
}
