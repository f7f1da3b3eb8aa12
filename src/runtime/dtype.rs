//! [`DType`]: how a tensor's elements are stored on the device, and [`Element`]: the host types
//! that match them.

/// The storage type of a [`GpuBuffer`](crate::GpuBuffer)'s elements. The arithmetic is f32
/// whatever the storage: a kernel loads its elements as f32 and stores its results rounded
/// (to nearest, ties to even) to the storage type.
///
/// The 16-bit types are packed two to a 32-bit word on the device, so they work on every
/// adapter, whether or not it has `SHADER_F16`.
///
/// ```
/// use gpu_activations::{half::f16, DType};
/// assert_eq!(DType::F32.size_in_bytes(), 4);
/// assert_eq!(DType::Bf16.name(), "bf16");
/// # let gpu = gpu_activations::GpuActivations::new()?;
/// let x = gpu.upload(&[1.0, -2.0])?;
/// assert_eq!(x.dtype(), DType::F32);
/// assert_eq!(gpu.relu(&x)?.dtype(), DType::F32); // results take their input's storage type
/// let h = gpu.upload_typed(&[f16::from_f32(1.5), f16::from_f32(-2.0)])?;
/// assert_eq!(gpu.relu(&h)?.dtype(), DType::F16);
/// # Ok::<(), gpu_activations::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary16 ([`half::f16`]): 11-bit significand, largest finite 65504, with
    /// subnormals down to 2⁻²⁴.
    F16,
    /// bfloat16 ([`half::bf16`]): the top half of an f32 (8-bit significand, f32's range).
    Bf16,
}

impl DType {
    /// The storage types whose pipelines [`warm_up`](crate::GpuActivations::warm_up) compiles
    /// (the 16-bit ones are compiled on first use).
    pub(crate) const WARMED: [DType; 1] = [DType::F32];

    /// Bytes one element takes on the device.
    pub const fn size_in_bytes(self) -> u64 {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::Bf16 => 2,
        }
    }

    /// The type's name as WGSL and PyTorch spell it: `"f32"`, `"f16"` or `"bf16"`.
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::Bf16 => "bf16",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A host element type with a [`DType`]: `f32`, [`half::f16`] and [`half::bf16`], for
/// [`upload_typed`](crate::GpuActivations::upload_typed) and
/// [`download_typed`](crate::GpuActivations::download_typed).
///
/// ```
/// use gpu_activations::{half::bf16, DType, Element};
/// assert_eq!(<bf16 as Element>::DTYPE, DType::Bf16);
/// ```
pub trait Element: bytemuck::Pod {
    /// How this type is stored on the device.
    const DTYPE: DType;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
}

impl Element for half::f16 {
    const DTYPE: DType = DType::F16;
}

impl Element for half::bf16 {
    const DTYPE: DType = DType::Bf16;
}

/// `bits` (16-bit elements as they lie in memory) widened exactly to f32 into `out` (of the
/// same length), with `half`'s slice conversion (vectorized where the CPU has it). f32 has
/// nothing to widen: its tensors are read straight into the caller's slice.
pub(crate) fn widen(dtype: DType, bits: &[u16], out: &mut [f32]) {
    use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
    match dtype {
        DType::F16 => bits.reinterpret_cast::<half::f16>().convert_to_f32_slice(out),
        DType::Bf16 => bits.reinterpret_cast::<half::bf16>().convert_to_f32_slice(out),
        DType::F32 => {}
    }
}
