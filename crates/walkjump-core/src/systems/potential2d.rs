//! Planar potentials: the DynamicsDiffusion double well and a scaled Müller–Brown surface.

use super::{planar_to_positions, planar_topology, Planar, System};
use crate::molecule::Topology;
use crate::rng::WjRng;

/// V(x, y) = −9x² + x³ + 4.5x⁴ + 3y² (DynamicsDiffusion, k_BT = 1).
#[derive(Debug, Clone, Copy, Default)]
pub struct DoubleWell;

impl System for DoubleWell {
    fn name(&self) -> String {
        "double-well".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, p: &[f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        -9.0 * x * x + x * x * x + 4.5 * x.powi(4) + 3.0 * y * y
    }
    fn energy_and_forces(&self, p: &[f64], f: &mut [f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        f[0] = -(-18.0 * x + 3.0 * x * x + 18.0 * x * x * x);
        f[1] = -6.0 * y;
        self.energy(p)
    }
    fn initial(&self, _rng: &mut WjRng) -> Vec<f64> {
        vec![-1.09, 0.0]
    }
    fn topology(&self) -> Topology {
        planar_topology()
    }
    fn to_positions(&self, x: &[f64]) -> Vec<f64> {
        planar_to_positions(x)
    }
}

impl Planar for DoubleWell {
    fn bounds(&self) -> [f64; 4] {
        [-2.2, 2.0, -2.0, 2.0]
    }
}

/// Müller–Brown surface multiplied by `scale` so that k_BT = 1 gives a useful landscape
/// (the raw surface spans ~150 energy units).
#[derive(Debug, Clone, Copy)]
pub struct MullerBrown {
    pub scale: f64,
}

impl Default for MullerBrown {
    fn default() -> Self {
        MullerBrown { scale: 0.1 }
    }
}

const MB_A: [f64; 4] = [-200.0, -100.0, -170.0, 15.0];
const MB_QA: [f64; 4] = [-1.0, -1.0, -6.5, 0.7];
const MB_QB: [f64; 4] = [0.0, 0.0, 11.0, 0.6];
const MB_QC: [f64; 4] = [-10.0, -10.0, -6.5, 0.7];
const MB_X: [f64; 4] = [1.0, 0.0, -0.5, -1.0];
const MB_Y: [f64; 4] = [0.0, 0.5, 1.5, 1.0];

impl System for MullerBrown {
    fn name(&self) -> String {
        "muller-brown".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, p: &[f64]) -> f64 {
        let mut f = [0.0; 2];
        self.energy_and_forces(p, &mut f)
    }
    fn energy_and_forces(&self, p: &[f64], f: &mut [f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        let (mut e, mut gx, mut gy) = (0.0, 0.0, 0.0);
        for k in 0..4 {
            let dx = x - MB_X[k];
            let dy = y - MB_Y[k];
            let t = MB_A[k] * (MB_QA[k] * dx * dx + MB_QB[k] * dx * dy + MB_QC[k] * dy * dy).exp();
            e += t;
            gx += t * (2.0 * MB_QA[k] * dx + MB_QB[k] * dy);
            gy += t * (MB_QB[k] * dx + 2.0 * MB_QC[k] * dy);
        }
        f[0] = -self.scale * gx;
        f[1] = -self.scale * gy;
        self.scale * e
    }
    fn initial(&self, _rng: &mut WjRng) -> Vec<f64> {
        vec![-0.558, 1.442]
    }
    fn topology(&self) -> Topology {
        planar_topology()
    }
    fn to_positions(&self, x: &[f64]) -> Vec<f64> {
        planar_to_positions(x)
    }
}

impl Planar for MullerBrown {
    fn bounds(&self) -> [f64; 4] {
        [-1.8, 1.3, -0.6, 2.2]
    }
}
