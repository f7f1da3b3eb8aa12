//! Bias + activation, fused: `f(x + bias[c])` in one pass, and its backward with the bias
//! gradient reduced on the GPU in the same pass over the data.

use crate::elementwise::dispatch::{Operands, Params};
use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{BiasWords, Direction, ElementwiseKey, Key, UNIFORM_BIAS_CHANNELS};
use crate::table::activation::Activation;
use crate::verify::{Compared, check_values};
use crate::{reference, ulp};

impl GpuActivations {
    /// The checks of a bias operation: valid parameters, and the shared ones of a per-channel
    /// tensor (see [`check_channel_layout`](Self::check_channel_layout)) with `bias` of
    /// `channels` entries.
    fn check_bias(
        &self,
        act: Activation,
        x: &GpuBuffer,
        bias: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<(), Error> {
        act.validate()?;
        self.check_channel_layout("a bias operation", x, bias, "bias", channels, spatial)?;
        if bias.len() != channels {
            return Err(Error::LengthMismatch {
                what: "bias",
                got: bias.len(),
                expected: channels,
            });
        }
        Ok(())
    }

    /// `f(x + bias[c])` for `x` laid out (N, `channels`, `spatial`) row-major (as
    /// [`prelu_with_spatial`](Self::prelu_with_spatial)): element i is in channel
    /// c = (i / spatial) % channels, so a dense layer's (batch, features) output has
    /// `spatial = 1` and a convolution's (N, C, H, W) output `spatial = H·W`. One pass: the
    /// sum is rounded once in f32 (as two separate operations would round it) and the
    /// activation applied to it, within the activation's bounds of `f(fl(x + bias))`. 16-bit
    /// tensors run through f32 (widened on the device, the result rounded once). `bias` has
    /// `channels` entries of `x`'s storage type; a view of an application's buffer is read
    /// through a copy of the crate's own. Queued; returns at once.
    ///
    /// ```
    /// use gpu_activations::Activation;
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[-1.0, 0.5, -3.0, 1.0])?; // (N = 2, C = 2)
    /// let b = gpu.upload(&[2.0, -1.0])?;
    /// let y = gpu.bias_forward(Activation::Relu, &x, &b, 2, 1)?;
    /// assert_eq!(gpu.download(&y)?, vec![1.0, 0.0, 0.0, 0.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn bias_forward(
        &self,
        act: Activation,
        x: &GpuBuffer,
        bias: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<GpuBuffer, Error> {
        self.check_bias(act, x, bias, channels, spatial)?;
        if x.dtype() != DType::F32 {
            let (xf, bf) = (self.cast(x, DType::F32)?, self.cast(bias, DType::F32)?);
            let y = self.bias_forward(act, &xf, &bf, channels, spatial)?;
            return self.cast(&y, x.dtype());
        }
        let (x, bias) = (&self.owned(x)?, &self.owned(bias)?);
        let y = self.create_output(DType::F32, x.len())?;
        // The grid paths read the bias from a uniform buffer (see BiasWords::choose), copied
        // only when the tensor as a whole takes one.
        let (c, s, n) = (channels as u32, spatial as u32, x.len() as u64);
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        let gridded = BiasWords::choose(c, s, 0, n, max_dim).1.is_some();
        let uniform = gridded.then(|| {
            self.bias_uniform.get_or_init(|| {
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("bias (uniform copy)"),
                    size: UNIFORM_BIAS_CHANNELS as u64 * 4,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
        });
        let (channels, spatial) = (channels as u32, spatial as u32);
        self.dispatch(act, Operands::Bias { x, bias, y: &y, channels, spatial, uniform })?;
        if self.verify() {
            let (xs, bs) = (self.download(x)?, self.download(bias)?);
            let xb = reference::bias_input(&xs, &bs, channels as usize, spatial as usize);
            check_values(act, DType::F32, &xb, None, &self.download(&y)?)?;
        }
        Ok(y)
    }

    /// Backward pass of [`bias_forward`](Self::bias_forward): `(grad_x, grad_bias)` with
    /// `grad_x = grad_out · f′(x + bias[c])` (the sum recomputed, nothing saved by the forward
    /// pass) and `grad_bias[c]` the sum of `grad_x` over channel c. One pass over the data:
    /// each workgroup writes its block's `grad_x` and sums it; the blocks' sums are added per
    /// channel (the sum within 2⁻¹⁸ of the sum of its terms' magnitudes, as PReLU's weight
    /// gradient; a term near a zero of f′ counts as at least 2¹⁸ times its own allowance,
    /// [`Bounds::backward_allowance`](crate::Bounds::backward_allowance)). `grad_out` has the
    /// length and storage type of `x`.
    ///
    /// ```
    /// use gpu_activations::Activation;
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[-1.0, 0.5, -3.0, 1.0])?; // (N = 2, C = 2)
    /// let b = gpu.upload(&[2.0, -1.0])?;
    /// let dy = gpu.upload(&[1.0, 2.0, 3.0, 4.0])?;
    /// let (dx, db) = gpu.bias_backward(Activation::Relu, &x, &b, &dy, 2, 1)?;
    /// assert_eq!(gpu.download(&dx)?, vec![1.0, 0.0, 0.0, 0.0]); // x + b = [1, -0.5, -1, 0]
    /// assert_eq!(gpu.download(&db)?, vec![1.0, 0.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn bias_backward(
        &self,
        act: Activation,
        x: &GpuBuffer,
        bias: &GpuBuffer,
        grad_out: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<(GpuBuffer, GpuBuffer), Error> {
        self.check_bias(act, x, bias, channels, spatial)?;
        self.check_same_tensor(x, grad_out, "grad_out")?;
        if x.dtype() != DType::F32 {
            let (xf, bf) = (self.cast(x, DType::F32)?, self.cast(bias, DType::F32)?);
            let gf = self.cast(grad_out, DType::F32)?;
            let (dx, db) = self.bias_backward(act, &xf, &bf, &gf, channels, spatial)?;
            return Ok((self.cast(&dx, x.dtype())?, self.cast(&db, x.dtype())?));
        }
        let (x, bias, grad_out) = (&self.owned(x)?, &self.owned(bias)?, &self.owned(grad_out)?);
        let grad_x = self.create_output(DType::F32, x.len())?;
        let grad_bias = self.create_output(DType::F32, channels)?;
        if x.is_empty() {
            // A sum over nothing (a pooled buffer may hold old values).
            self.write(&grad_bias, &vec![0.0; channels])?;
        } else {
            let (blocks, per_block) = crate::rowwise::prelu::blocks(x.len() / channels);
            let partial = self.create_storage(DType::F32, blocks * channels)?;
            let key = ElementwiseKey::new(act, Direction::BiasBackward, DType::F32);
            let params = Params {
                n: 0,
                row: 0,
                zero: 0,
                count: x.len() as u32,
                start: [0; 4],
                shape: [channels as u32, spatial as u32, blocks as u32, per_block as u32],
                p: act.params(),
            };
            let buffers = [
                (4, bias.binding()),
                (5, x.binding()),
                (6, grad_x.binding()),
                (7, grad_out.binding()),
                (8, partial.as_entire_binding()),
            ];
            let grid = (blocks as u32, channels as u32);
            self.run_kernel(Key::Elementwise(key), act.name(), &params, &buffers, grid)?;
            self.sum_partials(&partial, blocks, &grad_bias)?;
        }
        if self.verify() {
            let (xs, bs, gs) = (self.download(x)?, self.download(bias)?, self.download(grad_out)?);
            let xb = reference::bias_input(&xs, &bs, channels, spatial);
            check_values(act, DType::F32, &xb, Some(&gs), &self.download(&grad_x)?)?;
            let (want, magnitude) = reference::bias_grad(act, &xs, &bs, &gs, channels, spatial);
            let got = self.download(&grad_bias)?;
            let compared = Compared {
                activation: act.name(),
                direction: "bias gradient",
                inputs: None,
                grads: None,
                got: &got,
                want: &want,
            };
            compared.first_failure(
                0.0,
                |c| bias_grad_ok(got[c], want[c], magnitude[c], x.len() / channels),
                |c| ulp::error(got[c], want[c]),
            )?;
        }
        Ok((grad_x, grad_bias))
    }
}

/// A bias gradient `got` agrees with the float64 sum `want` of `terms` terms whose magnitudes
/// sum to `magnitude`: equal (±∞ included), within 2⁻¹⁸ of that (the rounding a tree of f32
/// additions can accumulate) plus the smallest normal f32 per term (a term below f32's normal
/// range, such as ELU's f′ far left, may be flushed to 0 on the GPU), or both NaN.
pub(crate) fn bias_grad_ok(got: f32, want: f64, magnitude: f64, terms: usize) -> bool {
    let flushed = terms as f64 * f32::MIN_POSITIVE as f64;
    got as f64 == want
        || (got as f64 - want).abs() <= magnitude * 2f64.powi(-18) + flushed
        || (got.is_nan() && want.is_nan())
}
