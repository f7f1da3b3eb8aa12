//! Neural-network activation functions, forward and backward, as WGSL compute shaders on wgpu,
//! every result checkable against a float64 CPU reference.
//!
//! ```
//! use gpu_activations::{Activation, GpuActivations};
//! let gpu = GpuActivations::new()?;                 // picks an adapter; lavapipe works too
//! let x = gpu.upload(&[-3.0f32, -1.0, 0.0, 2.0])?;
//! let y = gpu.leaky_relu(&x, 0.01)?;                // queued, stays on the device
//! let dy = gpu.upload(&[1.0; 4])?;
//! let dx = gpu.leaky_relu_backward(&x, &dy, 0.01)?; // grad_in = grad_out · f′(x)
//! assert_eq!(gpu.download(&y)?, vec![-0.03, -0.01, 0.0, 2.0]);
//! assert_eq!(gpu.download(&dx)?, vec![0.01, 0.01, 0.01, 1.0]);
//! let t = gpu.forward(Activation::Tanh, &x)?;         // the same through the table
//! assert!((gpu.download(&t)?[3] - 2f32.tanh()).abs() < 1e-6);
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! Every elementwise activation is listed once in [`Activation`]; its WGSL lives in `shaders/`,
//! its float64 reference in [`reference`](mod@reference). PReLU ([`GpuActivations::prelu`]) and the softmax
//! family ([`GpuActivations::softmax`]) have their own kernels. Accuracy is measured in
//! [`ulp`]s: forward within 4 ULP and backward within 8 ULP of float64 over the whole f32 range
//! (the piecewise-linear ones correctly rounded); see [`Bounds`].
//!
//! # A guided tour
//!
//! Every example below runs as a test, on whatever adapter the machine has.
//!
//! ## Choosing an adapter
//!
//! [`GpuActivations::new`] opens the best adapter it finds, honouring the environment
//! ([`Options::from_env`]): `WGPU_BACKEND` (a comma list of `vulkan`, `metal`, `dx12`, `gl`),
//! `WGPU_ADAPTER_NAME` (the first adapter whose name contains it, case-insensitive) and
//! `WGPU_POWER_PREF`. [`GpuActivations::with_options`] makes the same choices in code
//! ([`Options`]), and also whether results are verified. [`GpuActivations::adapter_info`] tells
//! what was chosen; with `RUST_LOG=info` and a logger installed, the crate logs the adapter, its
//! backend and driver and the device limits it works within.
//!
//! ```
//! use gpu_activations::{Error, GpuActivations, Options};
//! let gpu = GpuActivations::new()?;
//! let info = gpu.adapter_info(); // name, backend, device type, driver
//! assert!(!info.name.is_empty());
//!
//! // Ask for it by (part of) its name; `..Options::from_env()` keeps the environment's choices.
//! let opts = Options { adapter_name: Some(info.name.to_uppercase()), verify: true, ..Options::from_env() };
//! let again = GpuActivations::with_options(opts)?;
//! assert!(again.adapter_info().name.eq_ignore_ascii_case(&info.name));
//! assert!(again.verify());
//!
//! // A name that matches nothing is an error listing the adapters that exist.
//! let opts = Options { adapter_name: Some("no such adapter".into()), ..Options::from_env() };
//! let e = GpuActivations::with_options(opts).unwrap_err();
//! assert!(matches!(e, Error::AdapterNotFound { ref available, .. } if !available.is_empty()));
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! An application with a wgpu device of its own hands it over with
//! [`GpuActivations::from_device`]; the crate's work then shares its queue.
//!
//! ```
//! use gpu_activations::{GpuActivations, Options};
//! let backends = Options::from_env().backends;
//! let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
//!     backends,
//!     ..wgpu::InstanceDescriptor::new_without_display_handle()
//! });
//! let adapter = pollster::block_on(instance.request_adapter(&Default::default()))?;
//! let (device, queue) = pollster::block_on(adapter.request_device(&Default::default()))?;
//! let gpu = GpuActivations::from_device(device, queue)?;
//! assert_eq!(gpu.adapter_info().name, adapter.get_info().name);
//! assert_eq!(gpu.download(&gpu.relu(&gpu.upload(&[-1.0, 1.0])?)?)?, vec![0.0, 1.0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Buffers
//!
//! A [`GpuBuffer`] is a tensor on the device. [`upload`](GpuActivations::upload) and
//! [`download`](GpuActivations::download) move f32 data; [`write`](GpuActivations::write) and
//! [`download_into`](GpuActivations::download_into) reuse memory you already have. Operations
//! queue their work and return at once; downloads (and [`sync`](GpuActivations::sync)) wait.
//! Tensors may also be stored as f16 or bf16 ([`DType`]), moved as the re-exported [`half`]
//! crate's types ([`Element`]); the arithmetic is f32 whatever the storage, each result rounded
//! once to it.
//!
//! ```
//! use gpu_activations::half::{bf16, f16};
//! use gpu_activations::{DType, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let x = gpu.upload(&[-1.0, 0.25, 3.0])?;
//! assert_eq!((x.len(), x.dtype()), (3, DType::F32));
//! gpu.write(&x, &[-2.0, 0.5, 4.0])?;                 // overwrite, same length
//! let mut host = [0.0f32; 3];
//! gpu.download_into(&x, &mut host)?;                  // no Vec
//! assert_eq!(host, [-2.0, 0.5, 4.0]);
//!
//! let h = gpu.upload_typed(&[f16::from_f32(-1.5), f16::from_f32(0.1)])?;
//! let y = gpu.relu(&h)?;                              // results keep their input's storage type
//! assert_eq!(y.dtype(), DType::F16);
//! assert_eq!(gpu.download_typed::<f16>(&y)?, vec![f16::ZERO, f16::from_f32(0.1)]);
//! assert_eq!(gpu.download(&y)?, vec![0.0, f16::from_f32(0.1).to_f32()]); // widened exactly
//! let b = gpu.cast(&x, DType::Bf16)?;                 // converted on the device
//! assert_eq!(gpu.download_typed::<bf16>(&b)?, [-2.0, 0.5, 4.0].map(bf16::from_f32));
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Forward
//!
//! Each activation has a named method with PyTorch's parameters ([`relu`](GpuActivations::relu),
//! [`leaky_relu`](GpuActivations::leaky_relu), [`softplus_with`](GpuActivations::softplus_with),
//! …), and [`forward`](GpuActivations::forward) takes any [`Activation`]; both run the same
//! kernel. [`Activation::ALL`] lists them all with PyTorch's defaults.
//!
//! ```
//! use gpu_activations::{reference, Activation, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let xs = [-2.0f32, 0.0, 10.0];
//! let x = gpu.upload(&xs)?;
//! let named = gpu.download(&gpu.softplus_with(&x, 2.0, 10.0)?)?;
//! let act = Activation::Softplus { beta: 2.0, threshold: 10.0 };
//! assert_eq!(gpu.download(&gpu.forward(act, &x)?)?, named);
//! assert_eq!(named[2], 10.0);                         // β·x > threshold: x itself
//! assert!((named[1] - std::f32::consts::LN_2 / 2.0).abs() < 1e-7); // ln(1 + e⁰)/β
//! for (x, y) in xs.iter().zip(&named) {               // within 4 ULP of float64
//!     assert!(act.bounds().forward_ok(*y, reference::forward_f64(act, *x as f64)));
//! }
//! assert!(Activation::ALL.contains(&Activation::Gelu));
//!
//! // Softmax works on contiguous rows (here two rows of two).
//! let p = gpu.download(&gpu.softmax(&gpu.upload(&[3.0, 3.0, -1.0, -1.0])?, 2)?)?;
//! assert!(p.iter().all(|v| (v - 0.5).abs() < 1e-7));
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Backward
//!
//! `<name>_backward(x, grad_out, ..)` and [`backward`](GpuActivations::backward) return the
//! gradient with respect to the activation's input, `grad_in = grad_out · f′(x)`, element by
//! element, from the forward pass's input `x`.
//!
//! ```
//! use gpu_activations::{reference, Activation, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let xs = [-1.0f32, 0.0, 2.0];
//! let x = gpu.upload(&xs)?;
//! let g = gpu.upload(&[4.0; 3])?;
//! let dx = gpu.download(&gpu.sigmoid_backward(&x, &g)?)?;
//! assert!((dx[1] - 1.0).abs() < 1e-6);                // 4 · σ′(0) = 4 · 1/4
//! let bounds = Activation::Sigmoid.bounds();          // within 8 ULP of float64
//! for (x, d) in xs.iter().zip(&dx) {
//!     let want = reference::backward_f64(Activation::Sigmoid, *x as f64, 4.0);
//!     assert!(bounds.backward_ok(*x, 4.0, *d, want));
//! }
//! let dr = gpu.backward(Activation::Relu, &x, &g)?;
//! assert_eq!(gpu.download(&dr)?, vec![0.0, 0.0, 4.0]); // relu′(0) = 0
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## In place
//!
//! [`forward_inplace`](GpuActivations::forward_inplace) overwrites its input and allocates
//! nothing; the activations PyTorch offers in place also have named forms
//! ([`relu_inplace`](GpuActivations::relu_inplace),
//! [`hardtanh_inplace`](GpuActivations::hardtanh_inplace), …).
//!
//! ```
//! use gpu_activations::{Activation, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let x = gpu.upload(&[-3.0, 0.5, 3.0])?;
//! gpu.forward_inplace(Activation::Hardtanh { min_val: -1.0, max_val: 1.0 }, &x)?;
//! assert_eq!(gpu.download(&x)?, vec![-1.0, 0.5, 1.0]);
//! gpu.relu_inplace(&x)?;
//! assert_eq!(gpu.download(&x)?, vec![0.0, 0.5, 1.0]);
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Batches
//!
//! A [`Batch`] records many operations into one command buffer and submits them once; small
//! operations of the same kind in a row are fused into one dispatch. Its results hold their
//! values once [`submit`](Batch::submit) has returned (downloads wait for the work).
//!
//! ```
//! use gpu_activations::{Activation, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let leaky = Activation::LeakyRelu { alpha: 0.25 };
//! let x = gpu.upload(&[-1.0, 0.0, 2.0])?;
//! let g = gpu.upload(&[1.0; 3])?;
//! let z = gpu.upload(&[-5.0, 8.0])?;
//! let mut batch = gpu.batch();
//! let y = batch.forward(leaky, &x)?;
//! let dx = batch.backward(leaky, &x, &g)?;
//! batch.forward_inplace(Activation::Relu6, &z)?;
//! assert_eq!(batch.len(), 3);
//! batch.submit()?;                                    // one submission
//! assert_eq!(gpu.download(&y)?, vec![-0.25, 0.0, 2.0]);
//! assert_eq!(gpu.download(&dx)?, vec![0.25, 0.25, 1.0]); // leaky_relu′(0) = alpha
//! assert_eq!(gpu.download(&z)?, vec![0.0, 6.0]);
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Into your own encoder and buffers
//!
//! An application that records its own frame calls
//! [`encode_forward`](GpuActivations::encode_forward) /
//! [`encode_backward`](GpuActivations::encode_backward) with its `wgpu::CommandEncoder`, and
//! [`encode_forward_into`](GpuActivations::encode_forward_into) /
//! [`encode_backward_into`](GpuActivations::encode_backward_into) to write into a tensor it
//! already has. [`wrap`](GpuActivations::wrap) makes a [`GpuBuffer`] view of its own
//! `wgpu::Buffer` (with `STORAGE` usage), no copy; nothing outside the view is written. Nothing
//! runs until the application submits the encoder.
//!
//! ```
//! use gpu_activations::{Activation, DType, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let act = Activation::Hardtanh { min_val: -1.0, max_val: 1.0 };
//! let x = gpu.upload(&[-2.0, -0.5, 0.5, 2.0])?;
//! let g = gpu.upload(&[1.0; 4])?;
//! let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
//! let mine = gpu.device().create_buffer(&wgpu::BufferDescriptor {
//!     label: Some("the application's buffer"), size: 16, usage, mapped_at_creation: false,
//! });
//! let y = gpu.wrap(&mine, 0, 4, DType::F32)?;
//! let mut encoder = gpu.device().create_command_encoder(&Default::default());
//! gpu.encode_forward_into(&mut encoder, act, &x, &y)?;
//! let dx = gpu.encode_backward(&mut encoder, act, &x, &g)?;
//! gpu.queue().submit([encoder.finish()]);
//! assert_eq!(gpu.download(&y)?, vec![-1.0, -0.5, 0.5, 1.0]); // in `mine`
//! assert_eq!(gpu.download(&dx)?, vec![0.0, 1.0, 1.0, 0.0]);
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Verification
//!
//! With [`Options::verify`] (on by default in debug builds, off in release builds) every result
//! is read back and compared with the float64 [`reference`](mod@reference) before the call
//! returns; a disagreement beyond the activation's [`Bounds`] is [`Error::Mismatch`].
//! [`check_forward`](GpuActivations::check_forward) and
//! [`check_backward`](GpuActivations::check_backward) run the same check on demand, and the
//! [`reference`](mod@reference) and [`ulp`] modules are there to measure results yourself.
//!
//! ```
//! use gpu_activations::{reference, ulp, Activation, Error, GpuActivations, Options};
//! let gpu = GpuActivations::with_options(Options { verify: true, ..Options::from_env() })?;
//! let x = gpu.upload(&[-1.0, 0.5])?;
//! let y = gpu.tanh(&x)?;                              // checked before it returns
//! gpu.check_forward(Activation::Tanh, &x, &y)?;       // and again, on demand
//!
//! let not_tanh = gpu.upload(&[-1.0, 0.5])?;
//! let e = gpu.check_forward(Activation::Tanh, &x, &not_tanh).unwrap_err();
//! assert!(matches!(e, Error::Mismatch { index: 0, gpu: -1.0, .. }), "{e}");
//!
//! let got = gpu.download(&y)?[1];
//! let want = reference::forward_f64(Activation::Tanh, 0.5); // tanh(0.5) in float64
//! assert!(ulp::error(got, want) <= Activation::Tanh.bounds().forward_ulp);
//! assert_eq!(reference::tanh(0.5), want as f32);
//! # Ok::<(), gpu_activations::Error>(())
//! ```
//!
//! ## Errors
//!
//! No call panics on bad input: mismatched lengths, mixed storage types, buffers of another
//! instance, parameters out of their domain, sizes past the device's limits and a missing
//! adapter all come back as an [`Error`], and the instance stays usable.
//!
//! ```
//! use gpu_activations::{Activation, DType, Error, GpuActivations};
//! let gpu = GpuActivations::new()?;
//! let x = gpu.upload(&[1.0, 2.0, 3.0])?;
//! let g = gpu.upload(&[1.0, 1.0])?;
//!
//! let e = gpu.relu_backward(&x, &g).unwrap_err();
//! assert!(matches!(e, Error::LengthMismatch { what: "grad_out", got: 2, expected: 3 }));
//! assert_eq!(e.to_string(), "length mismatch: grad_out has 2 elements, expected 3");
//!
//! let e = gpu.celu(&x, 0.0).unwrap_err();
//! assert!(matches!(e, Error::InvalidParameter { activation: "celu", param: "alpha", .. }));
//! let e = gpu.forward(Activation::Softplus { beta: -1.0, threshold: 20.0 }, &x).unwrap_err();
//! assert!(matches!(e, Error::InvalidParameter { param: "beta", .. }), "{e}");
//!
//! let h = gpu.cast(&x, DType::F16)?;
//! let e = gpu.relu_backward(&x, &h).unwrap_err();
//! assert!(matches!(e, Error::DTypeMismatch { got: DType::F16, expected: DType::F32, .. }));
//!
//! assert_eq!(gpu.download(&gpu.relu(&x)?)?, vec![1.0, 2.0, 3.0]); // still usable
//! # Ok::<(), gpu_activations::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod elementwise;
mod error;
mod options;
pub mod reference;
mod rowwise;
mod runtime;
mod table;
pub mod ulp;
mod verify;
pub mod wgsl;

pub use elementwise::batch::Batch;
pub use error::Error;
pub use half;
pub use options::Options;
pub use rowwise::softmax::{SOFTMAX_BACKWARD_ABS, SOFTMAX_FORWARD_ULP};
pub use runtime::buffer::GpuBuffer;
pub use runtime::dtype::{DType, Element};
pub use runtime::gpu::GpuActivations;
pub use runtime::pipeline::shader_source;
pub use table::activation::{Activation, Bounds};
