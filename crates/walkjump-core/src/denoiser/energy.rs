//! Energy-based denoiser for systems with known forces: E[x | y] estimated by a short
//! Langevin chain on U(x) + |x − y|²/2σ² (k_BT = 1), warm-started from the chain's
//! previous state so that few steps are needed once the walk is under way.
//!
//! The score has two unbiased estimators over the posterior samples: the Tweedie one,
//! mean (x − y)/σ², and the force one, mean −∇U(x) (the identity PSM trains on). At
//! small σ the force estimator has far less variance (its spread is ~‖∇²U‖σ rather than
//! 1/σ), and score noise heats the walk, so the two are combined with the
//! variance-minimising control-variate weight estimated from the same samples.
//! The jump is then x̂ = y + σ² ŝ.
//!
//! The estimate is consistent, not unbiased: the weight is estimated from the same
//! finite, correlated samples (the one non-linear step), so E[x̂] − E[x | y] is of
//! order 1/`average`. Against the
//! exact quadrature denoiser on the double well at σ = 0.2 and the default inner chain
//! (10 + 100 steps), the bias is ≈ 0.006 (3 % of σ) beside a single-call rms error of
//! 0.043; ten times the steps bring it below 0.001 (tests/sampler.rs).

use super::Denoiser;
use crate::error::{Error, Result};
use crate::geometry::{chain_slice, chain_slice_mut};
use crate::langevin::{Integrator, Phase, Splitting};
use crate::rng::WjRng;
use crate::systems::System;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct InnerChainParams {
    /// Steps discarded after y moved.
    pub burn_in: usize,
    /// Steps averaged into the posterior mean.
    pub average: usize,
    /// Inner step as a fraction of σ (the posterior is a well of width ~σ).
    pub dt_over_sigma: f64,
    /// Upper bound on the inner step, for stiff potentials.
    pub max_dt: f64,
}

impl Default for InnerChainParams {
    fn default() -> Self {
        InnerChainParams {
            burn_in: 10,
            average: 100,
            dt_over_sigma: 0.2,
            max_dt: 0.01,
        }
    }
}

pub struct EnergyDenoiser {
    system: Arc<dyn System>,
    pub params: InnerChainParams,
    /// Per-chain inner state (x, v); empty until first use.
    x: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
    force: Vec<f64>,
    noise: Vec<f64>,
}

impl EnergyDenoiser {
    pub fn new(system: Arc<dyn System>, params: InnerChainParams) -> Self {
        let d = system.dim();
        EnergyDenoiser {
            system,
            params,
            x: vec![],
            v: vec![],
            force: vec![0.0; d],
            noise: vec![0.0; d],
        }
    }

    /// Run the inner chain of walker `c`, writing its posterior-mean estimate to `mean`;
    /// the chain's last state stays in `self.x[c]` as a posterior draw.
    fn inner(
        &mut self,
        c: usize,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
    ) -> Result<()> {
        let d = y.len();
        let p = self.params;
        let dt = (p.dt_over_sigma * sigma).min(p.max_dt);
        // Friction near critical damping of the σ-wide restraint.
        let integrator = Integrator {
            dt,
            gamma: 1.0 / sigma,
            kt: 1.0,
            mass: 1.0,
            splitting: Splitting::Baoab,
        };
        let inv_s2 = 1.0 / (sigma * sigma);
        let (x, v) = (&mut self.x[c], &mut self.v[c]);
        let (f, noise) = (&mut self.force, &mut self.noise);
        let system = self.system.as_ref();
        // The tilted potential U(x) + |x − y|²/2σ²: returns U(x), writes its force.
        let total_force = |x: &[f64], f: &mut [f64], _: &mut WjRng| {
            let e = system.energy_and_forces(x, f);
            for i in 0..d {
                f[i] -= (x[i] - y[i]) * inv_s2;
            }
            Ok(e)
        };
        total_force(x, f, rng)?;
        // Running sums for the two score estimators: A = (x − y)/σ², B = −∇U(x).
        let n = p.average as f64;
        let mut sum_a = vec![0.0; d];
        let mut sum_b = vec![0.0; d];
        // Pooled second moments of B and D = A − B, for the control-variate weight.
        let (mut sbd, mut sdd) = (0.0, 0.0);
        for step in 0..p.burn_in + p.average {
            let phase = Phase {
                x,
                v,
                force: f,
                noise,
            };
            let e = integrator.step(phase, rng, total_force)?;
            if !e.is_finite() {
                return Err(Error::Diverged {
                    what: format!("the energy denoiser's inner chain of walker {c}"),
                    step: step as u64 + 1,
                    detail: format!("energy {e}"),
                    fix: format!(
                        "lower σ (its step is min({} σ, {}) = {dt}) or check the potential and the starting structure",
                        p.dt_over_sigma, p.max_dt
                    ),
                });
            }
            if step >= p.burn_in {
                for i in 0..d {
                    let a = (x[i] - y[i]) * inv_s2;
                    // f = −∇U − (x − y)/σ², so −∇U = f + a.
                    let b = f[i] + a;
                    let dd = a - b;
                    sum_a[i] += a;
                    sum_b[i] += b;
                    sbd += b * dd;
                    sdd += dd * dd;
                }
            }
        }
        // Cov(B, D) and Var(D), pooled over coordinates.
        let (mut cov_bd, mut var_d) = (sbd / n, sdd / n);
        for i in 0..d {
            let (mb, md) = (sum_b[i] / n, (sum_a[i] - sum_b[i]) / n);
            cov_bd -= mb * md;
            var_d -= md * md;
        }
        let w = if var_d > 0.0 {
            (-cov_bd / var_d).clamp(0.0, 1.0)
        } else {
            0.0
        };
        for i in 0..d {
            let score = (sum_b[i] + w * (sum_a[i] - sum_b[i])) / n;
            mean[i] = y[i] + sigma * sigma * score;
        }
        Ok(())
    }
}

impl Denoiser for EnergyDenoiser {
    fn name(&self) -> String {
        format!("{}-energy", self.system.name())
    }
    fn dim(&self) -> usize {
        self.system.dim()
    }
    fn can_sample(&self) -> bool {
        true
    }
    fn reset_chain(&mut self, chain: usize) {
        if chain < self.x.len() {
            self.x[chain].clear();
        }
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        mut sample: Option<&mut [f64]>,
    ) -> Result<()> {
        let d = self.dim();
        let chains = y.len() / d;
        self.x.resize(chains, vec![]);
        self.v.resize(chains, vec![]);
        for c in 0..chains {
            let yc = chain_slice(y, d, c);
            if self.x[c].len() != d {
                // Start at y itself; burn-in pulls it onto the posterior.
                self.x[c] = yc.to_vec();
                self.v[c] = vec![0.0; d];
                let saved = self.params.burn_in;
                self.params.burn_in = saved.max(200);
                let r = self.inner(c, yc, sigma, rng, chain_slice_mut(mean, d, c));
                self.params.burn_in = saved;
                r?;
            } else {
                self.inner(c, yc, sigma, rng, chain_slice_mut(mean, d, c))?;
            }
            if let Some(s) = sample.as_deref_mut() {
                chain_slice_mut(s, d, c).copy_from_slice(&self.x[c]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use crate::systems::DoubleWell;

    #[test]
    fn an_inner_chain_that_blows_up_says_so_and_what_to_change() {
        // An inner step of 1 is far past the stability limit of the tilted well.
        let params = InnerChainParams {
            dt_over_sigma: 5.0,
            max_dt: 1.0,
            ..Default::default()
        };
        let mut den = EnergyDenoiser::new(Arc::new(DoubleWell), params);
        let mut mean = [0.0; 2];
        let e = den
            .denoise(&[-1.0, 0.0], 0.5, &mut seeded(1), &mut mean, None)
            .unwrap_err();
        assert!(matches!(e, Error::Diverged { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("inner chain of walker 0 diverged"), "{msg}");
        assert!(msg.contains("lower σ"), "{msg}");
    }
}
