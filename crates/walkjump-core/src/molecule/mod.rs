//! Molecular topology: atoms, residues, bonds and the torsions analysed.

pub mod build;
pub mod coverage;
pub mod elements;
pub mod hydrogens;
pub mod load;
pub mod names;
pub mod templates;
pub mod topology;

pub use build::build_peptide;
pub use coverage::check_peptide;
pub use elements::Element;
pub use load::{load_structure, LoadOptions};
pub use topology::{Atom, Residue, Structure, Topology, Torsion, TorsionKind};
