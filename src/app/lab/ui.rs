//! The Lab's panels: controls on the left, the tab's plots in the middle, the tour
//! and the log on top.

use super::{dynamics, tour, LabUi, Session, Tab};
use crate::app::paint::{fill_density, frame};
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, Pos2, Rect, Stroke, Vec2};
use bevy_egui::EguiContexts;
use crossbeam::channel::unbounded;
use walkjump::analysis::{Hist2d, Range};
use walkjump::lab::mlp2d::{train, PlanarMlp, PlanarTrainConfig};
use walkjump::lab::session::{LabSystem, PlanarLab};
use walkjump::sampler::JumpKind;

pub enum TrainMsg {
    Progress(f64),
    Done(Box<PlanarMlp>, f64),
    Failed(String),
}

/// Train the small learned denoiser at the current σ on a thread.
pub fn start_training(ui: &mut LabUi, lab: &PlanarLab) {
    let (tx, rx) = unbounded();
    let kind = lab.kind;
    let sigma = lab.params.sigma;
    std::thread::spawn(move || {
        let t0 = std::time::Instant::now();
        let system = kind.make();
        let cfg = PlanarTrainConfig::new(sigma);
        let r = train(system.as_ref(), &cfg, |p| {
            match tx.send(TrainMsg::Progress(p.fraction())) {
                Ok(()) => std::ops::ControlFlow::Continue(()),
                Err(_) => std::ops::ControlFlow::Break(()),
            }
        });
        let _ = tx.send(match r {
            Ok(m) => TrainMsg::Done(Box::new(m), t0.elapsed().as_secs_f64()),
            Err(e) => TrainMsg::Failed(e.to_string()),
        });
    });
    ui.training = Some(rx);
    ui.train_progress = 0.0;
    ui.say(
        format!("training a learned denoiser at σ = {sigma:.2} …"),
        false,
    );
}

pub fn poll_training(session: &Session, ui: &mut LabUi) {
    let Some(rx) = ui.training.clone() else {
        return;
    };
    while let Ok(m) = rx.try_recv() {
        match m {
            TrainMsg::Progress(p) => ui.train_progress = p,
            TrainMsg::Done(model, secs) => {
                ui.training = None;
                let (sigma, loss) = (model.sigma(), model.final_loss);
                let mut lab = session.0.lock().expect("lab session lock");
                if (lab.params.sigma - sigma).abs() > 1e-9 {
                    drop(lab);
                    ui.say(
                        format!("the learned denoiser was trained at σ = {sigma:.2}, but σ has changed since; train again"),
                        true,
                    );
                    return;
                }
                let r = lab.set_learned(*model);
                drop(lab);
                match r {
                    Ok(()) => ui.say(
                        format!("learned denoiser trained in {secs:.1} s (loss {loss:.3}); the walk now uses it"),
                        false,
                    ),
                    Err(e) => ui.say(format!("could not use the learned denoiser: {e}"), true),
                }
                ui.sample_jumps = false;
                return;
            }
            TrainMsg::Failed(e) => {
                ui.training = None;
                ui.say(format!("training failed: {e}"), true);
                return;
            }
        }
    }
}

/// Map a point in data coordinates into a plot rectangle.
pub fn to_screen(plot: Rect, xr: Range, yr: Range, p: [f64; 2]) -> Pos2 {
    Pos2::new(
        plot.min.x + ((p[0] - xr.lo) / (xr.hi - xr.lo)) as f32 * plot.width(),
        plot.max.y - ((p[1] - yr.lo) / (yr.hi - yr.lo)) as f32 * plot.height(),
    )
}

/// A density panel; returns the painter and plot rectangle for overlays.
pub fn density_plot(
    ui: &mut egui::Ui,
    h: &Hist2d,
    size: Vec2,
    title: &str,
) -> (egui::Painter, Rect) {
    let (painter, plot) = frame(ui, size, title);
    // Exact laws are positive everywhere on their grid; past 9 k_BT it is only noise.
    fill_density(&painter, plot, &h.counts, h.x.bins, h.y.bins, 9.0);
    // Overlays (paths, arrows) stay inside the plot.
    (painter.with_clip_rect(plot), plot)
}

fn apply<T>(ui: &mut LabUi, what: &str, r: walkjump::Result<T>) {
    if let Err(e) = r {
        ui.say(format!("{what}: {e}"), true);
    }
}

fn controls(ui: &mut egui::Ui, lab_ui: &mut LabUi, session: &Session) {
    let mut lab = session.0.lock().expect("lab session lock");
    ui.heading("Lab");
    let mut kind = lab.kind;
    egui::ComboBox::from_label("density")
        .selected_text(kind.label())
        .show_ui(ui, |ui| {
            for k in LabSystem::ALL {
                ui.selectable_value(&mut kind, k, k.label());
            }
        });
    if kind != lab.kind {
        match PlanarLab::new(kind, lab_ui.sigma, lab_ui.chains) {
            Ok(new) => *lab = new,
            Err(e) => lab_ui.say(format!("could not open {}: {e}", kind.label()), true),
        }
    }
    ui.separator();
    ui.label("Noise and walk");
    let r = ui.add(egui::Slider::new(&mut lab_ui.sigma, 0.05..=1.5).text("σ noise"));
    // σ rebuilds the exact laws: apply it when the drag ends, not on every pixel.
    if (r.drag_stopped() || (r.changed() && !r.dragged()))
        && (lab_ui.sigma - lab.params.sigma).abs() > 1e-9
    {
        let res = lab.set_sigma(lab_ui.sigma);
        lab_ui.dt = lab.params.dt;
        apply(lab_ui, "σ", res);
    }
    let g = ui.add(
        egui::Slider::new(&mut lab_ui.gamma, 0.05..=10.0)
            .logarithmic(true)
            .text("γ friction"),
    );
    let d = ui.add(
        egui::Slider::new(&mut lab_ui.dt, 0.01..=2.0)
            .logarithmic(true)
            .text("Δt step"),
    );
    let mut jump_changed = false;
    ui.horizontal(|ui| {
        ui.label("jump:");
        jump_changed |= ui
            .selectable_value(&mut lab_ui.sample_jumps, false, "mean E[x|y]")
            .changed();
        jump_changed |= ui
            .add_enabled(
                !lab.using_learned,
                egui::Button::selectable(lab_ui.sample_jumps, "posterior draw"),
            )
            .on_hover_text("x ~ p(x | y): exact, so only with the exact denoiser")
            .clicked()
            && {
                lab_ui.sample_jumps = true;
                true
            };
    });
    if g.changed() || d.changed() || jump_changed {
        let jump = if lab_ui.sample_jumps {
            JumpKind::Sample
        } else {
            JumpKind::Mean
        };
        let res = lab.set_dynamics(lab_ui.gamma, lab_ui.dt, jump);
        apply(lab_ui, "walk", res);
    }
    let c = ui.add(
        egui::Slider::new(&mut lab_ui.chains, 1..=512)
            .logarithmic(true)
            .text("chains"),
    );
    if c.drag_stopped() || (c.changed() && !c.dragged()) {
        let res = lab.set_chains(lab_ui.chains);
        apply(lab_ui, "chains", res);
    }
    ui.horizontal(|ui| {
        if ui
            .button(if lab_ui.paused {
                "▶ Run"
            } else {
                "⏸ Pause"
            })
            .clicked()
        {
            lab_ui.paused = !lab_ui.paused;
        }
        if ui
            .button("Defaults")
            .on_hover_text("γ = 1, Δt = σ, mean jumps")
            .clicked()
        {
            lab_ui.gamma = 1.0;
            lab_ui.dt = lab.params.sigma;
            lab_ui.sample_jumps = false;
            let sigma = lab.params.sigma;
            let res = lab.set_dynamics(1.0, sigma, JumpKind::Mean);
            apply(lab_ui, "defaults", res);
        }
    });
    ui.separator();
    ui.label("Denoiser");
    let learned_fits = lab
        .learned_sigma()
        .is_some_and(|s| (s - lab.params.sigma).abs() < 1e-9);
    ui.horizontal(|ui| {
        if ui
            .selectable_label(!lab.using_learned, "exact (quadrature)")
            .clicked()
            && lab.using_learned
        {
            let res = lab.use_learned(false);
            apply(lab_ui, "denoiser", res);
        }
        if ui
            .add_enabled(
                learned_fits,
                egui::Button::selectable(lab.using_learned, "learned MLP"),
            )
            .clicked()
            && !lab.using_learned
        {
            lab_ui.sample_jumps = false;
            let res = lab.use_learned(true);
            apply(lab_ui, "denoiser", res);
        }
    });
    if lab_ui.training.is_some() {
        ui.add(egui::ProgressBar::new(lab_ui.train_progress as f32).text("training (burn, CPU)"));
    } else if ui
        .button(format!("Train learned denoiser at σ = {:.2}", lab.params.sigma))
        .on_hover_text("A small MLP trained by denoising score matching on draws from the density; a few seconds.")
        .clicked()
    {
        let snapshot = &*lab;
        start_training(lab_ui, snapshot);
    }
    ui.separator();
    ui.label("Diffusion");
    let s = ui.add(
        egui::Slider::new(&mut lab_ui.diffusion_steps, 5..=200).text("noise levels per sample"),
    );
    if s.drag_stopped() || (s.changed() && !s.dragged()) {
        lab.set_diffusion_steps(lab_ui.diffusion_steps);
    }
    drop(lab);
    ui.separator();
    dynamics::controls(ui, lab_ui);
    ui.separator();
    if ui.button("Guided tour").clicked() {
        lab_ui.tour = Some(0);
    }
}

fn walk_jump_tab(ui: &mut egui::Ui, lab: &PlanarLab) {
    let avail = ui.available_size();
    let side = ((avail.x - 30.0) / 3.0)
        .min((avail.y - 20.0) / 2.0)
        .max(150.0);
    let size = Vec2::new(side, side);
    let (xr, yr) = (lab.xr, lab.yr);
    let sigma = lab.params.sigma;
    let orange = Color32::from_rgb(255, 165, 60);
    ui.horizontal(|ui| {
        let (p, plot) = density_plot(
            ui,
            &lab.exact.p_x,
            size,
            "p_X and the latest jumps (orange)",
        );
        for q in lab.trail_x.iter().rev().take(120) {
            p.circle_filled(to_screen(plot, xr, yr, *q), 2.0, orange);
        }
        let (p, plot) = density_plot(
            ui,
            &lab.exact.p_y,
            size,
            &format!("p_Y at σ = {sigma:.2}, score field, y-walk (white)"),
        );
        let field = lab.score_field(15);
        let max = field
            .iter()
            .map(|(_, s)| (s[0] * s[0] + s[1] * s[1]).sqrt())
            .fold(1e-12, f64::max);
        let cell = plot.width() / 15.0;
        for (at, s) in field {
            let n = (s[0] * s[0] + s[1] * s[1]).sqrt();
            // Arrow length grows with |score| but saturates, so weak regions still show direction.
            let len = cell * 0.85 * (n / max).sqrt() as f32;
            let dir = Vec2::new(s[0] as f32, -s[1] as f32).normalized() * len;
            p.arrow(
                to_screen(plot, xr, yr, at),
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
        density_plot(ui, lab.jump_target(), size, label);
    });
    ui.horizontal(|ui| {
        density_plot(
            ui,
            &lab.jumps,
            size,
            &format!(
                "jumps so far: TVD {:.3} to their law, {:.3} to p_X",
                lab.tvd_jumps_vs_target(),
                lab.tvd_jumps_vs_p_x()
            ),
        );
        density_plot(
            ui,
            &lab.walk,
            size,
            &format!("y-walk so far: TVD {:.3} to p_Y", lab.tvd_walk_vs_p_y()),
        );
        ui.vertical(|ui| {
            ui.label(format!("{} ({})", lab.kind.label(), lab.system_name()));
            ui.label(format!(
                "denoiser: {}",
                if lab.using_learned { "learned MLP (burn)" } else { "exact, by quadrature" }
            ));
            ui.label(format!("{} samples from {} chains", lab.wj_samples, lab.chains));
            ui.label(format!("{:.0} samples/s", lab.wj_rate()));
            if lab.restarts > 0 {
                ui.colored_label(Color32::from_rgb(255, 140, 120), format!("{} diverged chains restarted", lab.restarts));
            }
            ui.add_space(8.0);
            ui.label("Mean jumps E[x|y] are the best guess of x, so as σ grows they gather between the modes; posterior draws x ~ p(x|y) follow p_X at every σ.");
        });
    });
}

fn diffusion_tab(ui: &mut egui::Ui, lab: &PlanarLab) {
    let avail = ui.available_size();
    let side = ((avail.x - 30.0) / 3.0).min(avail.y - 160.0).max(150.0);
    let size = Vec2::new(side, side);
    ui.horizontal(|ui| {
        density_plot(ui, &lab.exact.p_x, size, "exact p_X");
        let (p, plot) = density_plot(
            ui,
            &lab.diffused,
            size,
            &format!(
                "reverse diffusion: TVD {:.3} to p_X",
                lab.tvd_diffusion_vs_p_x()
            ),
        );
        let path: Vec<Pos2> = lab
            .diffusion
            .path
            .iter()
            .map(|q| to_screen(plot, lab.xr, lab.yr, *q))
            .collect();
        p.add(egui::Shape::line(path, Stroke::new(1.0, Color32::WHITE)));
        density_plot(
            ui,
            &lab.jumps,
            size,
            &format!("walk-jump jumps: TVD {:.3} to p_X", lab.tvd_jumps_vs_p_x()),
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
        ui.label(format!("{}", lab.diffusion_samples()));
        ui.label(format!("{:.0}", lab.diffusion_rate()));
        ui.label(format!("{}", lab.diffusion.steps()));
        ui.label(format!("{:.3}", lab.tvd_diffusion_vs_p_x()));
        ui.end_row();
        ui.label("walk-jump");
        ui.label(format!("{}", lab.wj_samples));
        ui.label(format!("{:.0}", lab.wj_rate()));
        ui.label("1");
        ui.label(format!("{:.3}", lab.tvd_jumps_vs_p_x()));
        ui.end_row();
    });
    ui.label("Both get the same share of each frame. Diffusion anneals σ from wide to small (the white path is one particle's way down); walk-jump keeps one σ and returns a sample per denoiser call. Use posterior-draw jumps for an exact walk-jump sample of p_X; mean jumps are smoothed by σ.");
}

pub fn draw(
    mut contexts: EguiContexts,
    session: Res<Session>,
    mut lab_ui: ResMut<LabUi>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lab_ui = &mut *lab_ui;
    let mut root = egui::Ui::new(
        ctx.clone(),
        "lab-root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("lab-tabs").show(&mut root, |ui| {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut lab_ui.tab, Tab::WalkJump, "Walk-jump, exactly");
            ui.selectable_value(
                &mut lab_ui.tab,
                Tab::Diffusion,
                "Diffusion beside walk-jump",
            );
            ui.selectable_value(&mut lab_ui.tab, Tab::Dynamics, "Trajectory diffusion");
        });
    });
    egui::Panel::bottom("lab-log").show(&mut root, |ui| {
        match lab_ui.log.last() {
            Some((t, true)) => ui.colored_label(Color32::from_rgb(255, 120, 110), t),
            Some((t, false)) => ui.label(t),
            None => ui.label("ready"),
        };
    });
    egui::Panel::left("lab-controls")
        .default_size(300.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| controls(ui, lab_ui, &session));
        });
    egui::CentralPanel::default().show(&mut root, |ui| match lab_ui.tab {
        Tab::WalkJump => walk_jump_tab(ui, &session.0.lock().expect("lab session lock")),
        Tab::Diffusion => diffusion_tab(ui, &session.0.lock().expect("lab session lock")),
        Tab::Dynamics => dynamics::central(ui, lab_ui),
    });
    tour::window(&ctx, lab_ui, &session);
    Ok(())
}
