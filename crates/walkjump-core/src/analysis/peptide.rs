//! Torsion statistics of a peptide ensemble, accumulated as frames arrive.

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
        }
    }

    pub fn torsions_of(&self, x: &[f64]) -> Vec<f64> {
        self.topology
            .torsions
            .iter()
            .map(|t| dihedral_of(x, t.atoms))
            .collect()
    }

    /// Features for TICA: cos and sin of every torsion.
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
        if self.series.len() <= chain {
            self.series
                .resize(chain + 1, vec![vec![]; self.topology.torsions.len()]);
        }
        for (s, a) in self.series[chain].iter_mut().zip(&ang) {
            s.push(*a);
        }
        self.frames += 1;
        ang
    }

    /// Angle series of torsion `t`, one per chain.
    pub fn torsion_series(&self, t: usize) -> Vec<Vec<f64>> {
        self.series.iter().map(|c| c[t].clone()).collect()
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
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResidueJsd {
    pub residue: String,
    pub ramachandran_jsd: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TorsionJsd {
    pub torsion: String,
    pub jsd: f64,
}

/// Ramachandran JSD per residue (18x18 bins) and the mean 1-D backbone torsion JSD (36 bins).
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
    let bb = sample.backbone();
    let tors: Vec<TorsionJsd> = bb
        .iter()
        .map(|&t| TorsionJsd {
            torsion: sample.topology.torsions[t].label.clone(),
            jsd: histogram_jsd(&sample.torsion_hists[t], &reference.torsion_hists[t]),
        })
        .collect();
    let mean = if tors.is_empty() {
        f64::NAN
    } else {
        tors.iter().map(|t| t.jsd).sum::<f64>() / tors.len() as f64
    };
    (rama, tors, mean)
}
