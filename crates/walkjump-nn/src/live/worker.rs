//! The sampler thread: owns the walk-jump run, its denoiser and its statistics.

use super::reference_md::{MdPoll, ReferenceMd, MD_LABEL};
use super::runfile::{self, RunFile};
use super::{
    LiveConfig, LiveParams, LiveStats, ReferenceMdOptions, SamplerCommand, SamplerEvent, Snapshot,
    StatsView, SystemInfo, SystemSpec,
};
use crate::{load_device_walk, read_model_meta, WalkStart};
use crossbeam::channel::{unbounded, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::collections::VecDeque;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use walkjump_core::analysis::peptide::PeptideEnsemble;
use walkjump_core::analysis::rdf::PairDistanceHistogram;
use walkjump_core::analysis::Hist1d;
use walkjump_core::io::run_info::RunInfo;
use walkjump_core::io::{read_trajectory, write_atomically, TrajectoryWriter};
use walkjump_core::md::{Langevin, LangevinParams};
use walkjump_core::molecule::{load_structure, LoadOptions, Topology};
use walkjump_core::rng::seeded;
use walkjump_core::sampler::{spread_starts, ChiralityGuard, Walk, WalkJump, WalkParams};
use walkjump_core::systems::{self, AnySystem};

/// The GUI's end of the channels. Dropping it stops the thread.
pub struct LiveHandle {
    commands: Sender<SamplerCommand>,
    pub events: Receiver<SamplerEvent>,
    join: Option<JoinHandle<()>>,
}

impl LiveHandle {
    /// False once the sampler thread has ended (it should only on shutdown).
    pub fn is_alive(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }

    /// Never blocks: the channel is unbounded and the worker drains it every step.
    pub fn send(&self, c: SamplerCommand) {
        // The thread is gone only after a panic, which the GUI reports itself.
        self.commands.send(c).ok();
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.commands.send(SamplerCommand::Shutdown).ok();
        if let Some(j) = self.join.take() {
            if j.join().is_err() {
                tracing::warn!("the sampler thread ended in a panic");
            }
        }
    }
}

pub fn spawn(spec: SystemSpec, cfg: LiveConfig) -> LiveHandle {
    let (ctx, crx) = unbounded();
    let (etx, erx) = unbounded();
    let join = std::thread::Builder::new()
        .name("walkjump-sampler".into())
        .spawn(move || Worker::new(cfg, etx).run(spec, crx))
        .expect("spawning the sampler thread");
    LiveHandle {
        commands: ctx,
        events: erx,
        join: Some(join),
    }
}

/// Snapshots are skipped while this many events wait unread: a slow GUI then gets
/// fewer display frames, while the statistics in each still cover every sample.
const MAX_QUEUED: usize = 3;
const SNAPSHOT_EVERY: Duration = Duration::from_millis(33);
const ACF_EVERY: Duration = Duration::from_secs(2);
const TRAIL: usize = 24;

struct Run {
    info: SystemInfo,
    /// The walk, its state on the model's device.
    wj: Box<dyn Walk>,
    stats: LiveStats,
    start: Vec<f64>,
    /// The LJ system, for energies of the jumps.
    cluster: Option<AnySystem>,
    /// Every jump of the run, on disk, for saving.
    run_file: RunFile,
    trail: VecDeque<Vec<f32>>,
    chain: usize,
    params: LiveParams,
    chains_changed: bool,
    param_log: Vec<(u64, LiveParams)>,
    reference_rx: Option<Receiver<ClusterReference>>,
    /// OpenMM running for this peptide's reference (killed when the run is dropped).
    reference_md: Option<ReferenceMd>,
    /// What the status line says about it.
    reference_md_status: Option<String>,
    /// Up to [`MAX_CHAINS`] reference frames spread over it, for
    /// [`SamplerCommand::ResetFromReference`]; empty without a reference.
    reference_starts: Vec<Vec<f64>>,
    started: Instant,
}

/// The most chains the controls allow.
const MAX_CHAINS: usize = 512;

struct Worker {
    cfg: LiveConfig,
    events: Sender<SamplerEvent>,
    run: Option<Run>,
    paused: bool,
    last_snapshot: Instant,
    last_acf: Instant,
    /// (time, kept) pairs of the last few seconds for the sample rate.
    rate_window: VecDeque<(Instant, usize)>,
    last_restart_notice: Instant,
}

impl Worker {
    fn new(cfg: LiveConfig, events: Sender<SamplerEvent>) -> Self {
        let now = Instant::now();
        Worker {
            cfg,
            events,
            run: None,
            paused: false,
            last_snapshot: now,
            last_acf: now,
            rate_window: VecDeque::new(),
            last_restart_notice: now - Duration::from_secs(10),
        }
    }

    fn emit(&self, e: SamplerEvent) {
        // A closed channel means the GUI is gone: there is no one left to tell.
        self.events.send(e).ok();
    }

    fn run(mut self, spec: SystemSpec, commands: Receiver<SamplerCommand>) {
        self.load(spec);
        loop {
            let idle = self.paused || self.run.is_none();
            let cmd = if idle {
                match commands.recv_timeout(Duration::from_millis(100)) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return,
                }
            };
            if let Some(c) = cmd {
                if matches!(c, SamplerCommand::Shutdown) {
                    return;
                }
                self.handle(c);
                continue;
            }
            self.poll_reference();
            self.poll_reference_md();
            if !idle {
                self.step();
            } else if self.last_snapshot.elapsed() > Duration::from_millis(250) {
                // Keep the display alive while paused (cheap: nothing changed).
                self.snapshot(true);
            }
        }
    }

    fn handle(&mut self, c: SamplerCommand) {
        match c {
            SamplerCommand::Pause(p) => {
                self.paused = p;
                self.snapshot(true);
            }
            SamplerCommand::Step => {
                self.step();
                self.snapshot(true);
            }
            SamplerCommand::Reset => self.reset(false),
            SamplerCommand::ResetFromReference => self.reset(true),
            SamplerCommand::SetParams(p) => self.set_params(p),
            SamplerCommand::Load(spec) => self.load(spec),
            SamplerCommand::LoadReference(path) => self.load_reference(&path),
            SamplerCommand::RunReferenceMd(opts) => self.start_reference_md(&opts),
            SamplerCommand::StopReferenceMd => {
                if let Some(r) = self.run.as_mut() {
                    if let Some(mut md) = r.reference_md.take() {
                        md.stop();
                        r.reference_md_status = Some(format!(
                            "reference MD stopped: {} frames ({MD_LABEL})",
                            md.frames
                        ));
                    }
                }
            }
            SamplerCommand::SelectChain(c) => {
                if let Some(r) = self.run.as_mut() {
                    r.chain = c.min(r.wj.chains() - 1);
                    r.trail.clear();
                }
            }
            // The save is an error event when it fails; sampling goes on either way.
            SamplerCommand::SaveEnsemble(path) => match self.save_ensemble(&path) {
                Ok(msg) => self.emit(SamplerEvent::Notice(msg)),
                Err(e) => self.emit(SamplerEvent::Error(format!("{e:#}"))),
            },
            SamplerCommand::SaveMetrics(path) => match self.save_metrics(&path) {
                Ok(msg) => self.emit(SamplerEvent::Notice(msg)),
                Err(e) => self.emit(SamplerEvent::Error(format!("{e:#}"))),
            },
            SamplerCommand::ExportPlots { dir, ext } => {
                let result = match self.run.as_ref() {
                    Some(r) => r.stats.export(&dir, &ext).map_err(anyhow::Error::from),
                    None => Err(anyhow::anyhow!("nothing is loaded")),
                };
                match result {
                    Ok(files) => self.emit(SamplerEvent::Notice(format!(
                        "wrote {} figures to {}",
                        files.len(),
                        dir.display()
                    ))),
                    Err(e) => self.emit(SamplerEvent::Error(format!("exporting figures: {e:#}"))),
                }
            }
            SamplerCommand::Shutdown => {}
        }
    }

    /// Build a run for `spec`; on failure the current run goes on untouched.
    fn load(&mut self, spec: SystemSpec) {
        match build_run(&spec, &self.cfg) {
            Ok(run) => {
                let info = run.info.clone();
                self.run = Some(run);
                self.rate_window.clear();
                for note in &info.load_notes {
                    self.emit(SamplerEvent::Notice(format!("{}: {note}", spec.label())));
                }
                self.emit(SamplerEvent::Loaded(Box::new(info)));
                self.snapshot(true);
            }
            Err(e) => {
                let keep = if self.run.is_some() {
                    "; the previous system keeps running"
                } else {
                    ""
                };
                self.emit(SamplerEvent::Error(format!(
                    "could not open {}: {e:#}{keep}",
                    spec.label()
                )));
            }
        }
    }

    fn load_reference(&mut self, path: &Path) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        if !run.info.is_peptide {
            self.emit(SamplerEvent::Error(
                "a reference trajectory is for peptides; LJ clusters get theirs from MD".into(),
            ));
            return;
        }
        match peptide_reference(&run.info.topology, path) {
            Ok((r, starts)) => {
                // The chosen file replaces what a reference MD was making.
                if run.reference_md.take().is_some() {
                    run.reference_md_status = None;
                }
                run.stats.set_peptide_reference(r);
                run.reference_starts = starts;
                run.info.has_reference = true;
                let info = run.info.clone();
                self.emit(SamplerEvent::Loaded(Box::new(info)));
            }
            Err(e) => self.emit(SamplerEvent::Error(format!(
                "reference {}: {e:#}",
                path.display()
            ))),
        }
    }

    /// Start OpenMM on the open peptide; its frames become the reference as they come.
    fn start_reference_md(&mut self, opts: &ReferenceMdOptions) {
        let root = run_root(&self.cfg);
        let Some(run) = self.run.as_mut() else {
            self.emit(SamplerEvent::Error("open a peptide first".into()));
            return;
        };
        if !run.info.is_peptide {
            self.emit(SamplerEvent::Error(
                "reference MD with OpenMM is for peptides; LJ clusters get theirs from Rust MD"
                    .into(),
            ));
            return;
        }
        if run.reference_md.as_ref().is_some_and(|m| m.running()) {
            self.emit(SamplerEvent::Notice(
                "reference MD is already running".into(),
            ));
            return;
        }
        let n = NEXT_MD.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = root.join(format!("{}-refmd-{n}", std::process::id()));
        match ReferenceMd::start(&run.info.topology, &run.start, dir, opts) {
            Ok(md) => {
                run.reference_md = Some(md);
                let msg = format!(
                    "reference MD: starting ({MD_LABEL}; minimising and {} ps of equilibration before the first frame)",
                    opts.equilibrate_ps
                );
                run.reference_md_status = Some(msg.clone());
                self.emit(SamplerEvent::Notice(msg));
            }
            Err(e) => {
                run.reference_md_status = None;
                self.emit(SamplerEvent::Error(e));
            }
        }
        self.snapshot(true);
    }

    /// Rebuild the reference from the frames the reference MD wrote so far.
    fn poll_reference_md(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let Some(md) = run.reference_md.as_mut() else {
            return;
        };
        let (frames, done) = match md.poll() {
            MdPoll::Nothing => return,
            MdPoll::Frames(f) => (f, false),
            MdPoll::Finished(f) => (f, true),
            MdPoll::Failed(why) => {
                let had = md.frames;
                run.reference_md = None;
                run.reference_md_status = Some(format!(
                    "reference MD failed after {had} frames ({MD_LABEL})"
                ));
                self.emit(SamplerEvent::Error(why));
                return;
            }
        };
        let n = frames.len();
        let (r, starts) = reference_from_frames(&run.info.topology, &frames);
        run.stats.set_peptide_reference(r);
        run.reference_starts = starts;
        let status = if done {
            run.reference_md = None;
            format!("reference MD done: {n} frames ({MD_LABEL})")
        } else {
            format!("reference MD: {n} frames ({MD_LABEL})")
        };
        run.reference_md_status = Some(status.clone());
        let first = !run.info.has_reference;
        run.info.has_reference = true;
        let info = run.info.clone();
        if first || done {
            self.emit(SamplerEvent::Notice(status));
        }
        if first {
            self.emit(SamplerEvent::Loaded(Box::new(info)));
        }
        self.snapshot(true);
    }

    fn poll_reference(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let Some(rx) = &run.reference_rx else {
            return;
        };
        match rx.try_recv() {
            Ok(Ok((h_r, energies))) => {
                run.stats.set_cluster_reference(h_r, energies);
                run.reference_rx = None;
                run.info.has_reference = true;
                let info = run.info.clone();
                self.emit(SamplerEvent::Loaded(Box::new(info)));
            }
            Ok(Err(why)) => {
                run.reference_rx = None;
                self.emit(SamplerEvent::Error(format!(
                    "the reference MD for the h(r) and energy panels failed ({why}); sampling goes on without a reference"
                )));
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                run.reference_rx = None;
                self.emit(SamplerEvent::Error(
                    "the reference MD thread ended without a result; sampling goes on without a reference".into(),
                ));
            }
        }
    }

    /// Back to step 0 with the statistics cleared, every chain from the starting
    /// structure or (`from_reference`) from frames spread over the reference.
    fn reset(&mut self, from_reference: bool) {
        let seed = self.cfg.seed;
        let root = run_root(&self.cfg);
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let starts = if from_reference {
            if run.reference_starts.is_empty() {
                self.emit(SamplerEvent::Error(
                    "no reference frames to start from: open a reference trajectory or run reference MD first".into(),
                ));
                return;
            }
            spread_starts(&run.reference_starts, run.params.chains)
        } else {
            vec![run.start.clone()]
        };
        let told = if from_reference {
            format!(
                "reset: each chain starts from a reference frame ({} spread over it); \
                 a model whose density is right keeps the reference's ensemble",
                starts.len()
            )
        } else {
            "reset to the starting structure".to_string()
        };
        let dim = run.wj.dim();
        let old = std::mem::replace(&mut run.wj, idle_walk(dim));
        match old.rebuilt(
            walk_params(&run.params, dim),
            starts,
            run.params.chains,
            seed,
        ) {
            Ok(mut wj) => {
                // The guard's counts start over with the statistics.
                let guard = wj.chirality_guard().map(ChiralityGuard::cleared);
                wj.set_guard(guard);
                run.wj = wj;
                run.stats = run.stats.cleared();
                run.run_file = RunFile::create(&root, dim);
                run.trail.clear();
                run.param_log = vec![(0, run.params)];
                run.chains_changed = false;
                run.started = Instant::now();
                self.rate_window.clear();
                self.emit(SamplerEvent::Notice(told));
                self.snapshot(true);
            }
            Err(e) => {
                self.run = None;
                self.emit(SamplerEvent::Error(format!("reset failed: {e}")));
            }
        }
    }

    fn set_params(&mut self, p: LiveParams) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        let p = LiveParams {
            chains: p.chains.clamp(1, MAX_CHAINS),
            jump_every: p.jump_every.max(1),
            ..p
        };
        let dim = run.wj.dim();
        let wp = walk_params(&p, dim);
        if let Err(e) = wp.validate() {
            self.emit(SamplerEvent::Error(format!("parameters not applied: {e}")));
            return;
        }
        if p.chains != run.wj.chains() {
            // New chains continue from the current jumps of the old ones.
            let starts: Vec<Vec<f64>> = (0..run.wj.chains())
                .map(|c| run.wj.jump_of(c).to_vec())
                .collect();
            let steps = run.wj.steps();
            let old = std::mem::replace(&mut run.wj, idle_walk(dim));
            match old.rebuilt(wp, starts, p.chains, self.cfg.seed ^ steps) {
                Ok(wj) => {
                    run.wj = wj;
                    run.chains_changed = true;
                    run.chain = run.chain.min(p.chains - 1);
                }
                Err(e) => {
                    self.emit(SamplerEvent::Error(format!(
                        "could not change the number of chains: {e}"
                    )));
                    self.run = None;
                    return;
                }
            }
        } else if let Err(e) = run.wj.set_params(wp) {
            self.emit(SamplerEvent::Error(format!("parameters not applied: {e}")));
            return;
        }
        if let Some(ts) = run.info.trained_sigma {
            if (p.sigma - ts).abs() > 1e-9 && (run.params.sigma - ts).abs() <= 1e-9 {
                self.events
                    .send(SamplerEvent::Notice(format!(
                        "the model was trained at σ = {ts}; at σ = {} its jumps are approximate",
                        p.sigma
                    )))
                    .ok();
            }
        }
        run.params = p;
        run.info.params = p;
        run.param_log.push((run.wj.steps(), p));
        self.snapshot(true);
    }

    fn step(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        // A panic inside a backend must not take the thread (and every sample) down.
        let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.wj.step()));
        let rep = match stepped {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                self.paused = true;
                self.emit(SamplerEvent::Error(format!("sampling paused: {e}")));
                return;
            }
            Err(_) => {
                self.paused = true;
                self.emit(SamplerEvent::Error(
                    "sampling paused: the denoiser failed inside its backend; reset or open another system".into(),
                ));
                return;
            }
        };
        if !rep.restarted.is_empty() && self.last_restart_notice.elapsed() > Duration::from_secs(1)
        {
            self.last_restart_notice = Instant::now();
            self.events.send(SamplerEvent::Notice(format!(
                "chain(s) {:?} diverged and were restarted from the start structure ({} restarts so far)",
                rep.restarted, run.wj.restarts()
            ))).ok();
        }
        if rep.jumped {
            for c in 0..run.wj.chains() {
                let x = run.wj.jump_of(c);
                let energy = run.cluster.as_ref().map(|s| s.as_system().energy(x));
                run.stats.add(c, x, energy);
                run.run_file.append(x);
            }
            if let Some(problem) = run.run_file.take_problem() {
                // Once; sampling and the statistics go on without the run file.
                self.events.send(SamplerEvent::Error(problem)).ok();
            }
            let c = run.chain;
            run.trail
                .push_back(run.wj.jump_of(c).iter().map(|&v| v as f32).collect());
            if run.trail.len() > TRAIL {
                run.trail.pop_front();
            }
        }
        if self.last_acf.elapsed() > ACF_EVERY {
            self.last_acf = Instant::now();
            if let Some(r) = self.run.as_mut() {
                r.stats.update_acf();
            }
        }
        self.snapshot(false);
    }

    fn snapshot(&mut self, force: bool) {
        if !force && self.last_snapshot.elapsed() < SNAPSHOT_EVERY {
            return;
        }
        if self.events.len() >= MAX_QUEUED {
            return;
        }
        let Some(run) = self.run.as_ref() else {
            return;
        };
        self.last_snapshot = Instant::now();
        let now = Instant::now();
        self.rate_window.push_back((now, run.stats.kept));
        while self.rate_window.len() > 2
            && now.duration_since(self.rate_window[0].0) > Duration::from_secs(3)
        {
            self.rate_window.pop_front();
        }
        let rate = match (self.rate_window.front(), self.rate_window.back()) {
            (Some(a), Some(b)) if b.0 > a.0 && !self.paused => {
                (b.1 - a.1.min(b.1)) as f64 / b.0.duration_since(a.0).as_secs_f64()
            }
            _ => 0.0,
        };
        let c = run.chain;
        let to32 = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let snap = Snapshot {
            step: run.wj.steps(),
            chain: c,
            y: to32(run.wj.y_of(c)),
            x: to32(run.wj.jump_of(c)),
            trail: run.trail.iter().cloned().collect(),
            kept: run.stats.kept,
            saveable: run.run_file.frames(),
            samples_per_second: rate,
            params: run.params,
            restarts: run.wj.restarts(),
            rejections: run.wj.chirality_rejections(),
            paused: self.paused,
            stats: residue_rejections(run.stats.view(), run.wj.chirality_guard()),
            reference_md: run.reference_md_status.clone(),
        };
        self.emit(SamplerEvent::Snapshot(Box::new(snap)));
    }

    /// Every jump of the run, read back from the run file, written atomically.
    fn save_ensemble(&mut self, path: &Path) -> anyhow::Result<String> {
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("nothing is loaded"))?;
        let jumps = run.stats.kept;
        anyhow::ensure!(jumps > 0, "no samples yet");
        let chains = if run.chains_changed {
            1
        } else {
            run.wj.chains()
        };
        run.run_file.sync();
        // Frames are step-major: a run file that stopped mid-step ends at a whole step.
        let frames = run.run_file.frames() / chains * chains;
        if frames == 0 {
            anyhow::bail!(
                "the run holds {jumps} jumps, but none could be kept for saving: {}",
                run.run_file.problem().unwrap_or("the run file is empty")
            );
        }
        let mut out = TrajectoryWriter::create(path, &run.info.topology)?;
        let mut written = 0usize;
        run.run_file.for_each(frames, |x| {
            written += 1;
            out.write_frame(x)
        })?;
        anyhow::ensure!(
            written == frames,
            "the run file {} ended after {written} of {frames} jumps",
            run.run_file.path().display()
        );
        out.finish()?;
        let info = RunInfo {
            command: "gui".into(),
            system: run.info.name.clone(),
            chains,
            frames_per_chain: frames / chains,
            params: serde_json::json!({
                "denoiser": run.info.denoiser,
                "parameter_history": run.param_log.iter()
                    .map(|(s, p)| serde_json::json!({"from_step": s, "params": p}))
                    .collect::<Vec<_>>(),
                "chains_changed_during_run": run.chains_changed,
                "jumps_in_run": jumps,
                "frames_saved": frames,
                "run_file_problem": run.run_file.problem(),
            }),
            diverged_restarts: run.wj.restarts(),
            chirality_rejections: run.wj.chirality_rejections(),
            wall_seconds: run.started.elapsed().as_secs_f64(),
        };
        info.save(path)?;
        Ok(if frames == jumps {
            format!(
                "saved {frames} frames (all {jumps} jumps of this run) to {}",
                path.display()
            )
        } else {
            let why = run
                .run_file
                .problem()
                .unwrap_or("the run file stopped part way through a step");
            format!(
                "saved {frames} frames to {}: {frames} of the {jumps} jumps of this run ({why})",
                path.display()
            )
        })
    }

    fn save_metrics(&self, path: &Path) -> anyhow::Result<String> {
        let run = self
            .run
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("nothing is loaded"))?;
        let v = serde_json::json!({
            "system": run.info.name,
            "denoiser": run.info.denoiser,
            "steps": run.wj.steps(),
            "kept_samples": run.stats.kept,
            "restarts": run.wj.restarts(),
            "chirality_rejections": run.wj.chirality_rejections(),
            "parameter_history": run.param_log.iter()
                .map(|(s, p)| serde_json::json!({"from_step": s, "params": p}))
                .collect::<Vec<_>>(),
            "stats": run.stats.view(),
        });
        write_atomically(path, serde_json::to_string_pretty(&v)?.as_bytes())?;
        Ok(format!("saved metrics to {}", path.display()))
    }
}

/// A one-chain walk with a do-nothing denoiser: what stands in a run while its real
/// walk is rebuilt around the same denoiser.
fn idle_walk(dim: usize) -> Box<dyn Walk> {
    Box::new(
        WalkJump::new(
            WalkParams::defaults(1.0),
            // A placeholder that lets a WalkJump be moved out of a run for a moment.
            Box::new(walkjump_core::denoiser::Identity { dim }),
            vec![vec![0.0; dim]],
            1,
            0,
        )
        .expect("an idle placeholder always builds"),
    )
}

/// Where this sampler's run files go.
fn run_root(cfg: &LiveConfig) -> std::path::PathBuf {
    cfg.run_dir.clone().unwrap_or_else(runfile::default_root)
}

fn walk_params(p: &LiveParams, dim: usize) -> WalkParams {
    WalkParams {
        gamma: p.gamma,
        dt: p.dt,
        mass: p.mass,
        jump_every: p.jump_every,
        clip: Some(WalkParams::auto_clip(dim, p.sigma)),
        ..WalkParams::defaults(p.sigma)
    }
}

/// A peptide's reference from a trajectory file: see [`reference_from_frames`].
fn peptide_reference(
    topology: &Topology,
    path: &Path,
) -> anyhow::Result<(PeptideEnsemble, Vec<Vec<f64>>)> {
    let t = read_trajectory(path, topology.n_atoms())?;
    anyhow::ensure!(!t.frames.is_empty(), "the trajectory has no frames");
    Ok(reference_from_frames(topology, &t.frames))
}

/// The reference ensemble of `frames`, and up to [`MAX_CHAINS`] of them spread over
/// the run as chain starts.
fn reference_from_frames(
    topology: &Topology,
    frames: &[Vec<f64>],
) -> (PeptideEnsemble, Vec<Vec<f64>>) {
    let mut e = PeptideEnsemble::new(topology);
    for x in frames {
        e.add(0, x);
    }
    (e, spread_starts(frames, MAX_CHAINS))
}

/// Numbers the reference MD folders of this process.
static NEXT_MD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn build_run(spec: &SystemSpec, cfg: &LiveConfig) -> anyhow::Result<Run> {
    let backend = cfg.backend.resolve();
    let mut load_notes = vec![];
    let mut reference_starts = vec![];
    let (name, topology, start, model, cluster, stats, reference_rx, is_peptide) = match spec {
        SystemSpec::Molecule {
            pdb,
            model,
            reference,
        } => {
            let st = load_structure(pdb, LoadOptions::default())?;
            load_notes = st.notes.clone();
            // A folder of models: pick the molecule's own, else the transferable one.
            let model = if model.is_dir() {
                let c = crate::choice::choose_model(&st.topology, model)?;
                load_notes.push(c.reason);
                c.path
            } else {
                model.clone()
            };
            let ens = PeptideEnsemble::new(&st.topology);
            let is_peptide = !ens.rama_pairs.is_empty();
            let reference = match reference {
                Some(p) if is_peptide => {
                    let (r, starts) = peptide_reference(&st.topology, p)
                        .map_err(|e| anyhow::anyhow!("reference {}: {e:#}", p.display()))?;
                    reference_starts = starts;
                    Some(r)
                }
                _ => None,
            };
            let stats = LiveStats::peptide(ens, reference);
            (
                spec.label(),
                st.topology,
                st.positions,
                model,
                None,
                stats,
                None,
                is_peptide,
            )
        }
        SystemSpec::Cluster { name, model } => {
            let any = systems::by_name(name)?;
            anyhow::ensure!(
                matches!(any, AnySystem::Lj(_)),
                "{name} is not an LJ cluster"
            );
            let sys = any.as_system();
            let topology = sys.topology();
            let start = sys.initial(&mut seeded(cfg.seed));
            let stats = LiveStats::cluster(topology.n_atoms());
            let rx = spawn_cluster_reference(name.clone(), cfg.seed);
            (
                name.clone(),
                topology,
                start,
                model.clone(),
                Some(any),
                stats,
                Some(rx),
                false,
            )
        }
    };
    let in_model = |e: walkjump_core::Error| anyhow::anyhow!("model {}: {e}", model.display());
    let sigma = read_model_meta(&model).map_err(in_model)?.sigma;
    let defaults = LiveParams::defaults(sigma, cfg.chains.max(1));
    let dim = start.len();
    let walk_start = WalkStart {
        params: walk_params(&defaults, dim),
        starts: vec![start.clone()],
        chains: defaults.chains,
        seed: cfg.seed,
    };
    let wj = load_device_walk(backend, &model, &topology, walk_start).map_err(in_model)?;
    let denoiser = wj.denoiser_name();
    let info = SystemInfo {
        spec: spec.clone(),
        name,
        is_cluster: cluster.is_some(),
        topology,
        is_peptide,
        denoiser,
        trained_sigma: Some(sigma),
        defaults,
        params: defaults,
        has_reference: stats.has_reference(),
        load_notes,
    };
    Ok(Run {
        info,
        wj,
        stats,
        start,
        cluster,
        run_file: RunFile::create(&run_root(cfg), dim),
        trail: VecDeque::new(),
        chain: 0,
        params: defaults,
        chains_changed: false,
        param_log: vec![(0, defaults)],
        reference_rx,
        reference_md: None,
        reference_md_status: None,
        reference_starts,
        started: Instant::now(),
    })
}

/// Reference h(r) and energies of an LJ cluster from Rust BAOAB MD, on a helper
/// thread so that sampling starts at once.
/// h(r) and energies of reference MD for a cluster, or why it could not be made.
type ClusterReference = std::result::Result<(Hist1d, Vec<f64>), String>;

/// Reference MD for a cluster's panels, on its own thread (seconds of work); the
/// result, or the reason it failed, arrives on the returned channel.
fn spawn_cluster_reference(name: String, seed: u64) -> Receiver<ClusterReference> {
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        let result = (|| -> ClusterReference {
            let any = systems::by_name(&name).map_err(|e| e.to_string())?;
            let sys = any.as_system();
            let mut rng = seeded(seed ^ 0x4d44);
            let params = LangevinParams {
                dt: 0.005,
                ..Default::default()
            };
            let mut md =
                Langevin::new(sys, params, sys.initial(&mut rng)).map_err(|e| e.to_string())?;
            let mut h = PairDistanceHistogram::new(sys.topology().n_atoms());
            let mut energies = vec![];
            for i in 0..102_000 {
                md.step(&mut rng).map_err(|e| e.to_string())?;
                if i >= 2_000 && i % 20 == 0 {
                    h.add_frame(&md.x);
                    energies.push(sys.energy(&md.x));
                }
            }
            Ok((h.hist, energies))
        })();
        // The receiver is gone when the run was replaced meanwhile: nothing to tell.
        tx.send(result).ok();
    });
    rx
}

/// `view` with each residue's count of the moves the chirality guard rejected for it.
fn residue_rejections(mut view: StatsView, guard: Option<&ChiralityGuard>) -> StatsView {
    if let Some(g) = guard {
        for r in &mut view.rama {
            r.guard_rejections = g.rejections_of(&r.residue);
        }
    }
    view
}
