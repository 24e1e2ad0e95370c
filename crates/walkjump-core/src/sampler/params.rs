//! Parameters of the walk: the JAMUN defaults are γ = 1, Δt = σ, M = 1, score clip 100.

use crate::error::{Error, Result};
use crate::langevin::Integrator;
pub use crate::langevin::Splitting;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum JumpKind {
    /// x̂(y) = E[x | y]: the JAMUN jump, sharper than p_X.
    Mean,
    /// x ~ p(x | y): its law over y ~ p_Y is p_X itself.
    Sample,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WalkParams {
    pub sigma: f64,
    pub gamma: f64,
    pub dt: f64,
    pub mass: f64,
    pub splitting: Splitting,
    /// Maximum norm of the score per chain; None disables clipping.
    pub clip: Option<f64>,
    pub jump_every: usize,
    pub jump: JumpKind,
    /// |coordinate| above this counts as divergence.
    pub divergence_bound: f64,
}

impl WalkParams {
    /// Paper defaults for a given σ.
    pub fn defaults(sigma: f64) -> Self {
        WalkParams {
            sigma,
            gamma: 1.0,
            dt: sigma,
            mass: 1.0,
            splitting: Splitting::Baoab,
            clip: Some(100.0),
            jump_every: 1,
            jump: JumpKind::Mean,
            divergence_bound: 1.0e4,
        }
    }

    /// A clip that only catches blow-ups: the paper's 100 was set where typical score
    /// norms are ~√dim/σ ≈ 20; at small σ or many atoms that is exceeded routinely and
    /// clipping at 100 would bias (heat) the walk, so scale it with the typical norm.
    pub fn auto_clip(dim: usize, sigma: f64) -> f64 {
        (10.0 * (dim as f64).sqrt() / sigma).max(100.0)
    }

    /// The walk's Langevin integrator: at k_BT = 1 in y, with the walk's mass.
    pub fn integrator(&self) -> Integrator {
        Integrator {
            dt: self.dt,
            gamma: self.gamma,
            kt: 1.0,
            mass: self.mass,
            splitting: self.splitting,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let ok = self.sigma > 0.0
            && self.sigma.is_finite()
            && self.gamma >= 0.0
            && self.dt > 0.0
            && self.dt.is_finite()
            && self.mass > 0.0
            && self.jump_every >= 1
            && self.clip.is_none_or(|c| c > 0.0);
        if ok {
            Ok(())
        } else {
            Err(Error::Parameter(format!(
                "walk needs sigma > 0, gamma >= 0, dt > 0, mass > 0, jump_every >= 1, clip > 0 (got {self:?})"
            )))
        }
    }
}
