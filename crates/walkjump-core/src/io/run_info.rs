//! The JSON summary written beside a sampled trajectory: parameters and frame layout,
//! so `analyze` can split frames back into chains.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunInfo {
    pub command: String,
    pub system: String,
    /// Frames are stored step-major: frame t*chains + c is chain c at saved step t.
    pub chains: usize,
    pub frames_per_chain: usize,
    pub params: serde_json::Value,
    pub diverged_restarts: usize,
    /// Walk moves the chirality guard rejected (`sampler::guard`); absent when the run
    /// had no guard (guard off, or nothing chiral).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chirality_rejections: Option<usize>,
    pub wall_seconds: f64,
}

pub fn sidecar_path(traj: &Path) -> PathBuf {
    let mut s = traj.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

impl RunInfo {
    pub fn save(&self, traj: &Path) -> Result<()> {
        let p = sidecar_path(traj);
        let text = serde_json::to_string_pretty(self).expect("RunInfo serialises");
        super::write_atomically(&p, text.as_bytes())
    }

    /// The sidecar of `traj`, if there is one.
    pub fn load_for(traj: &Path) -> Result<Option<RunInfo>> {
        let p = sidecar_path(traj);
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let info: RunInfo = serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: p.clone(),
            detail: e.to_string(),
        })?;
        // Frames are split into chains by `frame % chains`: zero would divide by zero.
        if info.chains == 0 {
            return Err(Error::Parse {
                path: p,
                detail: "a run has at least one chain (\"chains\": 0)".into(),
            });
        }
        Ok(Some(info))
    }
}
