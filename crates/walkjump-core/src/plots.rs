//! PNG/SVG figures drawn with plotters: heatmaps (Ramachandran, densities) and line plots.

use crate::analysis::histogram::Hist2d;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

static FONT: Once = Once::new();

fn ensure_font() {
    FONT.call_once(|| {
        // Bundled so that plots render identically without system fonts.
        let bytes: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font("sans-serif", style, bytes).is_err() {
                tracing::warn!("the bundled font did not load: figures will lack text");
            }
        }
    });
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::write(path, std::io::Error::other(e.to_string()))
}

#[derive(Clone, Copy)]
enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format> {
    let ext = crate::error::lower_extension(path);
    match ext.as_str() {
        "png" => Ok(Format::Png),
        "svg" => Ok(Format::Svg),
        _ => Err(Error::Extension {
            path: path.into(),
            ext,
            expected: ".png or .svg",
        }),
    }
}

/// Where a figure is drawn before it is renamed over `path`: beside it, with the same
/// extension (plotters picks the image format from it).
fn temp_figure(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "figure".into());
    let ext = path
        .extension()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{stem}.{}.part.{ext}", std::process::id()))
}

/// Removes the temporary figure unless it was renamed into place.
struct TempFigure(Option<PathBuf>);

impl Drop for TempFigure {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            std::fs::remove_file(p).ok();
        }
    }
}

/// Run `$draw(&root)` on a PNG or SVG backend, whichever the extension asks for.
/// plotters writes to a path itself, so it draws into a temporary file beside the
/// destination that is renamed into place once whole: the previous figure survives
/// a failed or interrupted save.
macro_rules! render {
    ($path:expr, $size:expr, $draw:ident $(, $arg:expr)*) => {{
        ensure_font();
        let path: &Path = $path;
        let format = format_of(path)?;
        let tmp = temp_figure(path);
        // Declared before the backend, so dropped after it: a backend dropped without
        // a successful present() writes its file once more.
        let mut guard = TempFigure(Some(tmp.clone()));
        match format {
            Format::Png => {
                let root = BitMapBackend::new(&tmp, $size).into_drawing_area();
                $draw(&root $(, $arg)*).map_err(|e| plot_err(path, e))?;
                root.present().map_err(|e| plot_err(path, e))?;
            }
            Format::Svg => {
                let root = SVGBackend::new(&tmp, $size).into_drawing_area();
                $draw(&root $(, $arg)*).map_err(|e| plot_err(path, e))?;
                root.present().map_err(|e| plot_err(path, e))?;
            }
        }
        std::fs::rename(&tmp, path).map_err(|e| Error::write(path, e))?;
        guard.0 = None;
        Ok(())
    }};
}

/// Map t in [0, 1] to a perceptually ordered colour (dark blue → yellow).
pub fn colormap(t: f64) -> RGBColor {
    let stops = [
        (0.0, (48, 18, 59)),
        (0.25, (50, 130, 200)),
        (0.5, (40, 190, 140)),
        (0.75, (200, 210, 60)),
        (1.0, (250, 240, 80)),
    ];
    let t = t.clamp(0.0, 1.0);
    for w in stops.windows(2) {
        let (a, ca) = w[0];
        let (b, cb) = w[1];
        if t <= b {
            let f = (t - a) / (b - a);
            let mix = |x: u8, y: u8| (x as f64 + f * (y as f64 - x as f64)).round() as u8;
            return RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2));
        }
    }
    RGBColor(250, 240, 80)
}

/// One heatmap panel. With `free_energy`, cells show −ln p (k_BT) capped at `fe_max`,
/// low energy bright; empty cells stay white.
#[derive(Clone)]
pub struct Heatmap<'a> {
    pub title: String,
    pub hist: &'a Hist2d,
    pub xlabel: &'a str,
    pub ylabel: &'a str,
    pub free_energy: bool,
}

impl<'a> Heatmap<'a> {
    /// One Ramachandran free-energy panel per residue of `e`, titled "<res> <what> (n=…)".
    pub fn ramachandran(e: &'a crate::analysis::peptide::PeptideEnsemble, what: &str) -> Vec<Self> {
        e.rama_plot
            .iter()
            .zip(&e.rama_pairs)
            .map(|(h, (_, _, l))| Heatmap {
                title: format!("{l} {what} (n={})", e.frames),
                hist: h,
                xlabel: "phi (deg)",
                ylabel: "psi (deg)",
                free_energy: true,
            })
            .collect()
    }
}

const FE_MAX: f64 = 8.0;

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    hm: &Heatmap,
) -> std::result::Result<(), String> {
    let h = hm.hist;
    let p = h.normalized();
    let pmax = p.iter().cloned().fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(&hm.title, ("sans-serif", 20))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(h.x.lo..h.x.hi, h.y.lo..h.y.hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(hm.xlabel)
        .y_desc(hm.ylabel)
        .draw()
        .map_err(|e| e.to_string())?;
    let (wx, wy) = (h.x.width(), h.y.width());
    chart
        .draw_series(
            (0..h.x.bins)
                .flat_map(|i| (0..h.y.bins).map(move |j| (i, j)))
                .filter_map(|(i, j)| {
                    let v = p[i * h.y.bins + j];
                    if v <= 0.0 || pmax <= 0.0 {
                        return None;
                    }
                    let t = if hm.free_energy {
                        let fe = -(v / pmax).ln();
                        1.0 - (fe / FE_MAX).min(1.0)
                    } else {
                        v / pmax
                    };
                    let x0 = h.x.lo + i as f64 * wx;
                    let y0 = h.y.lo + j as f64 * wy;
                    Some(Rectangle::new(
                        [(x0, y0), (x0 + wx, y0 + wy)],
                        colormap(t).filled(),
                    ))
                }),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn draw_heatmaps<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Heatmap],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (a, hm) in areas.iter().zip(panels) {
        draw_heatmap(a, hm)?;
    }
    Ok(())
}

/// Heatmaps side by side in one figure.
pub fn heatmaps(path: &Path, panels: &[Heatmap]) -> Result<()> {
    let n = panels.len().max(1) as u32;
    render!(path, (440 * n, 440), draw_heatmaps, panels)
}

/// Named (x, y) series for a line plot.
pub type Series = Vec<(String, Vec<(f64, f64)>)>;

struct LinePlot<'a> {
    title: &'a str,
    xlabel: &'a str,
    ylabel: &'a str,
    series: &'a Series,
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lp: &LinePlot,
) -> std::result::Result<(), String> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in lp.series.iter().flat_map(|(_, s)| s.iter()) {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if x0 >= x1 {
        (x0, x1) = (0.0, 1.0);
    }
    if y0 >= y1 {
        (y0, y1) = (y0.min(0.0), y0.max(0.0) + 1.0);
    }
    let pad = 0.05 * (y1 - y0);
    let palette = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(lp.title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(lp.xlabel)
        .y_desc(lp.ylabel)
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (name, s)) in lp.series.iter().enumerate() {
        let c = palette[k % palette.len()];
        chart
            .draw_series(LineSeries::new(s.iter().cloned(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A line plot of named series.
pub fn lines(path: &Path, title: &str, xlabel: &str, ylabel: &str, series: &Series) -> Result<()> {
    let lp = LinePlot {
        title,
        xlabel,
        ylabel,
        series,
    };
    render!(path, (720, 460), draw_lines, &lp)
}
