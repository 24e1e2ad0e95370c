//! `walkjump bench --scaling`: walk-jump samples per second against the number of
//! chains, per backend, for alanine dipeptide with its own model and for the
//! transferable model on a 4-residue peptide, beside OpenMM on the same molecules,
//! on this machine, in this run.
//!
//! A cell is one whole walk step of all chains (network, walk, restarts), one jump
//! per chain per step, with the walk's state on the host (`WalkJump`, f64, y and x̂
//! copied every step) or on the network's device (`DeviceWalk`, f32, the jumps read
//! back every step since one is recorded every step). Cells whose step would take longer than the budget are
//! skipped, and said to be, rather than run for minutes.

use super::bench_md::{openmm_rate_now, OpenMmRate};
use super::sample::{learned_walk_at, WalkPlace};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Instant;
use walkjump::molecule::{build_peptide, load_structure, LoadOptions, Structure};
use walkjump::nn::{read_model_meta, wgpu_available, BackendKind, WalkStart};
use walkjump::sampler::{Walk, WalkParams};

#[derive(clap::Args, Debug, Clone)]
pub struct ScalingArgs {
    /// Samples per second against the number of chains (1 to 8,192), per backend,
    /// beside OpenMM.
    #[arg(long)]
    pub scaling: bool,
    /// Chain counts of the table.
    #[arg(long, value_delimiter = ',', default_value = "1,16,128,1024,8192")]
    pub scaling_chains: Vec<usize>,
    /// Skip a cell whose one step is expected to take longer than this (seconds).
    #[arg(long, default_value_t = 60.0)]
    pub scaling_cell_seconds: f64,
    /// The transferable model and the peptide (sequence, built here) it is timed on.
    #[arg(long, default_value = "models/peptides.wjm")]
    pub scaling_peptide_model: PathBuf,
    #[arg(long, default_value = "AKGV")]
    pub scaling_peptide: String,
    /// Backends to time (default: ndarray, flex and wgpu where it exists).
    #[arg(long, value_delimiter = ',')]
    pub scaling_backends: Vec<String>,
    /// Where the walk's state lives: host, device or both as `host,device` (one row each).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "host,device")]
    pub scaling_walks: Vec<WalkPlace>,
    /// CPU threads OpenMM may use (default: all).
    #[arg(long)]
    pub openmm_threads: Option<usize>,
}

/// The OpenMM platforms the table times: `auto` is the CPU (all threads) and, where
/// OpenMM has one, a GPU platform (the peer of wgpu on the same card); `none` skips
/// OpenMM.
fn scaling_platforms(asked: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for p in asked {
        let add: &[&str] = match p.as_str() {
            "auto" => &["CPU", "gpu"],
            "none" => &[],
            p => &[p],
        };
        for q in add {
            if !out.iter().any(|o| o == q) {
                out.push(q.to_string());
            }
        }
    }
    out
}

/// Seconds a step of `chains` takes: one untimed step, then steps for `secs` (at least one).
fn step_seconds(wj: &mut dyn Walk, secs: f64) -> anyhow::Result<f64> {
    wj.step()?;
    let t0 = Instant::now();
    let mut n = 0u32;
    while n == 0 || t0.elapsed().as_secs_f64() < secs {
        wj.step()?;
        n += 1;
    }
    Ok(t0.elapsed().as_secs_f64() / f64::from(n))
}

pub fn run(
    a: &ScalingArgs,
    seconds: f64,
    python: &str,
    openmm_platforms: &[String],
    model: &Path,
    pdb: &Path,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let ala = load_structure(pdb, LoadOptions::default())
        .with_context(|| format!("loading {}", pdb.display()))?;
    let peptide = build_peptide(&a.scaling_peptide)?;
    let dir = tempfile::tempdir()?;
    let peptide_pdb = dir.path().join("peptide.pdb");
    walkjump::io::write_trajectory(
        &peptide_pdb,
        &peptide.topology,
        std::slice::from_ref(&peptide.positions),
    )?;
    let backends: Vec<BackendKind> = if a.scaling_backends.is_empty() {
        let mut b = vec![BackendKind::Ndarray, BackendKind::Flex];
        if wgpu_available().is_ok() {
            b.push(BackendKind::Wgpu);
        }
        b
    } else {
        a.scaling_backends
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?
    };
    let threads = a
        .openmm_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cases: [(&str, &Path, &Structure, &Path); 2] = [
        ("alanine dipeptide", model, &ala, pdb),
        (
            &a.scaling_peptide,
            &a.scaling_peptide_model,
            &peptide,
            &peptide_pdb,
        ),
    ];
    let mut rows = vec![];
    println!(
        "burn kernel fusion and autotune on wgpu: {}",
        if walkjump::nn::backend::WGPU_FUSION {
            "on"
        } else {
            "off"
        }
    );
    for (name, model, st, file) in cases {
        let n = st.topology.n_atoms();
        let sigma = read_model_meta(model)?.sigma;
        let params = WalkParams {
            clip: Some(WalkParams::auto_clip(3 * n, sigma)),
            ..WalkParams::defaults(sigma)
        };
        println!();
        println!(
            "samples/s against chains: {name} ({n} atoms), {}, one jump per chain per step",
            model.display()
        );
        print!("{:<16}", "backend/walk");
        for c in &a.scaling_chains {
            print!(" {c:>10}");
        }
        println!();
        for (&kind, &place) in backends
            .iter()
            .flat_map(|k| a.scaling_walks.iter().map(move |w| (k, w)))
        {
            let walk_name = match place {
                WalkPlace::Host => "host",
                WalkPlace::Device => "device",
            };
            print!("{:<16}", format!("{}/{walk_name}", kind.name()));
            let mut per_chain: Option<f64> = None;
            for &chains in &a.scaling_chains {
                let expected = per_chain.map(|p| p * chains as f64);
                if expected.is_some_and(|e| e > a.scaling_cell_seconds) {
                    print!(" {:>10}", "skipped");
                    rows.push(serde_json::json!({"scaling": true, "molecule": name,
                        "backend": kind.name(), "walk": walk_name, "chains": chains, "skipped": true,
                        "expected_step_s": expected}));
                    continue;
                }
                let start = WalkStart {
                    params,
                    starts: vec![st.positions.clone()],
                    chains,
                    seed: 3,
                };
                let mut wj = learned_walk_at(place, kind.name(), model, &st.topology, start)?;
                let step = step_seconds(wj.as_mut(), seconds)?;
                per_chain = Some(step / chains as f64);
                let rate = chains as f64 / step;
                print!(" {rate:>10.0}");
                use std::io::Write;
                std::io::stdout().flush().ok();
                rows.push(
                    serde_json::json!({"scaling": true, "molecule": name, "atoms": n,
                    "backend": kind.name(), "walk": walk_name, "chains": chains, "step_s": step,
                    "samples_per_s": rate, "wgpu_fusion": walkjump::nn::backend::WGPU_FUSION}),
                );
            }
            println!();
        }
        for platform in scaling_platforms(openmm_platforms) {
            match openmm_rate_now(python, file, threads, &platform) {
                Ok(OpenMmRate {
                    steps_per_s: steps,
                    platform,
                }) => {
                    // The training data saved a frame every picosecond (500 steps of 2 fs).
                    println!(
                        "OpenMM   {steps:.0} steps/s on {platform} = {:.0} ns/day = {:.2} frames/s at 1 ps a frame",
                        steps * 2e-6 * 86_400.0,
                        steps / 500.0
                    );
                    rows.push(
                        serde_json::json!({"scaling": true, "molecule": name, "atoms": n,
                        "openmm_steps_per_s": steps, "openmm_platform": platform, "dt_fs": 2.0}),
                    );
                }
                Err(e) => println!("OpenMM   on {platform}: not measured: {e:#}"),
            }
        }
    }
    Ok(rows)
}
