//! The kernels that are not elementwise: PReLU (a weight per channel, its gradient reduced on
//! the GPU) and the row-wise softmax family, launched on whole-tensor bindings.

pub(crate) mod launch;
pub(crate) mod prelu;
pub(crate) mod softmax;
