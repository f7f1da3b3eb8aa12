//! [`Batch`]: many operations encoded into one command buffer and submitted once.

use crate::activation::Activation;
use crate::buffer::GpuBuffer;
use crate::dispatch::Operands;
use crate::error::Error;
use crate::gpu::GpuActivations;
use crate::uniforms::Arena;

/// Records operations into one command buffer; [`submit`](Self::submit) queues them all at
/// once. Small tensors cost a fraction of a separate submission each (see the README's
/// performance section). The buffers returned hold their results once the batch is submitted.
/// Dropping a batch without submitting discards its operations.
///
/// ```
/// use gpu_activations::Activation;
/// # let gpu = gpu_activations::GpuActivations::new()?;
/// let x = gpu.upload(&[-2.0, 0.5])?;
/// let mut batch = gpu.batch();
/// let h = batch.forward(Activation::Relu, &x)?;
/// let y = batch.forward(Activation::Sigmoid, &h)?;
/// batch.submit()?;
/// assert_eq!(gpu.download(&h)?, vec![0.0, 0.5]);
/// assert!((gpu.download(&y)?[1] - 0.622_459_3).abs() < 1e-6);
/// # Ok::<(), gpu_activations::Error>(())
/// ```
pub struct Batch<'a> {
    gpu: &'a GpuActivations,
    encoder: wgpu::CommandEncoder,
    /// The compute pass every operation is recorded into, open until a copy or the submission.
    pass: Option<wgpu::ComputePass<'static>>,
    uniforms: Arena,
    recorded: usize,
    /// With verification on: what to check after submission (activation, x, grad_out, result).
    checks: Vec<(Activation, GpuBuffer, Option<GpuBuffer>, GpuBuffer)>,
}

/// A second handle on a buffer, for checking after submission (it does not return the
/// allocation to the pool when dropped).
fn alias(b: &GpuBuffer) -> GpuBuffer {
    GpuBuffer { buffer: b.buffer.clone(), len: b.len, owner: b.owner, pool: None }
}

impl GpuActivations {
    /// Starts a [`Batch`] of operations submitted together.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            gpu: self,
            encoder: self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gpu-activations batch"),
            }),
            pass: None,
            uniforms: Arena::default(),
            recorded: 0,
            checks: Vec::new(),
        }
    }
}

impl Batch<'_> {
    /// Records `ops` into the batch's open compute pass.
    fn record(&mut self, act: Activation, ops: Operands<'_>) -> Result<(), Error> {
        let pass = self.pass.get_or_insert_with(|| {
            self.encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("gpu-activations batch"),
                    timestamp_writes: None,
                })
                .forget_lifetime()
        });
        self.gpu.record_in_pass(pass, &mut self.uniforms, act, ops)?;
        self.recorded += 1;
        Ok(())
    }

    /// Records `f(x)` into a new buffer.
    pub fn forward(&mut self, act: Activation, x: &GpuBuffer) -> Result<GpuBuffer, Error> {
        act.validate()?;
        self.gpu.check_owner(x, "x")?;
        let y = self.gpu.create_output(x.len())?;
        self.record(act, Operands::Forward { x, y: &y })?;
        if self.gpu.verify() {
            self.checks.push((act, alias(x), None, alias(&y)));
        }
        Ok(y)
    }

    /// Records `grad_out · f′(x)` into a new buffer.
    pub fn backward(
        &mut self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
    ) -> Result<GpuBuffer, Error> {
        act.validate()?;
        self.gpu.check_same_shape(x, grad_out, "grad_out")?;
        let y = self.gpu.create_output(x.len())?;
        self.record(act, Operands::Backward { x, g: grad_out, y: &y })?;
        if self.gpu.verify() {
            self.checks.push((act, alias(x), Some(alias(grad_out)), alias(&y)));
        }
        Ok(y)
    }

    /// Records `x ← f(x)` **in place**.
    pub fn forward_inplace(&mut self, act: Activation, x: &GpuBuffer) -> Result<(), Error> {
        act.validate()?;
        self.gpu.check_owner(x, "x")?;
        if self.gpu.verify() {
            // Keep the input, copied on the device before the operation overwrites it.
            let before = self.gpu.create_output(x.len())?;
            let bytes = x.len4() * 16;
            self.pass = None; // copies are recorded outside a pass
            self.encoder.copy_buffer_to_buffer(&x.buffer, 0, &before.buffer, 0, bytes);
            self.checks.push((act, before, None, alias(x)));
        }
        self.record(act, Operands::InPlace { x })
    }

    /// Operations recorded so far.
    pub fn len(&self) -> usize {
        self.recorded
    }

    /// True if nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.recorded == 0
    }

    /// Submits every recorded operation in one command buffer. Returns at once unless
    /// verification is on, which waits and checks every result.
    pub fn submit(mut self) -> Result<(), Error> {
        self.pass = None;
        self.gpu.queue.submit([self.encoder.finish()]);
        for (act, x, g, y) in &self.checks {
            crate::verify::check(self.gpu, *act, x, g.as_ref(), y)?;
        }
        Ok(())
    }
}
