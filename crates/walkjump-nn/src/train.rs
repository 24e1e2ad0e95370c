//! Training a denoiser at fixed σ: denoising score matching (DSM), the force-based
//! target of PSM where forces are in the data, or a mix of the two.
//!
//! For a clean frame x and y = x + σε, DSM regresses x̂(y) on x. PSM uses
//! E[x | y] = y + σ² E[∇log p(x) | y] (the smoothed score is the average force/k_BT
//! under p(x | y)), i.e. it regresses x̂(y) on y + σ² f(x) with f = F/k_BT; its target
//! does not inherit the bias of where the frames came from. Its noise is σ²·|f|, not
//! bounded by σ as DSM's is: small where σ is small against the potential's
//! stiffness (LJ at σ = 0.05), but at σ = 0.4 Å on a peptide σ²·f has an RMS of
//! ~5.5 Å per coordinate (stiff bonds), ~14× the DSM target's bound, so there it
//! costs ~200× the examples for the same gradient noise. [`psm_target_noise`]
//! measures it and `train` warns.

use super::average::WeightAverage;
use super::features::{mean_squared_edge, mean_squared_pair_within, Vocabulary};
use super::model::{LearnedModel, ModelMeta, Scalings};
use super::network::{EquivariantNet, Graph, NetConfig};
use super::schedule::CosineSchedule;
use super::trainer::{run_training, TrainLoop, TrainProgress, Trainer};
use burn::module::AutodiffModule;
use burn::module::Module;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsAccumulator, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use rand::Rng;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use walkjump_core::analysis::torsion_force::{generators, TorsionGenerator};
use walkjump_core::error::{Error, Result};
use walkjump_core::geometry::{centre, kabsch, rotate};
use walkjump_core::molecule::Topology;
use walkjump_core::rng::{fill_normal, seeded, WjRng};

/// Frames (and optionally forces divided by k_BT) of one molecule.
pub struct TrainData {
    pub topology: Topology,
    pub molecule: String,
    pub length_unit: String,
    pub frames: Vec<Vec<f64>>,
    pub forces: Option<Vec<Vec<f64>>>,
}

impl TrainData {
    /// Refuse data that would train garbage, saying what and where.
    pub fn validate(&self, need_forces: bool) -> Result<()> {
        let dim = 3 * self.topology.n_atoms();
        if self.frames.len() < 10 {
            return Err(Error::Parameter(format!(
                "only {} frames: need at least 10 to train and validate",
                self.frames.len()
            )));
        }
        let check = |what: &str, set: &[Vec<f64>]| -> Result<()> {
            for (i, f) in set.iter().enumerate() {
                if f.len() != dim {
                    return Err(Error::Parameter(format!(
                        "{what} frame {i} has {} atoms but the topology has {}",
                        f.len() / 3,
                        dim / 3
                    )));
                }
                if let Some(k) = f.iter().position(|v| !v.is_finite()) {
                    return Err(Error::Parameter(format!(
                        "{what} frame {i} has a non-finite value at atom {}",
                        k / 3 + 1
                    )));
                }
            }
            Ok(())
        };
        check("coordinate", &self.frames)?;
        // A D residue in data meant to be L teaches the model mirror images, and its
        // Ramachandran is the mirror of the L residue's: refuse it, and an allo Ile or
        // Thr likewise. (No stereocentre inverts in MD at 300 K, so this is a builder's
        // error, seen in every frame.)
        let mirrored: Vec<String> =
            walkjump_core::analysis::chirality::d_residues(&self.topology, &self.frames)
                .into_iter()
                .map(|(label, f, form)| format!("{label} ({form}, {:.0} % of frames)", 100.0 * f))
                .collect();
        if !mirrored.is_empty() {
            return Err(Error::Parameter(format!(
                "D-amino acid or allo form at {}: training data must be L-peptides; rebuild \
                 the molecule with walkjump build (tools/openmm/peptide_build.py does) and \
                 rerun its MD",
                mirrored.join(", ")
            )));
        }
        // Likewise a cis peptide bond (not before a proline): it never turns trans in a
        // run, so every frame would teach a bond that proteins almost never have.
        let cis: Vec<String> =
            walkjump_core::analysis::peptide_bond::cis_bonds(&self.topology, &self.frames)
                .into_iter()
                .map(|(label, f)| format!("{label} ({:.0} % of frames)", 100.0 * f))
                .collect();
        if !cis.is_empty() {
            return Err(Error::Parameter(format!(
                "cis peptide bond at {}: training data must have trans bonds except before a \
                 proline; rebuild the molecule with walkjump build (tools/openmm/peptide_build.py \
                 does) and rerun its MD",
                cis.join(", ")
            )));
        }
        match &self.forces {
            Some(f) => {
                if f.len() != self.frames.len() {
                    return Err(Error::Parameter(format!(
                        "{} force frames for {} coordinate frames",
                        f.len(),
                        self.frames.len()
                    )));
                }
                check("force", f)?;
            }
            None if need_forces => {
                return Err(Error::Parameter(
                    "the PSM objective needs forces, and none were given (--forces)".into(),
                ))
            }
            None => {}
        }
        Ok(())
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub sigma: f64,
    pub steps: usize,
    pub batch: usize,
    pub learning_rate: f64,
    /// Weight of the PSM (force) target: 0 is pure DSM, 1 pure PSM.
    pub psm_weight: f64,
    /// The last part of the frames, held out for validation.
    pub validation_fraction: f64,
    pub validate_every: usize,
    pub checkpoint_every: usize,
    pub seed: u64,
    pub net: NetConfig,
    /// Start from the weights of this model (same network settings; its σ may differ)
    /// instead of random ones: to train on after a run has ended.
    #[serde(default)]
    pub init_from: Option<PathBuf>,
    /// Stop after this many seconds of this run even if `steps` are not done. The
    /// learning-rate schedule follows whichever budget runs out first, so a run cut
    /// by time still ends at the low rate.
    #[serde(default)]
    pub max_seconds: Option<f64>,
    /// C of the normalisation over all atom pairs closer than this (JAMUN's choice,
    /// the graph's edges; the CLI's default, 10 Å); None: over the bonds only (every
    /// model made before December 6).
    #[serde(default)]
    pub c_radius: Option<f64>,
    /// Start from this model's weights although its vocabulary differs (same network
    /// settings; its σ may differ): rows of atoms it knows are carried over, the others
    /// start fresh.
    #[serde(default)]
    pub warm_start: Option<PathBuf>,
    /// Extra weight on the error of x̂ along each torsion's direction ∂y/∂θ (unit
    /// length, from y alone, so the optimum is still E[x | y]): the walk integrates the
    /// score along these soft directions, where plain DSM, an average over all 3N
    /// coordinates, learns it least (`analysis::torsion_force`). 0: plain DSM.
    #[serde(default)]
    pub torsion_weight: f64,
    /// Write (and validate) the exponential moving average of the weights with this
    /// decay per step instead of the last step's weights; 0: the last step's
    /// (`crate::average`).
    #[serde(default)]
    pub ema: f64,
    /// Threads a step's batch is split over, each group's forward and backward on
    /// its own (CPU backends; 0 or 1: one). How a run was computed, not a setting
    /// of the model, so not saved.
    #[serde(skip)]
    pub threads: usize,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct CurvePoint {
    pub step: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
    /// RMS error of x̂ against the clean frame on held-out data, per atom, in the data's
    /// length unit (the DSM error whatever the objective).
    pub validation_rmsd: f64,
    /// With `TrainConfig::ema`, the reported loss and RMSD are the averaged weights';
    /// this is the last step's own RMSD beside them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step_rmsd: Option<f64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TrainSummary {
    pub config: Option<TrainConfig>,
    pub molecule: String,
    pub frames_train: usize,
    pub frames_validation: usize,
    pub parameters: usize,
    pub c_data: f64,
    pub curve: Vec<CurvePoint>,
    pub final_validation_rmsd: f64,
    /// RMSD of the trivial denoiser x̂ = c_skip·y (what the network must beat).
    pub baseline_validation_rmsd: f64,
    pub wall_seconds: f64,
    pub samples_per_second: f64,
    pub resumed_from_step: usize,
    /// Steps actually taken (fewer than configured when a time budget ended the run).
    #[serde(default)]
    pub steps_done: usize,
    /// Residue sequences of the training molecules ("ACE-ALA-NME"): what the model has
    /// seen, so a benchmark knows whether a molecule's MD cost belongs to it.
    #[serde(default)]
    pub sequences: Vec<String>,
    /// Training molecules with a residue that moved between Ramachandran basins fewer
    /// than `basin::MIN_BASIN_CHANGES` times ("QL: GLN2 0, LEU3 1"): their runs teach
    /// the populations of where they started, not of equilibrium. Empty for models
    /// trained before December 8, which did not look.
    #[serde(default)]
    pub few_basin_moves: Vec<String>,
}

/// "QL: GLN2 0, LEU3 1" for every molecule with a residue that moved between basins
/// fewer than `MIN_BASIN_CHANGES` times, those with the fewest moves first.
fn few_basin_moves(data: &[TrainData]) -> Vec<String> {
    use walkjump_core::analysis::basin::{few_changes, MIN_BASIN_CHANGES};
    let mut few: Vec<(usize, String)> = data
        .iter()
        .filter_map(|d| {
            let f = few_changes(&d.topology, &d.frames, MIN_BASIN_CHANGES);
            let least = f.iter().map(|(_, n)| *n).min()?;
            let list: Vec<String> = f.iter().map(|(l, n)| format!("{l} {n}")).collect();
            Some((least, format!("{}: {}", d.molecule, list.join(", "))))
        })
        .collect();
    few.sort_by_key(|(n, _)| *n);
    few.into_iter().map(|(_, s)| s).collect()
}

/// Residue names in order, joined by "-": what "the same molecule" means for a peptide.
pub fn residue_sequence(t: &Topology) -> String {
    t.residues
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join("-")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CheckpointState {
    step: usize,
    summary: TrainSummary,
}

/// Where a run's checkpoint lives beside its output.
struct CheckpointPaths {
    model: PathBuf,
    optim: PathBuf,
    state: PathBuf,
    /// The averaged weights (`TrainConfig::ema`).
    average: PathBuf,
}

impl CheckpointPaths {
    fn beside(out: &Path) -> Self {
        let s = out.as_os_str().to_string_lossy().to_string();
        Self {
            model: PathBuf::from(format!("{s}.ckpt")),
            optim: PathBuf::from(format!("{s}.ckpt-optim")),
            state: PathBuf::from(format!("{s}.ckpt.json")),
            average: PathBuf::from(format!("{s}.ckpt-ema")),
        }
    }
}

/// Refuse weights `from` that cannot go on under this run: other network settings or
/// σ.
fn check_fits(from: &Path, meta: &ModelMeta, cfg: &TrainConfig) -> Result<()> {
    if meta.sigma != cfg.sigma {
        return Err(Error::Parameter(format!(
            "{} was trained at σ = {}, this run at σ = {}; a checkpoint goes on at its own σ",
            from.display(),
            meta.sigma,
            cfg.sigma
        )));
    }
    check_net(from, meta, cfg)
}

/// Weights to start from must have this run's network; their σ may differ. The
/// normalisation (c_in, c_skip, c_out) follows σ, so the same F is a close start for
/// a nearby σ, and the run then trains it at this run's σ.
fn check_net(from: &Path, meta: &ModelMeta, cfg: &TrainConfig) -> Result<()> {
    if meta.net != cfg.net {
        return Err(Error::Parameter(format!(
            "{} has other network settings than this run asks for (hidden, layers, \
             bases, cutoff or pairs)",
            from.display()
        )));
    }
    if meta.sigma != cfg.sigma {
        tracing::info!(
            "{} was trained at σ = {}; this run trains its weights at σ = {}",
            from.display(),
            meta.sigma,
            cfg.sigma
        );
    }
    Ok(())
}

/// The normalisation constant C of a run that goes on from trained weights: theirs.
/// The network sees c_in·y with c_in = 1/√(C + 6σ²), so its filters belong to the C
/// they were trained with, whatever these data alone would give (alanine dipeptide
/// alone gives 17.1 Å², the peptide set 28.2 Å² with JAMUN's radius C; bond-C and
/// radius-C differ ~17×). Until December 7 a run whose data gave another C was
/// refused, which made a transferable model impossible to fine-tune on one molecule.
fn adopt_c(from: &Path, meta: &ModelMeta, c_data: f64) -> f64 {
    if (meta.c_data / c_data - 1.0).abs() > 0.1 {
        tracing::info!(
            "{} was trained with normalisation constant C = {:.2}; these data alone give \
             {c_data:.2}, and the run keeps the model's so that its weights see the input \
             scale they learned",
            from.display(),
            meta.c_data
        );
    }
    meta.c_data
}

/// RMS per coordinate of σ²·f over every force frame of `data` (0 without forces):
/// the noise the PSM target carries on top of E[x | y], where DSM's is at most σ.
pub fn psm_target_noise(data: &[TrainData], sigma: f64) -> f64 {
    let (mut sq, mut m) = (0.0, 0usize);
    for f in data.iter().filter_map(|d| d.forces.as_ref()).flatten() {
        sq += f.iter().map(|v| v * v).sum::<f64>();
        m += f.len();
    }
    if m == 0 {
        return 0.0;
    }
    sigma * sigma * (sq / m as f64).sqrt()
}

/// One noisy example: the rotated-back noisy input and its regression target.
struct Example {
    y: Vec<f64>,
    target: Vec<f64>,
    clean: Vec<f64>,
}

/// Unit directions ∂y/∂θ of every torsion of `gens` at `y`, one after the other.
fn torsion_directions(gens: &[TorsionGenerator], y: &[f64]) -> Vec<f64> {
    let d = y.len();
    let mut out = vec![0.0; gens.len() * d];
    for (g, row) in gens.iter().zip(out.chunks_mut(d)) {
        g.direction(y, row);
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    out
}

fn make_example(x: &[f64], f: Option<&[f64]>, sigma: f64, w: f64, rng: &mut WjRng) -> Example {
    let mut x = x.to_vec();
    centre(&mut x);
    let mut eps = vec![0.0; x.len()];
    fill_normal(rng, &mut eps);
    let mut y: Vec<f64> = x.iter().zip(&eps).map(|(a, e)| a + sigma * e).collect();
    centre(&mut y);
    // Rotating y onto x removes a rotation the network would otherwise have to guess.
    let r = kabsch(&y, &x);
    rotate(&mut y, &r);
    let target = match f {
        Some(f) if w > 0.0 => {
            let mut f = f.to_vec();
            centre(&mut f);
            x.iter()
                .zip(&y)
                .zip(&f)
                .map(|((xi, yi), fi)| (1.0 - w) * xi + w * (yi + sigma * sigma * fi))
                .collect()
        }
        _ => x.clone(),
    };
    Example {
        y,
        target,
        clean: x,
    }
}

fn stack<B: burn::tensor::backend::Backend>(
    rows: &[&[f64]],
    n: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    let flat: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().map(|&v| v as f32))
        .collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), n, 3]), device)
}

/// The molecule denoiser's [`Trainer`]: DSM/PSM steps on random training frames,
/// validation on fixed noisy held-out frames, checkpoints beside the output.
struct MoleculeTrainer<'a, B: AutodiffBackend> {
    /// One molecule, or many for a transferable model (each batch from one of them,
    /// since a batch shares one dense pair graph).
    data: &'a [TrainData],
    cfg: &'a TrainConfig,
    n_train: Vec<usize>,
    /// Always there between steps (an optimiser step takes the network by value).
    model: Option<LearnedModel<B>>,
    /// The weights' moving average, when the run keeps one (`TrainConfig::ema`).
    average: Option<WeightAverage<EquivariantNet<B::InnerBackend>>>,
    optim: OptimizerAdaptor<Adam, EquivariantNet<B>, B>,
    graphs: Vec<Graph<B>>,
    /// Per molecule, its torsions' generators (for `TrainConfig::torsion_weight`;
    /// empty when it is 0).
    torsions: Vec<Vec<TorsionGenerator>>,
    /// A fixed validation set per molecule: held-out frames with fixed noise.
    val: Vec<Vec<Example>>,
    /// The graphs on the backend without autodiff, built once for all validations.
    val_graphs: Vec<Graph<B::InnerBackend>>,
    sc: Scalings,
    rng: WjRng,
    /// The training losses since the last validation.
    recent: f64,
    recent_n: usize,
    summary: TrainSummary,
    checkpoints: CheckpointPaths,
    device: B::Device,
}

impl<B: AutodiffBackend> MoleculeTrainer<'_, B> {
    fn model(&self) -> &LearnedModel<B> {
        self.model
            .as_ref()
            .expect("the model is back after each step")
    }

    fn inv_cout2(&self) -> f64 {
        1.0 / (self.sc.c_out * self.sc.c_out)
    }

    /// The weights a run writes: the average where it keeps one, else the last step's.
    fn written(&self) -> LearnedModel<B::InnerBackend> {
        let model = self.model();
        LearnedModel {
            meta: model.meta.clone(),
            net: match &self.average {
                Some(a) => a.average.clone(),
                None => model.net.valid(),
            },
        }
    }

    /// Validation loss, RMSD of x̂ and RMSD of c_skip·y of `inner_model` on the
    /// held-out examples.
    fn evaluate(&self, inner_model: &LearnedModel<B::InnerBackend>) -> (f64, f64, f64) {
        let (sc, inv_cout2) = (self.sc, self.inv_cout2());
        let (mut loss, mut sq, mut base, mut m) = (0.0, 0.0, 0.0, 0.0);
        for ((val, graph), d) in self.val.iter().zip(&self.val_graphs).zip(self.data) {
            let n = d.topology.n_atoms();
            m += (val.len() * n) as f64;
            for chunk in val.chunks(64) {
                let ys: Vec<&[f64]> = chunk.iter().map(|e| e.y.as_slice()).collect();
                let y = stack::<B::InnerBackend>(&ys, n, &self.device);
                let xhat: Vec<f32> = inner_model
                    .denoise_centred(y, graph)
                    .into_data()
                    .to_vec()
                    .expect("f32 output");
                for (e, xh) in chunk.iter().zip(xhat.chunks(3 * n)) {
                    for k in 0..3 * n {
                        let xh = xh[k] as f64;
                        loss += (xh - e.target[k]).powi(2) * inv_cout2;
                        sq += (xh - e.clean[k]).powi(2);
                        base += (sc.c_skip * e.y[k] - e.clean[k]).powi(2);
                    }
                }
            }
        }
        (loss / (m * 3.0), (sq / m).sqrt(), (base / m).sqrt())
    }
}

impl<B: AutodiffBackend> Trainer for MoleculeTrainer<'_, B> {
    type Validation = CurvePoint;
    const WHAT: &'static str = "training";

    fn step(&mut self, step: usize, learning_rate: f64) -> Result<f64> {
        let cfg = self.cfg;
        // Molecules drawn uniformly, not by frame count: many short runs of different
        // peptides teach more chemistry than one long one.
        let mol = self.rng.random_range(0..self.data.len());
        let data = &self.data[mol];
        let n = data.topology.n_atoms();
        let batch: Vec<Example> = (0..cfg.batch)
            .map(|_| {
                let i = self.rng.random_range(0..self.n_train[mol]);
                let f = data.forces.as_ref().map(|f| f[i].as_slice());
                make_example(&data.frames[i], f, cfg.sigma, cfg.psm_weight, &mut self.rng)
            })
            .collect();
        let ys: Vec<&[f64]> = batch.iter().map(|e| e.y.as_slice()).collect();
        let ts: Vec<&[f64]> = batch.iter().map(|e| e.target.as_slice()).collect();
        let gens = &self.torsions[mol];
        let weigh_torsions = cfg.torsion_weight > 0.0 && !gens.is_empty();
        let dirs: Vec<Vec<f64>> = if weigh_torsions {
            ys.iter().map(|y| torsion_directions(gens, y)).collect()
        } else {
            vec![]
        };
        let mut model = self
            .model
            .take()
            .expect("the model is back after each step");
        // The mean over the batch is the sum of each group's mean weighted by its
        // share, so the groups' gradients add up to the whole batch's.
        let (graph, device, inv_cout2) = (&self.graphs[mol], &self.device, self.inv_cout2());
        let group_loss = |m: &LearnedModel<B>, from: usize, b: usize| {
            let y = stack::<B>(&ys[from..from + b], n, device);
            let t = stack::<B>(&ts[from..from + b], n, device);
            let xhat = m.denoise_centred(y, graph);
            let err = xhat - t;
            let mut loss = err.clone().powi_scalar(2).mean();
            if weigh_torsions {
                // The error along each torsion's unit direction: [b, 1, 3n] · [b, T, 3n].
                let k = gens.len();
                let rows: Vec<&[f64]> = dirs[from..from + b].iter().map(|v| v.as_slice()).collect();
                let g = stack::<B>(&rows, k * n, device).reshape([b, k, 3 * n]);
                let along = (err.reshape([b, 1, 3 * n]) * g).sum_dim(2);
                loss = loss + along.powi_scalar(2).mean() * cfg.torsion_weight;
            }
            let loss = loss * (inv_cout2 * b as f64 / cfg.batch as f64);
            let value: f64 = loss.clone().into_scalar().elem();
            (value, GradientsParams::from_grads(loss.backward(), &m.net))
        };
        let sizes = crate::denoiser::call_groups(cfg.batch, cfg.batch, cfg.threads.max(1));
        let (loss_value, grads) = if sizes.len() == 1 {
            group_loss(&model, 0, cfg.batch)
        } else {
            // Each thread works on its own fork of the network: the same parameters
            // under new autodiff leaves, so the groups' backward passes are separate
            // graphs (burn locks each graph, not all of them).
            let parts = crate::denoiser::run_groups(&sizes, sizes.len(), |from, b| {
                let fork = LearnedModel {
                    meta: model.meta.clone(),
                    net: model.net.clone().fork(device),
                };
                group_loss(&fork, from, b)
            });
            let mut acc = GradientsAccumulator::<EquivariantNet<B>>::new();
            let mut total = 0.0;
            for (value, g) in parts {
                total += value;
                acc.accumulate(&model.net, g);
            }
            (total, acc.grads())
        };
        model.net = self.optim.step(learning_rate, model.net, grads);
        if let Some(a) = &mut self.average {
            a.update(&model.net.valid(), step);
        }
        self.model = Some(model);
        self.recent += loss_value;
        self.recent_n += 1;
        Ok(loss_value)
    }

    fn validate(&mut self, step: usize) -> Result<Option<CurvePoint>> {
        let (validation_loss, validation_rmsd, _) = self.evaluate(&self.written());
        let last_step_rmsd = self.average.is_some().then(|| {
            let model = self.model();
            let last = LearnedModel {
                meta: model.meta.clone(),
                net: model.net.valid(),
            };
            self.evaluate(&last).1
        });
        let p = CurvePoint {
            step,
            train_loss: self.recent / self.recent_n.max(1) as f64,
            validation_loss,
            validation_rmsd,
            last_step_rmsd,
        };
        self.summary.curve.push(p.clone());
        self.recent = 0.0;
        self.recent_n = 0;
        Ok(Some(p))
    }

    fn checkpoint(&self, step: usize) -> Result<()> {
        let ck = &self.checkpoints;
        self.model().save(&ck.model)?;
        if self.average.is_some() {
            self.written().save(&ck.average)?;
        } else {
            // Another run's average must not be taken up by a later `--resume --ema`.
            let _ = std::fs::remove_file(&ck.average);
        }
        let bytes = BinBytesRecorder::<FullPrecisionSettings>::default()
            .record(self.optim.to_record(), ())
            .map_err(|e| Error::Denoiser(format!("optimizer checkpoint: {e}")))?;
        walkjump_core::io::write_atomically(&ck.optim, &bytes)?;
        let st = CheckpointState {
            step,
            summary: self.summary.clone(),
        };
        // Last: the state names the step, so it only moves on once the model and
        // the optimiser of that step are whole on disk.
        let text = serde_json::to_string_pretty(&st).expect("json");
        walkjump_core::io::write_atomically(&ck.state, text.as_bytes())
    }
}

/// Train (or resume training) and write the model to `out`. Checkpoints go beside it.
/// `progress` hears of every step (with the validation where there was one) and
/// stops the run with [`ControlFlow::Break`]: the stopping step is validated and the
/// model so far written, as when the time budget runs out.
pub fn train<B: AutodiffBackend>(
    data: &[TrainData],
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    device: &B::Device,
    progress: impl FnMut(&TrainProgress<CurvePoint>) -> ControlFlow<()>,
) -> Result<TrainSummary> {
    if !(cfg.sigma > 0.0 && cfg.batch > 0 && cfg.steps > 0 && cfg.learning_rate > 0.0) {
        return Err(Error::Parameter(
            "training needs sigma > 0, batch > 0, steps > 0 and a positive learning rate".into(),
        ));
    }
    if !(0.0..=1.0).contains(&cfg.psm_weight) {
        return Err(Error::Parameter("the PSM weight must lie in [0, 1]".into()));
    }
    if !(0.0..1.0).contains(&cfg.ema) {
        return Err(Error::Parameter(format!(
            "the weight average's decay must lie in [0, 1), not {} (0.999 averages over \
             about the last 1,000 steps; 0 keeps the last step's weights)",
            cfg.ema
        )));
    }
    if data.is_empty() {
        return Err(Error::Parameter("no training data".into()));
    }
    for d in data {
        d.validate(cfg.psm_weight > 0.0)
            .map_err(|e| Error::Parameter(format!("{}: {e}", d.molecule)))?;
    }
    let few_basin_moves = few_basin_moves(data);
    if !few_basin_moves.is_empty() {
        tracing::warn!(
            "{} of {} molecules have a residue that moved between the β/PII, αR and αL \
             basins fewer than {} times in its run, so the model learns the populations of \
             where those runs started, not of equilibrium; longer MD fixes it \
             (tools/openmm/batch_md.py --ns). Fewest: {}",
            few_basin_moves.len(),
            data.len(),
            walkjump_core::analysis::basin::MIN_BASIN_CHANGES,
            few_basin_moves
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if cfg.psm_weight > 0.0 {
        let noise = psm_target_noise(data, cfg.sigma);
        if noise > cfg.sigma {
            tracing::warn!(
                "the force target's noise (σ²·f, RMS {noise:.2} per coordinate) is {:.0}× σ = {}, \
                 the bound on the DSM target's: with PSM weight {} a step's gradient is ~{:.0}× \
                 noisier than pure DSM's; --objective dsm learns faster at this σ",
                noise / cfg.sigma,
                cfg.sigma,
                cfg.psm_weight,
                (cfg.psm_weight * noise / cfg.sigma).powi(2).max(1.0)
            );
        }
    }
    let split = |d: &TrainData| {
        let n_val = ((d.frames.len() as f64 * cfg.validation_fraction).round() as usize)
            .clamp(1, d.frames.len() - 1);
        (d.frames.len() - n_val, n_val)
    };
    let n_train: Vec<usize> = data.iter().map(|d| split(d).0).collect();
    // C pooled over every molecule's bonds (each molecule's mean weighted by its
    // bond count), so one scale serves them all.
    let (mut c_sum, mut c_w) = (0.0, 0.0);
    for (d, &k) in data.iter().zip(&n_train) {
        let w = d.topology.bonds.len().max(1) as f64;
        c_sum += w * match cfg.c_radius {
            Some(r) if !d.topology.bonds.is_empty() => {
                mean_squared_pair_within(&d.topology, &d.frames[..k], r)
            }
            _ => mean_squared_edge(&d.topology, &d.frames[..k]),
        };
        c_w += w;
    }
    let mut c_data = c_sum / c_w;
    // Weights to go on from (a resumed checkpoint, --init-from or --warm-start) bring
    // their own C; see `adopt_c`.
    let ck = CheckpointPaths::beside(out);
    let continued = if resume {
        Some(ck.model.clone())
    } else {
        cfg.init_from.clone().or_else(|| cfg.warm_start.clone())
    };
    if let Some(p) = &continued {
        c_data = adopt_c(p, &crate::model::read_model_meta(p)?, c_data);
    }
    let many = data.len() > 1;
    // Distinct sequences: a peptide run twice (from two starts) is one sequence seen.
    let mut sequences: Vec<String> = data.iter().map(|d| residue_sequence(&d.topology)).collect();
    sequences.sort();
    sequences.dedup();
    let meta = ModelMeta {
        net: cfg.net,
        sigma: cfg.sigma,
        c_data,
        // One molecule keeps the vocabulary of its own atoms (as before); a set of
        // peptides gets the fixed vocabulary of all standard residues.
        vocabulary: if many {
            Vocabulary::peptides()
        } else {
            Vocabulary::from_topology(&data[0].topology)
        },
        molecule: if many {
            format!(
                "capped peptides ({} sequences, {} runs)",
                sequences.len(),
                data.len()
            )
        } else {
            data[0].molecule.clone()
        },
        // A transferable model fits any atom count.
        n_atoms: if many { 0 } else { data[0].topology.n_atoms() },
        cluster: !many && data[0].topology.bonds.is_empty(),
        length_unit: data[0].length_unit.clone(),
        training: serde_json::Value::Null,
    };
    let meta_molecule = meta.molecule.clone();
    let mut model = meta.init::<B>(device);
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init::<B, _>();
    if let Some(p) = &cfg.init_from {
        let init = LearnedModel::<B>::load(p, device)?;
        check_net(p, &init.meta, cfg)?;
        // The embedding rows belong to the init model's vocabulary: keep it (a new
        // vocabulary would silently give its atoms other rows).
        for d in data {
            init.meta.vocabulary.features(&d.topology)?;
        }
        model.meta.vocabulary = init.meta.vocabulary;
        model.net = init.net;
    }
    if let Some(p) = &cfg.warm_start {
        let from = LearnedModel::<B>::load(p, device)?;
        check_net(p, &from.meta, cfg)?;
        let maps = model.meta.vocabulary.rows_from(&from.meta.vocabulary);
        let fresh = std::mem::replace(&mut model.net, from.meta.init::<B>(device).net);
        model.net = fresh.warm_started(from.net, &maps);
    }
    let mut start = 0usize;
    let mut summary = TrainSummary {
        config: Some(cfg.clone()),
        molecule: meta_molecule,
        frames_train: n_train.iter().sum(),
        frames_validation: data.iter().map(|d| split(d).1).sum(),
        c_data,
        sequences: if data[0].topology.bonds.is_empty() {
            vec![]
        } else {
            sequences
        },
        few_basin_moves,
        ..Default::default()
    };
    let mut resumed_average = None;
    if resume {
        let text = std::fs::read_to_string(&ck.state).map_err(|e| Error::io(&ck.state, e))?;
        let st: CheckpointState = serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: ck.state.clone(),
            detail: e.to_string(),
        })?;
        let loaded = LearnedModel::<B>::load(&ck.model, device)?;
        check_fits(&ck.model, &loaded.meta, cfg)?;
        model = loaded;
        if cfg.ema > 0.0 {
            if ck.average.exists() {
                let a = LearnedModel::<B::InnerBackend>::load(&ck.average, device)?;
                check_fits(&ck.average, &a.meta, cfg)?;
                resumed_average = Some(a.net);
            } else {
                tracing::warn!(
                    "{} has no averaged weights beside it (its run kept none): the average \
                     starts from the checkpoint's weights",
                    ck.model.display()
                );
            }
        }
        let bytes = std::fs::read(&ck.optim).map_err(|e| Error::io(&ck.optim, e))?;
        let rec = BinBytesRecorder::<FullPrecisionSettings>::default()
            .load(bytes, device)
            .map_err(|e| Error::Parse {
                path: ck.optim.clone(),
                detail: e.to_string(),
            })?;
        optim = optim.load_record(rec);
        start = st.step;
        summary = st.summary;
        summary.resumed_from_step = start;
    }
    let graphs = data
        .iter()
        .map(|d| model.graph(&d.topology, device))
        .collect::<Result<Vec<_>>>()?;
    summary.parameters = burn::module::Module::num_params(&model.net);

    let mut vrng = seeded(cfg.seed ^ 0x7a11d);
    // About 512 held-out examples in all, at least 4 per molecule.
    let per = (512 / data.len()).max(4);
    let mut val = vec![];
    let mut val_graphs = vec![];
    for (d, &k) in data.iter().zip(&n_train) {
        let n_val = d.frames.len() - k;
        let take = n_val.min(per);
        val.push(
            (0..take)
                .map(|j| {
                    let i = k + j * n_val / take;
                    let f = d.forces.as_ref().map(|f| f[i].as_slice());
                    make_example(&d.frames[i], f, cfg.sigma, cfg.psm_weight, &mut vrng)
                })
                .collect::<Vec<_>>(),
        );
        val_graphs.push(model.meta.graph_inputs::<B::InnerBackend>(
            &model.meta.vocabulary.features(&d.topology)?,
            d.topology.n_atoms(),
            device,
        ));
    }
    let mut trainer = MoleculeTrainer {
        data,
        cfg,
        n_train,
        sc: model.scalings(),
        average: (cfg.ema > 0.0).then(|| {
            WeightAverage::new(
                resumed_average.unwrap_or_else(|| model.net.valid()),
                cfg.ema,
            )
        }),
        model: Some(model),
        optim,
        graphs,
        torsions: (data.iter())
            .map(|d| {
                if cfg.torsion_weight > 0.0 {
                    generators(&d.topology)
                } else {
                    vec![]
                }
            })
            .collect(),
        val,
        val_graphs,
        rng: seeded(cfg.seed.wrapping_add(start as u64 * 7919)),
        recent: 0.0,
        recent_n: 0,
        summary,
        checkpoints: ck,
        device: device.clone(),
    };
    trainer.summary.baseline_validation_rmsd = trainer.evaluate(&trainer.written()).2;

    let schedule = TrainLoop {
        // Cosine decay to 5% of the initial rate.
        schedule: CosineSchedule {
            learning_rate: cfg.learning_rate,
            floor: 0.05,
            steps: cfg.steps,
            max_seconds: cfg.max_seconds,
        },
        start,
        batch: cfg.batch,
        loss_smoothing: 0.0,
        report_every: 1,
        validate_every: Some(cfg.validate_every),
        checkpoint_every: cfg.checkpoint_every,
    };
    let outcome = run_training(&mut trainer, &schedule, progress)?;
    let mut model = trainer.written();
    let mut summary = trainer.summary;
    if outcome.steps_done > start {
        summary.steps_done = outcome.steps_done;
        summary.samples_per_second = outcome.samples_per_second;
    }
    summary.wall_seconds += outcome.seconds;
    summary.final_validation_rmsd = summary
        .curve
        .last()
        .map(|p| p.validation_rmsd)
        .unwrap_or(f64::NAN);
    model.meta.training = serde_json::to_value(&summary).expect("summary serialises");
    model.save(out)?;
    let ck = &trainer.checkpoints;
    for p in [&ck.model, &ck.optim, &ck.state, &ck.average] {
        let _ = std::fs::remove_file(p);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::{psm_target_noise, TrainData};
    use walkjump_core::molecule::Topology;

    fn data(forces: Option<Vec<Vec<f64>>>) -> TrainData {
        TrainData {
            topology: Topology {
                atoms: vec![],
                residues: vec![],
                bonds: vec![],
                torsions: vec![],
            },
            molecule: "test".into(),
            length_unit: "angstrom".into(),
            frames: vec![],
            forces,
        }
    }

    #[test]
    fn the_force_targets_noise_is_sigma_squared_times_the_rms_force() {
        // Two frames of f = ±3 and ±4 per coordinate: RMS 3.54; σ² = 0.16.
        let f = vec![vec![3.0, -3.0, 3.0], vec![-4.0, 4.0, 4.0]];
        let got = psm_target_noise(&[data(Some(f)), data(None)], 0.4);
        let want = 0.16 * (12.5f64).sqrt();
        assert!((got - want).abs() < 1e-12, "{got} against {want}");
        // Negative control: no forces, no PSM noise to speak of.
        assert_eq!(psm_target_noise(&[data(None)], 0.4), 0.0);
    }
}
