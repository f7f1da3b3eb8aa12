//! The activation table: every activation this crate knows, listed once.
//!
//! An activation is one [`Activation`] variant, one row in [`TABLE`] (its name, its WGSL snippet
//! with `act_f`/`act_df`, its float64 reference pair and its accuracy bounds) and one line in
//! [`named_activations!`](crate::named_activations) for its named methods. Everything else (shader
//! assembly, pipelines, the CPU reference API, verification, tests) is derived from these.

use crate::error::Error;
use crate::reference::kernels as k;

/// A neural-network activation function together with its parameters.
///
/// Parameters follow PyTorch's names and defaults; see the README's conventions table for the
/// behaviour at kinks, at ±∞ and for NaN.
///
/// ```
/// use gpu_activations::Activation;
/// assert_eq!(Activation::LeakyRelu { alpha: 0.01 }.name(), "leaky_relu");
/// assert!(Activation::Elu { alpha: f32::NAN }.validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Activation {
    /// f(x) = x.
    Identity,
    /// f(x) = max(0, x); f′(0) = 0.
    Relu,
    /// f(x) = x for x > 0, `alpha`·x otherwise; f′(0) = `alpha`.
    LeakyRelu {
        /// Slope for x ≤ 0 (PyTorch's `negative_slope`, default 0.01).
        alpha: f32,
    },
    /// f(x) = x for x > 0, `alpha`·(eˣ − 1) otherwise (the negative branch is taken at 0).
    Elu {
        /// Scale of the negative branch (default 1.0).
        alpha: f32,
    },
    /// f(x) = ln(1 + e^(βx))/β, and x itself where βx > `threshold`.
    Softplus {
        /// β > 0 (default 1).
        beta: f32,
        /// Above this value of βx the function is linear (default 20).
        threshold: f32,
    },
    /// f(x) = 1 / (1 + e⁻ˣ).
    Sigmoid,
    /// f(x) = tanh(x).
    Tanh,
    /// f(x) = atan(x).
    Arctan,
}

/// How a GPU result is judged against the float64 reference, in units in the last place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Largest error allowed for the forward pass.
    pub forward_ulp: f64,
    /// Largest error allowed for the backward pass (`grad_out · f′(x)`).
    pub backward_ulp: f64,
}

/// Correctly rounded: at most half an ULP from the exact value.
const EXACT: Bounds = Bounds {
    forward_ulp: 0.5,
    backward_ulp: 0.5,
};
/// The crate's contract for transcendental activations.
const SMOOTH: Bounds = Bounds {
    forward_ulp: 4.0,
    backward_ulp: 8.0,
};

/// A float64 function of `x` and the activation's parameters `[p0, p1, p2, p3]`.
pub(crate) type RefFn = fn(f64, &[f64; 4]) -> f64;

/// One row of the activation table.
pub(crate) struct Spec {
    /// snake_case name, also the named method's name.
    pub name: &'static str,
    /// WGSL defining `act_f(x: f32) -> f32` and `act_df(x: f32) -> f32`.
    pub wgsl: &'static str,
    /// f(x) in float64.
    pub f: RefFn,
    /// f′(x) in float64.
    pub df: RefFn,
    /// Accuracy contract.
    pub bounds: Bounds,
}

macro_rules! row {
    ($name:literal, $f:path, $df:path, $bounds:expr) => {
        Spec {
            name: $name,
            wgsl: include_str!(concat!("../shaders/", $name, ".wgsl")),
            f: $f,
            df: $df,
            bounds: $bounds,
        }
    };
}

/// The table, indexed by [`Activation::index`].
pub(crate) static TABLE: [Spec; 8] = [
    row!("identity", k::identity, k::identity_d, EXACT),
    row!("relu", k::relu, k::relu_d, EXACT),
    row!("leaky_relu", k::leaky_relu, k::leaky_relu_d, EXACT),
    row!("elu", k::elu, k::elu_d, SMOOTH),
    row!("softplus", k::softplus, k::softplus_d, SMOOTH),
    row!("sigmoid", k::sigmoid, k::sigmoid_d, SMOOTH),
    row!("tanh", k::tanh, k::tanh_d, SMOOTH),
    row!("arctan", k::arctan, k::arctan_d, SMOOTH),
];

impl Activation {
    /// Every activation once, with PyTorch's default parameters.
    pub const ALL: &'static [Activation] = &[
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu { alpha: 0.01 },
        Activation::Elu { alpha: 1.0 },
        Activation::Softplus {
            beta: 1.0,
            threshold: 20.0,
        },
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Arctan,
    ];

    /// Position of this activation's row in the table.
    pub(crate) fn index(&self) -> usize {
        match self {
            Activation::Identity => 0,
            Activation::Relu => 1,
            Activation::LeakyRelu { .. } => 2,
            Activation::Elu { .. } => 3,
            Activation::Softplus { .. } => 4,
            Activation::Sigmoid => 5,
            Activation::Tanh => 6,
            Activation::Arctan => 7,
        }
    }

    /// The parameters as the shader sees them (`params.p` in WGSL), unused slots zero.
    pub fn params(&self) -> [f32; 4] {
        match *self {
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => [alpha, 0.0, 0.0, 0.0],
            Activation::Softplus { beta, threshold } => [beta, threshold, 0.0, 0.0],
            _ => [0.0; 4],
        }
    }

    pub(crate) fn spec(&self) -> &'static Spec {
        &TABLE[self.index()]
    }

    /// The activation's snake_case name, which is also the name of its method on
    /// [`GpuActivations`](crate::GpuActivations).
    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The accuracy this crate guarantees for the activation, in ULP against float64.
    pub fn bounds(&self) -> Bounds {
        self.spec().bounds
    }

    /// Checks the parameters: every parameter finite, and `beta > 0` for softplus.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |param, value, reason| {
            Err(Error::InvalidParameter {
                activation: self.name(),
                param,
                value,
                reason,
            })
        };
        match *self {
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } if !alpha.is_finite() => {
                bad("alpha", alpha, "must be finite")
            }
            Activation::Softplus { beta, .. } if !beta.is_finite() || beta <= 0.0 => {
                bad("beta", beta, "must be finite and > 0")
            }
            Activation::Softplus { threshold, .. } if !threshold.is_finite() => {
                bad("threshold", threshold, "must be finite")
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
        }
    };
}
