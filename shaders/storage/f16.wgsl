// f16 storage (IEEE binary16): a word (8 elements) is one vec4<u32> in memory (see word.wgsl).
// The conversions work on the bits, four values at a time and without branches: correct on
// every adapter, with or without SHADER_F16, and unaffected by how a compiler treats float
// arithmetic (the only float operations are exact, or round() on an exact product).

alias f16_mem = vec4<u32>;

// The f16s with bits h (each in the low 16 bits) as f32s: exact, every f16 is a normal f32 or 0.
fn f16_widen4(h: vec4<u32>) -> vec4<f32> {
    let em = h & vec4<u32>(0x7fffu);
    // Normal: rebias the exponent (15 -> 127) and move the mantissa up 13 bits.
    let normal = (em << vec4<u32>(13u)) + vec4<u32>(0x38000000u);
    // Inf and NaN: the exponent all ones (payload kept).
    let special = normal + vec4<u32>(0x38000000u);
    // Subnormal and zero: m * 2^-24, an integer below 2^10 times a power of two (exact).
    let tiny = bitcast<vec4<u32>>(vec4<f32>(vec4<i32>(em)) * 5.9604644775390625e-08);
    var r = select(normal, special, em >= vec4<u32>(0x7c00u));
    r = select(r, tiny, em < vec4<u32>(0x0400u));
    return bitcast<vec4<f32>>(r | ((h & vec4<u32>(0x8000u)) << vec4<u32>(16u)));
}

// The f16s nearest to v (ties to even), as bits in the low 16 bits: NaN stays NaN (quiet, sign
// and top payload bits kept); from 65520 (halfway between the largest finite f16, 65504, and
// 2^16) on, +-inf; results in f16's subnormal range rounded correctly, not flushed.
fn f16_narrow4(v: vec4<f32>) -> vec4<u32> {
    let b = bitcast<vec4<u32>>(v);
    let a = b & vec4<u32>(0x7fffffffu);
    // Normal (|v| >= 2^-14): rebias the exponent (127 -> 15) and round away 13 mantissa bits,
    // ties to even; a carry out of the mantissa moves to the next binade, as it should.
    let m = a - vec4<u32>(0x38000000u);
    let normal = (m + vec4<u32>(0x0fffu) + ((m >> vec4<u32>(13u)) & vec4<u32>(1u))) >> vec4<u32>(13u);
    // Below 2^-14: the result is a multiple of 2^-24 (1024 of them encode 2^-14, the smallest
    // normal, correctly). |v| * 2^24 is exact and round() ties to even; an f32 subnormal,
    // where a device may flush it, rounds to 0 either way.
    let scaled = bitcast<vec4<f32>>(min(a, vec4<u32>(0x38800000u))) * 16777216.0;
    let tiny = vec4<u32>(vec4<i32>(round(scaled)));
    var r = select(tiny, normal, a >= vec4<u32>(0x38800000u));
    r = select(r, vec4<u32>(0x7c00u), a >= vec4<u32>(0x477ff000u));
    let nan = vec4<u32>(0x7e00u) | ((a >> vec4<u32>(13u)) & vec4<u32>(0x03ffu));
    r = select(r, nan, a > vec4<u32>(0x7f800000u));
    return r | ((b >> vec4<u32>(16u)) & vec4<u32>(0x8000u));
}

fn f16_to_word(m: f16_mem) -> Word {
    return Word(f16_widen4(halves(m.xy)), f16_widen4(halves(m.zw)));
}

fn f16_from_word(w: Word) -> f16_mem {
    return vec4<u32>(pairs(f16_narrow4(w.lo)), pairs(f16_narrow4(w.hi)));
}
