//! Recording one elementwise operation: split the tensor into bindings the device can address,
//! lay out a grid that spills into y past the per-dimension workgroup limit, record, submit.

use crate::elementwise::plan;
use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{Access, BiasWords, Direction, ElementwiseKey, Key};
use crate::runtime::uniforms::{self, Uniforms};
use crate::table::activation::Activation;

/// The uniform block of the elementwise and cast kernels (shaders/storage/params.wgsl).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Params {
    /// Words, or 4-byte units of y, in this dispatch.
    pub n: u32,
    /// Workgroups per row of the grid.
    pub row: u32,
    /// Always 0: the shaders' optimization barrier (`opaque()` in numerics.wgsl).
    pub zero: u32,
    /// Elements of the range (element-wise dispatches).
    pub count: u32,
    /// Where x, y and grad_out start in their bindings (words, or elements), and the tensors'
    /// element where the dispatch starts.
    pub start: [u32; 4],
    /// The bias kernels' shape (see shaders/bias.wgsl).
    pub shape: [u32; 4],
    /// The activation's parameters.
    pub p: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<Params>() as u64 <= uniforms::BLOCK);

/// The multiplier that divides by `d` without a division (`div_rem` in shaders/bias.wgsl):
/// floor(2³² / d), or 2³² − 1 for d = 1.
fn magic(d: u32) -> u32 {
    (((1u64 << 32) / d.max(1) as u64).min(u32::MAX as u64)) as u32
}

/// Workgroup grid `(x, y)` covering `words` words with x at most `max_dim`.
pub(crate) fn grid(words: u64, max_dim: u32) -> (u32, u32) {
    let wg = crate::runtime::pipeline::WORKGROUP;
    crate::rowwise::launch::grid_groups(words.div_ceil(wg), max_dim)
}

/// How one dispatch of a bias operation finds its biases (see [`Operands::bias_plan`]).
struct BiasPlan {
    words: BiasWords,
    /// The workgroup grid of the paths that have their own.
    grid: Option<[u32; 3]>,
    /// The kernel's `params.shape`.
    shape: [u32; 4],
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
    /// y = f(x + bias[c]), c = (i / spatial) % channels (f32 tensors of the crate's own);
    /// `uniform`, when given, receives a copy of the bias for the paths that read it as a
    /// uniform buffer (see [`BiasWords::choose`]).
    Bias {
        x: &'a GpuBuffer,
        bias: &'a GpuBuffer,
        y: &'a GpuBuffer,
        channels: u32,
        spatial: u32,
        uniform: Option<&'a wgpu::Buffer>,
    },
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
            Operands::Forward { x, y } | Operands::Cast { x, y } | Operands::Bias { x, y, .. } => {
                [Some((1, x)), Some((2, y)), None]
            }
            Operands::Backward { x, g, y } => [Some((1, x)), Some((2, y)), Some((3, g))],
            Operands::InPlace { x } => [Some((2, x)), None, None],
        }
    }

    /// The pass (`words`: how a bias dispatch finds its biases).
    fn direction(&self, words: BiasWords) -> Direction {
        match *self {
            Operands::Forward { .. } | Operands::Cast { .. } => Direction::Forward,
            Operands::Backward { .. } => Direction::Backward,
            Operands::InPlace { .. } => Direction::InPlace,
            Operands::Bias { .. } => Direction::BiasForward(words),
        }
    }

    /// How a dispatch covering `piece` finds its biases, the grid of the paths that have their
    /// own (only when there is a uniform copy of the bias), and the bias kernel's
    /// `params.shape` (shaders/bias.wgsl); `Any` and zeros for the other operations.
    fn bias_plan(&self, piece: &plan::Piece<'_>, max_dim: u32) -> BiasPlan {
        let Operands::Bias { x, channels, spatial, uniform, .. } = *self else {
            return BiasPlan { words: BiasWords::Any, grid: None, shape: [0; 4] };
        };
        let elements = (piece.n * 8).min(x.len() as u64 - piece.first);
        let dim = if uniform.is_some() { max_dim } else { 0 };
        let (words, grid) = BiasWords::choose(channels, spatial, piece.first, elements, dim);
        let shape = match words {
            // (channels, words per row)
            BiasWords::ChannelRows | BiasWords::WideChannelRows => [channels, spatial / 8, 0, 0],
            // (rows, words per row, pairs of words per row, their magic number)
            BiasWords::ChannelColumns => {
                let pairs = (channels / 8).div_ceil(2);
                [(elements / channels as u64) as u32, channels / 8, pairs, magic(pairs)]
            }
            _ => [channels, spatial, magic(channels), magic(spatial)],
        };
        BiasPlan { words, grid, shape }
    }

    fn input(&self) -> &GpuBuffer {
        match self {
            Operands::Forward { x, .. }
            | Operands::Backward { x, .. }
            | Operands::Cast { x, .. }
            | Operands::Bias { x, .. }
            | Operands::InPlace { x } => x,
        }
    }

    /// True if an input shares the output's wgpu buffer (see [`Access::aliased`]).
    fn aliased(&self) -> bool {
        match *self {
            Operands::InPlace { .. } => false,
            Operands::Forward { x, y } | Operands::Cast { x, y } | Operands::Bias { x, y, .. } => {
                x.buffer == y.buffer
            }
            Operands::Backward { x, g, y } => x.buffer == y.buffer || g.buffer == y.buffer,
        }
    }

    /// The pipeline running `act` over these tensors with `access` (`words`: see
    /// [`direction`](Self::direction)).
    fn key(&self, act: Activation, access: Access, words: BiasWords) -> Key {
        if let Operands::Cast { x, y } = self {
            return Key::Cast(x.dtype(), y.dtype(), access);
        }
        let key = ElementwiseKey::new(act, self.direction(words), self.input().dtype());
        Key::Elementwise(ElementwiseKey { access, ..key })
    }
}

impl GpuActivations {
    /// The limits the dispatches of an operation respect.
    fn plan_limits(&self) -> plan::Limits {
        let wg = crate::runtime::pipeline::WORKGROUP;
        let groups = (self.limits.max_compute_workgroups_per_dimension as u64).pow(2);
        plan::Limits {
            align: (self.limits.min_storage_buffer_offset_alignment as u64).max(4),
            binding_bytes: self
                .limits
                .max_storage_buffer_binding_size
                .min(self.limits.max_buffer_size),
            max_words: groups * wg,
            max_units: groups * wg,
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
        let operands: Vec<_> = ops.buffers().into_iter().flatten().collect();
        let aliased = ops.aliased();
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        let wg = crate::runtime::pipeline::WORKGROUP;
        for piece in plan::plan(&operands, &self.plan_limits()) {
            let shifted = !piece.elements && piece.start != [0, 0, 0];
            let access = Access { elements: piece.elements, aliased, shifted };
            let bias_plan = ops.bias_plan(&piece, max_dim);
            let pipe = self.pipelines.get(&self.device, ops.key(act, access, bias_plan.words))?;
            let (gx, gy) = if piece.elements {
                crate::rowwise::launch::grid_groups(piece.n.div_ceil(wg), max_dim)
            } else {
                grid(piece.n, max_dim)
            };
            let [sx, sy, sz] = piece.start;
            let params = Params {
                n: piece.n as u32,
                // the dense bias path's own grid is laid out as grid_index reads it
                row: bias_plan.grid.map_or(gx, |g| g[0]),
                zero: 0,
                count: piece.count as u32,
                start: [sx, sy, sz, piece.first as u32],
                shape: bias_plan.shape,
                p: act.params(),
            };
            let slot = slots.slot(&self.device, &self.queue, bytemuck::bytes_of(&params));
            let mut entries =
                vec![wgpu::BindGroupEntry { binding: 0, resource: uniforms::binding(&slot) }];
            entries.extend(piece.bindings.iter().map(|&(binding, buffer, offset, size)| {
                wgpu::BindGroupEntry {
                    binding,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer,
                        offset,
                        size: std::num::NonZeroU64::new(size),
                    }),
                }
            }));
            match (ops, bias_plan.grid) {
                (Operands::Bias { uniform: Some(u), .. }, Some(_)) => entries
                    .push(wgpu::BindGroupEntry { binding: 9, resource: u.as_entire_binding() }),
                (Operands::Bias { bias, .. }, _) => {
                    entries.push(wgpu::BindGroupEntry { binding: 4, resource: bias.binding() })
                }
                _ => {}
            }
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(act.name()),
                layout: &pipe.layout,
                entries: &entries,
            });
            pass.set_pipeline(&pipe.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            let [gx, gy, gz] = bias_plan.grid.unwrap_or([gx, gy, 1]);
            pass.dispatch_workgroups(gx, gy, gz);
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
            if let Operands::Bias { bias, uniform: Some(u), .. } = ops {
                enc.copy_buffer_to_buffer(&bias.buffer, bias.offset, u, 0, bias.byte_len());
            }
            self.record(&mut enc, &mut *ring, act, ops)?;
            self.queue.submit([enc.finish()]);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// shaders/bias.wgsl's mul_hi: the high half of a 32 × 32-bit product from 16-bit pieces.
    fn mul_hi(a: u32, b: u32) -> u32 {
        let (a0, a1, b0, b1) = (a & 0xffff, a >> 16, b & 0xffff, b >> 16);
        let (p01, p10) = (a0 * b1, a1 * b0);
        let mid = ((a0 * b0) >> 16) + (p01 & 0xffff) + (p10 & 0xffff);
        a1 * b1 + (p01 >> 16) + (p10 >> 16) + (mid >> 16)
    }

    /// shaders/bias.wgsl's div_rem.
    fn div_rem(n: u32, d: u32) -> (u32, u32) {
        let q = mul_hi(n, magic(d));
        assert_eq!(q, ((n as u64 * magic(d) as u64) >> 32) as u32);
        let r = n.wrapping_sub(q.wrapping_mul(d));
        if r >= d { (q + 1, r - d) } else { (q, r) }
    }

    #[test]
    fn division_by_the_magic_multiplier_is_exact() {
        let ds = [1, 2, 3, 5, 7, 10, 64, 1000, 1023, 16_384, 65_535, 65_537, 1 << 31, u32::MAX];
        for d in ds {
            let mut ns = vec![0, 1, d - 1, d, u32::MAX, u32::MAX - 1, u32::MAX / d * d];
            ns.extend((0..10_000u32).map(|k| k.wrapping_mul(2_654_435_761)));
            ns.extend(
                (1..64u32).flat_map(|k| [d.wrapping_mul(k), d.wrapping_mul(k).wrapping_sub(1)]),
            );
            for n in ns {
                assert_eq!(div_rem(n, d), (n / d, n % d), "{n} / {d}");
            }
        }
    }

    #[test]
    fn grid_spills_into_y_past_the_dimension_limit() {
        let tile = crate::runtime::pipeline::WORKGROUP; // words per workgroup
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
