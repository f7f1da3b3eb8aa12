//! The activation table: every activation this crate knows, listed once.
//!
//! An activation is one [`Activation`] variant, one row in [`TABLE`] (its name, its WGSL snippet
//! with `act_f`/`act_df`, its float64 reference pair and its accuracy bounds) and one line in
//! [`named_activations!`](crate::named_activations) for its named methods. Everything else (shader
//! assembly, pipelines, the CPU reference API, verification, tests) is derived from these.

use crate::error::Error;
use crate::runtime::dtype::DType;
use crate::table::kernels as k;
use crate::ulp;

/// How a GPU result is judged against the float64 reference, in units in the last place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Largest error allowed for the forward pass.
    pub forward_ulp: f64,
    /// Largest error allowed for the backward pass (`grad_out · f′(x)`).
    pub backward_ulp: f64,
    /// Where f′ crosses zero inside its domain (GELU, SiLU, Mish, Hardswish), the x of that zero:
    /// within 1/8 of it the backward pass may instead be off by 2⁻²³·|grad_out| in absolute
    /// terms, since no f32 evaluation keeps relative accuracy through a zero.
    pub backward_zero: Option<f64>,
}

impl Bounds {
    /// Correctly rounded: at most half an ULP from the exact value.
    pub const EXACT: Bounds = Bounds { forward_ulp: 0.5, backward_ulp: 0.5, backward_zero: None };
    /// The crate's contract for smooth activations: 4 ULP forward, 8 ULP backward.
    pub const SMOOTH: Bounds = Bounds { forward_ulp: 4.0, backward_ulp: 8.0, backward_zero: None };

    /// [`SMOOTH`](Self::SMOOTH), with the absolute backward allowance near the zero of f′ at `x0`.
    pub const fn smooth_with_zero(x0: f64) -> Bounds {
        Bounds { backward_zero: Some(x0), ..Bounds::SMOOTH }
    }

    /// True if a forward result `got` meets the bound against the exact value `want`.
    pub fn forward_ok(&self, got: f32, want: f64) -> bool {
        ulp::within(got, want, self.forward_ulp)
    }

    /// The bound, in ULPs of the storage type, that 16-bit results meet: one rounding of the
    /// f32 result, whose own error is a small fraction of a 16-bit ULP.
    pub const HALF_ULP: f64 = 0.51;

    /// [`forward_ok`](Self::forward_ok) for results stored as `dtype` (`got` widened to f32):
    /// for f16 and bf16, within [`HALF_ULP`](Self::HALF_ULP) of the format (see
    /// [`ulp::within_in`]).
    pub fn forward_ok_in(&self, dtype: DType, got: f32, want: f64) -> bool {
        match dtype {
            DType::F32 => self.forward_ok(got, want),
            _ => ulp::within_in(dtype, got, want, Self::HALF_ULP),
        }
    }

    /// [`backward_ok`](Self::backward_ok) for results stored as `dtype` (`x`, `grad_out` and
    /// `got` widened to f32): for f16 and bf16, within [`HALF_ULP`](Self::HALF_ULP) of the
    /// format; or, near a zero of f′ (as [`backward_zero`](Self::backward_zero)), within half
    /// an ULP plus 2⁻²³·|grad_out| absolute; or 0 for a subnormal `grad_out`, as for f32.
    pub fn backward_ok_in(&self, dtype: DType, x: f32, grad_out: f32, got: f32, want: f64) -> bool {
        if dtype == DType::F32 {
            return self.backward_ok(x, grad_out, got, want);
        }
        if ulp::within_in(dtype, got, want, Self::HALF_ULP) {
            return true;
        }
        if got == 0.0 && grad_out != 0.0 && grad_out.abs() < f32::MIN_POSITIVE {
            return true;
        }
        match self.backward_zero {
            Some(x0) if (x as f64 - x0).abs() <= 0.125 && got.is_finite() => {
                (got as f64 - want).abs()
                    <= 0.5 * ulp::ulp_of_in(dtype, want) + 2f64.powi(-23) * (grad_out as f64).abs()
            }
            _ => false,
        }
    }

    /// The forward bound for results stored as `dtype`, in its ULPs.
    pub fn forward_ulp_in(&self, dtype: DType) -> f64 {
        if dtype == DType::F32 { self.forward_ulp } else { Self::HALF_ULP }
    }

    /// The backward bound for results stored as `dtype`, in its ULPs.
    pub fn backward_ulp_in(&self, dtype: DType) -> f64 {
        if dtype == DType::F32 { self.backward_ulp } else { Self::HALF_ULP }
    }

    /// True if a backward result `got` at input `x` for upstream gradient `grad_out` meets the
    /// bound against the exact value `want`.
    pub fn backward_ok(&self, x: f32, grad_out: f32, got: f32, want: f64) -> bool {
        if ulp::within(got, want, self.backward_ulp) {
            return true;
        }
        // A subnormal grad_out may be read as zero (devices that flush subnormal operands),
        // and 0 · f′(x) is 0.
        if got == 0.0 && grad_out != 0.0 && grad_out.abs() < f32::MIN_POSITIVE {
            return true;
        }
        got.is_finite() && (got as f64 - want).abs() <= self.backward_allowance(x, grad_out)
    }

    /// The absolute error the backward pass may have at `x` for `grad_out` besides its ULP
    /// bound: 2⁻²³·|grad_out| within 1/8 of [`backward_zero`](Self::backward_zero), else 0.
    ///
    /// ```
    /// use gpu_activations::Activation;
    /// let gelu = Activation::Gelu.bounds();
    /// assert_eq!(gelu.backward_allowance(-0.75, 2.0), 2f64.powi(-22));
    /// assert_eq!(gelu.backward_allowance(1.0, 2.0), 0.0);
    /// ```
    pub fn backward_allowance(&self, x: f32, grad_out: f32) -> f64 {
        match self.backward_zero {
            Some(x0) if (x as f64 - x0).abs() <= 0.125 => 2f64.powi(-23) * (grad_out as f64).abs(),
            _ => 0.0,
        }
    }
}

/// A float64 function of `x` and the activation's parameters `[p0, p1, p2, p3]`.
pub(crate) type RefFn = fn(f64, &[f64; 4]) -> f64;

/// One row of the activation table.
pub(crate) struct Spec {
    /// snake_case name, also the named method's name.
    pub name: &'static str,
    /// WGSL defining `act_f(x: f32) -> f32` and `act_df(x: f32) -> Parts`.
    pub wgsl: &'static str,
    /// f(x) in float64.
    pub f: RefFn,
    /// f′(x) in float64.
    pub df: RefFn,
    /// Accuracy contract.
    pub bounds: Bounds,
}

/// Pads a parameter list to the four slots the shader sees.
const fn pad(p: &[f32]) -> [f32; 4] {
    let mut out = [0.0; 4];
    let mut i = 0;
    while i < p.len() {
        out[i] = p[i];
        i += 1;
    }
    out
}

/// Generates [`Activation`], its table, its defaults and its parameter plumbing from one list.
macro_rules! activation_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident $({ $($(#[$fdoc:meta])* $field:ident = $default:expr),* $(,)? })?
            => $name:literal, $f:path, $df:path, $bounds:expr;
    )*) => {
        /// A neural-network activation function together with its parameters.
        ///
        /// Parameters follow PyTorch's names and defaults; see the README's conventions table
        /// for the behaviour at kinks, at ±∞ and for NaN.
        ///
        /// ```
        /// use gpu_activations::Activation;
        /// assert_eq!(Activation::LeakyRelu { alpha: 0.01 }.name(), "leaky_relu");
        /// assert!(Activation::Elu { alpha: f32::NAN }.validate().is_err());
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Activation {
            $(
                $(#[$doc])*
                $variant $({ $($(#[$fdoc])* $field: f32),* })?,
            )*
        }

        /// The table, indexed by [`Activation::index`].
        pub(crate) static TABLE: &[Spec] = &[
            $(Spec {
                name: $name,
                wgsl: include_str!(concat!("../../shaders/", $name, ".wgsl")),
                f: $f,
                df: $df,
                bounds: $bounds,
            },)*
        ];

        impl Activation {
            /// Every activation once, with PyTorch's default parameters.
            pub const ALL: &'static [Activation] = &[
                $(Activation::$variant $({ $($field: $default),* })?,)*
            ];

            /// Position of this activation's row in the table.
            pub(crate) fn index(&self) -> usize {
                let mut i = 0usize;
                $(
                    if let Activation::$variant { .. } = self {
                        return i;
                    }
                    i += 1;
                )*
                unreachable!("every one of the {i} variants has a row")
            }

            /// The parameters as the shader sees them (`params.p` in WGSL), in declaration
            /// order, unused slots zero.
            pub fn params(&self) -> [f32; 4] {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => pad(&[$($($field),*)?]),)*
                }
            }

            /// The parameters' names, in the order of [`params`](Self::params).
            pub fn param_names(&self) -> &'static [&'static str] {
                match self {
                    $(Activation::$variant { .. } => &[$($(stringify!($field)),*)?],)*
                }
            }
        }
    };
}

/// x of the zero of f′ for the activations whose derivative crosses zero.
const SILU_DF_ZERO: f64 = -1.278_464_542_761_074;
const MISH_DF_ZERO: f64 = -1.192_431_214_515_495;
const HARDSWISH_DF_ZERO: f64 = -1.5;
const GELU_DF_ZERO: f64 = -0.751_791_524_693_564_5;
const GELU_TANH_DF_ZERO: f64 = -0.752_461_422_071_016_3;

activation_table! {
    /// f(x) = x.
    Identity => "identity", k::identity, k::identity_d, Bounds::EXACT;
    /// f(x) = max(0, x); f′(0) = 0.
    Relu => "relu", k::relu, k::relu_d, Bounds::EXACT;
    /// f(x) = x for x > 0, `alpha`·x otherwise; f′(0) = `alpha`.
    LeakyRelu {
        /// Slope for x ≤ 0 (PyTorch's `negative_slope`, default 0.01).
        alpha = 0.01
    } => "leaky_relu", k::leaky_relu, k::leaky_relu_d, Bounds::EXACT;
    /// f(x) = x for x > 0, `alpha`·(eˣ − 1) otherwise (the negative branch is taken at 0).
    Elu {
        /// Scale of the negative branch (default 1.0).
        alpha = 1.0
    } => "elu", k::elu, k::elu_d, Bounds::SMOOTH;
    /// f(x) = ln(1 + e^(βx))/β, and x itself where βx > `threshold` (compared in f32).
    Softplus {
        /// β > 0 (default 1).
        beta = 1.0,
        /// Above this value of βx the function is linear (default 20).
        threshold = 20.0,
    } => "softplus", k::softplus, k::softplus_d, Bounds::SMOOTH;
    /// f(x) = 1 / (1 + e⁻ˣ).
    Sigmoid => "sigmoid", k::sigmoid, k::sigmoid_d, Bounds::SMOOTH;
    /// f(x) = tanh(x).
    Tanh => "tanh", k::tanh, k::tanh_d, Bounds::SMOOTH;
    /// f(x) = atan(x).
    Arctan => "arctan", k::arctan, k::arctan_d, Bounds::SMOOTH;
    /// SiLU (swish): f(x) = x·σ(x).
    Silu => "silu", k::silu, k::silu_d, Bounds::smooth_with_zero(SILU_DF_ZERO);
    /// Mish: f(x) = x·tanh(softplus(x)).
    Mish => "mish", k::mish, k::mish_d, Bounds::smooth_with_zero(MISH_DF_ZERO);
    /// SELU: scale·(x for x > 0, α·(eˣ − 1) otherwise) with PyTorch's α ≈ 1.6733 and
    /// scale ≈ 1.0507.
    Selu => "selu", k::selu, k::selu_d, Bounds::SMOOTH;
    /// CELU: max(0, x) + min(0, `alpha`·(e^(x/`alpha`) − 1)).
    Celu {
        /// Scale; any finite non-zero value (default 1.0).
        alpha = 1.0
    } => "celu", k::celu, k::celu_d, Bounds::SMOOTH;
    /// Softsign: f(x) = x / (1 + |x|).
    Softsign => "softsign", k::softsign, k::softsign_d, Bounds::SMOOTH;
    /// Hardtanh: x clamped to [`min_val`, `max_val`]; the gradient is 0 at both bounds.
    Hardtanh {
        /// Lower bound (default −1).
        min_val = -1.0,
        /// Upper bound, ≥ `min_val` (default 1).
        max_val = 1.0,
    } => "hardtanh", k::hardtanh, k::hardtanh_d, Bounds::EXACT;
    /// ReLU6: x clamped to [0, 6]; the gradient is 0 at both bounds.
    Relu6 => "relu6", k::relu6, k::relu6_d, Bounds::EXACT;
    /// Hardsigmoid: relu6(x + 3)/6.
    Hardsigmoid => "hardsigmoid", k::hardsigmoid, k::hardsigmoid_d, Bounds::SMOOTH;
    /// Hardswish: x·relu6(x + 3)/6; f′ = 0 for x ≤ −3, (2x + 3)/6 strictly between, 1 for
    /// x ≥ 3 (as PyTorch: f′(−3) = 0, f′(3) = 1).
    Hardswish => "hardswish", k::hardswish, k::hardswish_d, Bounds::smooth_with_zero(HARDSWISH_DF_ZERO);
    /// Log-sigmoid: f(x) = ln σ(x) = −softplus(−x).
    Logsigmoid => "logsigmoid", k::logsigmoid, k::logsigmoid_d, Bounds::SMOOTH;
    /// Softshrink: x − λ for x > λ, x + λ for x < −λ, 0 between.
    Softshrink {
        /// λ ≥ 0 (default 0.5).
        lambda = 0.5
    } => "softshrink", k::softshrink, k::softshrink_d, Bounds::EXACT;
    /// Hardshrink: x where |x| > λ, 0 otherwise.
    Hardshrink {
        /// λ ≥ 0 (default 0.5).
        lambda = 0.5
    } => "hardshrink", k::hardshrink, k::hardshrink_d, Bounds::EXACT;
    /// Tanhshrink: f(x) = x − tanh(x).
    Tanhshrink => "tanhshrink", k::tanhshrink, k::tanhshrink_d, Bounds::SMOOTH;
    /// GELU with the exact erf: f(x) = x·Φ(x) = x·(1 + erf(x/√2))/2.
    Gelu => "gelu", k::gelu, k::gelu_d, Bounds::smooth_with_zero(GELU_DF_ZERO);
    /// GELU, PyTorch's `approximate='tanh'`: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with its
    /// own exact derivative.
    GeluTanh => "gelu_tanh", k::gelu_tanh, k::gelu_tanh_d, Bounds::smooth_with_zero(GELU_TANH_DF_ZERO);
    /// Threshold: x where x > `threshold`, `value` otherwise.
    Threshold {
        /// The threshold (PyTorch has no default; the catalogue uses 0.1).
        threshold = 0.1,
        /// The value taken at and below the threshold (catalogue default 20).
        value = 20.0,
    } => "threshold", k::threshold, k::threshold_d, Bounds::EXACT;
}

impl Activation {
    pub(crate) fn spec(&self) -> &'static Spec {
        &TABLE[self.index()]
    }

    /// The activation's snake_case name, which is also the name of its method on
    /// [`GpuActivations`](crate::GpuActivations).
    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The accuracy this crate guarantees for the activation, against float64.
    pub fn bounds(&self) -> Bounds {
        self.spec().bounds
    }

    /// Checks the parameters: every one finite; softplus' β > 0; CELU's α ≠ 0; hardtanh's
    /// `min_val ≤ max_val`; the shrinks' λ ≥ 0.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |param, value, reason| {
            Err(Error::InvalidParameter { activation: self.name(), param, value, reason })
        };
        for (&param, &value) in self.param_names().iter().zip(&self.params()) {
            if !value.is_finite() {
                return bad(param, value, "must be finite");
            }
        }
        match *self {
            Activation::Softplus { beta, .. } if beta <= 0.0 => bad("beta", beta, "must be > 0"),
            Activation::Celu { alpha } if alpha == 0.0 => bad("alpha", alpha, "must not be 0"),
            Activation::Hardtanh { min_val, max_val } if min_val > max_val => {
                bad("min_val", min_val, "must not exceed max_val")
            }
            Activation::Softshrink { lambda } | Activation::Hardshrink { lambda }
                if lambda < 0.0 =>
            {
                bad("lambda", lambda, "must be >= 0")
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lists every named method once: `forward / backward / reference f′ (params) => variant`.
///
/// Invokes `$callback!` with the whole list, so the GPU methods and the CPU reference functions
/// are generated from the same rows.
#[macro_export]
#[doc(hidden)]
macro_rules! named_activations {
    ($callback:ident) => {
        $crate::$callback! {
            "the identity, f(x) = x"
                identity / identity_backward / identity_grad () => Identity;
            "ReLU, max(0, x); relu′(0) = 0"
                relu / relu_backward / relu_grad () => Relu;
            "Leaky ReLU, x for x > 0 and `alpha`·x otherwise; leaky_relu′(0) = `alpha`"
                leaky_relu / leaky_relu_backward / leaky_relu_grad (alpha) => LeakyRelu { alpha };
            "ELU, x for x > 0 and `alpha`·(eˣ − 1) otherwise"
                elu / elu_backward / elu_grad (alpha) => Elu { alpha };
            "Softplus with PyTorch's defaults β = 1, threshold = 20: ln(1 + eˣ), and x for x > 20"
                softplus / softplus_backward / softplus_grad () => Softplus { beta: 1.0, threshold: 20.0 };
            "the logistic sigmoid, 1 / (1 + e⁻ˣ)"
                sigmoid / sigmoid_backward / sigmoid_grad () => Sigmoid;
            "the hyperbolic tangent"
                tanh / tanh_backward / tanh_grad () => Tanh;
            "the arctangent"
                arctan / arctan_backward / arctan_grad () => Arctan;
            "softplus with any β > 0 and threshold: ln(1 + e^(βx))/β, and x where βx > threshold"
                softplus_with / softplus_with_backward / softplus_with_grad (beta, threshold) => Softplus { beta, threshold };
            "SiLU (swish), x·σ(x)"
                silu / silu_backward / silu_grad () => Silu;
            "Mish, x·tanh(softplus(x))"
                mish / mish_backward / mish_grad () => Mish;
            "SELU with PyTorch's constants"
                selu / selu_backward / selu_grad () => Selu;
            "CELU, max(0, x) + min(0, `alpha`·(e^(x/`alpha`) − 1))"
                celu / celu_backward / celu_grad (alpha) => Celu { alpha };
            "softsign, x/(1 + |x|)"
                softsign / softsign_backward / softsign_grad () => Softsign;
            "hardtanh, x clamped to [`min_val`, `max_val`]"
                hardtanh / hardtanh_backward / hardtanh_grad (min_val, max_val) => Hardtanh { min_val, max_val };
            "ReLU6, x clamped to [0, 6]"
                relu6 / relu6_backward / relu6_grad () => Relu6;
            "hardsigmoid, relu6(x + 3)/6"
                hardsigmoid / hardsigmoid_backward / hardsigmoid_grad () => Hardsigmoid;
            "hardswish, x·relu6(x + 3)/6"
                hardswish / hardswish_backward / hardswish_grad () => Hardswish;
            "log-sigmoid, ln σ(x)"
                logsigmoid / logsigmoid_backward / logsigmoid_grad () => Logsigmoid;
            "softshrink with threshold `lambda`"
                softshrink / softshrink_backward / softshrink_grad (lambda) => Softshrink { lambda };
            "hardshrink with threshold `lambda`"
                hardshrink / hardshrink_backward / hardshrink_grad (lambda) => Hardshrink { lambda };
            "tanhshrink, x − tanh(x)"
                tanhshrink / tanhshrink_backward / tanhshrink_grad () => Tanhshrink;
            "GELU with the exact erf, x·Φ(x)"
                gelu / gelu_backward / gelu_grad () => Gelu;
            "GELU with PyTorch's tanh approximation"
                gelu_tanh / gelu_tanh_backward / gelu_tanh_grad () => GeluTanh;
            "threshold: x where x > `threshold`, `value` otherwise"
                threshold / threshold_backward / threshold_grad (threshold, value) => Threshold { threshold, value };
        }
    };
}
