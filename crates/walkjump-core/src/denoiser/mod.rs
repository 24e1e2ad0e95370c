//! Denoisers: x̂(y) = E[x | y] for y = x + σε. One call gives the jump and, through
//! Tweedie's formula, the score (x̂ − y)/σ² that drives the walk.

pub mod empirical;
pub mod energy;
pub mod gmm;
pub mod grid;

use crate::error::Result;
use crate::rng::WjRng;

pub use empirical::EmpiricalDenoiser;
pub use energy::EnergyDenoiser;
pub use gmm::GmmDenoiser;
pub use grid::{DensityGrid, GridDenoiser};

/// A denoiser over a batch of chains: `y` holds `y.len() / dim()` configurations back to back.
pub trait Denoiser: Send {
    fn name(&self) -> String;
    /// Length of one configuration.
    fn dim(&self) -> usize;
    /// The σ a learned denoiser was trained at; exact denoisers work at any σ.
    fn trained_sigma(&self) -> Option<f64> {
        None
    }
    /// Posterior means E[x | y] into `mean` and, when `sample` is given, one draw
    /// x ~ p(x | y) per chain into it.
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        sample: Option<&mut [f64]>,
    ) -> Result<()>;
    /// Whether [`Denoiser::denoise`] can fill `sample`.
    fn can_sample(&self) -> bool {
        false
    }
    /// A chain was restarted (after divergence): forget any state kept for it.
    fn reset_chain(&mut self, _chain: usize) {}
}

/// x̂(y) = y at no cost: a placeholder while a run's real denoiser is moved, and the
/// denoiser that times the walk's own arithmetic (`walkjump bench`).
pub struct Identity {
    pub dim: usize,
}

impl Denoiser for Identity {
    fn name(&self) -> String {
        "identity".into()
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn denoise(
        &mut self,
        y: &[f64],
        _sigma: f64,
        _rng: &mut crate::rng::WjRng,
        mean: &mut [f64],
        _sample: Option<&mut [f64]>,
    ) -> crate::error::Result<()> {
        mean.copy_from_slice(y);
        Ok(())
    }
}
