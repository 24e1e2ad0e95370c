//! Pieces shared by the subcommands.

use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use walkjump::md::{Langevin, LangevinParams};
use walkjump::rng::WjRng;
use walkjump::systems::System;

pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Starting configurations drawn from an equilibrated MD run, `every` steps apart.
pub fn md_starts(
    system: &dyn System,
    count: usize,
    rng: &mut WjRng,
) -> anyhow::Result<Vec<Vec<f64>>> {
    let params = LangevinParams {
        dt: if system.dim() == 2 { 0.002 } else { 0.005 },
        ..Default::default()
    };
    let mut md = Langevin::new(system, params, system.initial(rng))?;
    for _ in 0..2000 {
        md.step(rng)?;
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        for _ in 0..50 {
            md.step(rng)?;
        }
        out.push(md.x.clone());
    }
    Ok(out)
}

/// Every frame of the trajectory at `path` (checked against `n_atoms`); an empty one is
/// an error, since nothing downstream can use it.
pub fn read_frames(path: &Path, n_atoms: usize) -> anyhow::Result<Vec<Vec<f64>>> {
    let t = walkjump::io::read_trajectory(path, n_atoms)?;
    if t.frames.is_empty() {
        anyhow::bail!("{}: the trajectory has no frames", path.display());
    }
    Ok(t.frames)
}

pub fn ensure_parent(path: &Path) -> anyhow::Result<()> {
    if let Some(p) = path.parent() {
        if !p.as_os_str().is_empty() && !p.exists() {
            std::fs::create_dir_all(p)
                .map_err(|e| anyhow::anyhow!("cannot create directory {}: {e}", p.display()))?;
        }
    }
    Ok(())
}
