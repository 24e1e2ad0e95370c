//! "Walk-jump, exactly": the walk's and the jumps' histograms against their exact
//! laws. The tab owns the walk's controls and the training of a learned denoiser.

use super::plot::{density_plot_ui, to_screen};
use super::tour;
use super::worker::{Polled, Worker};
use super::{LabShared, LabTab, Tab};
use crate::palette;
use bevy_egui::egui::{self, Color32, Pos2, Stroke, Vec2};
use std::ops::ControlFlow;
use walkjump_core::sampler::JumpKind;
use walkjump_nn::lab::mlp2d::{train, PlanarMlp, PlanarTrainConfig};
use walkjump_nn::lab::session::{LabSystem, PlanarView, SessionCommand, SCORE_LATTICE};

enum TrainMsg {
    Progress(f64),
    Done(Box<PlanarMlp>, f64),
    Failed(String),
}

pub struct WalkJumpTab {
    /// The density and σ the session was last asked for (its view may be a slice
    /// behind).
    kind: LabSystem,
    applied_sigma: f64,
    /// The sliders' values.
    pub sigma: f64,
    pub gamma: f64,
    pub dt: f64,
    pub chains: usize,
    pub sample_jumps: bool,
    /// Training of a learned denoiser, and the density it is trained on.
    training: Option<(Worker<(), TrainMsg>, LabSystem)>,
    pub train_progress: f64,
}

impl WalkJumpTab {
    pub fn new(view: &PlanarView) -> Self {
        WalkJumpTab {
            kind: view.kind,
            applied_sigma: view.params.sigma,
            sigma: view.params.sigma,
            gamma: view.params.gamma,
            dt: view.params.dt,
            chains: view.chains,
            sample_jumps: view.params.jump == JumpKind::Sample,
            training: None,
            train_progress: 0.0,
        }
    }

    /// The noise level the session was last asked for.
    #[allow(dead_code)] // for tests/lab_ui.rs
    pub fn applied_sigma(&self) -> f64 {
        self.applied_sigma
    }

    #[allow(dead_code)] // for tests/lab_ui.rs
    pub fn is_training(&self) -> bool {
        self.training.is_some()
    }

    /// A new σ: new exact laws, Δt = σ, the chains restart.
    pub fn set_sigma(&mut self, sigma: f64, shared: &mut LabShared) {
        self.sigma = sigma;
        self.applied_sigma = sigma;
        self.dt = sigma;
        shared.session.apply(SessionCommand::Sigma(sigma), "σ");
    }

    /// Train the small learned denoiser at the current σ, on a worker.
    pub fn start_training(&mut self, shared: &mut LabShared) {
        let (kind, sigma) = (self.kind, self.applied_sigma);
        let job = Worker::job("training", move |out| {
            let t0 = std::time::Instant::now();
            let system = kind.make();
            let cfg = PlanarTrainConfig::new(sigma);
            let r = train(system.as_ref(), &cfg, |p| {
                match out.send(TrainMsg::Progress(p.fraction())) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            });
            let _ = out.send(match r {
                Ok(m) => TrainMsg::Done(Box::new(m), t0.elapsed().as_secs_f64()),
                Err(e) => TrainMsg::Failed(e.to_string()),
            });
        });
        self.training = Some((job, kind));
        self.train_progress = 0.0;
        shared.log.say(
            format!("training a learned denoiser at σ = {sigma:.2} …"),
            false,
        );
    }

    fn trained(
        &mut self,
        model: Box<PlanarMlp>,
        secs: f64,
        kind: LabSystem,
        shared: &mut LabShared,
    ) {
        let (sigma, loss) = (model.sigma(), model.final_loss);
        if kind != self.kind {
            shared.log.say(
                format!("the learned denoiser was trained on the {}, but the density has changed since; train again", kind.label()),
                true,
            );
            return;
        }
        if (self.applied_sigma - sigma).abs() > 1e-9 {
            shared.log.say(
                format!("the learned denoiser was trained at σ = {sigma:.2}, but σ has changed since; train again"),
                true,
            );
            return;
        }
        shared.session.apply(
            SessionCommand::Learned(model),
            "could not use the learned denoiser",
        );
        shared.log.say(
            format!(
                "learned denoiser trained in {secs:.1} s (loss {loss:.3}); the walk now uses it"
            ),
            false,
        );
        self.sample_jumps = false;
    }
}

impl LabTab for WalkJumpTab {
    fn tab(&self) -> Tab {
        Tab::WalkJump
    }

    fn name(&self) -> &'static str {
        "Walk-jump, exactly"
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared) {
        let view = shared.session.view();
        let (using_learned, learned_sigma) = (view.using_learned, view.learned_sigma);
        ui.heading("Lab");
        let mut kind = self.kind;
        egui::ComboBox::from_label("density")
            .selected_text(kind.label())
            .show_ui(ui, |ui| {
                for k in LabSystem::ALL {
                    ui.selectable_value(&mut kind, k, k.label());
                }
            });
        if kind != self.kind {
            // A new density keeps σ, the chains, the walk and the diffusion ladder.
            self.kind = kind;
            shared.session.apply(
                SessionCommand::System(kind),
                format!("could not open {}", kind.label()),
            );
        }
        ui.separator();
        ui.label("Noise and walk");
        let r = ui.add(egui::Slider::new(&mut self.sigma, 0.05..=1.5).text("σ noise"));
        // σ rebuilds the exact laws: apply it when the drag ends, not on every pixel.
        if (r.drag_stopped() || (r.changed() && !r.dragged()))
            && (self.sigma - self.applied_sigma).abs() > 1e-9
        {
            self.set_sigma(self.sigma, shared);
        }
        let g = ui.add(
            egui::Slider::new(&mut self.gamma, 0.05..=10.0)
                .logarithmic(true)
                .text("γ friction"),
        );
        let d = ui.add(
            egui::Slider::new(&mut self.dt, 0.01..=2.0)
                .logarithmic(true)
                .text("Δt step"),
        );
        let mut jump_changed = false;
        ui.horizontal(|ui| {
            ui.label("jump:");
            jump_changed |= ui
                .selectable_value(&mut self.sample_jumps, false, "mean E[x|y]")
                .changed();
            jump_changed |= ui
                .add_enabled(
                    !using_learned,
                    egui::Button::selectable(self.sample_jumps, "posterior draw"),
                )
                .on_hover_text("x ~ p(x | y): exact, so only with the exact denoiser")
                .clicked()
                && {
                    self.sample_jumps = true;
                    true
                };
        });
        if g.changed() || d.changed() || jump_changed {
            let jump = if self.sample_jumps {
                JumpKind::Sample
            } else {
                JumpKind::Mean
            };
            shared.session.apply(
                SessionCommand::Dynamics {
                    gamma: self.gamma,
                    dt: self.dt,
                    jump,
                },
                "walk",
            );
        }
        let c = ui.add(
            egui::Slider::new(&mut self.chains, 1..=512)
                .logarithmic(true)
                .text("chains"),
        );
        if c.drag_stopped() || (c.changed() && !c.dragged()) {
            shared
                .session
                .apply(SessionCommand::Chains(self.chains), "chains");
        }
        ui.horizontal(|ui| {
            let running = shared.session.running();
            if ui
                .button(if running { "⏸ Pause" } else { "▶ Run" })
                .clicked()
            {
                shared.session.set_running(!running);
            }
            if ui
                .button("Defaults")
                .on_hover_text("γ = 1, Δt = σ, mean jumps")
                .clicked()
            {
                self.gamma = 1.0;
                self.dt = self.applied_sigma;
                self.sample_jumps = false;
                shared.session.apply(
                    SessionCommand::Dynamics {
                        gamma: 1.0,
                        dt: self.applied_sigma,
                        jump: JumpKind::Mean,
                    },
                    "defaults",
                );
            }
        });
        ui.separator();
        ui.label("Denoiser");
        let learned_fits = learned_sigma.is_some_and(|s| (s - self.applied_sigma).abs() < 1e-9);
        ui.horizontal(|ui| {
            if ui
                .selectable_label(!using_learned, "exact (quadrature)")
                .clicked()
                && using_learned
            {
                shared
                    .session
                    .apply(SessionCommand::UseLearned(false), "denoiser");
            }
            if ui
                .add_enabled(
                    learned_fits,
                    egui::Button::selectable(using_learned, "learned MLP"),
                )
                .clicked()
                && !using_learned
            {
                self.sample_jumps = false;
                shared
                    .session
                    .apply(SessionCommand::UseLearned(true), "denoiser");
            }
        });
        if self.training.is_some() {
            ui.add(
                egui::ProgressBar::new(self.train_progress as f32).text("training (burn, CPU)"),
            );
        } else if ui
            .button(format!("Train learned denoiser at σ = {:.2}", self.applied_sigma))
            .on_hover_text("A small MLP trained by denoising score matching on draws from the density; a few seconds.")
            .clicked()
        {
            self.start_training(shared);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared) {
        walk_jump_ui(ui, shared.session.view());
    }

    fn poll(&mut self, shared: &mut LabShared) {
        let Some((job, kind)) = &self.training else {
            return;
        };
        let kind = *kind;
        let mut outcome = None;
        for p in job.poll() {
            match p {
                Polled::Message(TrainMsg::Progress(f)) => self.train_progress = f,
                Polled::Message(TrainMsg::Done(model, secs)) => outcome = Some(Ok((model, secs))),
                Polled::Message(TrainMsg::Failed(e)) => {
                    outcome = Some(Err(format!("training failed: {e}")))
                }
                Polled::Ended => {
                    outcome = outcome.or(Some(Err("training stopped without a result".into())))
                }
            }
        }
        let Some(outcome) = outcome else {
            return;
        };
        self.training = None;
        match outcome {
            Ok((model, secs)) => self.trained(model, secs, kind, shared),
            Err(e) => shared.log.say(e, true),
        }
    }

    fn tour_step(&mut self, step: &tour::Step, shared: &mut LabShared) {
        if let Some(sigma) = step.sigma {
            if (self.applied_sigma - sigma).abs() > 1e-9 {
                self.set_sigma(sigma, shared);
            }
        }
    }
}

/// The walk-jump tab's plots: p_X, p_Y with the score field and the walk, the
/// jumps' exact law; below, the jumps and the walk so far with their TVDs.
pub fn walk_jump_ui(ui: &mut egui::Ui, lab: &PlanarView) {
    let avail = ui.available_size();
    let side = ((avail.x - 30.0) / 3.0)
        .min((avail.y - 20.0) / 2.0)
        .max(150.0);
    let size = Vec2::new(side, side);
    let (xr, yr) = (lab.xr, lab.yr);
    let sigma = lab.params.sigma;
    let orange = palette::JUMPS;
    ui.horizontal(|ui| {
        let (p, plot) = density_plot_ui(ui, &lab.p_x, size, "p_X and the latest jumps (orange)");
        for q in lab.trail_x.iter().rev().take(120) {
            p.circle_filled(to_screen(plot, xr, yr, *q), 2.0, orange);
        }
        let (p, plot) = density_plot_ui(
            ui,
            &lab.p_y,
            size,
            &format!("p_Y at σ = {sigma:.2}, score field, y-walk (white)"),
        );
        let max = lab
            .score
            .iter()
            .map(|(_, s)| (s[0] * s[0] + s[1] * s[1]).sqrt())
            .fold(1e-12, f64::max);
        let cell = plot.width() / SCORE_LATTICE as f32;
        for (at, s) in &lab.score {
            let n = (s[0] * s[0] + s[1] * s[1]).sqrt();
            // Arrow length grows with |score| but saturates, so weak regions still show direction.
            let len = cell * 0.85 * (n / max).sqrt() as f32;
            let dir = Vec2::new(s[0] as f32, -s[1] as f32).normalized() * len;
            p.arrow(
                to_screen(plot, xr, yr, *at),
                dir,
                Stroke::new(1.0, Color32::from_white_alpha(150)),
            );
        }
        let path: Vec<Pos2> = lab
            .trail_y
            .iter()
            .map(|q| to_screen(plot, xr, yr, *q))
            .collect();
        p.add(egui::Shape::line(path, Stroke::new(1.2, Color32::WHITE)));
        let label = if lab.params.jump == JumpKind::Sample {
            "posterior draws should follow p_X"
        } else {
            "exact law of the mean jump E[x|Y], Y ~ p_Y"
        };
        density_plot_ui(ui, lab.jump_target(), size, label);
    });
    ui.horizontal(|ui| {
        density_plot_ui(
            ui,
            &lab.jumps,
            size,
            &format!(
                "jumps so far: TVD {:.3} to their law, {:.3} to p_X",
                lab.tvd_jumps_vs_target, lab.tvd_jumps_vs_p_x
            ),
        );
        density_plot_ui(
            ui,
            &lab.walk,
            size,
            &format!("y-walk so far: TVD {:.3} to p_Y", lab.tvd_walk_vs_p_y),
        );
        ui.vertical(|ui| {
            ui.label(format!("{} ({})", lab.kind.label(), lab.system_name));
            ui.label(format!(
                "denoiser: {}",
                if lab.using_learned { "learned MLP (burn)" } else { "exact, by quadrature" }
            ));
            ui.label(format!("{} samples from {} chains", lab.wj_samples, lab.chains));
            ui.label(format!("{:.0} samples/s", lab.wj_rate));
            if lab.restarts > 0 {
                ui.colored_label(palette::ERROR, format!("{} diverged chains restarted", lab.restarts));
            }
            ui.add_space(8.0);
            ui.label("Mean jumps E[x|y] are the best guess of x, so as σ grows they gather between the modes; posterior draws x ~ p(x|y) follow p_X at every σ.");
        });
    });
}
