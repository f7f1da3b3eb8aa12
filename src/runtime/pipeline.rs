//! WGSL assembly and the pipeline cache: one compute pipeline per [`Key`] (for the elementwise
//! kernel: activation, direction, storage type and whether the defaults are compiled in),
//! compiled on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::rowwise::launch::grid_groups;
use crate::runtime::dtype::DType;
use crate::table::activation::Activation;

const NUMERICS: &str = include_str!("../../shaders/numerics.wgsl");
const KERNEL: &str = include_str!("../../shaders/kernel.wgsl");
/// The workgroup sum shared by the kernels that reduce per channel (PReLU's weight, the bias).
const REDUCE: &str = include_str!("../../shaders/reduce.wgsl");

/// Which pass of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Forward,
    Backward,
    /// Forward, overwriting the input.
    InPlace,
    /// Forward of x + bias[channel] (f32 storage), specialised to how a word finds its biases.
    BiasForward(BiasWords),
    /// Backward of x + bias[channel], with the bias gradient's partial sums (f32 storage).
    BiasBackward,
}

/// How the 8 elements of a word of x find their biases in the bias forward pass: the
/// `BIAS_WORDS` pipeline constant of `shaders/bias.wgsl`, so that the compiled kernel holds only
/// the path it takes (a CPU adapter's SIMD lanes would run every path of a branch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BiasWords {
    /// Any layout: each word finds its elements' channels, stepping across row ends.
    Any = 0,
    /// A spatial size that is a multiple of 8, words starting at a multiple of 8 elements: the
    /// 8 elements of a word share one channel.
    OneChannel = 1,
    /// Spatial size 1 and a multiple of 8 channels, words at multiples of 8 elements: a word
    /// holds 8 consecutive channels.
    EightChannels = 2,
    /// As `OneChannel`, on a grid of (block of [`BIAS_GRID_WG`] words of a row, channel,
    /// batch): a workgroup's words are all in one channel, so its invocations read one bias,
    /// from a uniform buffer.
    ChannelRows = 3,
    /// Spatial size 1 and a multiple of 8 channels, on a grid of its own: each invocation moves
    /// the same 16 channels (two words) of each of [`BIAS_ROWS`] rows, gathering their biases
    /// once, from a uniform buffer.
    ChannelColumns = 4,
    /// As `ChannelRows`, on blocks of [`WORKGROUP`] words, for rows that fill them.
    WideChannelRows = 5,
}

/// The most channels of the grid paths of the bias forward pass (`BiasWords::ChannelRows`,
/// `WideChannelRows` and `ChannelColumns`), whose biases are copied to a uniform buffer: 16 KiB,
/// the least binding size every device allows.
pub(crate) const UNIFORM_BIAS_CHANNELS: usize = 4096;

/// Invocations per workgroup of the grid path of short rows of one channel
/// (`BiasWords::ChannelRows`): a small block, so that they leave few invocations idle.
pub(crate) const BIAS_GRID_WG: u32 = 64;

/// Rows each invocation of the dense grid path (`BiasWords::ChannelColumns`, whose workgroups
/// have [`WORKGROUP`] invocations) moves its two words of, so that the biases it gathers serve
/// that many rows (shaders/bias.wgsl writes them out: in a loop they ran 1.2-1.4 x slower).
pub(crate) const BIAS_ROWS: u32 = 8;

impl BiasWords {
    /// The cheapest path valid for `channels`, `spatial` and a dispatch of the crate's own
    /// tensors (words from element 0 of their binding) covering `elements` elements from
    /// element `first`, with its workgroup grid when it needs its own. The grid paths read the
    /// bias from a uniform buffer, where a CPU adapter loads an address shared by a workgroup
    /// once (not once per lane) and gathers the rest element by element. They need whole
    /// batches, at most [`UNIFORM_BIAS_CHANNELS`] channels and a grid within `max_dim` per
    /// dimension (0: no uniform copy, no grid path); rows of one channel also need words for
    /// at least 3/4 of their invocations (in blocks of [`WORKGROUP`] words, else of
    /// [`BIAS_GRID_WG`]). The dense path's grid is (x, y) as
    /// [`grid_groups`] lays out the workgroups of a flat index.
    pub(crate) fn choose(
        channels: u32,
        spatial: u32,
        first: u64,
        elements: u64,
        max_dim: u32,
    ) -> (BiasWords, Option<[u32; 3]>) {
        let (c, s) = (channels as u64, spatial as u64);
        let batch = c * s;
        let busy = |used: u64, wg: u64| used * 4 >= used.div_ceil(wg) * wg * 3;
        let grid = |g: [u64; 3]| {
            g.iter().all(|&d| (1..=max_dim as u64).contains(&d)).then(|| g.map(|d| d as u32))
        };
        let whole = batch > 0
            && c as usize <= UNIFORM_BIAS_CHANNELS
            && first % batch == 0
            && elements % batch == 0;
        let rows = [
            (BiasWords::WideChannelRows, WORKGROUP),
            (BiasWords::ChannelRows, BIAS_GRID_WG as u64),
        ];
        for (words, wg) in rows {
            if whole && s % 8 == 0 && busy(s / 8, wg) {
                if let Some(g) = grid([(s / 8).div_ceil(wg), c, elements / batch]) {
                    return (words, Some(g));
                }
            }
        }
        if whole && s == 1 && c % 8 == 0 && max_dim > 0 {
            let invocations = (elements / c).div_ceil(BIAS_ROWS as u64) * (c / 8).div_ceil(2);
            let (gx, gy) = grid_groups(invocations.div_ceil(WORKGROUP), max_dim);
            if let Some(g) = grid([gx.into(), gy.into(), 1]) {
                return (BiasWords::ChannelColumns, Some(g));
            }
        }
        let words = match (first % 8 == 0, spatial) {
            (true, 1) if channels % 8 == 0 => BiasWords::EightChannels,
            (true, s) if s % 8 == 0 => BiasWords::OneChannel,
            _ => BiasWords::Any,
        };
        (words, None)
    }
}

impl Direction {
    pub(crate) const ALL: [Direction; 3] =
        [Direction::Forward, Direction::Backward, Direction::InPlace];

    pub(crate) fn entry_point(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
            Direction::InPlace => "forward_inplace",
            Direction::BiasForward(BiasWords::ChannelRows) => "bias_forward_rows",
            Direction::BiasForward(BiasWords::WideChannelRows) => "bias_forward_rows_wide",
            Direction::BiasForward(BiasWords::ChannelColumns) => "bias_forward_columns",
            Direction::BiasForward(_) => "bias_forward",
            Direction::BiasBackward => "bias_backward",
        }
    }
}

/// The full WGSL module for one activation on f32 tensors: shared numerics, the activation's
/// snippet, the f32 storage format's `load`/`store` functions, the kernel.
pub fn shader_source(act: Activation) -> String {
    elementwise_source(act, DType::F32, false, false)
}

/// The storage pieces and bindings through which a kernel reads `x` (and the gradient, of
/// the same type) and writes `y`: the uniform block (`shaders/storage/params.wgsl`),
/// `shaders/storage/word.wgsl`, each type's format file (how a word of 8 elements lies in
/// memory and its conversions to and from f32), and two views of each tensor:
/// - `xs`, `ys`, `gs` (bindings 1 to 3), arrays of the types' words, with `load_x`, `load_g`,
///   `load_y`, `store_y` moving a word;
/// - `xe`, `ye`, `ge` (bindings 5 to 7), arrays of 4-byte units, with `el_x`, `el_g`, `el_y`
///   reading one element and `put_y` writing the elements of one unit of y (`EL_Y` of them)
///   that lie in the range, keeping the rest of the unit as it is, and
///   `shaders/storage/elements.wgsl`, which finds an invocation's unit.
///
/// The inputs are `read_write` when `aliased` (they share y's wgpu buffer, and wgpu does not
/// let one buffer be bound both read-only and writable in a dispatch).
fn storage_source(x: DType, y: DType, aliased: bool) -> String {
    const PARAMS: &str = include_str!("../../shaders/storage/params.wgsl");
    const WORD: &str = include_str!("../../shaders/storage/word.wgsl");
    const ELEMENTS: &str = include_str!("../../shaders/storage/elements.wgsl");
    fn format(dtype: DType) -> &'static str {
        match dtype {
            DType::F32 => include_str!("../../shaders/storage/f32.wgsl"),
            DType::F16 => include_str!("../../shaders/storage/f16.wgsl"),
            DType::Bf16 => include_str!("../../shaders/storage/bf16.wgsl"),
        }
    }
    /// Element `e` of the unit array `units` as an f32.
    fn element(dtype: DType, units: &str) -> String {
        match dtype {
            DType::F32 => format!("bitcast<f32>({units}[e])"),
            _ => format!(
                "{}_widen4(vec4<u32>(({units}[e >> 1u] >> ((e & 1u) << 4u)) & 0xffffu)).x",
                dtype.name()
            ),
        }
    }
    let put_y = match y {
        DType::F32 => "    if (ok.x) {\n        ye[unit] = bitcast<u32>(v.x);\n    }".to_string(),
        _ => format!(
            "    let bits = {}_narrow4(vec4<f32>(v, 0.0, 0.0));\n    \
             let old = ye[unit];\n    \
             let lo = select(old & 0xffffu, bits.x, ok.x);\n    \
             let hi = select(old >> 16u, bits.y, ok.y);\n    \
             ye[unit] = lo | (hi << 16u);",
            y.name()
        ),
    };
    let el_y = 4 / y.size_in_bytes();
    let formats =
        if x == y { format(x).to_string() } else { format!("{}\n{}", format(x), format(y)) };
    let input = if aliased { "read_write" } else { "read" };
    let (el_x, el_g, el_yy) = (element(x, "xe"), element(x, "ge"), element(y, "ye"));
    let (x, y) = (x.name(), y.name());
    format!(
        "{PARAMS}\n{WORD}\n{formats}\n\
         @group(0) @binding(1) var<storage, {input}> xs: array<{x}_mem>;\n\
         @group(0) @binding(2) var<storage, read_write> ys: array<{y}_mem>;\n\
         @group(0) @binding(3) var<storage, {input}> gs: array<{x}_mem>;\n\
         @group(0) @binding(5) var<storage, {input}> xe: array<u32>;\n\
         @group(0) @binding(6) var<storage, read_write> ye: array<u32>;\n\
         @group(0) @binding(7) var<storage, {input}> ge: array<u32>;\n\
         const EL_Y: u32 = {el_y}u;\n{ELEMENTS}\n\
         fn load_x(i: u32) -> Word {{\n    return {x}_to_word(xs[i]);\n}}\n\n\
         fn load_g(i: u32) -> Word {{\n    return {x}_to_word(gs[i]);\n}}\n\n\
         fn load_y(i: u32) -> Word {{\n    return {y}_to_word(ys[i]);\n}}\n\n\
         fn store_y(i: u32, w: Word) {{\n    ys[i] = {y}_from_word(w);\n}}\n\n\
         fn el_x(e: u32) -> f32 {{\n    return {el_x};\n}}\n\n\
         fn el_g(e: u32) -> f32 {{\n    return {el_g};\n}}\n\n\
         fn el_y(e: u32) -> f32 {{\n    return {el_yy};\n}}\n\n\
         fn put_y(unit: u32, v: vec2<f32>, ok: vec2<bool>) {{\n{put_y}\n}}\n"
    )
}

/// The conversion module from `from` to `to` storage (`shaders/cast.wgsl` with both types'
/// storage pieces).
fn cast_source(from: DType, to: DType, aliased: bool) -> String {
    const CAST: &str = include_str!("../../shaders/cast.wgsl");
    let storage = storage_source(from, to, aliased);
    format!("const WG: u32 = {WORKGROUP}u;\n{storage}\n{CAST}")
}

/// The elementwise module for `act` on tensors of `storage` (with the bias kernels when
/// `bias`).
fn elementwise_source(act: Activation, storage: DType, aliased: bool, bias: bool) -> String {
    const BIAS: &str = include_str!("../../shaders/bias.wgsl");
    let bias = if bias {
        format!(
            "const BIAS_GRID_WG: u32 = {BIAS_GRID_WG}u;\nconst BIAS_ROWS: u32 = {BIAS_ROWS}u;\n\
             const BIAS_UNIFORM_VEC4S: u32 = {}u;\n{REDUCE}\n{BIAS}",
            UNIFORM_BIAS_CHANNELS / 4
        )
    } else {
        String::new()
    };
    format!(
        "const WG: u32 = {WORKGROUP}u;\n{NUMERICS}\n// ---- {}\n{}\n\
         // ---- storage: {}\n{}\n{KERNEL}\n{bias}",
        act.name(),
        act.spec().wgsl,
        storage.name(),
        storage_source(storage, storage, aliased),
    )
}

/// Invocations per workgroup of the elementwise and cast kernels, each invocation moving one
/// word (8 elements). One word per invocation and no loop: on lavapipe the same GELU body
/// inside a loop over two words (or even one) ran 1.5 × slower (the compiler hoists the
/// activation's constants out of the loop and then spills them), while relu kept copy speed
/// either way (`cargo bench --bench throughput`; 64 and 1024 invocations were within noise).
pub(crate) const WORKGROUP: u64 = 256;

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
                format!("{REDUCE}\n{PRELU}"),
            ),
            _ => (format!("const WG: u32 = {SOFTMAX_WG}u;"), SOFTMAX.to_string()),
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

/// How a kernel reaches its tensors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Access {
    /// Element by element (the `_el` entry points) rather than whole words.
    pub elements: bool,
    /// The inputs share the output's wgpu buffer (bound `read_write`, see [`storage_source`]).
    pub aliased: bool,
    /// A tensor of a word dispatch starts past the start of its binding (a view bound from an
    /// aligned-down offset): the kernel adds `params.start` to its indices (`SHIFTED` in
    /// `shaders/storage/params.wgsl`). Tensors that start where they are bound, the crate's own
    /// among them, get the kernel without those additions.
    pub shifted: bool,
}

impl Access {
    /// The entry point `name` of a word kernel, or its element-wise twin.
    fn entry_point(self, name: &str) -> String {
        if self.elements { format!("{name}_el") } else { name.to_string() }
    }

    fn suffix(self) -> String {
        let el = if self.elements { "_el" } else { "" };
        let aliased = if self.aliased { "_aliased" } else { "" };
        format!("{el}{aliased}{}", if self.shifted { "_shifted" } else { "" })
    }

    /// The pipeline constant this access sets.
    fn constant(self) -> (&'static str, f64) {
        ("SHIFTED", if self.shifted { 1.0 } else { 0.0 })
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
    pub access: Access,
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
        ElementwiseKey { activation, direction, storage, baked_defaults, access: Access::default() }
    }

    fn label(&self) -> String {
        format!(
            "{}_{}_{}{}{}",
            Activation::ALL[self.activation].name(),
            self.direction.entry_point(),
            self.storage.name(),
            if self.baked_defaults { "_defaults" } else { "" },
            self.access.suffix()
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
    Cast(DType, DType, Access),
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
                let mut constants: Vec<(&str, f64)> = if k.baked_defaults {
                    vec![("BAKED", 1.0), ("P0", p[0]), ("P1", p[1]), ("P2", p[2]), ("P3", p[3])]
                } else {
                    vec![]
                };
                constants.push(k.access.constant());
                if let Direction::BiasForward(words) = k.direction {
                    constants.push(("BIAS_WORDS", words as u32 as f64));
                }
                let bias =
                    matches!(k.direction, Direction::BiasForward(_) | Direction::BiasBackward);
                let source = elementwise_source(act, k.storage, k.access.aliased, bias);
                let entry = k.access.entry_point(k.direction.entry_point());
                compile(device, &k.label(), source, &entry, &constants)?
            }
            Key::Special(k) => compile(device, k.entry_point(), k.source(), k.entry_point(), &[])?,
            Key::Cast(from, to, access) => {
                let label = format!("cast_{}_to_{}{}", from.name(), to.name(), access.suffix());
                let source = cast_source(from, to, access.aliased);
                compile(
                    device,
                    &label,
                    source,
                    &access.entry_point("convert"),
                    &[access.constant()],
                )?
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
            let f32s = elementwise_source(act, DType::F32, false, false);
            assert_eq!(f32s, shader_source(act));
            assert!(f32s.contains("array<f32_mem>") && !f32s.contains("f16_narrow4"));
            for dtype in [DType::F16, DType::Bf16] {
                let halves = elementwise_source(act, dtype, false, false);
                let name = dtype.name();
                assert!(halves.contains(&format!("xs: array<{name}_mem>")));
                assert!(halves.contains(&format!("ys[i] = {name}_from_word(w);")));
                assert!(!halves.contains("f32_mem"));
            }
        }
    }

    /// The shapes tests/bias.rs gives the grid paths take them; the rest fall back.
    #[test]
    fn bias_paths_follow_the_layout() {
        use BiasWords::*;
        let choose = |c: u32, s: u32, first: u64, n: u64| BiasWords::choose(c, s, first, n, 65_535);
        assert_eq!(choose(4, 512, 0, 3 * 4 * 512), (ChannelRows, Some([1, 4, 3])));
        assert_eq!(choose(3, 448, 0, 2 * 3 * 448), (ChannelRows, Some([1, 3, 2])));
        assert_eq!(choose(64, 16_384, 0, 1 << 24), (WideChannelRows, Some([8, 64, 16])));
        assert_eq!(choose(3, 1600, 0, 2 * 3 * 1600), (WideChannelRows, Some([1, 3, 2])));
        assert_eq!(choose(3, 1528, 0, 2 * 3 * 1528), (ChannelRows, Some([3, 3, 2])));
        // dense: 8 rows by 32 pairs of words; 2 groups of rows by 256 pairs; 2,048 by 64; an odd
        // number of words (20 rows: 3 groups by 3 pairs)
        assert_eq!(choose(512, 1, 0, 7 * 512), (ChannelColumns, Some([1, 1, 1])));
        assert_eq!(choose(4096, 1, 0, 9 * 4096), (ChannelColumns, Some([2, 1, 1])));
        assert_eq!(choose(1024, 1, 0, 1 << 24), (ChannelColumns, Some([512, 1, 1])));
        assert_eq!(choose(40, 1, 0, 20 * 40), (ChannelColumns, Some([1, 1, 1])));
        let few = BiasWords::choose(1024, 1, 0, 1 << 24, 300);
        assert_eq!(few, (ChannelColumns, Some([300, 2, 1])));
        // too few words per row or block of them, too many channels, part of a batch
        assert_eq!(choose(3, 16, 0, 96), (OneChannel, None));
        assert_eq!(choose(8192, 1, 0, 2 * 8192), (EightChannels, None));
        assert_eq!(choose(4, 512, 512, 3 * 4 * 512), (OneChannel, None));
        assert_eq!(choose(4, 512, 0, 3 * 4 * 512 - 8), (OneChannel, None));
        assert_eq!(choose(5, 7, 0, 105), (Any, None));
        // no uniform copy of the bias (a max_dim of 0)
        assert_eq!(BiasWords::choose(4, 512, 0, 6144, 0), (OneChannel, None));
    }
}
