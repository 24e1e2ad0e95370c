//! The GUI's side of the sampler thread: drains its events every frame (never
//! waits on it) and keeps the latest snapshot and a message log.

use bevy::prelude::*;
use walkjump_nn::live::{
    self, LiveConfig, LiveHandle, LiveParams, SamplerCommand, SamplerEvent, Snapshot, SystemInfo,
    SystemSpec,
};
use walkjump_nn::BackendKind;

pub struct Message {
    pub text: String,
    pub error: bool,
}

#[derive(Resource)]
pub struct Live {
    handle: LiveHandle,
    pub info: Option<SystemInfo>,
    pub snap: Option<Snapshot>,
    pub log: Vec<Message>,
    /// Slider state; sent to the sampler when it changes.
    pub params: Option<LiveParams>,
    pub paused: bool,
    pub snapshots_received: u64,
    /// Errors raised on the GUI side (a dialog, the Lab), sent on as
    /// [`SamplerProblem`] messages with the sampler's own at the next drain.
    gui_problems: Vec<String>,
}

impl Live {
    pub fn start(spec: SystemSpec, backend: BackendKind, chains: usize) -> Self {
        let handle = live::spawn(
            spec,
            LiveConfig {
                backend,
                chains,
                ..Default::default()
            },
        );
        Live {
            handle,
            info: None,
            snap: None,
            log: vec![],
            params: None,
            paused: false,
            snapshots_received: 0,
            gui_problems: vec![],
        }
    }

    pub fn send(&self, c: SamplerCommand) {
        self.handle.send(c);
    }

    /// Tell the user something from the GUI side; an error also opens the Problem
    /// window (through a [`SamplerProblem`] message at the next drain).
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            self.gui_problems.push(text.clone());
        }
        self.log_line(text, error);
    }

    fn log_line(&mut self, text: String, error: bool) {
        if error {
            tracing::warn!("{text}");
        } else {
            tracing::info!("{text}");
        }
        self.log.push(Message { text, error });
        if self.log.len() > 200 {
            self.log.remove(0);
        }
    }

    pub fn set_paused(&mut self, p: bool) {
        self.paused = p;
        self.send(SamplerCommand::Pause(p));
    }
}

/// A new system (molecule or cluster) is sampling: views rebuild their atoms.
#[derive(Message, Debug, Clone)]
pub struct SystemLoaded;

/// A display snapshot arrived (it is in [`Live::snap`]): views move their atoms.
#[derive(Message, Debug, Clone, Copy)]
pub struct SnapshotArrived;

/// The sampler reported an error; the previous state is kept.
#[derive(Message, Debug, Clone)]
pub struct SamplerProblem(pub String);

/// What the app does each frame, in order: take in what the sampler sent, then
/// update the 3-D views from it. The panels draw after both, in bevy_egui's
/// `EguiPrimaryContextPass` (which runs after `Update`).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum StudioSet {
    Drain,
    Views,
}

pub struct LinkPlugin;

impl Plugin for LinkPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<SystemLoaded>()
            .add_message::<SnapshotArrived>()
            .add_message::<SamplerProblem>()
            .configure_sets(Update, (StudioSet::Drain, StudioSet::Views).chain())
            .add_systems(Update, drain_events.in_set(StudioSet::Drain));
    }
}

/// Drain the sampler's channel once per frame (never waiting on it) into messages.
fn drain_events(
    mut live: ResMut<Live>,
    mut reported_dead: Local<bool>,
    mut loaded: MessageWriter<SystemLoaded>,
    mut arrived: MessageWriter<SnapshotArrived>,
    mut problems: MessageWriter<SamplerProblem>,
) {
    if !live.handle.is_alive() && !*reported_dead {
        *reported_dead = true;
        live.say(
            "the sampler thread stopped unexpectedly; the app keeps what it showed, save it and restart",
            true,
        );
    }
    for text in std::mem::take(&mut live.gui_problems) {
        problems.write(SamplerProblem(text));
    }
    let events: Vec<SamplerEvent> = live.handle.events.try_iter().collect();
    for e in events {
        match e {
            SamplerEvent::Loaded(info) => {
                let same = live.info.as_ref().map(|i| &i.name) == Some(&info.name)
                    && live.info.as_ref().map(|i| i.topology.n_atoms())
                        == Some(info.topology.n_atoms());
                if !same {
                    live.snap = None;
                    live.say(format!("opened {} ({})", info.name, info.denoiser), false);
                }
                live.params = Some(info.params);
                live.info = Some(*info);
                if !same {
                    loaded.write(SystemLoaded);
                }
            }
            SamplerEvent::Snapshot(s) => {
                live.snapshots_received += 1;
                live.snap = Some(*s);
                arrived.write(SnapshotArrived);
            }
            SamplerEvent::Error(m) => {
                live.log_line(m.clone(), true);
                problems.write(SamplerProblem(m));
            }
            SamplerEvent::Notice(m) => live.log_line(m, false),
        }
    }
}
