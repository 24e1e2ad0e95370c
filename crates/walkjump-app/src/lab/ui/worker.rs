//! The one way the lab runs work off the GUI thread: a named thread that takes
//! commands on one channel and sends messages back on another. The GUI side never
//! waits: it sends (the command channel is unbounded) and, once a frame, takes what
//! has arrived. Dropping the `Worker` closes both channels, which is how the thread
//! learns to stop: a loop sees its commands disconnected, a job sees its sends fail.
//! Threads are not joined, so a job that ignores failed sends finishes its current
//! piece of work unobserved and ends.

use crossbeam::channel::{unbounded, Receiver, Sender, TryRecvError};

/// One thing taken from a worker.
pub enum Polled<M> {
    Message(M),
    /// The thread has ended (returned or panicked) and everything it sent was read.
    Ended,
}

pub struct Worker<C, M> {
    commands: Sender<C>,
    messages: Receiver<M>,
}

impl<C: Send + 'static, M: Send + 'static> Worker<C, M> {
    /// Start `body` on a thread named `lab-{name}` with its ends of the channels.
    pub fn spawn(name: &str, body: impl FnOnce(Receiver<C>, Sender<M>) + Send + 'static) -> Self {
        let (commands, command_rx) = unbounded();
        let (message_tx, messages) = unbounded();
        let spawned = std::thread::Builder::new()
            .name(format!("lab-{name}"))
            .spawn(move || body(command_rx, message_tx));
        // A thread that cannot start drops its channel ends with the closure: the
        // worker then reads as ended, and its owner says so.
        if let Err(e) = spawned {
            tracing::warn!("could not start the {name} thread: {e}");
        }
        Worker { commands, messages }
    }

    /// Hand the thread a command; false once it has ended.
    pub fn send(&self, command: C) -> bool {
        self.commands.send(command).is_ok()
    }

    /// What has arrived, oldest first, without waiting. Once the thread has ended
    /// and all it sent was read, every poll ends with `Polled::Ended`.
    pub fn poll(&self) -> impl Iterator<Item = Polled<M>> + '_ {
        let mut ended = false;
        std::iter::from_fn(move || {
            if ended {
                return None;
            }
            match self.messages.try_recv() {
                Ok(m) => Some(Polled::Message(m)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    ended = true;
                    Some(Polled::Ended)
                }
            }
        })
    }
}

impl<M: Send + 'static> Worker<(), M> {
    /// A one-off job: `body` runs once and reports through its sender; it should
    /// give up when a send fails (nobody is listening any more).
    pub fn job(name: &str, body: impl FnOnce(&Sender<M>) + Send + 'static) -> Self {
        Worker::spawn(name, move |_commands, out| body(&out))
    }
}
