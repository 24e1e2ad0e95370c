//! Analysis that can run while samples arrive: torsions, histograms, h(r), TICA,
//! autocorrelation, and the distances between distributions used for judging.

pub mod acf;
pub mod chirality;
pub mod dihedral;
pub mod divergence;
pub mod histogram;
pub mod peptide;
pub mod rdf;
pub mod tica;

pub use divergence::{jensen_shannon_distance, mae, tvd};
pub use histogram::{Hist1d, Hist2d, Range};
