//! The Lab: walk-jump and diffusion on 2-D densities where everything is exact, and
//! DynamicsDiffusion on the double well. This file is the bevy shell (flags,
//! `LabPlugin`, test mode); the lab itself, plain egui with a thread per background
//! job, is `ui`.

pub mod ui;

use super::shot::screenshot_then_exit;
use bevy::prelude::*;
use bevy_egui::{egui, EguiContexts, EguiPlugin, EguiPrimaryContextPass};
use clap::Args;
use std::path::PathBuf;
use std::sync::Mutex;
use ui::{Lab, Tab};
use walkjump_nn::lab::session::{LabSystem, PlanarLab};

#[derive(Args, Debug, Clone)]
pub struct LabArgs {
    /// double-well, muller-brown or gmm
    #[arg(long, default_value = "double-well")]
    pub system: String,
    #[arg(long, default_value_t = 0.3)]
    pub sigma: f64,
    /// Tab to open: walk-jump, diffusion or dynamics.
    #[arg(long, default_value = "walk-jump")]
    pub tab: String,
    /// Trajectory diffusion model (.wjd); the bundled one by default.
    #[arg(long)]
    pub dynamics_model: Option<PathBuf>,
    /// Open the guided tour at this step (1-based) and set the lab up for it.
    #[arg(long)]
    pub tour_step: Option<usize>,
    /// Do not open the guided tour at the start.
    #[arg(long)]
    pub no_tour: bool,
    /// Test mode: train the learned 2-D denoiser at the start.
    #[arg(long, hide = true)]
    pub train_learned: bool,
    /// Test mode: generate trajectories, inpaint transition paths and make
    /// variations at the start (on the dynamics tab).
    #[arg(long, hide = true)]
    pub run_dynamics: bool,
    /// Write a screenshot here after --exit-after seconds, then exit (test mode).
    #[arg(long, hide = true)]
    pub screenshot: Option<PathBuf>,
    /// Run this many seconds, then exit 0 (test mode).
    #[arg(long, hide = true)]
    pub exit_after: Option<f64>,
    /// Window size in logical pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1600x900")]
    pub size: String,
}

fn system_by_name(name: &str) -> anyhow::Result<LabSystem> {
    Ok(match name {
        "double-well" => LabSystem::DoubleWell,
        "muller-brown" => LabSystem::MullerBrown,
        "gmm" => LabSystem::Mixture,
        other => anyhow::bail!("unknown lab system {other}: double-well, muller-brown or gmm"),
    })
}

pub fn run(a: LabArgs) -> anyhow::Result<()> {
    super::require_display()?;
    super::explain_renderer_panics();
    let kind = system_by_name(&a.system)?;
    let tab = Tab::from_flag(&a.tab).ok_or_else(|| {
        anyhow::anyhow!("unknown tab {}: walk-jump, diffusion or dynamics", a.tab)
    })?;
    let (w, h) = super::parse_size(&a.size)?;
    let session = PlanarLab::new(kind, a.sigma, 64)?;
    let model = a
        .dynamics_model
        .clone()
        .unwrap_or_else(|| super::asset("models/dynamics-double-well.wjd"));
    let mut lab = Lab::new(
        session,
        model,
        tab,
        (!a.no_tour && a.screenshot.is_none()).then_some(0),
    );
    if let Some(n) = a.tour_step {
        lab.go_to_step(n.max(1) - 1);
    }
    if a.train_learned {
        let (walk_jump, shared) = (&mut lab.walk_jump, &mut lab.shared);
        walk_jump.start_training(shared);
    }
    if a.run_dynamics {
        lab.dynamics.queue_all();
    }
    super::window_app("Walk-Jump Studio — Lab", w, h)
        .add_plugins(EguiPlugin::default())
        .add_plugins(LabPlugin::new(lab, TestMode::from_args(&a)))
        .run();
    Ok(())
}

/// The lab in a bevy app (after `EguiPlugin`): polls the lab's jobs every frame,
/// draws it, and runs the test mode.
pub struct LabPlugin {
    lab: Mutex<Option<Lab>>,
    test: TestMode,
}

impl LabPlugin {
    pub fn new(lab: Lab, test: TestMode) -> Self {
        LabPlugin {
            lab: Mutex::new(Some(lab)),
            test,
        }
    }
}

impl Plugin for LabPlugin {
    fn build(&self, app: &mut App) {
        let lab = self
            .lab
            .lock()
            .expect("lab plugin lock")
            .take()
            .expect("LabPlugin is added once");
        app.insert_resource(LabWindow(lab))
            .insert_resource(self.test.clone())
            .add_systems(Startup, |mut commands: Commands| {
                commands.spawn(Camera2d);
            })
            .add_systems(Update, (poll, test_mode))
            .add_systems(EguiPrimaryContextPass, draw);
    }
}

#[derive(Resource)]
struct LabWindow(Lab);

fn poll(mut lab: ResMut<LabWindow>) {
    lab.0.poll();
}

fn draw(mut contexts: EguiContexts, mut lab: ResMut<LabWindow>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "lab-root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    lab.0.ui(&mut root);
    Ok(())
}

/// `--screenshot` and `--exit-after`.
#[derive(Resource, Clone)]
pub struct TestMode {
    screenshot: Option<PathBuf>,
    exit_after: Option<f64>,
    shot_at: Option<f64>,
}

impl TestMode {
    pub fn from_args(a: &LabArgs) -> Self {
        TestMode {
            screenshot: a.screenshot.clone(),
            exit_after: a.exit_after.or(a.screenshot.as_ref().map(|_| 30.0)),
            shot_at: None,
        }
    }
}

fn test_mode(
    mut commands: Commands,
    mut test: ResMut<TestMode>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(total) = test.exit_after else {
        return;
    };
    let t = time.elapsed_secs_f64();
    if t < total {
        return;
    }
    let shot = test.screenshot.clone();
    screenshot_then_exit(
        &mut commands,
        None,
        shot.as_ref(),
        &mut test.shot_at,
        t,
        &mut exit,
    );
}
