//! The learning-rate schedule every trainer in the crate uses: cosine decay from the
//! base rate to a floor, following whichever budget runs out first, the steps or the
//! wall-clock seconds, so a run cut short by time still ends at the low rate.

use std::time::Instant;

/// How far training is: by steps or by the wall-clock budget, whichever is further.
pub fn training_fraction(step: usize, steps: usize, t0: Instant, max_seconds: Option<f64>) -> f64 {
    let time_frac = max_seconds.map_or(0.0, |m| t0.elapsed().as_secs_f64() / m.max(1e-9));
    (step as f64 / steps as f64).max(time_frac).min(1.0)
}

/// Cosine decay of the learning rate from `base` to `floor`·`base` as `frac` goes 0 → 1.
pub fn cosine_lr(base: f64, frac: f64, floor: f64) -> f64 {
    base * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos()))
}

/// Cosine decay over `steps` steps or `max_seconds` seconds, whichever ends first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineSchedule {
    /// The rate at the start.
    pub learning_rate: f64,
    /// The rate at the end, as a fraction of `learning_rate`.
    pub floor: f64,
    pub steps: usize,
    /// The wall-clock budget of this run, if any.
    pub max_seconds: Option<f64>,
}

impl CosineSchedule {
    /// The rate for step `step` (0-based) of a run that began at `t0`.
    pub fn learning_rate(&self, step: usize, t0: Instant) -> f64 {
        let frac = training_fraction(step, self.steps, t0, self.max_seconds);
        cosine_lr(self.learning_rate, frac, self.floor)
    }

    /// Whether `elapsed` seconds have spent the time budget.
    pub fn time_up(&self, elapsed: f64) -> bool {
        self.max_seconds.is_some_and(|m| elapsed >= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cosine_runs_from_the_base_rate_to_the_floor() {
        assert!((cosine_lr(2.0, 0.0, 0.05) - 2.0).abs() < 1e-12);
        assert!((cosine_lr(2.0, 1.0, 0.05) - 0.1).abs() < 1e-12);
        assert!((cosine_lr(2.0, 0.5, 0.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_fraction_follows_whichever_budget_is_further() {
        let t0 = Instant::now();
        assert_eq!(training_fraction(25, 100, t0, None), 0.25);
        assert_eq!(training_fraction(25, 100, t0, Some(0.0)), 1.0);
        assert_eq!(training_fraction(25, 100, t0, Some(1e9)), 0.25);
        let s = CosineSchedule {
            learning_rate: 1.0,
            floor: 0.1,
            steps: 10,
            max_seconds: Some(0.001),
        };
        let before = t0 - std::time::Duration::from_millis(10);
        assert!(
            (s.learning_rate(0, before) - 0.1).abs() < 1e-12,
            "time already up"
        );
        assert!(s.time_up(0.001));
        assert!(!CosineSchedule {
            max_seconds: None,
            ..s
        }
        .time_up(1e9));
    }
}
