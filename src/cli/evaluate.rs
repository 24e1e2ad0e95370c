//! `walkjump evaluate`: a sampled peptide ensemble against its MD reference, per residue
//! and per torsion, every distance beside the MD-vs-MD floor at the same sample count.

use super::common::{ensure_parent, read_frames};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use walkjump::analysis::report::{evaluate_with, EvaluateOptions, PeptideReport, DEFAULT_TICA_LAG};
use walkjump::io::run_info::RunInfo;
use walkjump::molecule::{load_structure, LoadOptions};

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Topology of the peptide (PDB or mmCIF).
    #[arg(long, required_unless_present = "manifest")]
    pub top: Option<PathBuf>,
    /// The sampled ensemble (.dcd, .xtc or multi-model .pdb).
    #[arg(long, required_unless_present = "manifest")]
    pub samples: Option<PathBuf>,
    /// The MD reference (.dcd, .xtc or multi-model .pdb). Its first half, subsampled to
    /// the sample count, against its second half gives the floor.
    #[arg(long, required_unless_present = "manifest")]
    pub reference: Option<PathBuf>,
    /// Instead of one peptide: every peptide of --split in this batch_md.py manifest,
    /// its samples read from --samples-dir as NAME.xtc, NAME.dcd or NAME.pdb, its
    /// reference the manifest's positions. Prints one Markdown row per peptide.
    #[arg(long, conflicts_with_all = ["top", "samples", "reference"], requires = "samples_dir")]
    pub manifest: Option<PathBuf>,
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Where the manifest mode finds each peptide's samples.
    #[arg(long)]
    pub samples_dir: Option<PathBuf>,
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

pub fn run(a: EvaluateArgs) -> anyhow::Result<()> {
    if let Some(m) = &a.manifest {
        return run_manifest(&a, m);
    }
    let (top, samples, reference) = (
        a.top.clone().expect("clap requires --top"),
        a.samples.clone().expect("clap requires --samples"),
        a.reference.clone().expect("clap requires --reference"),
    );
    let report = evaluate_files(&a, &top, &samples, &reference)?;
    let guard = guard_note(&[(report.sequence.clone(), samples.clone())])?;
    println!(
        "{} ({}): {} samples against {} reference frames ({})",
        report.sequence,
        top.display(),
        report.samples,
        report.reference_frames,
        reference.display()
    );
    print_report(&report);
    if let Some(g) = &guard {
        println!("  {g}");
    }
    if let Some(j) = &a.json {
        ensure_parent(j)?;
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(&report)?.as_bytes())?;
        println!("report written to {}", j.display());
    }
    if let Some(m) = &a.markdown {
        ensure_parent(m)?;
        let text = format!(
            "{}\n{}\n\n{}\nFloor: {}.\n{}",
            PeptideReport::markdown_header(),
            report.markdown_row(),
            report.markdown_residues(),
            report.floor.definition,
            guard.map(|g| format!("\n{g}\n")).unwrap_or_default()
        );
        walkjump::io::write_atomically(m, text.as_bytes())?;
        println!("tables written to {}", m.display());
    }
    Ok(())
}

fn evaluate_files(
    a: &EvaluateArgs,
    top: &Path,
    samples: &Path,
    reference: &Path,
) -> anyhow::Result<PeptideReport> {
    let s = load_structure(
        top,
        LoadOptions {
            allow_unknown_residues: a.allow_unknown_residues,
            // The topology must have the trajectories' atoms, as they are.
            keep_missing_hydrogens: true,
        },
    )
    .with_context(|| format!("loading topology {}", top.display()))?;
    let n = s.topology.n_atoms();
    let sample_frames = read_frames(samples, n)?;
    let reference_frames = read_frames(reference, n)?;
    let reference_chains = match a.reference_chains {
        Some(c) => c.max(1),
        None => RunInfo::load_for(reference)?.map(|i| i.chains).unwrap_or(1),
    };
    Ok(evaluate_with(
        &s.topology,
        &sample_frames,
        &reference_frames,
        &EvaluateOptions {
            tica_lag: a.lag,
            reference_chains,
        },
    )?)
}

/// Every peptide of the split whose samples are in --samples-dir; a peptide without
/// samples is named and left out, so a partial run still gives its table.
fn run_manifest(a: &EvaluateArgs, manifest: &Path) -> anyhow::Result<()> {
    let dir = a.samples_dir.as_ref().expect("clap requires --samples-dir");
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("reading manifest {}", manifest.display()))?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a batch_md.py manifest", manifest.display()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut reports = vec![];
    let mut sample_files = vec![];
    let mut missing = vec![];
    for e in m["peptides"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|e| e["split"].as_str() == Some(a.split.as_str()))
    {
        let name = e["name"].as_str().unwrap_or("?");
        let field = |k: &str| -> anyhow::Result<PathBuf> {
            Ok(base.join(
                e[k].as_str()
                    .with_context(|| format!("manifest entry {name} has no {k}"))?,
            ))
        };
        let Some(samples) = ["xtc", "dcd", "pdb"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .find(|p| p.exists())
        else {
            missing.push(name.to_string());
            continue;
        };
        let r = evaluate_files(a, &field("topology")?, &samples, &field("positions")?)
            .with_context(|| format!("evaluating {name}"))?;
        sample_files.push((name.to_string(), samples));
        reports.push((name.to_string(), r));
    }
    if reports.is_empty() {
        anyhow::bail!(
            "no samples for any {} peptide of {} in {}",
            a.split,
            manifest.display(),
            dir.display()
        );
    }
    let mut table = PeptideReport::markdown_header();
    for (_, r) in &reports {
        table.push('\n');
        table.push_str(&r.markdown_row());
    }
    println!("{table}");
    if !missing.is_empty() {
        println!("no samples for: {}", missing.join(", "));
    }
    let note = few_moves_note(reports.iter().map(|(_, r)| r));
    if let Some(n) = &note {
        println!("{n}");
    }
    let guard = guard_note(&sample_files)?;
    if let Some(g) = &guard {
        println!("{g}");
    }
    let note = match (note, guard) {
        (Some(n), Some(g)) => Some(format!("{n}\n\n{g}")),
        (n, g) => n.or(g),
    };
    if let Some(j) = &a.json {
        ensure_parent(j)?;
        let all: serde_json::Map<String, serde_json::Value> = reports
            .iter()
            .map(|(n, r)| Ok((n.clone(), serde_json::to_value(r)?)))
            .collect::<anyhow::Result<_>>()?;
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(&all)?.as_bytes())?;
        println!("reports written to {}", j.display());
    }
    if let Some(md) = &a.markdown {
        ensure_parent(md)?;
        let floor = &reports[0].1.floor.definition;
        let note = note.map(|n| format!("\n{n}\n")).unwrap_or_default();
        walkjump::io::write_atomically(
            md,
            format!("{table}\n\nFloor: {floor}.\n{note}").as_bytes(),
        )?;
        println!("table written to {}", md.display());
    }
    Ok(())
}

fn print_report(r: &PeptideReport) {
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
        let basins = match (res.basin_fractions, res.reference_basin_fractions) {
            (Some(b), Some(rb)) => format!(
                "   β/PII·αR·αL {:.0}·{:.0}·{:.0} % (reference {:.0}·{:.0}·{:.0} %, {} moves)",
                100.0 * b[0],
                100.0 * b[1],
                100.0 * b[2],
                100.0 * rb[0],
                100.0 * rb[1],
                100.0 * rb[2],
                res.reference_basin_changes.unwrap_or(0)
            ),
            _ => String::new(),
        };
        println!(
            "  {:<7} Ramachandran JSD {:.3} ({:.3}){d}{basins}",
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
    if let Some(note) = few_moves_note([r]) {
        println!("  {note}");
    }
    if let Some(c) = r.cis_fraction_max {
        println!(
            "  largest cis fraction of a peptide bond not before a proline: {:.1} %",
            100.0 * c
        );
    }
    match (&r.tica, &r.tica_error) {
        (Some(t), _) => println!(
            "  TICA-0/1 JSD {:.3} ({:.3}) (20x20 bins over the reference's range, \
             φ/ψ/χ1 torsion features, lag {}; {:.2} % of samples outside it, counted)",
            t.jsd,
            t.floor,
            t.lag,
            100.0 * t.outside_fraction
        ),
        (None, Some(e)) => println!("  TICA not fitted: {e}"),
        _ => {}
    }
}

/// Where the samples came from walks with the chirality guard (their run summaries
/// say so), a line saying that their D column is zero by construction and how many
/// moves were rejected: a reader must not take it for the model's own chirality.
fn guard_note(samples: &[(String, PathBuf)]) -> anyhow::Result<Option<String>> {
    let mut counts = vec![];
    for (name, path) in samples {
        if let Some(n) = RunInfo::load_for(path)?.and_then(|i| i.chirality_rejections) {
            counts.push(format!("{name} {n}"));
        }
    }
    Ok((!counts.is_empty()).then(|| {
        format!(
            "Chirality guard: the samples of {} come from walks that reject a move whose \
             jump turns a Cα (or an Ile or Thr Cβ) over (moves rejected: {}), so their \
             D/allo fraction is 0 by \
             construction; `walkjump sample --chirality-guard off` shows the model's own.",
            if counts.len() == samples.len() {
                "every peptide".to_string()
            } else {
                format!("{} of the {} peptides", counts.len(), samples.len())
            },
            counts.join(", ")
        )
    }))
}

/// A warning naming the references whose residues moved between Ramachandran basins
/// fewer than `MIN_BASIN_CHANGES` times: their populations, and so every distance and
/// floor above, rest on few visits.
fn few_moves_note<'a>(reports: impl IntoIterator<Item = &'a PeptideReport>) -> Option<String> {
    use walkjump::analysis::basin::MIN_BASIN_CHANGES;
    let few: Vec<String> = reports
        .into_iter()
        .flat_map(|r| {
            r.residues.iter().filter_map(move |res| {
                let n = res.reference_basin_changes?;
                (n < MIN_BASIN_CHANGES).then(|| format!("{} {} ({n})", r.sequence, res.residue))
            })
        })
        .collect();
    (!few.is_empty()).then(|| {
        format!(
            "Few basin moves: in {} the reference moved between the β/PII, αR and αL cores \
             fewer than {MIN_BASIN_CHANGES} times, so its populations rest on few visits; a \
             longer reference would judge them better.",
            few.join(", ")
        )
    })
}
