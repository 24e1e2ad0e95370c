//! Torsion statistics of a peptide ensemble, accumulated as frames arrive.

use super::chirality::{is_inverted, l_residues, ChiralResidue};
use super::dihedral::dihedral_of;
use super::divergence::histogram_jsd;
use super::histogram::{Hist1d, Hist2d, Range};
use crate::molecule::{Topology, TorsionKind};

/// Bin counts fixed by DESIGN.md for the metrics.
pub const RAMA_BINS: usize = 18;
pub const TORSION_BINS: usize = 36;
/// Finer bins for pictures only.
pub const RAMA_PLOT_BINS: usize = 72;

fn angle_range(bins: usize) -> Range {
    Range::new(-180.0, 180.0, bins)
}

#[derive(Debug, Clone)]
pub struct PeptideEnsemble {
    pub topology: Topology,
    /// (phi index, psi index, residue label) into `topology.torsions`.
    pub rama_pairs: Vec<(usize, usize, String)>,
    pub rama: Vec<Hist2d>,
    pub rama_plot: Vec<Hist2d>,
    pub torsion_hists: Vec<Hist1d>,
    /// series[chain][torsion] = angles in frame order.
    pub series: Vec<Vec<Vec<f64>>>,
    pub frames: usize,
    /// Residues with a stereocentre (Cα with a CB; Cβ of Ile and Thr), with the L
    /// hands as their signs.
    pub centres: Vec<ChiralResidue>,
    /// Frames in which each of those residues had a wrong hand (D or allo).
    pub d_counts: Vec<usize>,
    /// Whether `series` keeps every frame's angles (batch analysis). A live run
    /// turns it off and keeps a bounded window itself, so its memory stays flat.
    pub keep_series: bool,
}

impl PeptideEnsemble {
    pub fn new(topology: &Topology) -> Self {
        let rama_pairs = topology.ramachandran_pairs();
        let n = rama_pairs.len();
        PeptideEnsemble {
            topology: topology.clone(),
            rama: vec![Hist2d::new(angle_range(RAMA_BINS), angle_range(RAMA_BINS)); n],
            rama_plot: vec![
                Hist2d::new(angle_range(RAMA_PLOT_BINS), angle_range(RAMA_PLOT_BINS));
                n
            ],
            rama_pairs,
            torsion_hists: vec![Hist1d::new(angle_range(TORSION_BINS)); topology.torsions.len()],
            series: vec![],
            frames: 0,
            d_counts: vec![0; l_residues(topology).len()],
            centres: l_residues(topology),
            keep_series: true,
        }
    }

    /// The same accumulator without the per-frame angle series (see
    /// [`Self::keep_series`]): histograms and D counts only, O(1) memory per frame.
    pub fn without_series(mut self) -> Self {
        debug_assert_eq!(
            self.frames, 0,
            "switch the series off before the first frame"
        );
        self.keep_series = false;
        self.series.clear();
        self
    }

    pub fn torsions_of(&self, x: &[f64]) -> Vec<f64> {
        self.topology
            .torsions
            .iter()
            .map(|t| dihedral_of(x, t.atoms))
            .collect()
    }

    /// cos and sin of every angle given.
    pub fn features(angles: &[f64]) -> Vec<f64> {
        angles
            .iter()
            .flat_map(|a| {
                let r = a.to_radians();
                [r.cos(), r.sin()]
            })
            .collect()
    }

    pub fn add(&mut self, chain: usize, x: &[f64]) -> Vec<f64> {
        let ang = self.torsions_of(x);
        for (k, (a, b, _)) in self.rama_pairs.iter().enumerate() {
            self.rama[k].add(ang[*a], ang[*b]);
            self.rama_plot[k].add(ang[*a], ang[*b]);
        }
        for (h, a) in self.torsion_hists.iter_mut().zip(&ang) {
            h.add(*a);
        }
        if self.keep_series {
            if self.series.len() <= chain {
                self.series
                    .resize(chain + 1, vec![vec![]; self.topology.torsions.len()]);
            }
            for (s, a) in self.series[chain].iter_mut().zip(&ang) {
                s.push(*a);
            }
        }
        for (n, c) in self.d_counts.iter_mut().zip(&self.centres) {
            *n += usize::from(is_inverted(c, x));
        }
        self.frames += 1;
        ang
    }

    /// Angle series of torsion `t`, one per chain.
    pub fn torsion_series(&self, t: usize) -> Vec<Vec<f64>> {
        self.series.iter().map(|c| c[t].clone()).collect()
    }

    /// Basin occupancy of every residue with φ and ψ, from the kept angle series (so
    /// no torsion is computed twice): moves between cores counted along each chain
    /// and summed, fractions over all frames.
    pub fn residue_basins(&self) -> Vec<super::basin::ResidueBasins> {
        use super::basin::{core_changes, core_fractions, ResidueBasins};
        debug_assert!(self.keep_series || self.frames == 0);
        self.rama_pairs
            .iter()
            .map(|(phi, psi, label)| {
                let (phi, psi) = (*phi, *psi);
                ResidueBasins {
                    residue: label.clone(),
                    changes: (self.series.iter())
                        .map(|c| core_changes(angle_pairs(c, phi, psi)))
                        .sum(),
                    fractions: core_fractions(
                        (self.series.iter()).flat_map(|c| angle_pairs(c, phi, psi)),
                    ),
                }
            })
            .collect()
    }

    /// Indices of backbone torsions (phi, psi).
    pub fn backbone(&self) -> Vec<usize> {
        self.topology
            .torsions
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.kind, TorsionKind::Phi | TorsionKind::Psi))
            .map(|(i, _)| i)
            .collect()
    }

    /// TICA features of a frame's torsion angles (all torsions, in topology order):
    /// cos and sin of every backbone (φ, ψ) and side-chain (χ1) torsion.
    pub fn tica_features(&self, angles: &[f64]) -> Vec<f64> {
        // DESIGN.md: sin and cos of all backbone and side-chain torsions.
        Self::features(angles)
    }

    /// Number of TICA features (2 per torsion: φ, ψ and χ1).
    pub fn tica_dim(&self) -> usize {
        2 * self.topology.torsions.len()
    }

    /// Fraction of the frames in which each chiral residue had a wrong hand, D or allo
    /// (see [`Self::centres`] for the labels); 0 before any frame.
    pub fn d_fractions(&self) -> Vec<f64> {
        self.d_counts
            .iter()
            .map(|&n| n as f64 / self.frames.max(1) as f64)
            .collect()
    }

    /// Angles of every torsion, frame by frame, chains one after the other.
    pub fn frames_angles(&self) -> impl Iterator<Item = Vec<f64>> + '_ {
        self.series.iter().flat_map(|chain| {
            let n = chain.first().map(|s| s.len()).unwrap_or(0);
            (0..n).map(move |t| chain.iter().map(|s| s[t]).collect::<Vec<f64>>())
        })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResidueJsd {
    pub residue: String,
    pub ramachandran_jsd: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TorsionJsd {
    pub torsion: String,
    pub kind: TorsionKind,
    pub jsd: f64,
}

/// Ramachandran JSD per residue (18x18 bins), the 1-D JSD (36 bins) of every torsion
/// (φ, ψ and χ1 where the side chain has one) and the mean over the backbone ones
/// (DESIGN.md's torsion JSD; χ1 is reported but not in that mean).
/// The angle bins cover (−180, 180], so only a NaN angle (degenerate geometry) lands
/// outside; it counts like any out-of-range sample.
pub fn compare(
    sample: &PeptideEnsemble,
    reference: &PeptideEnsemble,
) -> (Vec<ResidueJsd>, Vec<TorsionJsd>, f64) {
    let rama = sample
        .rama
        .iter()
        .zip(&reference.rama)
        .zip(&sample.rama_pairs)
        .map(|((a, b), (_, _, label))| ResidueJsd {
            residue: label.clone(),
            ramachandran_jsd: histogram_jsd(a, b),
        })
        .collect();
    let tors: Vec<TorsionJsd> = sample
        .topology
        .torsions
        .iter()
        .zip(sample.torsion_hists.iter().zip(&reference.torsion_hists))
        .map(|(t, (a, b))| TorsionJsd {
            torsion: t.label.clone(),
            kind: t.kind,
            jsd: histogram_jsd(a, b),
        })
        .collect();
    let bb: Vec<f64> = tors
        .iter()
        .filter(|t| t.kind != TorsionKind::Chi1)
        .map(|t| t.jsd)
        .collect();
    let mean = if bb.is_empty() {
        f64::NAN
    } else {
        bb.iter().sum::<f64>() / bb.len() as f64
    };
    (rama, tors, mean)
}

/// One chain's (φ, ψ) pairs from its kept angle series (torsions `phi` and `psi`),
/// read in place.
fn angle_pairs(
    chain: &[Vec<f64>],
    phi: usize,
    psi: usize,
) -> impl Iterator<Item = (f64, f64)> + '_ {
    chain[phi].iter().copied().zip(chain[psi].iter().copied())
}
