//! The learned network behind the sampler's [`Denoiser`] interface.

use super::model::LearnedModel;
use super::network::Graph;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use walkjump_core::denoiser::Denoiser;
use walkjump_core::error::{Error, Result};
use walkjump_core::geometry::centre;
use walkjump_core::molecule::Topology;
use walkjump_core::rng::WjRng;

/// Chains are sent to the device in batches of at most this many, which bounds the
/// memory of the dense pair tensors.
const MAX_BATCH: usize = 128;

pub struct LearnedDenoiser<B: Backend> {
    model: LearnedModel<B>,
    graph: Graph<B>,
    device: B::Device,
    backend: &'static str,
    warned_sigma: bool,
}

impl<B: Backend> LearnedDenoiser<B> {
    pub fn new(
        model: LearnedModel<B>,
        topology: &Topology,
        device: B::Device,
        backend: &'static str,
    ) -> Result<Self> {
        let graph = model.graph(topology, &device)?;
        Ok(LearnedDenoiser {
            model,
            graph,
            device,
            backend,
            warned_sigma: false,
        })
    }

    pub fn model(&self) -> &LearnedModel<B> {
        &self.model
    }

    /// x̂ for y [chains, 3n] on the device, centred there, in batches of at most
    /// [`MAX_BATCH`] chains: the device walk's denoiser call.
    pub fn denoise_tensor(&self, y: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = self.graph.n_atoms;
        let [chains, dim] = y.dims();
        let batches: Vec<Tensor<B, 2>> = (0..chains)
            .step_by(MAX_BATCH)
            .map(|from| {
                let b = MAX_BATCH.min(chains - from);
                let yb = y.clone().narrow(0, from, b).reshape([b, n, 3]);
                let centroid = yb.clone().mean_dim(1);
                let xhat = self
                    .model
                    .denoise_centred(yb - centroid.clone(), &self.graph)
                    + centroid;
                xhat.reshape([b, dim])
            })
            .collect();
        Tensor::cat(batches, 0)
    }

    /// Warn once when the walk's σ is not the one the model was trained at.
    pub fn check_sigma(&mut self, sigma: f64) {
        if !self.warned_sigma && (sigma - self.model.meta.sigma).abs() > 1e-9 {
            tracing::warn!(
                trained = self.model.meta.sigma,
                used = sigma,
                "the walk uses a σ other than the model was trained at; jumps will be off"
            );
            self.warned_sigma = true;
        }
    }

    /// x̂ for a batch of configurations (flat, chain-major), on this backend.
    pub fn denoise_batch(&self, y: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.graph.n_atoms;
        let dim = 3 * n;
        for (yc, oc) in y
            .chunks(dim * MAX_BATCH)
            .zip(out.chunks_mut(dim * MAX_BATCH))
        {
            let b = yc.len() / dim;
            let mut centred = yc.to_vec();
            let centroids: Vec<[f64; 3]> = centred.chunks_mut(dim).map(centre).collect();
            let flat: Vec<f32> = centred.iter().map(|&v| v as f32).collect();
            let t = Tensor::<B, 3>::from_data(TensorData::new(flat, [b, n, 3]), &self.device);
            let xhat: Vec<f32> = self
                .model
                .denoise_centred(t, &self.graph)
                .into_data()
                .to_vec()
                .map_err(|e| Error::Denoiser(format!("reading back the network output: {e:?}")))?;
            for ((o, x), c) in oc.chunks_mut(dim).zip(xhat.chunks(dim)).zip(&centroids) {
                for (k, (ok, xk)) in o.iter_mut().zip(x).enumerate() {
                    *ok = *xk as f64 + c[k % 3];
                }
            }
        }
        Ok(())
    }
}

impl<B: Backend> Denoiser for LearnedDenoiser<B>
where
    B::Device: Send,
{
    fn name(&self) -> String {
        format!(
            "learned:{} (σ={}, {})",
            self.model.meta.molecule, self.model.meta.sigma, self.backend
        )
    }

    fn dim(&self) -> usize {
        3 * self.graph.n_atoms
    }

    fn trained_sigma(&self) -> Option<f64> {
        Some(self.model.meta.sigma)
    }

    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        _rng: &mut WjRng,
        mean: &mut [f64],
        _sample: Option<&mut [f64]>,
    ) -> Result<()> {
        self.check_sigma(sigma);
        self.denoise_batch(y, mean)
    }
}
