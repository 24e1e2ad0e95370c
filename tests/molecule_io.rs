//! Topology from real PDB files, and trajectory round trips.

mod common;
use common::*;
use walkjump::io::{read_trajectory, write_trajectory, TrajectoryWriter};
use walkjump::molecule::{load_structure, Element, LoadOptions, TorsionKind};
use walkjump::rng::{normal, seeded};

#[test]
fn alanine_dipeptide_topology() {
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let t = &s.topology;
    assert_eq!(t.n_atoms(), 22);
    let names: Vec<&str> = t.residues.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["ACE", "ALA", "NME"]);
    // An acyclic molecule of 22 atoms has 21 bonds.
    assert_eq!(t.bonds.len(), 21);
    let h = t.atoms.iter().filter(|a| a.element == Element::H).count();
    assert_eq!(h, 12);
    // Every hydrogen has exactly one bond, to a heavy atom.
    for (i, a) in t.atoms.iter().enumerate() {
        let deg = t.bonds.iter().filter(|(p, q)| *p == i || *q == i).count();
        if a.element == Element::H {
            assert_eq!(deg, 1, "hydrogen {} has {deg} bonds", a.name);
        }
    }
    let c_ace = t.find_atom(0, "C").unwrap();
    let n_ala = t.find_atom(1, "N").unwrap();
    assert!(
        t.bonds.contains(&(c_ace.min(n_ala), c_ace.max(n_ala))),
        "peptide bond ACE-ALA"
    );
    let kinds: Vec<TorsionKind> = t.torsions.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [TorsionKind::Phi, TorsionKind::Psi]);
    assert_eq!(t.ramachandran_pairs().len(), 1);
}

fn noisy_frames(base: &[f64], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = seeded(seed);
    (0..n)
        .map(|_| base.iter().map(|v| v + 0.5 * normal(&mut rng)).collect())
        .collect()
}

#[test]
fn multi_model_pdb_round_trip_keeps_file_precision() {
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let frames = noisy_frames(&s.positions, 25, 3);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ens.pdb");
    write_trajectory(&p, &s.topology, &frames).unwrap();
    let back = read_trajectory(&p, 22).unwrap();
    assert_eq!(back.frames.len(), 25);
    for (a, b) in frames.iter().zip(&back.frames) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 0.0005 + 1e-9, "{x} vs {y}");
        }
    }
    // The written file is itself a structure with the same topology.
    let again = load_structure(&p, LoadOptions::default()).unwrap();
    assert_eq!(again.topology.bonds, s.topology.bonds);
    assert_eq!(again.topology.torsions.len(), s.topology.torsions.len());
}

#[test]
fn dcd_round_trip_keeps_single_precision() {
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let frames = noisy_frames(&s.positions, 130, 4);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ens.dcd");
    write_trajectory(&p, &s.topology, &frames).unwrap();
    let back = read_trajectory(&p, 22).unwrap();
    assert_eq!(back.frames.len(), 130);
    for (a, b) in frames.iter().zip(&back.frames) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
}

#[test]
fn an_interrupted_writer_leaves_the_previous_file_whole() {
    // Frames stream into a temporary file beside the destination that finish()
    // renames over it: a writer dropped without finish() (an error part way) leaves
    // the previous file as it was and removes its partial file.
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["cut.dcd", "cut.pdb"] {
        let p = dir.path().join(name);
        write_trajectory(&p, &s.topology, &noisy_frames(&s.positions, 3, 4)).unwrap();
        let before = std::fs::read(&p).unwrap();
        {
            let mut w = TrajectoryWriter::create(&p, &s.topology).unwrap();
            for f in noisy_frames(&s.positions, 70, 5) {
                w.write_frame(&f).unwrap();
            }
        }
        assert_eq!(std::fs::read(&p).unwrap(), before, "{name}");
        let mut w = TrajectoryWriter::create(&p, &s.topology).unwrap();
        for f in noisy_frames(&s.positions, 70, 5) {
            w.write_frame(&f).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(read_trajectory(&p, 22).unwrap().frames.len(), 70, "{name}");
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["cut.dcd", "cut.pdb"], "no partial files are left");
}

#[test]
fn mdtraj_opens_our_files() {
    let Some(python) = common::mdtraj_python() else {
        return;
    };
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let frames = noisy_frames(&s.positions, 5, 6);
    let dir = tempfile::tempdir().unwrap();
    let (pdb, dcd) = (dir.path().join("e.pdb"), dir.path().join("e.dcd"));
    write_trajectory(&pdb, &s.topology, &frames).unwrap();
    write_trajectory(&dcd, &s.topology, &frames).unwrap();
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/python/check_mdtraj_reads.py"))
        .arg(&pdb)
        .arg(&pdb)
        .arg(&dcd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mdtraj failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "mdtraj output not JSON ({e}): {text} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // MDTraj types atoms by the element columns we write: the alpha carbon is carbon.
    let elements = &v[pdb.to_str().unwrap()]["elements"];
    for (i, a) in s.topology.atoms.iter().enumerate() {
        assert_eq!(
            elements[i].as_str(),
            Some(a.element.symbol()),
            "MDTraj reads atom {} ({}) as another element",
            i + 1,
            a.name
        );
    }
    let ca = s
        .topology
        .atoms
        .iter()
        .position(|a| a.name == "CA")
        .unwrap();
    assert_eq!(elements[ca], "C", "MDTraj must read our CA as carbon");
    for path in [&pdb, &dcd] {
        let e = &v[path.to_str().unwrap()];
        assert_eq!(e["n_frames"], 5);
        assert_eq!(e["n_atoms"], 22);
        let xyz = &e["xyz_angstrom"];
        for (k, f) in frames.iter().enumerate() {
            for i in 0..22 {
                for d in 0..3 {
                    let got = xyz[k][i][d].as_f64().unwrap();
                    assert!(
                        (got - f[3 * i + d]).abs() < 1e-3,
                        "{path:?} frame {k} atom {i}"
                    );
                }
            }
        }
    }
}
