//! Walk-Jump Studio core: molecules, trajectory io, systems with known energies, the
//! one Langevin integrator, reference MD, the walk-jump sampler, exact and energy
//! denoisers, analysis and figures. Depends on neither burn nor bevy nor wgpu
//! (`tests/layering.rs` checks it).

pub mod analysis;
pub mod denoiser;
pub mod error;
pub mod geometry;
pub mod io;
pub mod langevin;
pub mod md;
pub mod molecule;
pub mod plots;
pub mod rng;
pub mod sampler;
pub mod systems;
pub mod toy;

pub use error::{Error, Result};
