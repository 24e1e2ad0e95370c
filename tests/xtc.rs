//! GROMACS XTC: our writer and reader agree with each other and with MDTraj, and a
//! damaged file is an error, never a panic or a huge allocation.

mod common;
use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use walkjump::error::Error;
use walkjump::io::xtc::{self, XTC_PRECISION};
use walkjump::io::{dcd, read_trajectory, write_trajectory, TrajectoryFormat, TrajectoryWriter};
use walkjump::molecule::{load_structure, LoadOptions};

/// Half a grid step (0.5/precision nm) in Å, plus room for f32 rounding.
fn tolerance() -> f64 {
    0.5 / XTC_PRECISION as f64 * 10.0 + 1e-4
}

fn fixture() -> std::path::PathBuf {
    repo().join("tests/data/ala2_mdtraj.xtc")
}

fn random_frames(n_atoms: usize, n: usize, seed: u64, spread: f64) -> Vec<Vec<f64>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            (0..3 * n_atoms)
                .map(|_| rng.random_range(-spread..spread))
                .collect()
        })
        .collect()
}

fn assert_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: frame count");
    for (k, (fa, fb)) in a.iter().zip(b).enumerate() {
        assert_eq!(fa.len(), fb.len(), "{what}: frame {k} length");
        for (i, (x, y)) in fa.iter().zip(fb).enumerate() {
            assert!(
                (x - y).abs() <= tol,
                "{what}: frame {k} coordinate {i}: {x} vs {y} (tolerance {tol} Å)"
            );
        }
    }
}

fn expect_trajectory_error(r: walkjump::error::Result<walkjump::io::Trajectory>, needle: &str) {
    match r {
        Err(e @ Error::Trajectory { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(needle),
                "error '{msg}' should mention '{needle}'"
            );
        }
        Err(e) => panic!("expected a corrupt-trajectory error, got: {e}"),
        Ok(t) => panic!("expected an error, read {} frames", t.frames.len()),
    }
}

#[test]
fn xtc_is_a_trajectory_format() {
    assert_eq!(
        TrajectoryFormat::from_path(Path::new("run.XTC")).unwrap(),
        TrajectoryFormat::Xtc
    );
    let e = TrajectoryFormat::from_path(Path::new("run.trr")).unwrap_err();
    assert!(e.to_string().contains(".xtc"), "{e}");
}

#[test]
fn round_trip_within_precision() {
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rt.xtc");
    // Around the molecule and far from the origin, where f32 has fewer digits left.
    let mut frames = random_frames(22, 20, 1, 30.0);
    for f in frames.iter_mut().skip(10) {
        f.iter_mut().for_each(|v| *v += 250.0);
    }
    frames.push(s.positions.clone());
    write_trajectory(&p, &s.topology, &frames).unwrap();
    let back = read_trajectory(&p, 22).unwrap();
    assert_eq!(back.n_atoms, 22);
    assert_close(&back.frames, &frames, tolerance(), "round trip");
    // The error is bounded by the grid, not zero: the grid really is 0.01 Å.
    let max_err = back
        .frames
        .iter()
        .flatten()
        .zip(frames.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(max_err > 1e-3, "max error {max_err} Å");
}

#[test]
fn small_frames_are_stored_uncompressed() {
    // Up to nine atoms XTC keeps raw f32: the round trip is exact to f32.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.xtc");
    let frames = random_frames(5, 4, 2, 20.0);
    let mut w = xtc::XtcWriter::create(&p, 5).unwrap();
    for f in &frames {
        w.write_frame(f).unwrap();
    }
    w.finish().unwrap();
    let back = xtc::read(&p).unwrap();
    assert_close(&back.frames, &frames, 1e-5, "uncompressed");
}

#[test]
fn writer_rejects_what_xtc_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.xtc");
    let mut w = xtc::XtcWriter::create(&p, 12).unwrap();
    let mut f = vec![1.0; 36];
    assert!(w.write_frame(&f[..33]).is_err(), "wrong atom count");
    f[4] = f64::NAN;
    assert!(w.write_frame(&f).is_err(), "NaN");
    f[4] = 1e12;
    assert!(w.write_frame(&f).is_err(), "beyond the integer grid");
    f[4] = 1.0;
    w.write_frame(&f).unwrap();
    w.finish().unwrap();
    assert_eq!(xtc::read(&p).unwrap().frames.len(), 1);
    assert!(xtc::XtcWriter::create(&dir.path().join("none.xtc"), 0).is_err());
}

#[test]
fn reads_an_xtc_written_by_mdtraj() {
    // tests/data/ala2_mdtraj.xtc: the first 50 frames of assets/data/ala2-reference.dcd,
    // saved by MDTraj 1.11 (md.load(dcd, top=pdb)[:50].save_xtc(...), precision 1000).
    let t = read_trajectory(&fixture(), 22).unwrap();
    let reference = dcd::read(&repo().join("assets/data/ala2-reference.dcd")).unwrap();
    assert_eq!(t.frames.len(), 50);
    assert_close(
        &t.frames,
        &reference.frames[..50],
        tolerance(),
        "MDTraj's XTC against the DCD it was made from",
    );
}

#[test]
fn mdtraj_reads_our_xtc() {
    let Some(python) = common::mdtraj_python() else {
        return;
    };
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let mut frames = random_frames(22, 6, 3, 0.8);
    for f in &mut frames {
        f.iter_mut().zip(&s.positions).for_each(|(v, p)| *v += p);
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ours.xtc");
    let mut w = TrajectoryWriter::create(&p, &s.topology).unwrap();
    for f in &frames {
        w.write_frame(f).unwrap();
    }
    w.finish().unwrap();
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/python/check_mdtraj_reads.py"))
        .arg(ala2())
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mdtraj failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("mdtraj output not JSON ({e}): {text}"));
    let e = &v[p.to_str().unwrap()];
    assert_eq!(e["n_frames"], 6);
    assert_eq!(e["n_atoms"], 22);
    let seen: Vec<Vec<f64>> = e["xyz_angstrom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f.as_array()
                .unwrap()
                .iter()
                .flat_map(|a| a.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                .collect()
        })
        .collect();
    assert_close(&seen, &frames, tolerance(), "MDTraj reading our XTC");
}

/// Where each frame of a (1995, compressed) XTC file starts.
fn frame_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![];
    let mut pos = 0;
    while pos < bytes.len() {
        starts.push(pos);
        let n = u32::from_be_bytes(bytes[pos + 88..pos + 92].try_into().unwrap()) as usize;
        pos += 92 + n.div_ceil(4) * 4;
    }
    starts
}

#[test]
fn truncated_files_are_errors() {
    let bytes = std::fs::read(fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.xtc");
    let starts = frame_starts(&bytes);
    assert_eq!(starts.len(), 50);
    // Inside the first header, inside the compressed block, inside a later header,
    // inside a later frame's coordinates.
    for (cut, needle) in [
        (30, "ends inside the header"),
        (56 + 30, "ends inside the compressed"),
        (100, "ends inside the compressed coordinates"),
        (starts[3] + 10, "ends inside the header of frame 3"),
        (bytes.len() - 7, "ends inside the compressed coordinates"),
    ] {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        expect_trajectory_error(xtc::read(&p), needle);
    }
    std::fs::write(&p, b"").unwrap();
    assert!(matches!(xtc::read(&p), Err(Error::EmptyFile { .. })));
    std::fs::write(&p, vec![0u8; 200]).unwrap();
    expect_trajectory_error(xtc::read(&p), "magic");
}

fn set_natoms(bytes: &mut [u8], n: u32) {
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    bytes[52..56].copy_from_slice(&n.to_be_bytes());
}

#[test]
fn absurd_atom_counts_are_errors_without_allocating() {
    let orig = std::fs::read(fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.xtc");
    let t0 = std::time::Instant::now();

    // 10^9 atoms: beyond the 1995 layout.
    let mut b = orig.clone();
    set_natoms(&mut b, 1_000_000_000);
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "more than the XTC 1995 layout");

    // The same in the 2023 layout (64-bit byte count): the byte count is then read from
    // the wrong place and does not fit the file.
    b[0..4].copy_from_slice(&2023i32.to_be_bytes());
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "ends inside the compressed coordinates");

    // 2·10^8 atoms, allowed by the layout, cannot fit in the frame's ~160 bytes.
    let mut b = orig.clone();
    set_natoms(&mut b, 200_000_000);
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "cannot fit");

    // The two counts of a header disagree (molly would assert).
    let mut b = orig.clone();
    b[52..56].copy_from_slice(&23u32.to_be_bytes());
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "two atom counts");

    // A later frame with another atom count.
    let mut b = orig.clone();
    let second = frame_starts(&orig)[1];
    set_natoms(&mut b[second..], 23);
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "frame 1 has 23 atoms");

    // A byte count of 4 GiB in a small file.
    let mut b = orig.clone();
    b[88..92].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "ends inside the compressed coordinates");

    assert!(t0.elapsed().as_secs_f64() < 2.0, "{:?}", t0.elapsed());
}

#[test]
fn damaged_compressed_data_is_an_error() {
    let orig = std::fs::read(fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dmg.xtc");
    // Precision 0 and NaN.
    for prec in [0.0f32, f32::NAN, -1000.0] {
        let mut b = orig.clone();
        b[56..60].copy_from_slice(&prec.to_be_bytes());
        std::fs::write(&p, &b).unwrap();
        expect_trajectory_error(xtc::read(&p), "precision");
    }
    // An out-of-table compression index.
    let mut b = orig.clone();
    b[84..88].copy_from_slice(&200u32.to_be_bytes());
    std::fs::write(&p, &b).unwrap();
    expect_trajectory_error(xtc::read(&p), "smallidx");
    // A byte count shorter than the atoms need: molly runs off the end of its buffer
    // (a panic inside molly) and we report it.
    let mut b = orig.clone();
    let n = u32::from_be_bytes(b[88..92].try_into().unwrap());
    b[88..92].copy_from_slice(&(n / 4).to_be_bytes());
    std::fs::write(&p, &b).unwrap();
    assert!(xtc::read(&p).is_err());
}
