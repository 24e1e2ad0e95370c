//! Handedness of Cα centres. A denoiser that cannot tell a molecule from its mirror
//! image turns L-residues into D-residues; this counts how often that happened.

use super::dihedral::dihedral_of;
use crate::molecule::Topology;

/// One chiral centre: the improper N–CA–C–CB, whose sign gives the handedness.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChiralCentre {
    pub label: String,
    pub atoms: [usize; 4],
    /// Sign of the improper in the reference structure.
    pub sign: f64,
}

/// Every residue with N, CA, C and CB, its handedness taken from `reference`.
pub fn chiral_centres(t: &Topology, reference: &[f64]) -> Vec<ChiralCentre> {
    centres_with(t, |atoms| dihedral_of(reference, atoms).signum())
}

/// Sign of the improper N–CA–C–CB of an L-amino acid (about −122° in the bundled
/// alanine dipeptide and in OpenMM-built L-peptides, by this crate's and MDTraj's
/// dihedral convention); a D-residue has the opposite sign.
pub const L_SIGN: f64 = -1.0;

/// Every residue with N, CA, C and CB, with the L handedness as its sign, so that
/// [`inverted_fractions`] gives the D fraction whatever the structure file holds.
pub fn l_centres(t: &Topology) -> Vec<ChiralCentre> {
    centres_with(t, |_| L_SIGN)
}

fn centres_with(t: &Topology, sign: impl Fn([usize; 4]) -> f64) -> Vec<ChiralCentre> {
    (0..t.residues.len())
        .filter_map(|r| {
            let atoms = [
                t.find_atom(r, "N")?,
                t.find_atom(r, "CA")?,
                t.find_atom(r, "C")?,
                t.find_atom(r, "CB")?,
            ];
            let res = &t.residues[r];
            Some(ChiralCentre {
                label: format!("{}{}", res.name, res.number),
                atoms,
                sign: sign(atoms),
            })
        })
        .collect()
}

/// Whether the centre is D-handed in `x`. A degenerate (NaN) improper counts as D:
/// a frame that lost its chirality is not a good L frame.
pub fn is_inverted(c: &ChiralCentre, x: &[f64]) -> bool {
    dihedral_of(x, c.atoms).signum() != c.sign
}

/// Residues of `t` that are D in some of `frames`: (label, fraction of frames).
pub fn d_residues(t: &Topology, frames: &[Vec<f64>]) -> Vec<(String, f64)> {
    let centres = l_centres(t);
    let fractions = inverted_fractions(&centres, frames);
    centres
        .into_iter()
        .zip(fractions)
        .filter(|(_, f)| *f > 0.0)
        .map(|(c, f)| (c.label, f))
        .collect()
}

/// Fraction of `frames` in which each centre has the opposite handedness.
pub fn inverted_fractions(centres: &[ChiralCentre], frames: &[Vec<f64>]) -> Vec<f64> {
    centres
        .iter()
        .map(|c| {
            let flipped = frames.iter().filter(|f| is_inverted(c, f)).count();
            flipped as f64 / frames.len().max(1) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molecule::{load_structure, LoadOptions};

    #[test]
    fn a_mirror_image_inverts_every_centre() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("assets/alanine-dipeptide.pdb");
        let s = load_structure(&path, LoadOptions::default()).unwrap();
        let centres = chiral_centres(&s.topology, &s.positions);
        assert_eq!(centres.len(), 1);
        let mirror: Vec<f64> = s
            .positions
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 3 == 2 { -v } else { *v })
            .collect();
        let f = inverted_fractions(
            &centres,
            &[s.positions.clone(), mirror.clone(), mirror.clone()],
        );
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-12);
        // The bundled molecule is L-alanine: the absolute centres agree with it.
        let l = l_centres(&s.topology);
        assert_eq!(l[0].sign, centres[0].sign);
        assert_eq!(
            inverted_fractions(&l, &[s.positions.clone(), mirror]),
            [0.5]
        );
    }
}
