//! Heavy-atom bond templates for the standard amino acids and the ACE/NME caps.
//! Hydrogens are not listed: naming schemes for them differ between force fields
//! (HB2/HB3, 1HB/2HB, ...), so they are bonded to the nearest heavy atom instead.

const BACKBONE: &str = "N-CA CA-C C-O C-OXT";

fn side_chain(residue: &str) -> Option<&'static str> {
    Some(match residue {
        "GLY" => "",
        "ALA" => "CA-CB",
        "SER" => "CA-CB CB-OG",
        "CYS" | "CYX" | "CYM" => "CA-CB CB-SG",
        "VAL" => "CA-CB CB-CG1 CB-CG2",
        "THR" => "CA-CB CB-OG1 CB-CG2",
        "LEU" => "CA-CB CB-CG CG-CD1 CG-CD2",
        "ILE" => "CA-CB CB-CG1 CB-CG2 CG1-CD1",
        "MET" => "CA-CB CB-CG CG-SD SD-CE",
        "PRO" => "CA-CB CB-CG CG-CD CD-N",
        "PHE" => "CA-CB CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ",
        "TYR" => "CA-CB CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ CZ-OH",
        "TRP" => "CA-CB CB-CG CG-CD1 CG-CD2 CD1-NE1 NE1-CE2 CD2-CE2 CE2-CZ2 CZ2-CH2 CH2-CZ3 CZ3-CE3 CE3-CD2",
        "HIS" | "HID" | "HIE" | "HIP" | "HSD" | "HSE" | "HSP" => {
            "CA-CB CB-CG CG-ND1 CG-CD2 ND1-CE1 CE1-NE2 NE2-CD2"
        }
        "ASP" | "ASH" => "CA-CB CB-CG CG-OD1 CG-OD2",
        "GLU" | "GLH" => "CA-CB CB-CG CG-CD CD-OE1 CD-OE2",
        "ASN" => "CA-CB CB-CG CG-OD1 CG-ND2",
        "GLN" => "CA-CB CB-CG CG-CD CD-OE1 CD-NE2",
        "LYS" | "LYN" => "CA-CB CB-CG CG-CD CD-CE CE-NZ",
        "ARG" => "CA-CB CB-CG CG-CD CD-NE NE-CZ CZ-NH1 CZ-NH2",
        _ => return None,
    })
}

/// What a residue name is, for bonding and torsion definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidueKind {
    AminoAcid,
    /// N-terminal acetyl cap: its C bonds to the next residue's N.
    Ace,
    /// C-terminal N-methylamide cap: its N bonds to the previous residue's C.
    Nme,
    Unknown,
}

pub fn residue_kind(name: &str) -> ResidueKind {
    match name {
        "ACE" => ResidueKind::Ace,
        "NME" | "NMA" => ResidueKind::Nme,
        n if side_chain(n).is_some() => ResidueKind::AminoAcid,
        _ => ResidueKind::Unknown,
    }
}

/// Heavy-atom bonds of a residue as pairs of atom names, or None for an unknown residue.
pub fn heavy_bonds(residue: &str) -> Option<Vec<(&'static str, &'static str)>> {
    let spec: Vec<&'static str> = match residue_kind(residue) {
        ResidueKind::AminoAcid => {
            let mut v: Vec<&str> = BACKBONE.split_whitespace().collect();
            v.extend(side_chain(residue)?.split_whitespace());
            v
        }
        ResidueKind::Ace => vec!["CH3-C", "C-O"],
        // Some tools name the NME methyl carbon "C" rather than "CH3".
        ResidueKind::Nme => vec!["N-CH3", "N-C"],
        ResidueKind::Unknown => return None,
    };
    Some(
        spec.into_iter()
            .map(|b| b.split_once('-').expect("template bonds are written A-B"))
            .collect(),
    )
}

/// The side-chain gamma atom that defines chi1, in order of preference.
pub const CHI1_GAMMA: [&str; 5] = ["CG", "CG1", "OG", "OG1", "SG"];

pub fn known_residues() -> &'static str {
    "ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL \
     (and HID HIE HIP HSD HSE HSP CYX CYM ASH GLH LYN), caps ACE NME"
}
