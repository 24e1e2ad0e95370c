//! A 2-D Gaussian mixture: the one density whose smoothed version and ideal
//! denoiser are both closed-form.

use super::{planar_to_positions, planar_topology, Planar, System};
use crate::molecule::Topology;
use crate::rng::{normal, WjRng};
use std::f64::consts::PI;

#[derive(Debug, Clone)]
pub struct Component {
    pub weight: f64,
    pub mean: [f64; 2],
    /// Symmetric covariance [[a, b], [b, c]] stored as [a, b, c].
    pub cov: [f64; 3],
}

#[derive(Debug, Clone)]
pub struct GaussianMixture2d {
    pub components: Vec<Component>,
}

pub(crate) fn inv_det(c: [f64; 3]) -> ([f64; 3], f64) {
    let det = c[0] * c[2] - c[1] * c[1];
    ([c[2] / det, -c[1] / det, c[0] / det], det)
}

pub(crate) fn log_gauss(d: [f64; 2], cov: [f64; 3]) -> f64 {
    let (inv, det) = inv_det(cov);
    let q = inv[0] * d[0] * d[0] + 2.0 * inv[1] * d[0] * d[1] + inv[2] * d[1] * d[1];
    -0.5 * q - (2.0 * PI).ln() - 0.5 * det.ln()
}

impl GaussianMixture2d {
    /// Three well-separated, anisotropic components.
    pub fn default_mixture() -> Self {
        GaussianMixture2d {
            components: vec![
                Component {
                    weight: 0.5,
                    mean: [-1.0, -0.5],
                    cov: [0.12, 0.05, 0.08],
                },
                Component {
                    weight: 0.3,
                    mean: [1.0, -0.3],
                    cov: [0.06, -0.02, 0.15],
                },
                Component {
                    weight: 0.2,
                    mean: [0.1, 1.1],
                    cov: [0.2, 0.0, 0.04],
                },
            ],
        }
    }

    /// The mixture convolved with N(0, σ² I): p_Y, also a Gaussian mixture.
    pub fn smoothed(&self, sigma: f64) -> GaussianMixture2d {
        let s2 = sigma * sigma;
        GaussianMixture2d {
            components: self
                .components
                .iter()
                .map(|c| Component {
                    weight: c.weight,
                    mean: c.mean,
                    cov: [c.cov[0] + s2, c.cov[1], c.cov[2] + s2],
                })
                .collect(),
        }
    }

    pub fn log_density(&self, p: [f64; 2]) -> f64 {
        let terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| c.weight.ln() + log_gauss([p[0] - c.mean[0], p[1] - c.mean[1]], c.cov))
            .collect();
        let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
    }

    pub fn sample(&self, rng: &mut WjRng) -> [f64; 2] {
        let u: f64 = rand::Rng::random(rng);
        let mut acc = 0.0;
        let mut comp = &self.components[self.components.len() - 1];
        for c in &self.components {
            acc += c.weight;
            if u < acc {
                comp = c;
                break;
            }
        }
        // Cholesky of the 2x2 covariance.
        let l00 = comp.cov[0].sqrt();
        let l10 = comp.cov[1] / l00;
        let l11 = (comp.cov[2] - l10 * l10).sqrt();
        let (z0, z1) = (normal(rng), normal(rng));
        [comp.mean[0] + l00 * z0, comp.mean[1] + l10 * z0 + l11 * z1]
    }
}

impl System for GaussianMixture2d {
    fn name(&self) -> String {
        "gmm".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, p: &[f64]) -> f64 {
        -self.log_density([p[0], p[1]])
    }
    fn energy_and_forces(&self, p: &[f64], f: &mut [f64]) -> f64 {
        // Force = ∇ log p = Σ_k r_k(x) (−Σ_k⁻¹ (x − μ_k)).
        let lp = self.log_density([p[0], p[1]]);
        f[0] = 0.0;
        f[1] = 0.0;
        for c in &self.components {
            let d = [p[0] - c.mean[0], p[1] - c.mean[1]];
            let r = (c.weight.ln() + log_gauss(d, c.cov) - lp).exp();
            let (inv, _) = inv_det(c.cov);
            f[0] -= r * (inv[0] * d[0] + inv[1] * d[1]);
            f[1] -= r * (inv[1] * d[0] + inv[2] * d[1]);
        }
        -lp
    }
    fn initial(&self, _rng: &mut WjRng) -> Vec<f64> {
        self.components[0].mean.to_vec()
    }
    fn topology(&self) -> Topology {
        planar_topology()
    }
    fn to_positions(&self, x: &[f64]) -> Vec<f64> {
        planar_to_positions(x)
    }
}

impl Planar for GaussianMixture2d {
    fn bounds(&self) -> [f64; 4] {
        [-2.5, 2.5, -2.0, 2.5]
    }
}
