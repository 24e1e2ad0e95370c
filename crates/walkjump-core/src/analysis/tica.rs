//! Time-lagged independent component analysis, accumulated frame by frame.
//! Symmetrised estimator: C₀ and C_τ from both ends of every lagged pair.

use super::histogram::{Hist2d, Range};
use super::peptide::PeptideEnsemble;
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct TicaAccumulator {
    dim: usize,
    lag: usize,
    pairs: usize,
    frames: usize,
    s0: DVector<f64>,
    st: DVector<f64>,
    c00: DMatrix<f64>,
    ctt: DMatrix<f64>,
    c0t: DMatrix<f64>,
    /// The last `lag` frames of each chain.
    recent: Vec<VecDeque<Vec<f64>>>,
}

#[derive(Debug, Clone)]
pub struct Tica {
    pub mean: DVector<f64>,
    /// Columns are the components, slowest first.
    pub components: DMatrix<f64>,
    pub eigenvalues: Vec<f64>,
    pub lag: usize,
}

impl TicaAccumulator {
    pub fn new(dim: usize, lag: usize) -> Self {
        TicaAccumulator {
            dim,
            lag: lag.max(1),
            pairs: 0,
            frames: 0,
            s0: DVector::zeros(dim),
            st: DVector::zeros(dim),
            c00: DMatrix::zeros(dim, dim),
            ctt: DMatrix::zeros(dim, dim),
            c0t: DMatrix::zeros(dim, dim),
            recent: vec![],
        }
    }

    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// Frames added, over all chains.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Add the next frame of `chain`.
    pub fn add(&mut self, chain: usize, features: &[f64]) {
        assert_eq!(features.len(), self.dim, "feature length must match");
        if self.recent.len() <= chain {
            self.recent.resize(chain + 1, VecDeque::new());
        }
        let buf = &mut self.recent[chain];
        if buf.len() == self.lag {
            let old = buf.pop_front().expect("non-empty");
            let a = DVector::from_column_slice(&old);
            let b = DVector::from_column_slice(features);
            self.s0 += &a;
            self.st += &b;
            self.c00.ger(1.0, &a, &a, 1.0);
            self.ctt.ger(1.0, &b, &b, 1.0);
            self.c0t.ger(1.0, &a, &b, 1.0);
            self.pairs += 1;
        }
        buf.push_back(features.to_vec());
        self.frames += 1;
    }

    /// Solve C_τ v = λ C₀ v with a small ridge on C₀.
    pub fn fit(&self) -> Result<Tica> {
        if self.pairs < 2 * self.dim.max(1) {
            return Err(Error::Parameter(format!(
                "TICA needs more lagged pairs: have {}, want at least {}",
                self.pairs,
                2 * self.dim
            )));
        }
        let n = self.pairs as f64;
        let mean = (&self.s0 + &self.st) / (2.0 * n);
        let mm = &mean * mean.transpose();
        let c0 = (&self.c00 + &self.ctt) / (2.0 * n) - &mm;
        let ct = (&self.c0t + self.c0t.transpose()) / (2.0 * n) - &mm;
        let ridge = 1e-6 * c0.trace() / self.dim as f64 + 1e-12;
        let c0r = c0 + DMatrix::identity(self.dim, self.dim) * ridge;
        let chol = nalgebra::Cholesky::new(c0r)
            .ok_or_else(|| Error::Parameter("TICA: covariance is not positive definite".into()))?;
        let l = chol.l();
        let linv = l
            .clone()
            .try_inverse()
            .ok_or_else(|| Error::Parameter("TICA: singular covariance".into()))?;
        let a = &linv * ct * linv.transpose();
        let a = (&a + a.transpose()) * 0.5;
        let eig = a.symmetric_eigen();
        let mut order: Vec<usize> = (0..self.dim).collect();
        order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
        let v_all = linv.transpose() * &eig.eigenvectors;
        let mut components = DMatrix::zeros(self.dim, self.dim);
        for (k, &i) in order.iter().enumerate() {
            components.set_column(k, &v_all.column(i));
        }
        Ok(Tica {
            mean,
            components,
            eigenvalues: order.iter().map(|&i| eig.eigenvalues[i]).collect(),
            lag: self.lag,
        })
    }
}

impl Tica {
    /// Coordinates of a frame on the first `k` components.
    pub fn project(&self, features: &[f64], k: usize) -> Vec<f64> {
        let x = DVector::from_column_slice(features) - &self.mean;
        (0..k.min(self.components.ncols()))
            .map(|c| self.components.column(c).dot(&x))
            .collect()
    }

    /// Implied timescale of component k in frames: −τ / ln λ_k.
    pub fn timescale(&self, k: usize) -> f64 {
        let l = self.eigenvalues[k];
        if l <= 0.0 || l >= 1.0 {
            f64::INFINITY
        } else {
            -(self.lag as f64) / l.ln()
        }
    }
}

/// Bins per axis of the TICA-0/1 histogram (DESIGN.md).
pub const TICA_BINS: usize = 20;

/// Fit TICA on the backbone features (cos, sin of every φ and ψ, see
/// [`PeptideEnsemble::tica_features`]) of an ensemble.
pub fn fit_on_ensemble(e: &PeptideEnsemble, lag: usize) -> Result<Tica> {
    let mut acc = TicaAccumulator::new(e.tica_dim(), lag);
    for (c, chain) in e.series.iter().enumerate() {
        let n = chain.first().map(|s| s.len()).unwrap_or(0);
        for t in 0..n {
            let ang: Vec<f64> = chain.iter().map(|s| s[t]).collect();
            acc.add(c, &e.tica_features(&ang));
        }
    }
    acc.fit()
}

/// TIC 0 and 1 of a frame's torsion angles (degrees, every torsion of `e`'s topology).
pub fn project_angles(tica: &Tica, e: &PeptideEnsemble, angles: &[f64]) -> [f64; 2] {
    let p = tica.project(&e.tica_features(angles), 2);
    [p[0], p.get(1).copied().unwrap_or(0.0)]
}

/// TIC 0 and 1 of every frame of an ensemble.
pub fn project_ensemble(e: &PeptideEnsemble, tica: &Tica) -> Vec<[f64; 2]> {
    e.frames_angles()
        .map(|ang| project_angles(tica, e, &ang))
        .collect()
}

/// 20 × 20 bins over the range of the given projections (the reference's, when
/// comparing): a sample outside it goes to the histogram's `outside` count, which
/// takes part in every distance ([`super::histogram_jsd`]).
pub fn projection_bins(p: &[[f64; 2]]) -> (Range, Range) {
    let mut b = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for v in p {
        b[0] = b[0].min(v[0]);
        b[1] = b[1].max(v[0]);
        b[2] = b[2].min(v[1]);
        b[3] = b[3].max(v[1]);
    }
    let fix = |lo: f64, hi: f64| {
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, lo + 1.0)
        }
    };
    let (x0, x1) = fix(b[0], b[1]);
    let (y0, y1) = fix(b[2], b[3]);
    (Range::new(x0, x1, TICA_BINS), Range::new(y0, y1, TICA_BINS))
}

pub fn histogram_of(p: &[[f64; 2]], xr: Range, yr: Range) -> Hist2d {
    let mut h = Hist2d::new(xr, yr);
    for v in p {
        h.add(v[0], v[1]);
    }
    h
}
