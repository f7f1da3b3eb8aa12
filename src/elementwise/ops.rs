//! The operations: forward, backward and in-place passes of any [`Activation`], recorded into
//! the crate's own submissions or into a caller's encoder, and their named forms.

use crate::elementwise::dispatch::Operands;
use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{Direction, ElementwiseKey, Key, Special};
use crate::table::activation::Activation;

impl GpuActivations {
    /// The checks every operation makes before recording anything: valid parameters, buffers
    /// of this instance, and `grad_out` (if any) of the length and storage type of `x`.
    pub(crate) fn check_operation(
        &self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: Option<&GpuBuffer>,
    ) -> Result<(), Error> {
        act.validate()?;
        match grad_out {
            Some(g) => self.check_same_tensor(x, g, "grad_out"),
            None => self.check_owner(x, "x"),
        }
    }

    /// [`check_same_shape`](Self::check_same_shape), and `other` stored as `x` is.
    pub(crate) fn check_same_tensor(
        &self,
        x: &GpuBuffer,
        other: &GpuBuffer,
        what: &'static str,
    ) -> Result<(), Error> {
        self.check_same_shape(x, other, what)?;
        if other.dtype() != x.dtype() {
            return Err(Error::DTypeMismatch { what, got: other.dtype(), expected: x.dtype() });
        }
        Ok(())
    }

    /// `buf` converted to the storage type `to`, into a new buffer, on the device: rounded to
    /// nearest, ties to even (f32 → f16 keeps f16's subnormals), NaN stays NaN, values past
    /// the target's range become ±∞. Widening is exact; f16 ↔ bf16 widens to f32 and rounds
    /// once. Converting to the same type copies. Queued; returns at once.
    ///
    /// ```
    /// use gpu_activations::{half::f16, DType};
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[1.0, 65520.0, 1e-7])?;
    /// let h = gpu.cast(&x, DType::F16)?;
    /// let want = [f16::ONE, f16::INFINITY, f16::from_f32(1e-7)]; // 1e-7: an f16 subnormal
    /// assert_eq!(gpu.download_typed::<f16>(&h)?, want);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn cast(&self, buf: &GpuBuffer, to: DType) -> Result<GpuBuffer, Error> {
        self.check_owner(buf, "buf")?;
        let y = self.create_output(to, buf.len())?;
        if buf.is_empty() {
            return Ok(y);
        }
        if buf.dtype() == to {
            self.copy_tensor(buf, &y)?;
        } else {
            self.dispatch(Activation::Identity, Operands::Cast { x: buf, y: &y })?;
        }
        Ok(y)
    }

    /// Copies the tensor `from` into `to` (of the same storage type and length) on the device.
    /// A view goes through the copy kernel (element by element at its edges, never past its
    /// range), which moves every value bit for bit except signalling 16-bit NaNs, which it
    /// quiets.
    pub(crate) fn copy_tensor(&self, from: &GpuBuffer, to: &GpuBuffer) -> Result<(), Error> {
        if from.wrapped || to.wrapped {
            return self.dispatch(Activation::Identity, Operands::Cast { x: from, y: to });
        }
        self.scoped(|| {
            let mut enc = self.device.create_command_encoder(&Default::default());
            let bytes = from.padded_bytes();
            enc.copy_buffer_to_buffer(&from.buffer, from.offset, &to.buffer, to.offset, bytes);
            self.queue.submit([enc.finish()]);
            Ok(())
        })
    }

    /// `f(x)` for every element of `x`, into a new buffer. Queued; returns at once.
    ///
    /// The buffer comes from the pool when a result of its size was dropped; a caller who keeps
    /// every result pays for a fresh, zero-filled allocation per call (several times the
    /// kernel's own time on a CPU adapter): [`forward_into`](Self::forward_into) a tensor kept
    /// for the purpose allocates nothing.
    pub fn forward(&self, act: Activation, x: &GpuBuffer) -> Result<GpuBuffer, Error> {
        self.out_of_place(act, x, None)
    }

    /// `grad_out · f′(x)` for every element, into a new buffer: the gradient with respect to
    /// the activation's input. `grad_out` must have the length of `x`.
    pub fn backward(
        &self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
    ) -> Result<GpuBuffer, Error> {
        self.out_of_place(act, x, Some(grad_out))
    }

    /// `f(x)`, or `g · f′(x)` with a `g`, into a new buffer, submitted (and verified if asked).
    fn out_of_place(
        &self,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
    ) -> Result<GpuBuffer, Error> {
        self.check_operation(act, x, g)?;
        let y = self.create_output(x.dtype(), x.len())?;
        self.run_into(act, x, g, &y)?;
        Ok(y)
    }

    /// `x ← f(x)` **in place**: `x` is overwritten and no second buffer is allocated. Any
    /// activation works; PyTorch offers in-place forms of relu, leaky_relu, elu, hardtanh, relu6,
    /// selu, celu, silu, mish, hardsigmoid, hardswish and threshold, which have named
    /// `<name>_inplace` methods here.
    ///
    /// ```
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload(&[-1.0, 2.0])?;
    /// gpu.relu_inplace(&x)?;
    /// assert_eq!(gpu.download(&x)?, vec![0.0, 2.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn forward_inplace(&self, act: Activation, x: &GpuBuffer) -> Result<(), Error> {
        self.check_operation(act, x, None)?;
        // Verification needs the input, which the operation destroys: keep a copy.
        let before = if self.verify() {
            let copy = self.create_output(x.dtype(), x.len())?;
            if !x.is_empty() {
                self.copy_tensor(x, &copy)?;
            }
            Some(copy)
        } else {
            None
        };
        self.dispatch(act, Operands::InPlace { x })?;
        if let Some(original) = before {
            crate::verify::check(self, act, &original, None, x)?;
        }
        Ok(())
    }

    /// Records `f(x)` into the caller's `encoder` (for applications that own a frame's
    /// encoder); the result is valid once that encoder's commands are submitted on this
    /// instance's queue. Verification does not apply: nothing has run yet.
    ///
    /// Nothing needs to be kept alive for the encoder's sake: the tensors it records (`x`, the
    /// result, and `grad_out` in [`encode_backward`](Self::encode_backward)) are never handed
    /// to other work through this instance's pool again. Dropping one frees it instead, and wgpu
    /// keeps the memory until every submission that uses it has finished.
    pub fn encode_forward(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
    ) -> Result<GpuBuffer, Error> {
        self.encode(encoder, act, x, None)
    }

    /// Records `grad_out · f′(x)` into the caller's `encoder`; see
    /// [`encode_forward`](Self::encode_forward).
    pub fn encode_backward(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
    ) -> Result<GpuBuffer, Error> {
        self.encode(encoder, act, x, Some(grad_out))
    }

    /// [`out_of_place`](Self::out_of_place) recorded into the caller's encoder, its parameters
    /// in a buffer of their own (the caller decides when it runs).
    fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
    ) -> Result<GpuBuffer, Error> {
        self.check_operation(act, x, g)?;
        let y = self.create_output(x.dtype(), x.len())?;
        self.record_into(encoder, act, x, g, &y)?;
        Ok(y)
    }

    /// Compiles every pipeline now (each activation's forward, backward and in-place kernels,
    /// for parameterized activations both the variant with the default parameters compiled in
    /// and the generic one; PReLU's and the softmax family's), so that no later f32 call pays
    /// for compilation. The f16 and bf16 pipelines, and those of [`cast`](Self::cast), are
    /// compiled on their first use (they are not needed by f32 work).
    pub fn warm_up(&self) -> Result<(), Error> {
        self.scoped(|| self.compile_all())
    }

    fn compile_all(&self) -> Result<(), Error> {
        for act in Activation::ALL {
            for direction in Direction::ALL {
                for storage in DType::WARMED {
                    let key = ElementwiseKey::new(*act, direction, storage);
                    self.pipelines.get(&self.device, Key::Elementwise(key))?;
                    if key.baked_defaults {
                        let generic = ElementwiseKey { baked_defaults: false, ..key };
                        self.pipelines.get(&self.device, Key::Elementwise(generic))?;
                    }
                }
            }
        }
        for k in Special::ALL {
            self.pipelines.get(&self.device, Key::Special(k))?;
        }
        Ok(())
    }

    /// Reads `y` back and checks it is `f(x)` within the activation's forward bound, the check
    /// [`Options::verify`](crate::Options::verify) runs after every operation. Waits for
    /// queued work. A disagreement is [`Error::Mismatch`] naming the first bad element.
    pub fn check_forward(
        &self,
        act: Activation,
        x: &GpuBuffer,
        y: &GpuBuffer,
    ) -> Result<(), Error> {
        self.check_same_tensor(x, y, "y")?;
        crate::verify::check(self, act, x, None, y)
    }

    /// Reads `grad_in` back and checks it is `grad_out · f′(x)` within the activation's backward
    /// bound. Waits for queued work.
    pub fn check_backward(
        &self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
        grad_in: &GpuBuffer,
    ) -> Result<(), Error> {
        self.check_same_tensor(x, grad_out, "grad_out")?;
        self.check_same_tensor(x, grad_in, "grad_in")?;
        crate::verify::check(self, act, x, Some(grad_out), grad_in)
    }
}

/// Generates the named forward and backward methods from the activation table.
#[macro_export]
#[doc(hidden)]
macro_rules! gpu_methods {
    ($($doc:literal $fwd:ident / $bwd:ident / $grad:ident ($($p:ident),*) => $variant:ident $({ $($body:tt)* })?;)*) => {
        impl GpuActivations {
            $(
                #[doc = concat!("Forward pass of ", $doc, ", into a new buffer.")]
                #[doc = ""]
                #[doc = concat!("Same as [`forward`](Self::forward) with `Activation::", stringify!($variant), "`.")]
                pub fn $fwd(&self, x: &GpuBuffer $(, $p: f32)*) -> Result<GpuBuffer, Error> {
                    self.forward(Activation::$variant $({ $($body)* })?, x)
                }
                #[doc = concat!("Backward pass of ", $doc, ": `grad_out · f′(x)`, into a new buffer.")]
                #[doc = ""]
                #[doc = concat!("Same as [`backward`](Self::backward) with `Activation::", stringify!($variant), "`.")]
                pub fn $bwd(&self, x: &GpuBuffer, grad_out: &GpuBuffer $(, $p: f32)*) -> Result<GpuBuffer, Error> {
                    self.backward(Activation::$variant $({ $($body)* })?, x, grad_out)
                }
            )*
        }
    };
}
crate::named_activations!(gpu_methods);

/// The in-place named forms, for the activations PyTorch offers in place.
macro_rules! inplace_methods {
    ($($name:ident ($($p:ident),*) => $variant:ident $({ $($body:tt)* })?;)*) => {
        impl GpuActivations {
            $(
                #[doc = concat!("`", stringify!($variant), "` **in place**: `x` is overwritten, no second buffer is allocated.")]
                #[doc = ""]
                #[doc = "Same as [`forward_inplace`](Self::forward_inplace)."]
                pub fn $name(&self, x: &GpuBuffer $(, $p: f32)*) -> Result<(), Error> {
                    self.forward_inplace(Activation::$variant $({ $($body)* })?, x)
                }
            )*
        }
    };
}
inplace_methods! {
    relu_inplace () => Relu;
    leaky_relu_inplace (alpha) => LeakyRelu { alpha };
    elu_inplace (alpha) => Elu { alpha };
    hardtanh_inplace (min_val, max_val) => Hardtanh { min_val, max_val };
    relu6_inplace () => Relu6;
    selu_inplace () => Selu;
    celu_inplace (alpha) => Celu { alpha };
    silu_inplace () => Silu;
    mish_inplace () => Mish;
    hardsigmoid_inplace () => Hardsigmoid;
    hardswish_inplace () => Hardswish;
    threshold_inplace (threshold, value) => Threshold { threshold, value };
}
