use super::common::{ensure_parent, progress};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use walkjump::io::run_info::RunInfo;
use walkjump::io::TrajectoryWriter;
use walkjump::md::{Langevin, LangevinParams};
use walkjump::rng::seeded;
use walkjump::systems;

#[derive(Args, Debug)]
pub struct MdArgs {
    /// lj13, lj55, double-well, muller-brown or gmm
    #[arg(long)]
    pub system: String,
    /// Number of integration steps after equilibration.
    #[arg(long)]
    pub steps: u64,
    /// Output trajectory (.dcd, .xtc or multi-model .pdb).
    /// Frames stream into a .part file beside it that is renamed into place at the end:
    /// an interrupted run leaves the previous file whole (and its frames in the .part).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 0.005)]
    pub dt: f64,
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f64,
    /// Write every this many steps.
    #[arg(long, default_value_t = 10)]
    pub save_every: u64,
    /// Steps run and discarded before recording.
    #[arg(long, default_value_t = 2000)]
    pub equilibrate: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the forces (÷ k_BT) of every saved frame, for PSM training.
    #[arg(long)]
    pub forces_out: Option<PathBuf>,
}

pub fn run(a: MdArgs) -> anyhow::Result<()> {
    let sys = systems::by_name(&a.system)?;
    let sys = sys.as_system();
    if a.save_every == 0 {
        anyhow::bail!("--save-every must be at least 1");
    }
    ensure_parent(&a.out)?;
    let mut rng = seeded(a.seed);
    let params = LangevinParams {
        dt: a.dt,
        gamma: a.gamma,
        kt: 1.0,
    };
    let mut md = Langevin::new(sys, params, sys.initial(&mut rng))?;
    let mut w = TrajectoryWriter::create(&a.out, &sys.topology())?;
    let mut wf = match &a.forces_out {
        Some(p) => {
            ensure_parent(p)?;
            Some(TrajectoryWriter::create(p, &sys.topology())?)
        }
        None => None,
    };
    let t0 = std::time::Instant::now();
    let pb = progress(a.equilibrate + a.steps, "md");
    for s in 0..a.equilibrate + a.steps {
        md.step(&mut rng).with_context(|| format!("at step {s}"))?;
        if s >= a.equilibrate && (s - a.equilibrate + 1).is_multiple_of(a.save_every) {
            w.write_frame(&sys.to_positions(&md.x))?;
            if let Some(wf) = wf.as_mut() {
                // k_BT = 1 here, so the forces are already F/k_BT.
                wf.write_frame(&sys.to_positions(&md.force))?;
            }
        }
        if s % 1000 == 0 {
            pb.set_position(s);
        }
    }
    pb.finish();
    w.finish()?;
    if let Some(wf) = wf {
        wf.finish()?;
    }
    let frames = (a.steps / a.save_every) as usize;
    RunInfo {
        command: "md".into(),
        system: sys.name(),
        chains: 1,
        frames_per_chain: frames,
        params: serde_json::json!({"dt": a.dt, "gamma": a.gamma, "kT": 1.0, "save_every": a.save_every,
            "equilibrate": a.equilibrate, "steps": a.steps, "seed": a.seed, "integrator": "BAOAB"}),
        diverged_restarts: 0,
        chirality_rejections: None,
        wall_seconds: t0.elapsed().as_secs_f64(),
    }
    .save(&a.out)?;
    println!(
        "wrote {frames} frames of {} to {}",
        sys.name(),
        a.out.display()
    );
    Ok(())
}
