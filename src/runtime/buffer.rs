//! [`GpuBuffer`]: a tensor living on the device, with its storage type.

use std::sync::Arc;

use crate::runtime::dtype::DType;
use crate::runtime::layout::Layout;
use crate::runtime::pool::Lease;

/// A tensor living on the device, its elements stored as its [`DType`], made by [`GpuActivations::upload`](crate::GpuActivations::upload)
/// or returned by an operation. It remembers which [`GpuActivations`](crate::GpuActivations) made
/// it, and using it with another one is [`Error::WrongDevice`](crate::Error::WrongDevice).
///
/// The device allocation is padded to a whole number of 8-element words; [`len`](Self::len) is
/// the number of elements the caller sees. A view of an application's own buffer
/// ([`wrap`](crate::GpuActivations::wrap)) has no padding: no operation writes outside its
/// elements.
pub struct GpuBuffer {
    pub(crate) buffer: wgpu::Buffer,
    /// Where the tensor starts in `buffer`, in bytes (a multiple of the storage offset
    /// alignment; non-zero for the results of a fused batch, which share one buffer).
    pub(crate) offset: u64,
    pub(crate) len: usize,
    pub(crate) dtype: DType,
    pub(crate) owner: u64,
    /// A view of an application's buffer ([`GpuActivations::wrap`](crate::GpuActivations::wrap)):
    /// nothing outside its elements may be written. Otherwise the tensor owns whole words from
    /// `offset` (padding included), at an offset the device can bind.
    pub(crate) wrapped: bool,
    /// The pooled allocation this tensor lives in, returned to the pool when its last holder
    /// is dropped; `None` for handles that do not own their allocation.
    pub(crate) lease: Option<Arc<Lease>>,
}

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBuffer")
            .field("len", &self.len)
            .field("dtype", &self.dtype)
            .field("owner", &self.owner)
            .field("offset", &self.offset)
            .field("wrapped", &self.wrapped)
            .finish()
    }
}

impl GpuBuffer {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// How the elements are stored.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// True if the buffer holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The wgpu buffer holding the tensor, for binding it in an application's own passes; the
    /// tensor starts [`offset`](Self::offset) bytes in. A buffer the crate allocated has usage
    /// `STORAGE | COPY_SRC | COPY_DST` and is padded to whole 8-element words (32 bytes for
    /// f32, 16 for f16 and bf16); a wrapped one is the application's own.
    pub fn raw(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// Where the tensor starts in [`raw`](Self::raw), in bytes (0 except for results of a
    /// [`Batch`](crate::Batch), which may share one buffer, and for wrapped views).
    ///
    /// ```
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// # let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
    /// # let desc = wgpu::BufferDescriptor { label: None, size: 64, usage, mapped_at_creation: false };
    /// let app_buffer = gpu.device().create_buffer(&desc);
    /// let view = gpu.wrap(&app_buffer, 12, 5, gpu_activations::DType::F32)?;
    /// assert_eq!((view.offset(), view.len(), view.is_wrapped()), (12, 5, true));
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Another handle on `len` elements of this tensor's allocation from byte `offset`, sharing
    /// its lease (the allocation returns to the pool only when every handle is dropped).
    pub(crate) fn part(&self, offset: u64, len: usize) -> GpuBuffer {
        GpuBuffer {
            buffer: self.buffer.clone(),
            offset,
            len,
            dtype: self.dtype,
            owner: self.owner,
            wrapped: self.wrapped,
            lease: self.lease.clone(),
        }
    }

    /// True for a view of an application's buffer made by [`wrap`](crate::GpuActivations::wrap).
    pub fn is_wrapped(&self) -> bool {
        self.wrapped
    }

    /// Bytes of the tensor's elements (no padding).
    pub(crate) fn byte_len(&self) -> u64 {
        self.layout().bytes(self.len)
    }

    /// The bytes `[start, end)` of the buffer an operation writing this tensor may touch: its
    /// elements for a view, its whole words for a tensor of the crate's own.
    pub(crate) fn extent(&self) -> (u64, u64) {
        let bytes = if self.wrapped { self.byte_len() } else { self.padded_bytes() };
        (self.offset, self.offset + bytes)
    }

    /// True if this tensor and `other` share any byte of device memory (the padding of the
    /// crate's own tensors included).
    pub(crate) fn overlaps(&self, other: &GpuBuffer) -> bool {
        let ((a0, a1), (b0, b1)) = (self.extent(), other.extent());
        self.buffer == other.buffer && a0 < b1 && b0 < a1
    }

    /// Keeps this tensor's allocation out of the pool for good (see [`Lease::retire`]).
    pub(crate) fn retire(&self) {
        if let Some(lease) = &self.lease {
            lease.retire();
        }
    }

    /// Another handle on this tensor (see [`part`](Self::part)).
    pub(crate) fn handle(&self) -> GpuBuffer {
        self.part(self.offset, self.len)
    }

    /// The byte layout of this tensor's storage type.
    pub(crate) fn layout(&self) -> Layout {
        Layout::of(self.dtype)
    }

    /// Number of kernel words the allocation holds.
    pub(crate) fn words(&self) -> u64 {
        self.layout().words(self.len)
    }

    /// Bytes of the allocation's part this tensor covers (whole words).
    pub(crate) fn padded_bytes(&self) -> u64 {
        self.layout().word_offset(self.words())
    }

    /// The whole tensor (its padded words) as a binding: for tensors of the crate's own.
    pub(crate) fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: std::num::NonZeroU64::new(self.padded_bytes()),
        })
    }
}
