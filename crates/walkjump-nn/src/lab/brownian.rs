//! Brownian (overdamped Langevin) dynamics of one particle on the DynamicsDiffusion
//! double well, integrated by Euler–Maruyama: x ← x + F(x)·dt + √(2 k_BT dt)·ξ.
//! Energies are in units where k_BT = 1 is the paper's temperature.

use rand::Rng;
use walkjump_core::rng::{normal, WjRng};
use walkjump_core::systems::{DoubleWell, System};

/// Integration step of the paper's simulations.
pub const DT: f64 = 0.001;
/// Integration steps between stored frames: frames are 0.02 apart, so a 64-frame
/// snippet (1.28 time units) sees y relax several times and x now and then cross.
pub const STRIDE: usize = 20;

pub fn double_well_energy(p: [f64; 2]) -> f64 {
    DoubleWell.energy(&p)
}

/// Free energy along x in units of k_BT, up to a constant: y is separable, so it is
/// the x part of the potential over k_BT.
pub fn exact_free_energy_x(x: f64, kt: f64) -> f64 {
    (-9.0 * x * x + x.powi(3) + 4.5 * x.powi(4)) / kt
}

/// A point drawn from the Boltzmann density at `kt` (rejection from a box), so runs
/// start in equilibrium and no burn-in is needed.
pub fn boltzmann_point(kt: f64, rng: &mut WjRng) -> [f64; 2] {
    // The global minimum of V is about −5.65 (at x ≈ −1.09, y = 0).
    const VMIN: f64 = -5.66;
    loop {
        let p = [rng.random_range(-2.2..2.0), rng.random_range(-2.2..2.2)];
        if rng.random::<f64>() < (-(double_well_energy(p) - VMIN) / kt).exp() {
            return p;
        }
    }
}

/// `frames` frames, `STRIDE` steps of `DT` apart, starting at `start` (the first frame).
pub fn simulate(start: [f64; 2], kt: f64, frames: usize, rng: &mut WjRng) -> Vec<[f64; 2]> {
    let mut p = start;
    let mut f = [0.0; 2];
    let kick = (2.0 * kt * DT).sqrt();
    let mut out = Vec::with_capacity(frames);
    for _ in 0..frames {
        out.push(p);
        for _ in 0..STRIDE {
            DoubleWell.energy_and_forces(&p, &mut f);
            p[0] += f[0] * DT + kick * normal(rng);
            p[1] += f[1] * DT + kick * normal(rng);
        }
    }
    out
}

/// `runs` independent equilibrium runs of `frames` frames each.
pub fn runs(kt: f64, runs: usize, frames: usize, rng: &mut WjRng) -> Vec<Vec<[f64; 2]>> {
    (0..runs)
        .map(|_| {
            let s = boltzmann_point(kt, rng);
            simulate(s, kt, frames, rng)
        })
        .collect()
}

/// Non-overlapping snippets of `len` frames cut from equilibrium runs.
pub fn snippets(kt: f64, count: usize, len: usize, rng: &mut WjRng) -> Vec<Vec<[f64; 2]>> {
    let per_run = 200;
    let n_runs = count.div_ceil(per_run);
    let mut out = Vec::with_capacity(count);
    for run in runs(kt, n_runs, per_run * len, rng) {
        out.extend(run.chunks(len).map(|c| c.to_vec()));
    }
    out.truncate(count);
    out
}

/// The first window of `len` frames, in any of `runs`, that starts in the left well
/// (x < −0.6) and ends in the right one (x > 0.6): a simulated transition path.
pub fn find_transition(runs: &[Vec<[f64; 2]>], len: usize) -> Option<Vec<[f64; 2]>> {
    runs.iter().find_map(|r| {
        (0..r.len().saturating_sub(len)).find_map(|i| {
            (r[i][0] < -0.6 && r[i + len - 1][0] > 0.6).then(|| r[i..i + len].to_vec())
        })
    })
}
