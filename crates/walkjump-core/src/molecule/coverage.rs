//! What the transferable peptide model covers, and a clear refusal of the rest.

use super::build::{self, MAX_RESIDUES};
use super::hydrogens::candidate_templates;
use super::templates::{self, ResidueKind};
use super::topology::Topology;
use crate::error::{Error, Result};
use std::collections::HashSet;

/// The molecules the transferable peptide model is trained for, in words.
pub const COVERED: &str = "capped peptides ACE-X…-NME of 1–4 of the 20 standard amino acids \
     (protonation variants HID HIE HIP ASH GLH LYN CYX included), with all hydrogens";

const NUCLEIC: [&str; 14] = [
    "DA", "DC", "DG", "DT", "DU", "A", "C", "G", "U", "T", "RA", "RC", "RG", "RU",
];
const SOLVENT: [&str; 12] = [
    "HOH", "WAT", "SOL", "TIP3", "TIP", "DOD", "NA", "CL", "K", "MG", "CA", "ZN",
];

fn refuse(detail: String) -> Error {
    Error::NotCovered(format!(
        "{detail}. The transferable peptide model covers {COVERED}"
    ))
}

/// Ok if `t` is ACE, 1–4 standard residues (or their variants) and NME in one chain,
/// bonded in order and with every atom of the residue templates; otherwise an error
/// that says what is outside and what the model covers.
pub fn check_peptide(t: &Topology) -> Result<()> {
    let res = &t.residues;
    if res.is_empty() {
        return Err(refuse("the structure has no residues".into()));
    }
    let tag = |r: usize| format!("{}{}", res[r].name, res[r].number);
    let chains: HashSet<&str> = res.iter().map(|r| r.chain.as_str()).collect();
    if chains.len() > 1 {
        return Err(refuse(format!(
            "the structure has {} chains; one peptide chain is covered",
            chains.len()
        )));
    }
    for (r, residue) in res.iter().enumerate() {
        let name = residue.name.as_str();
        let why = if NUCLEIC.contains(&name) {
            "is a nucleotide (nucleic acids are not covered)"
        } else if SOLVENT.contains(&name) {
            "is water or an ion (give the peptide alone; solvent is implicit)"
        } else if templates::residue_kind(name) == ResidueKind::Unknown {
            "is not a standard amino acid (a ligand or a modified residue)"
        } else if templates::residue_kind(name) == ResidueKind::AminoAcid
            && candidate_templates(name).is_empty()
        {
            "is a residue variant the model was not trained on"
        } else {
            continue;
        };
        return Err(refuse(format!("residue {} {why}", tag(r))));
    }
    let last = res.len() - 1;
    let uncapped = |end: &str, r: usize| {
        refuse(format!(
            "the {end} terminus ({}) is not capped; cap the peptide with ACE and NME, or build it with `walkjump build --sequence …`",
            tag(r)
        ))
    };
    if templates::residue_kind(&res[0].name) != ResidueKind::Ace {
        return Err(uncapped("N", 0));
    }
    if templates::residue_kind(&res[last].name) != ResidueKind::Nme {
        return Err(uncapped("C", last));
    }
    let inner = &res[1..last];
    if let Some(k) = inner
        .iter()
        .position(|r| templates::residue_kind(&r.name) != ResidueKind::AminoAcid)
    {
        return Err(refuse(format!("cap {} sits inside the chain", tag(k + 1))));
    }
    if inner.is_empty() || inner.len() > MAX_RESIDUES {
        return Err(refuse(format!(
            "the peptide has {} residues between its caps",
            inner.len()
        )));
    }
    for r in 0..last {
        let bonded = match (t.find_atom(r, "C"), t.find_atom(r + 1, "N")) {
            (Some(c), Some(n)) => t.bonds.binary_search(&(c.min(n), c.max(n))).is_ok(),
            _ => false,
        };
        if !bonded {
            return Err(refuse(format!(
                "{} and {} are not joined by a peptide bond (a chain break)",
                tag(r),
                tag(r + 1)
            )));
        }
    }
    let ace_nme = build::template("ALA").expect("ALA template");
    for (r, residue) in res.iter().enumerate() {
        let have: HashSet<&str> = residue
            .atoms
            .iter()
            .map(|&a| t.atoms[a].name.as_str())
            .collect();
        let wanted: Vec<HashSet<&str>> = match templates::residue_kind(&residue.name) {
            ResidueKind::Ace => vec![ace_nme.atom_names(0).into_iter().collect()],
            ResidueKind::Nme => vec![ace_nme.atom_names(2).into_iter().collect()],
            _ => candidate_templates(&residue.name)
                .iter()
                .map(|c| c.atom_names(1).into_iter().collect())
                .collect(),
        };
        if wanted.contains(&have) {
            continue;
        }
        // Say what differs from the closest variant.
        let w = wanted
            .iter()
            .min_by_key(|w| w.symmetric_difference(&have).count())
            .expect("every covered residue has a template");
        let mut missing: Vec<&str> = w.difference(&have).copied().collect();
        let mut extra: Vec<&str> = have.difference(w).copied().collect();
        missing.sort_unstable();
        extra.sort_unstable();
        let mut parts = vec![];
        if !missing.is_empty() {
            parts.push(format!("lacks {}", missing.join(" ")));
        }
        if !extra.is_empty() {
            parts.push(format!(
                "has atoms the template does not ({})",
                extra.join(" ")
            ));
        }
        return Err(refuse(format!(
            "residue {} {}",
            tag(r),
            parts.join(" and ")
        )));
    }
    Ok(())
}
