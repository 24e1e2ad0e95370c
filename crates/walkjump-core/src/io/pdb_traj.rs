//! Multi-model PDB: written line by line (so it can stream), read back through pdbtbx.

use super::AtomicFile;
use super::Trajectory;
use crate::error::{Error, Result};
use crate::molecule::load::{model_positions, read_pdbtbx};
use crate::molecule::Topology;
use std::path::Path;

/// Writes into a temporary file beside `path` and renames it into place in
/// [`PdbTrajWriter::finish`], so the previous file survives an interrupted write.
pub struct PdbTrajWriter {
    out: AtomicFile,
    topology: Topology,
    model: usize,
}

/// PDB atom names of up to 3 characters start in column 14, four-character ones in 13.
fn padded_name(name: &str) -> String {
    if name.len() >= 4 {
        name[..4].to_string()
    } else {
        format!(" {name:<3}")
    }
}

impl PdbTrajWriter {
    pub fn create(path: &Path, topology: Topology) -> Result<Self> {
        Ok(PdbTrajWriter {
            out: AtomicFile::create(path)?,
            topology,
            model: 0,
        })
    }

    pub fn write_frame(&mut self, p: &[f64]) -> Result<()> {
        let n = self.topology.n_atoms();
        if p.len() != 3 * n {
            return Err(Error::Parameter(format!(
                "frame has {} coordinates, topology needs {}",
                p.len(),
                3 * n
            )));
        }
        if let Some(v) = p.iter().find(|v| !v.is_finite() || v.abs() >= 1e4) {
            return Err(Error::Parameter(format!(
                "coordinate {v} cannot be written in PDB columns (|x| < 10000)"
            )));
        }
        self.model += 1;
        let mut s = format!("MODEL     {:>4}\n", self.model);
        for (i, atom) in self.topology.atoms.iter().enumerate() {
            let res = &self.topology.residues[atom.residue];
            let chain = res.chain.chars().next().unwrap_or('A');
            s.push_str(&format!(
                "ATOM  {:>5} {} {:>3} {}{:>4}    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00          {:>2}\n",
                (i + 1) % 100_000,
                padded_name(&atom.name),
                res.name,
                chain,
                res.number,
                p[3 * i],
                p[3 * i + 1],
                p[3 * i + 2],
                atom.element.symbol().to_ascii_uppercase()
            ));
        }
        s.push_str("ENDMDL\n");
        self.out.write_all(s.as_bytes())
    }

    /// Close the file and rename it into place.
    pub fn finish(mut self) -> Result<()> {
        self.out.write_all(b"END\n")?;
        self.out.commit()
    }
}

pub fn read(path: &Path) -> Result<Trajectory> {
    let pdb = read_pdbtbx(path)?;
    let mut traj = Trajectory::default();
    for (k, model) in pdb.models().enumerate() {
        let f = model_positions(model);
        if k == 0 {
            traj.n_atoms = f.len() / 3;
        } else if f.len() != 3 * traj.n_atoms {
            return Err(Error::AtomCount {
                path: path.into(),
                frame: k,
                found: f.len() / 3,
                expected: traj.n_atoms,
            });
        }
        traj.frames.push(f);
    }
    Ok(traj)
}
