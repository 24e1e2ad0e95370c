//! The lab as plain egui, with no bevy in it (the bevy shell is `super`): a `Lab`
//! holds one struct per tab, each owning its state and its background job, all
//! behind the small `LabTab` trait, as egui_demo_lib's demos are behind `Demo`.
//! Every background job runs on a `worker::Worker`. `Lab::ui` draws the whole
//! window into any `egui::Ui`, so tests drive it headlessly (tests/lab_ui.rs).

pub mod diffusion;
pub mod dynamics;
mod plot;
pub mod session;
pub mod tour;
pub mod walk_jump;
pub mod worker;

use crate::palette;
use bevy_egui::egui;
use diffusion::DiffusionTab;
use dynamics::DynamicsTab;
use session::Session;
use std::path::PathBuf;
use walk_jump::WalkJumpTab;
use walkjump_nn::lab::session::PlanarLab;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    WalkJump,
    Diffusion,
    Dynamics,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::WalkJump, Tab::Diffusion, Tab::Dynamics];

    /// As `--tab` spells it.
    pub fn flag(self) -> &'static str {
        match self {
            Tab::WalkJump => "walk-jump",
            Tab::Diffusion => "diffusion",
            Tab::Dynamics => "dynamics",
        }
    }

    pub fn from_flag(name: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.flag() == name)
    }
}

/// What the lab says: the newest line shows at the bottom of the window.
#[derive(Default)]
pub struct Log {
    pub lines: Vec<(String, bool)>,
}

impl Log {
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            tracing::warn!("{text}");
        } else {
            tracing::info!("{text}");
        }
        self.lines.push((text, error));
    }

    pub fn last(&self) -> Option<&(String, bool)> {
        self.lines.last()
    }
}

/// What all tabs see: the planar session (the walk-jump and diffusion tabs both
/// show and steer it), the open tab and the log.
pub struct LabShared {
    pub session: Session,
    pub tab: Tab,
    pub log: Log,
}

/// One tab of the lab. It owns its state and its background job; the `Lab` calls
/// `poll` once a frame, draws every tab's controls on the left and the open tab's
/// `ui` in the middle.
pub trait LabTab {
    fn tab(&self) -> Tab;
    /// Its title in the tab bar.
    fn name(&self) -> &'static str;
    /// Its section of the controls on the left (shown whichever tab is open).
    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared);
    /// Its plots, while it is the open tab.
    fn ui(&mut self, ui: &mut egui::Ui, shared: &mut LabShared);
    /// Collect what its background job has sent, and start queued work.
    fn poll(&mut self, shared: &mut LabShared);
    /// The tour moved to `step`: set up what the step talks about.
    fn tour_step(&mut self, _step: &tour::Step, _shared: &mut LabShared) {}
}

/// The lab window's state: its tabs, what they share, and the tour.
pub struct Lab {
    pub shared: LabShared,
    pub walk_jump: WalkJumpTab,
    pub diffusion: DiffusionTab,
    pub dynamics: DynamicsTab,
    /// The tour's step (0-based) while it is open.
    pub tour: Option<usize>,
}

impl Lab {
    /// Start sampling `lab` and open `tab`; `dynamics_model` is the trajectory
    /// model's file. The tour opens at `tour` as it is, without setting anything up
    /// (`go_to_step` does that).
    pub fn new(lab: PlanarLab, dynamics_model: PathBuf, tab: Tab, tour: Option<usize>) -> Self {
        let session = Session::start(lab);
        let view = session.view();
        Lab {
            walk_jump: WalkJumpTab::new(view),
            diffusion: DiffusionTab::new(view),
            dynamics: DynamicsTab::new(dynamics_model),
            shared: LabShared {
                session,
                tab,
                log: Log::default(),
            },
            tour,
        }
    }

    /// The tabs in tab-bar order, and what they share.
    pub fn parts(&mut self) -> ([&mut dyn LabTab; 3], &mut LabShared) {
        (
            [&mut self.walk_jump, &mut self.diffusion, &mut self.dynamics],
            &mut self.shared,
        )
    }

    /// Once a frame, drawn or not: the session's newest view, the jobs' results.
    pub fn poll(&mut self) {
        let (tabs, shared) = self.parts();
        shared.session.poll(&mut shared.log);
        for t in tabs {
            t.poll(shared);
        }
    }

    /// Open the tour at step `n` (0-based) and set the lab up as it describes.
    pub fn go_to_step(&mut self, n: usize) {
        let n = n.min(tour::STEPS.len() - 1);
        self.tour = Some(n);
        let step = &tour::STEPS[n];
        let (tabs, shared) = self.parts();
        shared.tab = step.tab;
        for t in tabs {
            t.tour_step(step, shared);
        }
    }

    /// The whole window: tab bar, log line, controls on the left, the open tab in
    /// the middle, and the tour over it.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let (mut tabs, shared) = self.parts();
        egui::Panel::top("lab-tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                for t in &tabs {
                    ui.selectable_value(&mut shared.tab, t.tab(), t.name());
                }
            });
        });
        egui::Panel::bottom("lab-log").show(ui, |ui| {
            match shared.log.last() {
                Some((t, true)) => ui.colored_label(palette::ERROR, t),
                Some((t, false)) => ui.label(t),
                None => ui.label("ready"),
            };
        });
        let mut open_tour = false;
        egui::Panel::left("lab-controls")
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for (k, t) in tabs.iter_mut().enumerate() {
                        if k > 0 {
                            ui.separator();
                        }
                        t.controls_ui(ui, shared);
                    }
                    ui.separator();
                    open_tour = ui.button("Guided tour").clicked();
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(t) = tabs.iter_mut().find(|t| t.tab() == shared.tab) {
                t.ui(ui, shared);
            }
        });
        if open_tour {
            self.tour = Some(0);
        }
        if let Some(k) = self.tour {
            match tour::window(ui.ctx(), k) {
                Some(tour::TourAction::GoTo(n)) => self.go_to_step(n),
                Some(tour::TourAction::Close) => self.tour = None,
                None => {}
            }
        }
    }
}
