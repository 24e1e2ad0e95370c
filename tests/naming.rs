//! One molecule, one set of features, whatever wrote the file: alanine dipeptide as
//! written by OpenMM (PDB and PDBx/mmCIF), MDTraj, LEaP-style Amber names, old PDB v2
//! names with and without element columns, and the "CA is calcium" element columns
//! that earlier versions of this program wrote. The files in tests/data/naming were
//! written by those programs (tests/python/make_naming_fixtures.py).

mod common;

use std::path::PathBuf;
use walkjump::io::write_trajectory;
use walkjump::molecule::{load_structure, Element, LoadOptions, Structure};
use walkjump::nn::{Cpu, LearnedDenoiser, LearnedModel};
use walkjump::rng::{fill_normal, seeded};

fn naming(name: &str) -> PathBuf {
    common::repo().join("tests/data/naming").join(name)
}

const VARIANTS: [&str; 6] = [
    "ala2_openmm.pdb",
    "ala2_openmm.cif",
    "ala2_mdtraj.pdb",
    "ala2_amber_names.pdb",
    "ala2_element_columns.pdb",
    "ala2_calcium_column.pdb",
];

fn load(p: &std::path::Path) -> Structure {
    load_structure(p, LoadOptions::default())
        .unwrap_or_else(|e| panic!("{} does not load: {e}", p.display()))
}

#[test]
fn every_writer_gives_the_same_topology() {
    let base = load(&common::ala2());
    let ca = base.topology.atoms.iter().find(|a| a.name == "CA").unwrap();
    assert_eq!(ca.element, Element::C, "the alpha carbon is carbon");
    assert!(base.notes.is_empty(), "{:?}", base.notes);
    for v in VARIANTS {
        let s = load(&naming(v));
        assert_eq!(s.topology.atoms, base.topology.atoms, "{v}: atoms differ");
        let res = |s: &Structure| -> Vec<String> {
            s.topology.residues.iter().map(|r| r.name.clone()).collect()
        };
        assert_eq!(res(&s), res(&base), "{v}: residues differ");
        assert_eq!(s.topology.bonds, base.topology.bonds, "{v}: bonds differ");
        assert_eq!(s.topology.torsions, base.topology.torsions, "{v}");
        for (a, b) in s.positions.iter().zip(&base.positions) {
            assert!((a - b).abs() < 1e-3, "{v}: positions differ");
        }
    }
}

#[test]
fn a_contradicting_element_column_is_corrected_and_reported() {
    let s = load(&naming("ala2_calcium_column.pdb"));
    assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
    assert!(
        s.notes[0].contains("CA") && s.notes[0].contains("Ca") && s.notes[0].contains("ALA"),
        "the note names the atom and what was wrong: {}",
        s.notes[0]
    );
    // Negative control: the same file with correct columns has nothing to report.
    assert!(load(&naming("ala2_element_columns.pdb")).notes.is_empty());
}

#[test]
fn our_pdb_writer_keeps_every_element() {
    let s = load(&common::ala2());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("written.pdb");
    write_trajectory(&p, &s.topology, std::slice::from_ref(&s.positions)).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let columns: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("ATOM"))
        .map(|l| l[76..78].trim().to_string())
        .collect();
    let want: Vec<String> = s
        .topology
        .atoms
        .iter()
        .map(|a| a.element.symbol().to_ascii_uppercase())
        .collect();
    assert_eq!(columns, want, "element columns of the written file");
    let again = load(&p);
    assert!(again.notes.is_empty(), "{:?}", again.notes);
    assert_eq!(again.topology.atoms, s.topology.atoms);
}

/// The shipped model sees the same inputs, and so gives the same jumps, on every
/// spelling of the molecule.
#[test]
fn shipped_model_gives_the_same_jumps_on_every_variant() {
    let device = Default::default();
    let model_path = common::repo().join("models/ala2.wjm");
    let jumps = |s: &Structure| -> Vec<f64> {
        let m = LearnedModel::<Cpu>::load(&model_path, &device).unwrap();
        let d = LearnedDenoiser::new(m, &s.topology, device, "test")
            .unwrap_or_else(|e| panic!("the shipped model refuses a variant: {e}"));
        let base = load(&common::ala2()).positions;
        let mut rng = seeded(11);
        let mut y = vec![];
        for _ in 0..4 {
            let mut e = vec![0.0; base.len()];
            fill_normal(&mut rng, &mut e);
            y.extend(base.iter().zip(&e).map(|(a, b)| a + 0.4 * b));
        }
        let mut out = vec![0.0; y.len()];
        d.denoise_batch(&y, &mut out).unwrap();
        out
    };
    let base = jumps(&load(&common::ala2()));
    let moved: f64 = base.iter().map(|v| v.abs()).sum();
    assert!(moved > 0.0);
    for v in VARIANTS {
        let got = jumps(&load(&naming(v)));
        let worst = got
            .iter()
            .zip(&base)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // Float rounding only: a variant lists the atoms in another order, so the sums
        // over partners run in another order (the dense layer's p_j/d_ij terms cancel,
        // which makes that rounding ~1e-5 Å in f32, a hundredth of a PDB file's 0.001).
        assert!(worst < 1e-4, "{v}: jumps differ by up to {worst} Å");
    }
    // Negative control: the comparison can see a change of one atom's type (the
    // alpha hydrogen given the amide hydrogen's name and embedding), so agreement
    // above is not the network ignoring its atom features.
    let mut wrong = load(&common::ala2());
    for a in wrong.topology.atoms.iter_mut() {
        if a.name == "HA" {
            a.name = "H".into();
        }
    }
    let got = jumps(&wrong);
    let worst = got
        .iter()
        .zip(&base)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst > 1e-3,
        "a changed atom type must change the jumps ({worst})"
    );
}
