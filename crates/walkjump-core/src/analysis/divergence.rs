//! Distances between histograms, exactly as DESIGN.md defines them.
//!
//! Every distance between two distributions of samples goes through
//! [`histogram_jsd`], [`histogram_tvd`] or [`histogram_mae`], which count the samples
//! outside the histogram's range; the slice functions below them are the bare
//! formulas on bins that already hold all the mass.

use super::histogram::{AllMass, Hist1d};

/// `p` scaled to sum 1 (all zero if empty).
pub(crate) fn normalize(p: &[f64]) -> Vec<f64> {
    let t: f64 = p.iter().sum();
    p.iter()
        .map(|v| if t > 0.0 { v / t } else { 0.0 })
        .collect()
}

/// Jensen–Shannon distance √JSD, log base 2, on normalised histograms floored at 1e-10:
/// 0 for identical, 1 for disjoint.
pub fn jensen_shannon_distance(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let floor = |v: Vec<f64>| normalize(&v.into_iter().map(|x| x.max(1e-10)).collect::<Vec<_>>());
    let p = floor(normalize(p));
    let q = floor(normalize(q));
    let mut jsd = 0.0;
    for (a, b) in p.iter().zip(&q) {
        let m = 0.5 * (a + b);
        jsd += 0.5 * a * (a / m).log2() + 0.5 * b * (b / m).log2();
    }
    jsd.max(0.0).sqrt()
}

/// Total variation distance ½ Σ |p − q| of the normalised histograms.
pub fn tvd(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let (p, q) = (normalize(p), normalize(q));
    0.5 * p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Mean absolute error between the normalised densities (per unit width `w`).
pub fn mae(p: &[f64], q: &[f64], w: f64) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let (p, q) = (normalize(p), normalize(q));
    p.iter()
        .zip(&q)
        .map(|(a, b)| (a - b).abs() / w)
        .sum::<f64>()
        / p.len() as f64
}

/// Jensen–Shannon distance between two histograms on the same bins, over all their
/// mass: the out-of-range counts are bins of their own (see [`AllMass`]).
pub fn histogram_jsd<H: AllMass>(p: &H, q: &H) -> f64 {
    assert!(p.same_bins(q), "histograms must share bins");
    jensen_shannon_distance(&p.all_mass(), &q.all_mass())
}

/// Total variation distance between two histograms on the same bins, over all their
/// mass (out-of-range counts included).
pub fn histogram_tvd<H: AllMass>(p: &H, q: &H) -> f64 {
    assert!(p.same_bins(q), "histograms must share bins");
    tvd(&p.all_mass(), &q.all_mass())
}

/// Mean absolute error between the densities of two 1-D histograms, over the in-range
/// bins, each density normalised by all of its samples (out-of-range included): mass
/// outside the range lowers the density inside and so counts as error.
pub fn histogram_mae(p: &Hist1d, q: &Hist1d) -> f64 {
    assert!(p.same_bins(q), "histograms must share bins");
    let (dp, dq) = (p.density(), q.density());
    dp.iter()
        .zip(&dq)
        .map(|(a, b)| (a[1] - b[1]).abs())
        .sum::<f64>()
        / dp.len().max(1) as f64
}
