use super::common::{ensure_parent, md_starts, progress};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use walkjump::denoiser::energy::InnerChainParams;
use walkjump::denoiser::{Denoiser, EnergyDenoiser, GmmDenoiser, GridDenoiser};
use walkjump::io::run_info::RunInfo;
use walkjump::io::TrajectoryWriter;
use walkjump::rng::seeded;
use walkjump::sampler::{JumpKind, Splitting, WalkJump, WalkParams};
use walkjump::systems::{self, AnySystem, GaussianMixture2d, LjCluster, System};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DenoiserChoice {
    /// Closed form (Gaussian mixture) or quadrature (other planar systems).
    Exact,
    /// Short inner Langevin chain on U(x) + |x − y|²/2σ².
    Energy,
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
    /// lj13, lj55, double-well, muller-brown or gmm
    #[arg(long)]
    pub system: String,
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
    /// Jumps x̂ (.dcd or multi-model .pdb); a .json summary is written beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the noisy walk y.
    #[arg(long)]
    pub y_out: Option<PathBuf>,
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
        (DenoiserChoice::Energy, AnySystem::Planar(_)) => {
            let sys: Arc<dyn System> = match systems::by_name(system)? {
                AnySystem::Planar(p) => Arc::from(p as Box<dyn System>),
                AnySystem::Lj(_) => unreachable!("matched planar above"),
            };
            Box::new(EnergyDenoiser::new(sys, inner))
        }
    })
}

pub fn run(a: SampleArgs) -> anyhow::Result<()> {
    let any = systems::by_name(&a.system)?;
    let is_lj = matches!(any, AnySystem::Lj(_));
    let sys = any.as_system();
    let sigma = a.sigma.unwrap_or(if is_lj { 0.05 } else { 0.2 });
    let choice = a.denoiser.unwrap_or(if is_lj {
        DenoiserChoice::Energy
    } else {
        DenoiserChoice::Exact
    });
    let params = WalkParams {
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
            None => Some(WalkParams::auto_clip(sys.dim(), sigma)),
        },
        jump_every: a.jump_every,
        jump: match a.jump {
            JumpChoice::Mean => JumpKind::Mean,
            JumpChoice::Sample => JumpKind::Sample,
        },
        ..WalkParams::defaults(sigma)
    };
    params.validate()?;
    let inner = InnerChainParams {
        average: a.inner_steps.max(1),
        ..Default::default()
    };
    let denoiser = build_denoiser(&a.system, choice, sigma, inner)?;
    let mut rng = seeded(a.seed ^ 0x5eed);
    let starts = md_starts(sys, a.chains.max(1), &mut rng)?;
    let mut wj = WalkJump::new(params, denoiser, starts, a.chains, a.seed)?;
    ensure_parent(&a.out)?;
    let topo = sys.topology();
    let mut wx = TrajectoryWriter::create(&a.out, &topo)?;
    let mut wy = match &a.y_out {
        Some(p) => {
            ensure_parent(p)?;
            Some(TrajectoryWriter::create(p, &topo)?)
        }
        None => None,
    };
    tracing::info!(system = %sys.name(), denoiser = %wj.denoiser_name(), sigma, dt = params.dt,
        gamma = params.gamma, chains = a.chains, "walk-jump sampling");
    let t0 = std::time::Instant::now();
    let total = a.burn_in + a.steps;
    let pb = progress(total, "walk-jump");
    let d = wj.dim();
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
                wx.write_frame(&sys.to_positions(&wj.jumps()[c * d..(c + 1) * d]))?;
                if let Some(w) = wy.as_mut() {
                    w.write_frame(&sys.to_positions(&wj.y()[c * d..(c + 1) * d]))?;
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
        system: sys.name(),
        chains: a.chains,
        frames_per_chain: frames,
        params: serde_json::json!({"walk": params, "denoiser": wj.denoiser_name(),
            "inner_chain": if matches!(choice, DenoiserChoice::Energy) { serde_json::to_value(inner)? } else { serde_json::Value::Null },
            "burn_in": a.burn_in, "steps": a.steps, "seed": a.seed}),
        diverged_restarts: wj.restarts,
        wall_seconds: t0.elapsed().as_secs_f64(),
    };
    info.save(&a.out)?;
    if let Some(p) = &a.y_out {
        info.save(p)?;
    }
    println!(
        "wrote {} jumps ({} chains x {frames}) to {} in {:.1} s; {} chain restarts",
        frames * a.chains,
        a.chains,
        a.out.display(),
        info.wall_seconds,
        wj.restarts
    );
    Ok(())
}
