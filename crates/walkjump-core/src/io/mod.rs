//! Trajectory files: multi-model PDB, CHARMM/NAMD DCD and GROMACS XTC, all readable by
//! MDTraj and VMD.

pub mod atomic;
pub mod dcd;
pub mod pdb_traj;
pub mod run_info;
pub mod xtc;

use crate::error::{Error, Result};
use crate::molecule::Topology;
use std::path::Path;

pub use atomic::{write_atomically, AtomicFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrajectoryFormat {
    Pdb,
    Dcd,
    Xtc,
}

impl TrajectoryFormat {
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = crate::error::lower_extension(path);
        match ext.as_str() {
            "pdb" => Ok(TrajectoryFormat::Pdb),
            "dcd" => Ok(TrajectoryFormat::Dcd),
            "xtc" => Ok(TrajectoryFormat::Xtc),
            _ => Err(Error::Extension {
                path: path.into(),
                ext,
                expected: ".pdb (multi-model), .dcd or .xtc",
            }),
        }
    }
}

/// Frames of one trajectory: flat coordinates (x0 y0 z0 x1 ...) per frame.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    pub n_atoms: usize,
    pub frames: Vec<Vec<f64>>,
}

/// Streams frames to disk as they are produced, into a temporary file beside the
/// destination (`.NAME.PID.part`) that `finish` renames into place: the previous file
/// stays whole until then, and a killed run leaves what it had in the `.part` file.
pub enum TrajectoryWriter {
    Pdb(pdb_traj::PdbTrajWriter),
    Dcd(dcd::DcdWriter),
    Xtc(xtc::XtcWriter),
}

impl TrajectoryWriter {
    pub fn create(path: &Path, topology: &Topology) -> Result<Self> {
        Ok(match TrajectoryFormat::from_path(path)? {
            TrajectoryFormat::Pdb => {
                TrajectoryWriter::Pdb(pdb_traj::PdbTrajWriter::create(path, topology.clone())?)
            }
            TrajectoryFormat::Dcd => {
                TrajectoryWriter::Dcd(dcd::DcdWriter::create(path, topology.n_atoms())?)
            }
            TrajectoryFormat::Xtc => {
                TrajectoryWriter::Xtc(xtc::XtcWriter::create(path, topology.n_atoms())?)
            }
        })
    }

    pub fn write_frame(&mut self, positions: &[f64]) -> Result<()> {
        match self {
            TrajectoryWriter::Pdb(w) => w.write_frame(positions),
            TrajectoryWriter::Dcd(w) => w.write_frame(positions),
            TrajectoryWriter::Xtc(w) => w.write_frame(positions),
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            TrajectoryWriter::Pdb(w) => w.finish(),
            TrajectoryWriter::Dcd(w) => w.finish(),
            TrajectoryWriter::Xtc(w) => w.finish(),
        }
    }
}

/// Read a whole trajectory, checking the atom count against `n_atoms`.
pub fn read_trajectory(path: &Path, n_atoms: usize) -> Result<Trajectory> {
    let traj = match TrajectoryFormat::from_path(path)? {
        TrajectoryFormat::Pdb => pdb_traj::read(path)?,
        TrajectoryFormat::Dcd => dcd::read(path)?,
        TrajectoryFormat::Xtc => xtc::read(path)?,
    };
    if traj.n_atoms != n_atoms {
        return Err(Error::AtomCount {
            path: path.into(),
            frame: 0,
            found: traj.n_atoms,
            expected: n_atoms,
        });
    }
    Ok(traj)
}

/// Write a whole trajectory in one go.
pub fn write_trajectory(path: &Path, topology: &Topology, frames: &[Vec<f64>]) -> Result<()> {
    let mut w = TrajectoryWriter::create(path, topology)?;
    for f in frames {
        w.write_frame(f)?;
    }
    w.finish()
}
