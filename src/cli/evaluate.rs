//! `walkjump evaluate`: a sampled peptide ensemble against its MD reference, per residue
//! and per torsion, every distance beside the MD-vs-MD floor at the same sample count.

use super::common::ensure_parent;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use walkjump::analysis::report::{evaluate_with, EvaluateOptions, PeptideReport, DEFAULT_TICA_LAG};
use walkjump::io::read_trajectory;
use walkjump::io::run_info::RunInfo;
use walkjump::molecule::{load_structure, LoadOptions};

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Topology of the peptide (PDB or mmCIF).
    #[arg(long)]
    pub top: PathBuf,
    /// The sampled ensemble (.dcd, .xtc or multi-model .pdb).
    #[arg(long)]
    pub samples: PathBuf,
    /// The MD reference (.dcd, .xtc or multi-model .pdb). Its first half, subsampled to
    /// the sample count, against its second half gives the floor.
    #[arg(long)]
    pub reference: PathBuf,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as Markdown tables here.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// TICA lag in reference frames.
    #[arg(long, default_value_t = DEFAULT_TICA_LAG)]
    pub lag: usize,
    /// Chains interleaved step-major in the reference (default: from its .json sidecar, else 1).
    #[arg(long)]
    pub reference_chains: Option<usize>,
    /// Accept residues without templates (bonded by covalent radii).
    #[arg(long)]
    pub allow_unknown_residues: bool,
}

fn frames(path: &Path, n_atoms: usize) -> anyhow::Result<Vec<Vec<f64>>> {
    let t = read_trajectory(path, n_atoms)?;
    if t.frames.is_empty() {
        anyhow::bail!("{}: the trajectory has no frames", path.display());
    }
    Ok(t.frames)
}

pub fn run(a: EvaluateArgs) -> anyhow::Result<()> {
    let s = load_structure(
        &a.top,
        LoadOptions {
            allow_unknown_residues: a.allow_unknown_residues,
            ..Default::default()
        },
    )
    .with_context(|| format!("loading topology {}", a.top.display()))?;
    let n = s.topology.n_atoms();
    let samples = frames(&a.samples, n)?;
    let reference = frames(&a.reference, n)?;
    let reference_chains = match a.reference_chains {
        Some(c) => c.max(1),
        None => RunInfo::load_for(&a.reference)?
            .map(|i| i.chains)
            .unwrap_or(1),
    };
    let report = evaluate_with(
        &s.topology,
        &samples,
        &reference,
        &EvaluateOptions {
            tica_lag: a.lag,
            reference_chains,
        },
    )?;
    print_report(&report, &a);
    if let Some(j) = &a.json {
        ensure_parent(j)?;
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(&report)?.as_bytes())?;
        println!("report written to {}", j.display());
    }
    if let Some(m) = &a.markdown {
        ensure_parent(m)?;
        let text = format!(
            "{}\n{}\n\n{}\nFloor: {}.\n",
            PeptideReport::markdown_header(),
            report.markdown_row(),
            report.markdown_residues(),
            report.floor.definition
        );
        walkjump::io::write_atomically(m, text.as_bytes())?;
        println!("tables written to {}", m.display());
    }
    Ok(())
}

fn print_report(r: &PeptideReport, a: &EvaluateArgs) {
    println!(
        "{} ({}): {} samples against {} reference frames ({})",
        r.sequence,
        a.top.display(),
        r.samples,
        r.reference_frames,
        a.reference.display()
    );
    println!(
        "floor: {} frames of the reference's first half against its {} last frames \
         (in brackets below)",
        r.floor.frames_a, r.floor.frames_b
    );
    for res in &r.residues {
        let d = res
            .d_fraction
            .map(|d| format!("   D {:.1} %", 100.0 * d))
            .unwrap_or_default();
        println!(
            "  {:<7} Ramachandran JSD {:.3} ({:.3}){d}",
            res.residue, res.ramachandran_jsd, res.ramachandran_floor
        );
    }
    for t in &r.torsions {
        println!("  {:<12} JSD {:.3} ({:.3})", t.torsion, t.jsd, t.floor);
    }
    println!(
        "  mean Ramachandran JSD {:.3} ({:.3}) (18x18 bins)",
        r.ramachandran_jsd, r.ramachandran_floor
    );
    println!(
        "  mean backbone torsion JSD {:.3} ({:.3}) (36 bins)",
        r.torsion_jsd, r.torsion_floor
    );
    if let (Some(c), Some(f)) = (r.chi1_jsd, r.chi1_floor) {
        println!("  mean chi1 JSD {c:.3} ({f:.3})");
    }
    match (&r.tica, &r.tica_error) {
        (Some(t), _) => println!(
            "  TICA-0/1 JSD {:.3} ({:.3}) (20x20 bins over the reference's range, backbone \
             phi/psi features, lag {}; {:.2} % of samples outside it, counted)",
            t.jsd,
            t.floor,
            t.lag,
            100.0 * t.outside_fraction
        ),
        (None, Some(e)) => println!("  TICA not fitted: {e}"),
        _ => {}
    }
}
