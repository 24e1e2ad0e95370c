//! Dihedrals against MDTraj (tests/python/make_dihedral_fixture.py) and by construction.

mod common;
use common::*;
use walkjump::analysis::dihedral::{dihedral, dihedral_of};
use walkjump::io::read_trajectory;
use walkjump::molecule::{load_structure, LoadOptions, TorsionKind};

#[test]
fn phi_psi_match_mdtraj_to_a_hundredth_of_a_degree() {
    let data = repo().join("tests/data");
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("ala2_mdtraj_dihedrals.json")).unwrap(),
    )
    .unwrap();
    let s = load_structure(&data.join("ala2_noisy.pdb"), LoadOptions::default()).unwrap();
    let traj = read_trajectory(&data.join("ala2_noisy.pdb"), 22).unwrap();
    let phi = s
        .topology
        .torsions
        .iter()
        .find(|t| t.kind == TorsionKind::Phi)
        .unwrap();
    let psi = s
        .topology
        .torsions
        .iter()
        .find(|t| t.kind == TorsionKind::Psi)
        .unwrap();
    assert_eq!(traj.frames.len(), 40);
    let mut spread = (f64::INFINITY, f64::NEG_INFINITY);
    for (k, f) in traj.frames.iter().enumerate() {
        let want_phi = fixture["phi_deg"][k].as_f64().unwrap();
        let want_psi = fixture["psi_deg"][k].as_f64().unwrap();
        let got_phi = dihedral_of(f, phi.atoms);
        let got_psi = dihedral_of(f, psi.atoms);
        assert!(
            angle_diff(got_phi, want_phi) < 0.01,
            "frame {k}: phi {got_phi} vs mdtraj {want_phi}"
        );
        assert!(
            angle_diff(got_psi, want_psi) < 0.01,
            "frame {k}: psi {got_psi} vs mdtraj {want_psi}"
        );
        assert!(got_phi > -180.0 && got_phi <= 180.0);
        spread = (spread.0.min(got_psi), spread.1.max(got_psi));
    }
    assert!(
        spread.1 - spread.0 > 30.0,
        "fixture should cover a range of angles"
    );
}

#[test]
fn dihedral_sign_and_range_by_construction() {
    // p0 above the x-axis, p3 rotated by +theta about the p1→p2 axis.
    for deg in [-179.0f64, -120.0, -60.0, 0.0, 45.0, 90.0, 150.0, 180.0] {
        let t = deg.to_radians();
        let p0 = [0.0, 1.0, 0.0];
        let p1 = [0.0, 0.0, 0.0];
        let p2 = [1.0, 0.0, 0.0];
        let p3 = [1.0, t.cos(), t.sin()];
        let got = dihedral(p0, p1, p2, p3);
        assert!(angle_diff(got, deg) < 1e-9, "{deg}: got {got}");
        assert!(got > -180.0 && got <= 180.0);
    }
}
