//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn ala2() -> PathBuf {
    repo().join("assets/alanine-dipeptide.pdb")
}

pub fn walkjump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_walkjump"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("walkjump binary runs")
}

/// `walkjump sample` of alanine dipeptide with `ala2.wjm` on ndarray: 2 chains of
/// `steps` steps, no burn-in, into `out`, and `extra`; it must succeed. Its stdout.
pub fn sample_ala2(out: &Path, steps: &str, extra: &[&str]) -> String {
    let (pdb, model) = (ala2(), repo().join("models/ala2.wjm"));
    let mut args = vec![
        "sample",
        "--pdb",
        pdb.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "ndarray",
        "--chains",
        "2",
        "--steps",
        steps,
        "--burn-in",
        "0",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = walkjump(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// `walkjump evaluate --top --samples --reference` and `extra`, which must succeed;
/// its stdout.
pub fn evaluate(top: &Path, samples: &Path, reference: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "evaluate",
        "--top",
        top.to_str().unwrap(),
        "--samples",
        samples.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = walkjump(&args);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Smallest difference between two angles in degrees.
pub fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// The Python with MDTraj the cross-checks run, from `WALKJUMP_PYTHON`. Without it a
/// check is skipped with a message, except under CI, where it must not be skipped.
pub fn mdtraj_python() -> Option<String> {
    let python = std::env::var("WALKJUMP_PYTHON").ok();
    if python.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set WALKJUMP_PYTHON to a Python with MDTraj"
        );
        eprintln!("skipped: set WALKJUMP_PYTHON to a Python with MDTraj to run this check");
    }
    python
}

/// Whether `xvfb-run` is installed (CI installs it; elsewhere the app tests skip).
pub fn have_xvfb() -> bool {
    Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Whether the app tests can run here: true with `xvfb-run`; without it a note and
/// false, except under CI, which must have it.
pub fn xvfb_or_skip() -> bool {
    if have_xvfb() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must install xvfb");
    eprintln!("skipped: xvfb-run is not installed");
    false
}

/// The walkjump binary under a virtual X server with a 1280 × 800 screen, run from
/// the repository (for its bundled files).
pub fn walkjump_under_xvfb() -> Command {
    let mut c = Command::new("xvfb-run");
    c.args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_walkjump"))
        .current_dir(repo())
        .env("RUST_LOG", "warn");
    c
}

/// The app on the bundled alanine dipeptide, two chains on ndarray, 1280 × 800.
pub const SMALL_APP: [&str; 7] = [
    "gui",
    "--backend",
    "ndarray",
    "--chains",
    "2",
    "--size",
    "1280x800",
];

/// A structure's topology and the frames of a trajectory of it, both by their path
/// in the repository.
pub fn topology_and_frames(
    pdb: &str,
    trajectory: &str,
) -> (walkjump::molecule::Topology, Vec<Vec<f64>>) {
    let top = walkjump::molecule::load_structure(
        &repo().join(pdb),
        walkjump::molecule::LoadOptions::default(),
    )
    .unwrap()
    .topology;
    let frames = walkjump::io::read_trajectory(&repo().join(trajectory), top.n_atoms())
        .unwrap()
        .frames;
    (top, frames)
}

/// A denoiser told a σ 40 % larger than the walk's: a wrong score, the negative
/// control of the tests that check a walk against an exact law.
pub struct WrongSigma<D>(pub D);

impl<D: walkjump::denoiser::Denoiser> walkjump::denoiser::Denoiser for WrongSigma<D> {
    fn name(&self) -> String {
        "wrong-sigma".into()
    }
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut walkjump::rng::WjRng,
        mean: &mut [f64],
        _sample: Option<&mut [f64]>,
    ) -> walkjump::error::Result<()> {
        self.0.denoise(y, sigma * 1.4, rng, mean, None)
    }
    fn can_sample(&self) -> bool {
        true
    }
}

/// The mirror image (z → −z) of each frame: every chiral centre inverted.
pub fn mirror(frames: &[Vec<f64>]) -> Vec<Vec<f64>> {
    frames
        .iter()
        .map(|x| {
            x.iter()
                .enumerate()
                .map(|(i, v)| if i % 3 == 2 { -v } else { *v })
                .collect()
        })
        .collect()
}
