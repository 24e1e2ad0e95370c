//! "Diffusion beside walk-jump": reverse diffusion with the exact denoiser next to
//! walk-jump on the same density. Both run in the shared session's thread, which
//! gives them the same share of each slice; this tab owns the noise ladder's length.

use super::plot::{density_plot_ui, to_screen};
use super::{LabShared, LabTab, Tab};
use bevy_egui::egui::{self, Color32, Pos2, Stroke, Vec2};
use walkjump_nn::lab::session::{PlanarView, SessionCommand};

pub struct DiffusionTab {
    /// Noise levels per sample (the slider's value).
    pub steps: usize,
}

impl DiffusionTab {
    pub fn new(view: &PlanarView) -> Self {
        DiffusionTab {
            steps: view.diffusion_steps,
        }
    }
}

impl LabTab for DiffusionTab {
    fn tab(&self) -> Tab {
        Tab::Diffusion
    }

    fn name(&self) -> &'static str {
        "Diffusion beside walk-jump"
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared) {
        ui.label("Diffusion");
        let s = ui.add(egui::Slider::new(&mut self.steps, 5..=200).text("noise levels per sample"));
        if s.drag_stopped() || (s.changed() && !s.dragged()) {
            shared
                .session
                .apply(SessionCommand::DiffusionSteps(self.steps), "diffusion");
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared) {
        diffusion_ui(ui, shared.session.view());
    }

    /// Nothing of its own: the session is polled by the `Lab`.
    fn poll(&mut self, _shared: &mut LabShared) {}
}

/// The diffusion tab's plots and the cost table.
pub fn diffusion_ui(ui: &mut egui::Ui, lab: &PlanarView) {
    let avail = ui.available_size();
    let side = ((avail.x - 30.0) / 3.0).min(avail.y - 160.0).max(150.0);
    let size = Vec2::new(side, side);
    ui.horizontal(|ui| {
        density_plot_ui(ui, &lab.p_x, size, "exact p_X");
        let (p, plot) = density_plot_ui(
            ui,
            &lab.diffused,
            size,
            &format!(
                "reverse diffusion: TVD {:.3} to p_X",
                lab.tvd_diffusion_vs_p_x
            ),
        );
        let path: Vec<Pos2> = lab
            .diffusion_path
            .iter()
            .map(|q| to_screen(plot, lab.xr, lab.yr, *q))
            .collect();
        p.add(egui::Shape::line(path, Stroke::new(1.0, Color32::WHITE)));
        density_plot_ui(
            ui,
            &lab.jumps,
            size,
            &format!("walk-jump jumps: TVD {:.3} to p_X", lab.tvd_jumps_vs_p_x),
        );
    });
    ui.add_space(6.0);
    egui::Grid::new("cost").striped(true).show(ui, |ui| {
        ui.label("");
        ui.label("samples");
        ui.label("samples/s");
        ui.label("denoiser calls per sample");
        ui.label("TVD to p_X");
        ui.end_row();
        ui.label("reverse diffusion");
        ui.label(format!("{}", lab.diffusion_samples));
        ui.label(format!("{:.0}", lab.diffusion_rate));
        ui.label(format!("{}", lab.diffusion_steps));
        ui.label(format!("{:.3}", lab.tvd_diffusion_vs_p_x));
        ui.end_row();
        ui.label("walk-jump");
        ui.label(format!("{}", lab.wj_samples));
        ui.label(format!("{:.0}", lab.wj_rate));
        ui.label("1");
        ui.label(format!("{:.3}", lab.tvd_jumps_vs_p_x));
        ui.end_row();
    });
    ui.label("Both get the same share of each frame. Diffusion anneals σ from wide to small (the white path is one particle's way down); walk-jump keeps one σ and returns a sample per denoiser call. Use posterior-draw jumps for an exact walk-jump sample of p_X; mean jumps are smoothed by σ.");
}
