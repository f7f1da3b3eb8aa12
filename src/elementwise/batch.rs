//! [`Batch`]: many operations encoded into one command buffer and submitted once.
//!
//! Consecutive small operations of the same kind (same activation, parameters and direction)
//! are fused: their inputs are copied side by side into a scratch buffer and one dispatch of
//! the ordinary kernel writes all the results into one output slab, each result a view of its
//! part. Software adapters pay tens of microseconds per dispatch whatever its size (waking
//! their worker threads) and little per copy; a run of a slab's worth of operations pays it
//! once. Slabs and scratch come from the pool, and a slab goes back once every result in it is
//! dropped.

use crate::elementwise::dispatch::Operands;
use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::uniforms::Arena;
use crate::table::activation::Activation;

/// Tensors up to this many floats are fused; larger ones get a dispatch of their own.
const FUSE_MAX: usize = 1 << 16;
/// Sizes of the slabs: the first is small (a batch of a few operations should not allocate
/// much), each next one twice the last, up to the largest.
const SLAB_FIRST: u64 = 256 << 10;
const SLAB_MAX: u64 = 4 << 20;

/// Records operations into one command buffer; [`submit`](Self::submit) queues them all at
/// once. Small operations of the same kind in a row are fused into one dispatch. The buffers
/// returned hold their results once the batch is submitted. Dropping a batch without submitting
/// discards its operations.
///
/// ```
/// use gpu_activations::Activation;
/// # let gpu = gpu_activations::GpuActivations::new()?;
/// let x = gpu.upload(&[-2.0, 0.5])?;
/// let mut batch = gpu.batch();
/// let h = batch.forward(Activation::Relu, &x)?;
/// let y = batch.forward(Activation::Sigmoid, &h)?;
/// batch.submit()?;
/// assert_eq!(gpu.download(&h)?, vec![0.0, 0.5]);
/// assert!((gpu.download(&y)?[1] - 0.622_459_3).abs() < 1e-6);
/// # Ok::<(), gpu_activations::Error>(())
/// ```
pub struct Batch<'a> {
    gpu: &'a GpuActivations,
    encoder: wgpu::CommandEncoder,
    /// The compute pass operations are recorded into, open until a copy or the submission.
    pass: Option<wgpu::ComputePass<'static>>,
    uniforms: Arena,
    recorded: usize,
    /// The slab fused results are placed in, with the run not yet recorded.
    slab: Option<Slab>,
    /// With verification on: what to check after submission (activation, x, grad_out, result).
    checks: Vec<(Activation, GpuBuffer, Option<GpuBuffer>, GpuBuffer)>,
    /// A handle on every buffer the batch has recorded (inputs, gradients, results, scratch,
    /// slabs), held until its submission has finished on the device. A caller dropping a tensor
    /// early therefore cannot hand memory the batch still reads or writes to other work
    /// through the pool.
    held: Vec<GpuBuffer>,
}

/// The output slab fused results are placed in, filled from the start: a pooled buffer, back
/// in the pool once every result in it is dropped.
struct Slab {
    output: GpuBuffer,
    size: u64,
    cursor: u64,
    /// The run of same-kind operations placed in it and not yet recorded.
    group: Option<Group>,
}

/// The run of same-kind operations waiting to be recorded.
struct Group {
    act: Activation,
    backward: bool,
    /// Each operation's input (and gradient) and its byte offset in the slab.
    segments: Vec<(GpuBuffer, Option<GpuBuffer>, u64)>,
}

impl GpuActivations {
    /// Starts a [`Batch`] of operations submitted together.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            gpu: self,
            encoder: self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gpu-activations batch"),
            }),
            pass: None,
            uniforms: Arena::default(),
            recorded: 0,
            slab: None,
            checks: Vec::new(),
            held: Vec::new(),
        }
    }
}

impl Drop for Batch<'_> {
    /// Releases the batch's device objects while holding the instance's device lock, which on
    /// the GL backend keeps other threads from waiting on wgpu's shared context (see
    /// `GpuActivations::serialize`).
    fn drop(&mut self) {
        let _serial = self.gpu.serialize();
        self.pass = None;
        self.slab = None;
        self.checks.clear();
        drop(std::mem::take(&mut self.uniforms));
        drop(std::mem::take(&mut self.held));
    }
}

impl Batch<'_> {
    /// Records `ops` as a dispatch of its own, after any pending fused run.
    fn record(&mut self, act: Activation, ops: Operands<'_>) -> Result<(), Error> {
        self.flush()?;
        self.record_now(act, ops)
    }

    /// The batch's compute pass, begun if none is open.
    fn open_pass<'p>(
        pass: &'p mut Option<wgpu::ComputePass<'static>>,
        encoder: &mut wgpu::CommandEncoder,
    ) -> &'p mut wgpu::ComputePass<'static> {
        pass.get_or_insert_with(|| {
            encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("gpu-activations batch"),
                    timestamp_writes: None,
                })
                .forget_lifetime()
        })
    }

    fn record_now(&mut self, act: Activation, ops: Operands<'_>) -> Result<(), Error> {
        let pass = Self::open_pass(&mut self.pass, &mut self.encoder);
        self.gpu.record_in_pass(pass, &mut self.uniforms, act, ops)
    }

    /// Records the pending fused run: its inputs (and gradients) are copied side by side into
    /// scratch buffers, at the offsets their results take in the output slab, and one dispatch
    /// of the ordinary kernel covers them all.
    fn flush(&mut self) -> Result<(), Error> {
        let Some(slab) = self.slab.as_mut() else { return Ok(()) };
        let Some(group) = slab.group.take() else { return Ok(()) };
        let (dtype, layout) = (slab.output.dtype(), slab.output.layout());
        let slab_len = layout.elements_in(slab.size);
        let (Some(first), Some(last)) = (group.segments.first(), group.segments.last()) else {
            return Ok(());
        };
        let (first, (last, _, last_at)) = (first.2, last);
        let len = layout.elements_in(last_at + last.padded_bytes() - first);
        let y = slab.output.part(first, len);
        let xs = self.gpu.create_output(dtype, slab_len)?;
        let gs = if group.backward { Some(self.gpu.create_output(dtype, slab_len)?) } else { None };
        self.pass = None; // copies are recorded outside a pass
        for (x, g, at) in &group.segments {
            let bytes = x.padded_bytes();
            self.encoder.copy_buffer_to_buffer(&x.buffer, x.offset, &xs.buffer, *at, bytes);
            if let (Some(g), Some(gs)) = (g, &gs) {
                self.encoder.copy_buffer_to_buffer(&g.buffer, g.offset, &gs.buffer, *at, bytes);
            }
        }
        let x = xs.part(first, len);
        let g = gs.as_ref().map(|gs| gs.part(first, len));
        let ops = Operands::out_of_place(&x, g.as_ref(), &y);
        self.record_now(group.act, ops)?;
        for (x, g, _) in group.segments {
            self.held.push(x);
            self.held.extend(g);
        }
        self.held.push(xs);
        self.held.extend(gs);
        Ok(())
    }

    /// Places a small operation in the pending fused run (starting a new run when the kind
    /// differs, and a new slab when the slab is full or an input is one of its results),
    /// returning its result: a view of the output slab.
    fn fuse(
        &mut self,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
    ) -> Result<GpuBuffer, Error> {
        let size = x.layout().aligned_bytes(x.len(), &self.gpu.limits);
        // An input inside the current slab (an earlier fused result) cannot be read by a
        // dispatch that writes the slab: such an operation starts a new slab, and so does one
        // of another storage type.
        let room = self.slab.as_ref().is_some_and(|s| {
            let inside = |b: &GpuBuffer| b.buffer == s.output.buffer;
            s.cursor + size <= s.size
                && s.output.dtype() == x.dtype()
                && !inside(x)
                && !g.is_some_and(inside)
        });
        if !room {
            self.flush()?;
            let last = self.slab.as_ref().map_or(SLAB_FIRST / 2, |s| s.size);
            let size = (2 * last).clamp(SLAB_FIRST, SLAB_MAX).max(size);
            let output = self.gpu.create_output(x.dtype(), x.layout().elements_in(size))?;
            self.held.push(output.handle());
            self.slab = Some(Slab { output, size, cursor: 0, group: None });
        }
        let backward = g.is_some();
        let joins = self
            .slab
            .as_ref()
            .and_then(|s| s.group.as_ref())
            .is_some_and(|grp| grp.act == act && grp.backward == backward);
        if !joins {
            self.flush()?;
        }
        let Some(slab) = self.slab.as_mut() else {
            return Err(Error::Gpu("internal: a fused run has no slab".into()));
        };
        let grp = slab.group.get_or_insert_with(|| Group { act, backward, segments: Vec::new() });
        let at = slab.cursor;
        grp.segments.push((x.handle(), g.map(GpuBuffer::handle), at));
        slab.cursor += size;
        Ok(slab.output.part(at, x.len()))
    }

    /// Records `f(x)` into a new buffer.
    pub fn forward(&mut self, act: Activation, x: &GpuBuffer) -> Result<GpuBuffer, Error> {
        self.out_of_place(act, x, None)
    }

    /// Records `grad_out · f′(x)` into a new buffer.
    pub fn backward(
        &mut self,
        act: Activation,
        x: &GpuBuffer,
        grad_out: &GpuBuffer,
    ) -> Result<GpuBuffer, Error> {
        self.out_of_place(act, x, Some(grad_out))
    }

    /// `f(x)`, or `g · f′(x)` with a `g`: fused when small, a dispatch of its own otherwise.
    fn out_of_place(
        &mut self,
        act: Activation,
        x: &GpuBuffer,
        g: Option<&GpuBuffer>,
    ) -> Result<GpuBuffer, Error> {
        self.gpu.check_operation(act, x, g)?;
        // Views of an application's buffer are never fused: the fused run copies whole words.
        let own = !x.wrapped && !g.is_some_and(|g| g.wrapped);
        let y = if own && !x.is_empty() && x.len() <= FUSE_MAX {
            self.fuse(act, x, g)?
        } else {
            let y = self.gpu.create_output(x.dtype(), x.len())?;
            self.record(act, Operands::out_of_place(x, g, &y))?;
            self.held.extend([x.handle(), y.handle()]);
            self.held.extend(g.map(GpuBuffer::handle));
            y
        };
        self.recorded += 1;
        if self.gpu.verify() {
            self.checks.push((act, x.handle(), g.map(GpuBuffer::handle), y.handle()));
        }
        Ok(y)
    }

    /// Records `x ← f(x)` **in place** (never fused: it writes a buffer of the caller's).
    pub fn forward_inplace(&mut self, act: Activation, x: &GpuBuffer) -> Result<(), Error> {
        self.gpu.check_operation(act, x, None)?;
        self.flush()?;
        if self.gpu.verify() {
            // The checks run after submission: any tensor of an earlier check that this step
            // overwrites is read from a copy taken now, as the earlier step left it.
            let mut checks = std::mem::take(&mut self.checks);
            let copied = checks.iter_mut().try_for_each(|(_, a, g, y)| {
                for t in [Some(a), g.as_mut(), Some(y)].into_iter().flatten() {
                    if t.overlaps(x) {
                        *t = self.snapshot(t)?;
                    }
                }
                Ok::<(), Error>(())
            });
            self.checks = checks;
            copied?;
            let before = self.snapshot(x)?;
            self.checks.push((act, before, None, x.handle()));
        }
        self.record(act, Operands::InPlace { x })?;
        self.held.push(x.handle());
        self.recorded += 1;
        Ok(())
    }

    /// A copy of `t` as the batch has left it at this point, recorded on the device.
    fn snapshot(&mut self, t: &GpuBuffer) -> Result<GpuBuffer, Error> {
        let copy = self.gpu.create_output(t.dtype(), t.len())?;
        if t.wrapped {
            // A view is copied by the copy kernel, which stays inside its range.
            self.record(Activation::Identity, Operands::Cast { x: t, y: &copy })?;
        } else {
            self.pass = None; // copies are recorded outside a pass
            self.encoder.copy_buffer_to_buffer(
                &t.buffer,
                t.offset,
                &copy.buffer,
                0,
                t.padded_bytes(),
            );
        }
        Ok(copy)
    }

    /// Operations recorded so far.
    pub fn len(&self) -> usize {
        self.recorded
    }

    /// True if nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.recorded == 0
    }

    /// Submits every recorded operation in one command buffer. Returns at once unless
    /// verification is on, which waits and checks every result. A device error caused by the
    /// batch's commands is this call's error.
    ///
    /// Every buffer the batch recorded stays reserved until the submission has finished on the
    /// device, so tensors may be dropped at any point before or after this call.
    pub fn submit(mut self) -> Result<(), Error> {
        let gpu = self.gpu;
        gpu.scoped(|| {
            self.flush()?;
            self.pass = None;
            let encoder = std::mem::replace(
                &mut self.encoder,
                gpu.device.create_command_encoder(&Default::default()),
            );
            gpu.queue.submit([encoder.finish()]);
            Ok(())
        })?;
        let held = std::mem::take(&mut self.held);
        gpu.queue.on_submitted_work_done(move || drop(held));
        for (act, x, g, y) in &self.checks {
            crate::verify::check(gpu, *act, x, g.as_ref(), y)?;
        }
        Ok(())
    }
}
