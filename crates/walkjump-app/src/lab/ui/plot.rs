//! What the tabs' plots share: density panels and the map into them.

use crate::paint::{fill_density, frame_ui};
use bevy_egui::egui::{self, Pos2, Rect, Vec2};
use walkjump_core::analysis::{Hist2d, Range};

/// Map a point in data coordinates into a plot rectangle.
pub fn to_screen(plot: Rect, xr: Range, yr: Range, p: [f64; 2]) -> Pos2 {
    Pos2::new(
        plot.min.x + ((p[0] - xr.lo) / (xr.hi - xr.lo)) as f32 * plot.width(),
        plot.max.y - ((p[1] - yr.lo) / (yr.hi - yr.lo)) as f32 * plot.height(),
    )
}

/// A density panel; returns the painter and plot rectangle for overlays.
pub fn density_plot_ui(
    ui: &mut egui::Ui,
    h: &Hist2d,
    size: Vec2,
    title: &str,
) -> (egui::Painter, Rect) {
    let key = ui.next_auto_id();
    let (painter, plot) = frame_ui(ui, size, title);
    // Exact laws are positive everywhere on their grid; past 9 k_BT it is only noise.
    fill_density(&painter, key, plot, &h.counts, h.x.bins, h.y.bins, 9.0);
    // Overlays (paths, arrows) stay inside the plot.
    (painter.with_clip_rect(plot), plot)
}
