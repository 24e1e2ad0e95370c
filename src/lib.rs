//! Walk-Jump Studio core: molecules, systems with known energies, the walk-jump
//! sampler, exact denoisers, analysis and trajectory I/O. Nothing here depends on a GUI.

pub mod analysis;
pub mod denoiser;
pub mod error;
pub mod geometry;
pub mod io;
pub mod lab;
pub mod langevin;
pub mod live;
pub mod md;
pub mod molecule;
pub mod nn;
pub mod plots;
pub mod rng;
pub mod sampler;
pub mod systems;
pub mod toy;

pub use error::{Error, Result};
