//! Analysis that can run while samples arrive: torsions, histograms, h(r), TICA,
//! autocorrelation, and the distances between distributions used for judging.

pub mod acf;
pub mod basin;
pub mod chirality;
pub mod dihedral;
pub mod divergence;
pub mod energy;
pub mod histogram;
pub mod peptide;
pub mod peptide_bond;
pub mod rdf;
pub mod report;
pub mod tica;
pub mod torsion_force;

pub use divergence::{
    histogram_jsd, histogram_mae, histogram_tvd, jensen_shannon_distance, mae, tvd,
};
pub use histogram::{AllMass, Hist1d, Hist2d, Range};
