use super::common::{ensure_parent, progress};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use walkjump::io::read_trajectory;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::train::{train, TrainConfig, TrainData};
use walkjump::nn::{BackendKind, CpuTrain, GpuTrain, NetConfig};
use walkjump::systems::{self, AnySystem};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Objective {
    /// Denoising score matching: regress x̂(y) on the clean frame.
    Dsm,
    /// Force target: regress x̂(y) on y + σ²·F/k_BT (needs --forces).
    Psm,
    /// (1 − w)·DSM + w·PSM with w = --psm-weight.
    Mix,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// A built-in cluster (lj13, lj55) whose frames are in --traj ...
    #[arg(long, conflicts_with = "top")]
    pub system: Option<String>,
    /// ... or the PDB topology of the molecule in --traj ...
    #[arg(long, conflicts_with = "manifest")]
    pub top: Option<PathBuf>,
    /// ... or many peptides: a manifest.json written by tools/openmm/batch_md.py
    /// (topology, positions and forces of each). Trains one transferable model with
    /// the fixed peptide vocabulary and records the training sequences in it.
    /// Give it more than once to pool several sets.
    #[arg(long)]
    pub manifest: Vec<PathBuf>,
    /// Which entries of --manifest to train on (their "split" field).
    #[arg(long, default_value = "train")]
    pub split: String,
    /// Training frames (.dcd, .xtc or multi-model .pdb); the last part is held out.
    #[arg(long, required_unless_present = "manifest")]
    pub traj: Option<PathBuf>,
    /// Forces divided by k_BT for the same frames (needed by psm and mix).
    #[arg(long)]
    pub forces: Option<PathBuf>,
    /// Output model file (.wjm); a .json run summary is written beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Noise level (default 0.4 Å for molecules, 0.05 for LJ clusters).
    #[arg(long)]
    pub sigma: Option<f64>,
    #[arg(long, value_enum, default_value_t = Objective::Dsm)]
    pub objective: Objective,
    #[arg(long, default_value_t = 0.5)]
    pub psm_weight: f64,
    #[arg(long, default_value_t = 3000)]
    pub steps: usize,
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    #[arg(long, default_value_t = 3)]
    pub layers: usize,
    /// Pair cutoff (default 6 Å for molecules, 2.5 for LJ clusters).
    #[arg(long)]
    pub cutoff: Option<f64>,
    /// Use only the first this-many frames (a deliberately biased set, for example).
    #[arg(long)]
    pub first_frames: Option<usize>,
    #[arg(long, default_value_t = 0.1)]
    pub validation_fraction: f64,
    #[arg(long, default_value_t = 100)]
    pub validate_every: usize,
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: usize,
    /// Start from the weights of this model (same network settings; its σ may differ, and
    /// the run trains them at --sigma).
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// Continue from the checkpoint beside --out.
    #[arg(long)]
    pub resume: bool,
    /// auto (wgpu on a hardware GPU, else ndarray), ndarray or flex (CPU), or wgpu.
    #[arg(long, default_value = "auto")]
    pub backend: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many minutes even if --steps are not done (the learning-rate
    /// decay follows whichever runs out first).
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Normalise with C, the mean squared distance over all atom pairs closer than
    /// this many length units (JAMUN's graph edges, 10 Å in its paper). Molecules
    /// with bonds only; clusters use their nearest-neighbour distances.
    #[arg(long, default_value_t = 10.0)]
    pub c_radius: f64,
    /// C over the bonds only, as every model before December 6 was trained. On
    /// peptides at σ = 0.4 Å that makes c_skip = 0.62, so the network must undo a
    /// 38 % shrink of the molecule; at equal compute it learnt far more slowly.
    #[arg(long, conflicts_with = "c_radius")]
    pub c_bonds: bool,
    /// Start from this model's weights although its atom vocabulary differs (same
    /// network settings; its σ may differ): known atom types keep their embeddings.
    #[arg(long, conflicts_with = "init_from")]
    pub warm_start: Option<PathBuf>,
    /// Extra weight on x̂'s error along each torsion's direction (φ, ψ, χ1; unit
    /// vectors from y, so the optimum is still E[x | y]). The walk's populations rest
    /// on the score along these soft directions, which plain DSM (0) learns least:
    /// `walkjump denoise` prints the learned score's mean force along each.
    #[arg(long, default_value_t = 0.0)]
    pub torsion_weight: f64,
    /// Write the exponential moving average of the weights, this decay per step
    /// (0.999: about the last 1,000 steps), instead of the last step's weights; the
    /// validation then reports both. 0: the last step's.
    #[arg(long, default_value_t = 0.0)]
    pub ema: f64,
}

/// A peptide's structure, frames and (optional) forces.
type PeptideRun = (
    walkjump::molecule::Structure,
    Vec<Vec<f64>>,
    Option<Vec<Vec<f64>>>,
);

/// Every entry of the manifest in `split` whose run has enough frames to train on.
fn manifest_data(path: &std::path::Path, split: &str) -> anyhow::Result<Vec<TrainData>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading manifest {}", path.display()))?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a batch_md.py manifest", path.display()))?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    let entries = m["peptides"].as_array().cloned().unwrap_or_default();
    let mut out = vec![];
    for e in entries
        .iter()
        .filter(|e| e["split"].as_str() == Some(split))
    {
        let field = |k: &str| -> anyhow::Result<PathBuf> {
            Ok(base.join(
                e[k].as_str()
                    .with_context(|| format!("manifest entry {} has no {k}", e["name"]))?,
            ))
        };
        // One unreadable peptide is left out with a warning, not the whole set.
        let read = || -> anyhow::Result<PeptideRun> {
            // The topology must have the trajectory's atoms as they are.
            let opts = LoadOptions {
                keep_missing_hydrogens: true,
                ..LoadOptions::default()
            };
            let s = load_structure(&field("topology")?, opts)?;
            let n = s.topology.n_atoms();
            let frames = read_trajectory(&field("positions")?, n)?.frames;
            let forces = match e.get("forces").and_then(|v| v.as_str()) {
                Some(_) => Some(read_trajectory(&field("forces")?, n)?.frames),
                None => None,
            };
            Ok((s, frames, forces))
        };
        let (s, frames, forces) = match read() {
            Ok(r) => r,
            Err(err) => {
                tracing::warn!(peptide = %e["name"], "left out: {err:#}");
                continue;
            }
        };
        if frames.len() < 10 {
            tracing::warn!(peptide = %e["name"], frames = frames.len(), "too few frames; left out");
            continue;
        }
        out.push(TrainData {
            topology: s.topology,
            molecule: e["name"].as_str().unwrap_or("?").to_string(),
            length_unit: "angstrom".into(),
            frames,
            forces,
        });
    }
    anyhow::ensure!(
        !out.is_empty(),
        "{} lists no {split} peptides with at least 10 frames",
        path.display()
    );
    Ok(out)
}

pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    if !a.manifest.is_empty() {
        let mut data = vec![];
        for m in &a.manifest {
            data.extend(manifest_data(m, &a.split)?);
        }
        return train_on(&a, data, false);
    }
    let traj = a
        .traj
        .clone()
        .context("give --traj with --top or --system")?;
    let (topology, molecule, unit) = match (&a.system, &a.top) {
        (Some(s), None) => match systems::by_name(s)? {
            AnySystem::Lj(l) => (
                walkjump::systems::System::topology(&l),
                walkjump::systems::System::name(&l),
                "reduced",
            ),
            AnySystem::Planar(_) => anyhow::bail!(
                "planar systems have exact denoisers; train on lj13, lj55 or a molecule (--top)"
            ),
        },
        (None, Some(p)) => {
            let s = load_structure(p, LoadOptions::default())?;
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            (s.topology, name, "angstrom")
        }
        _ => anyhow::bail!("give either --system (lj13, lj55) or --top PDB"),
    };
    let is_cluster = topology.bonds.is_empty();
    let n = topology.n_atoms();
    let mut frames = read_trajectory(&traj, n)
        .with_context(|| format!("reading training frames {}", traj.display()))?
        .frames;
    let mut forces = match &a.forces {
        Some(p) => Some(
            read_trajectory(p, n)
                .with_context(|| format!("reading forces {}", p.display()))?
                .frames,
        ),
        None => None,
    };
    if let Some(k) = a.first_frames {
        frames.truncate(k);
        if let Some(f) = forces.as_mut() {
            f.truncate(k);
        }
    }
    let data = TrainData {
        topology,
        molecule,
        length_unit: unit.into(),
        frames,
        forces,
    };
    train_on(&a, vec![data], is_cluster)
}

fn train_on(a: &TrainArgs, data: Vec<TrainData>, is_cluster: bool) -> anyhow::Result<()> {
    let psm_weight = match a.objective {
        Objective::Dsm => 0.0,
        Objective::Psm => 1.0,
        Objective::Mix => a.psm_weight,
    };
    let backend = a.backend.parse::<BackendKind>()?.resolve();
    let cfg = TrainConfig {
        sigma: a.sigma.unwrap_or(if is_cluster { 0.05 } else { 0.4 }),
        steps: a.steps,
        batch: a.batch,
        learning_rate: a.lr,
        psm_weight,
        validation_fraction: a.validation_fraction,
        validate_every: a.validate_every,
        checkpoint_every: a.checkpoint_every,
        seed: a.seed,
        net: NetConfig {
            hidden: a.hidden,
            layers: a.layers,
            ..NetConfig::small(a.cutoff.unwrap_or(if is_cluster { 2.5 } else { 6.0 }))
        },
        init_from: a.init_from.clone(),
        max_seconds: a.max_minutes.map(|m| m * 60.0),
        c_radius: (!a.c_bonds).then_some(a.c_radius),
        warm_start: a.warm_start.clone(),
        torsion_weight: a.torsion_weight,
        ema: a.ema,
        threads: walkjump::nn::denoiser::network_threads(backend.name()),
    };
    ensure_parent(&a.out)?;
    tracing::info!(
        molecules = data.len(),
        frames = data.iter().map(|d| d.frames.len()).sum::<usize>(),
        sigma = cfg.sigma,
        psm_weight,
        backend = backend.name(),
        threads = cfg.threads,
        "training"
    );
    let pb = progress(cfg.steps as u64, "train");
    let mut last_val = String::new();
    let report = |p: &walkjump::nn::TrainProgress<walkjump::nn::train::CurvePoint>| {
        if let Some(v) = &p.validation {
            last_val = format!(
                " val {:.4} rmsd {:.4}{}",
                v.validation_loss,
                v.validation_rmsd,
                v.last_step_rmsd
                    .map(|r| format!(" (last step {r:.4})"))
                    .unwrap_or_default()
            );
        }
        pb.set_position(p.step as u64);
        pb.set_message(format!(
            "loss {:.4}{last_val} {:.0}/s",
            p.loss, p.samples_per_second
        ));
        std::ops::ControlFlow::Continue(())
    };
    let summary = match backend {
        BackendKind::Auto | BackendKind::Ndarray => {
            train::<CpuTrain>(&data, &cfg, &a.out, a.resume, &Default::default(), report)?
        }
        BackendKind::Flex => train::<walkjump::nn::FlexTrain>(
            &data,
            &cfg,
            &a.out,
            a.resume,
            &Default::default(),
            report,
        )?,
        BackendKind::Wgpu => {
            walkjump::nn::wgpu_available()
                .map_err(|e| anyhow::anyhow!("wgpu is not available: {e}"))?;
            train::<GpuTrain>(&data, &cfg, &a.out, a.resume, &Default::default(), report)?
        }
    };
    pb.finish();
    let mut out_json = a.out.as_os_str().to_owned();
    out_json.push(".json");
    let text = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "backend": backend.name(),
        "summary": summary,
    });
    walkjump::io::write_atomically(
        &PathBuf::from(&out_json),
        serde_json::to_string_pretty(&text)?.as_bytes(),
    )?;
    println!(
        "wrote {} ({} parameters): validation RMSD of x̂ {:.4} (c_skip·y alone: {:.4}), {:.0} samples/s, {:.0} s",
        a.out.display(),
        summary.parameters,
        summary.final_validation_rmsd,
        summary.baseline_validation_rmsd,
        summary.samples_per_second,
        summary.wall_seconds
    );
    Ok(())
}
