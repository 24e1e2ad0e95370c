//! CHARMM-style DCD (little-endian, 32-bit Fortran record markers, no unit cell),
//! the layout VMD's dcdplugin and MDTraj read.

use super::{AtomicFile, Trajectory};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const NSET_OFFSET: u64 = 8; // record marker (4) + "CORD" (4)
const FLUSH_EVERY: usize = 64;

/// Writes into a temporary file beside `path` and renames it into place in
/// [`DcdWriter::finish`], so the previous file survives an interrupted write.
pub struct DcdWriter {
    path: PathBuf,
    out: AtomicFile,
    n_atoms: usize,
    frames: usize,
}

fn record(out: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    let len = (body.len() as u32).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(body)?;
    out.write_all(&len)
}

impl DcdWriter {
    pub fn create(path: &Path, n_atoms: usize) -> Result<Self> {
        let mut w = DcdWriter {
            path: path.into(),
            out: AtomicFile::create(path)?,
            n_atoms,
            frames: 0,
        };
        w.header().map_err(|e| Error::write(path, e))?;
        Ok(w)
    }

    fn header(&mut self) -> std::io::Result<()> {
        let mut h = Vec::with_capacity(84);
        h.extend_from_slice(b"CORD");
        let mut icntrl = [0i32; 20];
        icntrl[0] = 0; // NSET, patched as frames arrive
        icntrl[1] = 0; // ISTART
        icntrl[2] = 1; // NSAVC
        icntrl[19] = 24; // CHARMM version: marks the CHARMM dialect
        for (k, v) in icntrl.iter().enumerate() {
            if k == 9 {
                h.extend_from_slice(&1.0f32.to_le_bytes()); // DELTA
            } else {
                h.extend_from_slice(&v.to_le_bytes());
            }
        }
        record(self.out.writer(), &h)?;
        let mut t = Vec::new();
        t.extend_from_slice(&1i32.to_le_bytes());
        let mut title = b"REMARKS written by Walk-Jump Studio".to_vec();
        title.resize(80, b' ');
        t.extend_from_slice(&title);
        record(self.out.writer(), &t)?;
        record(self.out.writer(), &(self.n_atoms as i32).to_le_bytes())
    }

    pub fn write_frame(&mut self, p: &[f64]) -> Result<()> {
        if p.len() != 3 * self.n_atoms {
            return Err(Error::Parameter(format!(
                "frame has {} coordinates, DCD was opened for {} atoms",
                p.len(),
                self.n_atoms
            )));
        }
        let mut buf = Vec::with_capacity(4 * self.n_atoms);
        let res: std::io::Result<()> = (|| {
            for axis in 0..3 {
                buf.clear();
                for i in 0..self.n_atoms {
                    buf.extend_from_slice(&(p[3 * i + axis] as f32).to_le_bytes());
                }
                record(self.out.writer(), &buf)?;
            }
            Ok(())
        })();
        res.map_err(|e| Error::write(&self.path, e))?;
        self.frames += 1;
        if self.frames.is_multiple_of(FLUSH_EVERY) {
            self.patch_count()
                .map_err(|e| Error::write(&self.path, e))?;
        }
        Ok(())
    }

    /// Write the frame count into the header so a reader sees every frame so far.
    fn patch_count(&mut self) -> std::io::Result<()> {
        let out = self.out.writer();
        out.flush()?;
        let file = out.get_mut();
        let end = file.stream_position()?;
        file.seek(SeekFrom::Start(NSET_OFFSET))?;
        file.write_all(&(self.frames as i32).to_le_bytes())?;
        file.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    /// Write the final frame count and rename the file into place.
    pub fn finish(mut self) -> Result<()> {
        self.patch_count()
            .map_err(|e| Error::write(&self.path, e))?;
        self.out.commit()
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn bad(&self, detail: impl Into<String>) -> Error {
        Error::Trajectory {
            path: self.path.into(),
            detail: detail.into(),
        }
    }
    fn i32(&mut self) -> Result<i32> {
        let b = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.bad("file ends inside a record"))?;
        self.pos += 4;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// One Fortran record: returns its body.
    fn record(&mut self) -> Result<&'a [u8]> {
        let len = self.i32()?;
        if len < 0 {
            return Err(self.bad("negative record length"));
        }
        let len = len as usize;
        let start = self.pos;
        if self.data.len() < start + len + 4 {
            return Err(self.bad("file ends inside a record"));
        }
        self.pos += len;
        let end = self.i32()?;
        if end as usize != len {
            return Err(self.bad("record markers do not match (not a little-endian 32-bit DCD?)"));
        }
        Ok(&self.data[start..start + len])
    }
}

pub fn read(path: &Path) -> Result<Trajectory> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| Error::io(path, e))?;
    if data.is_empty() {
        return Err(Error::EmptyFile { path: path.into() });
    }
    let mut c = Cursor {
        data: &data,
        pos: 0,
        path,
    };
    let h = c.record()?.to_vec();
    if h.len() != 84 || &h[0..4] != b"CORD" {
        return Err(c.bad("missing CORD header"));
    }
    let icntrl = |k: usize| i32::from_le_bytes(h[4 + 4 * k..8 + 4 * k].try_into().unwrap());
    let has_cell = icntrl(19) != 0 && icntrl(10) != 0;
    if icntrl(19) != 0 && icntrl(11) != 0 {
        return Err(c.bad("4-D DCD files are not supported"));
    }
    if icntrl(8) != 0 {
        return Err(c.bad("DCD files with fixed atoms are not supported"));
    }
    c.record()?; // titles
    let nrec = c.record()?;
    if nrec.len() != 4 {
        return Err(c.bad("bad atom-count record"));
    }
    let n_atoms = i32::from_le_bytes(nrec.try_into().unwrap());
    if n_atoms <= 0 {
        return Err(c.bad("atom count must be positive"));
    }
    let n_atoms = n_atoms as usize;
    let mut traj = Trajectory {
        n_atoms,
        frames: vec![],
    };
    while c.pos < data.len() {
        if has_cell {
            c.record()?;
        }
        // The three records are checked against the header before anything is
        // allocated, so a damaged atom count cannot ask for more memory than the file has.
        let mut axes = [&[][..]; 3];
        for body in &mut axes {
            *body = c.record()?;
            if body.len() != 4 * n_atoms {
                return Err(c.bad(format!(
                    "frame {} has {} atoms, header says {n_atoms}",
                    traj.frames.len(),
                    body.len() / 4
                )));
            }
        }
        let mut frame = vec![0.0; 3 * n_atoms];
        for (axis, body) in axes.iter().enumerate() {
            for (i, ch) in body.chunks_exact(4).enumerate() {
                frame[3 * i + axis] = f32::from_le_bytes(ch.try_into().unwrap()) as f64;
            }
        }
        traj.frames.push(frame);
    }
    Ok(traj)
}
