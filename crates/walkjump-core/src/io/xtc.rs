//! GROMACS XTC (compressed coordinates, big-endian XDR), through the `molly` crate;
//! readable by MDTraj, VMD and GROMACS.
//!
//! XTC stores nanometres as integers on a fixed grid: each coordinate is rounded to
//! a multiple of 1/precision nm. We write with [`XTC_PRECISION`] = 1000 per nm, so a
//! coordinate read back is within 0.0005 nm = 0.005 Å (half a grid step) of the one
//! written, the same precision GROMACS and MDTraj use by default. Frames of nine atoms
//! or fewer are stored uncompressed as f32. Our coordinates are Å; the file's are nm.
//!
//! The reader trusts nothing in the file: every count and length is checked against
//! the bytes actually there before anything is allocated from it, and a panic inside
//! molly's decoder on damaged data becomes an [`Error::Trajectory`].

use super::{AtomicFile, Trajectory};
use crate::error::{Error, Result};
use molly::buffer::UnBuffered;
use molly::reader::read_compressed_positions;
use molly::selection::AtomSelection;
use molly::{Frame, Magic, XTCWriter};
use std::path::{Path, PathBuf};

/// Grid of the written coordinates, per nm: 1000 means 0.001 nm = 0.01 Å steps, so a
/// coordinate comes back within 0.0005 nm = 0.005 Å (plus f32 rounding).
pub const XTC_PRECISION: f32 = 1000.0;

/// Å per nm.
const NM: f64 = 10.0;

/// Largest |coordinate × precision| we write: keeps max − min of the integer grid
/// inside an i32, as the format requires (GROMACS allows up to `i32::MAX`).
const MAX_GRID: f64 = (1u64 << 30) as f64;

/// Bytes of a frame header: magic, natoms, step, time, 3×3 box, natoms again.
const HEADER_SIZE: usize = molly::Header::SIZE;

/// Smallest valid `smallidx` of a compressed frame (molly's and GROMACS's FIRSTIDX);
/// the table it indexes has 73 entries.
const SMALLIDX: std::ops::Range<u32> = 9..73;

/// Writes into a temporary file beside `path` and renames it into place in
/// [`XtcWriter::finish`], so the previous file survives an interrupted write.
/// Frame k gets step k and time k (ps); there is no box.
pub struct XtcWriter {
    path: PathBuf,
    out: AtomicFile,
    n_atoms: usize,
    frames: u32,
    magic: Magic,
    frame: Frame,
}

impl XtcWriter {
    pub fn create(path: &Path, n_atoms: usize) -> Result<Self> {
        if n_atoms == 0 {
            return Err(Error::Parameter(
                "an XTC trajectory needs at least one atom".into(),
            ));
        }
        // The 1995 layout counts compressed bytes in 32 bits; GROMACS 2023 switches to
        // 64 bits above this many atoms, and so do we.
        let magic = if n_atoms > molly::XTC_1995_MAX_NATOMS {
            Magic::Xtc2023
        } else {
            Magic::Xtc1995
        };
        Ok(XtcWriter {
            path: path.into(),
            out: AtomicFile::create(path)?,
            n_atoms,
            frames: 0,
            magic,
            frame: Frame {
                precision: XTC_PRECISION,
                positions: Vec::with_capacity(3 * n_atoms),
                ..Frame::default()
            },
        })
    }

    /// Append one frame of flat Å coordinates (x0 y0 z0 x1 ...).
    pub fn write_frame(&mut self, p: &[f64]) -> Result<()> {
        if p.len() != 3 * self.n_atoms {
            return Err(Error::Parameter(format!(
                "frame has {} coordinates, XTC was opened for {} atoms",
                p.len(),
                self.n_atoms
            )));
        }
        let limit = MAX_GRID / XTC_PRECISION as f64 * NM;
        if let Some(v) = p.iter().find(|v| !v.is_finite() || v.abs() >= limit) {
            return Err(Error::Parameter(format!(
                "coordinate {v} Å cannot be written to XTC (|x| < {limit:.0} Å)"
            )));
        }
        self.frame.positions.clear();
        self.frame
            .positions
            .extend(p.iter().map(|&v| (v / NM) as f32));
        self.frame.step = self.frames;
        self.frame.time = self.frames as f32;
        let mut w = XTCWriter::new_with_magic(self.out.writer(), self.magic);
        w.write_frame(&self.frame)
            .map_err(|e| Error::write(&self.path, e))?;
        self.frames = self.frames.saturating_add(1);
        Ok(())
    }

    /// Close the file and rename it into place.
    pub fn finish(self) -> Result<()> {
        self.out.commit()
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Read every frame of an XTC file, in Å.
pub fn read(path: &Path) -> Result<Trajectory> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if data.is_empty() {
        return Err(Error::EmptyFile { path: path.into() });
    }
    parse(&data, path)
}

/// Parse the bytes of an XTC file (`path` only names it in errors).
pub fn parse(data: &[u8], path: &Path) -> Result<Trajectory> {
    let bad = |detail: String| Error::Trajectory {
        path: path.into(),
        detail,
    };
    let mut traj = Trajectory::default();
    let mut scratch = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let k = traj.frames.len();
        let rest = &data[pos..];
        if rest.len() < HEADER_SIZE {
            return Err(bad(format!(
                "file ends inside the header of frame {k} ({} of {HEADER_SIZE} bytes)",
                rest.len()
            )));
        }
        let magic = Magic::try_from(be_u32(rest, 0) as i32)
            .map_err(|e| bad(format!("frame {k}: {e} (not an XTC file?)")))?;
        let natoms = be_u32(rest, 4) as usize;
        let repeated = be_u32(rest, HEADER_SIZE - 4) as usize;
        if natoms != repeated {
            return Err(bad(format!(
                "frame {k}: the header gives two atom counts, {natoms} and {repeated}"
            )));
        }
        if natoms == 0 {
            return Err(bad(format!("frame {k} has no atoms")));
        }
        if k == 0 {
            traj.n_atoms = natoms;
        } else if natoms != traj.n_atoms {
            return Err(bad(format!(
                "frame {k} has {natoms} atoms, the first frame has {}",
                traj.n_atoms
            )));
        }
        if magic == Magic::Xtc1995 && natoms > molly::XTC_1995_MAX_NATOMS {
            return Err(bad(format!(
                "frame {k}: {natoms} atoms is more than the XTC 1995 layout can hold"
            )));
        }
        let body = &rest[HEADER_SIZE..];
        let (frame, used) = if natoms <= 9 {
            read_uncompressed(body, natoms).ok_or_else(|| {
                bad(format!(
                    "file ends inside frame {k} ({} bytes left, {natoms} atoms need {})",
                    body.len(),
                    12 * natoms
                ))
            })?
        } else {
            read_compressed(body, natoms, magic, &mut scratch)
                .map_err(|detail| bad(format!("frame {k}: {detail}")))?
        };
        if frame.iter().any(|v| !v.is_finite()) {
            return Err(bad(format!(
                "frame {k} has a coordinate that is not finite"
            )));
        }
        traj.frames.push(frame);
        pos += HEADER_SIZE + used;
    }
    Ok(traj)
}

/// Up to nine atoms: raw big-endian f32 nm. Returns Å and the bytes used.
fn read_uncompressed(body: &[u8], natoms: usize) -> Option<(Vec<f64>, usize)> {
    let raw = body.get(..12 * natoms)?;
    let frame = raw
        .chunks_exact(4)
        .map(|c| f32::from_be_bytes(c.try_into().expect("4 bytes")) as f64 * NM)
        .collect();
    Some((frame, raw.len()))
}

/// A compressed frame after its header: precision, minint[3], maxint[3], smallidx,
/// the byte count (32 bits in the 1995 layout, 64 in 2023), the bytes, XDR padding.
fn read_compressed(
    body: &[u8],
    natoms: usize,
    magic: Magic,
    scratch: &mut Vec<u8>,
) -> std::result::Result<(Vec<f64>, usize), String> {
    let count_size = match magic {
        Magic::Xtc1995 => 4,
        Magic::Xtc2023 => 8,
    };
    let prelude = 4 + 7 * 4 + count_size;
    if body.len() < prelude {
        return Err("file ends inside the compressed-coordinate header".into());
    }
    let precision = f32::from_be_bytes(body[0..4].try_into().expect("4 bytes"));
    if !(precision.is_finite() && precision > 0.0) {
        return Err(format!("invalid precision {precision}"));
    }
    for axis in 0..3 {
        let min = be_u32(body, 4 + 4 * axis) as i32;
        let max = be_u32(body, 16 + 4 * axis) as i32;
        if max < min {
            return Err(format!("invalid coordinate range ({min} > {max})"));
        }
    }
    let smallidx = be_u32(body, 28);
    if !SMALLIDX.contains(&smallidx) {
        return Err(format!(
            "invalid compression parameter (smallidx {smallidx})"
        ));
    }
    let nbytes = match magic {
        Magic::Xtc1995 => be_u32(body, 32) as u64,
        Magic::Xtc2023 => u64::from_be_bytes(body[32..40].try_into().expect("8 bytes")),
    };
    let available = (body.len() - prelude) as u64;
    let padded = nbytes.saturating_add(molly::padding((nbytes % 4) as usize) as u64);
    if padded > available {
        return Err(format!(
            "file ends inside the compressed coordinates ({available} of {nbytes} bytes)"
        ));
    }
    // Every atom costs the decoder at least two bits (a run flag and at least one bit
    // of coordinates; atoms inside a run cost smallidx >= 9 bits), so a frame holds at
    // most 4 atoms per compressed byte (real files: about 0.5). 10 per byte + 9 leaves
    // a wide margin and still bounds what we allocate by the size of the file.
    if natoms as u64 > nbytes.saturating_mul(10).saturating_add(9) {
        return Err(format!(
            "{natoms} atoms cannot fit in {nbytes} compressed bytes"
        ));
    }
    let used = prelude + padded as usize;
    let mut positions = vec![f32::NAN; 3 * natoms];
    let mut input = &body[4..used];
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_compressed_positions::<UnBuffered, _>(
            &mut input,
            natoms,
            &mut positions,
            precision,
            scratch,
            &AtomSelection::All,
            magic,
        )
    }));
    match decoded {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("compressed coordinates: {e}")),
        Err(_) => return Err("the compressed coordinates are damaged".into()),
    }
    let frame = positions.iter().map(|&v| v as f64 * NM).collect();
    Ok((frame, used))
}
