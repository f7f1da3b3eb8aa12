//! Verification: read a result back and judge it against the float64 CPU reference.

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;
use crate::table::activation::Activation;
use crate::{reference, ulp};

/// One verification's data: each element's input (if it has one) and upstream gradient (in a
/// backward pass), the GPU's result and the float64 reference.
pub(crate) struct Compared<'a> {
    pub activation: &'static str,
    pub direction: &'static str,
    pub inputs: Option<&'a [f32]>,
    pub grads: Option<&'a [f32]>,
    pub got: &'a [f32],
    pub want: &'a [f64],
}

impl Compared<'_> {
    /// The first element `ok` rejects, as [`Error::Mismatch`] with its error by `measure`
    /// against `bound`.
    pub(crate) fn first_failure(
        &self,
        bound: f64,
        ok: impl Fn(usize) -> bool,
        measure: impl Fn(usize) -> f64,
    ) -> Result<(), Error> {
        match (0..self.got.len()).find(|&i| !ok(i)) {
            None => Ok(()),
            Some(i) => Err(Error::Mismatch {
                activation: self.activation,
                direction: self.direction,
                index: i,
                input: self.inputs.map_or(f32::NAN, |xs| xs[i]),
                grad_out: self.grads.map(|gs| gs[i]),
                gpu: self.got[i],
                reference: self.want[i] as f32,
                ulps: measure(i),
                bound,
            }),
        }
    }
}

/// Compares `y` (computed from `x`, and `g` for a backward pass) with the reference and returns
/// the first element outside the activation's bound as [`Error::Mismatch`].
pub(crate) fn check(
    gpu: &GpuActivations,
    act: Activation,
    x: &GpuBuffer,
    g: Option<&GpuBuffer>,
    y: &GpuBuffer,
) -> Result<(), Error> {
    let xs = gpu.download(x)?;
    let ys = gpu.download(y)?;
    let gs = g.map(|g| gpu.download(g)).transpose()?;
    check_values(act, y.dtype(), &xs, gs.as_deref(), &ys)
}

/// [`check`] on values read back already: `ys` (stored as `dtype`) computed from `xs`, and `gs`
/// for a backward pass.
pub(crate) fn check_values(
    act: Activation,
    dtype: DType,
    xs: &[f32],
    gs: Option<&[f32]>,
    ys: &[f32],
) -> Result<(), Error> {
    let bounds = act.bounds();
    let want: Vec<f64> = match gs {
        None => xs.iter().map(|&x| reference::forward_f64(act, x as f64)).collect(),
        Some(gs) => xs
            .iter()
            .zip(gs)
            .map(|(&x, &g)| reference::backward_f64(act, x as f64, g as f64))
            .collect(),
    };
    let compared = Compared {
        activation: act.name(),
        direction: if gs.is_some() { "backward" } else { "forward" },
        inputs: Some(xs),
        grads: gs,
        got: ys,
        want: &want,
    };
    let measure = |i: usize| ulp::error_in(dtype, ys[i], want[i]);
    let mut result = match gs {
        None => compared.first_failure(
            bounds.forward_ulp_in(dtype),
            |i| bounds.forward_ok_in(dtype, ys[i], want[i]),
            measure,
        ),
        Some(gs) => compared.first_failure(
            bounds.backward_ulp_in(dtype),
            |i| bounds.backward_ok_in(dtype, xs[i], gs[i], ys[i], want[i]),
            measure,
        ),
    };
    // Report the reference as the result's storage type holds it.
    if let Err(Error::Mismatch { index, reference, .. }) = &mut result {
        *reference = ulp::round_to(dtype, want[*index]);
    }
    result
}
