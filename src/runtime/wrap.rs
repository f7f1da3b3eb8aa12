//! Views of an application's own buffers: [`GpuActivations::wrap`].

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;

impl GpuActivations {
    /// A view of `len` elements of `dtype` in an application's `buffer`, from byte `offset`:
    /// no copy. Any offset that is a multiple of the element size and any length work; the
    /// buffer needs `STORAGE` usage (and `COPY_SRC` / `COPY_DST` for the fastest
    /// [`download`](Self::download) / [`upload`](Self::upload)-style transfers; without them
    /// transfers go through a kernel). The buffer must belong to this instance's device (see
    /// [`from_device`](Self::from_device)); one of another device of the same `wgpu::Instance`
    /// fails when used, with [`Error::Gpu`]. A buffer of another `wgpu::Instance` cannot be
    /// told apart by wgpu (it looks the buffer up among its own): never mix instances.
    ///
    /// The view works with every operation. Nothing outside
    /// `[offset, offset + len · dtype.size_in_bytes())` is ever written: bindings begin at the
    /// device's `min_storage_buffer_offset_alignment` at or before the view, the kernels start
    /// at the view's first element, and the parts of the range that do not fill whole 8-element
    /// words (the head and tail, or all of it when the tensors of one operation lie at different
    /// offsets modulo 8 elements) are done element by element, 16-bit elements sharing a 4-byte
    /// unit with the caller's data written without changing the other half. Results of the
    /// `*_into` and in-place forms land in the view; other operations return tensors of the
    /// crate's own. PReLU, the softmax family and the bias operations read views through a
    /// copy of their own.
    ///
    /// The view holds a handle on `buffer`; the caller orders its own use of the buffer
    /// against the queued work (reads after [`sync`](Self::sync) or a download).
    ///
    /// ```
    /// use gpu_activations::{Activation, DType};
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
    /// let app = gpu.device().create_buffer(&wgpu::BufferDescriptor {
    ///     label: Some("the application's activations"), size: 64, usage, mapped_at_creation: false,
    /// });
    /// gpu.queue().write_buffer(&app, 0, bytemuck::cast_slice(&[-1.0f32, 2.0, -3.0, 4.0, -5.0]));
    /// let x = gpu.wrap(&app, 4, 3, DType::F32)?; // elements 1..4: [2, -3, 4]
    /// gpu.forward_inplace(Activation::Relu, &x)?;
    /// assert_eq!(gpu.download(&gpu.wrap(&app, 0, 5, DType::F32)?)?, vec![-1.0, 2.0, 0.0, 4.0, -5.0]);
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn wrap(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        len: usize,
        dtype: DType,
    ) -> Result<GpuBuffer, Error> {
        self.alive()?;
        let size = dtype.size_in_bytes();
        if !buffer.usage().contains(wgpu::BufferUsages::STORAGE) {
            return Err(Error::Wrap(format!(
                "the buffer's usage {:?} lacks STORAGE",
                buffer.usage()
            )));
        }
        if offset % size != 0 {
            return Err(Error::Wrap(format!(
                "offset {offset} is not a multiple of the {}-byte {} element",
                size,
                dtype.name()
            )));
        }
        let end = (len as u64).checked_mul(size).and_then(|b| b.checked_add(offset));
        let buffer_size = buffer.size();
        match end {
            Some(end) if end <= buffer_size => {
                // wgpu reaches memory in 4-byte units: a 16-bit element in the last, partial
                // unit of a buffer whose size is not a multiple of 4 cannot be bound or copied.
                if end.next_multiple_of(4) > buffer_size {
                    return Err(Error::Wrap(format!(
                        "the range ends at byte {end}, inside the last 4-byte unit of a buffer of \
                         {buffer_size} bytes, which wgpu cannot address (make the buffer's size a \
                         multiple of 4)"
                    )));
                }
            }
            _ => {
                return Err(Error::Wrap(format!(
                    "{len} {} elements from byte {offset} run past the buffer's {buffer_size} bytes",
                    dtype.name()
                )));
            }
        }
        Ok(GpuBuffer {
            buffer: buffer.clone(),
            offset,
            len,
            dtype,
            owner: self.id,
            wrapped: true,
            lease: None,
        })
    }
}
