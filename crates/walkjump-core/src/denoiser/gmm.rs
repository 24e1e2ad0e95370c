//! Closed-form denoiser of a Gaussian mixture.

use super::Denoiser;
use crate::error::Result;
use crate::rng::{normal, WjRng};
use crate::systems::gmm::{inv_det, log_gauss, GaussianMixture2d};

pub struct GmmDenoiser {
    pub mixture: GaussianMixture2d,
}

impl GmmDenoiser {
    pub fn new(mixture: GaussianMixture2d) -> Self {
        GmmDenoiser { mixture }
    }

    /// Posterior over components and, per component, the Gaussian posterior of x:
    /// precision Σ⁻¹ + I/σ², mean P⁻¹(Σ⁻¹μ + y/σ²).
    fn posterior(&self, y: [f64; 2], sigma: f64) -> Vec<(f64, [f64; 2], [f64; 3])> {
        let s2 = sigma * sigma;
        let logr: Vec<f64> = self
            .mixture
            .components
            .iter()
            .map(|c| {
                c.weight.ln()
                    + log_gauss(
                        [y[0] - c.mean[0], y[1] - c.mean[1]],
                        [c.cov[0] + s2, c.cov[1], c.cov[2] + s2],
                    )
            })
            .collect();
        let m = logr.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logr.iter().map(|l| (l - m).exp()).sum();
        self.mixture
            .components
            .iter()
            .zip(&logr)
            .map(|(c, l)| {
                let (inv, _) = inv_det(c.cov);
                let prec = [inv[0] + 1.0 / s2, inv[1], inv[2] + 1.0 / s2];
                let (pcov, _) = inv_det(prec);
                let b = [
                    inv[0] * c.mean[0] + inv[1] * c.mean[1] + y[0] / s2,
                    inv[1] * c.mean[0] + inv[2] * c.mean[1] + y[1] / s2,
                ];
                let mu = [
                    pcov[0] * b[0] + pcov[1] * b[1],
                    pcov[1] * b[0] + pcov[2] * b[1],
                ];
                ((l - m).exp() / z, mu, pcov)
            })
            .collect()
    }
}

impl Denoiser for GmmDenoiser {
    fn name(&self) -> String {
        "gmm-exact".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn can_sample(&self) -> bool {
        true
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        mut sample: Option<&mut [f64]>,
    ) -> Result<()> {
        for (k, yk) in y.chunks(2).enumerate() {
            let post = self.posterior([yk[0], yk[1]], sigma);
            let mut m = [0.0; 2];
            for (r, mu, _) in &post {
                m[0] += r * mu[0];
                m[1] += r * mu[1];
            }
            mean[2 * k] = m[0];
            mean[2 * k + 1] = m[1];
            if let Some(s) = sample.as_deref_mut() {
                let u: f64 = rand::Rng::random(rng);
                let mut acc = 0.0;
                let mut pick = post.len() - 1;
                for (i, (r, _, _)) in post.iter().enumerate() {
                    acc += r;
                    if u < acc {
                        pick = i;
                        break;
                    }
                }
                let (_, mu, c) = post[pick];
                let l00 = c[0].sqrt();
                let l10 = c[1] / l00;
                let l11 = (c[2] - l10 * l10).max(0.0).sqrt();
                let (z0, z1) = (normal(rng), normal(rng));
                s[2 * k] = mu[0] + l00 * z0;
                s[2 * k + 1] = mu[1] + l10 * z0 + l11 * z1;
            }
        }
        Ok(())
    }
}
