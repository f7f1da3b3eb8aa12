//! [`DType`]: how a tensor's elements are stored on the device.

/// The storage type of a [`GpuBuffer`](crate::GpuBuffer)'s elements. The arithmetic is f32
/// whatever the storage: a kernel loads its elements as f32 and stores its results rounded to
/// the storage type.
///
/// ```
/// use gpu_activations::DType;
/// assert_eq!(DType::F32.size_in_bytes(), 4);
/// assert_eq!(DType::F32.name(), "f32");
/// # let gpu = gpu_activations::GpuActivations::new()?;
/// let x = gpu.upload(&[1.0, -2.0])?;
/// assert_eq!(x.dtype(), DType::F32);
/// assert_eq!(gpu.relu(&x)?.dtype(), DType::F32); // results take their input's storage type
/// # Ok::<(), gpu_activations::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE 754 binary32.
    F32,
}

impl DType {
    /// Every storage type, for compiling every pipeline up front.
    pub(crate) const ALL: [DType; 1] = [DType::F32];

    /// Bytes one element takes on the device.
    pub const fn size_in_bytes(self) -> u64 {
        match self {
            DType::F32 => 4,
        }
    }

    /// The type's name as WGSL and PyTorch spell it, such as `"f32"`.
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
        }
    }
}
