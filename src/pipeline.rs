//! WGSL assembly and the pipeline cache: one compute pipeline per (activation, direction),
//! compiled on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::activation::Activation;
use crate::error::Error;

const NUMERICS: &str = include_str!("../shaders/numerics.wgsl");
const KERNEL: &str = include_str!("../shaders/kernel.wgsl");

/// Which pass of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Forward,
    Backward,
}

impl Direction {
    pub(crate) fn entry_point(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }
}

/// The full WGSL module for one activation: shared numerics, the activation's snippet, the kernel.
pub fn shader_source(act: Activation) -> String {
    format!("{NUMERICS}\n// ---- {}\n{}\n{KERNEL}", act.name(), act.spec().wgsl)
}

pub(crate) struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

#[derive(Default)]
pub(crate) struct PipelineCache {
    map: Mutex<HashMap<(usize, Direction), Arc<Pipeline>>>,
}

impl PipelineCache {
    pub fn get(
        &self,
        device: &wgpu::Device,
        act: Activation,
        dir: Direction,
    ) -> Result<Arc<Pipeline>, Error> {
        let key = (act.index(), dir);
        if let Some(p) = self.map.lock().expect("pipeline cache poisoned").get(&key) {
            return Ok(p.clone());
        }
        let built = Arc::new(build(device, act, dir)?);
        let mut map = self.map.lock().expect("pipeline cache poisoned");
        Ok(map.entry(key).or_insert(built).clone())
    }
}

fn storage(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn build(device: &wgpu::Device, act: Activation, dir: Direction) -> Result<Pipeline, Error> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let label = format!("{}_{}", act.name(), dir.entry_point());
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&label),
        source: wgpu::ShaderSource::Wgsl(shader_source(act).into()),
    });
    let mut entries = vec![
        wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        },
        storage(1, true),
        storage(2, false),
    ];
    if dir == Direction::Backward {
        entries.push(storage(3, true));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(&label),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(&label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(dir.entry_point()),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(err) = pollster::block_on(scope.pop()) {
        return Err(Error::Gpu(format!("building the {label} pipeline: {err}")));
    }
    Ok(Pipeline { pipeline, layout })
}
