//! Moving tensors between the host and the device: upload, download (into a new `Vec` or
//! straight into the caller's slice) and sync. Large transfers stream through one reusable
//! staging buffer of at most [`STAGING_BYTES`], so a round trip holds no second copy of the
//! tensor.

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::{DType, Element};
use crate::runtime::gpu::GpuActivations;

/// Largest staging buffer; bigger transfers go through it in pieces.
pub(crate) const STAGING_BYTES: u64 = 16 << 20;

impl GpuActivations {
    /// Copies `data` to a new buffer on the device. The buffer comes from the pool when one of
    /// the right size is free (uploads in a loop allocate nothing), and goes back to it when
    /// the tensor is dropped. A tensor larger than the device allows is [`Error::TooLarge`],
    /// found before anything is allocated or copied.
    pub fn upload(&self, data: &[f32]) -> Result<GpuBuffer, Error> {
        self.upload_typed(data)
    }

    /// Copies `data` to a new buffer on the device, stored as `T`'s [`DType`] (`f32`,
    /// [`half::f16`] or [`half::bf16`]), bits unchanged.
    ///
    /// ```
    /// use gpu_activations::{half::bf16, DType};
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload_typed(&[bf16::from_f32(-1.5), bf16::from_f32(2.0)])?;
    /// assert_eq!(x.dtype(), DType::Bf16);
    /// assert_eq!(gpu.download(&gpu.relu(&x)?)?, vec![0.0, 2.0]); // widened to f32, exactly
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn upload_typed<T: Element>(&self, data: &[T]) -> Result<GpuBuffer, Error> {
        let out = self.create_output(T::DTYPE, data.len())?;
        self.scoped(|| self.write_into(&out, bytemuck::cast_slice(data)))?;
        Ok(out)
    }

    /// Overwrites the f32 device buffer `buf` with `data` (of the same length), in place. A
    /// buffer of another storage type is [`Error::DTypeMismatch`] (nothing is converted).
    pub fn write(&self, buf: &GpuBuffer, data: &[f32]) -> Result<(), Error> {
        self.check_owner(buf, "buf")?;
        if buf.dtype() != DType::F32 {
            return Err(Error::DTypeMismatch {
                what: "buf",
                got: buf.dtype(),
                expected: DType::F32,
            });
        }
        if data.len() != buf.len() {
            return Err(Error::LengthMismatch {
                what: "data",
                got: data.len(),
                expected: buf.len(),
            });
        }
        self.scoped(|| self.write_into(buf, bytemuck::cast_slice(data)))
    }

    /// Copies `data` into `buf`: small data through the queue's own staging (ordered before the
    /// next submission, no wait), larger data in pieces through the reused staging buffer.
    fn write_into(&self, buf: &GpuBuffer, bytes: &[u8]) -> Result<(), Error> {
        let exact_units = buf.offset % 4 == 0 && bytes.len() % 4 == 0;
        if buf.wrapped && !(exact_units && usage(buf).contains(wgpu::BufferUsages::COPY_DST)) {
            // Copies move whole 4-byte units, and need COPY_DST: a view that starts or ends
            // inside a unit, or lacks the usage, is written through a tensor of the crate's
            // own and the copy kernel, which keeps the rest of its edge units as they are.
            let own = self.create_output(buf.dtype(), buf.len())?;
            self.write_into(&own, bytes)?;
            return self.copy_tensor(&own, buf);
        }
        if bytes.len() as u64 <= STAGING_BYTES {
            // Writes move whole 4-byte units: an odd number of 16-bit elements ends in a unit
            // completed with zeros, its padding half belonging to the tensor's own allocation.
            let whole = bytes.len() / 4 * 4;
            if whole > 0 {
                self.queue.write_buffer(&buf.buffer, buf.offset, &bytes[..whole]);
            }
            if whole < bytes.len() {
                let mut last = [0u8; 4];
                last[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
                self.queue.write_buffer(&buf.buffer, buf.offset + whole as u64, &last);
            }
            return Ok(());
        }
        let mut staging = self.staging_up.lock().unwrap_or_else(|p| p.into_inner());
        for (k, piece) in bytes.chunks(STAGING_BYTES as usize).enumerate() {
            // Whole 4-byte units: an odd number of 16-bit elements ends in the tensor's padding.
            let size = (piece.len() as u64).next_multiple_of(4);
            let stage = self.staging(
                &mut staging,
                size,
                wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            );
            self.map(&stage, wgpu::MapMode::Write, size)?;
            {
                let mut view = stage
                    .slice(..size)
                    .get_mapped_range_mut()
                    .map_err(|e| Error::Gpu(e.to_string()))?;
                view.slice(..piece.len()).copy_from_slice(piece);
            }
            stage.unmap();
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(
                &stage,
                0,
                &buf.buffer,
                buf.offset + k as u64 * STAGING_BYTES,
                size,
            );
            self.queue.submit([enc.finish()]);
        }
        Ok(())
    }

    /// Waits for all queued work on the buffer and copies it to the host as f32, whatever its
    /// storage type (16-bit values are widened exactly, on the host).
    pub fn download(&self, buf: &GpuBuffer) -> Result<Vec<f32>, Error> {
        let mut out = vec![0.0; buf.len()];
        self.download_into(buf, &mut out)?;
        Ok(out)
    }

    /// Waits for all queued work on the buffer and copies it to the host as `T`, which must be
    /// the buffer's storage type ([`Error::DTypeMismatch`] otherwise; nothing is converted).
    ///
    /// ```
    /// use gpu_activations::half::f16;
    /// # let gpu = gpu_activations::GpuActivations::new()?;
    /// let x = gpu.upload_typed(&[f16::from_f32(-1.0), f16::from_f32(3.0)])?;
    /// let y: Vec<f16> = gpu.download_typed(&gpu.relu(&x)?)?;
    /// assert_eq!(y, vec![f16::ZERO, f16::from_f32(3.0)]);
    /// assert!(gpu.download_typed::<f32>(&x).is_err());
    /// # Ok::<(), gpu_activations::Error>(())
    /// ```
    pub fn download_typed<T: Element>(&self, buf: &GpuBuffer) -> Result<Vec<T>, Error> {
        self.check_owner(buf, "buf")?;
        if buf.dtype() != T::DTYPE {
            return Err(Error::DTypeMismatch { what: "buf", got: buf.dtype(), expected: T::DTYPE });
        }
        let mut out = vec![T::zeroed(); buf.len()];
        self.read_into(buf, bytemuck::cast_slice_mut(&mut out))?;
        Ok(out)
    }

    /// Waits for all queued work on the buffer and copies it straight into `out`, which must
    /// have the buffer's length, as f32 whatever the storage type (16-bit values are read into
    /// a host copy of their own and widened exactly). Large buffers stream through a reused
    /// staging buffer.
    pub fn download_into(&self, buf: &GpuBuffer, out: &mut [f32]) -> Result<(), Error> {
        self.check_owner(buf, "buf")?;
        if out.len() != buf.len() {
            return Err(Error::LengthMismatch { what: "out", got: out.len(), expected: buf.len() });
        }
        match buf.dtype() {
            DType::F32 => self.read_into(buf, bytemuck::cast_slice_mut(out)),
            dtype => {
                let mut bits = vec![0u16; buf.len()];
                self.read_into(buf, bytemuck::cast_slice_mut(&mut bits))?;
                crate::runtime::dtype::widen(dtype, &bits, out);
                Ok(())
            }
        }
    }

    /// Waits for all queued work on the buffer and copies its elements' bytes into `bytes`
    /// (exactly the tensor's unpadded size).
    fn read_into(&self, buf: &GpuBuffer, bytes: &mut [u8]) -> Result<(), Error> {
        let _serial = self.serialize();
        self.check_owner(buf, "buf")?;
        if buf.is_empty() {
            return self.sync();
        }
        if buf.wrapped && !usage(buf).contains(wgpu::BufferUsages::COPY_SRC) {
            // A view of a buffer that cannot be copied from: through a copy of the crate's own.
            let own = self.create_output(buf.dtype(), buf.len())?;
            self.copy_tensor(buf, &own)?;
            return self.read_into(&own, bytes);
        }
        // Copies move whole 4-byte units: a 16-bit view may start in the middle of one.
        let lead = buf.offset % 4;
        let mut staging = self.staging_down.lock().unwrap_or_else(|p| p.into_inner());
        for (k, piece) in bytes.chunks_mut(STAGING_BYTES as usize).enumerate() {
            let size = (lead + piece.len() as u64).next_multiple_of(4);
            let stage = self.staging(
                &mut staging,
                size,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            );
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(
                &buf.buffer,
                buf.offset - lead + k as u64 * STAGING_BYTES,
                &stage,
                0,
                size,
            );
            self.queue.submit([enc.finish()]);
            self.map(&stage, wgpu::MapMode::Read, size)?;
            {
                let view = stage
                    .slice(..size)
                    .get_mapped_range()
                    .map_err(|e| Error::Readback(e.to_string()))?;
                piece.copy_from_slice(&view[lead as usize..lead as usize + piece.len()]);
            }
            stage.unmap();
        }
        self.take_device_error()
    }

    /// Waits until all work queued so far has finished.
    pub fn sync(&self) -> Result<(), Error> {
        self.wait(None)
    }

    /// The held staging buffer if it is large enough, else a new one (kept for next time).
    fn staging(
        &self,
        held: &mut Option<wgpu::Buffer>,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        if let Some(b) = held.as_ref().filter(|b| b.size() >= size) {
            return b.clone();
        }
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpu-activations staging"),
            size: size.max(1 << 16),
            usage,
            mapped_at_creation: false,
        });
        *held = Some(b.clone());
        b
    }

    /// Maps the first `size` bytes of `buffer` and waits for it.
    fn map(&self, buffer: &wgpu::Buffer, mode: wgpu::MapMode, size: u64) -> Result<(), Error> {
        let (tx, rx) = futures_intrusive::channel::shared::oneshot_channel();
        buffer.slice(..size).map_async(mode, move |r| {
            let _ = tx.send(r);
        });
        self.wait(None)?;
        pollster::block_on(rx.receive())
            .ok_or_else(|| Error::Readback("map callback dropped".into()))?
            .map_err(|e| Error::Readback(e.to_string()))
    }
}

/// The usages of the buffer holding `buf`.
fn usage(buf: &GpuBuffer) -> wgpu::BufferUsages {
    buf.buffer.usage()
}
