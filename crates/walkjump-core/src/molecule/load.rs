//! Reading structures (PDB, mmCIF) through pdbtbx into a [`Structure`].

use super::elements::Element;
use super::names;
use super::templates::{self, ResidueKind};
use super::topology::{Atom, Residue, Structure, Topology};
use crate::error::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Accept residues without a template and bond them by covalent radii.
    pub allow_unknown_residues: bool,
    /// Leave hydrogens missing from standard residues missing (by default they are
    /// placed from the residue templates, see [`super::hydrogens`]): for a topology
    /// that must match a trajectory's atoms as they are.
    pub keep_missing_hydrogens: bool,
}

/// Which structure format a path names, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureFormat {
    Pdb,
    Mmcif,
}

pub fn structure_format(path: &Path) -> Result<StructureFormat> {
    let ext = crate::error::lower_extension(path);
    match ext.as_str() {
        "pdb" | "ent" => Ok(StructureFormat::Pdb),
        "cif" | "mmcif" => Ok(StructureFormat::Mmcif),
        _ => Err(Error::Extension {
            path: path.into(),
            ext,
            expected: ".pdb, .ent, .cif or .mmcif",
        }),
    }
}

/// Parse a PDB/mmCIF file with pdbtbx, turning its error list into one message.
pub(crate) fn read_pdbtbx(path: &Path) -> Result<pdbtbx::PDB> {
    read_pdbtbx_with_elements(path).map(|(pdb, _)| pdb)
}

/// Whether any ATOM/HETATM record has its element columns (77–78) filled in. When
/// they are blank pdbtbx fills the element in from the atom name, so an element
/// that disagrees with the residue template is then pdbtbx's guess, not the file's.
fn pdb_has_element_columns(text: &str) -> bool {
    text.lines()
        .filter(|l| l.starts_with("ATOM") || l.starts_with("HETATM"))
        .any(|l| l.get(76..78).is_some_and(|e| !e.trim().is_empty()))
}

/// As [`read_pdbtbx`], also saying whether the file states its elements itself.
pub(crate) fn read_pdbtbx_with_elements(path: &Path) -> Result<(pdbtbx::PDB, bool)> {
    let format = structure_format(path)?;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::EmptyFile { path: path.into() });
    }
    let path_str = path.to_str().ok_or_else(|| Error::Parse {
        path: path.into(),
        detail: "path is not valid UTF-8".into(),
    })?;
    let mut opts = pdbtbx::ReadOptions::new();
    opts.set_level(pdbtbx::StrictnessLevel::Loose);
    let mut explicit_elements = true;
    // pdbtbx is a third-party parser fed arbitrary files: a panic inside it becomes a
    // parse error, never a crash of the app or the sampler thread.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        StructureFormat::Pdb => {
            let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let text = normalize_legacy_pdb(&String::from_utf8_lossy(&text));
            explicit_elements = pdb_has_element_columns(&text);
            Ok(opts
                .set_format(pdbtbx::Format::Pdb)
                .read_raw(std::io::BufReader::new(text.as_bytes())))
        }
        StructureFormat::Mmcif => Ok(opts.set_format(pdbtbx::Format::Mmcif).read(path_str)),
    }));
    let result = match parsed {
        Ok(r) => r?,
        Err(_) => {
            return Err(Error::Parse {
                path: path.into(),
                detail: "the structure parser (pdbtbx) failed on this file".into(),
            })
        }
    };
    match result {
        Ok((pdb, _warnings)) => {
            if pdb.model_count() == 0 || pdb.atom_count() == 0 {
                return Err(Error::Parse {
                    path: path.into(),
                    detail: "no ATOM/HETATM records found".into(),
                });
            }
            Ok((pdb, explicit_elements))
        }
        Err(errors) => {
            let detail = errors
                .iter()
                .filter(|e| e.fails(pdbtbx::StrictnessLevel::Loose))
                .take(3)
                .map(|e| format!("{}: {}", e.short_description(), e.long_description()))
                .collect::<Vec<_>>()
                .join("; ");
            Err(Error::Parse {
                path: path.into(),
                detail: if detail.is_empty() {
                    "unreadable file".into()
                } else {
                    detail
                },
            })
        }
    }
}

/// Make legacy PDB text (as LEaP and many tools write it) acceptable to pdbtbx:
/// coordinate records cut after z get the default occupancy and B-factor, and
/// free-text REMARK lines without a remark number are dropped.
pub(crate) fn normalize_legacy_pdb(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("REMARK") {
            let number = line.get(6..10).unwrap_or("").trim();
            if number.is_empty() || number.parse::<u32>().is_err() {
                continue;
            }
        }
        // Columns are byte positions; a line with other than ASCII in it is not a
        // PDB record to repair (and slicing it by columns could split a character).
        if (line.starts_with("ATOM") || line.starts_with("HETATM"))
            && line.len() >= 54
            && line.is_ascii()
        {
            let mut l: String = line.to_string();
            while l.len() < 80 {
                l.push(' ');
            }
            if l[54..60].trim().is_empty() {
                l.replace_range(54..60, "  1.00");
            }
            if l[60..66].trim().is_empty() {
                l.replace_range(60..66, "  0.00");
            }
            out.push_str(&l);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Positions of one pdbtbx model, in file order, first alternate location only.
pub(crate) fn model_positions(model: &pdbtbx::Model) -> Vec<f64> {
    let mut out = Vec::new();
    for chain in model.chains() {
        for residue in chain.residues() {
            if let Some(conf) = residue.conformers().next() {
                for atom in conf.atoms() {
                    let (x, y, z) = atom.pos();
                    out.extend_from_slice(&[x, y, z]);
                }
            }
        }
    }
    out
}

/// Load the first model of a PDB or mmCIF file and derive its topology. Residue and
/// atom names are rewritten to one convention ([`names`]) and, inside residues with
/// a template, elements follow from those names; an element column that says
/// otherwise is corrected and the correction logged and kept in
/// [`Structure::notes`].
pub fn load_structure(path: &Path, options: LoadOptions) -> Result<Structure> {
    let (pdb, explicit_elements) = read_pdbtbx_with_elements(path)?;
    let model = pdb.model(0).expect("checked: at least one model");
    let mut topo = Topology::default();
    let mut notes = vec![];
    let mut renamed = 0usize;
    for chain in model.chains() {
        for residue in chain.residues() {
            let Some(conf) = residue.conformers().next() else {
                continue;
            };
            let name = names::canonical_residue(conf.name());
            let number = residue.serial_number();
            if templates::residue_kind(&name) == ResidueKind::Unknown
                && !options.allow_unknown_residues
            {
                return Err(Error::UnknownResidue {
                    path: path.into(),
                    residue: name,
                    number,
                    chain: format!(" of chain {}", chain.id()),
                    known: templates::known_residues().into(),
                });
            }
            let ri = topo.residues.len();
            let mut res = Residue {
                name,
                number,
                chain: chain.id().to_string(),
                atoms: vec![],
            };
            for atom in conf.atoms() {
                let raw = atom.name().trim();
                let aname = names::canonical_atom(&res.name, raw);
                if aname != raw {
                    renamed += 1;
                }
                let column = atom
                    .element()
                    .and_then(|e| Element::from_symbol(e.symbol()));
                let element = match (names::template_element(&res.name, &aname), column) {
                    (Some(t), Some(c)) if t != c => {
                        // Blank columns are pdbtbx's guess from the name ("CA" →
                        // calcium): replace silently. A stated element that
                        // contradicts a standard residue is the file's mistake
                        // (older versions of this program wrote "CA" there): say so.
                        if explicit_elements {
                            let note = format!(
                                "atom {raw} of {}{}: the element column says {}, but in a standard residue {aname} is {}; using {}",
                                res.name, res.number, c.symbol(), t.symbol(), t.symbol()
                            );
                            tracing::warn!("{}: {note}", path.display());
                            notes.push(note);
                        }
                        t
                    }
                    (Some(t), _) => t,
                    (None, Some(c)) => c,
                    (None, None) => {
                        Element::guess_from_atom_name(&aname).ok_or_else(|| Error::Parse {
                            path: path.into(),
                            detail: format!(
                                "cannot tell the element of atom '{raw}' in residue {}{}",
                                res.name, res.number
                            ),
                        })?
                    }
                };
                if templates::residue_kind(&res.name) != ResidueKind::Unknown
                    && res
                        .atoms
                        .iter()
                        .any(|&a: &usize| topo.atoms[a].name == aname)
                {
                    return Err(Error::Parse {
                        path: path.into(),
                        detail: format!(
                            "residue {}{} has two atoms named {aname} (after renaming '{raw}' to the Amber/PDB v3 convention)",
                            res.name, res.number
                        ),
                    });
                }
                res.atoms.push(topo.atoms.len());
                topo.atoms.push(Atom {
                    name: aname,
                    element,
                    residue: ri,
                });
            }
            topo.residues.push(res);
        }
    }
    if renamed > 0 {
        tracing::debug!(
            "{}: {renamed} atom names rewritten to the Amber/PDB v3 convention",
            path.display()
        );
    }
    let positions = model_positions(model);
    if positions.iter().any(|v| !v.is_finite()) {
        return Err(Error::Parse {
            path: path.into(),
            detail: "non-finite coordinates".into(),
        });
    }
    topo.derive_bonds_and_torsions(&positions);
    // The peptide models are meant for L-amino acids: say so when the file has a D or
    // allo one (the D/allo column of the panels then starts at 100 % for it).
    for (label, _, form) in
        crate::analysis::chirality::d_residues(&topo, std::slice::from_ref(&positions))
    {
        use crate::analysis::chirality::WrongHand;
        let what = match form {
            WrongHand::D => "a D-amino acid in this file (the mirror image of the L form)",
            WrongHand::DAllo => {
                "a D-allo amino acid in this file (its Cα is the mirror image of L's)"
            }
            WrongHand::LAllo => {
                "an allo form in this file (its Cβ has the other hand than the L form's)"
            }
        };
        let note = format!("{label} is {what}; the peptide models are meant for L-amino acids");
        tracing::warn!("{}: {note}", path.display());
        notes.push(note);
    }
    // A cis bond not before a proline is almost always a modelling error; the models
    // never saw one (their data are checked) and keep it through every jump.
    for (label, _) in
        crate::analysis::peptide_bond::cis_bonds(&topo, std::slice::from_ref(&positions))
    {
        let note = format!(
            "the peptide bond {label} is cis in this file; the peptide models were trained \
             on trans bonds (cis only before a proline) and will keep it cis"
        );
        tracing::warn!("{}: {note}", path.display());
        notes.push(note);
    }
    let mut structure = Structure {
        topology: topo,
        positions,
        notes,
    };
    if !options.keep_missing_hydrogens {
        super::hydrogens::complete_hydrogens(&mut structure);
    }
    Ok(structure)
}
