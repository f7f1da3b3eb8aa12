//! The quick start: the tutorial's ReLU and Leaky ReLU lines computed on the GPU, then every
//! activation forward and backward on a few inputs, verified against the float64 reference.
//!
//! `cargo run --release --example quickstart`

use gpu_activations::{Activation, GpuActivations, Options, reference, ulp};

/// `%.1f` without ever printing `-0.0`.
fn one_decimal(v: f32) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" { "0.0".into() } else { s }
}

fn main() -> Result<(), gpu_activations::Error> {
    env_logger::init();
    // Verification on even in release: every result below is checked against the reference.
    let gpu = GpuActivations::with_options(Options { verify: true, ..Options::from_env() })?;
    let info = gpu.adapter_info();
    println!("adapter: {} ({:?}, {:?})\n", info.name, info.backend, info.device_type);

    let inputs = [1.0f32, -10.0, 0.0, 15.0, -20.0];
    let x = gpu.upload(&inputs)?;
    let relu = gpu.download(&gpu.relu(&x)?)?;
    let leaky = gpu.download(&gpu.leaky_relu(&x, 0.01)?)?;
    for (name, ys) in [("Relu", &relu), ("Leaky Relu", &leaky)] {
        for (x, y) in inputs.iter().zip(ys) {
            println!("Applying {name} on ({}) gives {}", one_decimal(*x), one_decimal(*y));
        }
        println!();
    }

    let xs = [-20.0f32, -2.0, -1e-7, 0.0, 0.5, 3.0, 30.0];
    let ones = vec![1.0f32; xs.len()];
    let x = gpu.upload(&xs)?;
    let g = gpu.upload(&ones)?;
    let mut worst = (0.0f64, "");
    println!("{:<12} {:>10} {:>14} {:>14}", "activation", "x", "f(x)", "f'(x)");
    for act in Activation::ALL {
        let y = gpu.download(&gpu.forward(*act, &x)?)?;
        let d = gpu.download(&gpu.backward(*act, &x, &g)?)?;
        for i in 0..xs.len() {
            println!("{:<12} {:>10} {:>14.7e} {:>14.7e}", act.name(), xs[i], y[i], d[i]);
            let fe = ulp::measured(y[i], reference::forward_f64(*act, xs[i] as f64));
            let be = ulp::measured(d[i], reference::backward_f64(*act, xs[i] as f64, 1.0));
            if fe.max(be) > worst.0 {
                worst = (fe.max(be), act.name());
            }
        }
    }
    println!(
        "\nverified against the CPU reference: largest error {:.2} ULP ({})",
        worst.0, worst.1
    );
    Ok(())
}
