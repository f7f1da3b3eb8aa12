//! The crate's one error type.

/// Every way a call into this crate can fail.
///
/// No operation panics on bad input: wrong lengths, buffers from another device, nonsensical
/// parameters, sizes past the device's limits and a missing adapter all come back as one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No GPU adapter (hardware or software) could be found for the requested backends.
    #[error(
        "no GPU adapter found for backends {backends}; for a software Vulkan adapter install Mesa's \
         lavapipe: `apt-get install mesa-vulkan-drivers` (Debian/Ubuntu)"
    )]
    NoAdapter {
        /// The backends that were searched, as text.
        backends: String,
    },

    /// `WGPU_ADAPTER_NAME` (or [`Options::adapter_name`](crate::Options::adapter_name)) matched no adapter.
    #[error("no adapter name contains {wanted:?}; adapters found: {available:?}")]
    AdapterNotFound {
        /// The name that was asked for.
        wanted: String,
        /// The names of the adapters that exist.
        available: Vec<String>,
    },

    /// The adapter refused to create a device.
    #[error("could not create a device: {0}")]
    RequestDevice(#[from] wgpu::RequestDeviceError),

    /// Two buffers that must have the same length do not.
    #[error("length mismatch: {what} has {got} elements, expected {expected}")]
    LengthMismatch {
        /// Which argument is wrong.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length it must have.
        expected: usize,
    },

    /// A tensor's storage type is not the one the call needs (mixed storage types in one
    /// operation, or a host type that does not match the tensor's). Nothing is converted
    /// silently: use [`cast`](crate::GpuActivations::cast).
    #[error("storage type mismatch: {what} is {got}, expected {expected}")]
    DTypeMismatch {
        /// Which argument is wrong.
        what: &'static str,
        /// Its storage type.
        got: crate::DType,
        /// The storage type it must have.
        expected: crate::DType,
    },

    /// A buffer was created by a different [`GpuActivations`](crate::GpuActivations) (another device).
    #[error("buffer {what} belongs to another GpuActivations (another device)")]
    WrongDevice {
        /// Which argument is wrong.
        what: &'static str,
    },

    /// A shape argument does not fit the tensor (PReLU channels, softmax row length).
    #[error("invalid shape: {0}")]
    Shape(String),

    /// [`GpuActivations::wrap`](crate::GpuActivations::wrap) cannot make a view of this range:
    /// the buffer lacks STORAGE usage, the offset is not a multiple of the element size, or
    /// the range runs past the buffer's end.
    #[error("cannot wrap the buffer: {0}")]
    Wrap(String),

    /// An activation parameter is out of its domain.
    #[error("invalid parameter for {activation}: {param} = {value} ({reason})")]
    InvalidParameter {
        /// The activation's name.
        activation: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// The value given.
        value: f32,
        /// What the parameter must be.
        reason: &'static str,
    },

    /// An activation appears twice in [`wgsl::library`](crate::wgsl::library): its functions
    /// would clash.
    #[error("{name} appears twice in the WGSL library: its functions would have the same names")]
    DuplicateName {
        /// The activation's name.
        name: &'static str,
    },

    /// The tensor is larger than the device can hold.
    #[error(
        "{elements} elements ({bytes} bytes) exceed the device limit of {limit} bytes per buffer"
    )]
    TooLarge {
        /// Number of elements asked for.
        elements: usize,
        /// Bytes asked for.
        bytes: u64,
        /// The device's `max_buffer_size`.
        limit: u64,
    },

    /// The device ran out of memory while allocating.
    #[error("the device is out of memory allocating {bytes} bytes")]
    OutOfMemory {
        /// Bytes asked for.
        bytes: u64,
    },

    /// The device reported an error (shader or pipeline creation, validation), attributed to
    /// the call that caused it wherever wgpu's error scopes allow.
    #[error("GPU error: {0}")]
    Gpu(String),

    /// The device was lost (destroyed, reset by the driver, or unplugged). Every call on this
    /// [`GpuActivations`](crate::GpuActivations) returns this from then on; open a new one.
    #[error("the GPU device was lost: {reason}")]
    DeviceLost {
        /// What wgpu reported: the kind of loss and its message.
        reason: String,
    },

    /// A wait for the device took longer than [`Options::wait_timeout`](crate::Options::wait_timeout).
    /// The work is still queued; a later call waits for it again.
    #[error("the device did not finish within the wait timeout of {timeout:?}")]
    Timeout {
        /// The timeout that expired.
        timeout: std::time::Duration,
    },

    /// Reading a buffer back from the device failed.
    #[error("reading back from the device failed: {0}")]
    Readback(String),

    /// Verification found a GPU result that disagrees with the CPU reference beyond the bound.
    #[error(
        "{activation} {direction} disagrees with the CPU reference at index {index}: input {input:e}{}, \
         GPU {gpu:e}, reference {reference:e} ({ulps:.1} ULP, bound {bound} ULP)",
        grad_out.map(|g| format!(", grad_out {g:e}")).unwrap_or_default()
    )]
    Mismatch {
        /// The activation's name.
        activation: &'static str,
        /// `"forward"` or `"backward"`.
        direction: &'static str,
        /// Element index of the first disagreement.
        index: usize,
        /// The input `x` at that index.
        input: f32,
        /// The upstream gradient at that index (backward only).
        grad_out: Option<f32>,
        /// What the GPU computed.
        gpu: f32,
        /// What the float64 reference computes, rounded to f32 (to the result's storage type
        /// for f16 and bf16 results of the elementwise activations).
        reference: f32,
        /// The error in units in the last place of the reference.
        ulps: f64,
        /// The bound that was exceeded, in ULP.
        bound: f64,
    },
}
