//! The Lab: walk-jump and diffusion on 2-D densities where everything is exact, and
//! DynamicsDiffusion on the double well. A thin bevy/egui layer over
//! `walkjump::lab`; heavy work (training, trajectory generation) runs on threads.

mod dynamics;
mod tour;
mod ui;

use super::shot::screenshot_then_exit;
use bevy::prelude::*;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};
use clap::Args;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use walkjump::lab::session::{LabSystem, PlanarLab};

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
    #[arg(long)]
    pub train_learned: bool,
    /// Test mode: generate trajectories, inpaint transition paths and make
    /// variations at the start (on the dynamics tab).
    #[arg(long)]
    pub run_dynamics: bool,
    /// Write a screenshot here after --exit-after seconds, then exit (test mode).
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    #[arg(long)]
    pub exit_after: Option<f64>,
    #[arg(long, default_value = "1600x900")]
    pub size: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    WalkJump,
    Diffusion,
    Dynamics,
}

/// The planar session. `WalkJump` holds a `Send` (not `Sync`) denoiser, hence the lock.
#[derive(Resource)]
pub struct Session(pub Mutex<PlanarLab>);

#[derive(Resource)]
pub struct LabUi {
    pub tab: Tab,
    pub sigma: f64,
    pub gamma: f64,
    pub dt: f64,
    pub chains: usize,
    pub sample_jumps: bool,
    pub diffusion_steps: usize,
    pub paused: bool,
    pub tour: Option<usize>,
    pub log: Vec<(String, bool)>,
    pub training: Option<crossbeam::channel::Receiver<ui::TrainMsg>>,
    pub train_progress: f64,
    pub dynamics: dynamics::DynamicsState,
}

impl LabUi {
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            tracing::warn!("{text}");
        } else {
            tracing::info!("{text}");
        }
        self.log.push((text, error));
    }
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
    let kind = system_by_name(&a.system)?;
    let tab = match a.tab.as_str() {
        "walk-jump" => Tab::WalkJump,
        "diffusion" => Tab::Diffusion,
        "dynamics" => Tab::Dynamics,
        other => anyhow::bail!("unknown tab {other}: walk-jump, diffusion or dynamics"),
    };
    let (w, h) = super::parse_size(&a.size)?;
    let mut lab = PlanarLab::new(kind, a.sigma, 64)?;
    let model = a
        .dynamics_model
        .clone()
        .unwrap_or_else(|| super::asset("models/dynamics-double-well.wjd"));
    let mut ui = LabUi {
        tab,
        sigma: a.sigma,
        gamma: lab.params.gamma,
        dt: lab.params.dt,
        chains: 64,
        sample_jumps: false,
        diffusion_steps: 60,
        paused: false,
        tour: (!a.no_tour && a.screenshot.is_none()).then_some(0),
        log: vec![],
        training: None,
        train_progress: 0.0,
        dynamics: dynamics::DynamicsState::new(model),
    };
    if let Some(n) = a.tour_step {
        tour::apply_step(&mut ui, &mut lab, n.max(1) - 1);
    }
    if a.train_learned {
        ui::start_training(&mut ui, &lab);
    }
    if a.run_dynamics {
        ui.dynamics.queue_all();
    }
    App::new()
        .insert_resource(ClearColor(Color::srgb(0.06, 0.07, 0.09)))
        .add_plugins(
            DefaultPlugins
                .build()
                .disable::<bevy::log::LogPlugin>()
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "Walk-Jump Studio — Lab".into(),
                        resolution: (w, h).into(),
                        ..default()
                    }),
                    ..default()
                }),
        )
        .add_plugins(EguiPlugin::default())
        .insert_resource(Session(Mutex::new(lab)))
        .insert_resource(ui)
        .insert_resource(TestMode {
            screenshot: a.screenshot.clone(),
            exit_after: a.exit_after.or(a.screenshot.as_ref().map(|_| 30.0)),
            shot_at: None,
        })
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn(Camera2d);
        })
        .add_systems(Update, (advance, dynamics::poll, test_mode))
        .add_systems(EguiPrimaryContextPass, ui::draw)
        .run();
    Ok(())
}

/// Sampling gets a slice of each frame, so the window stays responsive.
fn advance(session: Res<Session>, mut ui: ResMut<LabUi>) {
    ui::poll_training(&session, &mut ui);
    if ui.paused {
        return;
    }
    let mut lab = session.0.lock().expect("lab session lock");
    if let Err(e) = lab.advance(Duration::from_millis(40)) {
        drop(lab);
        ui.paused = true;
        ui.say(format!("sampling stopped: {e}"), true);
    }
}

#[derive(Resource)]
struct TestMode {
    screenshot: Option<PathBuf>,
    exit_after: Option<f64>,
    shot_at: Option<f64>,
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
        shot.as_ref(),
        &mut test.shot_at,
        t,
        &mut exit,
    );
}
