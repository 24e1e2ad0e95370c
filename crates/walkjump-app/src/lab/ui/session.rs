//! The planar session on a thread of its own. The walk-jump and diffusion tabs both
//! show it and both steer it, so it lives in `LabShared`; they send it
//! `SessionCommand`s and draw the newest `PlanarView` it has sent back.

use super::worker::{Polled, Worker};
use super::Log;
use crossbeam::channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;
use walkjump_nn::lab::session::{PlanarLab, PlanarView, SessionCommand};

/// Sampling runs in slices this long (half walk-jump, half diffusion), each followed
/// by a rest as long: half a core at most, so that drawing and training a denoiser
/// keep the rest (as when a slice was taken out of each frame on the GUI thread).
/// Commands are applied between slices, at once when they come during a rest.
const SLICE: Duration = Duration::from_millis(40);
/// While paused, how long the thread waits for a command before looking again.
const IDLE_WAIT: Duration = Duration::from_millis(50);

enum ToSession {
    /// A change, and what to call it if it fails ("σ: …").
    Apply(SessionCommand, String),
    Run(bool),
}

enum FromSession {
    View(Box<PlanarView>),
    Failed(String),
    /// Sampling stopped by itself (after an error).
    Stopped,
}

/// The GUI's end of the session thread.
pub struct Session {
    worker: Worker<ToSession, FromSession>,
    view: PlanarView,
    running: bool,
    ended: bool,
}

impl Session {
    /// Start sampling `lab` on its own thread.
    pub fn start(lab: PlanarLab) -> Self {
        let view = lab.view();
        Session {
            worker: Worker::spawn("session", move |commands, out| serve(lab, commands, out)),
            view,
            running: true,
            ended: false,
        }
    }

    /// The newest view the thread has sent (the session as it was up to a slice ago).
    pub fn view(&self) -> &PlanarView {
        &self.view
    }

    pub fn running(&self) -> bool {
        self.running
    }

    /// Ask for a change; a failure comes back to the log as "`what`: error".
    pub fn apply(&self, command: SessionCommand, what: impl Into<String>) {
        self.worker.send(ToSession::Apply(command, what.into()));
    }

    pub fn set_running(&mut self, on: bool) {
        self.running = on;
        self.worker.send(ToSession::Run(on));
    }

    /// Take what the thread has sent: keep the newest view, log its problems.
    pub fn poll(&mut self, log: &mut Log) {
        for p in self.worker.poll() {
            match p {
                Polled::Message(FromSession::View(v)) => self.view = *v,
                Polled::Message(FromSession::Failed(e)) => log.say(e, true),
                Polled::Message(FromSession::Stopped) => self.running = false,
                Polled::Ended => {
                    self.running = false;
                    if !self.ended {
                        self.ended = true;
                        log.say(
                            "the sampling thread stopped unexpectedly; reopen the lab",
                            true,
                        );
                    }
                }
            }
        }
    }
}

/// The session thread: apply commands, sample a slice, send a view, rest; until
/// the GUI end is dropped.
fn serve(mut lab: PlanarLab, commands: Receiver<ToSession>, out: Sender<FromSession>) {
    let mut running = true;
    let mut view_due = true;
    let mut rest = Duration::ZERO;
    loop {
        let mut pending = Vec::new();
        match commands.recv_timeout(rest) {
            Ok(c) => pending.push(c),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        loop {
            match commands.try_recv() {
                Ok(c) => pending.push(c),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        for c in pending {
            view_due = true;
            match c {
                ToSession::Run(on) => running = on,
                ToSession::Apply(command, what) => {
                    if let Err(e) = lab.apply(command) {
                        if out
                            .send(FromSession::Failed(format!("{what}: {e}")))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        }
        if running {
            if let Err(e) = lab.advance(SLICE) {
                running = false;
                let _ = out.send(FromSession::Failed(format!("sampling stopped: {e}")));
                let _ = out.send(FromSession::Stopped);
            }
            view_due = true;
        }
        // At most one view in flight: a GUI that draws slowly gets fresh views, not
        // a backlog of old ones.
        if view_due && out.is_empty() {
            if out.send(FromSession::View(Box::new(lab.view()))).is_err() {
                return;
            }
            view_due = false;
        }
        rest = if running { SLICE } else { IDLE_WAIT };
    }
}
