//! Handedness of a peptide's stereocentres: the Cα of every residue with a Cβ, and the
//! Cβ of isoleucine and threonine. A denoiser that cannot tell a molecule from its
//! mirror image turns L-residues into D-residues, and one that swaps two of a Cβ's
//! substituents turns threonine into allo-threonine; this counts how often either
//! happened. (Until December 7 only Cα was checked: the shipped peptide model's walk
//! made allo-threonine in 17–36 % of its jumps while the D column read 0 %.)

use super::dihedral::dihedral_of;
use crate::molecule::Topology;

/// One stereocentre: an improper a–centre–b–c whose sign gives the hand.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stereocentre {
    /// The centre's atom name, "CA" or "CB".
    pub atom: &'static str,
    pub atoms: [usize; 4],
    /// Sign of the improper in the reference structure (or of the L form).
    pub sign: f64,
}

/// The stereocentres of one residue, which has the wrong hand when any of them has.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChiralResidue {
    /// "THR2": residue name and number.
    pub label: String,
    /// Index into the topology's residues.
    pub residue: usize,
    pub centres: Vec<Stereocentre>,
}

/// Sign of each improper in the natural L form, by this crate's and MDTraj's dihedral
/// convention: N–CA–C–CB is about −122° in the bundled alanine dipeptide and in every
/// OpenMM-built L-peptide; CA–CB–CG1–CG2 of (2S,3S)-isoleucine and CA–CB–OG1–CG2 of
/// (2S,3R)-threonine are about −123° in the shipped MD (PDBFixer's single residues and
/// `walkjump build`'s alike). The mirror image has the opposite sign.
pub const L_SIGN: f64 = -1.0;

/// The impropers that give residue `name`'s hands: (centre, its four atom names).
fn impropers(name: &str) -> Vec<(&'static str, [&'static str; 4])> {
    let mut out = vec![("CA", ["N", "CA", "C", "CB"])];
    match name {
        "ILE" => out.push(("CB", ["CA", "CB", "CG1", "CG2"])),
        "THR" => out.push(("CB", ["CA", "CB", "OG1", "CG2"])),
        _ => {}
    }
    out
}

/// Every residue with a stereocentre, each centre's hand taken from `reference`.
pub fn chiral_residues(t: &Topology, reference: &[f64]) -> Vec<ChiralResidue> {
    residues_with(t, |atoms| dihedral_of(reference, atoms).signum())
}

/// Every residue with a stereocentre, with the L form's hands as its signs, so that
/// [`inverted_fractions`] gives the wrong-hand fraction whatever the file holds.
pub fn l_residues(t: &Topology) -> Vec<ChiralResidue> {
    residues_with(t, |_| L_SIGN)
}

fn residues_with(t: &Topology, sign: impl Fn([usize; 4]) -> f64) -> Vec<ChiralResidue> {
    (0..t.residues.len())
        .filter_map(|r| {
            let res = &t.residues[r];
            let centres: Vec<Stereocentre> = impropers(&res.name)
                .into_iter()
                .filter_map(|(atom, names)| {
                    let mut atoms = [0; 4];
                    for (a, n) in atoms.iter_mut().zip(names) {
                        *a = t.find_atom(r, n)?;
                    }
                    Some(Stereocentre {
                        atom,
                        atoms,
                        sign: sign(atoms),
                    })
                })
                .collect();
            (!centres.is_empty()).then(|| ChiralResidue {
                label: format!("{}{}", res.name, res.number),
                residue: r,
                centres,
            })
        })
        .collect()
}

/// Whether the stereocentre has the other hand in `x`. A degenerate (NaN) improper
/// counts as turned: a frame that lost its chirality is not a good L frame.
pub fn is_turned(c: &Stereocentre, x: &[f64]) -> bool {
    dihedral_of(x, c.atoms).signum() != c.sign
}

/// Whether some stereocentre of the residue has the other hand in `x`.
pub fn is_inverted(r: &ChiralResidue, x: &[f64]) -> bool {
    r.centres.iter().any(|c| is_turned(c, x))
}

/// How a residue's hands differ from its signs' (the L form's, for [`l_residues`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongHand {
    /// Every centre turned: the mirror image.
    D,
    /// The Cα only, of a residue with two centres (D-allo-threonine, -isoleucine).
    DAllo,
    /// The Cβ only (L-allo-threonine, -isoleucine).
    LAllo,
}

impl std::fmt::Display for WrongHand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WrongHand::D => "D",
            WrongHand::DAllo => "D-allo",
            WrongHand::LAllo => "L-allo",
        })
    }
}

/// What the residue is in `x`; `None` when no centre is turned.
pub fn wrong_form(r: &ChiralResidue, x: &[f64]) -> Option<WrongHand> {
    let turned: Vec<&str> = (r.centres.iter())
        .filter(|c| is_turned(c, x))
        .map(|c| c.atom)
        .collect();
    match turned.as_slice() {
        [] => None,
        t if t.len() == r.centres.len() => Some(WrongHand::D),
        ["CA"] => Some(WrongHand::DAllo),
        _ => Some(WrongHand::LAllo),
    }
}

/// Residues of `t` with a wrong hand (D or allo) in some of `frames`: (label, fraction
/// of frames, the form in the first such frame).
pub fn d_residues(t: &Topology, frames: &[Vec<f64>]) -> Vec<(String, f64, WrongHand)> {
    let residues = l_residues(t);
    let fractions = inverted_fractions(&residues, frames);
    residues
        .into_iter()
        .zip(fractions)
        .filter(|(_, f)| *f > 0.0)
        .map(|(r, f)| {
            let form = (frames.iter())
                .find_map(|x| wrong_form(&r, x))
                .unwrap_or(WrongHand::D);
            (r.label, f, form)
        })
        .collect()
}

/// Fraction of `frames` in which each residue has some centre of the other hand.
pub fn inverted_fractions(residues: &[ChiralResidue], frames: &[Vec<f64>]) -> Vec<f64> {
    residues
        .iter()
        .map(|r| {
            let flipped = frames.iter().filter(|f| is_inverted(r, f)).count();
            flipped as f64 / frames.len().max(1) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molecule::build::build_peptide;
    use crate::molecule::{load_structure, LoadOptions};

    fn mirrored(x: &[f64]) -> Vec<f64> {
        (x.iter().enumerate())
            .map(|(i, v)| if i % 3 == 2 { -v } else { *v })
            .collect()
    }

    /// `x` with the positions of atoms `a` and `b` exchanged.
    fn swapped(x: &[f64], a: usize, b: usize) -> Vec<f64> {
        let mut y = x.to_vec();
        for k in 0..3 {
            y.swap(3 * a + k, 3 * b + k);
        }
        y
    }

    #[test]
    fn a_mirror_image_inverts_every_centre() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("assets/alanine-dipeptide.pdb");
        let s = load_structure(&path, LoadOptions::default()).unwrap();
        let residues = chiral_residues(&s.topology, &s.positions);
        assert_eq!(residues.len(), 1);
        let mirror = mirrored(&s.positions);
        let f = inverted_fractions(
            &residues,
            &[s.positions.clone(), mirror.clone(), mirror.clone()],
        );
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-12);
        // The bundled molecule is L-alanine: the absolute centres agree with it.
        let l = l_residues(&s.topology);
        assert_eq!(l[0].centres[0].sign, residues[0].centres[0].sign);
        assert_eq!(
            inverted_fractions(&l, &[s.positions.clone(), mirror]),
            [0.5]
        );
    }

    #[test]
    fn threonine_and_isoleucine_have_two_centres_and_allo_forms_are_named() {
        // Claim: the built L-Thr and L-Ile are (2S,3R) and (2S,3S), like the OpenMM
        // data; a swap of two Cβ substituents is L-allo, of two Cα substituents D-allo,
        // the mirror image D. Negative control: alanine has one centre and no allo form.
        let s = build_peptide("TIA").unwrap();
        let t = &s.topology;
        let l = l_residues(t);
        let centres: Vec<(String, usize)> = (l.iter())
            .map(|r| (r.label.clone(), r.centres.len()))
            .collect();
        assert_eq!(
            centres,
            [("THR2".into(), 2), ("ILE3".into(), 2), ("ALA4".into(), 1)]
        );
        assert!(l.iter().all(|r| wrong_form(r, &s.positions).is_none()));
        let atom = |r: usize, n: &str| t.find_atom(r, n).unwrap();
        let allo_thr = swapped(&s.positions, atom(1, "OG1"), atom(1, "CG2"));
        assert_eq!(wrong_form(&l[0], &allo_thr), Some(WrongHand::LAllo));
        assert_eq!(wrong_form(&l[1], &allo_thr), None);
        let d_allo_ile = swapped(&s.positions, atom(2, "N"), atom(2, "HA"));
        assert_eq!(wrong_form(&l[1], &d_allo_ile), Some(WrongHand::DAllo));
        let mirror = mirrored(&s.positions);
        assert!(l
            .iter()
            .all(|r| wrong_form(r, &mirror) == Some(WrongHand::D)));
        let ala_swapped = swapped(&s.positions, atom(3, "CB"), atom(3, "HA"));
        assert_eq!(wrong_form(&l[2], &ala_swapped), Some(WrongHand::D));
        assert_eq!(
            d_residues(t, &[s.positions.clone(), allo_thr]),
            [("THR2".to_string(), 0.5, WrongHand::LAllo)]
        );
    }
}
