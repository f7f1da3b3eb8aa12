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
