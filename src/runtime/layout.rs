//! Where a tensor's elements lie in device memory: the one place that turns element counts into
//! bytes for a storage type (padding, offsets, slab placement).
//!
//! The elementwise kernel moves [`WORD`] elements at a time (two `vec4<f32>` for f32 storage,
//! one `vec4<u32>` for the 16-bit ones: 16-bit tensors move half the bytes in half the memory
//! accesses), so an allocation holds whole words, and at least one since wgpu bindings cannot
//! be empty.

use crate::error::Error;
use crate::runtime::dtype::DType;

/// Elements in one word of the elementwise kernel.
pub(crate) const WORD: u64 = 8;

/// The byte layout of tensors of one storage type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    dtype: DType,
}

impl Layout {
    pub(crate) const fn of(dtype: DType) -> Layout {
        Layout { dtype }
    }

    /// Bytes of one word.
    pub(crate) const fn word_bytes(self) -> u64 {
        WORD * self.dtype.size_in_bytes()
    }

    /// Words holding `len` elements (at least one).
    pub(crate) fn words(self, len: usize) -> u64 {
        (len as u64).div_ceil(WORD).max(1)
    }

    /// Bytes of `words` words: the size of that many, or the offset of word `words`.
    pub(crate) fn word_offset(self, words: u64) -> u64 {
        words * self.word_bytes()
    }

    /// Bytes of the allocation holding `len` elements (padded to whole words), if it fits a `u64`.
    pub(crate) fn padded_bytes(self, len: usize) -> Option<u64> {
        self.words(len).checked_mul(self.word_bytes())
    }

    /// Bytes of `len` unpadded elements, saturating (for error reports).
    pub(crate) fn bytes(self, len: usize) -> u64 {
        (len as u64).saturating_mul(self.dtype.size_in_bytes())
    }

    /// Elements that `bytes` bytes hold.
    pub(crate) fn elements_in(self, bytes: u64) -> usize {
        (bytes / self.dtype.size_in_bytes()) as usize
    }

    /// Bytes a tensor of `len` elements takes among others in one buffer: its padded size
    /// rounded up to the storage offset alignment, so that the next one may be bound.
    pub(crate) fn aligned_bytes(self, len: usize, limits: &wgpu::Limits) -> u64 {
        let align = (limits.min_storage_buffer_offset_alignment as u64).max(self.word_bytes());
        self.word_offset(self.words(len)).div_ceil(align) * align
    }

    /// [`Error::TooLarge`] unless a whole tensor of `len` elements fits one storage binding.
    pub(crate) fn check_bindable(self, len: usize, limits: &wgpu::Limits) -> Result<(), Error> {
        let limit = limits.max_storage_buffer_binding_size;
        let bytes = self.padded_bytes(len).unwrap_or(u64::MAX);
        if len > 0 && bytes > limit {
            return Err(Error::TooLarge { elements: len, bytes, limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_words_are_32_bytes_and_padded() {
        let f32s = Layout::of(DType::F32);
        assert_eq!(f32s.word_bytes(), 32);
        assert_eq!((f32s.words(0), f32s.words(8), f32s.words(9)), (1, 1, 2));
        assert_eq!(f32s.padded_bytes(9), Some(64));
        assert_eq!(f32s.padded_bytes(usize::MAX), None);
        assert_eq!(f32s.elements_in(32), 8);
    }

    #[test]
    fn half_words_are_16_bytes_and_padded() {
        for dtype in [DType::F16, DType::Bf16] {
            let halves = Layout::of(dtype);
            assert_eq!(halves.word_bytes(), 16);
            assert_eq!((halves.words(1), halves.words(9)), (1, 2));
            assert_eq!(halves.padded_bytes(9), Some(32));
            assert_eq!(halves.elements_in(16), 8);
        }
    }

    #[test]
    fn bindings_and_slab_places_respect_the_alignment() {
        let limits = wgpu::Limits {
            min_storage_buffer_offset_alignment: 256,
            max_storage_buffer_binding_size: 1000,
            ..wgpu::Limits::default()
        };
        let f32s = Layout::of(DType::F32);
        assert_eq!(f32s.aligned_bytes(1, &limits), 256);
        assert_eq!(f32s.aligned_bytes(65, &limits), 512);
        assert!(f32s.check_bindable(248, &limits).is_ok());
        assert!(f32s.check_bindable(249, &limits).is_err());
    }
}
