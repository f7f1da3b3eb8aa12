//! The `*_into` forms: results written into a tensor the caller already has, so that a loop
//! allocates nothing (and, on software adapters, touches no fresh memory).

use crate::elementwise::dispatch::Operands;
use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::uniforms::Fresh;
use crate::table::activation::Activation;

impl GpuActivations {
    /// The checks of an operation writing `out` (named `what`): those of the operation itself,
    /// `out` of this instance with the length and storage type of `x`, and no overlap with the
    /// inputs (the in-place forms are the way to overwrite an input).
    fn check_into(
        &self,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
        out: &GpuBuffer,
        what: &'static str,
    ) -> Result<(), Error> {
        self.check_operation(act, x, g)?;
        self.check_same_tensor(x, out, what)?;
        if [Some(x), g].into_iter().flatten().any(|input| input.overlaps(out)) {
            return Err(Error::Shape(format!(
                "{what} overlaps an input; use forward_inplace to overwrite x"
            )));
        }
        Ok(())
    }

    /// `f(x)` written into `y` (same length and storage type, not overlapping `x`): nothing is
    /// allocated. Queued; returns at once.
    ///
    /// ```
    /// use gpu_activations::Activation;
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[-1.0, 2.0])?;
    /// let y = gpu.upload(&[0.0; 2])?;
    /// gpu.forward_into(Activation::Relu, &x, &y)?;
    /// assert_eq!(gpu.download(&y)?, vec![0.0, 2.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn forward_into(&self, act: Activation, x: &GpuBuffer, y: &GpuBuffer) -> Result<(), Error> {
        self.check_into(act, x, None, y, "y")?;
        self.run_into(act, x, None, y)
    }

    /// `grad_out · f′(x)` written into `grad_in` (same length and storage type as `x`, not
    /// overlapping `x` or `grad_out`): nothing is allocated.
    pub fn backward_into(
        &self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
        grad_in: &GpuBuffer,
    ) -> Result<(), Error> {
        self.check_into(act, x, Some(grad_out), grad_in, "grad_in")?;
        self.run_into(act, x, Some(grad_out), grad_in)
    }

    /// [`forward_into`](Self::forward_into) recorded into the caller's `encoder`, valid once the
    /// encoder is submitted on this instance's queue. As with
    /// [`encode_forward`](Self::encode_forward), `x` and `y` are never handed to other work
    /// through the pool afterwards, so they may be dropped at any time.
    pub fn encode_forward_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        y: &GpuBuffer,
    ) -> Result<(), Error> {
        self.encode_into(encoder, act, x, None, y, "y")
    }

    /// [`backward_into`](Self::backward_into) recorded into the caller's `encoder` (see
    /// [`encode_forward_into`](Self::encode_forward_into)).
    pub fn encode_backward_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
        grad_in: &GpuBuffer,
    ) -> Result<(), Error> {
        self.encode_into(encoder, act, x, Some(grad_out), grad_in, "grad_in")
    }

    fn encode_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
        out: &GpuBuffer,
        what: &'static str,
    ) -> Result<(), Error> {
        self.check_into(act, x, g, out, what)?;
        self.record_into(encoder, act, x, g, out)
    }

    /// `f(x)`, or `g · f′(x)` with a `g`, into `out` (checked already), submitted and verified
    /// if asked: the one path of every out-of-place operation, allocating or not.
    pub(crate) fn run_into(
        &self,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
        out: &GpuBuffer,
    ) -> Result<(), Error> {
        self.dispatch(act, Operands::out_of_place(x, g, out))?;
        if self.verify() {
            crate::verify::check(self, act, x, g, out)?;
        }
        Ok(())
    }

    /// [`run_into`](Self::run_into) recorded into the caller's encoder, its parameters in a
    /// buffer of their own; the tensors it records are retired from the pool (the caller
    /// decides when the work runs).
    pub(crate) fn record_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
        out: &GpuBuffer,
    ) -> Result<(), Error> {
        self.record(encoder, &mut Fresh, act, Operands::out_of_place(x, g, out))?;
        for recorded in [Some(x), g, Some(out)].into_iter().flatten() {
            recorded.retire();
        }
        Ok(())
    }
}
