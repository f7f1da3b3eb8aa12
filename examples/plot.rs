//! Every activation and its derivative over [−10, 10], computed on the GPU and plotted.
//!
//! `cargo run --release --example plot [-- --out DIR]` writes into `plots/` (or DIR) one PNG
//! per activation of `Activation::ALL` plus PReLU, each with f(x) from the forward pass and
//! f′(x) from the backward pass (grad_out = 1) on the tutorials' grid of 1,000 points, and
//! `overview.png` with every activation in a grid of small panels. Verification is on: every
//! value plotted was checked against the float64 reference before it was drawn.

#[path = "common/plotting.rs"]
mod plotting;

use gpu_activations::{Activation, GpuActivations, Options};
use plotting::{Drawn, Look, Series};

/// The tutorials' grid: 1,000 points from −10 to 10, both ends included.
const POINTS: usize = 1000;
const LO: f32 = -10.0;
const HI: f32 = 10.0;
/// PReLU's weight: PyTorch's initial value.
const PRELU_WEIGHT: f32 = 0.25;

/// One activation's curves, ready to draw.
struct Curves {
    /// File name without extension.
    name: String,
    /// The title: the name and its parameters.
    title: String,
    f: Vec<f32>,
    df: Vec<f32>,
}

/// `leaky_relu (alpha = 0.01)`: the name and every parameter with its value.
fn title(act: &Activation) -> String {
    let params: Vec<String> = act
        .param_names()
        .iter()
        .zip(act.params())
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    if params.is_empty() {
        act.name().to_string()
    } else {
        format!("{} ({})", act.name(), params.join(", "))
    }
}

fn main() -> Drawn {
    env_logger::init();
    plotting::register_font()?;
    let out = plotting::out_dir()?;
    let gpu = GpuActivations::with_options(Options { verify: true, ..Options::from_env() })?;
    let info = gpu.adapter_info();
    println!("adapter: {} ({:?})", info.name, info.backend);

    let xs: Vec<f32> =
        (0..POINTS).map(|i| LO + (HI - LO) * i as f32 / (POINTS - 1) as f32).collect();
    let x = gpu.upload(&xs)?;
    let ones = gpu.upload(&vec![1.0f32; POINTS])?;

    let mut all = Vec::new();
    for act in Activation::ALL {
        let f = gpu.download(&gpu.forward(*act, &x)?)?;
        let df = gpu.download(&gpu.backward(*act, &x, &ones)?)?;
        all.push(Curves { name: act.name().into(), title: title(act), f, df });
    }
    let w = gpu.upload(&[PRELU_WEIGHT])?;
    let f = gpu.download(&gpu.prelu(&x, &w, 1)?)?;
    let (dx, _) = gpu.prelu_backward(&x, &ones, &w, 1)?;
    let df = gpu.download(&dx)?;
    all.push(Curves {
        name: "prelu".into(),
        title: format!("prelu (weight = {PRELU_WEIGHT})"),
        f,
        df,
    });

    for c in &all {
        let path = out.join(format!("{}.png", c.name));
        plotting::png(&path, (720, 450), |root| draw(root, c, &xs, false))?;
        println!("{}", path.display());
    }
    let cols = 5;
    let rows = all.len().div_ceil(cols);
    let path = out.join("overview.png");
    plotting::png(&path, (cols as u32 * 260, rows as u32 * 190 + 40), |root| {
        let caption = "f(x) (blue) and f′(x) (red) over [−10, 10], computed on the GPU";
        let root = root.titled(caption, (plotting::FAMILY, 22))?;
        for (panel, c) in root.split_evenly((rows, cols)).iter().zip(&all) {
            draw(panel, c, &xs, true)?;
        }
        Ok(())
    })?;
    println!("{}", path.display());
    println!(
        "{} activations, f and f′ on {POINTS} points each, every value checked against the float64 reference",
        all.len()
    );
    Ok(())
}

fn draw<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    c: &Curves,
    xs: &[f32],
    small: bool,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let y = plotting::span([c.f.as_slice(), c.df.as_slice()]);
    let line = |v: &[f32]| xs.iter().copied().zip(v.iter().copied()).collect();
    let series = [
        Series { label: "f(x)", points: line(&c.f) },
        Series { label: "f′(x)", points: line(&c.df) },
    ];
    let title = if small { c.name.as_str() } else { c.title.as_str() };
    let look = Look { title, x_desc: "x", y_desc: "f(x), f′(x)", small };
    plotting::line_chart(area, &look, LO..HI, y, &series)
}
