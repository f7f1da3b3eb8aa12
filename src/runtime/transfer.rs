//! Moving tensors between the host and the device: upload, download (into a new `Vec` or
//! straight into the caller's slice) and sync. Large transfers stream through one reusable
//! staging buffer of at most [`STAGING_BYTES`], so a round trip holds no second copy of the
//! tensor.

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::gpu::GpuActivations;

/// Largest staging buffer; bigger transfers go through it in pieces.
pub(crate) const STAGING_BYTES: u64 = 16 << 20;

impl GpuActivations {
    /// Copies `data` to a new buffer on the device. The buffer comes from the pool when one of
    /// the right size is free (uploads in a loop allocate nothing), and goes back to it when
    /// the tensor is dropped. A tensor larger than the device allows is [`Error::TooLarge`],
    /// found before anything is allocated or copied.
    pub fn upload(&self, data: &[f32]) -> Result<GpuBuffer, Error> {
        let out = self.create_output(DType::F32, data.len())?;
        self.scoped(|| self.write_into(&out, data))?;
        Ok(out)
    }

    /// Overwrites the device buffer `buf` with `data` (of the same length), in place.
    pub fn write(&self, buf: &GpuBuffer, data: &[f32]) -> Result<(), Error> {
        self.check_owner(buf, "buf")?;
        if data.len() != buf.len() {
            return Err(Error::LengthMismatch {
                what: "data",
                got: data.len(),
                expected: buf.len(),
            });
        }
        self.scoped(|| self.write_into(buf, data))
    }

    /// Copies `data` into `buf`: small data through the queue's own staging (ordered before the
    /// next submission, no wait), larger data in pieces through the reused staging buffer.
    fn write_into(&self, buf: &GpuBuffer, data: &[f32]) -> Result<(), Error> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.len() as u64 <= STAGING_BYTES {
            self.queue.write_buffer(&buf.buffer, buf.offset, bytes);
            return Ok(());
        }
        let mut staging = self.staging_up.lock().unwrap_or_else(|p| p.into_inner());
        for (k, piece) in bytes.chunks(STAGING_BYTES as usize).enumerate() {
            let size = buf.layout().staging_copy_bytes(piece.len());
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

    /// Waits for all queued work on the buffer and copies it to the host.
    pub fn download(&self, buf: &GpuBuffer) -> Result<Vec<f32>, Error> {
        let mut out = vec![0.0; buf.len()];
        self.download_into(buf, &mut out)?;
        Ok(out)
    }

    /// Waits for all queued work on the buffer and copies it straight into `out`, which must
    /// have the buffer's length. Large buffers stream through a reused staging buffer.
    pub fn download_into(&self, buf: &GpuBuffer, out: &mut [f32]) -> Result<(), Error> {
        let _serial = self.serialize();
        self.check_owner(buf, "buf")?;
        if out.len() != buf.len() {
            return Err(Error::LengthMismatch { what: "out", got: out.len(), expected: buf.len() });
        }
        if buf.is_empty() {
            return self.sync();
        }
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
        let mut staging = self.staging_down.lock().unwrap_or_else(|p| p.into_inner());
        for (k, piece) in bytes.chunks_mut(STAGING_BYTES as usize).enumerate() {
            let size = buf.layout().staging_copy_bytes(piece.len());
            let stage = self.staging(
                &mut staging,
                size,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            );
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(
                &buf.buffer,
                buf.offset + k as u64 * STAGING_BYTES,
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
                piece.copy_from_slice(&view[..piece.len()]);
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
