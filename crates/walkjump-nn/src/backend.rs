//! The burn backends the learned denoiser runs on: wgpu (GPU, or lavapipe on a CPU
//! machine) and, on the CPU, ndarray (the default) or flex (burn's newer gemm-based
//! CPU backend: selectable and timed by `walkjump bench`, but 0.75–0.9× ndarray on
//! this network on two cores, so not the default).

use super::denoiser::LearnedDenoiser;
use super::device_walk::DeviceWalk;
use super::model::LearnedModel;
use burn::tensor::backend::Backend;
use std::path::Path;
use walkjump_core::denoiser::Denoiser;
use walkjump_core::error::{Error, Result};
use walkjump_core::molecule::Topology;
use walkjump_core::sampler::{ChiralityGuard, Walk, WalkParams};

/// The CPU backend everything CPU-side uses (sampling, training, the lab).
pub type Cpu = burn::backend::NdArray<f32>;
/// burn's flex CPU backend: `--backend flex`, and a peer of [`Cpu`] in `walkjump bench`.
pub type FlexCpu = burn::backend::Flex<f32>;
pub type Gpu = burn::backend::Wgpu<f32, i32>;
/// Whether this build fuses wgpu kernels and autotunes them (cargo feature `fusion`).
pub const WGPU_FUSION: bool = cfg!(feature = "fusion");
pub type CpuTrain = burn::backend::Autodiff<Cpu>;
pub type FlexTrain = burn::backend::Autodiff<FlexCpu>;
pub type GpuTrain = burn::backend::Autodiff<Gpu>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BackendKind {
    /// wgpu when a real GPU adapter exists, otherwise ndarray.
    Auto,
    Wgpu,
    /// burn's flex CPU backend (gemm matrix products, zero-copy views).
    Flex,
    Ndarray,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Auto => "auto",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
        }
    }

    /// Decide `Auto`: a software Vulkan driver (lavapipe) runs this network many times
    /// slower than the CPU backend on the same cores, so only a hardware adapter wins wgpu.
    pub fn resolve(self) -> BackendKind {
        match self {
            BackendKind::Auto if gpu_adapter().is_some() && wgpu_available().is_ok() => {
                BackendKind::Wgpu
            }
            BackendKind::Auto => BackendKind::Ndarray,
            k => k,
        }
    }
}

/// Name of the first hardware (discrete or integrated) GPU adapter, if any.
pub fn gpu_adapter() -> Option<String> {
    static FOUND: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let instance = wgpu::Instance::default();
            let adapters = block_on(instance.enumerate_adapters(wgpu::Backends::all()));
            adapters.iter().map(|a| a.get_info()).find_map(|i| {
                matches!(
                    i.device_type,
                    wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu
                )
                .then(|| i.name.clone())
            })
        })
        .clone()
}

/// Every adapter the renderer could use (the backends in `WGPU_BACKEND`, as bevy
/// reads them, else all): its name and whether it is a software one (lavapipe,
/// llvmpipe). Empty where there is no GPU and no software driver either.
pub fn render_adapters() -> Vec<(String, bool)> {
    let instance = wgpu::Instance::default();
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    block_on(instance.enumerate_adapters(backends))
        .iter()
        .map(|a| a.get_info())
        .map(|i| (i.name.clone(), i.device_type == wgpu::DeviceType::Cpu))
        .collect()
}

/// Adapter enumeration is a future that native wgpu resolves at once; poll it to the end.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

impl std::str::FromStr for BackendKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(BackendKind::Auto),
            "wgpu" | "gpu" => Ok(BackendKind::Wgpu),
            "flex" => Ok(BackendKind::Flex),
            "ndarray" | "cpu" => Ok(BackendKind::Ndarray),
            _ => Err(Error::Parameter(format!(
                "unknown backend {s:?}: use auto, wgpu, flex (CPU) or ndarray (CPU)"
            ))),
        }
    }
}

/// Whether a wgpu adapter can be created here. wgpu panics (on a worker thread) when
/// there is none, so the probe runs on its own thread and reports instead.
pub fn wgpu_available() -> std::result::Result<(), String> {
    static PROBE: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let r = std::thread::spawn(|| {
                let d = burn::backend::wgpu::WgpuDevice::default();
                let t = burn::tensor::Tensor::<Gpu, 1>::ones([4], &d);
                let s: f32 = t.sum().into_scalar();
                s
            })
            .join();
            std::panic::set_hook(hook);
            match r {
                Ok(s) if (s - 4.0).abs() < 1e-6 => Ok(()),
                Ok(s) => Err(format!("wgpu returned a wrong sum ({s})")),
                Err(e) => Err(e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| {
                        "no usable wgpu adapter (is a Vulkan driver installed?)".into()
                    })),
            }
        })
        .clone()
}

/// Run `f` with the chosen backend's device: the one place a [`BackendKind`] becomes
/// a burn backend type.
pub trait OnBackend {
    type Out;
    fn run<B: Backend>(self, device: B::Device, name: &'static str) -> Result<Self::Out>
    where
        B::Device: Send;
}

/// `job` on the backend `kind` resolves to; wgpu without an adapter is an error that
/// names the CPU alternative.
pub fn on_backend<J: OnBackend>(kind: BackendKind, job: J) -> Result<J::Out> {
    match kind.resolve() {
        BackendKind::Auto | BackendKind::Ndarray => job.run::<Cpu>(Default::default(), "ndarray"),
        BackendKind::Flex => job.run::<FlexCpu>(Default::default(), "flex"),
        BackendKind::Wgpu => {
            wgpu_available().map_err(|e| {
                Error::Denoiser(format!(
                    "the wgpu backend is not available: {e}; use --backend ndarray (the CPU)"
                ))
            })?;
            job.run::<Gpu>(burn::backend::wgpu::WgpuDevice::default(), "wgpu")
        }
    }
}

struct HostDenoiserJob<'a> {
    path: &'a Path,
    topology: &'a Topology,
}

impl OnBackend for HostDenoiserJob<'_> {
    type Out = Box<dyn Denoiser>;
    fn run<B: Backend>(self, device: B::Device, name: &'static str) -> Result<Self::Out>
    where
        B::Device: Send,
    {
        let m = LearnedModel::<B>::load(self.path, &device)?;
        Ok(Box::new(LearnedDenoiser::new(
            m,
            self.topology,
            device,
            name,
        )?))
    }
}

/// Load a model file and put it behind the sampler's interface on the chosen backend.
pub fn load_denoiser(
    kind: BackendKind,
    path: &Path,
    topology: &Topology,
) -> Result<Box<dyn Denoiser>> {
    on_backend(kind, HostDenoiserJob { path, topology })
}

/// Where a walk with a learned model starts: its chains, their starts, the seed.
pub struct WalkStart {
    pub params: WalkParams,
    pub starts: Vec<Vec<f64>>,
    pub chains: usize,
    pub seed: u64,
}

struct DeviceWalkJob<'a> {
    path: &'a Path,
    topology: &'a Topology,
    start: WalkStart,
}

impl OnBackend for DeviceWalkJob<'_> {
    type Out = Box<dyn Walk>;
    fn run<B: Backend>(self, device: B::Device, name: &'static str) -> Result<Self::Out>
    where
        B::Device: Send,
    {
        let m = LearnedModel::<B>::load(self.path, &device)?;
        let den = LearnedDenoiser::new(m, self.topology, device.clone(), name)?;
        let s = self.start;
        let guard = ChiralityGuard::for_starts(self.topology, &s.starts);
        let mut walk =
            DeviceWalk::new(s.params, Box::new(den), device, s.starts, s.chains, s.seed)?;
        walk.set_guard(guard);
        Ok(Box::new(walk))
    }
}

/// A walk with the learned model whose state lives on the model's device
/// ([`DeviceWalk`]): on a GPU a step is then device work only. A molecule with chiral
/// centres gets the chirality guard (`walkjump_core::sampler::guard`), holding each
/// centre to its hand in the first start; `Walk::set_guard(None)` lifts it.
pub fn load_device_walk(
    kind: BackendKind,
    path: &Path,
    topology: &Topology,
    start: WalkStart,
) -> Result<Box<dyn Walk>> {
    on_backend(
        kind,
        DeviceWalkJob {
            path,
            topology,
            start,
        },
    )
}
