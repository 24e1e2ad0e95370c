//! `walkjump bench --versus-md`: wall-clock for walk-jump and for OpenMM to bring the
//! Ramachandran JSD against a held-out reference below the same thresholds.
//!
//! OpenMM's convergence curve comes from a stored OpenMM trajectory (JSD of its first
//! k frames); its speed is measured live in this run by a short OpenMM job of the
//! same settings, so both sides are timed on the same machine at the same moment.
//! Walk-jump is run live and timed from its first step, burn-in included.
//!
//! A model trained on this molecule's own MD did not come free: its training data is
//! MD of the same molecule, and training took time. When the molecule was in the
//! model's training data, both costs are added to walk-jump's side (the data priced
//! at OpenMM's speed measured in this run, the training at its recorded wall-clock),
//! and the break-even number of runs is reported.

use super::sample::{learned_walk_at, resolved_backend, WalkPlace};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Instant;
use walkjump::analysis::peptide::{compare, PeptideEnsemble};
use walkjump::io::read_trajectory;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{gpu_adapter, read_model_meta, BackendKind, WalkStart};
use walkjump::sampler::WalkParams;

/// JSD levels at which the two are compared.
const TARGETS: [f64; 6] = [0.5, 0.4, 0.35, 0.3, 0.25, 0.2];

#[derive(clap::Args, Debug, Clone)]
pub struct VersusMdArgs {
    /// Compare walk-jump against OpenMM in time to the same Ramachandran JSD.
    #[arg(long)]
    pub versus_md: bool,
    /// Held-out reference trajectory the JSD is measured against.
    #[arg(long, default_value = "assets/data/ala2-reference.dcd")]
    pub reference: PathBuf,
    /// An independent OpenMM trajectory (with its .json) for the MD convergence curve.
    #[arg(long, default_value = "assets/data/ala2-train.dcd")]
    pub md_traj: PathBuf,
    /// Python with OpenMM, for the live speed measurement.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Backend of the network for walk-jump (auto, wgpu, flex, ndarray).
    #[arg(long, default_value = "auto")]
    pub backend: String,
    /// Walk-jump chains.
    #[arg(long, default_value_t = 32)]
    pub wj_chains: usize,
    /// Walk-jump steps before jumps are kept (their time counts).
    #[arg(long, default_value_t = 100)]
    pub wj_burn_in: usize,
    /// Give walk-jump at most this many seconds.
    #[arg(long, default_value_t = 300.0)]
    pub wj_seconds: f64,
    /// Settings (JSON) of the OpenMM run the model was trained on: its MD is part of
    /// what the model cost when the molecule was in its training data.
    #[arg(long, default_value = "assets/data/ala2-train.json")]
    pub training_md: PathBuf,
    /// Run OpenMM live on the molecule for this many seconds (same force field as the
    /// data, same machine, this run) for the MD side, instead of --md-traj: the fair
    /// comparison for a peptide the model never saw.
    #[arg(long)]
    pub live_md_seconds: Option<f64>,
    /// OpenMM platform(s), comma-separated: CPU, CUDA, OpenCL, gpu (CUDA or else
    /// OpenCL) or auto. With --versus-md the first is used, and auto is a GPU platform
    /// when walk-jump runs on a GPU and OpenMM has one, else the CPU; with --scaling
    /// each is timed (none: no OpenMM), and auto is the CPU and a GPU platform where
    /// there is one.
    #[arg(long, value_delimiter = ',', default_value = "auto")]
    pub openmm_platform: Vec<String>,
    /// Where walk-jump's state lives: on the network's device (as `sample` does) or on
    /// the host.
    #[arg(long, value_enum, default_value_t = WalkPlace::Device)]
    pub wj_walk: WalkPlace,
}

#[derive(serde::Deserialize)]
struct OpenMmSummary {
    md_steps_per_second: f64,
    dt_fs: f64,
    save_every_ps: f64,
    #[serde(default)]
    threads: Option<usize>,
    #[serde(default)]
    frames: usize,
    #[serde(default)]
    equilibrate_ps: f64,
    #[serde(default)]
    wall_seconds_production: Option<f64>,
    /// OpenMM's platform (runs before December 7 were all on the CPU).
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    precision: Option<String>,
}

impl OpenMmSummary {
    /// MD steps behind the run: equilibration and production.
    fn md_steps(&self) -> f64 {
        (self.frames as f64 * self.save_every_ps + self.equilibrate_ps) * 1000.0 / self.dt_fs
    }
}

/// What a model cost before its first sample, when the molecule was in its training
/// data; nothing when it never saw the molecule.
#[derive(Debug, serde::Serialize)]
struct ModelCost {
    molecule_in_training_data: bool,
    why: String,
    /// MD steps of the training data and what they cost at OpenMM's speed now.
    training_data_md_steps: f64,
    training_data_seconds_now: f64,
    training_data_seconds_recorded: Option<f64>,
    /// Training wall-clock as recorded in the model file (on the machine it was made on).
    training_seconds_recorded: f64,
}

impl ModelCost {
    fn total_seconds(&self) -> f64 {
        if self.molecule_in_training_data {
            self.training_data_seconds_now + self.training_seconds_recorded
        } else {
            0.0
        }
    }
}

/// Whether `topology` was in the model's training data. A model that lists its
/// training sequences is checked against them; one that does not (every model trained
/// on a single molecule's MD) is counted as trained on this molecule, so its costs
/// are never left out.
fn model_cost(
    model: &Path,
    topology: &walkjump::molecule::Topology,
    training_md: &Path,
    steps_per_s: f64,
) -> anyhow::Result<ModelCost> {
    let meta = walkjump::nn::read_model_meta(model)?;
    let seq = walkjump::nn::train::residue_sequence(topology);
    let listed = walkjump::nn::choice::training_sequences(&meta);
    let (seen, why) = match listed {
        Some(list) if list.contains(&seq) => (true, format!("{seq} is in its training set")),
        Some(list) => (
            false,
            format!("{seq} is not among its {} training sequences", list.len()),
        ),
        None => (
            true,
            format!(
                "it was trained on the MD of one molecule ({}), counted as this one",
                meta.molecule
            ),
        ),
    };
    let training_seconds_recorded = meta
        .training
        .get("wall_seconds")
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let (steps, recorded) = if seen {
        let data = read_summary(training_md).context(
            "the model was trained on this molecule: its training MD's settings are needed to price it (--training-md)",
        )?;
        (data.md_steps(), data.wall_seconds_production)
    } else {
        (0.0, None)
    };
    Ok(ModelCost {
        molecule_in_training_data: seen,
        why,
        training_data_md_steps: steps,
        training_data_seconds_now: steps / steps_per_s,
        training_data_seconds_recorded: recorded,
        training_seconds_recorded,
    })
}

fn read_summary(path: &Path) -> anyhow::Result<OpenMmSummary> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Run `tools/openmm/ala2_md.py` on `pdb` now with `args` in a fresh temporary
/// folder; the folder (holding `md.dcd`) and the run's summary. The caller removes it.
fn run_openmm(
    python: &str,
    pdb: &Path,
    tag: &str,
    platform: &str,
    args: &[String],
) -> anyhow::Result<(PathBuf, OpenMmSummary)> {
    let dir = std::env::temp_dir().join(format!("walkjump-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let out = std::process::Command::new(python)
        .arg("tools/openmm/ala2_md.py")
        .arg("--pdb")
        .arg(pdb)
        .arg("--out")
        .arg(dir.join("md"))
        .arg("--platform")
        .arg(platform)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .with_context(|| format!("starting {python} (give --python with OpenMM installed)"));
    let summary = out.and_then(|o| {
        // The script's own message (no such platform, no OpenMM) is its last line.
        let err = String::from_utf8_lossy(&o.stderr);
        let why = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        anyhow::ensure!(
            o.status.success(),
            "the OpenMM run failed ({}): {why}",
            o.status
        );
        read_summary(&dir.join("md.json"))
    });
    match summary {
        Ok(summary) => Ok((dir, summary)),
        Err(e) => {
            std::fs::remove_dir_all(&dir).ok();
            Err(e)
        }
    }
}

/// Steps per second of OpenMM measured now with a short run of the stored run's
/// settings; `None` (with the reason logged) when no OpenMM can be started.
fn live_openmm_rate(
    python: &str,
    pdb: &Path,
    platform: &str,
    md: &OpenMmSummary,
) -> Option<OpenMmRate> {
    let settings = [
        "--save-ps".to_string(),
        md.save_every_ps.to_string(),
        "--dt-fs".into(),
        md.dt_fs.to_string(),
        "--threads".into(),
        md.threads.unwrap_or(1).to_string(),
    ];
    short_openmm_rate(python, pdb, platform, &settings)
        .map_err(|e| tracing::warn!("{e:#}; using the stored run's speed"))
        .ok()
}

/// OpenMM's speed, and the platform that made it.
pub struct OpenMmRate {
    pub steps_per_s: f64,
    /// "CUDA (mixed)", "CPU, 2 threads", ...
    pub platform: String,
}

impl OpenMmRate {
    fn of(s: &OpenMmSummary) -> Self {
        let platform = match s.platform.as_deref() {
            None | Some("CPU") => match s.threads.unwrap_or(1) {
                1 => "CPU, 1 thread".to_string(),
                t => format!("CPU, {t} threads"),
            },
            Some(p) => match &s.precision {
                Some(prec) => format!("{p} ({prec})"),
                None => p.to_string(),
            },
        };
        OpenMmRate {
            steps_per_s: s.md_steps_per_second,
            platform,
        }
    }
}

/// OpenMM's steps per second on `pdb` now, with the data's settings (amber14 + GBn2,
/// 2 fs) on `platform` (`threads` CPU threads on the CPU).
pub fn openmm_rate_now(
    python: &str,
    pdb: &Path,
    threads: usize,
    platform: &str,
) -> anyhow::Result<OpenMmRate> {
    short_openmm_rate(
        python,
        pdb,
        platform,
        &["--threads".into(), threads.to_string()],
    )
}

/// OpenMM's speed on `pdb` now on `platform`: a short run (2 ps of equilibration, then
/// 0.02 ns) with `settings` (more of `ala2_md.py`'s flags).
fn short_openmm_rate(
    python: &str,
    pdb: &Path,
    platform: &str,
    settings: &[String],
) -> anyhow::Result<OpenMmRate> {
    let mut args = vec![
        "--ns".to_string(),
        "0.02".into(),
        "--equilibrate-ps".into(),
        "2".into(),
    ];
    args.extend_from_slice(settings);
    let (dir, summary) = run_openmm(python, pdb, "openmm-rate", platform, &args)?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(OpenMmRate::of(&summary))
}

/// OpenMM on `pdb` for `seconds` of production, now: its frames and its own summary.
fn live_openmm_run(
    python: &str,
    pdb: &Path,
    platform: &str,
    seconds: f64,
    n: usize,
) -> anyhow::Result<(Vec<Vec<f64>>, OpenMmSummary)> {
    eprintln!("running OpenMM on {} for {seconds:.0} s ...", pdb.display());
    let args = [
        "--ns".to_string(),
        "1000".into(),
        "--equilibrate-ps".into(),
        "20".into(),
        "--max-seconds".into(),
        seconds.to_string(),
    ];
    let (dir, summary) = run_openmm(python, pdb, "live-md", platform, &args)?;
    let frames = read_trajectory(&dir.join("md.dcd"), n);
    std::fs::remove_dir_all(&dir).ok();
    Ok((frames?.frames, summary))
}

/// First time at which a (time, JSD) curve is at or below `target`.
fn first_below(curve: &[(f64, f64)], target: f64) -> Option<f64> {
    curve.iter().find(|p| p.1 <= target).map(|p| p.0)
}

/// Sample counts at which the JSD is evaluated: roughly geometric, so both the early
/// and the late part of a curve are resolved.
fn checkpoints(max: usize) -> Vec<usize> {
    let mut v = vec![];
    let mut k = 50.0f64;
    while (k as usize) < max {
        v.push(k as usize);
        k *= 1.25;
    }
    v.push(max);
    v
}

pub fn run(a: &VersusMdArgs, model: &Path, pdb: &Path) -> anyhow::Result<serde_json::Value> {
    let st = load_structure(pdb, LoadOptions::default())?;
    let n = st.topology.n_atoms();
    let mut reference = PeptideEnsemble::new(&st.topology);
    for x in &read_trajectory(&a.reference, n)
        .with_context(|| format!("reading reference {}", a.reference.display()))?
        .frames
    {
        reference.add(0, x);
    }
    anyhow::ensure!(
        !reference.rama.is_empty(),
        "{} has no φ/ψ pair to compare",
        pdb.display()
    );
    // DESIGN.md: for several residues, the mean of each residue's 18×18 distance.
    let rama_jsd = |e: &PeptideEnsemble| {
        let per = compare(e, &reference).0;
        per.iter().map(|r| r.ramachandran_jsd).sum::<f64>() / per.len().max(1) as f64
    };

    // The two sides on the same hardware: OpenMM on a GPU platform when walk-jump's
    // network runs on a GPU (falling back to the CPU where OpenMM has none).
    // (wgpu on a software driver such as lavapipe runs on the CPU: OpenMM there too.)
    let wj_kind = resolved_backend(&a.backend)?;
    let on_gpu = wj_kind == BackendKind::Wgpu && gpu_adapter().is_some();
    let platform = match a.openmm_platform.first().map(String::as_str) {
        None | Some("auto") if on_gpu => "best",
        None | Some("auto") => "CPU",
        Some("none") => anyhow::bail!(
            "--versus-md needs OpenMM's speed: give --openmm-platform auto, CPU, CUDA, OpenCL or gpu"
        ),
        Some(p) => p,
    };

    // MD: JSD of growing prefixes of an independent OpenMM run, made now or stored.
    let (md_frames, stored, live) = match a.live_md_seconds {
        Some(s) => {
            let (frames, summary) = live_openmm_run(&a.python, pdb, platform, s, n)?;
            let rate = OpenMmRate::of(&summary);
            (frames, summary, Some(rate))
        }
        None => {
            let frames = read_trajectory(&a.md_traj, n)
                .with_context(|| format!("reading {}", a.md_traj.display()))?
                .frames;
            let mut md_json = a.md_traj.clone().into_os_string();
            md_json.push(".json");
            let md_json = PathBuf::from(md_json);
            let md_json = if md_json.exists() {
                md_json
            } else {
                a.md_traj.with_extension("json")
            };
            let stored = read_summary(&md_json)?;
            let live = live_openmm_rate(&a.python, pdb, platform, &stored);
            (frames, stored, live)
        }
    };
    let measured_now = live.is_some();
    let md_speed = live.unwrap_or_else(|| OpenMmRate::of(&stored));
    let steps_per_s = md_speed.steps_per_s;
    let cost = model_cost(model, &st.topology, &a.training_md, steps_per_s)?;
    let steps_per_frame = stored.save_every_ps * 1000.0 / stored.dt_fs;
    let seconds_per_frame = steps_per_frame / steps_per_s;
    let mut md_ens = PeptideEnsemble::new(&st.topology);
    let mut md_curve = vec![];
    let mut next = checkpoints(md_frames.len()).into_iter().peekable();
    for (i, x) in md_frames.iter().enumerate() {
        md_ens.add(0, x);
        if next.peek() == Some(&(i + 1)) {
            next.next();
            md_curve.push(((i + 1) as f64 * seconds_per_frame, rama_jsd(&md_ens)));
        }
    }

    // Walk-jump, live.
    let sigma = read_model_meta(model)?.sigma;
    let params = WalkParams {
        clip: Some(WalkParams::auto_clip(3 * n, sigma)),
        ..WalkParams::defaults(sigma)
    };
    let start = WalkStart {
        params,
        starts: vec![st.positions.clone()],
        chains: a.wj_chains.max(1),
        seed: 11,
    };
    let mut wj = learned_walk_at(a.wj_walk, wj_kind.name(), model, &st.topology, start)?;
    let backend = wj.denoiser_name();
    let mut wj_ens = PeptideEnsemble::new(&st.topology);
    let mut wj_curve = vec![];
    let t0 = Instant::now();
    let mut steps = 0usize;
    let mut next_eval = 50usize;
    let final_target = TARGETS[TARGETS.len() - 1];
    while t0.elapsed().as_secs_f64() < a.wj_seconds {
        let rep = wj.step()?;
        steps += 1;
        if steps > a.wj_burn_in && rep.jumped {
            for c in 0..wj.chains() {
                wj_ens.add(c, wj.jump_of(c));
            }
        }
        if wj_ens.frames >= next_eval {
            next_eval = (next_eval as f64 * 1.25) as usize + 1;
            let j = rama_jsd(&wj_ens);
            wj_curve.push((t0.elapsed().as_secs_f64(), j));
            if j <= final_target {
                break;
            }
        }
    }
    let wj_seconds = t0.elapsed().as_secs_f64();
    let wj_final = rama_jsd(&wj_ens);

    println!();
    println!(
        "time to Ramachandran JSD (18x18) against {} ({} frames)",
        a.reference.display(),
        md_frames.len().min(reference.frames)
    );
    println!(
        "OpenMM: {:.0} steps/s on {} ({}), {:.3} s per {} ps frame; {} frames of {}",
        steps_per_s,
        md_speed.platform,
        if measured_now {
            "measured now"
        } else {
            "stored run"
        },
        seconds_per_frame,
        stored.save_every_ps,
        md_frames.len(),
        if a.live_md_seconds.is_some() {
            "a live run, now".to_string()
        } else {
            a.md_traj.display().to_string()
        }
    );
    println!(
        "walk-jump: {} chains on {backend}, {steps} steps ({} kept jumps) in {wj_seconds:.1} s, final JSD {wj_final:.3}{}",
        wj.chains(),
        wj_ens.frames,
        wj.chirality_rejections()
            .map(|r| format!("; chirality guard: {r} moves rejected"))
            .unwrap_or_default()
    );
    let fixed = cost.total_seconds();
    if cost.molecule_in_training_data {
        println!(
            "the model saw this molecule: {}. Its cost is added to walk-jump: {:.2e} MD steps of training data = {:.0} s of OpenMM at today's speed{}, plus {:.0} s of training (as recorded) = {:.0} s",
            cost.why,
            cost.training_data_md_steps,
            cost.training_data_seconds_now,
            cost.training_data_seconds_recorded
                .map(|s| format!(" ({s:.0} s when it was made)"))
                .unwrap_or_default(),
            cost.training_seconds_recorded,
            fixed
        );
    } else {
        println!(
            "the model never saw this molecule ({}): no training cost is charged",
            cost.why
        );
    }
    println!(
        "{:>8} {:>12} {:>14} {:>12} {:>10} {:>10} {:>11}",
        "JSD ≤", "walk-jump s", "WJ + model s", "OpenMM s", "OpenMM/WJ", "all costs", "break-even"
    );
    let fmt = |t: Option<f64>| t.map_or("not reached".to_string(), |t| format!("{t:.1}"));
    let mut rows = vec![];
    for target in TARGETS {
        let w = first_below(&wj_curve, target);
        let m = first_below(&md_curve, target);
        let ratio = |w: f64, m: f64| format!("{:.2}", m / w);
        let (r, r_all, even) = match (w, m) {
            (Some(w), Some(m)) => (
                ratio(w, m),
                ratio(w + fixed, m),
                // Runs to the same JSD after which the model has paid for itself.
                if fixed == 0.0 {
                    "0".into()
                } else if m > w {
                    format!("{:.0} runs", (fixed / (m - w)).ceil())
                } else {
                    "never".into()
                },
            ),
            _ => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "{target:>8} {:>12} {:>14} {:>12} {r:>10} {r_all:>10} {even:>11}",
            fmt(w),
            fmt(w.map(|w| w + fixed)),
            fmt(m)
        );
        rows.push(serde_json::json!({"jsd": target, "walkjump_seconds": w,
            "walkjump_seconds_with_model_cost": w.map(|w| w + fixed),
            "openmm_seconds": m, "break_even_runs": even}));
    }
    Ok(serde_json::json!({
        // A live run reads no stored trajectory: say which MD side this was.
        "reference": a.reference,
        "md_traj": if a.live_md_seconds.is_some() { None } else { Some(&a.md_traj) },
        "md_live_seconds": a.live_md_seconds,
        "openmm_steps_per_s": steps_per_s, "openmm_speed_measured_now": measured_now,
        "openmm_platform": md_speed.platform, "walkjump_walk": format!("{:?}", a.wj_walk).to_lowercase(),
        "openmm_seconds_per_frame": seconds_per_frame,
        "walkjump_backend": backend, "walkjump_chains": wj.chains(), "walkjump_steps": steps,
        "walkjump_kept_jumps": wj_ens.frames, "walkjump_seconds": wj_seconds,
        "walkjump_final_jsd": wj_final, "md_final_jsd": md_curve.last().map(|p| p.1),
        "walkjump_chirality_rejections": wj.chirality_rejections(),
        "walkjump_diverged_restarts": wj.restarts(),
        "targets": rows, "walkjump_curve": wj_curve, "md_curve": md_curve,
        "model_cost": cost,
    }))
}
