//! How generated trajectories are compared with simulated ones: the free energy along
//! x (the reaction coordinate) and the autocorrelation of each coordinate.

use super::brownian::exact_free_energy_x;
use walkjump_core::analysis::acf::vector_acf;
use walkjump_core::analysis::{Hist1d, Range};

/// The x range the free energy is binned on.
pub fn x_range() -> Range {
    Range::new(-1.8, 1.6, 34)
}

/// −ln p(x) per bin (k_BT units) from every frame of `snippets`; empty bins are NaN.
pub fn free_energy_x(snippets: &[Vec<[f64; 2]>]) -> Vec<f64> {
    let r = x_range();
    let mut h = Hist1d::new(r);
    for s in snippets {
        for p in s {
            h.add(p[0]);
        }
    }
    let total = h.total().max(1.0);
    h.counts
        .iter()
        .map(|&c| {
            if c > 0.0 {
                -(c / total / r.width()).ln()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The exact free energy along x at `kt` on the same bins, normalised like a density.
pub fn exact_free_energy(kt: f64) -> Vec<f64> {
    let r = x_range();
    let fine = 50;
    let mut mass: Vec<f64> = (0..r.bins)
        .map(|b| {
            (0..fine)
                .map(|k| {
                    let x = r.lo + (b as f64 + (k as f64 + 0.5) / fine as f64) * r.width();
                    (-exact_free_energy_x(x, kt)).exp()
                })
                .sum::<f64>()
        })
        .collect();
    let z: f64 = mass.iter().sum();
    mass.iter_mut().for_each(|m| *m /= z);
    mass.iter().map(|m| -(m / r.width()).ln()).collect()
}

/// Largest and mean |ΔF| over the bins where the reference lies within `window` k_BT
/// of its minimum (the wells).
pub fn free_energy_gap(f: &[f64], reference: &[f64], window: f64) -> (f64, f64) {
    let fmin = reference.iter().cloned().fold(f64::INFINITY, f64::min);
    let diffs: Vec<f64> = f
        .iter()
        .zip(reference)
        .filter(|(_, r)| **r - fmin <= window)
        .map(|(a, r)| {
            if a.is_finite() {
                (a - r).abs()
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let max = diffs.iter().cloned().fold(0.0, f64::max);
    let mean = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
    (max, mean)
}

/// Normalised autocorrelation of x and of y within snippets, lags 0..=max_lag.
pub fn acf_xy(snippets: &[Vec<[f64; 2]>], max_lag: usize) -> (Vec<f64>, Vec<f64>) {
    let xs: Vec<Vec<[f64; 1]>> = snippets
        .iter()
        .map(|s| s.iter().map(|p| [p[0]]).collect())
        .collect();
    let ys: Vec<Vec<[f64; 1]>> = snippets
        .iter()
        .map(|s| s.iter().map(|p| [p[1]]).collect())
        .collect();
    (vector_acf(&xs, max_lag), vector_acf(&ys, max_lag))
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Whether a path goes from the left well to the right one (or back) and its frames
/// stay in the region a real trajectory visits.
pub fn crosses_barrier(path: &[[f64; 2]]) -> bool {
    let (first, last) = (path[0][0], path[path.len() - 1][0]);
    first.signum() != last.signum() && first.abs() > 0.5 && last.abs() > 0.5
}

/// Largest jump between consecutive frames.
pub fn max_step(path: &[[f64; 2]]) -> f64 {
    path.windows(2)
        .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
        .fold(0.0, f64::max)
}
