//! h(r): the histogram of all pair distances i < j (PSM Eq. 13), bins of 0.02.

use super::histogram::{Hist1d, Range};
use crate::systems::lj::pair_distances;

pub const H_R_BIN: f64 = 0.02;

/// Upper edge of the h(r) range for an LJ cluster of n particles (DESIGN.md).
pub fn h_r_max(n_atoms: usize) -> f64 {
    if n_atoms <= 13 {
        5.0
    } else {
        7.0
    }
}

#[derive(Debug, Clone)]
pub struct PairDistanceHistogram {
    pub hist: Hist1d,
    scratch: Vec<f64>,
}

impl PairDistanceHistogram {
    pub fn new(n_atoms: usize) -> Self {
        PairDistanceHistogram {
            hist: Hist1d::new(Range::with_width(0.0, h_r_max(n_atoms), H_R_BIN)),
            scratch: vec![],
        }
    }
    pub fn add_frame(&mut self, x: &[f64]) {
        pair_distances(x, &mut self.scratch);
        for &d in &self.scratch {
            self.hist.add(d);
        }
    }
}
