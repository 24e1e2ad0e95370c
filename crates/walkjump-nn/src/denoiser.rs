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

/// Network threads a CPU backend may use for one batch, unless
/// [`set_cpu_threads`] said otherwise: all cores. burn's ndarray backend keeps a
/// 22-atom call on about one core (its element-wise passes are serial), so the
/// batch is cut into one group per core and the groups run side by side.
static CPU_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Let CPU network calls use at most `k` threads (0: all cores). The app leaves
/// one core to its own drawing.
pub fn set_cpu_threads(k: usize) {
    CPU_THREADS.store(k, std::sync::atomic::Ordering::Relaxed);
}

/// Threads for one batch on `backend`: 1 on wgpu (one queue), else
/// `WALKJUMP_NET_THREADS`, [`set_cpu_threads`] or the machine's cores.
pub fn network_threads(backend: &str) -> usize {
    static FORCED: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    if backend == "wgpu" {
        return 1;
    }
    let forced = *FORCED.get_or_init(|| {
        std::env::var("WALKJUMP_NET_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&k| k > 0)
    });
    let set = CPU_THREADS.load(std::sync::atomic::Ordering::Relaxed);
    forced
        .or((set > 0).then_some(set))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The sizes of the consecutive groups a batch of `chains` is called in: none
/// over `call` chains (memory), at least one per thread where there are chains
/// enough, and as even as can be (the slowest group sets the pace).
pub fn call_groups(chains: usize, call: usize, threads: usize) -> Vec<usize> {
    if chains == 0 {
        return vec![];
    }
    let g = chains.div_ceil(call.max(1)).max(threads.clamp(1, chains));
    (0..g)
        .map(|i| chains / g + usize::from(i < chains % g))
        .collect()
}

/// Run `f(from, b)` for every group of `sizes` (first chain `from`, `b` chains), on
/// up to `threads` threads at once, and return the results in group order.
pub fn run_groups<T: Send>(
    sizes: &[usize],
    threads: usize,
    f: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    let starts: Vec<usize> = sizes
        .iter()
        .scan(0, |at, &b| {
            let from = *at;
            *at += b;
            Some(from)
        })
        .collect();
    if threads <= 1 || sizes.len() <= 1 {
        return starts.iter().zip(sizes).map(|(&s, &b)| f(s, b)).collect();
    }
    let f = &f;
    let mut out: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(sizes.len()))
            .map(|w| {
                let (starts, sizes) = (&starts, sizes);
                scope.spawn(move || {
                    (w..sizes.len())
                        .step_by(threads)
                        .map(|i| (i, f(starts[i], sizes[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().expect("a network thread panicked"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

pub struct LearnedDenoiser<B: Backend> {
    model: LearnedModel<B>,
    graph: Graph<B>,
    device: B::Device,
    backend: &'static str,
    /// Chains per network call ([`chains_per_call`]).
    call_chains: usize,
    /// Calls run side by side ([`network_threads`]).
    threads: usize,
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
        let threads = network_threads(backend);
        tracing::debug!(call_chains, threads, backend, "chains per network call");
        Ok(LearnedDenoiser {
            model,
            graph,
            device,
            backend,
            call_chains,
            threads,
            warned_sigma: false,
        })
    }

    pub fn model(&self) -> &LearnedModel<B> {
        &self.model
    }

    /// x̂ for y [chains, 3n] on the device, centred there, in the groups of
    /// [`call_groups`]: the device walk's denoiser call.
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
        let sizes = call_groups(chains, self.call_chains, self.threads);
        if sizes.len() <= 1 {
            // One call: no slicing and no concatenation (each a copy on ndarray).
            return call(y, chains);
        }
        let parts = run_groups(&sizes, self.threads, |from, b| {
            call(y.clone().narrow(0, from, b), b)
        });
        Tensor::cat(parts, 0)
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

    /// x̂ for a batch of configurations (flat, chain-major), on this backend, in the
    /// groups of [`call_groups`]. Each chain is centred in f64 here, before the f32
    /// network, so a molecule far from the origin loses no precision.
    pub fn denoise_batch(&self, y: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.graph.n_atoms;
        let dim = 3 * n;
        let sizes = call_groups(y.len() / dim, self.call_chains, self.threads);
        let parts = run_groups(&sizes, self.threads, |from, b| -> Result<Vec<f64>> {
            let mut centred = y[from * dim..(from + b) * dim].to_vec();
            let centroids: Vec<[f64; 3]> = centred.chunks_mut(dim).map(centre).collect();
            let flat: Vec<f32> = centred.iter().map(|&v| v as f32).collect();
            let t = Tensor::<B, 3>::from_data(TensorData::new(flat, [b, n, 3]), &self.device);
            let xhat: Vec<f32> = self
                .model
                .denoise_centred(t, &self.graph)
                .into_data()
                .to_vec()
                .map_err(|e| Error::Denoiser(format!("reading back the network output: {e:?}")))?;
            Ok(xhat
                .chunks(dim)
                .zip(&centroids)
                .flat_map(|(x, c)| x.iter().enumerate().map(|(k, &v)| v as f64 + c[k % 3]))
                .collect())
        });
        let mut at = 0;
        for part in parts {
            let part = part?;
            out[at..at + part.len()].copy_from_slice(&part);
            at += part.len();
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
    use super::{call_groups, chains_per_call, run_groups};

    #[test]
    fn a_batch_is_cut_into_even_groups_one_per_thread_within_the_budget() {
        assert_eq!(call_groups(16, 128, 2), vec![8, 8]);
        assert_eq!(call_groups(17, 128, 2), vec![9, 8]);
        assert_eq!(call_groups(1, 128, 2), vec![1]);
        assert_eq!(call_groups(300, 128, 2), vec![100, 100, 100]);
        assert_eq!(call_groups(300, 128, 1), vec![100, 100, 100]);
        assert_eq!(call_groups(5, 1, 1), vec![1; 5]);
        assert!(call_groups(0, 128, 2).is_empty());
        for (chains, call, threads) in [(1000, 7, 3), (33, 128, 16), (8192, 2888, 1)] {
            let g = call_groups(chains, call, threads);
            assert_eq!(g.iter().sum::<usize>(), chains);
            assert!(g.iter().all(|&b| b >= 1 && b <= call));
            assert!(g.iter().max().unwrap() - g.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn groups_run_on_threads_come_back_in_order() {
        let sizes = call_groups(103, 10, 3);
        for threads in [1, 2, 3, 8] {
            let got = run_groups(&sizes, threads, |from, b| {
                (from..from + b).collect::<Vec<_>>()
            });
            let flat: Vec<usize> = got.into_iter().flatten().collect();
            assert_eq!(flat, (0..103).collect::<Vec<_>>(), "{threads} threads");
        }
    }

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
