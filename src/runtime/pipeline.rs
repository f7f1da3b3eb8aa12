//! WGSL assembly and the pipeline cache: one compute pipeline per [`Key`] (for the elementwise
//! kernel: activation, direction, storage type and whether the defaults are compiled in),
//! compiled on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::runtime::dtype::DType;
use crate::table::activation::Activation;

const NUMERICS: &str = include_str!("../../shaders/numerics.wgsl");
const KERNEL: &str = include_str!("../../shaders/kernel.wgsl");

/// Which pass of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Forward,
    Backward,
    /// Forward, overwriting the input.
    InPlace,
}

impl Direction {
    pub(crate) const ALL: [Direction; 3] =
        [Direction::Forward, Direction::Backward, Direction::InPlace];

    pub(crate) fn entry_point(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
            Direction::InPlace => "forward_inplace",
        }
    }
}

/// The full WGSL module for one activation on f32 tensors: shared numerics, the activation's
/// snippet, the f32 storage format's `load`/`store` functions, the kernel.
pub fn shader_source(act: Activation) -> String {
    elementwise_source(act, DType::F32)
}

/// The WGSL that reads and writes tensors of `storage` for the elementwise kernel: the
/// bindings `xs`, `ys`, `gs` and `load_x`, `load_g`, `load_y`, `store_y`, which move one
/// word as a `vec4<f32>`.
///
/// The 16-bit formats share `packed16.wgsl` (one word as a `vec2<u32>`), preceded by the bit
/// conversions of `half_bits.wgsl` and the format's `widen16` / `narrow16`.
fn storage_source(storage: DType) -> &'static str {
    macro_rules! packed16 {
        ($widen:literal, $narrow:literal) => {
            concat!(
                include_str!("../../shaders/storage/half_bits.wgsl"),
                "\nfn widen16(h: u32) -> f32 {\n    return ",
                $widen,
                "(h);\n}\n\nfn narrow16(v: f32) -> u32 {\n    return ",
                $narrow,
                "(v);\n}\n\n",
                include_str!("../../shaders/storage/packed16.wgsl")
            )
        };
    }
    match storage {
        DType::F32 => include_str!("../../shaders/storage/f32.wgsl"),
        DType::F16 => packed16!("f32_from_f16_bits", "f16_bits_from_f32"),
        DType::Bf16 => packed16!("f32_from_bf16_bits", "bf16_bits_from_f32"),
    }
}

/// The conversion module from `from` to `to` storage (`shaders/cast.wgsl` with the source's
/// `load4` and the target's `store4` on raw u32 words).
fn cast_source(from: DType, to: DType) -> String {
    const HALF_BITS: &str = include_str!("../../shaders/storage/half_bits.wgsl");
    const CAST: &str = include_str!("../../shaders/cast.wgsl");
    let load = match from {
        DType::F32 => "fn load4(i: u32) -> vec4<f32> {\n    let j = 4u * i;\n    \
                       return vec4<f32>(bitcast<f32>(xs[j]), bitcast<f32>(xs[j + 1u]), \
                       bitcast<f32>(xs[j + 2u]), bitcast<f32>(xs[j + 3u]));\n}\n"
            .to_string(),
        half => {
            let t = half.name();
            format!(
                "fn load4(i: u32) -> vec4<f32> {{\n    let a = xs[2u * i];\n    \
                 let b = xs[2u * i + 1u];\n    return vec4<f32>(f32_from_{t}_bits(a & 0xffffu), \
                 f32_from_{t}_bits(a >> 16u), f32_from_{t}_bits(b & 0xffffu), \
                 f32_from_{t}_bits(b >> 16u));\n}}\n"
            )
        }
    };
    let store = match to {
        DType::F32 => "fn store4(i: u32, v: vec4<f32>) {\n    let j = 4u * i;\n    \
                       ys[j] = bitcast<u32>(v.x);\n    ys[j + 1u] = bitcast<u32>(v.y);\n    \
                       ys[j + 2u] = bitcast<u32>(v.z);\n    ys[j + 3u] = bitcast<u32>(v.w);\n}\n"
            .to_string(),
        half => {
            let t = half.name();
            format!(
                "fn store4(i: u32, v: vec4<f32>) {{\n    \
                 ys[2u * i] = {t}_bits_from_f32(v.x) | ({t}_bits_from_f32(v.y) << 16u);\n    \
                 ys[2u * i + 1u] = {t}_bits_from_f32(v.z) | ({t}_bits_from_f32(v.w) << 16u);\n}}\n"
            )
        }
    };
    let (wg, per) = tile();
    format!("const WG: u32 = {wg}u;\nconst PER: u32 = {per}u;\n{HALF_BITS}\n{load}{store}{CAST}")
}

/// The elementwise module for `act` on tensors of `storage`.
fn elementwise_source(act: Activation, storage: DType) -> String {
    let (wg, per) = tile();
    format!(
        "const WG: u32 = {wg}u;\nconst PER: u32 = {per}u;\n{NUMERICS}\n// ---- {}\n{}\n\
         // ---- storage: {}\n{}\n{KERNEL}",
        act.name(),
        act.spec().wgsl,
        storage.name(),
        storage_source(storage)
    )
}

/// Invocations per workgroup and vec4s per invocation of the elementwise kernel. Chosen by
/// `cargo bench --bench throughput` on lavapipe: 256 × 4 moved relu at copy speed at 16M
/// elements where 256 × 1, 64 × 4, 64 × 16 and 1024 × 1 reached 0.55–0.9 of it; for the
/// transcendental activations, which are bound by arithmetic there, the shapes were within noise.
pub(crate) const fn tile() -> (u64, u64) {
    (256, 4)
}

/// Invocations per workgroup of PReLU's elementwise passes and of its weight-gradient
/// reduction (a power of two: the reduction tree halves it).
pub(crate) const PRELU_WG: u32 = 256;
/// Invocations per workgroup of PReLU's last weight-gradient pass (one per weight).
pub(crate) const PRELU_FINAL_WG: u32 = 64;
/// Invocations per workgroup of the softmax family: one workgroup per row (a power of two: the
/// reduction trees halve it).
pub(crate) const SOFTMAX_WG: u32 = 256;

pub(crate) struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

/// The kernels that are not elementwise: PReLU (a weight per channel, and its gradient reduced
/// on the GPU) and the row-wise softmax family. Each is an entry point of a module in `shaders/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Special {
    PreluForward,
    PreluBackward,
    PreluWeightPartial,
    PreluWeightFinal,
    SoftmaxForward,
    LogSoftmaxForward,
    SoftmaxBackward,
    LogSoftmaxBackward,
}

impl Special {
    pub(crate) const ALL: [Special; 8] = [
        Special::PreluForward,
        Special::PreluBackward,
        Special::PreluWeightPartial,
        Special::PreluWeightFinal,
        Special::SoftmaxForward,
        Special::LogSoftmaxForward,
        Special::SoftmaxBackward,
        Special::LogSoftmaxBackward,
    ];

    /// The kernel's module: its workgroup sizes, shared numerics and the kernel's file.
    fn source(self) -> String {
        const PRELU: &str = include_str!("../../shaders/prelu.wgsl");
        const SOFTMAX: &str = include_str!("../../shaders/softmax.wgsl");
        let (sizes, module) = match self {
            Special::PreluForward
            | Special::PreluBackward
            | Special::PreluWeightPartial
            | Special::PreluWeightFinal => (
                format!("const WG: u32 = {PRELU_WG}u;\nconst FINAL_WG: u32 = {PRELU_FINAL_WG}u;"),
                PRELU,
            ),
            _ => (format!("const WG: u32 = {SOFTMAX_WG}u;"), SOFTMAX),
        };
        format!("{sizes}\n{NUMERICS}\n{module}")
    }

    pub(crate) fn entry_point(self) -> &'static str {
        match self {
            Special::PreluForward => "prelu_forward",
            Special::PreluBackward => "prelu_backward",
            Special::PreluWeightPartial => "prelu_weight_partial",
            Special::PreluWeightFinal => "prelu_weight_final",
            Special::SoftmaxForward => "softmax_forward",
            Special::LogSoftmaxForward => "log_softmax_forward",
            Special::SoftmaxBackward => "softmax_backward",
            Special::LogSoftmaxBackward => "log_softmax_backward",
        }
    }
}

/// One elementwise pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ElementwiseKey {
    /// The activation's row in the table ([`Activation::index`]).
    pub activation: usize,
    pub direction: Direction,
    /// How the tensors are stored (the arithmetic is f32 whatever the storage).
    pub storage: DType,
    /// The variant with PyTorch's default parameters compiled in.
    pub baked_defaults: bool,
}

impl ElementwiseKey {
    /// The pipeline that runs `act` in `direction` on tensors of `storage`: where its
    /// parameters are PyTorch's defaults (bit for bit), the variant with them compiled in, which
    /// the shader compiler folds into the arithmetic (softplus with beta = 1 skips its exact
    /// product and its division, for one); otherwise the generic variant, which reads them at
    /// run time.
    pub(crate) fn new(act: Activation, direction: Direction, storage: DType) -> ElementwiseKey {
        let activation = act.index();
        let bits = |p: [f32; 4]| p.map(f32::to_bits);
        let baked_defaults = !act.param_names().is_empty()
            && bits(act.params()) == bits(Activation::ALL[activation].params());
        ElementwiseKey { activation, direction, storage, baked_defaults }
    }

    fn label(&self) -> String {
        format!(
            "{}_{}_{}{}",
            Activation::ALL[self.activation].name(),
            self.direction.entry_point(),
            self.storage.name(),
            if self.baked_defaults { "_defaults" } else { "" }
        )
    }
}

/// What a cached pipeline computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// An activation from the table.
    Elementwise(ElementwiseKey),
    /// A non-elementwise kernel.
    Special(Special),
    /// Conversion between two storage types (`from`, `to`).
    Cast(DType, DType),
}

/// Pipelines compiled on first use and kept for the life of the `GpuActivations`.
#[derive(Default)]
pub(crate) struct PipelineCache {
    map: Mutex<HashMap<Key, Arc<Pipeline>>>,
}

impl PipelineCache {
    pub fn get(&self, device: &wgpu::Device, key: Key) -> Result<Arc<Pipeline>, Error> {
        if let Some(p) = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        let built = Arc::new(match key {
            Key::Elementwise(k) => {
                let act = Activation::ALL[k.activation];
                let p = act.params().map(f64::from);
                let constants: &[(&str, f64)] = if k.baked_defaults {
                    &[("BAKED", 1.0), ("P0", p[0]), ("P1", p[1]), ("P2", p[2]), ("P3", p[3])]
                } else {
                    &[]
                };
                let source = elementwise_source(act, k.storage);
                compile(device, &k.label(), source, k.direction.entry_point(), constants)?
            }
            Key::Special(k) => compile(device, k.entry_point(), k.source(), k.entry_point(), &[])?,
            Key::Cast(from, to) => {
                let label = format!("cast_{}_to_{}", from.name(), to.name());
                compile(device, &label, cast_source(from, to), "convert", &[])?
            }
        });
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map.entry(key).or_insert(built).clone())
    }
}

/// Compiles `entry` of the WGSL `source` with its override `constants`, with the bind group
/// layout wgpu derives from the entry point (only the bindings it uses).
fn compile(
    device: &wgpu::Device,
    label: &str,
    source: String,
    entry: &str,
    constants: &[(&str, f64)],
) -> Result<Pipeline, Error> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: wgpu::PipelineCompilationOptions { constants, ..Default::default() },
        cache: None,
    });
    if let Some(err) = pollster::block_on(scope.pop()) {
        return Err(Error::Gpu(format!("building the {label} pipeline: {err}")));
    }
    let layout = pipeline.get_bind_group_layout(0);
    Ok(Pipeline { pipeline, layout })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_modules_are_untouched_by_the_16_bit_storage() {
        for &act in Activation::ALL {
            let f32s = elementwise_source(act, DType::F32);
            assert_eq!(f32s, shader_source(act));
            assert!(f32s.contains("array<vec4<f32>>") && !f32s.contains("f16_bits_from_f32"));
            for dtype in [DType::F16, DType::Bf16] {
                let halves = elementwise_source(act, dtype);
                assert!(halves.contains("array<vec2<u32>>"));
                assert!(halves.contains(&format!("return {}_bits_from_f32(v);", dtype.name())));
                assert!(halves.contains("narrow16(v.x)"));
            }
        }
    }
}
