//! Reverse diffusion with annealed noise (variance-exploding): start from wide noise
//! and walk down a ladder of noise levels, each step a draw from the Gaussian
//! posterior q(x_{σ'} | x_σ, x₀ = x̂(x_σ)). Shared by the 2-D diffusion sampler and the
//! trajectory model.

use walkjump_core::rng::{normal, WjRng};

/// `n` levels spaced evenly in log σ from `max` down to `min`.
pub fn geometric_levels(max: f64, min: f64, n: usize) -> Vec<f64> {
    let n = n.max(2);
    (0..n)
        .map(|i| max * (min / max).powf(i as f64 / (n - 1) as f64))
        .collect()
}

/// One step from noise level `s` to the lower `s_next`, given the denoised estimate
/// `xhat` of the current `x`: mean x + (1 − s'²/s²)(x̂ − x), variance s'²(s² − s'²)/s².
pub fn ancestral_step(x: &mut [f64], xhat: &[f64], s: f64, s_next: f64, rng: &mut WjRng) {
    let keep = (s_next * s_next) / (s * s);
    let sd = s_next * (1.0 - keep).max(0.0).sqrt();
    for (xi, &h) in x.iter_mut().zip(xhat) {
        *xi += (1.0 - keep) * (h - *xi) + sd * normal(rng);
    }
}
