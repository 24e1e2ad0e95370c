//! The GUI's side of the sampler thread: drains its events every frame (never
//! waits on it) and keeps the latest snapshot and a message log.

use bevy::prelude::*;
use std::time::Instant;
use walkjump::live::{
    self, Command, Event, LiveConfig, LiveHandle, LiveParams, Snapshot, SystemInfo, SystemSpec,
};
use walkjump::nn::BackendKind;

pub struct Message {
    pub at: Instant,
    pub text: String,
    pub error: bool,
}

#[derive(Resource)]
pub struct Live {
    handle: LiveHandle,
    pub info: Option<SystemInfo>,
    pub snap: Option<Snapshot>,
    /// Bumped whenever a new system is loaded, so the 3-D view rebuilds its atoms.
    pub generation: u64,
    pub log: Vec<Message>,
    /// Slider state; sent to the sampler when it changes.
    pub params: Option<LiveParams>,
    pub paused: bool,
    pub snapshots_received: u64,
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
            generation: 0,
            log: vec![],
            params: None,
            paused: false,
            snapshots_received: 0,
        }
    }

    pub fn send(&self, c: Command) {
        self.handle.send(c);
    }

    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            tracing::warn!("{text}");
        } else {
            tracing::info!("{text}");
        }
        self.log.push(Message {
            at: Instant::now(),
            text,
            error,
        });
        if self.log.len() > 200 {
            self.log.remove(0);
        }
    }

    pub fn set_paused(&mut self, p: bool) {
        self.paused = p;
        self.send(Command::Pause(p));
    }
}

pub struct LinkPlugin;

impl Plugin for LinkPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(PreUpdate, drain_events);
    }
}

fn drain_events(mut live: ResMut<Live>, mut reported_dead: Local<bool>) {
    if !live.handle.is_alive() && !*reported_dead {
        *reported_dead = true;
        live.say(
            "the sampler thread stopped unexpectedly; the app keeps what it showed, save it and restart",
            true,
        );
    }
    let events: Vec<Event> = live.handle.events.try_iter().collect();
    for e in events {
        match e {
            Event::Loaded(info) => {
                let same = live.info.as_ref().map(|i| &i.name) == Some(&info.name)
                    && live.info.as_ref().map(|i| i.topology.n_atoms())
                        == Some(info.topology.n_atoms());
                if !same {
                    live.generation += 1;
                    live.snap = None;
                    live.say(format!("opened {} ({})", info.name, info.denoiser), false);
                }
                live.params = Some(info.params);
                live.info = Some(*info);
            }
            Event::Snapshot(s) => {
                live.snapshots_received += 1;
                live.snap = Some(*s);
            }
            Event::Error(m) => live.say(m, true),
            Event::Notice(m) => live.say(m, false),
        }
    }
}
