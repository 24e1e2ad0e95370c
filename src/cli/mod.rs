//! Command-line parsing and the subcommands.

mod analyze;
mod bench;
mod bench_md;
mod bench_pairs;
mod bench_scaling;
mod build;
mod common;
mod denoise;
mod dynamics;
mod evaluate;
mod exact;
mod md;
mod sample;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "walkjump",
    version,
    about = "Walk-jump sampling of molecular conformations (JAMUN)"
)]
pub struct Cli {
    /// Without a subcommand the desktop app opens on the bundled alanine dipeptide.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The desktop app: live walk-jump sampling with 3-D view and panels.
    Gui(walkjump_app::GuiArgs),
    /// Reference Langevin (BAOAB) dynamics of a system with known energy.
    Md(md::MdArgs),
    /// Walk-jump sampling with an exact, energy-based or learned denoiser.
    Sample(sample::SampleArgs),
    /// One jump from each frame of a trajectory noised at σ: with `evaluate`, the
    /// denoiser's share of an ensemble's error, apart from the walk's.
    Denoise(denoise::DenoiseArgs),
    /// Metrics and plots of a trajectory, optionally against a reference.
    Analyze(analyze::AnalyzeArgs),
    /// A sampled peptide ensemble against its MD reference: per-residue Ramachandran,
    /// per-torsion and TICA JSD and D fraction, each beside the MD-vs-MD floor.
    Evaluate(evaluate::EvaluateArgs),
    /// Speed as ratios in one run: walk-jump against MD, the network on flex and wgpu against
    /// ndarray, and (--versus-md) time to the same Ramachandran JSD against OpenMM, counting the MD and training behind the model when it saw the molecule.
    Bench(bench::BenchArgs),
    /// Train a learned denoiser (DSM, PSM or both) at fixed σ.
    Train(train::TrainArgs),
    /// Planar systems, where everything is exact: TVDs of walk and jumps for several σ.
    Exact(exact::ExactArgs),
    /// The teaching lab: exact 2-D walk-jump, diffusion beside it, trajectory diffusion.
    Lab(walkjump_app::lab::LabArgs),
    /// DynamicsDiffusion on the double well: train the trajectory model or evaluate it.
    Dynamics(dynamics::DynamicsArgs),
    /// A capped peptide ACE-…-NME of 1–4 residues from its sequence, as PDB.
    Build(build::BuildArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Gui(Default::default())) {
        Command::Gui(a) => walkjump_app::run(a),
        Command::Md(a) => md::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Denoise(a) => denoise::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Exact(a) => exact::run(a),
        Command::Train(a) => train::run(a),
        Command::Dynamics(a) => dynamics::run(a),
        Command::Build(a) => build::run(a),
        Command::Lab(a) => walkjump_app::lab::run(a),
    }
}
