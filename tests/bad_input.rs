//! Bad files give a clear error and a non-zero exit, never a panic.

mod common;
use common::*;
use walkjump::io::read_trajectory;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::Error;

const UNKNOWN_RES: &str = "\
ATOM      1  N   ALA A   1       0.000   0.000   0.000  1.00  0.00           N
ATOM      2  CA  ALA A   1       1.458   0.000   0.000  1.00  0.00           C
ATOM      3  C   ALA A   1       2.009   1.420   0.000  1.00  0.00           C
ATOM      4  O   ALA A   1       1.251   2.390   0.000  1.00  0.00           O
HETATM    5  C1  XYZ A   2       3.300   1.600   0.000  1.00  0.00           C
HETATM    6  O1  XYZ A   2       4.100   2.600   0.000  1.00  0.00           O
END
";

const MALFORMED: &str = "\
ATOM      1  N   ALA A   1       0.000   abc.def 0.000  1.00  0.00           N
ATOM      2  CA  ALA A   1       1.458   0.000   0.000  1.00  0.00           C
END
";

fn assert_clean_failure(args: &[&str], expect: &str) {
    let o = walkjump(args);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.contains("error:"), "{args:?}: no error line in {err}");
    assert!(
        err.contains(expect),
        "{args:?}: expected '{expect}' in {err}"
    );
}

#[test]
fn malformed_pdb() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bad.pdb", MALFORMED);
    let e = load_structure(&p, LoadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Parse { .. }), "{e}");
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            p.to_str().unwrap(),
            "--traj",
            p.to_str().unwrap(),
        ],
        "not a valid structure file",
    );
}

#[test]
fn unknown_residue_is_named_and_can_be_allowed() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "lig.pdb", UNKNOWN_RES);
    let e = load_structure(&p, LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownResidue { residue, .. } if residue == "XYZ"),
        "{e}"
    );
    assert!(e.to_string().contains("--allow-unknown-residues"));
    let s = load_structure(
        &p,
        LoadOptions {
            allow_unknown_residues: true,
            ..Default::default()
        },
    )
    .unwrap();
    // C1-O1 bonded by covalent radii.
    assert!(s.topology.bonds.contains(&(4, 5)));
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            p.to_str().unwrap(),
            "--traj",
            p.to_str().unwrap(),
        ],
        "unknown residue 'XYZ'",
    );
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "empty.pdb", "");
    assert!(matches!(
        load_structure(&p, LoadOptions::default()),
        Err(Error::EmptyFile { .. })
    ));
    let dcd = write(d.path(), "empty.dcd", "");
    assert!(matches!(
        read_trajectory(&dcd, 22),
        Err(Error::EmptyFile { .. })
    ));
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            p.to_str().unwrap(),
            "--traj",
            dcd.to_str().unwrap(),
        ],
        "is empty",
    );
}

#[test]
fn wrong_extension() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "mol.txt", "hello");
    assert!(matches!(
        load_structure(&p, LoadOptions::default()),
        Err(Error::Extension { .. })
    ));
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            p.to_str().unwrap(),
            "--traj",
            p.to_str().unwrap(),
        ],
        "unsupported file extension",
    );
    let ala = ala2();
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            ala.to_str().unwrap(),
            "--traj",
            p.to_str().unwrap(),
        ],
        "expected .pdb (multi-model), .dcd or .xtc",
    );
    assert_clean_failure(
        &[
            "md",
            "--system",
            "lj13",
            "--steps",
            "10",
            "--out",
            d.path().join("x.xyz").to_str().unwrap(),
        ],
        "unsupported file extension",
    );
}

#[test]
fn missing_file() {
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            "/nonexistent/a.pdb",
            "--traj",
            "/nonexistent/a.dcd",
        ],
        "cannot read",
    );
}

#[test]
fn corrupt_and_mismatched_dcd() {
    let d = tempfile::tempdir().unwrap();
    // A truncated DCD: header only, cut inside the first record.
    let p = d.path().join("cut.dcd");
    std::fs::write(&p, [84u8, 0, 0, 0, b'C', b'O', b'R', b'D', 0, 0]).unwrap();
    assert!(matches!(
        read_trajectory(&p, 22),
        Err(Error::Trajectory { .. })
    ));
    // A valid LJ-13 trajectory read against the 22-atom dipeptide.
    let lj = d.path().join("lj.dcd");
    let o = walkjump(&[
        "md",
        "--system",
        "lj13",
        "--steps",
        "100",
        "--equilibrate",
        "10",
        "--out",
        lj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ala = ala2();
    assert_clean_failure(
        &[
            "analyze",
            "--top",
            ala.to_str().unwrap(),
            "--traj",
            lj.to_str().unwrap(),
        ],
        "has 13 atoms but the topology has 22",
    );
}

#[test]
fn bad_arguments() {
    assert_clean_failure(
        &["sample", "--system", "lj7", "--out", "/tmp/x.dcd"],
        "unknown system 'lj7'",
    );
    assert_clean_failure(
        &[
            "sample",
            "--system",
            "lj13",
            "--denoiser",
            "exact",
            "--out",
            "/tmp/x.dcd",
        ],
        "no exact denoiser",
    );
    assert_clean_failure(
        &[
            "sample",
            "--system",
            "gmm",
            "--sigma=-1",
            "--out",
            "/tmp/x.dcd",
        ],
        "invalid parameter",
    );
    assert_clean_failure(&["exact", "--system", "lj13"], "needs a planar system");
}
