//! Library error type. Every variant carries enough context for a user-facing message.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: unsupported file extension '{ext}' (expected {expected})")]
    Extension {
        path: PathBuf,
        ext: String,
        expected: &'static str,
    },
    #[error("{path}: the file is empty")]
    EmptyFile { path: PathBuf },
    #[error("{path}: not a valid structure file: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("{path}: unknown residue '{residue}' (residue {number}{chain}); known residues: {known}. Use --allow-unknown-residues to bond it by covalent radii")]
    UnknownResidue {
        path: PathBuf,
        residue: String,
        number: isize,
        chain: String,
        known: String,
    },
    #[error("{path}: frame {frame} has {found} atoms but the topology has {expected}")]
    AtomCount {
        path: PathBuf,
        frame: usize,
        found: usize,
        expected: usize,
    },
    #[error("{path}: corrupt trajectory: {detail}")]
    Trajectory { path: PathBuf, detail: String },
    #[error("invalid parameter: {0}")]
    Parameter(String),
    /// A molecule outside what a model covers (`molecule::coverage`); the message
    /// says what is covered.
    #[error("{0}")]
    NotCovered(String),
    #[error("denoiser: {0}")]
    Denoiser(String),
    /// A Langevin integration (reference MD, the walk, the energy denoiser's inner
    /// chain) blew up: `fix` says what to change.
    #[error("{what} diverged at step {step} ({detail}); {fix}")]
    Diverged {
        what: String,
        step: u64,
        detail: String,
        fix: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// A path's extension in lower case ("" if none): what formats are chosen by and
/// what [`Error::Extension`] reports.
pub fn lower_extension(path: &std::path::Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }
}
