//! The walk-jump sampler: underdamped Langevin in the noisy space y (the walk),
//! driven by the score (x̂(y) − y)/σ², and the jump x̂(y) back to clean space.
//! The walk steps with the one Langevin integrator, [`crate::langevin`], all chains
//! in one call, the denoiser call being its force.

pub mod guard;
pub mod params;

use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::geometry::chain_slice;
use crate::langevin::Phase;
use crate::rng::{normal, seeded, WjRng};
pub use guard::ChiralityGuard;
pub use params::{JumpKind, Splitting, WalkParams};

/// What happened in one step.
#[derive(Debug, Default, Clone)]
pub struct StepReport {
    /// Chains that blew up this step and were restarted.
    pub restarted: Vec<usize>,
    /// Chains whose move the chirality guard rejected at this jump step ([`guard`]).
    pub rejected: Vec<usize>,
    /// Whether this step produced jumps to record (every `jump_every` steps).
    pub jumped: bool,
}

pub struct WalkJump {
    pub params: WalkParams,
    jumps: Jumps,
    dim: usize,
    chains: usize,
    /// Positions and velocities, chain-major.
    y: Vec<f64>,
    v: Vec<f64>,
    /// The walk's force: the clipped score of each chain from the last denoiser call.
    score: Vec<f64>,
    /// Clean starting configuration of each chain, used to restart.
    starts: Vec<Vec<f64>>,
    rng: WjRng,
    noise: Vec<f64>,
    pub steps: u64,
    pub restarts: usize,
    guard: Option<ChiralityGuard>,
    /// The state at the last jump step, kept while a guard is set: where a rejected
    /// chain goes back to.
    saved: Option<Saved>,
}

/// One copy of everything a rejected chain takes back.
#[derive(Clone)]
struct Saved {
    y: Vec<f64>,
    v: Vec<f64>,
    score: Vec<f64>,
    xhat: Vec<f64>,
    xsample: Vec<f64>,
    y_jump: Vec<f64>,
}

impl WalkJump {
    /// Chains start at y = x₀ + σε with v = 0, one start per chain (cycled if fewer).
    pub fn new(
        params: WalkParams,
        denoiser: Box<dyn Denoiser>,
        starts: Vec<Vec<f64>>,
        chains: usize,
        seed: u64,
    ) -> Result<Self> {
        params.validate()?;
        let dim = denoiser.dim();
        let starts = chain_starts(&starts, dim, chains, &denoiser.name())?;
        if params.jump == JumpKind::Sample && !denoiser.can_sample() {
            return Err(Error::Parameter(format!(
                "denoiser {} cannot draw x ~ p(x|y); use the mean jump",
                denoiser.name()
            )));
        }
        let mut wj = WalkJump {
            params,
            jumps: Jumps {
                denoiser,
                dim,
                xhat: vec![0.0; dim * chains],
                xsample: vec![0.0; dim * chains],
                y_jump: vec![0.0; dim * chains],
            },
            dim,
            chains,
            y: vec![0.0; dim * chains],
            v: vec![0.0; dim * chains],
            score: vec![0.0; dim * chains],
            starts,
            rng: seeded(seed),
            noise: vec![0.0; dim * chains],
            steps: 0,
            restarts: 0,
            guard: None,
            saved: None,
        };
        for c in 0..chains {
            wj.place_chain(c);
        }
        wj.evaluate()?;
        Ok(wj)
    }

    fn place_chain(&mut self, c: usize) {
        let d = self.dim;
        noisy_start(
            &self.starts[c],
            self.params.sigma,
            &mut self.rng,
            &mut self.y[c * d..(c + 1) * d],
        );
        self.v[c * d..(c + 1) * d].fill(0.0);
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn chains(&self) -> usize {
        self.chains
    }
    pub fn denoiser_name(&self) -> String {
        self.jumps.denoiser.name()
    }
    /// Give the denoiser back, to start a run with other chains without reloading it.
    pub fn into_denoiser(self) -> Box<dyn Denoiser> {
        self.jumps.denoiser
    }
    pub fn trained_sigma(&self) -> Option<f64> {
        self.jumps.denoiser.trained_sigma()
    }
    /// Noisy positions of all chains, each the y that the current jumps were evaluated
    /// at, so that (y, x̂(y)) pairs belong together: for BAOAB the end of the step, for
    /// ABOBA the middle of the step, where the force and the jump were computed.
    pub fn y(&self) -> &[f64] {
        &self.jumps.y_jump
    }
    /// The walk's state at the end of the last step (equal to [`WalkJump::y`] for
    /// BAOAB; for ABOBA half a drift past it).
    pub fn y_end(&self) -> &[f64] {
        &self.y
    }
    /// Denoised posterior means x̂(y) of all chains.
    pub fn mean_jumps(&self) -> &[f64] {
        &self.jumps.xhat
    }
    /// Chain `c`'s recorded jump.
    pub fn jump_of(&self, c: usize) -> &[f64] {
        chain_slice(self.jumps(), self.dim, c)
    }
    /// Chain `c`'s y at the point its jump was evaluated (see [`WalkJump::y`]).
    pub fn y_of(&self, c: usize) -> &[f64] {
        chain_slice(self.y(), self.dim, c)
    }
    /// The jumps recorded as samples: means, or posterior draws.
    pub fn jumps(&self) -> &[f64] {
        match self.params.jump {
            JumpKind::Mean => &self.jumps.xhat,
            JumpKind::Sample => &self.jumps.xsample,
        }
    }

    /// Change σ, γ, Δt while running. Exact denoisers accept any σ.
    pub fn set_params(&mut self, params: WalkParams) -> Result<()> {
        params.validate()?;
        let resigma = params.sigma != self.params.sigma;
        self.params = params;
        if resigma {
            self.evaluate()?;
        } else {
            // The score is the force of the next kick: recompute it under the new clip.
            self.jumps.score(&self.y, &self.params, &mut self.score);
        }
        // A rejected chain must go back to a state of these parameters.
        self.save();
        Ok(())
    }

    /// One denoiser call at the current y, which is remembered as the jumps' y.
    fn evaluate(&mut self) -> Result<()> {
        self.jumps
            .evaluate(&self.y, &self.params, &mut self.rng, &mut self.score)
    }

    /// Advance every chain by one walk step and refresh its jump.
    pub fn step(&mut self) -> Result<StepReport> {
        let WalkJump {
            params,
            jumps,
            y,
            v,
            score,
            noise,
            rng,
            ..
        } = self;
        let phase = Phase {
            x: y,
            v,
            force: score,
            noise,
        };
        params.integrator().step(phase, rng, |y, score, rng| {
            jumps.evaluate(y, params, rng, score)
        })?;
        self.steps += 1;
        let restarted = self.restart_diverged()?;
        let jumped = self.steps.is_multiple_of(self.params.jump_every as u64);
        let rejected = if jumped { self.guard_jumps() } else { vec![] };
        Ok(StepReport {
            restarted,
            rejected,
            jumped,
        })
    }

    /// At a jump step: chains whose jump turned a centre over go back to the last
    /// jump step's state, velocity reversed; then this step's state is saved.
    fn guard_jumps(&mut self) -> Vec<usize> {
        // Taken out while it counts, put back before `save`, which needs it.
        let Some(mut g) = self.guard.take() else {
            return vec![];
        };
        let d = self.dim;
        let rejected = g.reject(self.chains, |c| chain_slice(self.jumps(), d, c));
        self.guard = Some(g);
        if let Some(s) = &self.saved {
            for &c in &rejected {
                let r = c * d..(c + 1) * d;
                self.y[r.clone()].copy_from_slice(&s.y[r.clone()]);
                for (v, sv) in self.v[r.clone()].iter_mut().zip(&s.v[r.clone()]) {
                    *v = -sv;
                }
                self.score[r.clone()].copy_from_slice(&s.score[r.clone()]);
                self.jumps.xhat[r.clone()].copy_from_slice(&s.xhat[r.clone()]);
                self.jumps.xsample[r.clone()].copy_from_slice(&s.xsample[r.clone()]);
                self.jumps.y_jump[r.clone()].copy_from_slice(&s.y_jump[r]);
                self.jumps.denoiser.reset_chain(c);
            }
        }
        self.save();
        rejected
    }

    fn save(&mut self) {
        if self.guard.is_none() {
            self.saved = None;
            return;
        }
        self.saved = Some(Saved {
            y: self.y.clone(),
            v: self.v.clone(),
            score: self.score.clone(),
            xhat: self.jumps.xhat.clone(),
            xsample: self.jumps.xsample.clone(),
            y_jump: self.jumps.y_jump.clone(),
        });
    }

    /// A chain whose state is not finite or has run off beyond the bound is put back
    /// at its start with fresh noise; the caller is told which.
    fn restart_diverged(&mut self) -> Result<Vec<usize>> {
        let bound = self.params.divergence_bound;
        let d = self.dim;
        let mut out = vec![];
        for c in 0..self.chains {
            let bad = chain_slice(&self.y, d, c)
                .iter()
                .chain(chain_slice(&self.v, d, c))
                .chain(chain_slice(&self.jumps.xhat, d, c))
                .any(|v| !v.is_finite() || v.abs() > bound);
            if bad {
                out.push(c);
            }
        }
        if !out.is_empty() {
            for &c in &out {
                self.place_chain(c);
                self.jumps.denoiser.reset_chain(c);
                tracing::warn!(chain = c, step = self.steps, "chain diverged; restarted");
            }
            self.restarts += out.len();
            self.evaluate()?;
        }
        Ok(out)
    }
}

/// y = x₀ + σε for one chain: where a chain starts and restarts (v = 0). Both walks
/// draw it from their seeded generator in chain order, so a host and a device walk
/// with one seed start from the same y.
pub fn noisy_start(start: &[f64], sigma: f64, rng: &mut WjRng, y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(start) {
        *y = x + sigma * normal(rng);
    }
}

/// `k` of `frames` evenly spaced from the first to the last (all of them when there
/// are fewer): starts for `k` chains spread over a trajectory, e.g. an MD reference,
/// whose walk then shows whether the model keeps that ensemble.
pub fn spread_starts(frames: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let k = k.max(1).min(frames.len());
    let last = frames.len().saturating_sub(1);
    (0..k)
        .map(|i| frames[if k == 1 { 0 } else { i * last / (k - 1) }].clone())
        .collect()
}

/// Checks both walks make of their starting configurations, and the starts cycled
/// over the chains.
pub fn chain_starts(
    starts: &[Vec<f64>],
    dim: usize,
    chains: usize,
    denoiser: &str,
) -> Result<Vec<Vec<f64>>> {
    if starts.is_empty() || starts.iter().any(|s| s.len() != dim) {
        return Err(Error::Parameter(format!(
            "starting configurations must have {dim} coordinates for denoiser {denoiser}"
        )));
    }
    if chains == 0 {
        return Err(Error::Parameter("need at least one chain".into()));
    }
    Ok((0..chains)
        .map(|c| starts[c % starts.len()].clone())
        .collect())
}

/// What a recording loop needs of a walk, wherever its state lives: [`WalkJump`] on
/// the host, or walkjump-nn's device walk, whose state stays on a burn device and
/// comes to the host only at jump steps.
pub trait Walk: Send {
    /// One step of every chain; restarts of diverged chains are in the report.
    fn step(&mut self) -> Result<StepReport>;
    fn chains(&self) -> usize;
    fn dim(&self) -> usize;
    fn params(&self) -> WalkParams;
    /// Chain `c`'s recorded jump, as of the last step that reported `jumped`.
    fn jump_of(&self, c: usize) -> &[f64];
    /// Chain `c`'s y where that jump was evaluated.
    fn y_of(&self, c: usize) -> &[f64];
    /// Restarts of diverged chains so far.
    fn restarts(&self) -> usize;
    /// Hold every chiral centre to its start's hand ([`guard`]); `None` lifts it.
    fn set_guard(&mut self, guard: Option<ChiralityGuard>);
    /// The chirality guard, with its counts; `None` when none is set.
    fn chirality_guard(&self) -> Option<&ChiralityGuard>;
    /// Moves the chirality guard rejected so far; `None` when no guard is set.
    fn chirality_rejections(&self) -> Option<usize> {
        self.chirality_guard().map(ChiralityGuard::rejections)
    }
    fn denoiser_name(&self) -> String;
    /// Steps taken.
    fn steps(&self) -> u64;
    /// Change σ, γ, Δt while running.
    fn set_params(&mut self, params: WalkParams) -> Result<()>;
    /// A new walk of `chains` chains from `starts` around the same denoiser (which is
    /// lost if this fails).
    fn rebuilt(
        self: Box<Self>,
        params: WalkParams,
        starts: Vec<Vec<f64>>,
        chains: usize,
        seed: u64,
    ) -> Result<Box<dyn Walk>>;
}

impl Walk for WalkJump {
    fn step(&mut self) -> Result<StepReport> {
        WalkJump::step(self)
    }
    fn chains(&self) -> usize {
        self.chains
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn params(&self) -> WalkParams {
        self.params
    }
    fn jump_of(&self, c: usize) -> &[f64] {
        WalkJump::jump_of(self, c)
    }
    fn y_of(&self, c: usize) -> &[f64] {
        WalkJump::y_of(self, c)
    }
    fn restarts(&self) -> usize {
        self.restarts
    }
    fn set_guard(&mut self, guard: Option<ChiralityGuard>) {
        self.guard = guard;
        self.save();
    }
    fn chirality_guard(&self) -> Option<&ChiralityGuard> {
        self.guard.as_ref()
    }
    fn denoiser_name(&self) -> String {
        WalkJump::denoiser_name(self)
    }
    fn steps(&self) -> u64 {
        self.steps
    }
    fn set_params(&mut self, params: WalkParams) -> Result<()> {
        WalkJump::set_params(self, params)
    }
    fn rebuilt(
        self: Box<Self>,
        params: WalkParams,
        starts: Vec<Vec<f64>>,
        chains: usize,
        seed: u64,
    ) -> Result<Box<dyn Walk>> {
        let guard = self.guard.clone();
        let den = self.into_denoiser();
        let mut w = WalkJump::new(params, den, starts, chains, seed)?;
        Walk::set_guard(&mut w, guard);
        Ok(Box::new(w))
    }
}

/// The denoiser and what its last call gave, apart from the walk's state so that the
/// integrator's force callback can borrow it while the integrator holds y and v.
struct Jumps {
    denoiser: Box<dyn Denoiser>,
    dim: usize,
    /// Denoised means and posterior draws, chain-major.
    xhat: Vec<f64>,
    xsample: Vec<f64>,
    /// The y at which `xhat` and `xsample` were evaluated: the end of the step for
    /// BAOAB, the middle of the step for ABOBA (whose y then drifts on by Δt/2).
    y_jump: Vec<f64>,
}

impl Jumps {
    /// One denoiser call at `y`, remembered as the jumps' y, and the walk's force there.
    fn evaluate(
        &mut self,
        y: &[f64],
        params: &WalkParams,
        rng: &mut WjRng,
        score: &mut [f64],
    ) -> Result<()> {
        let want_sample = params.jump == JumpKind::Sample;
        let sample = want_sample.then_some(&mut self.xsample[..]);
        self.denoiser
            .denoise(y, params.sigma, rng, &mut self.xhat, sample)?;
        self.y_jump.copy_from_slice(y);
        self.score(y, params, score);
        Ok(())
    }

    /// Score (x̂ − y)/σ² of every chain, each clipped to the configured norm.
    fn score(&self, y: &[f64], params: &WalkParams, out: &mut [f64]) {
        let s2 = params.sigma * params.sigma;
        let d = self.dim;
        for ((out, xhat), y) in out.chunks_mut(d).zip(self.xhat.chunks(d)).zip(y.chunks(d)) {
            for ((o, x), y) in out.iter_mut().zip(xhat).zip(y) {
                *o = (x - y) / s2;
            }
            if let Some(clip) = params.clip {
                let n = out.iter().map(|v| v * v).sum::<f64>().sqrt();
                if n > clip {
                    out.iter_mut().for_each(|v| *v *= clip / n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spread_starts;

    #[test]
    fn starts_are_spread_from_the_first_frame_to_the_last() {
        let frames: Vec<Vec<f64>> = (0..5).map(|i| vec![i as f64]).collect();
        let firsts = |k| -> Vec<f64> { spread_starts(&frames, k).iter().map(|f| f[0]).collect() };
        assert_eq!(firsts(3), vec![0.0, 2.0, 4.0]);
        assert_eq!(firsts(2), vec![0.0, 4.0]);
        assert_eq!(firsts(1), vec![0.0]);
        assert_eq!(firsts(0), vec![0.0], "one chain at least");
        assert_eq!(firsts(9), vec![0.0, 1.0, 2.0, 3.0, 4.0], "each frame once");
        assert!(spread_starts(&[], 4).is_empty());
    }
}
