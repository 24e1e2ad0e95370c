//! Lennard-Jones clusters as in the PSM paper (Eq. 14-15): r_m = tau = 1, a harmonic
//! tether of every particle to the centre of mass, k_BT = 1.

use super::System;
use crate::molecule::Topology;
use crate::rng::{normal, WjRng};

#[derive(Debug, Clone)]
pub struct LjCluster {
    pub n: usize,
}

impl LjCluster {
    pub fn new(n: usize) -> Self {
        LjCluster { n }
    }
}

impl System for LjCluster {
    fn name(&self) -> String {
        format!("lj{}", self.n)
    }

    fn dim(&self) -> usize {
        3 * self.n
    }

    fn energy(&self, x: &[f64]) -> f64 {
        let mut f = vec![0.0; x.len()];
        self.energy_and_forces(x, &mut f)
    }

    fn energy_and_forces(&self, x: &[f64], f: &mut [f64]) -> f64 {
        let n = self.n;
        f.iter_mut().for_each(|v| *v = 0.0);
        let mut e = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let d = [
                    x[3 * i] - x[3 * j],
                    x[3 * i + 1] - x[3 * j + 1],
                    x[3 * i + 2] - x[3 * j + 2],
                ];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                let inv6 = 1.0 / (r2 * r2 * r2);
                let inv12 = inv6 * inv6;
                e += inv12 - 2.0 * inv6;
                // -dU/dr / r = 12 (r^-12 - r^-6) / r^2
                let s = 12.0 * (inv12 - inv6) / r2;
                for k in 0..3 {
                    f[3 * i + k] += s * d[k];
                    f[3 * j + k] -= s * d[k];
                }
            }
        }
        let mut mean = [0.0; 3];
        for i in 0..n {
            for k in 0..3 {
                mean[k] += x[3 * i + k] / n as f64;
            }
        }
        for i in 0..n {
            for k in 0..3 {
                let dx = x[3 * i + k] - mean[k];
                e += 0.5 * dx * dx;
                f[3 * i + k] -= dx;
            }
        }
        e
    }

    fn initial(&self, rng: &mut WjRng) -> Vec<f64> {
        // Particles on a jittered cubic lattice at the LJ minimum distance.
        let side = (self.n as f64).cbrt().ceil() as usize;
        let mut x = Vec::with_capacity(3 * self.n);
        'outer: for a in 0..side {
            for b in 0..side {
                for c in 0..side {
                    if x.len() == 3 * self.n {
                        break 'outer;
                    }
                    for v in [a, b, c] {
                        x.push((v as f64 - (side as f64 - 1.0) / 2.0) * 1.05 + 0.02 * normal(rng));
                    }
                }
            }
        }
        x
    }

    fn topology(&self) -> Topology {
        Topology::lj_cluster(self.n)
    }
}

/// All pair distances i < j of a flat 3-D configuration.
pub fn pair_distances(x: &[f64], out: &mut Vec<f64>) {
    out.clear();
    let n = x.len() / 3;
    for i in 0..n {
        for j in i + 1..n {
            let d = [
                x[3 * i] - x[3 * j],
                x[3 * i + 1] - x[3 * j + 1],
                x[3 * i + 2] - x[3 * j + 2],
            ];
            out.push((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt());
        }
    }
}
