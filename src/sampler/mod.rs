//! The walk-jump sampler: underdamped Langevin in the noisy space y (the walk),
//! driven by the score (x̂(y) − y)/σ², and the jump x̂(y) back to clean space.

pub mod params;

use crate::denoiser::Denoiser;
use crate::error::{Error, Result};
use crate::rng::{fill_normal, normal, seeded, WjRng};
pub use params::{JumpKind, Splitting, WalkParams};

/// What happened in one step.
#[derive(Debug, Default, Clone)]
pub struct StepReport {
    /// Chains that blew up this step and were restarted.
    pub restarted: Vec<usize>,
    /// Whether this step produced jumps to record (every `jump_every` steps).
    pub jumped: bool,
}

pub struct WalkJump {
    pub params: WalkParams,
    denoiser: Box<dyn Denoiser>,
    dim: usize,
    chains: usize,
    /// Positions, velocities, denoised means and posterior draws, chain-major.
    y: Vec<f64>,
    v: Vec<f64>,
    xhat: Vec<f64>,
    xsample: Vec<f64>,
    /// The y at which `xhat` and `xsample` were evaluated: the end of the step for
    /// BAOAB, the middle of the step for ABOBA (whose y then drifts on by Δt/2).
    y_jump: Vec<f64>,
    /// Clean starting configuration of each chain, used to restart.
    starts: Vec<Vec<f64>>,
    rng: WjRng,
    noise: Vec<f64>,
    pub steps: u64,
    pub restarts: usize,
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
        if starts.is_empty() || starts.iter().any(|s| s.len() != dim) {
            return Err(Error::Parameter(format!(
                "starting configurations must have {dim} coordinates for denoiser {}",
                denoiser.name()
            )));
        }
        if chains == 0 {
            return Err(Error::Parameter("need at least one chain".into()));
        }
        if params.jump == JumpKind::Sample && !denoiser.can_sample() {
            return Err(Error::Parameter(format!(
                "denoiser {} cannot draw x ~ p(x|y); use the mean jump",
                denoiser.name()
            )));
        }
        let starts: Vec<Vec<f64>> = (0..chains)
            .map(|c| starts[c % starts.len()].clone())
            .collect();
        let mut wj = WalkJump {
            params,
            denoiser,
            dim,
            chains,
            y: vec![0.0; dim * chains],
            v: vec![0.0; dim * chains],
            xhat: vec![0.0; dim * chains],
            xsample: vec![0.0; dim * chains],
            y_jump: vec![0.0; dim * chains],
            starts,
            rng: seeded(seed),
            noise: vec![0.0; dim * chains],
            steps: 0,
            restarts: 0,
        };
        for c in 0..chains {
            wj.place_chain(c);
        }
        wj.evaluate()?;
        Ok(wj)
    }

    fn place_chain(&mut self, c: usize) {
        let s = self.params.sigma;
        for i in 0..self.dim {
            self.y[c * self.dim + i] = self.starts[c][i] + s * normal(&mut self.rng);
            self.v[c * self.dim + i] = 0.0;
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn chains(&self) -> usize {
        self.chains
    }
    pub fn denoiser_name(&self) -> String {
        self.denoiser.name()
    }
    /// Give the denoiser back, to start a run with other chains without reloading it.
    pub fn into_denoiser(self) -> Box<dyn Denoiser> {
        self.denoiser
    }
    pub fn trained_sigma(&self) -> Option<f64> {
        self.denoiser.trained_sigma()
    }
    /// Noisy positions of all chains, each the y that the current jumps were evaluated
    /// at, so that (y, x̂(y)) pairs belong together: for BAOAB the end of the step, for
    /// ABOBA the middle of the step, where the force and the jump were computed.
    pub fn y(&self) -> &[f64] {
        &self.y_jump
    }
    /// The walk's state at the end of the last step (equal to [`WalkJump::y`] for
    /// BAOAB; for ABOBA half a drift past it).
    pub fn y_end(&self) -> &[f64] {
        &self.y
    }
    /// Denoised posterior means x̂(y) of all chains.
    pub fn mean_jumps(&self) -> &[f64] {
        &self.xhat
    }
    /// The jumps recorded as samples: means, or posterior draws.
    pub fn jumps(&self) -> &[f64] {
        match self.params.jump {
            JumpKind::Mean => &self.xhat,
            JumpKind::Sample => &self.xsample,
        }
    }

    /// Change σ, γ, Δt while running. Exact denoisers accept any σ.
    pub fn set_params(&mut self, params: WalkParams) -> Result<()> {
        params.validate()?;
        let resigma = params.sigma != self.params.sigma;
        self.params = params;
        if resigma {
            self.evaluate()?;
        }
        Ok(())
    }

    /// One denoiser call at the current y, which is remembered as the jumps' y.
    fn evaluate(&mut self) -> Result<()> {
        let want_sample = self.params.jump == JumpKind::Sample;
        let sample = want_sample.then_some(&mut self.xsample[..]);
        self.denoiser.denoise(
            &self.y,
            self.params.sigma,
            &mut self.rng,
            &mut self.xhat,
            sample,
        )?;
        self.y_jump.copy_from_slice(&self.y);
        Ok(())
    }

    /// Score (x̂ − y)/σ² of chain c, clipped to the configured norm.
    fn score(&self, c: usize, out: &mut [f64]) {
        let s2 = self.params.sigma * self.params.sigma;
        let r = c * self.dim..(c + 1) * self.dim;
        for ((o, x), y) in out.iter_mut().zip(&self.xhat[r.clone()]).zip(&self.y[r]) {
            *o = (x - y) / s2;
        }
        if let Some(clip) = self.params.clip {
            let n = out.iter().map(|v| v * v).sum::<f64>().sqrt();
            if n > clip {
                out.iter_mut().for_each(|v| *v *= clip / n);
            }
        }
    }

    fn kick(&mut self, h: f64) {
        let inv_m = 1.0 / self.params.mass;
        let mut s = vec![0.0; self.dim];
        for c in 0..self.chains {
            self.score(c, &mut s);
            for (i, si) in s.iter().enumerate() {
                self.v[c * self.dim + i] += h * si * inv_m;
            }
        }
    }

    fn drift(&mut self, h: f64) {
        for (y, v) in self.y.iter_mut().zip(&self.v) {
            *y += h * v;
        }
    }

    fn thermostat(&mut self) {
        let p = &self.params;
        let c1 = (-p.gamma * p.dt).exp();
        let c2 = ((1.0 - c1 * c1) / p.mass).sqrt();
        fill_normal(&mut self.rng, &mut self.noise);
        for (v, n) in self.v.iter_mut().zip(&self.noise) {
            *v = c1 * *v + c2 * n;
        }
    }

    /// Advance every chain by one walk step and refresh its jump.
    pub fn step(&mut self) -> Result<StepReport> {
        let h = 0.5 * self.params.dt;
        match self.params.splitting {
            Splitting::Baoab => {
                self.kick(h);
                self.drift(h);
                self.thermostat();
                self.drift(h);
                self.evaluate()?;
                self.kick(h);
            }
            Splitting::Aboba => {
                self.drift(h);
                self.evaluate()?;
                self.kick(h);
                self.thermostat();
                self.kick(h);
                self.drift(h);
            }
        }
        self.steps += 1;
        let restarted = self.restart_diverged()?;
        Ok(StepReport {
            restarted,
            jumped: self.steps.is_multiple_of(self.params.jump_every as u64),
        })
    }

    /// A chain whose state is not finite or has run off beyond the bound is put back
    /// at its start with fresh noise; the caller is told which.
    fn restart_diverged(&mut self) -> Result<Vec<usize>> {
        let bound = self.params.divergence_bound;
        let d = self.dim;
        let mut out = vec![];
        for c in 0..self.chains {
            let r = c * d..(c + 1) * d;
            let bad = self.y[r.clone()]
                .iter()
                .chain(&self.v[r.clone()])
                .chain(&self.xhat[r.clone()])
                .any(|v| !v.is_finite() || v.abs() > bound);
            if bad {
                out.push(c);
            }
        }
        if !out.is_empty() {
            for &c in &out {
                self.place_chain(c);
                self.denoiser.reset_chain(c);
                tracing::warn!(chain = c, step = self.steps, "chain diverged; restarted");
            }
            self.restarts += out.len();
            self.evaluate()?;
        }
        Ok(out)
    }
}
