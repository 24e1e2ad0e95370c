//! The teaching lab's science, with no GUI: exact 2-D walk-jump lives in
//! [`walkjump_core::toy`]; here are reverse diffusion on the same densities, a small learned
//! 2-D denoiser, and DynamicsDiffusion (a diffusion model over trajectory snippets of
//! the double well) with its Brownian-dynamics data and its comparisons.

pub mod anneal;
pub mod brownian;
pub mod compare;
pub mod diffusion;
pub mod evaluate;
pub mod mlp2d;
pub mod session;
pub mod trajdiff;

pub use diffusion::PlanarDiffusion;
pub use mlp2d::{PlanarMlp, PlanarTrainConfig};
pub use trajdiff::{DynamicsModel, DynamicsTrainConfig};
