//! Small plots painted straight into egui: a free-energy heatmap and line charts.
//! (The same data is exported with plotters by the command line's `analyze`.)

use bevy_egui::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2};

/// Free energies above this many k_BT over the minimum share the last colour.
const F_MAX: f64 = 6.0;

fn viridis(t: f64) -> Color32 {
    // A few stops of viridis, linearly interpolated: low free energy is bright.
    const STOPS: [(f64, [u8; 3]); 5] = [
        (0.0, [253, 231, 37]),
        (0.25, [94, 201, 98]),
        (0.5, [33, 145, 140]),
        (0.75, [59, 82, 139]),
        (1.0, [68, 1, 84]),
    ];
    let t = t.clamp(0.0, 1.0);
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if t <= b {
            let f = (t - a) / (b - a);
            let mix = |i: usize| (ca[i] as f64 + f * (cb[i] as f64 - ca[i] as f64)) as u8;
            return Color32::from_rgb(mix(0), mix(1), mix(2));
        }
    }
    Color32::from_rgb(68, 1, 84)
}

/// Axis frame with a title; returns the plotting rectangle.
pub fn frame_ui(ui: &mut egui::Ui, size: Vec2, title: &str) -> (egui::Painter, Rect) {
    let (resp, painter) = ui.allocate_painter(size, Sense::hover());
    // The title is painted, not a widget: say it to screen readers (and UI tests).
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Image, true, title));
    let r = resp.rect;
    painter.text(
        r.left_top() + Vec2::new(4.0, 0.0),
        egui::Align2::LEFT_TOP,
        title,
        egui::FontId::proportional(12.0),
        Color32::LIGHT_GRAY,
    );
    let plot = Rect::from_min_max(r.min + Vec2::new(30.0, 16.0), r.max - Vec2::new(4.0, 16.0));
    painter.rect_filled(plot, 0.0, Color32::from_rgb(20, 22, 28));
    (painter, plot)
}

fn tick(painter: &egui::Painter, at: Pos2, text: String, align: egui::Align2) {
    painter.text(at, align, text, egui::FontId::monospace(9.0), Color32::GRAY);
}

/// Free-energy heatmap of `counts` (row-major, x-bin major). With `angles`, both axes
/// are torsions from −180 to 180 (φ, ψ); otherwise they are TIC 0 and TIC 1.
pub fn heatmap_ui(
    ui: &mut egui::Ui,
    counts: &[f64],
    bins: usize,
    side: f32,
    title: &str,
    angles: bool,
) {
    let key = ui.next_auto_id();
    let (painter, plot) = frame_ui(ui, Vec2::new(side + 34.0, side + 32.0), title);
    fill_density(&painter, key, plot, counts, bins, bins, f64::INFINITY);
    let axes = if angles {
        ["φ", "ψ"]
    } else {
        ["TIC 0", "TIC 1"]
    };
    let ticks: &[i32] = if angles { &[-180, 0, 180] } else { &[] };
    for (k, v) in ticks.iter().enumerate() {
        let fx = k as f32 / 2.0;
        let align = [
            egui::Align2::LEFT_TOP,
            egui::Align2::CENTER_TOP,
            egui::Align2::RIGHT_TOP,
        ][k];
        tick(
            &painter,
            Pos2::new(plot.min.x + fx * plot.width(), plot.max.y + 1.0),
            format!("{v}"),
            align,
        );
        tick(
            &painter,
            Pos2::new(plot.min.x - 2.0, plot.max.y - fx * plot.height()),
            format!("{v}"),
            egui::Align2::RIGHT_CENTER,
        );
    }
    tick(
        &painter,
        Pos2::new(plot.center().x + 14.0, plot.max.y + 1.0),
        axes[0].into(),
        egui::Align2::LEFT_TOP,
    );
    tick(
        &painter,
        Pos2::new(plot.min.x + 2.0, plot.min.y),
        axes[1].into(),
        egui::Align2::LEFT_TOP,
    );
}

/// Paint `counts` (x-bin major, `nx` × `ny`) into `plot` as free energy −ln(c/max),
/// or say that there is nothing yet.
pub fn fill_density(
    painter: &egui::Painter,
    key: egui::Id,
    plot: Rect,
    counts: &[f64],
    nx: usize,
    ny: usize,
    hide_above: f64,
) {
    let total: f64 = counts.iter().sum();
    let max = counts.iter().cloned().fold(0.0, f64::max);
    if total <= 0.0 || counts.len() != nx * ny {
        painter.text(
            plot.center(),
            egui::Align2::CENTER_CENTER,
            "no samples yet",
            egui::FontId::proportional(11.0),
            Color32::GRAY,
        );
        return;
    }
    // One texel a bin, uploaded only when the counts change: a mesh of nx·ny quads
    // re-tessellated every frame cost most of a software renderer's frame.
    let texture = density_texture(painter.ctx(), key, counts, nx, ny, hide_above, max);
    painter.image(
        texture,
        plot,
        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
        Color32::WHITE,
    );
}

/// The free-energy picture of `counts` as an egui texture, kept in the context's
/// memory under the plot widget's id (stable through scrolling and resizing) and
/// re-uploaded only when the counts differ.
fn density_texture(
    ctx: &egui::Context,
    key: egui::Id,
    counts: &[f64],
    nx: usize,
    ny: usize,
    hide_above: f64,
    max: f64,
) -> egui::TextureId {
    use std::hash::{Hash, Hasher};
    #[derive(Clone)]
    struct Cached {
        fingerprint: u64,
        texture: egui::TextureHandle,
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (nx, ny, hide_above.to_bits()).hash(&mut h);
    counts.iter().for_each(|c| c.to_bits().hash(&mut h));
    let fingerprint = h.finish();
    let key = key.with("density");
    let cached = ctx.data(|d| d.get_temp::<Cached>(key));
    if let Some(c) = &cached {
        if c.fingerprint == fingerprint {
            return c.texture.id();
        }
    }
    // Texel (column i, row r) is bin (i, ny − 1 − r): the second coordinate runs up.
    let mut pixels = vec![Color32::TRANSPARENT; nx * ny];
    for i in 0..nx {
        for j in 0..ny {
            let c = counts[i * ny + j];
            if c <= 0.0 {
                continue;
            }
            let f = -(c / max).ln();
            if f <= hide_above {
                pixels[(ny - 1 - j) * nx + i] = viridis(f / F_MAX);
            }
        }
    }
    let image = egui::ColorImage::new([nx, ny], pixels);
    let options = egui::TextureOptions::NEAREST;
    let texture = match cached {
        // In place: bevy_egui turns a whole-texture `set` into a new image asset,
        // which is not drawable until the renderer has prepared it, so a panel whose
        // counts change every frame would never show (or flicker).
        Some(mut c) if c.texture.size() == [nx, ny] => {
            c.texture.set_partial([0, 0], image, options);
            c.texture
        }
        _ => ctx.load_texture("density", image, options),
    };
    let id = texture.id();
    ctx.data_mut(|d| {
        d.insert_temp(
            key,
            Cached {
                fingerprint,
                texture,
            },
        )
    });
    id
}

pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<[f64; 2]>,
    pub color: Color32,
}

/// Line chart of several series on shared axes.
pub fn lines_ui(ui: &mut egui::Ui, size: Vec2, title: &str, series: &[Series], y_from_zero: bool) {
    let (painter, plot) = frame_ui(ui, size, title);
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in pts {
        if p[0].is_finite() && p[1].is_finite() {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
    }
    if x0 > x1 {
        painter.text(
            plot.center(),
            egui::Align2::CENTER_CENTER,
            "no data yet",
            egui::FontId::proportional(11.0),
            Color32::GRAY,
        );
        return;
    }
    if y_from_zero {
        y0 = y0.min(0.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let map = |p: &[f64; 2]| {
        Pos2::new(
            plot.min.x + ((p[0] - x0) / (x1 - x0)) as f32 * plot.width(),
            plot.max.y - ((p[1] - y0) / (y1 - y0)) as f32 * plot.height(),
        )
    };
    for s in series {
        let line: Vec<Pos2> = s
            .points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite())
            .map(map)
            .collect();
        if line.len() > 1 {
            painter.add(egui::Shape::line(line, Stroke::new(1.5, s.color)));
        }
    }
    tick(
        &painter,
        Pos2::new(plot.min.x, plot.max.y + 1.0),
        fmt(x0),
        egui::Align2::LEFT_TOP,
    );
    tick(
        &painter,
        Pos2::new(plot.max.x, plot.max.y + 1.0),
        fmt(x1),
        egui::Align2::RIGHT_TOP,
    );
    tick(
        &painter,
        Pos2::new(plot.min.x - 2.0, plot.max.y),
        fmt(y0),
        egui::Align2::RIGHT_BOTTOM,
    );
    tick(
        &painter,
        Pos2::new(plot.min.x - 2.0, plot.min.y),
        fmt(y1),
        egui::Align2::RIGHT_TOP,
    );
    // Legend.
    let mut at = Pos2::new(plot.max.x - 4.0, plot.min.y + 2.0);
    for s in series {
        painter.text(
            at,
            egui::Align2::RIGHT_TOP,
            s.label,
            egui::FontId::proportional(10.0),
            s.color,
        );
        at.y += 12.0;
    }
}

fn fmt(v: f64) -> String {
    if v.abs() >= 1000.0 || (v != 0.0 && v.abs() < 0.01) {
        format!("{v:.1e}")
    } else {
        format!("{v:.2}")
    }
}
