//! Reading structures (PDB, mmCIF) through pdbtbx into a [`Structure`].

use super::elements::Element;
use super::templates::{self, ResidueKind};
use super::topology::{Atom, Residue, Structure, Topology};
use crate::error::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Accept residues without a template and bond them by covalent radii.
    pub allow_unknown_residues: bool,
}

/// Which structure format a path names, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureFormat {
    Pdb,
    Mmcif,
}

pub fn structure_format(path: &Path) -> Result<StructureFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
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
    opts.set_level(pdbtbx::StrictnessLevel::Loose)
        .set_format(match format {
            StructureFormat::Pdb => pdbtbx::Format::Pdb,
            StructureFormat::Mmcif => pdbtbx::Format::Mmcif,
        });
    match opts.read(path_str) {
        Ok((pdb, _warnings)) => {
            if pdb.model_count() == 0 || pdb.atom_count() == 0 {
                return Err(Error::Parse {
                    path: path.into(),
                    detail: "no ATOM/HETATM records found".into(),
                });
            }
            Ok(pdb)
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

/// Load the first model of a PDB or mmCIF file and derive its topology.
pub fn load_structure(path: &Path, options: LoadOptions) -> Result<Structure> {
    let pdb = read_pdbtbx(path)?;
    let model = pdb.model(0).expect("checked: at least one model");
    let mut topo = Topology::default();
    for chain in model.chains() {
        for residue in chain.residues() {
            let Some(conf) = residue.conformers().next() else {
                continue;
            };
            let name = conf.name().trim().to_ascii_uppercase();
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
                let aname = atom.name().trim().to_string();
                let element = atom
                    .element()
                    .and_then(|e| Element::from_symbol(e.symbol()))
                    .or_else(|| Element::guess_from_atom_name(&aname))
                    .ok_or_else(|| Error::Parse {
                        path: path.into(),
                        detail: format!(
                            "cannot tell the element of atom '{aname}' in residue {}{}",
                            res.name, res.number
                        ),
                    })?;
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
    let positions = model_positions(model);
    if positions.iter().any(|v| !v.is_finite()) {
        return Err(Error::Parse {
            path: path.into(),
            detail: "non-finite coordinates".into(),
        });
    }
    topo.derive_bonds_and_torsions(&positions);
    Ok(Structure {
        topology: topo,
        positions,
    })
}
