//! What the plotting examples share: the embedded font and the line charts' look.
//!
//! Text is drawn with plotters' `ab_glyph` backend from the TTF committed in `assets/fonts`
//! (DejaVu Sans, its licence beside it), so the examples need no system fonts.

// Each example uses part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

/// The font every chart uses, registered under plotters' default family name.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub const FAMILY: &str = "sans-serif";

/// The result type of drawing code: plotters' errors and I/O errors alike.
pub type Drawn<T = ()> = Result<T, Box<dyn Error>>;

/// Colours of the lines, one per series, in order.
pub const COLORS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(255, 127, 14)];

/// Registers the embedded font (call once, before drawing any text).
pub fn register_font() -> Drawn {
    for style in [FontStyle::Normal, FontStyle::Bold] {
        plotters::style::register_font(FAMILY, style, FONT)
            .map_err(|_| "the embedded font could not be read")?;
    }
    Ok(())
}

/// The output folder: `--out DIR` on the command line, `plots` otherwise; created if missing.
pub fn out_dir() -> Drawn<PathBuf> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.iter().position(|a| a == "--out") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--out needs a folder")?),
        None => PathBuf::from("plots"),
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A range that holds every value of `series` with a 5 % margin (1 wide at least).
pub fn span<'a>(series: impl IntoIterator<Item = &'a [f32]>) -> std::ops::Range<f32> {
    let (lo, hi) = series
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(0.05);
    (lo - pad)..(hi + pad)
}

/// An axis label: as few digits as show the tick (2, 0.5, 0.25).
fn short(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// One named line of a chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(f32, f32)>,
}

/// How a chart is dressed: full size (axis names, legend) or a small panel of a grid.
pub struct Look<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub small: bool,
}

/// Draws `series` as lines over `x` × `y` on `area`.
pub fn line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    look: &Look,
    x: std::ops::Range<f32>,
    y: std::ops::Range<f32>,
    series: &[Series],
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (title_size, label_size, width) = if look.small { (15, 10, 1) } else { (22, 14, 2) };
    let mut chart = ChartBuilder::on(area)
        .caption(look.title, (FAMILY, title_size))
        .margin(if look.small { 4 } else { 12 })
        .x_label_area_size(if look.small { 18 } else { 40 })
        .y_label_area_size(if look.small { 30 } else { 55 })
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.label_style((FAMILY, label_size))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| short(*v));
    if look.small {
        mesh.x_labels(5).y_labels(4);
    } else {
        mesh.x_desc(look.x_desc).y_desc(look.y_desc).axis_desc_style((FAMILY, 16));
    }
    mesh.draw()?;
    for (s, color) in series.iter().zip(COLORS.iter().cycle()) {
        let style = color.stroke_width(width);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), style))?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    if !look.small {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    Ok(())
}

/// A PNG of `size` pixels at `path`, drawn by `draw` on a white page.
pub fn png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Drawn,
) -> Drawn {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    draw(&root)?;
    root.present()?;
    Ok(())
}

/// A histogram of `values` in `bins` equal bins over their range, drawn as bars on `area`.
pub fn histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    values: &[f32],
    bins: usize,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let x = span([values]);
    let width = (x.end - x.start) / bins as f32;
    let mut counts = vec![0u32; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        counts[(((v - x.start) / width) as usize).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1) as f32 * 1.05;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 17))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(65)
        .build_cartesian_2d(x.clone(), 0.0..top)?;
    chart
        .configure_mesh()
        .label_style((FAMILY, 13))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_label_formatter(&|v| short(*v))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("value")
        .y_desc("count")
        .axis_desc_style((FAMILY, 14))
        .draw()?;
    chart.draw_series(counts.iter().enumerate().map(|(i, &c)| {
        let left = x.start + i as f32 * width;
        Rectangle::new([(left, 0.0), (left + width, c as f32)], COLORS[0].mix(0.8).filled())
    }))?;
    Ok(())
}
