//! PReLU: a learned slope per channel, and its gradient summed on the GPU.

use crate::error::Error;
use crate::rowwise::launch::grid_groups;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{PRELU_FINAL_WG, PRELU_WG, Special};
use crate::runtime::uniforms;
use crate::verify::Compared;
use crate::{reference, ulp};

/// Elements of one channel summed by one workgroup of the weight-gradient reduction.
const PER_BLOCK_TARGET: usize = 16 * PRELU_WG as usize;
/// At most this many partial sums per channel.
const MAX_BLOCKS: usize = 256;

/// The validated shape of a PReLU call.
#[derive(Clone, Copy)]
struct Shape {
    n: usize,
    channels: usize,
    spatial: usize,
    wlen: usize,
}

/// The uniform block of prelu.wgsl (`Params` there).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PreluParams {
    n: u32,
    channels: u32,
    spatial: u32,
    wlen: u32,
    /// Invocations (or workgroups) per row of the grid.
    row: u32,
    /// Always 0: the shaders' optimization barrier (`opaque()` in numerics.wgsl).
    zero: u32,
    /// Partial sums per channel.
    blocks: u32,
    /// Elements of a channel per block.
    per_block: u32,
}

const _: () = assert!(std::mem::size_of::<PreluParams>() as u64 <= uniforms::BLOCK);

impl Shape {
    fn params(&self, row: u32, blocks: u32, per_block: u32) -> PreluParams {
        PreluParams {
            n: self.n as u32,
            channels: self.channels as u32,
            spatial: self.spatial as u32,
            wlen: self.wlen as u32,
            row,
            zero: 0,
            blocks,
            per_block,
        }
    }
}

impl GpuActivations {
    /// The checks shared by the operations on an (N, `channels`, `spatial`) tensor `x` with a
    /// per-channel tensor `per_channel` (named `what`; PReLU's weight, a bias): both of this
    /// instance and of one storage type, non-zero sizes whose product divides `x`'s length,
    /// `per_channel` no longer than a grid dimension (its gradient takes a workgroup row per
    /// entry), and `x` within one binding and 2³² elements. `op` names the operation in errors.
    pub(crate) fn check_channel_layout(
        &self,
        op: &str,
        x: &GpuBuffer,
        per_channel: &GpuBuffer,
        what: &'static str,
        channels: usize,
        spatial: usize,
    ) -> Result<(), Error> {
        self.check_owner(x, "x")?;
        self.check_owner(per_channel, what)?;
        if per_channel.dtype() != x.dtype() {
            return Err(Error::DTypeMismatch {
                what,
                got: per_channel.dtype(),
                expected: x.dtype(),
            });
        }
        if channels == 0 || spatial == 0 {
            return Err(Error::Shape(format!(
                "{op} needs channels > 0 and spatial > 0 (got {channels} and {spatial})"
            )));
        }
        let group = channels
            .checked_mul(spatial)
            .ok_or(Error::Shape("channels × spatial overflows".into()))?;
        if x.len() % group != 0 {
            return Err(Error::Shape(format!(
                "{op} input of {} elements is not (N, {channels}, {spatial}): channels × \
                 spatial = {group} does not divide it",
                x.len()
            )));
        }
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        if per_channel.len() as u64 > max_dim as u64 {
            return Err(Error::Shape(format!(
                "{op} with {} {what} entries exceeds the device's {max_dim} workgroups per dimension",
                per_channel.len()
            )));
        }
        self.check_bindable(x)?;
        if x.len() > u32::MAX as usize {
            return Err(Error::Shape(format!("{op} input exceeds 2^32 elements")));
        }
        Ok(())
    }

    fn prelu_shape(
        &self,
        x: &GpuBuffer,
        weight: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<Shape, Error> {
        self.check_channel_layout("PReLU", x, weight, "weight", channels, spatial)?;
        if weight.len() != 1 && weight.len() != channels {
            return Err(Error::Shape(format!(
                "PReLU weight has {} entries; it must have 1 or channels = {channels}",
                weight.len()
            )));
        }
        Ok(Shape { n: x.len(), channels, spatial, wlen: weight.len() })
    }

    /// PReLU: `x` for x > 0, `weight[c]·x` otherwise, for `x` laid out (N, `channels`) row-major
    /// (element i is in channel i % channels). `weight` has 1 or `channels` entries, of `x`'s storage type (f16 and bf16 tensors are
    /// widened to f32 on the device and the f32 result rounded once). For
    /// (N, C, S) tensors, such as images, use [`prelu_with_spatial`](Self::prelu_with_spatial).
    ///
    /// ```
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[-1.0, -1.0, 2.0, -4.0])?; // (N = 2, C = 2)
    /// let w = gpu.upload(&[0.25, 0.5])?;
    /// assert_eq!(gpu.download(&gpu.prelu(&x, &w, 2)?)?, vec![-0.25, -0.5, 2.0, -2.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn prelu(
        &self,
        x: &GpuBuffer,
        weight: &GpuBuffer,
        channels: usize,
    ) -> Result<GpuBuffer, Error> {
        self.prelu_with_spatial(x, weight, channels, 1)
    }

    /// Backward pass of [`prelu`](Self::prelu): `(grad_x, grad_weight)`, where
    /// `grad_x = grad_out·(1 or weight[c])` and `grad_weight[c]` sums x·grad_out over the x ≤ 0
    /// elements of channel c (over everything when there is one weight), reduced on the GPU.
    pub fn prelu_backward(
        &self,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
        weight: &GpuBuffer,
        channels: usize,
    ) -> Result<(GpuBuffer, GpuBuffer), Error> {
        self.prelu_with_spatial_backward(x, grad_out, weight, channels, 1)
    }

    /// PReLU over an (N, `channels`, `spatial`) row-major tensor: element i is in channel
    /// (i / spatial) % channels, as PyTorch's `nn.PReLU(channels)` on (N, C, H, W) with
    /// spatial = H·W.
    pub fn prelu_with_spatial(
        &self,
        x: &GpuBuffer,
        weight: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<GpuBuffer, Error> {
        let shape = self.prelu_shape(x, weight, channels, spatial)?;
        if x.dtype() != DType::F32 {
            // 16-bit tensors: widened to f32 on the device, and the f32 result (verified, if
            // asked) rounded once to the input's storage type.
            let (xf, wf) = (self.cast(x, DType::F32)?, self.cast(weight, DType::F32)?);
            let y = self.prelu_with_spatial(&xf, &wf, channels, spatial)?;
            return self.cast(&y, x.dtype());
        }
        let (x, weight) = (&self.owned(x)?, &self.owned(weight)?);
        let y = self.create_output(x.dtype(), x.len())?;
        if !x.is_empty() {
            let (gx, gy) = self.elementwise_grid(x.len());
            let params = shape.params(gx * PRELU_WG, 0, 0);
            let bufs = [(1, x.binding()), (2, weight.binding()), (3, y.binding())];
            self.run_special(Special::PreluForward, &params, &bufs, (gx, gy))?;
        }
        if self.verify() {
            let (xs, ws, ys) = (self.download(x)?, self.download(weight)?, self.download(&y)?);
            let want = reference::prelu(&xs, &ws, channels, spatial);
            check_exact("forward", &xs, None, &ys, &want)?;
        }
        Ok(y)
    }

    /// Backward pass of [`prelu_with_spatial`](Self::prelu_with_spatial): `(grad_x, grad_weight)`.
    pub fn prelu_with_spatial_backward(
        &self,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
        weight: &GpuBuffer,
        channels: usize,
        spatial: usize,
    ) -> Result<(GpuBuffer, GpuBuffer), Error> {
        let shape = self.prelu_shape(x, weight, channels, spatial)?;
        self.check_same_tensor(x, grad_out, "grad_out")?;
        if x.dtype() != DType::F32 {
            // As in the forward pass: through f32, each result rounded once.
            let xf = self.cast(x, DType::F32)?;
            let (gf, wf) = (self.cast(grad_out, DType::F32)?, self.cast(weight, DType::F32)?);
            let (dx, dw) = self.prelu_with_spatial_backward(&xf, &gf, &wf, channels, spatial)?;
            return Ok((self.cast(&dx, x.dtype())?, self.cast(&dw, weight.dtype())?));
        }
        let (x, weight) = (&self.owned(x)?, &self.owned(weight)?);
        let grad_out = &self.owned(grad_out)?;
        let grad_x = self.create_output(x.dtype(), x.len())?;
        let grad_w = self.create_output(weight.dtype(), shape.wlen)?;
        if x.is_empty() {
            // A sum over nothing (a pooled buffer may hold old values).
            self.write(&grad_w, &vec![0.0; shape.wlen])?;
        } else {
            let (gx, gy) = self.elementwise_grid(x.len());
            let params = shape.params(gx * PRELU_WG, 0, 0);
            let bufs = [
                (1, x.binding()),
                (2, weight.binding()),
                (3, grad_x.binding()),
                (4, grad_out.binding()),
            ];
            self.run_special(Special::PreluBackward, &params, &bufs, (gx, gy))?;

            let per_channel = shape.n / if shape.wlen == 1 { 1 } else { shape.channels };
            let (blocks, per_block) = blocks(per_channel);
            let partial = self.create_storage(DType::F32, blocks * shape.wlen)?;
            let params = shape.params(0, blocks as u32, per_block as u32);
            let bufs =
                [(1, x.binding()), (3, partial.as_entire_binding()), (4, grad_out.binding())];
            self.run_special(
                Special::PreluWeightPartial,
                &params,
                &bufs,
                (blocks as u32, shape.wlen as u32),
            )?;
            self.sum_partials(&partial, blocks, &grad_w)?;
        }
        if self.verify() {
            let (xs, gs, ws) =
                (self.download(x)?, self.download(grad_out)?, self.download(weight)?);
            let (want_x, want_w) = reference::prelu_backward(&xs, &gs, &ws, channels, spatial);
            check_exact("backward", &xs, Some(&gs), &self.download(&grad_x)?, &want_x)?;
            check_weight_grad(&xs, &gs, channels, spatial, &self.download(&grad_w)?, &want_w)?;
        }
        Ok((grad_x, grad_w))
    }

    /// `out[c]` = the sum of the `blocks` partial sums `partial[c · blocks ..][.. blocks]`, for
    /// each of `out`'s entries (the last pass of PReLU's weight gradient and of the bias
    /// gradient).
    pub(crate) fn sum_partials(
        &self,
        partial: &wgpu::Buffer,
        blocks: usize,
        out: &GpuBuffer,
    ) -> Result<(), Error> {
        let params = PreluParams {
            wlen: out.len() as u32,
            blocks: blocks as u32,
            ..bytemuck::Zeroable::zeroed()
        };
        let bufs = [(1, partial.as_entire_binding()), (3, out.binding())];
        let groups = (out.len() as u32).div_ceil(PRELU_FINAL_WG);
        self.run_special(Special::PreluWeightFinal, &params, &bufs, (groups, 1))
    }

    /// The grid for one invocation per element.
    fn elementwise_grid(&self, n: usize) -> (u32, u32) {
        let groups = (n as u64).div_ceil(PRELU_WG as u64);
        grid_groups(groups, self.limits.max_compute_workgroups_per_dimension)
    }
}

/// Blocks per channel and elements per block for a sum over `per_channel` elements of each
/// channel: one workgroup per block, each summing about [`PER_BLOCK_TARGET`] elements, at most
/// [`MAX_BLOCKS`] partial sums per channel.
pub(crate) fn blocks(per_channel: usize) -> (usize, usize) {
    let blocks = per_channel.div_ceil(PER_BLOCK_TARGET).clamp(1, MAX_BLOCKS);
    (blocks, per_channel.div_ceil(blocks))
}

/// Every element correctly rounded (PReLU is one multiply).
fn check_exact(
    direction: &'static str,
    xs: &[f32],
    gs: Option<&[f32]>,
    got: &[f32],
    want: &[f64],
) -> Result<(), Error> {
    let compared =
        Compared { activation: "prelu", direction, inputs: Some(xs), grads: gs, got, want };
    compared.first_failure(
        0.5,
        |i| ulp::within(got[i], want[i], 0.5),
        |i| ulp::error(got[i], want[i]),
    )
}

/// The weight gradient is a sum: it must agree with the float64 sum to within the rounding a
/// tree of f32 additions can accumulate, 2⁻¹⁸ of the sum of the magnitudes of its terms.
fn check_weight_grad(
    xs: &[f32],
    gs: &[f32],
    channels: usize,
    spatial: usize,
    got: &[f32],
    want: &[f64],
) -> Result<(), Error> {
    let magnitude = reference::prelu_weight_grad_magnitude(xs, gs, got.len(), channels, spatial);
    let compared = Compared {
        activation: "prelu",
        direction: "weight gradient",
        inputs: None,
        grads: None,
        got,
        want,
    };
    compared.first_failure(
        0.0,
        |c| {
            (got[c] as f64 - want[c]).abs() <= magnitude[c] * 2f64.powi(-18)
                || (got[c].is_nan() && want[c].is_nan())
        },
        |c| ulp::error(got[c], want[c]),
    )
}
