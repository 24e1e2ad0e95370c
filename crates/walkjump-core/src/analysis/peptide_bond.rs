//! Cis and trans peptide bonds. The bond C(i)–N(i+1) is planar, and its ω (Cα(i)–C(i)–
//! N(i+1)–Cα(i+1), the caps' methyl carbons standing in for Cα) is near 180° (trans) in
//! all but about one in a thousand non-proline bonds of folded proteins. Cis X–Pro is a
//! real isomer (a few percent to tens of percent), so it is counted apart. At 300 K
//! neither form turns into the other in a simulation's lifetime: a cis bond in a start
//! is in every frame of its run, which is how PDBFixer's builds put cis bonds into
//! every frame of four test references and nine training peptides (found December 7).

use super::dihedral::dihedral_of;
use crate::molecule::templates::{residue_kind, ResidueKind};
use crate::molecule::Topology;

/// One peptide bond between residue `i` and the next.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeptideBond {
    /// For example "ALA2-GLU3".
    pub label: String,
    /// Cα(i), C(i), N(i+1), Cα(i+1).
    pub atoms: [usize; 4],
    /// The second residue is a proline, for which cis is allowed.
    pub before_proline: bool,
}

/// ω at which a bond counts as cis: |ω| below this (degrees).
pub const CIS_BELOW_DEG: f64 = 90.0;

/// The methyl carbon of a cap or the Cα of an amino acid.
fn alpha_like(t: &Topology, r: usize) -> Option<usize> {
    match residue_kind(&t.residues[r].name) {
        ResidueKind::Ace => t.find_atom(r, "CH3"),
        // Some tools name the NME methyl carbon "C".
        ResidueKind::Nme => t.find_atom(r, "CH3").or_else(|| t.find_atom(r, "C")),
        _ => t.find_atom(r, "CA"),
    }
}

/// Every peptide bond between consecutive, bonded residues of one chain that have the
/// four atoms.
pub fn peptide_bonds(t: &Topology) -> Vec<PeptideBond> {
    (0..t.residues.len().saturating_sub(1))
        .filter_map(|r| {
            let (a, b) = (&t.residues[r], &t.residues[r + 1]);
            if a.chain != b.chain {
                return None;
            }
            let atoms = [
                alpha_like(t, r)?,
                t.find_atom(r, "C")?,
                t.find_atom(r + 1, "N")?,
                alpha_like(t, r + 1)?,
            ];
            // Consecutive in the file is not bonded: a chain break has no ω.
            if !t.bonded(atoms[1], atoms[2]) {
                return None;
            }
            Some(PeptideBond {
                label: format!("{}{}-{}{}", a.name, a.number, b.name, b.number),
                atoms,
                before_proline: b.name == "PRO",
            })
        })
        .collect()
}

/// Whether the bond is cis in `x`. A NaN ω counts as cis: a frame whose amide lost its
/// geometry is not a good trans frame.
pub fn is_cis(b: &PeptideBond, x: &[f64]) -> bool {
    let omega = dihedral_of(x, b.atoms);
    omega.is_nan() || omega.abs() < CIS_BELOW_DEG
}

/// The peptide bonds that must be trans: every one not before a proline.
pub fn trans_only_bonds(t: &Topology) -> Vec<PeptideBond> {
    peptide_bonds(t)
        .into_iter()
        .filter(|b| !b.before_proline)
        .collect()
}

/// Non-proline peptide bonds of `t` that are cis in some of `frames`: (label, fraction
/// of frames). Cis X–Pro bonds are not listed.
pub fn cis_bonds(t: &Topology, frames: &[Vec<f64>]) -> Vec<(String, f64)> {
    let bonds = trans_only_bonds(t);
    cis_fractions(&bonds, frames)
        .into_iter()
        .zip(bonds)
        .filter(|(f, _)| *f > 0.0)
        .map(|(f, b)| (b.label, f))
        .collect()
}

/// Fraction of `frames` in which each bond is cis.
pub fn cis_fractions(bonds: &[PeptideBond], frames: &[Vec<f64>]) -> Vec<f64> {
    bonds
        .iter()
        .map(|b| {
            let n = frames.iter().filter(|f| is_cis(b, f)).count();
            n as f64 / frames.len().max(1) as f64
        })
        .collect()
}

/// `x` with the bond turned the other way (cis ↔ trans): everything past the bond's N
/// rotated by 180° about the C–N axis, all other geometry unchanged. A negative control
/// for the checks above.
pub fn isomerised(t: &Topology, x: &[f64], b: &PeptideBond) -> Vec<f64> {
    let (c, n) = (b.atoms[1], b.atoms[2]);
    let past = t.atoms[n].residue;
    let p = |i: usize| nalgebra::Vector3::new(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
    let axis = nalgebra::Unit::new_normalize(p(n) - p(c));
    let rot = nalgebra::Rotation3::from_axis_angle(&axis, std::f64::consts::PI);
    let mut y = x.to_vec();
    for (i, a) in t.atoms.iter().enumerate() {
        if a.residue >= past && i != n {
            let q = rot * (p(i) - p(n)) + p(n);
            y[3 * i..3 * i + 3].copy_from_slice(q.as_slice());
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molecule::build::build_peptide;

    #[test]
    fn a_built_peptide_is_trans_and_a_flipped_bond_is_found() {
        let s = build_peptide("AE").unwrap();
        let bonds = peptide_bonds(&s.topology);
        // ACE-ALA, ALA-GLU, GLU-NME.
        assert_eq!(bonds.len(), 3, "{bonds:?}");
        assert!(cis_bonds(&s.topology, std::slice::from_ref(&s.positions)).is_empty());
        let cis = isomerised(&s.topology, &s.positions, &bonds[1]);
        let found = cis_bonds(&s.topology, &[s.positions.clone(), cis]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "ALA2-GLU3");
        assert!((found[0].1 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn cis_before_a_proline_is_allowed() {
        let s = build_peptide("AP").unwrap();
        let bonds = peptide_bonds(&s.topology);
        assert!(bonds[1].before_proline && !bonds[0].before_proline);
        let cis = isomerised(&s.topology, &s.positions, &bonds[1]);
        assert!(is_cis(&bonds[1], &cis));
        assert!(cis_bonds(&s.topology, &[cis]).is_empty());
    }
}
