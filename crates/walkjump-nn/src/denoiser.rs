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

/// Budget, in f32 elements, for the largest tensor of one network call: a dense
/// layer's filters, [b, 4h, n²]. On a CPU it is what 128 chains of alanine dipeptide
/// need (larger batches buy nothing there and cost memory). On a GPU the batch is
/// what fills the card, and wgpu binds a storage buffer of at most a few GiB, so a
/// call may take up to 1 GiB of filters (2,888 chains of alanine dipeptide at
/// h = 48, 311 of a 67-atom peptide). Issue 14's H200 runs stayed at ~5,500
/// samples/s from 1,024 to 8,192 chains while calls were cut at 128 chains; that
/// this budget lifts the plateau has not been measured yet.
const CPU_CALL_ELEMENTS: usize = 128 * 22 * 22 * 4 * 48;
const GPU_CALL_ELEMENTS: usize = (1 << 30) / 4;

/// How many chains one network call takes for `n` atoms and `hidden` channels on
/// `backend` (a [`crate::backend::BackendKind`] name). `WALKJUMP_CALL_CHAINS=k`
/// overrides it, for timing one batch size against another.
pub fn chains_per_call(n: usize, hidden: usize, backend: &str) -> usize {
    static OVERRIDE: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    let forced = *OVERRIDE.get_or_init(|| {
        std::env::var("WALKJUMP_CALL_CHAINS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&k| k > 0)
    });
    let budget = if backend == "wgpu" {
        GPU_CALL_ELEMENTS
    } else {
        CPU_CALL_ELEMENTS
    };
    forced.unwrap_or((budget / (4 * hidden * n * n).max(1)).max(1))
}

pub struct LearnedDenoiser<B: Backend> {
    model: LearnedModel<B>,
    graph: Graph<B>,
    device: B::Device,
    backend: &'static str,
    /// Chains per network call ([`chains_per_call`]).
    call_chains: usize,
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
        let call_chains = chains_per_call(graph.n_atoms, model.meta.net.hidden, backend);
        tracing::debug!(call_chains, backend, "chains per network call");
        Ok(LearnedDenoiser {
            model,
            graph,
            device,
            backend,
            call_chains,
            warned_sigma: false,
        })
    }

    pub fn model(&self) -> &LearnedModel<B> {
        &self.model
    }

    /// x̂ for y [chains, 3n] on the device, centred there, in batches of at most
    /// [`chains_per_call`] chains: the device walk's denoiser call.
    pub fn denoise_tensor(&self, y: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = self.graph.n_atoms;
        let [chains, dim] = y.dims();
        let call = |yb: Tensor<B, 2>, b: usize| {
            let yb = yb.reshape([b, n, 3]);
            let centroid = yb.clone().mean_dim(1);
            let xhat = self
                .model
                .denoise_centred(yb - centroid.clone(), &self.graph)
                + centroid;
            xhat.reshape([b, dim])
        };
        if chains <= self.call_chains {
            // One call: no slicing and no concatenation (each a copy on ndarray).
            return call(y, chains);
        }
        let batches: Vec<Tensor<B, 2>> = (0..chains)
            .step_by(self.call_chains)
            .map(|from| {
                let b = self.call_chains.min(chains - from);
                call(y.clone().narrow(0, from, b), b)
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
            .chunks(dim * self.call_chains)
            .zip(out.chunks_mut(dim * self.call_chains))
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

#[cfg(test)]
mod tests {
    use super::chains_per_call;

    #[test]
    fn a_call_takes_many_more_chains_on_a_gpu_and_never_none() {
        // The CPU budget is the 128 chains of alanine dipeptide (22 atoms, h = 48)
        // the sampler was tuned at; a GPU call takes about 23x that.
        assert_eq!(chains_per_call(22, 48, "ndarray"), 128);
        assert_eq!(chains_per_call(22, 48, "wgpu"), 2_888);
        assert_eq!(chains_per_call(67, 48, "wgpu"), 311);
        // A molecule too large for the budget still gets one chain per call.
        assert_eq!(chains_per_call(5_000, 48, "ndarray"), 1);
    }
}
