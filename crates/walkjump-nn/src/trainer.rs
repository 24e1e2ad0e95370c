//! One shape for every trainer in the crate — the molecule denoiser
//! ([`crate::train`]), the lab's 2-D MLP ([`crate::lab::mlp2d`]) and its
//! trajectory model ([`crate::lab::trajdiff`]) — after burn's custom-training-loop
//! and guide examples: a config builds the model with `init(&device)`, a [`Trainer`]
//! takes optimiser steps and may validate and checkpoint, and [`run_training`] is
//! the one loop around it: the learning-rate schedule ([`super::schedule`]), the time
//! budget, divergence, progress reports and stopping.
//!
//! Progress reaches the caller as a [`TrainProgress`]; the callback answers
//! [`ControlFlow::Break`] to stop, after which the trainer finishes as it would at the
//! end (the model so far is kept).

use super::schedule::CosineSchedule;
use std::ops::ControlFlow;
use std::time::Instant;
use walkjump_core::error::{Error, Result};

/// Where a run is, reported to the caller now and then (a progress bar, the lab).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainProgress<V = ()> {
    /// Steps done, counting those of a resumed run.
    pub step: usize,
    pub steps: usize,
    /// The loss of the step, or its running mean where the trainer smooths it.
    pub loss: f64,
    /// What a validation pass at this step found.
    pub validation: Option<V>,
    pub samples_per_second: f64,
}

impl<V> TrainProgress<V> {
    /// How far the run is by steps, 0 … 1.
    pub fn fraction(&self) -> f64 {
        self.step as f64 / self.steps.max(1) as f64
    }
}

/// What the loop drives: one optimiser step at a time, and validation and
/// checkpoints when it asks for them.
pub trait Trainer {
    /// What a validation pass reports ([`TrainProgress::validation`]).
    type Validation: Clone;
    /// What is trained, for messages ("training diverged at step …").
    const WHAT: &'static str;

    /// Take optimiser step `step` (0-based) at learning rate `learning_rate`; return
    /// the loss of its batch.
    fn step(&mut self, step: usize, learning_rate: f64) -> Result<f64>;

    /// Validate after `step` steps; a trainer without held-out data has nothing to say.
    fn validate(&mut self, _step: usize) -> Result<Option<Self::Validation>> {
        Ok(None)
    }

    /// Write what a later run needs to resume after `step` steps.
    fn checkpoint(&self, _step: usize) -> Result<()> {
        Ok(())
    }
}

/// How [`run_training`] drives a trainer.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainLoop {
    /// The learning rate, the steps and the time budget.
    pub schedule: CosineSchedule,
    /// The first step: 0, or where a resumed run left off.
    pub start: usize,
    /// Samples per step (for samples per second).
    pub batch: usize,
    /// The reported loss is an exponential running mean with this weight on the old
    /// value; 0 reports each step's own loss.
    pub loss_smoothing: f64,
    /// Report progress every this many steps (and at the last).
    pub report_every: usize,
    /// Validate every this many steps, at the last step and where the run stops;
    /// `None`: never.
    pub validate_every: Option<usize>,
    /// Checkpoint every this many steps before the last; 0: never.
    pub checkpoint_every: usize,
}

/// How a run went.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    /// Steps done, counting those of a resumed run (`start` when none were taken).
    pub steps_done: usize,
    /// The last reported loss (smoothed as the loop was told); NaN when no step ran.
    pub loss: f64,
    /// Over the steps of this run; 0 when none ran.
    pub samples_per_second: f64,
    /// Wall-clock seconds of this run's loop.
    pub seconds: f64,
}

/// The training loop of every trainer: steps from `cfg.start` until the steps or the
/// time budget are spent or `progress` answers [`ControlFlow::Break`], refusing a
/// non-finite loss.
pub fn run_training<T: Trainer>(
    trainer: &mut T,
    cfg: &TrainLoop,
    mut progress: impl FnMut(&TrainProgress<T::Validation>) -> ControlFlow<()>,
) -> Result<TrainOutcome> {
    let steps = cfg.schedule.steps;
    let t0 = Instant::now();
    let mut out = TrainOutcome {
        steps_done: cfg.start,
        loss: f64::NAN,
        samples_per_second: 0.0,
        seconds: 0.0,
    };
    for step in cfg.start..steps {
        let loss = trainer.step(step, cfg.schedule.learning_rate(step, t0))?;
        if !loss.is_finite() {
            return Err(Error::Denoiser(format!(
                "{} diverged at step {step} (loss {loss}); try a smaller learning rate",
                T::WHAT
            )));
        }
        let a = cfg.loss_smoothing;
        out.loss = if out.loss.is_nan() {
            loss
        } else {
            a * out.loss + (1.0 - a) * loss
        };
        let done = step + 1;
        out.steps_done = done;
        let elapsed = t0.elapsed().as_secs_f64();
        out.samples_per_second = (done - cfg.start) as f64 * cfg.batch as f64 / elapsed.max(1e-9);
        let time_up = cfg.schedule.time_up(elapsed);
        let last = done == steps || time_up;
        let validation = match cfg.validate_every {
            Some(k) if done % k.max(1) == 0 || last => trainer.validate(done)?,
            _ => None,
        };
        let validated = validation.is_some();
        let stop = (step % cfg.report_every.max(1) == 0 || last || validated)
            && progress(&TrainProgress {
                step: done,
                steps,
                loss: out.loss,
                validation,
                samples_per_second: out.samples_per_second,
            })
            .is_break();
        if stop {
            if cfg.validate_every.is_some() && !validated {
                trainer.validate(done)?;
            }
            tracing::info!(step = done, "stopped by the caller");
            break;
        }
        if cfg.checkpoint_every > 0 && done % cfg.checkpoint_every == 0 && done < steps {
            trainer.checkpoint(done)?;
        }
        if time_up {
            tracing::info!(step = done, "time budget spent; stopping");
            break;
        }
    }
    out.seconds = t0.elapsed().as_secs_f64();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the loop asked of it; the loss is 1/(step + 1) (or NaN at `nan_at`).
    #[derive(Default)]
    struct Log {
        steps: Vec<(usize, f64)>,
        validated: Vec<usize>,
        checkpoints: std::cell::RefCell<Vec<usize>>,
        nan_at: Option<usize>,
    }

    impl Trainer for Log {
        type Validation = usize;
        const WHAT: &'static str = "the test";
        fn step(&mut self, step: usize, lr: f64) -> Result<f64> {
            self.steps.push((step, lr));
            Ok(if self.nan_at == Some(step) {
                f64::NAN
            } else {
                1.0 / (step + 1) as f64
            })
        }
        fn validate(&mut self, step: usize) -> Result<Option<usize>> {
            self.validated.push(step);
            Ok(Some(step))
        }
        fn checkpoint(&self, step: usize) -> Result<()> {
            self.checkpoints.borrow_mut().push(step);
            Ok(())
        }
    }

    fn cfg(steps: usize) -> TrainLoop {
        TrainLoop {
            schedule: CosineSchedule {
                learning_rate: 1.0,
                floor: 0.1,
                steps,
                max_seconds: None,
            },
            start: 0,
            batch: 4,
            loss_smoothing: 0.0,
            report_every: 1,
            validate_every: Some(4),
            checkpoint_every: 3,
        }
    }

    #[test]
    fn the_loop_validates_checkpoints_and_reports_on_its_cadence() {
        let mut t = Log::default();
        let mut seen = vec![];
        let out = run_training(&mut t, &cfg(10), |p| {
            seen.push((p.step, p.validation));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(out.steps_done, 10);
        assert_eq!(t.steps.len(), 10);
        assert_eq!(t.steps[0].1, 1.0, "the schedule starts at the base rate");
        assert!(t.steps.windows(2).all(|w| w[1].1 < w[0].1), "and decays");
        assert_eq!(t.validated, [4, 8, 10]);
        assert_eq!(*t.checkpoints.borrow(), [3, 6, 9]);
        assert_eq!(seen.len(), 10);
        assert_eq!(seen[3], (4, Some(4)));
        assert_eq!(seen[4], (5, None));
        assert_eq!(out.loss, 0.1, "unsmoothed: the last step's loss");
    }

    #[test]
    fn a_stop_ends_the_run_after_validating_its_step() {
        let mut t = Log::default();
        let mut c = cfg(100);
        c.report_every = 5;
        c.loss_smoothing = 0.5;
        let mut reported = vec![];
        let out = run_training(&mut t, &c, |p| {
            reported.push(p.step);
            if p.step >= 11 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        // Reports at steps 0, 5, 10 (done 1, 6, 11) and at the validations (4, 8).
        assert_eq!(reported, [1, 4, 6, 8, 11]);
        assert_eq!(out.steps_done, 11);
        assert_eq!(t.validated, [4, 8, 11]);
        assert!(out.loss > 1.0 / 11.0, "smoothed loss lags behind");
    }

    #[test]
    fn a_spent_time_budget_stops_after_one_validated_step() {
        let mut t = Log::default();
        let mut c = cfg(100);
        c.schedule.max_seconds = Some(0.0);
        c.start = 40;
        let out = run_training(&mut t, &c, |_| ControlFlow::Continue(())).unwrap();
        assert_eq!(out.steps_done, 41);
        assert_eq!(t.steps.len(), 1);
        assert_eq!(t.steps[0].0, 40);
        assert_eq!(t.validated, [41]);
    }

    #[test]
    fn a_non_finite_loss_is_refused_with_the_step() {
        let mut t = Log {
            nan_at: Some(2),
            ..Default::default()
        };
        let e = run_training(&mut t, &cfg(10), |_| ControlFlow::Continue(()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the test diverged at step 2"), "{e}");
    }
}
