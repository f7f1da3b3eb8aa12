//! Measuring f32 results in units in the last place (ULP) against a float64 reference.
//!
//! ```
//! use gpu_activations::ulp;
//! assert_eq!(ulp::error(1.0, 1.0), 0.0);
//! assert_eq!(ulp::error(1.0 + f32::EPSILON, 1.0), 1.0);
//! assert!(ulp::within(0.0, 1e-40, 4.0)); // an underflowing result may flush to zero
//! ```

use crate::DType;

/// The size of one f32 ULP at the magnitude of `v` (subnormal spacing below the smallest normal,
/// the spacing at `f32::MAX` above it).
pub fn ulp_of(v: f64) -> f64 {
    let a = v.abs();
    if a < f32::MIN_POSITIVE as f64 {
        return 2f64.powi(-149);
    }
    let e = (a.log2().floor() as i32).min(127);
    // log2 may round up just below a power of two: correct with an exact comparison.
    let e = if 2f64.powi(e) > a { e - 1 } else { e };
    2f64.powi(e - 23)
}

/// The error of `got` against the exact value `want`, in f32 ULP at `want`.
///
/// NaN against NaN, and an infinity against a `want` that rounds to the same infinity, are 0.
/// Near the overflow threshold an infinity counts as ±2¹²⁸, the value one ULP past `f32::MAX`
/// (so a result of ∞ where the exact value is just below the threshold is off by a fraction
/// of an ULP or a few, as rounding puts it, not infinitely). NaN against a number, an infinity
/// against the other infinity or against an exact infinity is `f64::INFINITY`. Zeros of either
/// sign compare equal.
///
/// ```
/// use gpu_activations::ulp::error;
/// assert_eq!(error(f32::INFINITY, f32::MAX as f64), 1.0);
/// assert_eq!(error(f32::MAX, 2f64.powi(128)), 1.0);
/// assert_eq!(error(f32::MAX, f64::INFINITY), f64::INFINITY);
/// ```
pub fn error(got: f32, want: f64) -> f64 {
    error_in(DType::F32, got, want)
}

/// True if `got` is within `bound` ULP of `want`, or if the exact result is below the smallest
/// normal f32 and `got` is too (a result that underflows may flush to zero).
pub fn within(got: f32, want: f64, bound: f64) -> bool {
    if want.abs() < f32::MIN_POSITIVE as f64 && (got.abs() as f64) < f32::MIN_POSITIVE as f64 {
        return true;
    }
    error(got, want) <= bound
}

/// [`error`], but 0 where [`within`] accepts a flushed underflow: the figure the accuracy tables
/// report.
pub fn measured(got: f32, want: f64) -> f64 {
    if within(got, want, 0.0) { 0.0 } else { error(got, want) }
}

/// The error of `got` against `want` in units of 2⁻²³·`scale`, for results that are a difference
/// of terms whose magnitudes sum to `scale` (no relative bound can hold where such a difference
/// cancels). NaN against NaN is 0, and so is a pair of results both below the smallest normal
/// f32 (flush to zero).
///
/// ```
/// use gpu_activations::ulp::scaled_error;
/// assert_eq!(scaled_error(1.0, 1.0 + 2f64.powi(-23), 1.0), 1.0);
/// assert_eq!(scaled_error(0.0, 1e-40, 1e-39), 0.0);
/// ```
pub fn scaled_error(got: f32, want: f64, scale: f64) -> f64 {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let tiny = f32::MIN_POSITIVE as f64;
    let diff = (got as f64 - want).abs();
    if diff == 0.0 || (want.abs() < tiny && (got.abs() as f64) < tiny) {
        return 0.0;
    }
    diff / (2f64.powi(-23) * scale)
}

/// A format's significand bits after the point, smallest normal exponent and largest exponent.
fn format(dtype: DType) -> (i32, i32, i32) {
    match dtype {
        DType::F16 => (10, -14, 15),
        DType::Bf16 => (7, -126, 127),
        _ => (23, -126, 127),
    }
}

/// The size of one ULP of `dtype` at the magnitude of `v`: the subnormal spacing below the
/// format's smallest normal (2⁻²⁴ for f16, 2⁻¹³³ for bf16, 2⁻¹⁴⁹ for f32), the spacing at its
/// largest finite value above it.
///
/// ```
/// use gpu_activations::{ulp::ulp_of_in, DType};
/// assert_eq!(ulp_of_in(DType::F16, 1.0), 2f64.powi(-10));
/// assert_eq!(ulp_of_in(DType::F16, 1e-6), 2f64.powi(-24));
/// assert_eq!(ulp_of_in(DType::Bf16, 3.0), 2f64.powi(-6));
/// ```
pub fn ulp_of_in(dtype: DType, v: f64) -> f64 {
    if dtype == DType::F32 {
        return ulp_of(v);
    }
    let (mant, emin, emax) = format(dtype);
    let a = v.abs();
    if a < 2f64.powi(emin) || a.is_nan() {
        return 2f64.powi(emin - mant);
    }
    let e = (a.log2().floor() as i32).min(emax);
    let e = if 2f64.powi(e) > a { e - 1 } else { e };
    2f64.powi(e - mant)
}

/// `v` correctly rounded (to nearest, ties to even) to `dtype`, widened to f32 (exactly): NaN
/// stays NaN, values from halfway past the largest finite value on become ±∞, and results in
/// the format's subnormal range are rounded, not flushed.
///
/// This does not use `half`'s `from_f64`: half 2.7 drops the low 32 bits of an f64's
/// significand before rounding, so a value just above a tie can round down (f32 `0x585e8002`
/// to bf16 gives `0x585e` there, where the nearest is `0x585f`). For f32 arguments it agrees
/// with `half`'s `from_f32`.
///
/// ```
/// use gpu_activations::{half::bf16, ulp::round_to, DType};
/// assert_eq!(round_to(DType::F16, 65520.0), f32::INFINITY);
/// assert_eq!(round_to(DType::Bf16, 1.0 + 2f64.powi(-8)), 1.0); // a tie, to even
/// let above_a_tie = f32::from_bits(0x585e_8002);
/// assert_eq!(round_to(DType::Bf16, above_a_tie as f64), bf16::from_f32(above_a_tie).to_f32());
/// ```
pub fn round_to(dtype: DType, v: f64) -> f32 {
    if dtype == DType::F32 || !v.is_finite() {
        return v as f32;
    }
    let (mant, _, emax) = format(dtype);
    let a = v.abs();
    // The spacing at |v| is a power of two, so a / q is exact and rounding it to an integer is
    // the one rounding; n·q is exact too.
    let q = ulp_of_in(dtype, a);
    let r = (a / q).round_ties_even() * q;
    let largest = (2.0 - 2f64.powi(-mant)) * 2f64.powi(emax);
    let r = if r > largest { f64::INFINITY } else { r };
    r.copysign(v) as f32
}

/// The error of `got` (a value stored as `dtype`, widened to f32) against the exact value
/// `want`, in ULPs of `dtype` at `want`, with [`error`]'s rules for NaN and infinities: an
/// infinity counts as 2^(emax+1), one ULP past the format's largest finite value (65536 for
/// f16).
///
/// ```
/// use gpu_activations::{ulp::error_in, DType};
/// assert_eq!(error_in(DType::F16, 1.0 + 2f32.powi(-10), 1.0), 1.0);
/// assert_eq!(error_in(DType::F16, f32::INFINITY, 65504.0), 1.0);
/// ```
pub fn error_in(dtype: DType, got: f32, want: f64) -> f64 {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let rounded = round_to(dtype, want);
    if rounded.is_infinite() || got.is_infinite() {
        if rounded == got {
            return 0.0;
        }
        let opposite = got.is_infinite() && (got > 0.0) != (want > 0.0);
        if want.is_infinite() || opposite {
            return f64::INFINITY;
        }
        let threshold = 2f64.powi(format(dtype).2 + 1);
        let g = if got.is_infinite() { threshold.copysign(got as f64) } else { got as f64 };
        return (g - want).abs() / ulp_of_in(dtype, want);
    }
    (got as f64 - want).abs() / ulp_of_in(dtype, want)
}

/// True if `got` (stored as `dtype`, widened) is within `bound` ULPs of `dtype` of `want`. As
/// with [`within`], bf16 and f32 results whose exact value and result are both below 2⁻¹²⁶
/// pass (they may flush to zero); f16 keeps its subnormals and gets no such allowance.
///
/// ```
/// use gpu_activations::{ulp::within_in, DType};
/// assert!(within_in(DType::Bf16, 0.0, 1e-39, 0.5));
/// assert!(!within_in(DType::F16, 0.0, 1e-6, 0.5)); // 1e-6 is an f16 subnormal: not flushed
/// ```
pub fn within_in(dtype: DType, got: f32, want: f64, bound: f64) -> bool {
    match dtype {
        DType::F32 => within(got, want, bound),
        DType::F16 => error_in(dtype, got, want) <= bound,
        _ => {
            let tiny = f32::MIN_POSITIVE as f64;
            (want.abs() < tiny && (got.abs() as f64) < tiny) || error_in(dtype, got, want) <= bound
        }
    }
}

/// Running maximum and mean of ULP errors, with the input where the maximum occurred.
///
/// ```
/// let mut s = gpu_activations::ulp::Stats::default();
/// s.add(2.0, 1.0, 1.0);
/// s.add(3.0, 1.0 + f32::EPSILON, 1.0);
/// assert_eq!((s.max, s.worst_input, s.mean()), (1.0, 3.0, 0.5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Largest error seen, in ULP (after [`measured`]'s allowance for underflow).
    pub max: f64,
    /// The input at which `max` was seen.
    pub worst_input: f32,
    /// Sum of the finite errors.
    pub sum: f64,
    /// Number of results counted.
    pub count: u64,
}

impl Stats {
    /// Counts one result `got` for input `x` against the exact value `want`.
    pub fn add(&mut self, x: f32, got: f32, want: f64) {
        self.add_error(x, measured(got, want));
    }

    /// Counts one error `e` (in whatever unit these statistics keep) seen at input `x`.
    pub fn add_error(&mut self, x: f32, e: f64) {
        if e > self.max || (e.is_nan() && !self.max.is_nan()) {
            self.max = e;
            self.worst_input = x;
        }
        if e.is_finite() {
            self.sum += e;
        }
        self.count += 1;
    }

    /// Folds another set of results into this one.
    pub fn merge(&mut self, other: &Stats) {
        if other.max > self.max {
            self.max = other.max;
            self.worst_input = other.worst_input;
        }
        self.sum += other.sum;
        self.count += other.count;
    }

    /// Mean error over the results counted (0 if none).
    pub fn mean(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum / self.count as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_to_agrees_with_half_from_f32() {
        let mut bits = 0u32;
        // Every 4,099th f32 pattern, and the neighbours of every f16 and bf16 tie.
        let mut values: Vec<f32> = std::iter::from_fn(|| {
            bits = bits.checked_add(4_099)?;
            Some(f32::from_bits(bits))
        })
        .collect();
        for h in 0..=u16::MAX as u32 {
            for mid in [(h << 16) | 0x8000, ((h >> 3) << 13 | 0x1000) + 0x3800_0000] {
                values.extend([mid - 1, mid, mid + 1].map(f32::from_bits));
            }
        }
        for v in values {
            let h = round_to(DType::F16, v as f64);
            let b = round_to(DType::Bf16, v as f64);
            if v.is_nan() {
                assert!(h.is_nan() && b.is_nan());
                continue;
            }
            assert_eq!(h.to_bits(), half::f16::from_f32(v).to_f32().to_bits(), "f16 {v:e}");
            assert_eq!(b.to_bits(), half::bf16::from_f32(v).to_f32().to_bits(), "bf16 {v:e}");
        }
    }
}
