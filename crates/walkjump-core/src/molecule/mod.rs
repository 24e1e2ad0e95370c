//! Molecular topology: atoms, residues, bonds and the torsions analysed.

pub mod elements;
pub mod load;
pub mod names;
pub mod templates;
pub mod topology;

pub use elements::Element;
pub use load::{load_structure, LoadOptions};
pub use topology::{Atom, Residue, Structure, Topology, Torsion, TorsionKind};
