//! The activation table and the float64 kernels its rows point at.

pub(crate) mod activation;
pub(crate) mod kernels;
