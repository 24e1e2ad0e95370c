//! Saves that cannot lose data: everything is written to a temporary file in the
//! destination's own directory and renamed over the destination only once it is
//! complete and flushed. A kill, a full disk or a failed write leaves the previous
//! file whole; the rename is atomic on every POSIX file system because source and
//! destination share a directory.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written under a temporary name next to its destination.
/// Dropped without [`AtomicFile::commit`], it removes the temporary file.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

fn temp_name(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    // The pid keeps two processes saving the same path from sharing a temporary file.
    dest.with_file_name(format!(".{name}.{}.part", std::process::id()))
}

impl AtomicFile {
    pub fn create(dest: &Path) -> Result<Self> {
        let tmp = temp_name(dest);
        let file = File::create(&tmp).map_err(|e| Error::write(dest, e))?;
        Ok(AtomicFile {
            dest: dest.into(),
            tmp,
            out: Some(BufWriter::new(file)),
        })
    }

    /// The destination (for error messages).
    pub fn path(&self) -> &Path {
        &self.dest
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("not yet committed")
    }

    /// Write bytes, naming the destination in the error.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let dest = self.dest.clone();
        self.writer()
            .write_all(bytes)
            .map_err(|e| Error::write(dest, e))
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> Result<()> {
        let out = self.out.take().expect("committed once");
        let file = out
            .into_inner()
            .map_err(|e| Error::write(&self.dest, e.into_error()))?;
        file.sync_all().map_err(|e| Error::write(&self.dest, e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::write(&self.dest, e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Not committed: the destination keeps its previous content. Removing the
            // partial file is best effort (the directory may have become unwritable).
            if let Err(e) = std::fs::remove_file(&self.tmp) {
                tracing::debug!("could not remove {}: {e}", self.tmp.display());
            }
        }
    }
}

/// Write `bytes` to `dest` atomically.
pub fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit()
}
