//! The chirality guard: a walk step whose jump turns a chiral centre over is rejected.
//!
//! An L-residue never becomes D in the MD a peptide model learns from (the barrier is
//! a broken bond), so the clean density has no mass there. A learned denoiser can
//! still map a noisy y to a well-formed mirror image. With the shipped peptide model
//! at σ = 0.3 Å the improper N–CA–C–CB of a jump goes from about −125° to +125°
//! within one jump interval (Hα and the side chain's outer atoms moving 2 Å), and
//! the chain then stays D for hundreds of jumps, as far from its denoised point as
//! an L chain is: the model's smoothed density has a mirror basin there. December 7,
//! ACE-SER-LEU-NME, 8 chains of 1,500 steps: two chains went D (11 % of the LEU
//! samples); at half the step, over the same walk time, one did
//! (`models/evaluations/d-jumps-sl-2026-12-07`).
//!
//! The guard treats the other hand as a wall, the way hybrid Monte Carlo treats a
//! hard constraint: a chain whose new jump has any centre of the other hand than its
//! start goes back to its state at the previous jump step (y, x̂, the score) with its
//! velocity reversed, and that previous jump is recorded again. No sample is dropped;
//! a rejected move repeats the last one, as a Metropolis rejection does. The count of
//! rejections is reported beside the samples (`walkjump sample` summary, the app's
//! status line, per residue in its table; the guard keeps the counts): many of them
//! mean the model's mirror basin is near, and that the ensemble is the model's
//! density cut at the wall. `--chirality-guard off` shows the model without it.

use crate::analysis::chirality::{chiral_residues, is_inverted, ChiralResidue};
use crate::molecule::Topology;

/// The chiral residues of a molecule with the hands their centres have in its start
/// structure, and what the guard has rejected so far: it owns its counts, so every
/// walk that holds one reports them alike.
#[derive(Debug, Clone)]
pub struct ChiralityGuard {
    residues: Vec<ChiralResidue>,
    /// Moves rejected (one per chain and jump step).
    rejections: usize,
    /// Per residue, the rejected moves in which one of its centres was turned over.
    turned: Vec<usize>,
}

impl ChiralityGuard {
    /// Every stereocentre (Cα with N, C and CB; Cβ of Ile and Thr), with the hand it
    /// has in `start` (flat Å, the walk's coordinates): an L-peptide's centres are held
    /// L, and a D- or allo-residue the user gave stays so. `None` when the molecule has
    /// no such centre (glycine only, clusters).
    pub fn new(topology: &Topology, start: &[f64]) -> Option<Self> {
        let residues: Vec<ChiralResidue> = chiral_residues(topology, start)
            .into_iter()
            .filter_map(|mut r| {
                // A start whose centre is flat (sign 0 or NaN) gives no hand to hold.
                r.centres.retain(|c| c.sign == 1.0 || c.sign == -1.0);
                (!r.centres.is_empty()).then_some(r)
            })
            .collect();
        (!residues.is_empty()).then(|| ChiralityGuard {
            turned: vec![0; residues.len()],
            residues,
            rejections: 0,
        })
    }

    /// The guard of a walk from `starts`, with the hands of the first: the starts of
    /// one walk are one molecule, differing in torsions, which keep every hand.
    pub fn for_starts(topology: &Topology, starts: &[Vec<f64>]) -> Option<Self> {
        starts.first().and_then(|x| Self::new(topology, x))
    }

    /// Whether `x` (one chain's jump) has some centre of the other hand.
    pub fn turned_over(&self, x: &[f64]) -> bool {
        self.residues.iter().any(|r| is_inverted(r, x))
    }

    /// The chains among `chains` whose jump (`jump_of(c)`) turned a centre over: the
    /// moves to reject, counted as rejected (in all and per residue turned).
    pub fn reject<'a>(
        &mut self,
        chains: usize,
        jump_of: impl Fn(usize) -> &'a [f64],
    ) -> Vec<usize> {
        let mut rejected = vec![];
        for c in 0..chains {
            let x = jump_of(c);
            let mut any = false;
            for (k, residue) in self.residues.iter().enumerate() {
                if is_inverted(residue, x) {
                    self.turned[k] += 1;
                    any = true;
                }
            }
            if any {
                rejected.push(c);
            }
        }
        self.rejections += rejected.len();
        rejected
    }

    /// The same centres and hands with the counts at zero: for a run started over.
    pub fn cleared(&self) -> Self {
        ChiralityGuard {
            residues: self.residues.clone(),
            rejections: 0,
            turned: vec![0; self.residues.len()],
        }
    }

    /// Moves rejected so far.
    pub fn rejections(&self) -> usize {
        self.rejections
    }

    /// Rejected moves in which a centre of residue `label` ("SER2") was turned over;
    /// `None` when that residue has no centre held.
    pub fn rejections_of(&self, label: &str) -> Option<usize> {
        (self.residues.iter())
            .position(|c| c.label == label)
            .map(|k| self.turned[k])
    }

    /// Stereocentres held, over all residues.
    pub fn centres(&self) -> usize {
        self.residues.iter().map(|r| r.centres.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molecule::build::build_peptide;

    fn mirrored(x: &[f64]) -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(i, v)| if i % 3 == 2 { -v } else { *v })
            .collect()
    }

    #[test]
    fn a_mirror_image_is_turned_over_and_the_start_itself_is_not() {
        let s = build_peptide("AKG").unwrap();
        let g = ChiralityGuard::new(&s.topology, &s.positions).unwrap();
        assert_eq!(g.centres(), 2, "ALA and LYS; GLY has no CB");
        assert!(!g.turned_over(&s.positions));
        assert!(g.turned_over(&mirrored(&s.positions)));
        // A rotated copy keeps its hand.
        let rotated: Vec<f64> = s
            .positions
            .chunks(3)
            .flat_map(|p| [-p[1], p[0], p[2]])
            .collect();
        assert!(!g.turned_over(&rotated));
        let jumps = [s.positions.clone(), mirrored(&s.positions), rotated];
        let mut g = g;
        assert_eq!(g.reject(3, |c| &jumps[c]), vec![1]);
        assert_eq!(g.reject(3, |c| &jumps[(c + 1) % 3]), vec![0]);
        // Two moves rejected, each turning both centres; glycine holds none.
        assert_eq!(g.rejections(), 2);
        assert_eq!(g.rejections_of("ALA2"), Some(2));
        assert_eq!(g.rejections_of("LYS3"), Some(2));
        assert_eq!(g.rejections_of("GLY4"), None);
        // Only the turned centre is counted: the mirror image with ALA2 put back.
        let mut one = mirrored(&s.positions);
        for &a in &s.topology.residues[1].atoms {
            one[3 * a..3 * a + 3].copy_from_slice(&s.positions[3 * a..3 * a + 3]);
        }
        assert_eq!(g.reject(1, |_| &one), vec![0]);
        assert_eq!(
            (g.rejections_of("ALA2"), g.rejections_of("LYS3")),
            (Some(2), Some(3))
        );
        let fresh = g.cleared();
        assert_eq!(
            (fresh.rejections(), fresh.rejections_of("LYS3")),
            (0, Some(0))
        );
        assert!(
            fresh.turned_over(&mirrored(&s.positions)),
            "the hands are kept"
        );
        // Started from the mirror image (a D-peptide), the L original is the turned one.
        let d = ChiralityGuard::new(&s.topology, &mirrored(&s.positions)).unwrap();
        assert!(d.turned_over(&s.positions) && !d.turned_over(&jumps[1]));
        // Glycine alone has nothing to hold.
        let gly = build_peptide("G").unwrap();
        assert!(ChiralityGuard::new(&gly.topology, &gly.positions).is_none());
    }

    #[test]
    fn a_jump_to_allo_threonine_is_rejected_and_counted_for_threonine() {
        // Claim: the guard holds Thr's Cβ too (the walk made allo-threonine in 17-36 %
        // of its jumps before it did). Control: swapping two methyl-like hydrogens of
        // alanine's Cβ (not a stereocentre) is not rejected.
        let s = build_peptide("TA").unwrap();
        let t = &s.topology;
        let mut g = ChiralityGuard::new(t, &s.positions).unwrap();
        assert_eq!(g.centres(), 3, "Thr Cα and Cβ, Ala Cα");
        let swap = |a: &str, b: &str, r: usize| {
            let (a, b) = (t.find_atom(r, a).unwrap(), t.find_atom(r, b).unwrap());
            let mut y = s.positions.clone();
            for k in 0..3 {
                y.swap(3 * a + k, 3 * b + k);
            }
            y
        };
        let jumps = [swap("OG1", "CG2", 1), swap("HB1", "HB2", 2)];
        assert_eq!(g.reject(2, |c| &jumps[c]), vec![0]);
        assert_eq!(
            (g.rejections_of("THR2"), g.rejections_of("ALA3")),
            (Some(1), Some(0))
        );
    }
}
