use super::common::{ensure_parent, read_frames};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use walkjump::analysis::acf::{decorrelation_time, torsion_acf};
use walkjump::analysis::chirality::{chiral_residues, is_turned};
use walkjump::analysis::energy::energy_histograms;
use walkjump::analysis::peptide::{compare, PeptideEnsemble};
use walkjump::analysis::rdf::PairDistanceHistogram;
use walkjump::analysis::tica::{fit_on_ensemble, histogram_of, project_ensemble, projection_bins};
use walkjump::analysis::{
    histogram_jsd, histogram_mae, histogram_tvd, AllMass, Hist1d, Hist2d, Range,
};
use walkjump::denoiser::grid::exact_planar;
use walkjump::io::run_info::RunInfo;
use walkjump::io::Trajectory;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::plots::{self, Heatmap};
use walkjump::systems::{self, AnySystem, Planar, System};

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Topology: a PDB/mmCIF file, or a system name (lj13, lj55, double-well, ...).
    #[arg(long)]
    pub top: String,
    /// Trajectory to analyse (.dcd, .xtc or multi-model .pdb).
    #[arg(long)]
    pub traj: PathBuf,
    /// Reference trajectory (MD) to compare against.
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Write the metrics as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write PNG plots into this directory.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Independent chains interleaved step-major in the trajectory (default: from the .json sidecar, else 1).
    #[arg(long)]
    pub chains: Option<usize>,
    /// TICA lag in frames.
    #[arg(long, default_value_t = 10)]
    pub lag: usize,
    /// Longest lag of the autocorrelation, in frames.
    #[arg(long, default_value_t = 500)]
    pub max_lag: usize,
    /// Accept residues without templates (bonded by covalent radii).
    #[arg(long)]
    pub allow_unknown_residues: bool,
}

fn chains_of(path: &Path, over: Option<usize>) -> anyhow::Result<usize> {
    Ok(match over {
        Some(c) => c.max(1),
        None => RunInfo::load_for(path)?.map(|i| i.chains).unwrap_or(1),
    })
}

fn load(path: &Path, n_atoms: usize, chains: Option<usize>) -> anyhow::Result<(Trajectory, usize)> {
    let frames = read_frames(path, n_atoms)?;
    Ok((Trajectory { n_atoms, frames }, chains_of(path, chains)?))
}

pub fn run(a: AnalyzeArgs) -> anyhow::Result<()> {
    let top_path = Path::new(&a.top);
    let report = if top_path.exists() || a.top.contains('.') {
        let s = load_structure(
            top_path,
            LoadOptions {
                allow_unknown_residues: a.allow_unknown_residues,
                // The topology must have the trajectory's atoms, as they are.
                keep_missing_hydrogens: true,
            },
        )
        .with_context(|| format!("loading topology {}", a.top))?;
        peptide(&a, &s.topology, &s.positions)?
    } else {
        match systems::by_name(&a.top)? {
            AnySystem::Lj(l) => lj(&a, &l)?,
            AnySystem::Planar(p) => planar(&a, p.as_ref())?,
        }
    };
    if let Some(j) = &a.json {
        ensure_parent(j)?;
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(&report)?.as_bytes())?;
        println!("metrics written to {}", j.display());
    }
    Ok(())
}

fn plot_dir(a: &AnalyzeArgs) -> anyhow::Result<Option<PathBuf>> {
    if let Some(d) = &a.plots {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        return Ok(Some(d.clone()));
    }
    Ok(None)
}

fn ensemble(topo: &walkjump::molecule::Topology, t: &Trajectory, chains: usize) -> PeptideEnsemble {
    let mut e = PeptideEnsemble::new(topo);
    for (k, f) in t.frames.iter().enumerate() {
        e.add(k % chains, f);
    }
    e
}

fn decorrelation(e: &PeptideEnsemble, max_lag: usize) -> Vec<serde_json::Value> {
    e.backbone()
        .into_iter()
        .map(|t| {
            let acf = torsion_acf(&e.torsion_series(t), max_lag);
            json!({"torsion": e.topology.torsions[t].label, "frames": decorrelation_time(&acf)})
        })
        .collect()
}

fn peptide(
    a: &AnalyzeArgs,
    topo: &walkjump::molecule::Topology,
    top_positions: &[f64],
) -> anyhow::Result<serde_json::Value> {
    if topo.ramachandran_pairs().is_empty() {
        anyhow::bail!(
            "{}: no residue has both phi and psi; nothing to analyse",
            a.top
        );
    }
    let (traj, chains) = load(&a.traj, topo.n_atoms(), a.chains)?;
    let samp = ensemble(topo, &traj, chains);
    println!(
        "{}: {} frames in {chains} chain(s)",
        a.traj.display(),
        samp.frames
    );
    // Handedness relative to the topology file, per stereocentre: an inverted Cα in
    // an L-peptide ensemble means the denoiser mirrored the residue, an inverted Cβ
    // (Ile, Thr) that it swapped two of the Cβ's substituents.
    let mut chirality = vec![];
    for r in chiral_residues(topo, top_positions) {
        for c in &r.centres {
            // "THR2" for the Cα, "THR2 CB" for the Cβ.
            let label = match c.atom {
                "CA" => r.label.clone(),
                atom => format!("{} {atom}", r.label),
            };
            let turned = traj.frames.iter().filter(|x| is_turned(c, x)).count();
            let f = turned as f64 / traj.frames.len().max(1) as f64;
            println!(
                "  inverted chirality {label:<8} {:.1} % of frames",
                100.0 * f
            );
            chirality.push(json!({"centre": label, "inverted_fraction": f}));
        }
    }
    let mut report = json!({"trajectory": a.traj, "frames": samp.frames, "chains": chains,
        "decorrelation_frames": decorrelation(&samp, a.max_lag), "inverted_chirality": chirality});
    let reference = match &a.reference {
        Some(r) => {
            let (rt, rc) = load(r, topo.n_atoms(), None)?;
            Some(ensemble(topo, &rt, rc))
        }
        None => None,
    };
    let tica_src = reference.as_ref().unwrap_or(&samp);
    let tica = fit_on_ensemble(tica_src, a.lag).ok();
    if let Some(refe) = &reference {
        let (rama, tors, mean) = compare(&samp, refe);
        println!(
            "reference {}: {} frames",
            a.reference.as_ref().unwrap().display(),
            refe.frames
        );
        for r in &rama {
            println!(
                "  Ramachandran JSD {:<8} {:.3} (18x18 bins)",
                r.residue, r.ramachandran_jsd
            );
        }
        println!("  mean backbone torsion JSD  {mean:.3} (36 bins)");
        report["reference"] = json!({"path": a.reference, "frames": refe.frames,
            "decorrelation_frames": decorrelation(refe, a.max_lag)});
        report["ramachandran_jsd"] = serde_json::to_value(&rama)?;
        report["torsion_jsd"] = serde_json::to_value(&tors)?;
        report["torsion_jsd_mean"] = json!(mean);
        if let Some(t) = &tica {
            let ps = project_ensemble(&samp, t);
            let pr = project_ensemble(refe, t);
            let (xr, yr) = projection_bins(&pr);
            let (hs, hr) = (histogram_of(&ps, xr, yr), histogram_of(&pr, xr, yr));
            let j = histogram_jsd(&hs, &hr);
            let out = hs.outside_fraction();
            println!(
                "  TICA-0/1 JSD               {j:.3} (20x20 bins over the reference range; \
                 {:.2} % of samples outside it, counted)",
                100.0 * out
            );
            report["tica_jsd"] = json!(j);
            report["tica_outside_fraction"] = json!(out);
        }
    }
    for d in report["decorrelation_frames"].as_array().unwrap() {
        println!(
            "  decorrelation {:<10} {} frames",
            d["torsion"].as_str().unwrap_or(""),
            d["frames"]
        );
    }
    if let Some(dir) = plot_dir(a)? {
        let mut panels = Heatmap::ramachandran(&samp, "samples");
        if let Some(r) = &reference {
            panels.extend(Heatmap::ramachandran(r, "reference"));
        }
        plots::heatmaps(&dir.join("ramachandran.png"), &panels)?;
        let mut series = vec![];
        for t in samp.backbone() {
            let acf = torsion_acf(&samp.torsion_series(t), a.max_lag);
            series.push((
                format!("{} samples", samp.topology.torsions[t].label),
                acf.iter()
                    .enumerate()
                    .map(|(k, v)| (k as f64, *v))
                    .collect(),
            ));
        }
        plots::lines(
            &dir.join("acf.png"),
            "torsion autocorrelation",
            "lag (frames)",
            "C(lag)",
            &series,
        )?;
        if let Some(t) = &tica {
            let ps = project_ensemble(&samp, t);
            let (xr, yr) = projection_bins(&project_ensemble(tica_src, t));
            let hs = histogram_of(&ps, xr, yr);
            let mut panels = vec![Heatmap {
                title: "TICA samples".into(),
                hist: &hs,
                xlabel: "TIC 0",
                ylabel: "TIC 1",
                free_energy: true,
            }];
            let hr;
            if let Some(r) = &reference {
                hr = histogram_of(&project_ensemble(r, t), xr, yr);
                panels.push(Heatmap {
                    title: "TICA reference".into(),
                    hist: &hr,
                    xlabel: "TIC 0",
                    ylabel: "TIC 1",
                    free_energy: true,
                });
            }
            plots::heatmaps(&dir.join("tica.png"), &panels)?;
        }
        println!("plots written to {}", dir.display());
    }
    Ok(report)
}

fn lj(a: &AnalyzeArgs, sys: &walkjump::systems::LjCluster) -> anyhow::Result<serde_json::Value> {
    let (traj, _) = load(&a.traj, sys.n, a.chains)?;
    let stats = |t: &Trajectory| {
        let mut h = PairDistanceHistogram::new(sys.n);
        let mut e = vec![];
        for f in &t.frames {
            h.add_frame(f);
            e.push(sys.energy(f));
        }
        (h.hist, e)
    };
    let (hs, es) = stats(&traj);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{}: {} frames, mean energy {:.3}",
        a.traj.display(),
        traj.frames.len(),
        mean(&es)
    );
    let mut report =
        json!({"trajectory": a.traj, "frames": traj.frames.len(), "mean_energy": mean(&es)});
    let mut series = vec![("samples".to_string(), density_points(&hs))];
    let mut energy_series = vec![];
    if let Some(r) = &a.reference {
        let (rt, _) = load(r, sys.n, None)?;
        let (hr, er) = stats(&rt);
        // Every distance counts the samples outside the range (under/overflow bins).
        let t = histogram_tvd(&hs, &hr);
        let m = histogram_mae(&hs, &hr);
        let eh = energy_histograms(&es, &er);
        let et = eh.tvd().unwrap_or(f64::NAN);
        let (ehs, ehr) = (eh.samples, eh.reference.expect("reference energies"));
        println!(
            "reference {}: {} frames, mean energy {:.3}",
            r.display(),
            rt.frames.len(),
            mean(&er)
        );
        println!(
            "  h(r) TVD {t:.4}  MAE {m:.4}  (bins 0.02; {:.3} % of sample pairs beyond r = {})",
            100.0 * hs.above_fraction(),
            hs.range.hi
        );
        println!(
            "  energy histogram TVD {et:.4} (50 bins over the reference's range; \
             {:.3} % of samples below it, {:.3} % above)",
            100.0 * ehs.below_fraction(),
            100.0 * ehs.above_fraction()
        );
        report["reference"] =
            json!({"path": r, "frames": rt.frames.len(), "mean_energy": mean(&er)});
        report["h_r_tvd"] = json!(t);
        report["h_r_mae"] = json!(m);
        report["energy_tvd"] = json!(et);
        report["h_r_outside_fraction"] = json!(hs.outside_fraction());
        report["energy_below_fraction"] = json!(ehs.below_fraction());
        report["energy_above_fraction"] = json!(ehs.above_fraction());
        series.push(("reference".to_string(), density_points(&hr)));
        energy_series.push(("samples".to_string(), density_points(&ehs)));
        energy_series.push(("reference".to_string(), density_points(&ehr)));
    }
    if let Some(dir) = plot_dir(a)? {
        plots::lines(
            &dir.join("h_r.png"),
            &format!("h(r), {}", sys.name()),
            "r",
            "density",
            &series,
        )?;
        if !energy_series.is_empty() {
            plots::lines(
                &dir.join("energy.png"),
                "energy",
                "U (k_BT)",
                "density",
                &energy_series,
            )?;
        }
        println!("plots written to {}", dir.display());
    }
    Ok(report)
}

/// The density normalised by all samples (out-of-range ones included), as the app draws it.
fn density_points(h: &Hist1d) -> Vec<(f64, f64)> {
    h.density().into_iter().map(|p| (p[0], p[1])).collect()
}

fn planar(a: &AnalyzeArgs, sys: &dyn Planar) -> anyhow::Result<serde_json::Value> {
    let (traj, _) = load(&a.traj, 1, a.chains)?;
    let [x0, x1, y0, y1] = sys.bounds();
    let (xr, yr) = (Range::new(x0, x1, 40), Range::new(y0, y1, 40));
    let exact = exact_planar(sys, 0.05, xr, yr);
    let mut h = Hist2d::new(xr, yr);
    for f in &traj.frames {
        h.add(f[0], f[1]);
    }
    let t = histogram_tvd(&h, &exact.p_x);
    println!(
        "{}: {} frames; TVD to exact p_X {t:.4} (40x40 bins)",
        a.traj.display(),
        traj.frames.len()
    );
    let mut report = json!({"trajectory": a.traj, "frames": traj.frames.len(), "tvd_exact_p_x": t});
    if let Some(r) = &a.reference {
        let (rt, _) = load(r, 1, None)?;
        let mut hr = Hist2d::new(xr, yr);
        rt.frames.iter().for_each(|f| hr.add(f[0], f[1]));
        let tr = histogram_tvd(&h, &hr);
        println!("  TVD to reference {tr:.4}");
        report["tvd_reference"] = json!(tr);
    }
    if let Some(dir) = plot_dir(a)? {
        plots::heatmaps(
            &dir.join("density.png"),
            &[
                Heatmap {
                    title: format!("samples (n={})", traj.frames.len()),
                    hist: &h,
                    xlabel: "x",
                    ylabel: "y",
                    free_energy: true,
                },
                Heatmap {
                    title: "exact p_X".into(),
                    hist: &exact.p_x,
                    xlabel: "x",
                    ylabel: "y",
                    free_energy: true,
                },
            ],
        )?;
        println!("plots written to {}", dir.display());
    }
    Ok(report)
}
