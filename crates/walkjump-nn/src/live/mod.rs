//! The live sampler behind the desktop app: a walk-jump run on its own thread that
//! takes commands and sends back frames and statistics over crossbeam channels.
//!
//! It knows nothing of any GUI. The thread owns the denoiser (and so its burn
//! device) and every accumulator, so a slow or busy consumer only misses display
//! snapshots: each snapshot carries the statistics of *all* samples so far.

mod reference_md;
mod runfile;
mod stats;
mod worker;

pub use reference_md::{md_tool, MD_LABEL, NEEDS_OPENMM};
pub use runfile::default_root as default_run_dir;
pub use stats::{
    percent, HistogramView, LiveStats, RamaView, SampleTicaView, StatsView, TicaView, TorsionStat,
    WINDOW_PER_CHAIN,
};
pub use worker::{spawn, LiveHandle};

use crate::BackendKind;
use std::path::PathBuf;
use std::time::Duration;
use walkjump_core::molecule::Topology;

/// What to sample.
#[derive(Debug, Clone)]
pub enum SystemSpec {
    /// A molecule from a PDB file with a learned model, and optionally reference MD.
    Molecule {
        pdb: PathBuf,
        model: PathBuf,
        reference: Option<PathBuf>,
    },
    /// A built-in LJ cluster (`lj13`, `lj55`) with a learned model. Reference h(r)
    /// and energies come from Rust MD.
    Cluster { name: String, model: PathBuf },
}

impl SystemSpec {
    pub fn label(&self) -> String {
        match self {
            SystemSpec::Molecule { pdb, .. } => pdb
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| pdb.display().to_string()),
            SystemSpec::Cluster { name, .. } => name.clone(),
        }
    }
}

/// The knobs a user turns while it runs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveParams {
    pub sigma: f64,
    pub gamma: f64,
    pub dt: f64,
    pub mass: f64,
    pub chains: usize,
    pub jump_every: usize,
}

impl LiveParams {
    /// The JAMUN defaults for noise level σ: γ = 1, Δt = σ, M = 1, a jump every step.
    pub fn defaults(sigma: f64, chains: usize) -> Self {
        LiveParams {
            sigma,
            gamma: 1.0,
            dt: sigma,
            mass: 1.0,
            chains,
            jump_every: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub enum SamplerCommand {
    SetParams(LiveParams),
    Pause(bool),
    /// One walk-jump step, also while paused.
    Step,
    /// Back to the starting structure; statistics cleared.
    Reset,
    /// Statistics cleared and every chain started from a frame of the reference,
    /// spread over it: a walk whose density is right keeps that ensemble, one whose
    /// density is wrong leaves it (models/README.md, "the walk, not the jump").
    ResetFromReference,
    Load(SystemSpec),
    /// Reference trajectory for the current molecule: the reference ensemble is rebuilt
    /// from it and the samples are kept (a running reference MD stops).
    LoadReference(PathBuf),
    /// Run OpenMM on the open peptide in the background; its frames become the
    /// reference as they come (see [`ReferenceMdOptions`]).
    RunReferenceMd(ReferenceMdOptions),
    /// Stop a running reference MD; the frames so far stay the reference.
    StopReferenceMd,
    /// Which chain the frames show.
    SelectChain(usize),
    /// Write every jump of the run (.pdb, .dcd or .xtc, with a .json sidecar of the run),
    /// read back from the run file.
    SaveEnsemble(PathBuf),
    /// Write the metrics and the parameter history as JSON.
    SaveMetrics(PathBuf),
    /// Write every panel as a figure into a folder; the extension is png or svg.
    ExportPlots {
        dir: PathBuf,
        ext: String,
    },
    Shutdown,
}

/// How [`SamplerCommand::RunReferenceMd`] runs `tools/openmm/ala2_md.py`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceMdOptions {
    /// Python with OpenMM; None: `$WALKJUMP_PYTHON`, else `python3`.
    pub python: Option<String>,
    /// Production length in ns; the run ends there (or when another system opens).
    pub ns: f64,
    /// Equilibration before the first frame, in ps.
    pub equilibrate_ps: f64,
    /// How often the reference is rebuilt from the frames written so far.
    pub reload_every: Duration,
}

impl Default for ReferenceMdOptions {
    fn default() -> Self {
        ReferenceMdOptions {
            python: None,
            ns: 2.0,
            equilibrate_ps: 20.0,
            reload_every: Duration::from_secs(10),
        }
    }
}

/// What the GUI needs to draw a molecule: elements and bonds never change in a run.
#[derive(Debug, Clone)]
pub struct SystemInfo {
    /// What was opened: the GUI builds the next "open model" or "open PDB" from it.
    pub spec: SystemSpec,
    pub name: String,
    pub topology: Topology,
    pub is_peptide: bool,
    pub is_cluster: bool,
    pub denoiser: String,
    pub trained_sigma: Option<f64>,
    pub defaults: LiveParams,
    pub params: LiveParams,
    pub has_reference: bool,
    /// What loading corrected in the structure file (contradicting element columns).
    pub load_notes: Vec<String>,
}

/// One display frame: the selected chain's noisy y and its jump, positions in the
/// molecule's length unit, plus all statistics so far.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub step: u64,
    pub chain: usize,
    pub y: Vec<f32>,
    pub x: Vec<f32>,
    /// Earlier jumps of the selected chain, oldest first.
    pub trail: Vec<Vec<f32>>,
    pub kept: usize,
    /// Jumps a save holds: all of `kept`, unless the run file could not be written
    /// (a full disk), when it stopped at this many.
    pub saveable: usize,
    pub samples_per_second: f64,
    pub params: LiveParams,
    pub restarts: usize,
    /// Walk moves the chirality guard rejected; None without a guard.
    pub rejections: Option<usize>,
    pub paused: bool,
    pub stats: StatsView,
    /// The reference MD's state, e.g. "reference MD: 120 frames (OpenMM, amber14 +
    /// GBn2)"; None when none was started for this system.
    pub reference_md: Option<String>,
}

#[derive(Debug, Clone)]
pub enum SamplerEvent {
    Loaded(Box<SystemInfo>),
    Snapshot(Box<Snapshot>),
    /// Something went wrong; the previous state is kept.
    Error(String),
    /// Something the user should know that is not an error.
    Notice(String),
}

pub struct LiveConfig {
    pub backend: BackendKind,
    pub chains: usize,
    pub seed: u64,
    /// Where the run file (every jump, for saving) goes: a directory per run is made
    /// under it. None: [`default_run_dir`], `$TMPDIR/walkjump-runs`.
    pub run_dir: Option<PathBuf>,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            backend: BackendKind::Auto,
            chains: 8,
            seed: 1,
            run_dir: None,
        }
    }
}
