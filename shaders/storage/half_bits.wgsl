// Conversions between f32 and the 16-bit storage formats, on the bits: correctly rounded (to
// nearest, ties to even) on every adapter, with or without SHADER_F16, and unaffected by how a
// compiler treats float arithmetic. Two 16-bit values share a u32 word, the first (even index)
// in its low half, as they lie in memory on a little-endian host.

// The f16 nearest to x (ties to even), as bits: NaN stays NaN (quiet, sign and top payload
// bits kept); from 65520 (halfway between the largest finite f16, 65504, and 2^16) on, +-inf;
// results in f16's subnormal range rounded correctly, not flushed.
fn f16_bits_from_f32(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    let sign = (b >> 16u) & 0x8000u;
    let a = b & 0x7fffffffu;
    if (a > 0x7f800000u) {
        return sign | 0x7e00u | ((a >> 13u) & 0x03ffu);
    }
    if (a >= 0x477ff000u) {
        return sign | 0x7c00u;
    }
    if (a >= 0x38800000u) {
        // Normal: rebias the exponent (127 -> 15) and round away 13 mantissa bits; a carry out
        // of the mantissa moves to the next binade, as it should.
        let m = a - 0x38000000u;
        return sign | ((m + 0x0fffu + ((m >> 13u) & 1u)) >> 13u);
    }
    let e = a >> 23u;
    if (e < 102u) {
        return sign; // below 2^-25 (half the smallest subnormal, which ties to 0): +-0
    }
    // Subnormal: x / 2^-24 = mant * 2^(e - 126), rounded to an integer (1024 is the smallest
    // normal f16, which the bits then encode correctly).
    let mant = (a & 0x007fffffu) | 0x00800000u;
    let s = 126u - e; // 14 ..= 24
    let q = mant >> s;
    let rem = mant & ((1u << s) - 1u);
    let half = 1u << (s - 1u);
    let up = rem > half || (rem == half && (q & 1u) == 1u);
    return sign | (q + select(0u, 1u, up));
}

// The f16 with bits h, as an f32 (exact: every f16 is a normal f32 or zero).
fn f32_from_f16_bits(h: u32) -> f32 {
    let sign = (h & 0x8000u) << 16u;
    let e = (h >> 10u) & 0x1fu;
    let m = h & 0x03ffu;
    if (e == 0x1fu) {
        return bitcast<f32>(sign | 0x7f800000u | (m << 13u));
    }
    if (e == 0u) {
        // m * 2^-24: an integer below 2^10 times a power of two, exact and normal in f32
        return bitcast<f32>(sign | bitcast<u32>(f32(m) * 5.9604644775390625e-08));
    }
    return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

// The bf16 nearest to x (ties to even), as bits: NaN stays NaN (quiet); past the largest
// finite bf16 +-inf (the rounding carry reaches the infinity encoding by itself).
fn bf16_bits_from_f32(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return (b >> 16u) | 0x0040u;
    }
    return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}

// The bf16 with bits h, as an f32 (exact: bf16 is the top half of an f32).
fn f32_from_bf16_bits(h: u32) -> f32 {
    return bitcast<f32>(h << 16u);
}
