//! The device runtime: the device and its buffers, their storage types and byte layout,
//! buffer reuse, views of an application's buffers, transfers, parameter blocks, shader assembly and the pipeline cache.

pub(crate) mod buffer;
pub(crate) mod dtype;
pub(crate) mod gpu;
pub(crate) mod layout;
pub(crate) mod pipeline;
pub(crate) mod pool;
pub(crate) mod transfer;
pub(crate) mod uniforms;
pub(crate) mod wrap;
