//! `walkjump denoise`: one jump from each frame of an MD trajectory, noised at σ.
//!
//! A walk-jump ensemble can miss its reference for two reasons: the jump x̂(y) is
//! wrong where the walk puts y, or the walk does not put y where p_σ has its mass
//! (a biased score, slow mixing, a start it has not forgotten). Feeding the denoiser
//! y = x + σε with x from the reference itself takes the walk out: `evaluate` of the
//! jumps against the same reference then measures the denoiser alone. Noisy frames
//! (`--y-out`, the identity denoiser) are the negative control: what σ does to the
//! torsions when nothing is denoised.
//!
//! The jump can be right frame by frame while the score the walk integrates is biased
//! along the soft directions: the mean force of the learned score along each torsion
//! over the noised frames (`analysis::torsion_force`) is zero for the exact score, and
//! is printed beside the same mean of the reference's own forces (`--forces`), the
//! control. It also prints, per basin of each residue in y, the learned score's
//! excess over DSM's target (x − y)/σ² on the same noisy frames, which is zero basin
//! by basin for the exact score where the plain mean can cancel between basins.

use super::common::{ensure_parent, progress, read_frames};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use walkjump::analysis::basin::Basin;
use walkjump::analysis::torsion_force::{
    generators, mean_and_error, ResidueCores, TorsionGenerator,
};
use walkjump::geometry::rmsd;
use walkjump::io::write_trajectory;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::rng::seeded;
use walkjump::sampler::noisy_start;

#[derive(Args, Debug)]
pub struct DenoiseArgs {
    /// Topology of the molecule (PDB or mmCIF), with every atom of the trajectory.
    #[arg(long)]
    pub top: PathBuf,
    /// Clean frames x, e.g. an MD reference (.dcd, .xtc or multi-model .pdb).
    #[arg(long)]
    pub traj: PathBuf,
    /// A trained model file (.wjm).
    #[arg(long)]
    pub model: PathBuf,
    /// ndarray, flex, wgpu or auto (as for `sample`).
    #[arg(long, default_value = "auto")]
    pub backend: String,
    /// Noise level σ (default: the model's).
    #[arg(long)]
    pub sigma: Option<f64>,
    /// Noise draws per frame.
    #[arg(long, default_value_t = 1)]
    pub draws: usize,
    /// Frames per network call.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The jumps x̂(x + σε), frame by frame (draws of one frame together).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the noisy frames y = x + σε.
    #[arg(long)]
    pub y_out: Option<PathBuf>,
    /// The reference's forces divided by k_BT, frame by frame (as the OpenMM tools
    /// write them): their mean force along each torsion on the clean frames, the
    /// control for the learned score's, is printed beside it.
    #[arg(long)]
    pub forces: Option<PathBuf>,
}

pub fn run(a: DenoiseArgs) -> anyhow::Result<()> {
    if a.draws == 0 || a.batch == 0 {
        anyhow::bail!("--draws and --batch must be at least 1");
    }
    let st = load_structure(
        &a.top,
        LoadOptions {
            // The trajectory's atoms, as they are.
            keep_missing_hydrogens: true,
            ..Default::default()
        },
    )
    .with_context(|| format!("loading topology {}", a.top.display()))?;
    let n = st.topology.n_atoms();
    let clean = read_frames(&a.traj, n)?;
    let sigma = match a.sigma {
        Some(s) => s,
        None => walkjump::nn::read_model_meta(&a.model)?.sigma,
    };
    if !(sigma > 0.0 && sigma.is_finite()) {
        anyhow::bail!("--sigma must be positive, not {sigma}");
    }
    let forces = match &a.forces {
        Some(p) => {
            let f = read_frames(p, n)?;
            if f.len() != clean.len() {
                anyhow::bail!(
                    "{} has {} frames and {} has {}: the forces must be the trajectory's",
                    p.display(),
                    f.len(),
                    a.traj.display(),
                    clean.len()
                );
            }
            Some(f)
        }
        None => None,
    };
    let gens = generators(&st.topology);
    // Per torsion, the learned score's force along it at every noised frame.
    let mut along: Vec<Vec<f64>> = vec![Vec::with_capacity(clean.len() * a.draws); gens.len()];
    // Per torsion and basin of its residue in y ([`Basin::ALL`] order), the excess of
    // the learned score over DSM's target.
    let mut excess: Vec<[Vec<f64>; 3]> = vec![Default::default(); gens.len()];
    let residue_cores = ResidueCores::new(&st.topology);
    let mut den = super::sample::learned_denoiser(&a.model, &a.backend, &st.topology)?;
    let dim = 3 * n;
    let mut rng = seeded(a.seed);
    let total = clean.len() * a.draws;
    let (mut jumps, mut noisy) = (Vec::with_capacity(total), Vec::with_capacity(total));
    let (mut err_jump, mut err_noise) = (0.0, 0.0);
    let pb = progress(total as u64, "denoise");
    // Each noisy frame's clean frame, by index.
    let frames: Vec<usize> = (0..clean.len())
        .flat_map(|i| std::iter::repeat_n(i, a.draws))
        .collect();
    for group in frames.chunks(a.batch) {
        let mut y = vec![0.0; group.len() * dim];
        for (&i, yk) in group.iter().zip(y.chunks_mut(dim)) {
            noisy_start(&clean[i], sigma, &mut rng, yk);
        }
        let mut mean = vec![0.0; y.len()];
        den.denoise(&y, sigma, &mut rng, &mut mean, None)
            .context("denoising a batch of frames")?;
        for (k, &i) in group.iter().enumerate() {
            let x = &clean[i];
            let (xh, yk) = (&mean[k * dim..(k + 1) * dim], &y[k * dim..(k + 1) * dim]);
            // Mean squares per atom, summed over frames.
            err_jump += rmsd(xh, x).powi(2);
            err_noise += rmsd(yk, x).powi(2);
            // (to − y)/σ²: the learned score for to = x̂, DSM's target for to = x.
            let from_y = |to: &[f64]| -> Vec<f64> {
                to.iter()
                    .zip(yk)
                    .map(|(a, b)| (a - b) / (sigma * sigma))
                    .collect()
            };
            let (score, target) = (from_y(xh), from_y(x));
            for (g, v) in gens.iter().zip(along.iter_mut()) {
                v.push(g.force(yk, &score));
            }
            let cores = residue_cores.at(yk);
            for (g, by) in gens.iter().zip(excess.iter_mut()) {
                if let Some(b) = cores[g.residue] {
                    let at = Basin::ALL.iter().position(|&c| c == b).expect("a basin");
                    by[at].push(g.excess(yk, &score, &target));
                }
            }
            jumps.push(xh.to_vec());
            noisy.push(yk.to_vec());
        }
        pb.inc(group.len() as u64);
    }
    pb.finish_and_clear();
    if jumps.iter().flatten().any(|v| !v.is_finite()) {
        anyhow::bail!(
            "the model returned non-finite positions; is it the model for this molecule and σ?"
        );
    }
    ensure_parent(&a.out)?;
    write_trajectory(&a.out, &st.topology, &jumps)?;
    if let Some(p) = &a.y_out {
        ensure_parent(p)?;
        write_trajectory(p, &st.topology, &noisy)?;
    }
    let per_atom = |e: f64| (e / total as f64).sqrt();
    println!(
        "{total} jumps ({} frames x {} draws) at σ = {sigma} Å written to {}; \
         RMS distance to the clean frame per atom: jump {:.3} Å, noisy {:.3} Å \
         (σ√3 = {:.3} Å)",
        clean.len(),
        a.draws,
        a.out.display(),
        per_atom(err_jump),
        per_atom(err_noise),
        sigma * 3f64.sqrt()
    );
    print_torsion_forces(&gens, &along, &clean, forces.as_deref());
    print_excess_by_basin(&gens, &excess);
    Ok(())
}

/// The mean force along each torsion, learned score on the noised frames beside the
/// reference's forces on the clean ones.
fn print_torsion_forces(
    gens: &[TorsionGenerator],
    along: &[Vec<f64>],
    clean: &[Vec<f64>],
    forces: Option<&[Vec<f64>]>,
) {
    if gens.is_empty() {
        return;
    }
    println!(
        "mean force along each torsion, k_BT/rad ± standard error (0 for the exact score; \
         a bias b over a path of Δθ rad tilts the walk's basins by about b·Δθ k_BT):"
    );
    for (g, v) in gens.iter().zip(along) {
        let (m, e) = mean_and_error(v);
        let control = forces
            .map(|f| {
                let ref_along: Vec<f64> = clean.iter().zip(f).map(|(x, f)| g.force(x, f)).collect();
                let (m, e) = mean_and_error(&ref_along);
                format!("   reference forces {m:+.2} ± {e:.2}")
            })
            .unwrap_or_default();
        println!("  {:<10} learned score {m:+.2} ± {e:.2}{control}", g.label);
    }
}

/// Per torsion, the learned score's excess over DSM's target on the same noisy frames,
/// split by the basin its residue is in at y (basins with fewer than 20 frames left out).
fn print_excess_by_basin(gens: &[TorsionGenerator], excess: &[[Vec<f64>; 3]]) {
    println!(
        "excess of the learned score over DSM's target (x - y)/σ² on the same noisy frames, by the \
         residue's basin in y, k_BT/rad ± standard error (0 in every basin for the exact \
         score; frames between basins left out):"
    );
    for (g, by) in gens.iter().zip(excess) {
        let cells: Vec<String> = Basin::ALL
            .iter()
            .zip(by)
            .filter(|(_, v)| v.len() >= 20)
            .map(|(b, v)| {
                let (m, e) = mean_and_error(v);
                format!("{} {m:+.2} ± {e:.2} ({})", b.name(), v.len())
            })
            .collect();
        if !cells.is_empty() {
            println!("  {:<10} {}", g.label, cells.join(", "));
        }
    }
}
