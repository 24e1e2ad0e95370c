//! One naming convention for every file, whatever program wrote it.
//!
//! The same alanine dipeptide comes out of OpenMM with `H1/H2/H3` on the acetyl
//! methyl and a methyl carbon called `C` in NME, out of older tools with `1HH3` and
//! `1HB`, out of LEaP with `HH31` and `HB1`. The network embeds atom names, so one
//! molecule must give one set of names. On load every name is rewritten to the
//! Amber / PDB v3 form:
//!
//! - leading digits move to the end (`1HB` → `HB1`, `2HD1` → `HD12`, as PDB v3 did);
//! - caps: methyl carbons are `CH3` in ACE and NME, their hydrogens `HH31..HH33`, the
//!   NME amide hydrogen `H`;
//! - the amide hydrogen of amino acids is `H` (CHARMM writes `HN`);
//! - `NMA` (CHARMM's N-methylamide) is `NME`.
//!
//! Inside a residue that has a template (the amino acids and the caps) the element
//! follows from the canonical name: every atom of those residues is named after its
//! element (C, N, O, S or H), so `CA` is an alpha carbon, never calcium.

use super::elements::Element;
use super::templates::{self, ResidueKind};

/// Canonical residue name (upper case, `NMA` → `NME`).
pub fn canonical_residue(name: &str) -> String {
    let up = name.trim().to_ascii_uppercase();
    match up.as_str() {
        "NMA" => "NME".into(),
        _ => up,
    }
}

/// Canonical atom name of `name` in the residue `residue` (already canonical).
pub fn canonical_atom(residue: &str, name: &str) -> String {
    let up = name.trim().to_ascii_uppercase();
    // PDB v2 wrote four-character hydrogen names digit first: "1HB" is HB1.
    let digits = up.chars().take_while(|c| c.is_ascii_digit()).count();
    let up = if digits > 0 && up[digits..].starts_with('H') {
        format!("{}{}", &up[digits..], &up[..digits])
    } else {
        up
    };
    match templates::residue_kind(residue) {
        ResidueKind::Ace => match up.as_str() {
            "H1" | "H2" | "H3" => format!("HH3{}", &up[1..]),
            _ => up,
        },
        ResidueKind::Nme => match up.as_str() {
            // OpenMM and MDTraj call the methyl carbon "C".
            "C" => "CH3".into(),
            "H1" | "H2" | "H3" => format!("HH3{}", &up[1..]),
            "HN" => "H".into(),
            _ => up,
        },
        ResidueKind::AminoAcid => match up.as_str() {
            "HN" => "H".into(),
            _ => up,
        },
        ResidueKind::Unknown => up,
    }
}

/// The element an atom of a templated residue has by its canonical name; None for
/// residues without a template or names that are not an element letter first.
pub fn template_element(residue: &str, canonical_name: &str) -> Option<Element> {
    if templates::residue_kind(residue) == ResidueKind::Unknown {
        return None;
    }
    match canonical_name.chars().next()? {
        'H' => Some(Element::H),
        'C' => Some(Element::C),
        'N' => Some(Element::N),
        'O' => Some(Element::O),
        'S' => Some(Element::S),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_convention_maps_to_one_name() {
        for (res, names, want) in [
            ("ACE", &["1HH3", "HH31", "H1"][..], "HH31"),
            ("NME", &["3HH3", "HH33", "H3"][..], "HH33"),
            ("NME", &["C", "CH3"][..], "CH3"),
            ("NME", &["H", "HN"][..], "H"),
            ("ALA", &["1HB", "HB1"][..], "HB1"),
            ("ASN", &["2HD2", "HD22"][..], "HD22"),
            ("ALA", &["HN", "H"][..], "H"),
            ("ALA", &["CA", " ca "][..], "CA"),
        ] {
            for n in names {
                assert_eq!(canonical_atom(res, n), want, "{res} {n}");
            }
        }
        // The backbone C of an amino acid is not a cap methyl.
        assert_eq!(canonical_atom("ALA", "C"), "C");
        assert_eq!(canonical_residue("nma"), "NME");
    }

    #[test]
    fn alpha_carbon_is_carbon_and_calcium_ion_is_not_templated() {
        assert_eq!(template_element("ALA", "CA"), Some(Element::C));
        assert_eq!(template_element("ACE", "HH31"), Some(Element::H));
        assert_eq!(template_element("CA", "CA"), None);
    }
}
