//! The elementwise activations on the device: single operations, their recording into
//! binding-sized dispatches, and batches with fused runs.

pub(crate) mod batch;
pub(crate) mod bias;
pub(crate) mod dispatch;
pub(crate) mod into;
pub(crate) mod ops;
pub(crate) mod plan;
