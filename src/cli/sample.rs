use super::common::{ensure_parent, md_starts, progress, read_frames};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use walkjump::denoiser::energy::InnerChainParams;
use walkjump::denoiser::{Denoiser, EnergyDenoiser, GmmDenoiser, GridDenoiser};
use walkjump::io::run_info::RunInfo;
use walkjump::io::TrajectoryWriter;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{load_denoiser, load_device_walk, BackendKind, WalkStart};
use walkjump::rng::seeded;
use walkjump::sampler::{JumpKind, Splitting, Walk, WalkJump, WalkParams};
use walkjump::systems::{self, AnySystem, GaussianMixture2d, LjCluster, System};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DenoiserChoice {
    /// Closed form (Gaussian mixture) or quadrature (other planar systems).
    Exact,
    /// Short inner Langevin chain on U(x) + |x − y|²/2σ².
    Energy,
    /// A trained network (--model).
    Learned,
    /// With --pdb: the exact denoiser of a trajectory's frames (--frames), each
    /// aligned onto y. A control for the walk, not a model: it needs the molecule's own MD.
    Empirical,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum JumpChoice {
    Mean,
    Sample,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SplitChoice {
    Baoab,
    Aboba,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A built-in system (lj13, lj55, double-well, muller-brown, gmm) ...
    #[arg(long, conflicts_with = "pdb", required_unless_present = "pdb")]
    pub system: Option<String>,
    /// ... or a molecule (PDB/mmCIF); sampled with a learned model (--model).
    #[arg(long)]
    pub pdb: Option<PathBuf>,
    /// With --pdb: start the chains from frames of this trajectory of the molecule
    /// (evenly spaced over it, one per chain) instead of all from the file's
    /// conformation. From an equilibrium MD run this tests whether the walk keeps an
    /// equilibrium ensemble (a walk that does, started elsewhere, is only slow).
    #[arg(long, requires = "pdb")]
    pub starts: Option<PathBuf>,
    /// With --denoiser empirical: the frames (.dcd, .xtc or multi-model .pdb) whose
    /// smoothed distribution is the walk's equilibrium. Sparse frames leave gaps at
    /// small σ that chains do not cross in a run's length.
    #[arg(long, requires = "pdb")]
    pub frames: Option<PathBuf>,
    /// With --frames: use every this-many-th frame (the denoiser's cost grows with the count).
    #[arg(long, default_value_t = 1)]
    pub frame_stride: usize,
    /// A trained model file (.wjm), for --denoiser learned.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Where the learned denoiser runs: auto (wgpu on a hardware GPU, else ndarray),
    /// wgpu (any adapter, lavapipe included), flex or ndarray (the CPU backends).
    #[arg(long, default_value = "auto")]
    pub backend: String,
    /// Default: exact for planar systems, energy for LJ clusters.
    #[arg(long, value_enum)]
    pub denoiser: Option<DenoiserChoice>,
    /// Noise level σ (default 0.05 for LJ, 0.2 for planar systems).
    #[arg(long)]
    pub sigma: Option<f64>,
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f64,
    /// Walk step Δt (default σ).
    #[arg(long)]
    pub dt: Option<f64>,
    #[arg(long, default_value_t = 1.0)]
    pub mass: f64,
    #[arg(long, default_value_t = 16)]
    pub chains: usize,
    /// Recorded walk steps per chain.
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// Walk steps discarded before recording.
    #[arg(long, default_value_t = 200)]
    pub burn_in: u64,
    #[arg(long, default_value_t = 1)]
    pub jump_every: usize,
    #[arg(long, value_enum, default_value_t = JumpChoice::Mean)]
    pub jump: JumpChoice,
    #[arg(long, value_enum, default_value_t = SplitChoice::Baoab)]
    pub splitting: SplitChoice,
    /// Largest allowed score norm; 0 disables clipping (default: max(100, 10·√dim/σ)).
    #[arg(long)]
    pub clip: Option<f64>,
    /// Inner-chain steps averaged per jump (energy denoiser).
    #[arg(long, default_value_t = 100)]
    pub inner_steps: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Jumps x̂ (.dcd, .xtc or multi-model .pdb); a .json summary is written beside it.
    /// Frames stream into a .part file beside it that is renamed into place at the end:
    /// an interrupted run leaves the previous file whole (and its frames in the .part).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the noisy walk y.
    #[arg(long)]
    pub y_out: Option<PathBuf>,
    /// Where a learned model's walk keeps y, v and the score: on the network's device
    /// (only the recorded jumps come to the host), or on the host in f64 (a copy of
    /// y down and x̂ up at every step).
    #[arg(long, value_enum, default_value_t = WalkPlace::Device)]
    pub walk: WalkPlace,
    /// Reject walk moves whose jump turns a chiral Cα (or the Cβ of an Ile or Thr)
    /// over (the start's hands are kept; a rejected move repeats the last jump, and the
    /// count is in the summary). `off` shows the model's own D- and allo-jumps.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub chirality_guard: OnOff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WalkPlace {
    /// y, v and the score on the network's device, in f32.
    Device,
    /// On the host, in f64.
    Host,
}

pub fn build_denoiser(
    system: &str,
    choice: DenoiserChoice,
    sigma: f64,
    inner: InnerChainParams,
) -> anyhow::Result<Box<dyn Denoiser>> {
    let any = systems::by_name(system)?;
    Ok(match (choice, any) {
        (DenoiserChoice::Exact, AnySystem::Lj(_)) => {
            anyhow::bail!("no exact denoiser exists for LJ clusters; use --denoiser energy")
        }
        (DenoiserChoice::Exact, AnySystem::Planar(p)) => {
            if p.name() == "gmm" {
                Box::new(GmmDenoiser::new(GaussianMixture2d::default_mixture()))
            } else {
                Box::new(GridDenoiser::new(p, sigma))
            }
        }
        (DenoiserChoice::Energy, AnySystem::Lj(l)) => {
            Box::new(EnergyDenoiser::new(Arc::new(LjCluster::new(l.n)), inner))
        }
        (DenoiserChoice::Learned, _) => {
            anyhow::bail!("the learned denoiser needs --model")
        }
        (DenoiserChoice::Empirical, _) => {
            anyhow::bail!("the empirical denoiser is for molecules: give --pdb and --frames")
        }
        (DenoiserChoice::Energy, AnySystem::Planar(_)) => {
            let sys: Arc<dyn System> = match systems::by_name(system)? {
                AnySystem::Planar(p) => Arc::from(p as Box<dyn System>),
                AnySystem::Lj(_) => unreachable!("matched planar above"),
            };
            Box::new(EnergyDenoiser::new(sys, inner))
        }
    })
}

/// Load a learned model for `topology`; `auto` is resolved by [`load_denoiser`], and an
/// explicit wgpu without an adapter falls back to ndarray with a warning.
pub fn learned_denoiser(
    model: &std::path::Path,
    backend: &str,
    topology: &walkjump::molecule::Topology,
) -> anyhow::Result<Box<dyn Denoiser>> {
    load_denoiser(backend_kind(backend)?, model, topology)
        .with_context(|| format!("loading model {}", model.display()))
}

/// `--backend` parsed; an explicit wgpu without an adapter falls back to ndarray with
/// a warning.
fn backend_kind(backend: &str) -> anyhow::Result<BackendKind> {
    let kind = backend.parse::<BackendKind>()?;
    if kind == BackendKind::Wgpu {
        if let Err(e) = walkjump::nn::wgpu_available() {
            tracing::warn!("wgpu is not available ({e}); running the network on ndarray");
            return Ok(BackendKind::Ndarray);
        }
    }
    Ok(kind)
}

/// The walk with a learned model, on the device or on the host (`--walk`).
fn learned_walk(
    a: &SampleArgs,
    model: &std::path::Path,
    topology: &walkjump::molecule::Topology,
    params: impl Fn(f64) -> WalkParams,
    starts: Vec<Vec<f64>>,
) -> anyhow::Result<Box<dyn Walk>> {
    let sigma = a
        .sigma
        .unwrap_or(walkjump::nn::read_model_meta(model)?.sigma);
    let params = params(sigma);
    params.validate()?;
    let start = WalkStart {
        params,
        starts,
        chains: a.chains,
        seed: a.seed,
    };
    let mut wj = learned_walk_at(a.walk, &a.backend, model, topology, start)?;
    if a.chirality_guard == OnOff::Off {
        wj.set_guard(None);
    }
    Ok(wj)
}

/// A walk with the learned model `model` on `backend` whose state lives at `place`:
/// on the network's device (f32, one copy per recorded jump) or on the host (f64).
/// `sample`, `bench --scaling` and `bench --versus-md` all build theirs here.
pub fn learned_walk_at(
    place: WalkPlace,
    backend: &str,
    model: &std::path::Path,
    topology: &walkjump::molecule::Topology,
    start: WalkStart,
) -> anyhow::Result<Box<dyn Walk>> {
    Ok(match place {
        WalkPlace::Device => load_device_walk(backend_kind(backend)?, model, topology, start)
            .with_context(|| format!("loading model {}", model.display()))?,
        WalkPlace::Host => {
            let den = learned_denoiser(model, backend, topology)?;
            Box::new(guarded_host_walk(topology, den, start)?)
        }
    })
}

/// A walk on the host with `den`, guarded as the device walk is (`load_device_walk`):
/// the chiral centres keep the hands of the first start.
fn guarded_host_walk(
    topology: &walkjump::molecule::Topology,
    den: Box<dyn walkjump::denoiser::Denoiser>,
    start: WalkStart,
) -> anyhow::Result<WalkJump> {
    let guard = walkjump::sampler::ChiralityGuard::for_starts(topology, &start.starts);
    let mut w = WalkJump::new(start.params, den, start.starts, start.chains, start.seed)?;
    Walk::set_guard(&mut w, guard);
    Ok(w)
}

/// `--backend` resolved the way `sample` resolves it: `auto` to wgpu only on a
/// hardware GPU, an explicit wgpu without an adapter to ndarray.
pub fn resolved_backend(backend: &str) -> anyhow::Result<BackendKind> {
    Ok(backend_kind(backend)?.resolve())
}

pub fn run(a: SampleArgs) -> anyhow::Result<()> {
    if a.pdb.is_some() {
        return run_molecule(a);
    }
    let system = a.system.clone().expect("clap requires --system or --pdb");
    let any = systems::by_name(&system)?;
    let is_lj = matches!(any, AnySystem::Lj(_));
    let sys = any.as_system();
    let sigma = a.sigma.unwrap_or(if is_lj { 0.05 } else { 0.2 });
    let choice = a.denoiser.unwrap_or(if a.model.is_some() {
        DenoiserChoice::Learned
    } else if is_lj {
        DenoiserChoice::Energy
    } else {
        DenoiserChoice::Exact
    });
    let params = walk_params(&a, sigma, sys.dim());
    params.validate()?;
    let inner = InnerChainParams {
        average: a.inner_steps.max(1),
        ..Default::default()
    };
    let mut rng = seeded(a.seed ^ 0x5eed);
    let starts = md_starts(sys, a.chains.max(1), &mut rng)?;
    let wj: Box<dyn Walk> = match (&a.model, choice) {
        (Some(m), DenoiserChoice::Learned) => learned_walk(
            &a,
            m,
            &sys.topology(),
            |s| walk_params(&a, s, sys.dim()),
            starts,
        )?,
        (Some(_), _) => anyhow::bail!("--model goes with --denoiser learned"),
        _ => {
            let denoiser = build_denoiser(&system, choice, sigma, inner)?;
            Box::new(WalkJump::new(params, denoiser, starts, a.chains, a.seed)?)
        }
    };
    let inner_json = if matches!(choice, DenoiserChoice::Energy) {
        serde_json::to_value(inner)?
    } else {
        serde_json::Value::Null
    };
    record(
        &a,
        wj,
        &sys.topology(),
        &|x| sys.to_positions(x),
        sys.name(),
        inner_json,
    )
}

/// Walk-jump on a molecule from a PDB with a learned model (or the exact denoiser of
/// `--frames`): every chain starts from the file's conformation, or from frames of
/// `--starts`.
fn run_molecule(a: SampleArgs) -> anyhow::Result<()> {
    let pdb = a.pdb.clone().expect("checked by caller");
    if matches!(
        a.denoiser,
        Some(DenoiserChoice::Exact | DenoiserChoice::Energy)
    ) {
        anyhow::bail!("molecules from a PDB are sampled with --denoiser learned (or empirical, with --frames)");
    }
    let empirical = matches!(a.denoiser, Some(DenoiserChoice::Empirical));
    if a.frames.is_some() != empirical {
        anyhow::bail!("--frames goes with --denoiser empirical, and it needs them");
    }
    if a.frame_stride == 0 {
        anyhow::bail!("--frame-stride must be 1 or more");
    }
    let st = load_structure(&pdb, LoadOptions::default())?;
    let dim = st.positions.len();
    let starts = match &a.starts {
        Some(t) => spread_frames(t, st.topology.n_atoms(), a.chains)?,
        None => vec![st.positions.clone()],
    };
    let name = pdb
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let wj = if empirical {
        empirical_walk(&a, &st.topology, starts)?
    } else {
        // Without --model (or with a folder): the molecule's own model, else the
        // transferable peptide model, from models/.
        let model = match a.model.clone() {
            Some(m) if !m.is_dir() => m,
            dir => {
                let dir = dir.unwrap_or_else(|| PathBuf::from("models"));
                let c = walkjump::nn::choice::choose_model(&st.topology, &dir)?;
                tracing::info!("{}", c.reason);
                eprintln!("{}", c.reason);
                c.path
            }
        };
        learned_walk(
            &a,
            &model,
            &st.topology,
            |s| walk_params(&a, s, dim),
            starts,
        )?
    };
    record(
        &a,
        wj,
        &st.topology,
        &|x| x.to_vec(),
        name,
        serde_json::Value::Null,
    )
}

/// The walk on a molecule with the exact denoiser of `--frames` (on the host, with the
/// same chirality guard as a learned walk's).
fn empirical_walk(
    a: &SampleArgs,
    topology: &walkjump::molecule::Topology,
    starts: Vec<Vec<f64>>,
) -> anyhow::Result<Box<dyn Walk>> {
    let Some(path) = &a.frames else {
        anyhow::bail!("--denoiser empirical needs --frames TRAJ: the molecule's own frames");
    };
    let Some(sigma) = a.sigma else {
        anyhow::bail!("--denoiser empirical needs --sigma (it has no trained noise level)");
    };
    let frames: Vec<Vec<f64>> = read_frames(path, topology.n_atoms())
        .with_context(|| format!("reading the frames {}", path.display()))?
        .into_iter()
        .step_by(a.frame_stride)
        .collect();
    let label = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into());
    let den = walkjump::denoiser::EmpiricalDenoiser::new(&frames, label)?;
    let start = WalkStart {
        params: walk_params(a, sigma, topology.n_atoms() * 3),
        starts,
        chains: a.chains,
        seed: a.seed,
    };
    let mut w = guarded_host_walk(topology, Box::new(den), start)?;
    if a.chirality_guard == OnOff::Off {
        Walk::set_guard(&mut w, None);
    }
    Ok(Box::new(w))
}

/// `chains` frames of the trajectory at `path`, evenly spaced from its first to its
/// last (fewer when it has fewer frames; the walk cycles them over the chains).
fn spread_frames(
    path: &std::path::Path,
    n_atoms: usize,
    chains: usize,
) -> anyhow::Result<Vec<Vec<f64>>> {
    let frames = read_frames(path, n_atoms)
        .with_context(|| format!("reading the starts {}", path.display()))?;
    Ok(walkjump::sampler::spread_starts(&frames, chains))
}

/// The walk's parameters from the command line, defaults filled in for σ and `dim`.
fn walk_params(a: &SampleArgs, sigma: f64, dim: usize) -> WalkParams {
    WalkParams {
        gamma: a.gamma,
        dt: a.dt.unwrap_or(sigma),
        mass: a.mass,
        splitting: match a.splitting {
            SplitChoice::Baoab => Splitting::Baoab,
            SplitChoice::Aboba => Splitting::Aboba,
        },
        clip: match a.clip {
            Some(c) if c <= 0.0 => None,
            Some(c) => Some(c),
            None => Some(WalkParams::auto_clip(dim, sigma)),
        },
        jump_every: a.jump_every,
        jump: match a.jump {
            JumpChoice::Mean => JumpKind::Mean,
            JumpChoice::Sample => JumpKind::Sample,
        },
        ..WalkParams::defaults(sigma)
    }
}

/// Run the walk, stream jumps (and optionally y) to disk, write the run summary.
fn record(
    a: &SampleArgs,
    mut wj: Box<dyn Walk>,
    topo: &walkjump::molecule::Topology,
    to_positions: &dyn Fn(&[f64]) -> Vec<f64>,
    system_name: String,
    inner_json: serde_json::Value,
) -> anyhow::Result<()> {
    let params = wj.params();
    ensure_parent(&a.out)?;
    let mut wx = TrajectoryWriter::create(&a.out, topo)?;
    let mut wy = match &a.y_out {
        Some(p) => {
            ensure_parent(p)?;
            Some(TrajectoryWriter::create(p, topo)?)
        }
        None => None,
    };
    tracing::info!(system = %system_name, denoiser = %wj.denoiser_name(), sigma = params.sigma, dt = params.dt,
        gamma = params.gamma, chains = a.chains, "walk-jump sampling");
    tracing::info!(
        "frames stream into a .part file beside {} and replace it when the run ends; \
         an interrupted run leaves the previous file as it was",
        a.out.display()
    );
    let t0 = std::time::Instant::now();
    let total = a.burn_in + a.steps;
    let pb = progress(total, "walk-jump");
    let mut frames = 0usize;
    for s in 0..total {
        let rep = wj.step()?;
        if !rep.restarted.is_empty() {
            pb.println(format!(
                "step {s}: chains {:?} diverged and were restarted",
                rep.restarted
            ));
        }
        if s >= a.burn_in && rep.jumped {
            for c in 0..wj.chains() {
                wx.write_frame(&to_positions(wj.jump_of(c)))?;
                if let Some(w) = wy.as_mut() {
                    w.write_frame(&to_positions(wj.y_of(c)))?;
                }
            }
            frames += 1;
        }
        if s % 50 == 0 {
            pb.set_position(s);
        }
    }
    pb.finish();
    wx.finish()?;
    if let Some(w) = wy {
        w.finish()?;
    }
    let info = RunInfo {
        command: "sample".into(),
        system: system_name,
        chains: a.chains,
        frames_per_chain: frames,
        params: serde_json::json!({"walk": params, "denoiser": wj.denoiser_name(),
            "inner_chain": inner_json,
            "burn_in": a.burn_in, "steps": a.steps, "seed": a.seed}),
        diverged_restarts: wj.restarts(),
        chirality_rejections: wj.chirality_rejections(),
        wall_seconds: t0.elapsed().as_secs_f64(),
    };
    info.save(&a.out)?;
    if let Some(p) = &a.y_out {
        info.save(p)?;
    }
    println!(
        "wrote {} jumps ({} chains x {frames}) to {} in {:.1} s; {} chain restarts{}",
        frames * a.chains,
        a.chains,
        a.out.display(),
        info.wall_seconds,
        wj.restarts(),
        guard_note(wj.as_ref(), total)
    );
    Ok(())
}

/// "; chirality guard: 12 of 2,400 jump moves rejected (0.50 %)", or "" without a guard.
fn guard_note(wj: &dyn Walk, steps: u64) -> String {
    let Some(rejected) = wj.chirality_rejections() else {
        return String::new();
    };
    let moves = wj.chains() as u64 * (steps / wj.params().jump_every.max(1) as u64);
    format!(
        "; chirality guard: {rejected} of {moves} jump moves rejected ({:.2} %)",
        100.0 * rejected as f64 / moves.max(1) as f64
    )
}
