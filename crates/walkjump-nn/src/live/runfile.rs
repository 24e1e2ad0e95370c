//! The run file: every jump of a live run, appended to disk as it is produced, so a
//! save holds the whole run while memory stays bounded however long it runs.
//!
//! Layout: frame after frame, each the jump's coordinates as little-endian f32 (the
//! precision DCD stores). One directory per run under [`default_root`] (or
//! `LiveConfig::run_dir`), named `<pid>-<n>`; it is removed when the run is cleared
//! (reset, another system) or the sampler ends. Directories left by a process that
//! was killed are removed by the next one that starts a run.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use walkjump_core::error::{Error, Result};

static NEXT_RUN: AtomicUsize = AtomicUsize::new(0);
static STALE_SWEEP: std::sync::Once = std::sync::Once::new();

/// Where run files go unless configured otherwise: `$TMPDIR/walkjump-runs`.
pub fn default_root() -> PathBuf {
    std::env::temp_dir().join("walkjump-runs")
}

pub(crate) struct RunFile {
    dir: PathBuf,
    path: PathBuf,
    /// None once writing failed (or the file could not be created).
    out: Option<BufWriter<File>>,
    dim: usize,
    /// Whole frames appended (on disk or in the buffer).
    frames: usize,
    /// Why appending stopped, and whether that was handed out yet.
    problem: Option<String>,
    reported: bool,
    bytes: Vec<u8>,
}

impl RunFile {
    /// A new, empty run file for frames of `dim` coordinates. Never fails: if the file
    /// cannot be created, the run goes on without one and [`RunFile::take_problem`]
    /// says why.
    pub fn create(root: &Path, dim: usize) -> RunFile {
        STALE_SWEEP.call_once(|| remove_stale(root));
        let n = NEXT_RUN.fetch_add(1, Ordering::Relaxed);
        let dir = root.join(format!("{}-{n}", std::process::id()));
        let path = dir.join("jumps.f32");
        let opened = std::fs::create_dir_all(&dir)
            .and_then(|_| File::create(&path))
            .map(|f| BufWriter::with_capacity(1 << 16, f));
        let (out, problem) = match opened {
            Ok(w) => (Some(w), None),
            Err(e) => (
                None,
                Some(format!(
                    "cannot create the run file {}: {e}; sampling goes on, but a save \
                     will hold no jumps",
                    path.display()
                )),
            ),
        };
        RunFile {
            dir,
            path,
            out,
            dim,
            frames: 0,
            problem,
            reported: false,
            bytes: Vec::with_capacity(4 * dim),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Jumps a save would hold.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Append one jump. A failure (a full disk) stops appending for this run; the
    /// frames already there stay readable.
    pub fn append(&mut self, x: &[f64]) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        debug_assert_eq!(x.len(), self.dim);
        self.bytes.clear();
        for &v in x {
            self.bytes.extend_from_slice(&(v as f32).to_le_bytes());
        }
        match out.write_all(&self.bytes) {
            Ok(()) => self.frames += 1,
            Err(e) => self.fail(e),
        }
    }

    /// The first problem with the run file, once.
    pub fn take_problem(&mut self) -> Option<String> {
        if self.reported {
            return None;
        }
        let p = self.problem.clone()?;
        self.reported = true;
        Some(p)
    }

    /// Appending stopped because of this (if it did).
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Stop appending: keep only the whole frames that reached the disk.
    fn fail(&mut self, e: std::io::Error) {
        let Some(out) = self.out.take() else {
            return;
        };
        // Not flushed again: what is still buffered is lost, what reached the file counts.
        let (file, _) = out.into_parts();
        let on_disk = file.metadata().map(|m| m.len()).unwrap_or(0);
        let frame_bytes = (4 * self.dim).max(1) as u64;
        self.frames = self.frames.min((on_disk / frame_bytes) as usize);
        self.problem = Some(format!(
            "the run file {} could not be written ({e}); sampling goes on, but a save \
             will hold only the first {} jumps",
            self.path.display(),
            self.frames
        ));
    }

    /// Flush what is buffered, so [`RunFile::frames`] counts only frames on disk.
    pub fn sync(&mut self) {
        if let Some(out) = self.out.as_mut() {
            if let Err(e) = out.flush() {
                self.fail(e);
            }
        }
    }

    /// Call `f` on each of the first `n` frames (at most all of them), oldest first.
    pub fn for_each(&mut self, n: usize, mut f: impl FnMut(&[f64]) -> Result<()>) -> Result<()> {
        self.sync();
        let n = n.min(self.frames);
        if n == 0 {
            return Ok(());
        }
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut bytes = vec![0u8; 4 * self.dim];
        let mut x = vec![0.0f64; self.dim];
        for _ in 0..n {
            r.read_exact(&mut bytes)
                .map_err(|e| Error::io(&self.path, e))?;
            for (v, c) in x.iter_mut().zip(bytes.chunks_exact(4)) {
                *v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64;
            }
            f(&x)?;
        }
        Ok(())
    }
}

impl Drop for RunFile {
    fn drop(&mut self) {
        self.out = None;
        std::fs::remove_file(&self.path).ok();
        std::fs::remove_dir(&self.dir).ok();
    }
}

/// Remove run directories of processes that no longer exist (a killed app leaves
/// its run file behind). Only where /proc tells which processes live, and only
/// directories untouched for an hour, so nothing of a live run elsewhere goes.
fn remove_stale(root: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .split_once('-')
            .and_then(|(p, _)| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let old = std::fs::metadata(entry.path().join("jumps.f32"))
            .or_else(|_| entry.metadata())
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old {
            std::fs::remove_dir_all(entry.path()).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_in_order_and_the_file_goes_with_the_run() {
        let root = tempfile::tempdir().unwrap();
        let mut rf = RunFile::create(root.path(), 6);
        for k in 0..1000 {
            rf.append(&[k as f64, 0.5, -1.0, 2.0, 3.0, k as f64 * 0.25]);
        }
        assert_eq!(rf.frames(), 1000);
        assert!(rf.take_problem().is_none());
        let mut seen = 0;
        rf.for_each(usize::MAX, |x| {
            assert_eq!(x[0], seen as f64);
            assert_eq!(x[5], seen as f64 * 0.25);
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 1000);
        // Appending goes on after a read.
        rf.append(&[0.0; 6]);
        assert_eq!(rf.frames(), 1001);
        let path = rf.path().to_path_buf();
        assert!(path.exists());
        drop(rf);
        assert!(!path.exists());
        assert!(!path.parent().unwrap().exists());
    }

    #[test]
    fn a_run_file_that_cannot_be_created_is_reported_once() {
        let root = tempfile::tempdir().unwrap();
        let blocker = root.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        // A directory under a regular file cannot exist, for root too.
        let mut rf = RunFile::create(&blocker, 3);
        rf.append(&[1.0, 2.0, 3.0]);
        assert_eq!(rf.frames(), 0);
        assert!(rf
            .take_problem()
            .unwrap()
            .contains("cannot create the run file"));
        assert!(rf.take_problem().is_none());
        rf.for_each(10, |_| panic!("no frames")).unwrap();
    }
}
