//! Coarse Ramachandran basins, their populations, and how often a run moved between
//! them. A run that never left the basin it started in has its start's populations,
//! not the equilibrium ones, however many frames it has: the training dipeptides of
//! December 3–7 ran 50–100 ps each and moved 0–2 times per residue, while the 2 ns
//! test references move about 10 times per ns. A model trained on such data learns
//! where each run happened to start, and a reference that moved only twice cannot
//! judge populations. This module makes that count visible.

use super::dihedral::dihedral_of;
use super::histogram::Hist2d;
use crate::molecule::Topology;

/// The three basin cores of a non-glycine residue's Ramachandran plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Basin {
    /// β and polyproline II: φ < 0, ψ > 100° or ψ < −150°.
    Extended,
    /// Right-handed helix: φ < 0, −90° < ψ < 30°.
    AlphaR,
    /// Left-handed helix: φ > 0, −30° < ψ < 90°.
    AlphaL,
}

impl Basin {
    pub const ALL: [Basin; 3] = [Basin::Extended, Basin::AlphaR, Basin::AlphaL];

    pub fn name(self) -> &'static str {
        match self {
            Basin::Extended => "β/PII",
            Basin::AlphaR => "αR",
            Basin::AlphaL => "αL",
        }
    }

    /// The core that (φ, ψ) in degrees lies in; None between cores. Cores with gaps
    /// between them count a move only when it reaches another core, so a frame that
    /// jitters across a border is not a move.
    pub fn core_of(phi: f64, psi: f64) -> Option<Basin> {
        // (A NaN angle lies in no core.)
        if phi < 0.0 && !psi.is_nan() && !(-150.0..=100.0).contains(&psi) {
            Some(Basin::Extended)
        } else if phi < 0.0 && psi > -90.0 && psi < 30.0 {
            Some(Basin::AlphaR)
        } else if phi > 0.0 && psi > -30.0 && psi < 90.0 {
            Some(Basin::AlphaL)
        } else {
            None
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Moves from one core to another along one chain's (φ, ψ) series, in degrees.
pub fn core_changes(series: impl IntoIterator<Item = (f64, f64)>) -> usize {
    let mut last = None;
    let mut n = 0;
    for b in series.into_iter().filter_map(|(f, s)| Basin::core_of(f, s)) {
        if last.is_some_and(|l| l != b) {
            n += 1;
        }
        last = Some(b);
    }
    n
}

/// Fraction of frames in each core, in [`Basin::ALL`] order (the rest lie between).
pub fn core_fractions(series: impl IntoIterator<Item = (f64, f64)>) -> [f64; 3] {
    let (mut counts, mut total) = ([0usize; 3], 0usize);
    for (f, s) in series {
        total += 1;
        if let Some(b) = Basin::core_of(f, s) {
            counts[b.index()] += 1;
        }
    }
    counts.map(|c| c as f64 / total.max(1) as f64)
}

/// [`core_fractions`] of the samples in a Ramachandran histogram (φ on x, ψ on y,
/// degrees), by the core each bin's centre lies in: exact when the bins are a whole
/// number of degrees that divides 10 (the live panels' 5°), whose edges then fall on
/// the cores' borders. Samples outside the range count in the total, in no core.
pub fn hist_core_fractions(h: &Hist2d) -> [f64; 3] {
    let mut counts = [0.0; 3];
    for i in 0..h.x.bins {
        for j in 0..h.y.bins {
            if let Some(b) = Basin::core_of(h.x.center(i), h.y.center(j)) {
                counts[b.index()] += h.counts[i * h.y.bins + j];
            }
        }
    }
    let total = (h.total() + h.outside).max(f64::MIN_POSITIVE);
    counts.map(|c| c / total)
}

/// One residue of one run: how often it moved between cores and how long it stayed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ResidueBasins {
    /// "GLN2".
    pub residue: String,
    pub changes: usize,
    /// In [`Basin::ALL`] order.
    pub fractions: [f64; 3],
}

/// Every residue with φ and ψ, over `frames` read as one run in time order.
pub fn residue_basins(t: &Topology, frames: &[Vec<f64>]) -> Vec<ResidueBasins> {
    t.ramachandran_pairs()
        .into_iter()
        .map(|(phi, psi, residue)| {
            let (a, b) = (t.torsions[phi].atoms, t.torsions[psi].atoms);
            let series: Vec<(f64, f64)> = frames
                .iter()
                .map(|x| (dihedral_of(x, a), dihedral_of(x, b)))
                .collect();
            ResidueBasins {
                residue,
                changes: core_changes(series.iter().copied()),
                fractions: core_fractions(series),
            }
        })
        .collect()
}

/// Fewer moves between basins than this, and a residue's populations are mostly its
/// start's: with k moves there are about k/2 independent visits, so populations carry
/// errors of the order of 1/√(k/2), a third at 10.
pub const MIN_BASIN_CHANGES: usize = 10;

/// "GLN2 0, LEU3 1": the residues of `t` that moved fewer than `min` times in `frames`;
/// empty when every residue moved often enough.
pub fn few_changes(t: &Topology, frames: &[Vec<f64>], min: usize) -> Vec<(String, usize)> {
    residue_basins(t, frames)
        .into_iter()
        .filter(|r| r.changes < min)
        .map(|r| (r.residue, r.changes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molecule::build::build_peptide;
    use crate::molecule::TorsionKind;

    #[test]
    fn cores_are_the_textbook_regions_and_the_gaps_between_them_are_not_moves() {
        assert_eq!(Basin::core_of(-120.0, 130.0), Some(Basin::Extended));
        assert_eq!(Basin::core_of(-75.0, 150.0), Some(Basin::Extended));
        assert_eq!(Basin::core_of(-65.0, -40.0), Some(Basin::AlphaR));
        assert_eq!(Basin::core_of(60.0, 40.0), Some(Basin::AlphaL));
        assert_eq!(Basin::core_of(-80.0, 70.0), None);
        // Jitter across the gap between β and αR, never reaching αR: no move.
        let jitter = [(-70.0, 140.0), (-70.0, 60.0), (-70.0, 140.0), (-70.0, 40.0)];
        assert_eq!(core_changes(jitter), 0);
        // β → αR → β → αL: three moves, whatever lies between.
        let moves = [
            (-120.0, 130.0),
            (-70.0, 60.0),
            (-65.0, -40.0),
            (-120.0, 130.0),
            (60.0, 40.0),
        ];
        assert_eq!(core_changes(moves), 3);
        let f = core_fractions(moves);
        assert_eq!(f, [0.4, 0.2, 0.2]);
    }

    /// A peptide held in its start has no moves; the same peptide alternating between
    /// its built ψ and a helical ψ (the negative control) moves once per frame.
    #[test]
    fn a_run_stuck_in_its_start_is_flagged_and_one_that_moves_is_not() {
        let s = build_peptide("AE").unwrap();
        let t = &s.topology;
        let stuck = vec![s.positions.clone(); 20];
        let few = few_changes(t, &stuck, MIN_BASIN_CHANGES);
        assert_eq!(few.len(), 2, "{few:?}");
        assert!(few.iter().all(|(_, n)| *n == 0));
        // Turn every ψ to −45° (αR) in alternate frames.
        let helical = (0..t.torsions.len())
            .filter(|&k| t.torsions[k].kind == TorsionKind::Psi)
            .fold(s.positions.clone(), |x, k| {
                set_torsion(t, &x, t.torsions[k].atoms, -45.0)
            });
        let moving: Vec<Vec<f64>> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    s.positions.clone()
                } else {
                    helical.clone()
                }
            })
            .collect();
        let rb = residue_basins(t, &moving);
        assert!(rb.iter().all(|r| r.changes == 19), "{rb:?}");
        assert!(few_changes(t, &moving, MIN_BASIN_CHANGES).is_empty());
    }

    #[test]
    fn a_histogram_at_five_degrees_gives_the_frames_own_basin_fractions() {
        use crate::analysis::histogram::Range;
        use rand::Rng;
        let mut rng = crate::rng::seeded(3);
        let frames: Vec<(f64, f64)> = (0..5000)
            .map(|_| {
                (
                    rng.random_range(-180.0..180.0),
                    rng.random_range(-180.0..180.0),
                )
            })
            .collect();
        let r = Range::new(-180.0, 180.0, 72);
        let mut h = Hist2d::new(r, r);
        frames.iter().for_each(|&(f, s)| h.add(f, s));
        let exact = core_fractions(frames.iter().copied());
        let binned = hist_core_fractions(&h);
        for k in 0..3 {
            assert!((exact[k] - binned[k]).abs() < 1e-12, "{exact:?} {binned:?}");
        }
        // Negative control: 7° bins do not fall on the borders, and disagree.
        let r7 = Range::new(-180.0, 180.0, 51);
        let mut h7 = Hist2d::new(r7, r7);
        frames.iter().for_each(|&(f, s)| h7.add(f, s));
        let coarse = hist_core_fractions(&h7);
        assert!(
            (0..3).any(|k| (exact[k] - coarse[k]).abs() > 1e-3),
            "{coarse:?}"
        );
    }

    /// `x` with the torsion a–b–c–d set to `deg` by rotating everything bonded on
    /// c's side of the b–c bond about it.
    fn set_torsion(t: &Topology, x: &[f64], a: [usize; 4], deg: f64) -> Vec<f64> {
        use nalgebra::{Rotation3, Unit, Vector3};
        let (b, c) = (a[1], a[2]);
        let side = t
            .beyond(b, c)
            .expect("a torsion's central bond is not in a ring");
        let p = |i: usize| Vector3::new(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
        let turn = (deg - dihedral_of(x, a)).to_radians();
        // Either sense of rotation, whichever lands on `deg` (conventions differ).
        let turned = |angle: f64| {
            let rot = Rotation3::from_axis_angle(&Unit::new_normalize(p(c) - p(b)), angle);
            let mut y = x.to_vec();
            for &i in &side {
                let q = rot * (p(i) - p(c)) + p(c);
                y[3 * i..3 * i + 3].copy_from_slice(q.as_slice());
            }
            y
        };
        let y = turned(turn);
        let y = if (dihedral_of(&y, a) - deg).abs() < 1.0 {
            y
        } else {
            turned(-turn)
        };
        assert!((dihedral_of(&y, a) - deg).abs() < 1.0);
        y
    }
}
