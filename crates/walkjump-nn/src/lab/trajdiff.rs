//! DynamicsDiffusion on the 2-D double well: a diffusion model over whole trajectory
//! snippets (T frames × 2 coordinates), conditioned on the temperature, trained with
//! burn on Brownian-dynamics snippets. It generates new trajectories, inpaints
//! transition paths between fixed end frames, and makes variations of a given path.
//!
//! The denoiser uses the EDM parameterisation D(x; σ) = c_skip·x + c_out·F(c_in·x,
//! ln σ, k_BT) with data scale σ_d; F is a residual MLP over the flattened snippet
//! (a whole snippet is only 128 numbers) with the noise level and temperature added
//! in every block.

use super::anneal::{ancestral_step, geometric_levels};
use super::brownian;
use crate::container;
use crate::schedule::CosineSchedule;
use crate::trainer::{run_training, TrainLoop, TrainProgress, Trainer};
use crate::{Cpu, CpuTrain};
use burn::module::{AutodiffModule, Module};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::activation::silu;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use rand::Rng;
use std::ops::ControlFlow;
use std::path::Path;
use walkjump_core::error::{Error, Result};
use walkjump_core::rng::{normal, seeded, WjRng};

const MAGIC: &[u8] = b"WALKJUMP-DYNAMICS v1\n";
const FOURIER: usize = 8;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DynamicsMeta {
    pub frames: usize,
    pub hidden: usize,
    pub blocks: usize,
    /// Coordinates are divided by these before the network sees them.
    pub scale: [f64; 2],
    pub sigma_data: f64,
    /// Temperatures the model was trained on (k_BT).
    pub temperatures: Vec<f64>,
    pub frame_dt: f64,
    pub steps_trained: usize,
    pub final_loss: f64,
}

impl DynamicsMeta {
    pub fn new(frames: usize, hidden: usize, blocks: usize) -> Self {
        DynamicsMeta {
            frames,
            hidden,
            blocks,
            scale: [1.0, 0.5],
            sigma_data: 0.8,
            temperatures: vec![0.5, 0.75, 1.0, 1.25, 1.5],
            frame_dt: brownian::DT * brownian::STRIDE as f64,
            steps_trained: 0,
            final_loss: f64::NAN,
        }
    }
    fn width(&self) -> usize {
        self.frames * 2
    }
    /// The temperature as the network sees it: k_BT in [0.5, 1.5] maps to [−1, 1].
    fn condition(kt: f64) -> f64 {
        (kt - 1.0) / 0.5
    }
}

impl container::NetworkSize for DynamicsMeta {
    fn zero_dimension(&self) -> Option<&'static str> {
        if self.frames == 0 {
            Some("frames")
        } else if self.hidden == 0 {
            Some("hidden")
        } else {
            None
        }
    }

    fn min_parameters(&self) -> u128 {
        // TrajNet::new: input and output (w·h each), the embedding, and per block a
        // layer norm (2h) and two h×h layers.
        let (w, h) = ((self.frames as u128).saturating_mul(2), self.hidden as u128);
        let per_block = h
            .saturating_mul(h)
            .saturating_mul(2)
            .saturating_add(2 * h)
            .max(1);
        w.saturating_mul(h)
            .saturating_mul(2)
            .saturating_add((2 * FOURIER as u128 + 1).saturating_mul(h))
            .saturating_add((self.blocks as u128).saturating_mul(per_block))
    }
}

#[derive(Module, Debug)]
pub struct TrajNet<B: Backend> {
    input: Linear<B>,
    embed: Linear<B>,
    norms: Vec<LayerNorm<B>>,
    block_embed: Vec<Linear<B>>,
    block_out: Vec<Linear<B>>,
    output: Linear<B>,
}

impl<B: Backend> TrajNet<B> {
    pub fn new(meta: &DynamicsMeta, device: &B::Device) -> Self {
        let (w, h) = (meta.width(), meta.hidden);
        TrajNet {
            input: LinearConfig::new(w, h).init(device),
            embed: LinearConfig::new(2 * FOURIER + 1, h).init(device),
            norms: (0..meta.blocks)
                .map(|_| LayerNormConfig::new(h).init(device))
                .collect(),
            block_embed: (0..meta.blocks)
                .map(|_| LinearConfig::new(h, h).init(device))
                .collect(),
            block_out: (0..meta.blocks)
                .map(|_| LinearConfig::new(h, h).init(device))
                .collect(),
            output: LinearConfig::new(h, w).init(device),
        }
    }

    /// F(c_in·x, c_noise, condition): `x` is [b, w], `c_noise` and `cond` are [b, 1].
    pub fn forward(
        &self,
        x: Tensor<B, 2>,
        c_noise: Tensor<B, 2>,
        cond: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let device = x.device();
        let freqs: Vec<f32> = (0..FOURIER).map(|k| (1u32 << k) as f32 * 0.5).collect();
        let freqs = Tensor::<B, 2>::from_data(TensorData::new(freqs, [1, FOURIER]), &device);
        let phase = c_noise.matmul(freqs);
        let e = Tensor::cat(vec![phase.clone().sin(), phase.cos(), cond], 1);
        let e = silu(self.embed.forward(e));
        let mut h = self.input.forward(x);
        for ((norm, be), bo) in self
            .norms
            .iter()
            .zip(&self.block_embed)
            .zip(&self.block_out)
        {
            let t = silu(norm.forward(h.clone()) + be.forward(e.clone()));
            h = h + bo.forward(t);
        }
        self.output.forward(silu(h))
    }
}

/// EDM scalings for noise level σ and data scale σ_d.
fn scalings(sigma: f64, sd: f64) -> (f64, f64, f64, f64) {
    let d = (sigma * sigma + sd * sd).sqrt();
    let c_skip = sd * sd / (d * d);
    let c_out = sigma * sd / d;
    let c_in = 1.0 / d;
    let c_noise = sigma.ln() / 4.0;
    (c_skip, c_out, c_in, c_noise)
}

pub struct DynamicsModel<B: Backend> {
    pub meta: DynamicsMeta,
    pub net: TrajNet<B>,
    device: B::Device,
}

impl<B: Backend> DynamicsModel<B> {
    pub fn new(meta: DynamicsMeta, device: &B::Device) -> Self {
        // Materialise burn's lazy parameters once so a saved copy holds these weights.
        let record = TrajNet::<B>::new(&meta, device).into_record();
        let net = TrajNet::new(&meta, device).load_record(record);
        DynamicsModel {
            meta,
            net,
            device: device.clone(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let weights = BinBytesRecorder::<FullPrecisionSettings>::default()
            .record(self.net.clone().into_record(), ())
            .expect("in-memory record of weights");
        container::pack(MAGIC, &self.meta, &weights)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        walkjump_core::io::write_atomically(path, &self.to_bytes())
    }

    pub fn load(path: &Path, device: &B::Device) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        container::guarded(path, || {
            let (meta, weights) = container::unpack::<DynamicsMeta>(
                MAGIC,
                "trajectory diffusion model file (.wjd)",
                &bytes,
                path,
            )?;
            let model = DynamicsModel::new(meta, device);
            let record = BinBytesRecorder::<FullPrecisionSettings>::default()
                .load(weights.to_vec(), device)
                .map_err(|e| Error::Parse {
                    path: path.into(),
                    detail: format!("weights: {e}"),
                })?;
            Ok(DynamicsModel {
                net: model.net.load_record(record),
                ..model
            })
        })
    }

    /// D(x; σ) for a batch of snippets in network units (flattened, [b · w]).
    fn denoise_batch(&self, x: &[f64], sigma: f64, kt: f64) -> Vec<f64> {
        let w = self.meta.width();
        let b = x.len() / w;
        let (c_skip, c_out, c_in, c_noise) = scalings(sigma, self.meta.sigma_data);
        let xin: Vec<f32> = x.iter().map(|v| (v * c_in) as f32).collect();
        let t = Tensor::<B, 2>::from_data(TensorData::new(xin, [b, w]), &self.device);
        let cn = Tensor::<B, 2>::full([b, 1], c_noise as f32, &self.device);
        let cd = Tensor::<B, 2>::full([b, 1], DynamicsMeta::condition(kt) as f32, &self.device);
        let f: Vec<f32> = self
            .net
            .forward(t, cn, cd)
            .into_data()
            .to_vec()
            .expect("f32 output");
        x.iter()
            .zip(f)
            .map(|(v, fv)| c_skip * v + c_out * fv as f64)
            .collect()
    }

    fn path_to_net(&self, snippet: &[[f64; 2]]) -> Vec<f64> {
        let s = self.meta.scale;
        snippet
            .iter()
            .flat_map(|p| [p[0] / s[0], p[1] / s[1]])
            .collect()
    }

    fn net_to_path(&self, flat: &[f64]) -> Vec<[f64; 2]> {
        let s = self.meta.scale;
        flat.chunks(2).map(|c| [c[0] * s[0], c[1] * s[1]]).collect()
    }

    /// Run the reverse diffusion. `start`: the initial x at the first level (network
    /// units, flattened). `fixed`: (frame, position) pairs imposed at every level with
    /// that level's noise, and exactly at the end.
    fn reverse(
        &self,
        mut x: Vec<f64>,
        levels: &[f64],
        kt: f64,
        fixed: &[(usize, [f64; 2])],
        rng: &mut WjRng,
    ) -> Vec<Vec<[f64; 2]>> {
        let w = self.meta.width();
        let s = self.meta.scale;
        let impose = |x: &mut [f64], sigma: f64, rng: &mut WjRng| {
            for snip in x.chunks_mut(w) {
                for &(f, p) in fixed {
                    snip[2 * f] = p[0] / s[0] + sigma * normal(rng);
                    snip[2 * f + 1] = p[1] / s[1] + sigma * normal(rng);
                }
            }
        };
        // With imposed frames, each level is repeated (RePaint): step down, add the
        // noise back, step down again, so the free frames have time to agree with the
        // imposed ones instead of snapping to them at the end.
        let repeats = if fixed.is_empty() { 1 } else { RESAMPLE };
        for i in 0..levels.len() {
            for r in 0..repeats {
                impose(&mut x, levels[i], rng);
                let xhat = self.denoise_batch(&x, levels[i], kt);
                if i + 1 == levels.len() {
                    x = xhat;
                    break;
                }
                ancestral_step(&mut x, &xhat, levels[i], levels[i + 1], rng);
                if r + 1 < repeats {
                    let back = (levels[i].powi(2) - levels[i + 1].powi(2)).sqrt();
                    x.iter_mut().for_each(|v| *v += back * normal(rng));
                }
            }
        }
        impose(&mut x, 0.0, rng);
        x.chunks(w).map(|c| self.net_to_path(c)).collect()
    }

    /// New snippets at temperature `kt`, from pure noise.
    pub fn generate(&self, n: usize, kt: f64, steps: usize, rng: &mut WjRng) -> Vec<Vec<[f64; 2]>> {
        self.inpaint(n, kt, steps, &[], rng)
    }

    /// Snippets with the given frames imposed (e.g. the first in one well, the last in
    /// the other: transition paths).
    pub fn inpaint(
        &self,
        n: usize,
        kt: f64,
        steps: usize,
        fixed: &[(usize, [f64; 2])],
        rng: &mut WjRng,
    ) -> Vec<Vec<[f64; 2]>> {
        let levels = geometric_levels(SIGMA_MAX, SIGMA_MIN, steps);
        let spread = (SIGMA_MAX * SIGMA_MAX + self.meta.sigma_data.powi(2)).sqrt();
        let x: Vec<f64> = (0..n * self.meta.width())
            .map(|_| spread * normal(rng))
            .collect();
        self.reverse(x, &levels, kt, fixed, rng)
    }

    /// Variations of `path`: noise it to level `sigma_start` (network units) and denoise.
    pub fn variations(
        &self,
        path: &[[f64; 2]],
        n: usize,
        kt: f64,
        sigma_start: f64,
        steps: usize,
        rng: &mut WjRng,
    ) -> Vec<Vec<[f64; 2]>> {
        let base = self.path_to_net(path);
        let x: Vec<f64> = (0..n)
            .flat_map(|_| {
                base.iter()
                    .map(|v| v + sigma_start * normal(rng))
                    .collect::<Vec<_>>()
            })
            .collect();
        let levels = geometric_levels(sigma_start, SIGMA_MIN, steps);
        self.reverse(x, &levels, kt, &[], rng)
    }
}

pub const SIGMA_MAX: f64 = 10.0;
/// Passes per noise level when frames are imposed.
pub const RESAMPLE: usize = 4;
pub const SIGMA_MIN: f64 = 0.004;

#[derive(Debug, Clone)]
pub struct DynamicsTrainConfig {
    pub frames: usize,
    pub hidden: usize,
    pub blocks: usize,
    pub steps: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub max_seconds: Option<f64>,
    pub seed: u64,
}

impl Default for DynamicsTrainConfig {
    fn default() -> Self {
        DynamicsTrainConfig {
            frames: 64,
            hidden: 384,
            blocks: 4,
            steps: 6000,
            batch: 256,
            learning_rate: 1e-3,
            max_seconds: None,
            seed: 7,
        }
    }
}

impl DynamicsTrainConfig {
    /// The model with fresh weights, for the temperatures and scales of
    /// [`DynamicsMeta::new`].
    pub fn init<B: Backend>(&self, device: &B::Device) -> DynamicsModel<B> {
        DynamicsModel::new(
            DynamicsMeta::new(self.frames, self.hidden, self.blocks),
            device,
        )
    }
}

/// Denoising on random windows of Brownian-dynamics runs at EDM noise levels: the
/// trajectory model's [`Trainer`] (no held-out data, no checkpoints).
struct DynamicsTrainer<'a> {
    cfg: &'a DynamicsTrainConfig,
    /// Long equilibrium runs per temperature; batches are random windows of them.
    data: Vec<(f64, Vec<Vec<[f64; 2]>>)>,
    rng: WjRng,
    /// Always there between steps (an optimiser step takes the network by value).
    model: Option<DynamicsModel<CpuTrain>>,
    optim: OptimizerAdaptor<Adam, TrajNet<CpuTrain>, CpuTrain>,
}

impl Trainer for DynamicsTrainer<'_> {
    type Validation = ();
    const WHAT: &'static str = "trajectory model training";

    fn step(&mut self, _step: usize, learning_rate: f64) -> Result<f64> {
        let (cfg, rng) = (self.cfg, &mut self.rng);
        let mut model = self
            .model
            .take()
            .expect("the model is back after each step");
        let (w, sd) = (model.meta.width(), model.meta.sigma_data);
        let (mut xin, mut target, mut cn, mut cd) = (vec![], vec![], vec![], vec![]);
        for _ in 0..cfg.batch {
            let (kt, runs) = &self.data[rng.random_range(0..self.data.len())];
            let run = &runs[rng.random_range(0..runs.len())];
            let i = rng.random_range(0..run.len() - cfg.frames);
            let clean = model.path_to_net(&run[i..i + cfg.frames]);
            // ln σ ~ N(−1.2, 1.2²), the EDM training distribution.
            let sigma = (-1.2 + 1.2 * normal(rng)).exp();
            let (c_skip, c_out, c_in, c_noise) = scalings(sigma, sd);
            for &c in &clean {
                let y = c + sigma * normal(rng);
                xin.push((y * c_in) as f32);
                target.push(((c - c_skip * y) / c_out) as f32);
            }
            cn.push(c_noise as f32);
            cd.push(DynamicsMeta::condition(*kt) as f32);
        }
        let (b, device) = (cfg.batch, model.device);
        let x = Tensor::from_data(TensorData::new(xin, [b, w]), &device);
        let t = Tensor::<CpuTrain, 2>::from_data(TensorData::new(target, [b, w]), &device);
        let cn = Tensor::from_data(TensorData::new(cn, [b, 1]), &device);
        let cd = Tensor::from_data(TensorData::new(cd, [b, 1]), &device);
        let loss = (model.net.forward(x, cn, cd) - t).powi_scalar(2).mean();
        let lv: f64 = loss.clone().into_scalar().elem();
        let grads = GradientsParams::from_grads(loss.backward(), &model.net);
        model.net = self.optim.step(learning_rate, model.net, grads);
        self.model = Some(model);
        Ok(lv)
    }
}

/// Train on fresh Brownian-dynamics runs at every temperature of the model.
/// `progress` hears every 50 steps (the loss a running mean); [`ControlFlow::Break`]
/// stops early (the model so far is returned).
pub fn train(
    cfg: &DynamicsTrainConfig,
    progress: impl FnMut(&TrainProgress) -> ControlFlow<()>,
) -> Result<DynamicsModel<Cpu>> {
    let device = Default::default();
    let model = cfg.init::<CpuTrain>(&device);
    let mut rng = seeded(cfg.seed);
    let data = model
        .meta
        .temperatures
        .iter()
        .map(|&kt| (kt, brownian::runs(kt, 16, 25_000, &mut rng)))
        .collect();
    let mut trainer = DynamicsTrainer {
        cfg,
        data,
        rng,
        model: Some(model),
        optim: AdamConfig::new().init::<CpuTrain, TrajNet<CpuTrain>>(),
    };
    let schedule = TrainLoop {
        schedule: CosineSchedule {
            learning_rate: cfg.learning_rate,
            floor: 0.02,
            steps: cfg.steps,
            max_seconds: cfg.max_seconds,
        },
        start: 0,
        batch: cfg.batch,
        loss_smoothing: 0.98,
        report_every: 50,
        validate_every: None,
        checkpoint_every: 0,
    };
    let outcome = run_training(&mut trainer, &schedule, progress)?;
    let model = trainer
        .model
        .take()
        .expect("the model is back after each step");
    let mut meta = model.meta;
    meta.steps_trained = outcome.steps_done;
    meta.final_loss = outcome.loss;
    Ok(DynamicsModel {
        meta,
        net: model.net.valid(),
        device,
    })
}
