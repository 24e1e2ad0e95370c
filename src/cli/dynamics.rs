//! `walkjump dynamics`: train the DynamicsDiffusion trajectory model of the double
//! well, and judge it against Brownian dynamics (free energy along x, autocorrelation,
//! inpainted transition paths).

use super::common::progress;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use walkjump::lab::evaluate::evaluate;
use walkjump::lab::trajdiff::{self, DynamicsModel};
use walkjump::lab::DynamicsTrainConfig;
use walkjump::nn::Cpu;

#[derive(Args, Debug)]
pub struct DynamicsArgs {
    #[command(subcommand)]
    pub action: DynamicsAction,
}

#[derive(Subcommand, Debug)]
pub enum DynamicsAction {
    /// Train on fresh Brownian-dynamics snippets at k_BT 0.5 … 1.5.
    Train {
        #[arg(long, default_value = "models/dynamics-double-well.wjd")]
        out: PathBuf,
        #[arg(long, default_value_t = 6000)]
        steps: usize,
        #[arg(long, default_value_t = 256)]
        batch: usize,
        #[arg(long, default_value_t = 384)]
        hidden: usize,
        #[arg(long, default_value_t = 4)]
        blocks: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        /// Stop after this many minutes (the learning-rate decay follows).
        #[arg(long)]
        max_minutes: Option<f64>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Generate, inpaint and compare with simulation; prints and writes JSON.
    Evaluate {
        #[arg(long, default_value = "models/dynamics-double-well.wjd")]
        model: PathBuf,
        /// Generated snippets per temperature.
        #[arg(long, default_value_t = 512)]
        snippets: usize,
        /// Noise levels in the reverse diffusion.
        #[arg(long, default_value_t = 100)]
        steps: usize,
        #[arg(long, default_value = "1.0,0.5,1.5", value_delimiter = ',')]
        temperatures: Vec<f64>,
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long, default_value_t = 3)]
        seed: u64,
    },
}

pub fn run(args: DynamicsArgs) -> anyhow::Result<()> {
    match args.action {
        DynamicsAction::Train {
            out,
            steps,
            batch,
            hidden,
            blocks,
            lr,
            max_minutes,
            seed,
        } => {
            let cfg = DynamicsTrainConfig {
                steps,
                batch,
                hidden,
                blocks,
                learning_rate: lr,
                max_seconds: max_minutes.map(|m| m * 60.0),
                seed,
                ..Default::default()
            };
            let pb = progress(steps as u64, "training");
            let t0 = std::time::Instant::now();
            let model = trajdiff::train(&cfg, |p| {
                pb.set_position(p.step as u64);
                pb.set_message(format!("loss {:.4}", p.loss));
                std::ops::ControlFlow::Continue(())
            })?;
            pb.finish_and_clear();
            model
                .save(&out)
                .with_context(|| format!("saving the model to {}", out.display()))?;
            println!(
                "trained {} steps in {:.1} min, loss {:.4}; wrote {}",
                model.meta.steps_trained,
                t0.elapsed().as_secs_f64() / 60.0,
                model.meta.final_loss,
                out.display()
            );
        }
        DynamicsAction::Evaluate {
            model,
            snippets,
            steps,
            temperatures,
            json,
            seed,
        } => {
            let m = DynamicsModel::<Cpu>::load(&model, &Default::default())
                .with_context(|| format!("loading {}", model.display()))?;
            let t0 = std::time::Instant::now();
            let r = evaluate(&m, snippets, steps, &temperatures, seed);
            println!(
                "{} generated snippets of {} frames per temperature, {} noise levels, {:.1} s",
                snippets,
                r.frames,
                steps,
                t0.elapsed().as_secs_f64()
            );
            println!("kT    F gap in wells (max / mean)   sim vs exact   ACF x max diff   ACF y max diff");
            for t in &r.temperatures {
                println!(
                    "{:<5} {:>8.3} / {:<8.3}            {:>8.3}       {:>8.3}         {:>8.3}",
                    t.kt,
                    t.free_energy_max_gap_wells,
                    t.free_energy_mean_gap_wells,
                    t.simulated_vs_exact_max_gap,
                    t.acf_x_max_diff,
                    t.acf_y_max_diff
                );
            }
            let i = &r.inpaint;
            println!(
                "inpainting ({} paths, left well → right well): {:.0} % cross, endpoint error ≤ {:.2e}, largest step {:.3} (simulated {:.3})",
                i.paths,
                100.0 * i.crossing_fraction,
                i.max_endpoint_error,
                i.max_step_inpainted,
                i.max_step_simulated
            );
            if let Some(p) = json {
                walkjump::io::write_atomically(&p, serde_json::to_string_pretty(&r)?.as_bytes())?;
            }
        }
    }
    Ok(())
}
