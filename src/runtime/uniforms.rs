//! Where a dispatch's uniform parameters live, without creating a buffer per operation.
//!
//! Single operations take a slot of a ring written with `queue.write_buffer` and submit while
//! holding the ring's lock, so a slot can only be rewritten after the submission that reads it
//! is queued (queue writes and submissions are ordered). A batch owns its own slots, allocated a
//! block at a time, because it submits later. Work encoded into a caller's encoder gets a small
//! buffer of its own, since the caller decides when that is submitted.

use std::sync::Mutex;

use wgpu::util::DeviceExt;

/// Bytes of the kernels' parameter block, and the least a slot holds.
pub(crate) const BLOCK: u64 = 64;
const SLOT_MIN: u64 = BLOCK;

/// Slots in the ring, and in each block of a batch's arena.
const RING_SLOTS: u64 = 1024;

/// The device's uniform offset alignment, at least one block.
fn stride(device: &wgpu::Device) -> u64 {
    (device.limits().min_uniform_buffer_offset_alignment as u64).max(SLOT_MIN)
}

fn uniform_buffer(device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("gpu-activations uniforms"),
        size: bytes,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A place for one parameter block: a buffer and an offset in it.
pub(crate) type Slot = (wgpu::Buffer, u64);

/// The parameter block in `slot`, as the binding of a kernel's uniform.
pub(crate) fn binding(slot: &Slot) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: &slot.0,
        offset: slot.1,
        size: std::num::NonZeroU64::new(BLOCK),
    })
}

/// Something that hands out parameter slots, writing the block into them.
pub(crate) trait Uniforms {
    fn slot(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, block: &[u8]) -> Slot;
}

/// The shared ring for single operations.
pub(crate) struct Ring {
    buffer: wgpu::Buffer,
    stride: u64,
    next: u64,
}

impl Ring {
    pub fn new(device: &wgpu::Device) -> Mutex<Ring> {
        let stride = stride(device);
        Mutex::new(Ring { buffer: uniform_buffer(device, stride * RING_SLOTS), stride, next: 0 })
    }
}

impl Uniforms for Ring {
    fn slot(&mut self, _: &wgpu::Device, queue: &wgpu::Queue, block: &[u8]) -> Slot {
        let offset = (self.next % RING_SLOTS) * self.stride;
        self.next += 1;
        queue.write_buffer(&self.buffer, offset, block);
        (self.buffer.clone(), offset)
    }
}

/// A batch's own slots, a block of buffers at a time.
#[derive(Default)]
pub(crate) struct Arena {
    buffers: Vec<wgpu::Buffer>,
    used: u64,
}

impl Uniforms for Arena {
    fn slot(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, block: &[u8]) -> Slot {
        let stride = stride(device);
        let buffer = match self.buffers.last() {
            Some(b) if self.used < RING_SLOTS => b.clone(),
            _ => {
                let b = uniform_buffer(device, stride * RING_SLOTS);
                self.buffers.push(b.clone());
                self.used = 0;
                b
            }
        };
        let offset = self.used * stride;
        self.used += 1;
        queue.write_buffer(&buffer, offset, block);
        (buffer, offset)
    }
}

/// A fresh buffer per block, for work the caller submits.
pub(crate) struct Fresh;

impl Uniforms for Fresh {
    fn slot(&mut self, device: &wgpu::Device, _: &wgpu::Queue, block: &[u8]) -> Slot {
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("gpu-activations params"),
            contents: block,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        (buffer, 0)
    }
}
