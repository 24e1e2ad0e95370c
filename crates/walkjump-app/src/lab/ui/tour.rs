//! A short guided tour for a first-time student: a few steps of text, each of which
//! may set the lab up to show what it talks about.

use super::Tab;
use bevy_egui::egui;

pub struct Step {
    pub title: &'static str,
    pub text: &'static str,
    /// The tab the step talks about; the tour opens it.
    pub tab: Tab,
    /// The noise level it talks about, if any; the walk-jump tab applies it.
    pub sigma: Option<f64>,
}

pub const STEPS: [Step; 6] = [
    Step {
        title: "1. The target and its blurred twin",
        text: "Left: p_X, the density we want samples from (here a double well). Middle: p_Y, the same density after adding Gaussian noise of size σ. The arrows are the score of p_Y, (E[x|y] − y)/σ², which the denoiser gives in one call.",
        tab: Tab::WalkJump,
        sigma: Some(0.3),
    },
    Step {
        title: "2. The walk",
        text: "The white path is the walk: Langevin dynamics in the noisy space, pushed by the score. p_Y is smoother than p_X, so the walk crosses between wells more easily than dynamics on p_X would.",
        tab: Tab::WalkJump,
        sigma: None,
    },
    Step {
        title: "3. The jump",
        text: "Each orange dot is a jump: the denoiser's estimate E[x|y] of a clean point. The bottom row fills in as samples accumulate; its TVD to the exact law falls towards zero.",
        tab: Tab::WalkJump,
        sigma: None,
    },
    Step {
        title: "4. Turn σ up",
        text: "σ is now 1.0: p_Y's two wells have merged and the walk roams freely, but the mean jumps E[x|y] now gather between the wells. Their exact law (top right) departs from p_X. Choose 'posterior draw' as the jump and the samples follow p_X again.",
        tab: Tab::WalkJump,
        sigma: Some(1.0),
    },
    Step {
        title: "5. Diffusion beside walk-jump",
        text: "Reverse diffusion reaches p_X too, by annealing the noise from wide to small: dozens of denoiser calls for each sample. Walk-jump spends one call per sample at a single σ. Compare samples per second and TVD in the table.",
        tab: Tab::Diffusion,
        sigma: Some(0.3),
    },
    Step {
        title: "6. Diffusion over whole trajectories",
        text: "DynamicsDiffusion: a model of 64-frame snippets of Brownian dynamics. Generate trajectories and compare their free energy and autocorrelation with simulation; inpaint (fix the first frame in one well and the last in the other) to draw transition paths; or make variations of a simulated one.",
        tab: Tab::Dynamics,
        sigma: None,
    },
];

/// What the student asked of the tour window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TourAction {
    GoTo(usize),
    Close,
}

/// The tour window at step `k` (0-based).
pub fn window(ctx: &egui::Context, k: usize) -> Option<TourAction> {
    let k = k.min(STEPS.len() - 1);
    let step = &STEPS[k];
    let mut action = None;
    egui::Window::new("Guided tour")
        .collapsible(false)
        .resizable(false)
        .default_width(380.0)
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::Vec2::new(-16.0, -40.0))
        .show(ctx, |ui| {
            ui.strong(step.title);
            ui.label(step.text);
            ui.horizontal(|ui| {
                if ui.add_enabled(k > 0, egui::Button::new("◀ Back")).clicked() {
                    action = Some(TourAction::GoTo(k - 1));
                }
                if k + 1 < STEPS.len() {
                    if ui.button("Next ▶").clicked() {
                        action = Some(TourAction::GoTo(k + 1));
                    }
                } else if ui.button("Finish").clicked() {
                    action = Some(TourAction::Close);
                }
                if ui.button("Close").clicked() {
                    action = Some(TourAction::Close);
                }
                ui.label(format!("{}/{}", k + 1, STEPS.len()));
            });
        });
    action
}
