//! Recording one elementwise operation: split the tensor into bindings the device can address,
//! lay out a grid that spills into y past the per-dimension workgroup limit, record, submit.

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{Direction, ElementwiseKey, Key};
use crate::runtime::uniforms::{self, Uniforms};
use crate::table::activation::Activation;

/// The uniform block of kernel.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    /// Words (8 elements) in this binding.
    words: u32,
    row: u32,
    /// Always 0: the shaders' optimization barrier (`opaque()` in numerics.wgsl).
    zero: u32,
    pad: u32,
    p: [f32; 4],
}

/// Workgroup grid `(x, y)` covering `words` words with x at most `max_dim`.
pub(crate) fn grid(words: u64, max_dim: u32) -> (u32, u32) {
    let (wg, per) = crate::runtime::pipeline::tile();
    crate::rowwise::launch::grid_groups(words.div_ceil(wg * per), max_dim)
}

/// The buffers of one elementwise operation.
#[derive(Clone, Copy)]
pub(crate) enum Operands<'a> {
    /// y = f(x)
    Forward { x: &'a GpuBuffer, y: &'a GpuBuffer },
    /// y = g · f′(x)
    Backward { x: &'a GpuBuffer, g: &'a GpuBuffer, y: &'a GpuBuffer },
    /// x = f(x)
    InPlace { x: &'a GpuBuffer },
    /// y = x converted to y's storage type (the activation is ignored).
    Cast { x: &'a GpuBuffer, y: &'a GpuBuffer },
}

impl<'a> Operands<'a> {
    /// `y = f(x)`, or `y = g · f′(x)` when there is a `g`.
    pub(crate) fn out_of_place(
        x: &'a GpuBuffer,
        g: Option<&'a GpuBuffer>,
        y: &'a GpuBuffer,
    ) -> Self {
        match g {
            Some(g) => Operands::Backward { x, g, y },
            None => Operands::Forward { x, y },
        }
    }

    /// The tensors and their binding numbers in kernel.wgsl (xs = 1, ys = 2, gs = 3).
    fn buffers(&self) -> [Option<(u32, &'a GpuBuffer)>; 3] {
        match *self {
            Operands::Forward { x, y } | Operands::Cast { x, y } => {
                [Some((1, x)), Some((2, y)), None]
            }
            Operands::Backward { x, g, y } => [Some((1, x)), Some((2, y)), Some((3, g))],
            Operands::InPlace { x } => [Some((2, x)), None, None],
        }
    }

    fn direction(&self) -> Direction {
        match self {
            Operands::Forward { .. } | Operands::Cast { .. } => Direction::Forward,
            Operands::Backward { .. } => Direction::Backward,
            Operands::InPlace { .. } => Direction::InPlace,
        }
    }

    fn input(&self) -> &GpuBuffer {
        match self {
            Operands::Forward { x, .. }
            | Operands::Backward { x, .. }
            | Operands::Cast { x, .. }
            | Operands::InPlace { x } => x,
        }
    }

    /// Kernel words of each tensor.
    fn words(&self) -> u64 {
        self.input().words()
    }

    /// The pipeline running `act` over these tensors.
    fn key(&self, act: Activation) -> Key {
        if let Operands::Cast { x, y } = self {
            return Key::Cast(x.dtype(), y.dtype());
        }
        Key::Elementwise(ElementwiseKey::new(act, self.direction(), self.input().dtype()))
    }
}

impl GpuActivations {
    /// The most words of `x` one binding may cover: the device's binding size, aligned down to
    /// its storage offset alignment, and no more than a full 2-D grid (for a cast, the
    /// fewer of the source's and the target's).
    pub(crate) fn chunk_words(&self, ops: &Operands<'_>) -> u64 {
        let (wg, per) = crate::runtime::pipeline::tile();
        let grid_max = (self.limits.max_compute_workgroups_per_dimension as u64).pow(2) * wg * per;
        let words = |b: &GpuBuffer| b.layout().binding_words(&self.limits, grid_max);
        match ops {
            Operands::Cast { x, y } => {
                // Aligned for the narrower words too (16 bytes), whose alignment in words is
                // a multiple of the wider ones'.
                let align = (self.limits.min_storage_buffer_offset_alignment as u64 / 16).max(1);
                (words(x).min(words(y)) / align * align).max(align)
            }
            _ => words(ops.input()),
        }
    }

    /// Records `act` over `ops` into `enc` (one compute pass; one dispatch per binding-sized
    /// chunk), taking parameter slots from `uniforms`. Nothing for empty tensors.
    pub(crate) fn record(
        &self,
        enc: &mut wgpu::CommandEncoder,
        slots: &mut dyn Uniforms,
        act: Activation,
        ops: Operands<'_>,
    ) -> Result<(), Error> {
        if ops.input().is_empty() {
            return Ok(());
        }
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(act.name()),
            timestamp_writes: None,
        });
        self.record_in_pass(&mut pass, slots, act, ops)
    }

    /// Records `act` over `ops` into an open compute pass (a batch keeps one pass for all its
    /// operations).
    pub(crate) fn record_in_pass(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        slots: &mut dyn Uniforms,
        act: Activation,
        ops: Operands<'_>,
    ) -> Result<(), Error> {
        let _serial = self.serialize();
        let total = ops.words();
        if ops.input().is_empty() {
            return Ok(());
        }
        let pipe = self.pipelines.get(&self.device, ops.key(act))?;
        let chunk = self.chunk_words(&ops);
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        pass.set_pipeline(&pipe.pipeline);
        let mut start = 0;
        while start < total {
            let words = chunk.min(total - start);
            let (gx, gy) = grid(words, max_dim);
            let params = Params { words: words as u32, row: gx, zero: 0, pad: 0, p: act.params() };
            let slot = slots.slot(&self.device, &self.queue, bytemuck::bytes_of(&params));
            let mut entries =
                vec![wgpu::BindGroupEntry { binding: 0, resource: uniforms::binding(&slot) }];
            entries.extend(ops.buffers().into_iter().flatten().map(|(binding, b)| {
                wgpu::BindGroupEntry { binding, resource: b.words_binding(start, words) }
            }));
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(act.name()),
                layout: &pipe.layout,
                entries: &entries,
            });
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
            start += words;
        }
        Ok(())
    }

    /// Records and submits one operation, its parameters in the shared ring; a device error it
    /// causes is this call's error.
    pub(crate) fn dispatch(&self, act: Activation, ops: Operands<'_>) -> Result<(), Error> {
        self.scoped(|| {
            let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(act.name()),
            });
            // The ring's lock is held until the submission that reads the slots is queued.
            let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
            self.record(&mut enc, &mut *ring, act, ops)?;
            self.queue.submit([enc.finish()]);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_spills_into_y_past_the_dimension_limit() {
        let (wg, per) = crate::runtime::pipeline::tile();
        let tile = wg * per; // words per workgroup
        assert_eq!(grid(1, 65_535), (1, 1));
        assert_eq!(grid(tile, 65_535), (1, 1));
        assert_eq!(grid(tile + 1, 65_535), (2, 1));
        assert_eq!(grid(65_535 * tile, 65_535), (65_535, 1));
        assert_eq!(grid(65_535 * tile + 1, 65_535), (65_535, 2));
        let (gx, gy) = grid(10_000_000_000, 65_535);
        assert!(gx as u64 * gy as u64 * tile >= 10_000_000_000);
        assert!(gy <= 65_535);
    }
}
