//! Reference MD for the open peptide, run by OpenMM (`tools/openmm/ala2_md.py`) as a
//! child process while the sampler goes on. The tool writes its DCD frame by frame;
//! the worker reads the frames so far every few seconds and rebuilds the reference
//! from them, so the JSD panels appear and sharpen while it runs.
//!
//! The child lives as long as this value: dropping it (another system opened, the
//! sampler ending) kills it and removes its folder. The tool also stops on its own
//! when its parent process goes (`--exit-with-parent`), so a killed app leaves none.

use super::ReferenceMdOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use walkjump_core::io::{read_trajectory, write_trajectory};
use walkjump_core::molecule::Topology;

/// What the user reads when no Python with OpenMM can be started.
pub const NEEDS_OPENMM: &str = "Run reference MD needs Python with OpenMM: set WALKJUMP_PYTHON \
     or pip install -r tools/openmm/requirements.txt";

/// The force field and solvent, for the status line.
pub const MD_LABEL: &str = "OpenMM, amber14 + GBn2";

const TOOL: &str = "tools/openmm/ala2_md.py";

/// The MD tool: beside the working directory, above the executable (a cargo build),
/// or in the source tree this was built from.
pub fn md_tool() -> Option<PathBuf> {
    let rel = Path::new(TOOL);
    let mut candidates = vec![];
    if let Ok(d) = std::env::current_dir() {
        candidates.push(d.join(rel));
    }
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|a| a.join(rel)));
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    );
    candidates.into_iter().find(|p| p.is_file())
}

/// The Python that runs the tool: the options', else `$WALKJUMP_PYTHON`, else `python3`.
pub fn python(opts: &ReferenceMdOptions) -> String {
    opts.python
        .clone()
        .or_else(|| std::env::var("WALKJUMP_PYTHON").ok())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// What one poll found.
pub(crate) enum MdPoll {
    /// Nothing new.
    Nothing,
    /// The frames so far (more than at the last poll).
    Frames(Vec<Vec<f64>>),
    /// The tool ended normally; its frames.
    Finished(Vec<Vec<f64>>),
    /// The tool failed; why.
    Failed(String),
}

pub(crate) struct ReferenceMd {
    child: Option<Child>,
    dir: PathBuf,
    dcd: PathBuf,
    log: PathBuf,
    python: String,
    n_atoms: usize,
    /// Frames handed out so far, and the DCD's size when they were read.
    pub frames: usize,
    dcd_len: u64,
    reload_every: Duration,
    last_reload: Instant,
}

impl ReferenceMd {
    /// Start OpenMM on the molecule as loaded (topology and starting positions, so the
    /// frames come back in the topology's atom order), in a new folder `dir`.
    pub fn start(
        topology: &Topology,
        positions: &[f64],
        dir: PathBuf,
        opts: &ReferenceMdOptions,
    ) -> Result<Self, String> {
        let python = python(opts);
        let tool = md_tool().ok_or_else(|| {
            format!("{NEEDS_OPENMM} (the tool {TOOL} was not found beside the app)")
        })?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("reference MD: cannot create {}: {e}", dir.display()))?;
        let pdb = dir.join("start.pdb");
        write_trajectory(&pdb, topology, &[positions.to_vec()])
            .map_err(|e| format!("reference MD: writing {}: {e}", pdb.display()))?;
        let prefix = dir.join("md");
        let log = dir.join("md.log");
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("reference MD: cannot create {}: {e}", log.display()))?;
        let err_file = log_file
            .try_clone()
            .map_err(|e| format!("reference MD: {e}"))?;
        let spawned = Command::new(&python)
            .arg(&tool)
            .arg("--pdb")
            .arg(&pdb)
            .arg("--out")
            .arg(&prefix)
            .args(["--ns", &opts.ns.to_string()])
            .args(["--save-ps", "1"])
            .args(["--equilibrate-ps", &opts.equilibrate_ps.to_string()])
            .args(["--threads", "1", "--exit-with-parent"])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                std::fs::remove_dir_all(&dir).ok();
                return Err(format!("{NEEDS_OPENMM} (could not start {python}: {e})"));
            }
        };
        Ok(ReferenceMd {
            child: Some(child),
            dcd: prefix.with_extension("dcd"),
            dir,
            log,
            python,
            n_atoms: topology.n_atoms(),
            frames: 0,
            dcd_len: 0,
            reload_every: opts.reload_every,
            last_reload: Instant::now(),
        })
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Has the tool ended, and has the DCD grown since the last reload?
    pub fn poll(&mut self) -> MdPoll {
        let Some(child) = self.child.as_mut() else {
            return MdPoll::Nothing;
        };
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                if status.success() {
                    return match read_trajectory(&self.dcd, self.n_atoms) {
                        Ok(t) if !t.frames.is_empty() => {
                            self.frames = t.frames.len();
                            MdPoll::Finished(t.frames)
                        }
                        Ok(_) => MdPoll::Failed("reference MD ended without frames".into()),
                        Err(e) => MdPoll::Failed(format!("reference MD: {e}")),
                    };
                }
                return MdPoll::Failed(self.why_failed(&status.to_string()));
            }
            Ok(None) => {}
            Err(e) => {
                self.stop();
                return MdPoll::Failed(format!("reference MD: waiting on {}: {e}", self.python));
            }
        }
        if self.last_reload.elapsed() < self.reload_every {
            return MdPoll::Nothing;
        }
        self.last_reload = Instant::now();
        let len = std::fs::metadata(&self.dcd).map(|m| m.len()).unwrap_or(0);
        if len == self.dcd_len {
            return MdPoll::Nothing;
        }
        // A frame being written as we read makes the file end inside a record: take
        // the frames at the next poll.
        match read_trajectory(&self.dcd, self.n_atoms) {
            Ok(t) if t.frames.len() > self.frames => {
                self.dcd_len = len;
                self.frames = t.frames.len();
                MdPoll::Frames(t.frames)
            }
            _ => MdPoll::Nothing,
        }
    }

    /// The message for a tool that exited with `status`: the OpenMM one where Python
    /// lacks it, else the log's last lines.
    fn why_failed(&self, status: &str) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        if log.contains("No module named") {
            let missing = log
                .lines()
                .find(|l| l.contains("No module named"))
                .unwrap_or("")
                .trim();
            return format!("{NEEDS_OPENMM} ({} says: {missing})", self.python);
        }
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "reference MD failed ({status}): {}",
            if tail.is_empty() {
                "no output".to_string()
            } else {
                tail.join(" / ")
            }
        )
    }

    /// Kill the tool (if it runs) and wait for it, so no process is left behind.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

impl Drop for ReferenceMd {
    fn drop(&mut self) {
        self.stop();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
