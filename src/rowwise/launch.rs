//! Launching a kernel that is not elementwise (PReLU, softmax): whole-tensor bindings, one
//! dispatch per call.

use crate::error::Error;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::gpu::GpuActivations;
use crate::runtime::pipeline::{Key, Special};
use crate::runtime::uniforms::{self, Uniforms};

/// Workgroup grid covering `groups` workgroups with x at most `max_dim`.
pub(crate) fn grid_groups(groups: u64, max_dim: u32) -> (u32, u32) {
    let groups = groups.max(1);
    let gx = groups.min(max_dim as u64);
    (gx as u32, groups.div_ceil(gx) as u32)
}

impl GpuActivations {
    /// Checks that the whole tensor `x` fits one storage binding.
    pub(crate) fn check_bindable(&self, x: &GpuBuffer) -> Result<(), Error> {
        x.layout().check_bindable(x.len(), &self.limits)
    }

    /// `t` itself (another handle) if it is a tensor of the crate's own, else a copy of it
    /// that is: the kernels that are not elementwise bind whole words.
    pub(crate) fn owned(&self, t: &GpuBuffer) -> Result<GpuBuffer, Error> {
        if !t.wrapped {
            return Ok(t.handle());
        }
        let own = self.create_output(t.dtype(), t.len())?;
        self.copy_tensor(t, &own)?;
        Ok(own)
    }

    /// Queues kernel `k` on a `(gx, gy)` grid with its parameter block `params` and `buffers`
    /// at their binding numbers.
    pub(crate) fn run_special<P: bytemuck::Pod>(
        &self,
        k: Special,
        params: &P,
        buffers: &[(u32, wgpu::BindingResource<'_>)],
        grid: (u32, u32),
    ) -> Result<(), Error> {
        self.run_kernel(Key::Special(k), k.entry_point(), params, buffers, grid)
    }

    /// Queues the pipeline `key` (labelled `label`) as [`run_special`](Self::run_special) does.
    pub(crate) fn run_kernel<P: bytemuck::Pod>(
        &self,
        key: Key,
        label: &str,
        params: &P,
        buffers: &[(u32, wgpu::BindingResource<'_>)],
        (gx, gy): (u32, u32),
    ) -> Result<(), Error> {
        let _serial = self.serialize();
        let pipe = self.pipelines.get(&self.device, key)?;
        self.scoped(|| {
            // The ring's lock is held until the submission that reads the slot is queued.
            let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
            let slot = ring.slot(&self.device, &self.queue, bytemuck::bytes_of(params));
            let mut entries =
                vec![wgpu::BindGroupEntry { binding: 0, resource: uniforms::binding(&slot) }];
            entries.extend(buffers.iter().map(|(binding, r)| wgpu::BindGroupEntry {
                binding: *binding,
                resource: r.clone(),
            }));
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &pipe.layout,
                entries: &entries,
            });
            let mut enc = self.device.create_command_encoder(&Default::default());
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(&pipe.pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
            self.queue.submit([enc.finish()]);
            Ok(())
        })
    }
}
