//! A small learned denoiser for a planar density, trained with burn in seconds by
//! denoising score matching on draws from the density: x̂(y) = y − σ·ε̂(y), where the
//! MLP ε̂ guesses the noise that was added. The lab puts it beside the exact one.

use crate::schedule::CosineSchedule;
use crate::trainer::{run_training, TrainLoop, TrainProgress, Trainer};
use crate::{Cpu, CpuTrain};
use burn::module::{AutodiffModule, Module};
use burn::nn::{Linear, LinearConfig};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::silu;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use std::ops::ControlFlow;
use walkjump_core::denoiser::grid::{spacing_for, DensityGrid};
use walkjump_core::denoiser::Denoiser;
use walkjump_core::error::Result;
use walkjump_core::rng::{normal, seeded, WjRng};
use walkjump_core::systems::Planar;

#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    layers: Vec<Linear<B>>,
}

impl<B: Backend> Mlp<B> {
    fn new(hidden: usize, depth: usize, device: &B::Device) -> Self {
        let mut layers = vec![LinearConfig::new(2, hidden).init(device)];
        for _ in 1..depth {
            layers.push(LinearConfig::new(hidden, hidden).init(device));
        }
        layers.push(LinearConfig::new(hidden, 2).init(device));
        Mlp { layers }
    }
    fn forward(&self, mut x: Tensor<B, 2>) -> Tensor<B, 2> {
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i < last {
                x = silu(x);
            }
        }
        x
    }
}

/// The trained denoiser, valid at the σ it was trained at.
#[derive(Clone)]
pub struct PlanarMlp {
    net: Mlp<Cpu>,
    sigma: f64,
    centre: [f64; 2],
    scale: f64,
    pub final_loss: f64,
    pub steps: usize,
}

#[derive(Debug, Clone)]
pub struct PlanarTrainConfig {
    pub sigma: f64,
    pub steps: usize,
    pub batch: usize,
    pub hidden: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl PlanarTrainConfig {
    pub fn new(sigma: f64) -> Self {
        PlanarTrainConfig {
            sigma,
            steps: 1500,
            batch: 512,
            hidden: 64,
            learning_rate: 3e-3,
            seed: 11,
        }
    }

    /// The network with fresh weights (three hidden layers of `hidden`).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Mlp<B> {
        Mlp::new(self.hidden, 3, device)
    }
}

/// Denoising score matching on fresh draws from a planar density: the 2-D MLP's
/// [`Trainer`] (no held-out data, no checkpoints).
struct PlanarTrainer<'a> {
    cfg: &'a PlanarTrainConfig,
    grid: DensityGrid,
    rng: WjRng,
    /// Inputs are (y − centre)/scale.
    centre: [f64; 2],
    scale: f64,
    /// Always there between steps (an optimiser step takes the network by value).
    net: Option<Mlp<CpuTrain>>,
    optim: OptimizerAdaptor<Adam, Mlp<CpuTrain>, CpuTrain>,
}

impl Trainer for PlanarTrainer<'_> {
    type Validation = ();
    const WHAT: &'static str = "training";

    fn step(&mut self, _step: usize, learning_rate: f64) -> Result<f64> {
        let (cfg, device) = (self.cfg, Default::default());
        let (mut yin, mut eps) = (
            Vec::with_capacity(2 * cfg.batch),
            Vec::with_capacity(2 * cfg.batch),
        );
        for _ in 0..cfg.batch {
            let x = self.grid.sample_point(&mut self.rng);
            for (xk, ck) in x.iter().zip(self.centre) {
                let e = normal(&mut self.rng);
                yin.push(((xk + cfg.sigma * e - ck) / self.scale) as f32);
                eps.push(e as f32);
            }
        }
        let y = Tensor::from_data(TensorData::new(yin, [cfg.batch, 2]), &device);
        let e = Tensor::<CpuTrain, 2>::from_data(TensorData::new(eps, [cfg.batch, 2]), &device);
        let net = self
            .net
            .take()
            .expect("the network is back after each step");
        let loss = (net.forward(y) - e).powi_scalar(2).mean();
        let lv: f64 = loss.clone().into_scalar().elem();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        self.net = Some(self.optim.step(learning_rate, net, grads));
        Ok(lv)
    }
}

/// Train on fresh draws from the system's density. `progress` hears every 25 steps
/// (the loss a running mean); [`ControlFlow::Break`] stops early (the model so far
/// is returned).
pub fn train(
    system: &dyn Planar,
    cfg: &PlanarTrainConfig,
    progress: impl FnMut(&TrainProgress) -> ControlFlow<()>,
) -> Result<PlanarMlp> {
    let device = Default::default();
    let grid = DensityGrid::new(system, spacing_for(cfg.sigma).max(0.02));
    let mut rng = seeded(cfg.seed);
    let draws: Vec<[f64; 2]> = (0..4096).map(|_| grid.sample_point(&mut rng)).collect();
    let centre = [
        draws.iter().map(|p| p[0]).sum::<f64>() / draws.len() as f64,
        draws.iter().map(|p| p[1]).sum::<f64>() / draws.len() as f64,
    ];
    let var = draws
        .iter()
        .map(|p| ((p[0] - centre[0]).powi(2) + (p[1] - centre[1]).powi(2)) / 2.0)
        .sum::<f64>()
        / draws.len() as f64;
    let scale = (var + cfg.sigma * cfg.sigma).sqrt();
    let mut trainer = PlanarTrainer {
        cfg,
        grid,
        rng,
        centre,
        scale,
        net: Some(cfg.init::<CpuTrain>(&device)),
        optim: AdamConfig::new().init::<CpuTrain, Mlp<CpuTrain>>(),
    };
    let schedule = TrainLoop {
        schedule: CosineSchedule {
            learning_rate: cfg.learning_rate,
            floor: 0.05,
            steps: cfg.steps,
            max_seconds: None,
        },
        start: 0,
        batch: cfg.batch,
        loss_smoothing: 0.95,
        report_every: 25,
        validate_every: None,
        checkpoint_every: 0,
    };
    let outcome = run_training(&mut trainer, &schedule, progress)?;
    let net = trainer
        .net
        .take()
        .expect("the network is back after each step");
    Ok(PlanarMlp {
        net: net.valid(),
        sigma: cfg.sigma,
        centre,
        scale,
        final_loss: outcome.loss,
        steps: outcome.steps_done,
    })
}

impl PlanarMlp {
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// x̂ for a batch of points (flattened pairs).
    pub fn posterior_means(&self, y: &[f64]) -> Vec<f64> {
        let b = y.len() / 2;
        let inp: Vec<f32> = y
            .chunks(2)
            .flat_map(|p| {
                [
                    ((p[0] - self.centre[0]) / self.scale) as f32,
                    ((p[1] - self.centre[1]) / self.scale) as f32,
                ]
            })
            .collect();
        let t = Tensor::<Cpu, 2>::from_data(TensorData::new(inp, [b, 2]), &Default::default());
        let eps: Vec<f32> = self
            .net
            .forward(t)
            .into_data()
            .to_vec()
            .expect("f32 output");
        y.iter()
            .zip(eps)
            .map(|(v, e)| v - self.sigma * e as f64)
            .collect()
    }
}

impl Denoiser for PlanarMlp {
    fn name(&self) -> String {
        format!("learned MLP (σ = {:.2})", self.sigma)
    }
    fn dim(&self) -> usize {
        2
    }
    fn trained_sigma(&self) -> Option<f64> {
        Some(self.sigma)
    }
    fn denoise(
        &mut self,
        y: &[f64],
        _sigma: f64,
        _rng: &mut WjRng,
        mean: &mut [f64],
        _sample: Option<&mut [f64]>,
    ) -> Result<()> {
        mean.copy_from_slice(&self.posterior_means(y));
        Ok(())
    }
}
