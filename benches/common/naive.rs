//! The baseline every activation is timed against: the textbook formula of each, forward and
//! backward, written with WGSL's builtins (`exp`, `tanh`, `atan`, `log`, …) in the plainest
//! kernel (one `vec4<f32>` per invocation, workgroups of 256), with PyTorch's default
//! parameters. No care for accuracy: this is what a user would write by hand, and what the
//! crate's accurate kernels cost relative to it on the same device in the same run. GELU (exact)
//! has no builtin `erf`, so both GELUs are compared with the tanh form, as the issue asks.

/// `(forward, backward)` as WGSL expressions of `x` (and `g`, the upstream gradient), for the
/// activation named `name`; `None` for an activation without a row here.
pub fn formulas(name: &str) -> Option<(&'static str, &'static str)> {
    const GELU_TANH: (&str, &str) = (
        "0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))",
        "g * (0.5 * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x))) + 0.5 * x * \
         (1.0 - tanh(0.7978845608 * (x + 0.044715 * x * x * x)) * tanh(0.7978845608 * (x + \
         0.044715 * x * x * x))) * 0.7978845608 * (1.0 + 0.134145 * x * x))",
    );
    Some(match name {
        "identity" => ("x", "g"),
        "relu" => ("max(x, vec4<f32>(0.0))", "select(vec4<f32>(0.0), g, x > vec4<f32>(0.0))"),
        "leaky_relu" => (
            "select(0.01 * x, x, x > vec4<f32>(0.0))",
            "g * select(vec4<f32>(0.01), vec4<f32>(1.0), x > vec4<f32>(0.0))",
        ),
        "elu" => (
            "select(exp(x) - 1.0, x, x > vec4<f32>(0.0))",
            "g * select(exp(x), vec4<f32>(1.0), x > vec4<f32>(0.0))",
        ),
        "softplus" => ("log(1.0 + exp(x))", "g / (1.0 + exp(-x))"),
        "sigmoid" => {
            ("1.0 / (1.0 + exp(-x))", "g * (1.0 / (1.0 + exp(-x))) * (1.0 - 1.0 / (1.0 + exp(-x)))")
        }
        "tanh" => ("tanh(x)", "g * (1.0 - tanh(x) * tanh(x))"),
        "arctan" => ("atan(x)", "g / (1.0 + x * x)"),
        "silu" => (
            "x / (1.0 + exp(-x))",
            "g * (1.0 / (1.0 + exp(-x))) * (1.0 + x * (1.0 - 1.0 / (1.0 + exp(-x))))",
        ),
        "mish" => (
            "x * tanh(log(1.0 + exp(x)))",
            "g * (tanh(log(1.0 + exp(x))) + x * (1.0 - tanh(log(1.0 + exp(x))) * \
             tanh(log(1.0 + exp(x)))) / (1.0 + exp(-x)))",
        ),
        "selu" => (
            "1.0507009873554805 * select(1.6732632423543772 * (exp(x) - 1.0), x, x > vec4<f32>(0.0))",
            "g * 1.0507009873554805 * select(1.6732632423543772 * exp(x), vec4<f32>(1.0), x > vec4<f32>(0.0))",
        ),
        "celu" => (
            "max(x, vec4<f32>(0.0)) + min(exp(x) - 1.0, vec4<f32>(0.0))",
            "g * select(exp(x), vec4<f32>(1.0), x > vec4<f32>(0.0))",
        ),
        "softsign" => ("x / (1.0 + abs(x))", "g / ((1.0 + abs(x)) * (1.0 + abs(x)))"),
        "hardtanh" => (
            "clamp(x, vec4<f32>(-1.0), vec4<f32>(1.0))",
            "select(vec4<f32>(0.0), g, abs(x) < vec4<f32>(1.0))",
        ),
        "relu6" => (
            "clamp(x, vec4<f32>(0.0), vec4<f32>(6.0))",
            "select(vec4<f32>(0.0), g, x > vec4<f32>(0.0) & x < vec4<f32>(6.0))",
        ),
        "hardsigmoid" => (
            "clamp(x / 6.0 + 0.5, vec4<f32>(0.0), vec4<f32>(1.0))",
            "select(vec4<f32>(0.0), g / 6.0, abs(x) < vec4<f32>(3.0))",
        ),
        "hardswish" => (
            "x * clamp(x / 6.0 + 0.5, vec4<f32>(0.0), vec4<f32>(1.0))",
            "g * select(select(vec4<f32>(0.0), vec4<f32>(1.0), x >= vec4<f32>(3.0)), \
             (2.0 * x + 3.0) / 6.0, abs(x) < vec4<f32>(3.0))",
        ),
        "logsigmoid" => ("-log(1.0 + exp(-x))", "g / (1.0 + exp(x))"),
        "softshrink" => (
            "select(vec4<f32>(0.0), x - sign(x) * 0.5, abs(x) > vec4<f32>(0.5))",
            "select(vec4<f32>(0.0), g, abs(x) > vec4<f32>(0.5))",
        ),
        "hardshrink" => (
            "select(vec4<f32>(0.0), x, abs(x) > vec4<f32>(0.5))",
            "select(vec4<f32>(0.0), g, abs(x) > vec4<f32>(0.5))",
        ),
        "tanhshrink" => ("x - tanh(x)", "g * tanh(x) * tanh(x)"),
        "gelu" | "gelu_tanh" => GELU_TANH,
        "threshold" => (
            "select(vec4<f32>(0.0), x, x > vec4<f32>(0.0))",
            "select(vec4<f32>(0.0), g, x > vec4<f32>(0.0))",
        ),
        _ => return None,
    })
}

/// The naive module for one formula: `ys = expr(xs, gs)`.
pub fn source(expr: &str) -> String {
    format!(
        "@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;\n\
         @group(0) @binding(1) var<storage, read> gs: array<vec4<f32>>;\n\
         @group(0) @binding(2) var<storage, read_write> ys: array<vec4<f32>>;\n\
         @compute @workgroup_size(256)\n\
         fn main(@builtin(global_invocation_id) id: vec3<u32>, \
         @builtin(num_workgroups) n: vec3<u32>) {{\n    \
         let i = id.x + id.y * n.x * 256u;\n    \
         if (i < arrayLength(&ys)) {{\n        \
         let x = xs[i];\n        let g = gs[i];\n        ys[i] = {expr};\n    }}\n}}\n"
    )
}

/// A compiled naive kernel bound to its three tensors, ready to record.
pub struct Naive {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    groups: (u32, u32),
}

impl Naive {
    /// The kernel `ys = expr` over the `n` f32s of `x`, `g`, `y` (raw buffers of at least
    /// `4n` bytes).
    pub fn new(
        device: &wgpu::Device,
        expr: &str,
        [x, g, y]: [&wgpu::Buffer; 3],
        n: usize,
    ) -> Naive {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("naive"),
            source: wgpu::ShaderSource::Wgsl(source(expr).into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("naive"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let size = std::num::NonZeroU64::new(n as u64 * 4);
        let entries: Vec<wgpu::BindGroupEntry> = [x, g, y]
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: b,
                    offset: 0,
                    size,
                }),
            })
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("naive"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let groups = (n as u32).div_ceil(4 * 256);
        let gx = groups.min(65_535);
        Naive { pipeline, bind_group, groups: (gx, groups.div_ceil(gx)) }
    }

    /// Records one run into `enc`.
    pub fn record(&self, enc: &mut wgpu::CommandEncoder) {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
    }
}
