//! The learned denoiser: an SE(3)-equivariant network in burn, its model file, its
//! training, and the backends it runs on; the lab's science and the live sampler
//! thread built on them. Nothing here knows of bevy.

pub mod average;
pub mod backend;
pub mod choice;
pub mod container;
pub mod denoiser;
pub mod device_walk;
pub mod features;
pub mod lab;
pub mod live;
pub mod model;
pub mod network;
pub mod schedule;
pub mod train;
pub mod trainer;

pub use backend::{
    gpu_adapter, load_denoiser, load_device_walk, on_backend, wgpu_available, BackendKind, Cpu,
    CpuTrain, FlexCpu, FlexTrain, Gpu, GpuTrain, OnBackend, WalkStart,
};
pub use denoiser::LearnedDenoiser;
pub use device_walk::{DeviceIdentity, DeviceWalk, OnHost, TensorDenoiser};
pub use model::{read_model_meta, LearnedModel, ModelMeta, Scalings};
pub use network::NetConfig;
pub use trainer::{run_training, TrainLoop, TrainOutcome, TrainProgress, Trainer};
