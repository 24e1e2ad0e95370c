//! Systems with known energy and forces (k_BT = 1, reduced units).

pub mod gmm;
pub mod lj;
pub mod potential2d;

use crate::error::{Error, Result};
use crate::molecule::Topology;
use crate::rng::WjRng;

pub use gmm::GaussianMixture2d;
pub use lj::LjCluster;
pub use potential2d::{DoubleWell, MullerBrown};

pub trait System: Send + Sync {
    fn name(&self) -> String;
    /// Length of the flat coordinate vector.
    fn dim(&self) -> usize;
    /// Energy in units of k_BT.
    fn energy(&self, x: &[f64]) -> f64;
    /// Energy, with forces (−∇U) written to `f`.
    fn energy_and_forces(&self, x: &[f64], f: &mut [f64]) -> f64;
    /// A reasonable low-energy starting configuration.
    fn initial(&self, rng: &mut WjRng) -> Vec<f64>;
    /// Topology used when writing frames to disk.
    fn topology(&self) -> Topology;
    /// Flat 3-D positions for files (2-D systems get z = 0).
    fn to_positions(&self, x: &[f64]) -> Vec<f64> {
        x.to_vec()
    }
}

/// A planar system: one point in 2-D.
pub trait Planar: System {
    /// Region holding essentially all of the probability mass: (xmin, xmax, ymin, ymax).
    fn bounds(&self) -> [f64; 4];
    fn energy2(&self, x: f64, y: f64) -> f64 {
        self.energy(&[x, y])
    }
}

pub(crate) fn planar_topology() -> Topology {
    let mut t = Topology::lj_cluster(1);
    t.atoms[0].name = "P".into();
    t.residues[0].name = "PT".into();
    t
}

pub(crate) fn planar_to_positions(x: &[f64]) -> Vec<f64> {
    x.chunks(2).flat_map(|c| [c[0], c[1], 0.0]).collect()
}

/// Names accepted on the command line.
pub const SYSTEM_NAMES: &str = "lj13, lj55, double-well, muller-brown, gmm";

pub enum AnySystem {
    Lj(LjCluster),
    Planar(Box<dyn Planar>),
}

impl AnySystem {
    pub fn as_system(&self) -> &dyn System {
        match self {
            AnySystem::Lj(s) => s,
            AnySystem::Planar(p) => p.as_ref(),
        }
    }
}

pub fn by_name(name: &str) -> Result<AnySystem> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "lj13" => AnySystem::Lj(LjCluster::new(13)),
        "lj55" => AnySystem::Lj(LjCluster::new(55)),
        "double-well" | "doublewell" => AnySystem::Planar(Box::new(DoubleWell)),
        "muller-brown" | "mullerbrown" => AnySystem::Planar(Box::new(MullerBrown::default())),
        "gmm" => AnySystem::Planar(Box::new(GaussianMixture2d::default_mixture())),
        _ => {
            return Err(Error::Parameter(format!(
                "unknown system '{name}' (choose one of {SYSTEM_NAMES})"
            )))
        }
    })
}
