// Shared numerics for every activation: bit-exact NaN handling and accurate exp, expm1, log1p,
// tanh, atan and the logistic function over the whole f32 range.
//
// WGSL lets the compiler assume finite math and Mesa rewrites float algebra (see the README), so
// nothing here relies on compensated arithmetic: NaN is tested on the bits, powers of two are
// built from the exponent field, and every transcendental is a polynomial on a reduced range.

const LOG2E: f32 = 1.44269504089;
const LN2_HI: f32 = 0.693145751953125;     // 0x3f317200: 15 significant bits, k * LN2_HI is exact
const LN2_LO: f32 = 1.428606765330187e-06; // ln 2 - LN2_HI
const HALF_LN2: f32 = 0.34657359028;
const EXP_OVERFLOW: f32 = 88.72283;        // ln(f32::MAX)
const EXP_UNDERFLOW: f32 = -103.97208;      // ln(smallest subnormal / 2)

// v itself, through a value the compiler cannot know, so that no algebraic rewrite can merge the
// arithmetic on either side of it. Every module that includes this file defines
// barrier_zero() -> u32, a 0 the compiler cannot see (read from a uniform at run time).
fn opaque(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | barrier_zero());
}

fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

fn inf_f32() -> f32 {
    return bitcast<f32>(0x7f800000u);
}

// 2^k for k in [-126, 127], built from the exponent bits.
fn pow2i(k: i32) -> f32 {
    return bitcast<f32>(u32(k + 127) << 23u);
}

// 2^k for k <= 127, and 0 where 2^k is below the normal range (pow2i(-127) is 0): the scale of
// a value m 2^k that may flush to zero, applied as one exact product where it is normal.
fn pow2_or_zero(k: i32) -> f32 {
    return pow2i(max(k, -127));
}

// v * 2^k done on the exponent field, so no compiler can reassociate it: exact whenever the
// result is a normal f32; +-inf past the top; +-0 below the normal range (flush to zero, as the
// hardware does with subnormals). Zero, inf and NaN come back unchanged.
fn scale2(v: f32, k: i32) -> f32 {
    // Branch-free (selects), so SIMD lanes never diverge here. Where the new exponent e + k is
    // in [1, 254], adding k to the exponent field (wrapping u32 arithmetic) is the result.
    let b = bitcast<u32>(v);
    let sign = b & 0x80000000u;
    let e = i32((b >> 23u) & 0xffu);
    let n = e + k;
    let r = select(bitcast<f32>(sign | 0x7f800000u), bitcast<f32>(b + (u32(k) << 23u)), n < 255);
    return select(select(bitcast<f32>(sign), r, n > 0 && e != 0), v, e == 255);
}

// m * 2^k for m in [0.5, 2) (the mantissa of an exp): the exponent-field sum of scale2 without
// its cases for zero, inf and NaN, which such an m never is.
fn scale_mantissa(m: f32, k: i32) -> f32 {
    let b = bitcast<u32>(m);
    let n = i32(b >> 23u) + k;
    let r = select(inf_f32(), bitcast<f32>(b + (u32(k) << 23u)), n < 255);
    return select(0.0, r, n > 0);
}

// e^r - 1 for |r| <= ln2/2: Taylor series to degree 8 (truncation below 0.02 ULP).
fn expm1_reduced(r: f32) -> f32 {
    let p = 0.5 + r * (0.16666666667 + r * (0.041666666667 + r * (0.0083333333333
        + r * (0.0013888888889 + r * (0.00019841269841 + r * 2.4801587302e-05)))));
    return r + (r * r) * p;
}

// e^r for |r| <= ln2/2, as 1 + expm1_reduced(r) rounded once. The barrier keeps the compiler
// from reassociating 1 + (r + r^2 P) into (1 + r) + r^2 P, which rounds twice at full size
// (Mesa does: softplus measured 4.05 ULP against its bound 4 before this barrier).
fn exp_reduced(r: f32) -> f32 {
    return 1.0 + opaque(expm1_reduced(r));
}

// A value m * 2^k kept apart so that tiny results (derivatives in the tails) survive until
// they are multiplied by grad_out. Where k != 0, m is 0 or 2^-62 <= |m| <= 2^37: the range
// times_parts is exact over (every act_df keeps it; tests/parts_contract.rs checks them all).
// Where k = 0 (plain) m may be any f32.
struct Parts {
    m: f32,
    k: i32,
}

fn plain(m: f32) -> Parts {
    return Parts(m, 0);
}

// a * (m * 2^k) with a's exponent moved into k, so that m keeps the range of Parts whatever
// the parameter a is (a = f * 2^(e - 127), f in [1, 2) with a's sign; a subnormal a counts as
// 0, as on hardware that flushes).
fn parts_scaled(a: f32, p: Parts) -> Parts {
    let b = bitcast<u32>(a);
    let e = i32((b >> 23u) & 0xffu);
    let f = bitcast<f32>((b & 0x807fffffu) | 0x3f800000u);
    return Parts(select(f * p.m, 0.0, e == 0), p.k + e - 127);
}

// g * (m * 2^k) with one rounding wherever the true product is a normal f32, even when m * 2^k
// alone would underflow or overflow; +-inf above the range, 0 (or a subnormal) below it. The
// part 2^a of 2^k with |a| <= 64 goes into m first (exact: m 2^a is normal for m in the range
// of Parts), so the one rounding, g (m 2^a), can neither overflow nor underflow where the
// true product is normal. The rest, 2^b, is applied as two exact power-of-two factors, b
// clamped to [-252, 252], past which every such product times 2^b is 0 or +-inf anyway. For
// a plain value (k = 0, where the compiler folds the factors to 1) it is g * m. No branch,
// no exponent-field arithmetic.
fn times_parts(g: f32, d: Parts) -> f32 {
    let a = clamp(d.k, -64, 64);
    let b = clamp(d.k - a, -252, 252);
    let b1 = b >> 1u;
    return ((g * (d.m * pow2i(a))) * pow2i(b1)) * pow2i(b - b1);
}

// h - kf ln 2 for an integer kf near h / ln 2 (Cody-Waite, |h| < 2^9): h - kf LN2_HI is
// exact, so the one rounding is that of the small correction kf LN2_LO. The barrier on that
// constant (the same for every element, so computed once, not per element) keeps the
// compiler from merging kf LN2_HI and kf LN2_LO into kf ln 2, rounded (measured on GELU's
// reduction: 65 ULP).
fn minus_k_ln2(h: f32, kf: f32) -> f32 {
    return (h - kf * LN2_HI) - kf * opaque(LN2_LO);
}

// x = k ln2 + r with |r| <= ln2/2 (Cody-Waite, valid for |x| < 2^9).
fn reduce_ln2(x: f32) -> Parts {
    let kf = round(x * LOG2E);
    let r = minus_k_ln2(x, kf);
    return Parts(r, i32(kf));
}

// e^x = m * 2^k with m in [0.7, 1.42], for x <= 280. Below -280 no f32 times it is a normal
// f32, so a token 2^-500 stands in: grad_out * f'(x) follows exact arithmetic, where e^x is never
// 0 for a finite x, so inf times it is inf however far out x is, while any finite f32 times
// 2^-500 (times a mantissa below 2^300) rounds to 0. Only x = -inf gives 0, the limit there.
// (The reference carries the same tails as float64's smallest subnormal.)
fn exp_parts(x: f32) -> Parts {
    let red = reduce_ln2(max(x, -280.0));
    let p = Parts(exp_reduced(red.m), red.k);
    let tail = x < -280.0;
    let neg_inf = tail && is_inf(x); // on the bits: the compiler may assume no inf in comparisons
    let m = select(select(p.m, 1.0, tail), 0.0, neg_inf);
    return Parts(m, select(select(p.k, -500, tail), 0, neg_inf));
}

// e^(hi + lo) = m * 2^k for an argument carried as a sum (|lo| much smaller than |hi|), so that
// a rounded product or quotient in the exponent costs no accuracy. Below -280 the token 2^-500
// stands in (see exp_parts) for every argument, -inf included: the argument overflows to -inf
// for finite x (softplus' beta x, CELU's x / alpha, GELU's x^2 / 2), so the callers that need
// the limit 0 at x = +-inf test x themselves. Scaled to a plain f32 (softmax) the token is 0.
fn exp_sum_parts(hi: f32, lo: f32) -> Parts {
    if (hi < -280.0) {
        return Parts(1.0, -500);
    }
    if (hi > 500.0) {
        return Parts(1.0, 500); // a token: no non-zero f32 times it is finite
    }
    let kf = round(hi * LOG2E);
    let r = minus_k_ln2(hi, kf) + lo;
    return Parts(exp_reduced(r), i32(kf));
}

// e^(hi + lo) for hi <= 0 as a plain f32 (0 below the normal range), the cheap form of
// exp_sum_parts where neither the tokens nor an overflow can be needed.
fn exp_sum_nonpos(hi: f32, lo: f32) -> f32 {
    let h = clamp(hi, EXP_UNDERFLOW, 0.0);
    let kf = round(h * LOG2E);
    let r = minus_k_ln2(h, kf) + select(lo, 0.0, hi < EXP_UNDERFLOW);
    return exp_reduced(r) * pow2_or_zero(i32(kf));
}

// e^(h1 + h2 + lo) as parts, for an argument carried as two large exact terms and a small one:
// each large term is reduced by ln 2 exactly, and only the small remainders are added. Tokens
// as exp_sum_parts (h = -inf included: GELU-tanh's cubic overflows for finite x).
fn exp_sum2_parts(h1: f32, h2: f32, lo: f32) -> Parts {
    let h = h1 + h2;
    if (h < -280.0) {
        return Parts(1.0, -500);
    }
    if (h > 500.0) {
        return Parts(1.0, 500);
    }
    let k1 = round(h1 * LOG2E);
    let k2 = round(h2 * LOG2E);
    let r = (opaque(h1 - k1 * LN2_HI) + opaque(h2 - k2 * LN2_HI)) + (lo - (k1 + k2) * LN2_LO);
    let k3 = round(r * LOG2E);
    let r3 = minus_k_ln2(r, k3);
    return Parts(exp_reduced(r3), i32(k1) + i32(k2) + i32(k3));
}

// a + b as hi + lo exactly (Dekker's fast two-sum on the operands ordered by magnitude; the
// barrier keeps the compiler from folding (hi - big) back to small).
fn exact_sum(a: f32, b: f32) -> vec2<f32> {
    let a_big = abs(a) >= abs(b);
    let big = select(b, a, a_big);
    let small = select(a, b, a_big);
    let hi = big + small;
    return vec2<f32>(hi, small - (opaque(hi) - big));
}

// The leading 12 significant bits of a (the rest masked off): products of two such halves
// are exact in f32.
fn hi12(a: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
}

// a * b as hi + lo: hi exact, lo the remaining (small) part, rounded once.
fn mul_exact(a: f32, b: f32) -> vec2<f32> {
    let ah = hi12(a);
    let al = a - ah;
    let bh = hi12(b);
    let bl = b - bh;
    return vec2<f32>(ah * bh, (ah * bl + al * bh) + al * bl);
}

// x / y as hi + lo: hi the rounded quotient, lo the correction from the exact remainder.
fn div_exact(x: f32, y: f32) -> vec2<f32> {
    let q = x / y;
    let p = mul_exact(q, y);
    return vec2<f32>(q, ((x - p.x) - p.y) / y);
}

// 1 / d for |a| < 2^40, where d is the caller's denominator (1 + a^2, (1 + |a|)^2, ...), and
// past that 1 / a^2 as parts (a = f * 2^e, so 1/a^2 = (1/f^2) * 2^-2e), which stays exact where
// it would underflow; 0 for a = +-inf. One division either way.
fn recip_or_square_parts(d: f32, a: f32) -> Parts {
    let b = bitcast<u32>(a);
    let big = abs(a) >= 1.099511627776e12;
    let f = bitcast<f32>((b & 0x007fffffu) | 0x3f000000u); // |a| = f * 2^e, f in [0.5, 1)
    let e = i32((b >> 23u) & 0xffu) - 126;
    let q = 1.0 / select(d, f * f, big);
    return Parts(select(q, 0.0, is_inf(a)), select(0, -2 * e, big));
}

// x^2 as parts (x = f * 2^e, so x^2 = f^2 * 2^2e): exact where x^2 alone would underflow.
fn square_parts(x: f32) -> Parts {
    let b = bitcast<u32>(x);
    let ex = i32((b >> 23u) & 0xffu);
    if (ex == 0) {
        // zero, or subnormal: |x| = m * 2^-149 with the integer m read from the bits (the
        // hardware may flush a subnormal operand), so x^2 = m^2 * 2^-298, which a large
        // grad_out still brings back into the normal range (m scaled by 2^-12 for the range of
        // Parts).
        let m = f32(b & 0x007fffffu) * 0.000244140625; // 2^-12: m^2 within [2^-24, 2^22]
        return Parts(m * m, -274);
    }
    let f = bitcast<f32>((b & 0x007fffffu) | 0x3f000000u); // |x| = f * 2^(ex - 126)
    return Parts(f * f, 2 * (ex - 126));
}

fn is_inf(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

// e^x, within about 1 ULP over the whole range; +inf above ln(f32::MAX), 0 below underflow.
fn exp_acc(x: f32) -> f32 {
    let red = reduce_ln2(clamp(x, EXP_UNDERFLOW, EXP_OVERFLOW));
    let v = scale_mantissa(exp_reduced(red.m), red.k);
    return select(v, inf_f32(), x > EXP_OVERFLOW);
}

// e^x for x <= 0, the cheap form of exp_acc where no overflow can happen: 2^k is built
// directly (0 for k < -126, where the result is below the normal range and may flush).
fn exp_nonpos(x: f32) -> f32 {
    let red = reduce_ln2(clamp(x, EXP_UNDERFLOW, 0.0));
    return exp_reduced(red.m) * pow2_or_zero(red.k);
}

// e^x - 1 for x <= 0 (the negative branch of ELU and its relatives) with full relative
// accuracy near 0, from one reduction x = k ln2 + r: 2^k (e^r - 1) + (2^k - 1), which for
// |x| <= ln2/2 (k = 0, r = x exactly) is e^r - 1 itself. Below -17.5 e^x is below half an ULP
// of 1. Positive x give e^0 - 1 = 0.
fn expm1_nonpos(x: f32) -> f32 {
    let red = reduce_ln2(clamp(x, -17.5, 0.0));
    let t = pow2i(red.k);
    return select(t * expm1_reduced(red.m) + (t - 1.0), -1.0, x < -17.5);
}

// a (e^(hi + lo) - 1) for hi >= 0 (hi + lo an exact sum, |lo| much smaller), from one
// reduction hi + lo = k ln2 + r: 2^k (e^r - 1) + (2^k - 1), whose two terms cannot cancel much
// for k >= 1 (the first is at least -0.3 2^k, the second at least 2^k / 2). Past k = 24 the -1
// is below half an ULP, and a e^r is scaled by 2^k on the exponent field, so the product is
// finite wherever it should be even when e^(hi + lo) alone would overflow.
fn scaled_expm1_sum_nonneg(a: f32, hi: f32, lo: f32) -> f32 {
    let h = min(hi, 300.0);
    let kf = round(h * LOG2E);
    let r = minus_k_ln2(h, kf) + select(lo, 0.0, hi > 300.0);
    let k = i32(kf);
    let em1 = expm1_reduced(r);
    let t = pow2i(min(k, 24));
    let near = a * (t * em1 + (t - 1.0));
    let far = scale2(a * exp_reduced(r), k);
    let overflow = bitcast<f32>(0x7f800000u | (bitcast<u32>(a) & 0x80000000u)); // +-inf as a
    return select(select(near, far, k > 24), overflow, hi > 300.0);
}

// ln(1 + t) for t in [-0.5, 1] with full relative accuracy near 0: 2 atanh(t / (2 + t)), the
// series in s = t / (2 + t), |s| <= 1/3.
fn log1p_unit(t: f32) -> f32 {
    let s = t / (2.0 + t);
    let z = s * s;
    let q = z * (0.33333333333 + z * (0.2 + z * (0.14285714286 + z * (0.11111111111
        + z * (0.090909090909 + z * (0.076923076923 + z * 0.066666666667))))));
    return 2.0 * s + (2.0 * s) * q;
}

// ln(1 + t) for t > -1 with full relative accuracy near 0.
fn log1p_acc(t: f32) -> f32 {
    // 1 + t is exact below -0.5; above 1 its rounding costs < 1 ULP
    return select(log1p_unit(t), log(1.0 + t), t > 1.0 || t < -0.5);
}

// e / (1 + e)^2 for e = e^-|x|, the logistic slope, as parts so it stays exact where tiny.
fn logistic_slope(x: f32) -> Parts {
    let p = exp_parts(-abs(x));
    let d = 1.0 + p.m * pow2_or_zero(p.k); // k <= 0: 1 + e, where e below 2^-126 adds nothing
    return Parts(p.m / (d * d), p.k);
}

// e^x / (1 + e^x) for x <= 0, as parts.
fn sigmoid_neg_parts(x: f32) -> Parts {
    let p = exp_parts(x);
    return Parts(p.m / (1.0 + scale2(p.m, p.k)), p.k);
}

// 1 / (1 + e^-x) without overflow.
fn sigmoid_acc(x: f32) -> f32 {
    let e = exp_nonpos(-abs(x));
    return select(e, 1.0, x >= 0.0) / (1.0 + e);
}

// tanh(x): an odd polynomial near 0 (where the builtin is 1 % off), (1 - e)/(1 + e) beyond.
fn tanh_acc(x: f32) -> f32 {
    // Both forms are evaluated (SIMD lanes would run both sides of a branch anyway) and the
    // result chosen by a select.
    // Near 0: tanh(x) = x + x z P(z), z = x^2, P fitted by tools/fit.py on z < 0.625^2 (degree
    // 5: P's own error, 0.58 ULP, reaches tanh scaled by z |P(z)| <= 0.12).
    let z = x * x;
    let u = z * 5.12 - 1.0;
    let p = -0.30919939279556274 + u * (0.022366104647517204 + u * (-0.0016382046742364764
        + u * (0.00012015000538667664 + u * (-8.828279533190653e-06 + u * 6.420402769435896e-07))));
    let near = x + x * z * p;
    // Beyond: (1 - e) / (1 + e) with e = e^-2|x|.
    let e = exp_nonpos(-2.0 * abs(x));
    let t = (1.0 - e) / (1.0 + e);
    return select(select(-t, t, x >= 0.0), near, abs(x) < 0.625);
}

// atan(x): reduce |x| to |t| <= 7/16 around 0, 1/2, 1, 3/2 or infinity.
fn atan_acc(x: f32) -> f32 {
    // Reduce |x| around c = 0, 1/2, 1, 3/2 or infinity: t = (a - c)/(1 + c a), or -1/a, and
    // atan(a) = atan(c) + atan(t) with |t| <= 7/16. Chosen by selects, with one division.
    let a = abs(x);
    let i = select(0u, 1u, a >= 0.4375) + select(0u, 1u, a >= 0.6875) + select(0u, 1u, a >= 1.1875)
        + select(0u, 1u, a >= 2.4375);
    let c = f32(i) * 0.5;
    let big = i == 4u;
    let t = select(a - c, -1.0, big) / select(1.0 + c * a, a, big);
    // atan(c) as the nearest f32 plus the remainder
    let hi = select(select(select(select(0.0, 0.46364760398864746, i == 1u), 0.7853981852531433,
        i == 2u), 0.9827937483787537, i == 3u), 1.5707963705062866, big);
    let lo = select(select(select(select(0.0, 5.012158655276756e-09, i == 1u),
        -2.1855695000931213e-08, i == 2u), -2.5131424594123664e-08, i == 3u),
        -4.3711390001862426e-08, big);
    // atan(t) = t - t z Q(z) with z = t^2, Q fitted by tools/fit.py on z <= (7/16)^2 (degree 5:
    // Q's own error, 0.64 ULP, reaches atan scaled by z Q(z) / 1 <= 0.06).
    let z = t * t;
    let u = z * 10.448979591836734 - 1.0;
    let q = 0.3154108226299286 + u * (-0.01678823120892048 + u * (0.0010564589174464345
        + u * (-7.216823723865673e-05 + u * (5.265559138933895e-06 + u * -3.9123239048421965e-07))));
    let r = hi - (((t * z) * q - lo) - t);
    return select(-r, r, x >= 0.0);
}
