//! Verification: read a result back and judge it against the float64 CPU reference.

use crate::activation::Activation;
use crate::buffer::GpuBuffer;
use crate::error::Error;
use crate::gpu::GpuActivations;
use crate::{reference, ulp};

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
    let bounds = act.bounds();
    for (i, (&xi, &yi)) in xs.iter().zip(&ys).enumerate() {
        let gi = gs.as_ref().map(|gs| gs[i]);
        let (want, bound, ok) = match gi {
            None => {
                let want = reference::forward_f64(act, xi as f64);
                (want, bounds.forward_ulp, bounds.forward_ok(yi, want))
            }
            Some(gi) => {
                let want = reference::backward_f64(act, xi as f64, gi as f64);
                (want, bounds.backward_ulp, bounds.backward_ok(xi, gi, yi, want))
            }
        };
        if !ok {
            return Err(Error::Mismatch {
                activation: act.name(),
                direction: if gi.is_some() { "backward" } else { "forward" },
                index: i,
                input: xi,
                grad_out: gi,
                gpu: yi,
                reference: want as f32,
                ulps: ulp::error(yi, want),
                bound,
            });
        }
    }
    Ok(())
}
