//! Softmax and log-softmax over contiguous rows, one workgroup-level reduction per row.

use crate::error::Error;
use crate::rowwise::launch::grid_groups;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::Special;
use crate::runtime::uniforms;
use crate::verify::Compared;
use crate::{reference, ulp};

/// Largest forward error of softmax and log-softmax, in ULP, over rows the reduction sums in f32.
pub const SOFTMAX_FORWARD_ULP: f64 = 4.0;
/// Backward error bound, as a multiple of 2⁻²³ times the sum of the magnitudes of the terms
/// (the backward passes subtract a row sum, so no relative bound can hold near a zero result).
pub const SOFTMAX_BACKWARD_ABS: f64 = 8.0;

/// The uniform block of softmax.wgsl (`Params` there).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SoftmaxParams {
    rows: u32,
    row_len: u32,
    pad0: [u32; 2],
    /// Workgroups per row of the grid.
    row: u32,
    /// Always 0: the shaders' optimization barrier (`opaque()` in numerics.wgsl).
    zero: u32,
    pad1: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<SoftmaxParams>() as u64 <= uniforms::BLOCK);

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Softmax,
    LogSoftmax,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Softmax => "softmax",
            Kind::LogSoftmax => "log_softmax",
        }
    }
}

impl GpuActivations {
    fn rows(&self, x: &GpuBuffer, row_len: usize) -> Result<usize, Error> {
        self.check_owner(x, "x")?;
        if row_len == 0 || x.len() % row_len != 0 {
            return Err(Error::Shape(format!(
                "row_len {row_len} does not divide the tensor's {} elements",
                x.len()
            )));
        }
        if x.len() > u32::MAX as usize {
            return Err(Error::Shape("softmax input exceeds 2^32 elements".into()));
        }
        self.check_bindable(x)?;
        Ok(x.len() / row_len)
    }

    fn row_kernel(
        &self,
        k: Special,
        row_len: usize,
        rows: usize,
        bufs: &[(u32, wgpu::BindingResource<'_>)],
    ) -> Result<(), Error> {
        if rows == 0 {
            return Ok(());
        }
        let (gx, gy) = grid_groups(rows as u64, self.limits.max_compute_workgroups_per_dimension);
        let params = SoftmaxParams {
            rows: rows as u32,
            row_len: row_len as u32,
            pad0: [0; 2],
            row: gx,
            zero: 0,
            pad1: [0; 2],
        };
        self.run_special(k, &params, bufs, (gx, gy))
    }

    fn softmax_family(
        &self,
        kind: Kind,
        x: &GpuBuffer,
        row_len: usize,
    ) -> Result<GpuBuffer, Error> {
        let rows = self.rows(x, row_len)?;
        if x.dtype() != DType::F32 {
            // 16-bit tensors: widened to f32 on the device, and the f32 result (verified, if
            // asked) rounded once to the input's storage type.
            let y = self.softmax_family(kind, &self.cast(x, DType::F32)?, row_len)?;
            return self.cast(&y, x.dtype());
        }
        let x = &self.owned(x)?;
        let y = self.create_output(x.dtype(), x.len())?;
        let k = if kind == Kind::Softmax {
            Special::SoftmaxForward
        } else {
            Special::LogSoftmaxForward
        };
        self.row_kernel(k, row_len, rows, &[(1, x.binding()), (3, y.binding())])?;
        if self.verify() {
            let (xs, ys) = (self.download(x)?, self.download(&y)?);
            let want = match kind {
                Kind::Softmax => reference::softmax(&xs, row_len),
                Kind::LogSoftmax => reference::log_softmax(&xs, row_len),
            };
            let compared = Compared {
                activation: kind.name(),
                direction: "forward",
                inputs: Some(&xs),
                grads: None,
                got: &ys,
                want: &want,
            };
            compared.first_failure(
                SOFTMAX_FORWARD_ULP,
                |i| ulp::within(ys[i], want[i], SOFTMAX_FORWARD_ULP),
                |i| ulp::error(ys[i], want[i]),
            )?;
        }
        Ok(y)
    }

    fn softmax_family_backward(
        &self,
        kind: Kind,
        y: &GpuBuffer,
        grad_out: &GpuBuffer,
        row_len: usize,
    ) -> Result<GpuBuffer, Error> {
        let rows = self.rows(y, row_len)?;
        self.check_same_tensor(y, grad_out, "grad_out")?;
        if y.dtype() != DType::F32 {
            let (yf, gf) = (self.cast(y, DType::F32)?, self.cast(grad_out, DType::F32)?);
            let d = self.softmax_family_backward(kind, &yf, &gf, row_len)?;
            return self.cast(&d, y.dtype());
        }
        let (y, grad_out) = (&self.owned(y)?, &self.owned(grad_out)?);
        let d = self.create_output(y.dtype(), y.len())?;
        let k = if kind == Kind::Softmax {
            Special::SoftmaxBackward
        } else {
            Special::LogSoftmaxBackward
        };
        self.row_kernel(
            k,
            row_len,
            rows,
            &[(1, y.binding()), (3, d.binding()), (4, grad_out.binding())],
        )?;
        if self.verify() {
            let (ys, gs, ds) = (self.download(y)?, self.download(grad_out)?, self.download(&d)?);
            let (want, scale) = match kind {
                Kind::Softmax => reference::softmax_backward(&ys, &gs, row_len),
                Kind::LogSoftmax => reference::log_softmax_backward(&ys, &gs, row_len),
            };
            let compared = Compared {
                activation: kind.name(),
                direction: "backward",
                inputs: Some(&ys),
                grads: Some(&gs),
                got: &ds,
                want: &want,
            };
            let err = |i: usize| ulp::scaled_error(ds[i], want[i], scale[i]);
            compared.first_failure(
                SOFTMAX_BACKWARD_ABS,
                |i| err(i) <= SOFTMAX_BACKWARD_ABS,
                err,
            )?;
        }
        Ok(d)
    }

    /// Softmax over each contiguous row of `row_len` elements: e^(x − max) / Σ e^(x − max).
    /// `row_len` must divide the length. NaN in a row makes the row NaN; +∞ logits share the
    /// probability evenly. f16 and bf16 tensors are widened to f32 on the device and the f32
    /// result rounded once to their storage type.
    ///
    /// ```
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[0.0, 0.0, 1e4, -1e4])?; // two rows of 2
    /// let y = gpu.download(&gpu.softmax(&x, 2)?)?;
    /// assert_eq!(y, vec![0.5, 0.5, 1.0, 0.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn softmax(&self, x: &GpuBuffer, row_len: usize) -> Result<GpuBuffer, Error> {
        self.softmax_family(Kind::Softmax, x, row_len)
    }

    /// Log-softmax over each contiguous row: (x − max) − ln Σ e^(x − max), accurate also for the
    /// dominant logit (where it is −ln(1 + Σ of the rest)).
    pub fn log_softmax(&self, x: &GpuBuffer, row_len: usize) -> Result<GpuBuffer, Error> {
        self.softmax_family(Kind::LogSoftmax, x, row_len)
    }

    /// Backward pass of [`softmax`](Self::softmax) from its output `y`:
    /// grad_in = y·(grad_out − Σ grad_out·y) per row.
    pub fn softmax_backward(
        &self,
        y: &GpuBuffer,
        grad_out: &GpuBuffer,
        row_len: usize,
    ) -> Result<GpuBuffer, Error> {
        self.softmax_family_backward(Kind::Softmax, y, grad_out, row_len)
    }

    /// Backward pass of [`log_softmax`](Self::log_softmax) from its output `y`:
    /// grad_in = grad_out − e^y·Σ grad_out per row.
    pub fn log_softmax_backward(
        &self,
        y: &GpuBuffer,
        grad_out: &GpuBuffer,
        row_len: usize,
    ) -> Result<GpuBuffer, Error> {
        self.softmax_family_backward(Kind::LogSoftmax, y, grad_out, row_len)
    }
}
