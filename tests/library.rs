//! `wgsl::library` compiled into a kernel of our own (one entry point per activation, plain
//! `array<f32>` bindings, no uniforms, nothing of the crate's pipeline) against the float64
//! reference, on the inputs the crate's own kernels are tested on (`tests/activations.rs`):
//! every special value with grad_out 1 and with varied gradients, random bit patterns over all
//! exponents, huge gradients times tiny derivatives, and non-default parameters. The bounds are each activation's own
//! (`Activation::bounds`, the same as for the crate's kernels): the library must keep the
//! accuracy when the shader compiler sees the caller's code around it.

mod common;

use common::{assert_within_bounds, dispatch, gpu, grads, random_values, specials};
use gpu_activations::{Activation, Error, GpuActivations, wgsl};

/// A user's kernel around the library: `ys = act_forward(xs)`, `ds = act_backward(xs, gs)`.
fn user_kernel(library: &str, acts: &[Activation]) -> String {
    let mut src = format!(
        "{library}\n\
         @group(0) @binding(0) var<storage, read> xs: array<f32>;\n\
         @group(0) @binding(1) var<storage, read> gs: array<f32>;\n\
         @group(0) @binding(2) var<storage, read_write> ys: array<f32>;\n\
         @group(0) @binding(3) var<storage, read_write> ds: array<f32>;\n"
    );
    for act in acts {
        let name = act.name();
        src.push_str(&format!(
            "@compute @workgroup_size(64)\n\
             fn run_{name}(@builtin(global_invocation_id) id: vec3<u32>) {{\n    \
             let i = id.x;\n    \
             if (i < arrayLength(&xs)) {{\n        \
             ys[i] = {name}_forward(xs[i]);\n        \
             ds[i] = {name}_backward(xs[i], gs[i]);\n    }}\n}}\n"
        ));
    }
    src
}

/// Runs the user kernel's entry point for `act` and returns (forward, backward).
fn run(
    gpu: &GpuActivations,
    module: &wgpu::ShaderModule,
    act: Activation,
    xs: &[f32],
    gs: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let device = gpu.device();
    let entry = format!("run_{}", act.name());
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&entry),
        layout: None,
        module,
        entry_point: Some(&entry),
        compilation_options: Default::default(),
        cache: None,
    });
    let x = gpu.upload(xs).unwrap();
    let g = gpu.upload(gs).unwrap();
    let y = gpu.upload(&vec![0.0; xs.len()]).unwrap();
    let d = gpu.upload(&vec![0.0; xs.len()]).unwrap();
    let bytes = xs.len() as u64 * 4;
    let resources = [&x, &g, &y, &d]
        .iter()
        .map(|t| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: t.raw(),
                offset: t.offset(),
                size: std::num::NonZeroU64::new(bytes),
            })
        })
        .collect();
    dispatch(gpu, &pipeline, resources, (xs.len() as u32).div_ceil(64));
    (gpu.download(&y).unwrap(), gpu.download(&d).unwrap())
}

fn check(gpu: &GpuActivations, acts: &[Activation], xs: &[f32], gs: &[f32]) {
    let library = wgsl::library(acts).unwrap();
    let module = gpu.device().create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("user kernel"),
        source: wgpu::ShaderSource::Wgsl(user_kernel(&library, acts).into()),
    });
    for &act in acts {
        let (y, d) = run(gpu, &module, act, xs, gs);
        assert_within_bounds("library ", act, xs, gs, &y, &d);
    }
}

#[test]
fn library_in_a_users_kernel_matches_the_reference() {
    let gpu = gpu();
    let mut xs = specials();
    xs.extend(specials());
    let mut gs = vec![1.0; xs.len() / 2];
    gs.extend(grads(xs.len() / 2, 7));
    xs.extend(random_values(1 << 14, 100));
    gs.extend(grads(1 << 14, 200));
    // Huge gradients times tiny derivatives, and the random inputs of that test in
    // tests/activations.rs (among them gelu_tanh at x = -2.3605423, which the shader compiler
    // takes to 4.07 ULP when the numerics' barrier is missing: this test fails without it).
    for x in [-95.0f32, -100.0, -150.0, -177.0, 45.0, 50.0, 60.0, 1e20, -3e38, 3e38] {
        xs.extend([x; 4]);
        gs.extend([1e30f32, -3e38, 2f32.powi(100), 1.5]);
    }
    xs.extend(random_values(1 << 14, 78));
    gs.extend(random_values(1 << 14, 77).into_iter().map(|g| if g.is_nan() { 1.0 } else { g }));
    check(&gpu, Activation::ALL, &xs, &gs);
}

#[test]
fn library_with_non_default_parameters_matches_the_reference() {
    let gpu = gpu();
    let xs = random_values(1 << 14, 5);
    let gs = grads(xs.len(), 6);
    let acts = [
        Activation::LeakyRelu { alpha: -2.5 },
        Activation::Elu { alpha: 0.5 },
        Activation::Softplus { beta: 2.0, threshold: 20.0 },
        Activation::Celu { alpha: -1.5 },
    ];
    check(&gpu, &acts, &xs, &gs);
}

#[test]
fn library_names_are_checked_and_prefixed() {
    let twice = [Activation::LeakyRelu { alpha: 0.1 }, Activation::LeakyRelu { alpha: 0.2 }];
    assert!(matches!(wgsl::library(&twice), Err(Error::DuplicateName { name: "leaky_relu" })));
    let bad = [Activation::Softplus { beta: -1.0, threshold: 20.0 }];
    assert!(matches!(wgsl::library(&bad), Err(Error::InvalidParameter { .. })));
    // Every module-scope name is a public function or starts with the prefix.
    let lib = wgsl::library(Activation::ALL).unwrap();
    for line in lib.lines() {
        for kw in ["fn ", "struct ", "const ", "alias ", "var<private> "] {
            if let Some(rest) = line.strip_prefix(kw) {
                let public = Activation::ALL.iter().any(|a| {
                    rest.starts_with(&format!("{}_forward(", a.name()))
                        || rest.starts_with(&format!("{}_backward(", a.name()))
                });
                assert!(public || rest.starts_with("gpuact_"), "unprefixed: {line}");
            }
        }
    }
    assert!(!lib.contains("@group") && !lib.contains("@compute") && !lib.contains("override"));
}
