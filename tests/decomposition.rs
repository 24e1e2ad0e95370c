//! The tools that split a walk-jump ensemble's error between the jump and the walk.
//! `walkjump denoise`: the jump alone, from MD frames noised at σ; a trained denoiser
//! brings them back towards the frames they came from, closer in position and in
//! their Ramachandran distribution than the noisy frames are (the identity denoiser,
//! the negative control). `sample --starts`: the walk started from given frames.

mod common;

use walkjump::geometry::rmsd;
use walkjump::io::write_trajectory;

/// The number after `label` in `text` ("jump 0.123 Å" after "jump ").
fn number_after(text: &str, label: &str) -> f64 {
    let rest = &text[text
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {text}"))
        + label.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// `walkjump denoise` of `clean` (alanine dipeptide frames) with `ala2.wjm` on ndarray
/// into `jumps`, and `extra`.
fn denoise_ala2(
    clean: &std::path::Path,
    jumps: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let (ala2, model) = (common::ala2(), common::repo().join("models/ala2.wjm"));
    let mut args = vec![
        "denoise",
        "--top",
        ala2.to_str().unwrap(),
        "--traj",
        clean.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "ndarray",
        "--out",
        jumps.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    common::walkjump(&args)
}

#[test]
fn jumps_of_noised_md_frames_come_back_closer_to_them_than_the_noise_left_them() {
    let dir = tempfile::tempdir().unwrap();
    let (top, frames) = common::topology_and_frames(
        "assets/alanine-dipeptide.pdb",
        "assets/data/ala2-reference.dcd",
    );
    // 500 frames spread over the whole 10 ns.
    let stride = (frames.len() / 500).max(1);
    let clean: Vec<Vec<f64>> = frames.iter().step_by(stride).take(500).cloned().collect();
    let clean_path = dir.path().join("clean.dcd");
    write_trajectory(&clean_path, &top, &clean).unwrap();
    let (jumps, noisy) = (dir.path().join("jumps.dcd"), dir.path().join("noisy.dcd"));
    let ala2 = common::ala2();
    let o = denoise_ala2(&clean_path, &jumps, &["--y-out", noisy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = common::stdout(&o);
    let (rms_jump, rms_noisy) = (
        number_after(&text, "per atom: jump "),
        number_after(&text, ", noisy "),
    );
    // The noisy frames sit σ√3 from their frame per atom (ala2.wjm: σ = 0.4 Å).
    assert!((rms_noisy - 0.4 * 3f64.sqrt()).abs() < 0.03, "{text}");
    assert!(rms_jump < 0.6 * rms_noisy, "{text}");

    let jsd = |samples: &std::path::Path| {
        let json = dir.path().join("report.json");
        common::evaluate(
            &ala2,
            samples,
            &clean_path,
            &["--json", json.to_str().unwrap()],
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        r["ramachandran_jsd"].as_f64().unwrap()
    };
    let (of_jumps, of_noisy) = (jsd(&jumps), jsd(&noisy));
    assert!(
        of_jumps < 0.7 * of_noisy,
        "Ramachandran JSD to the clean frames: jumps {of_jumps:.3}, noisy frames {of_noisy:.3}"
    );
}

#[test]
fn sample_starts_each_chain_from_its_frame_of_the_given_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let (top, frames) = common::topology_and_frames(
        "assets/alanine-dipeptide.pdb",
        "assets/data/ala2-reference.dcd",
    );
    let (first, last) = (frames[0].clone(), frames[frames.len() - 1].clone());
    assert!(rmsd(&first, &last) > 0.5, "the two ends of 10 ns differ");
    let reference = common::repo().join("assets/data/ala2-reference.dcd");
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        common::sample_ala2(&out, "1", extra);
        walkjump::io::read_trajectory(&out, top.n_atoms())
            .unwrap()
            .frames
    };
    // One step from the first and the last frame: each chain's jump is near its own.
    let j = run("starts.xtc", &["--starts", reference.to_str().unwrap()]);
    assert!(
        rmsd(&j[0], &first) < rmsd(&j[0], &last),
        "chain 0 starts from the first frame"
    );
    assert!(
        rmsd(&j[1], &last) < rmsd(&j[1], &first),
        "chain 1 starts from the last frame"
    );
    // Negative control: without --starts both chains start from the PDB's conformation.
    let pdb = walkjump::molecule::load_structure(&common::ala2(), Default::default())
        .unwrap()
        .positions;
    let j = run("pdb.xtc", &[]);
    for x in &j {
        assert!(
            rmsd(x, &pdb) < rmsd(x, &last),
            "a chain without --starts is near the PDB"
        );
    }
}

#[test]
fn openmm_forces_have_no_mean_force_along_a_torsion_and_denoise_prints_the_scores_beside_them() {
    // Claim: the mean force along a torsion is zero for the exact score of an
    // equilibrium ensemble (the torsion's generator is divergence-free). OpenMM's own
    // forces on 2,000 frames of the alanine dipeptide reference, the score at σ → 0,
    // agree within 4 standard errors, and those errors are small enough (< 0.2 k_BT/rad)
    // for a bias like the shipped peptide model's (+0.5 along ψ) to stand out.
    let dir = tempfile::tempdir().unwrap();
    let (top, frames) = common::topology_and_frames(
        "assets/alanine-dipeptide.pdb",
        "assets/data/ala2-reference.dcd",
    );
    let (_, forces) = common::topology_and_frames(
        "assets/alanine-dipeptide.pdb",
        "assets/data/ala2-reference-forces.dcd",
    );
    let pick = |v: &[Vec<f64>]| -> Vec<Vec<f64>> { v.iter().step_by(3).cloned().collect() };
    let (clean_path, forces_path) = (dir.path().join("clean.dcd"), dir.path().join("forces.dcd"));
    write_trajectory(&clean_path, &top, &pick(&frames)).unwrap();
    write_trajectory(&forces_path, &top, &pick(&forces)).unwrap();
    let jumps = dir.path().join("jumps.dcd");
    let o = denoise_ala2(
        &clean_path,
        &jumps,
        &["--forces", forces_path.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = common::stdout(&o);
    for torsion in ["phi ALA2", "psi ALA2"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(torsion))
            .unwrap_or_else(|| panic!("no line for {torsion} in {text}"));
        let learned_error = number_after(&line[line.find("learned score").unwrap()..], "± ");
        let reference = number_after(line, "reference forces ");
        let reference_error = number_after(&line[line.find("reference forces").unwrap()..], "± ");
        assert!(
            reference.abs() < 4.0 * reference_error && reference_error < 0.2,
            "{line}"
        );
        assert!(learned_error < 0.2, "{line}");
    }
    // Then, per torsion, its excess over DSM's target split by the residue's basin in y
    // (alanine dipeptide spends most of its time in β/PII and αR).
    let split = &text[text
        .find("excess of the learned score")
        .unwrap_or_else(|| panic!("no per-basin excess in {text}"))..];
    for torsion in ["phi ALA2", "psi ALA2"] {
        let line = split
            .lines()
            .find(|l| l.trim_start().starts_with(torsion))
            .unwrap_or_else(|| panic!("no per-basin line for {torsion} in {split}"));
        assert!(line.contains("β/PII") && line.contains("αR"), "{line}");
    }
    // Negative control for the reader: a forces file of another length is refused.
    let short = dir.path().join("short.dcd");
    write_trajectory(&short, &top, &forces[..10]).unwrap();
    let o = denoise_ala2(&clean_path, &jumps, &["--forces", short.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("must be the trajectory's"));
}

#[test]
fn sample_walks_with_the_exact_denoiser_of_a_trajectory_and_says_what_it_needs() {
    // `sample --denoiser empirical --frames TRAJ`: the walk with the exact score of
    // TRAJ's frames (the control of `models/README.md`, December 8). It writes its
    // jumps and names its denoiser in the run summary; without frames, with frames but
    // another denoiser, or without σ it refuses and says what is missing.
    let dir = tempfile::tempdir().unwrap();
    let (pdb, frames) = (
        common::ala2(),
        common::repo().join("assets/data/ala2-train.dcd"),
    );
    let out = dir.path().join("exact.xtc");
    let base = [
        "sample",
        "--pdb",
        pdb.to_str().unwrap(),
        "--chains",
        "2",
        "--steps",
        "20",
        "--burn-in",
        "0",
        "--jump-every",
        "5",
        "--out",
        out.to_str().unwrap(),
    ];
    let run = |extra: &[&str]| common::walkjump(&[&base[..], extra].concat());
    let o = run(&[
        "--denoiser",
        "empirical",
        "--frames",
        frames.to_str().unwrap(),
        "--frame-stride",
        "20",
        "--sigma",
        "0.3",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let n =
        common::topology_and_frames("assets/alanine-dipeptide.pdb", "assets/data/ala2-train.dcd")
            .0
            .n_atoms();
    let jumps = walkjump::io::read_trajectory(&out, n).unwrap().frames;
    assert_eq!(jumps.len(), 2 * 4, "2 chains × 20 steps, every fifth jump");
    let summary = std::fs::read_to_string(format!("{}.json", out.display())).unwrap();
    assert!(
        summary.contains("empirical (300 frames of ala2-train.dcd)"),
        "{summary}"
    );
    let refusal = |extra: &[&str], says: &str| {
        let o = run(extra);
        assert!(!o.status.success(), "{extra:?} ran");
        assert!(common::stderr(&o).contains(says), "{}", common::stderr(&o));
    };
    refusal(&["--denoiser", "empirical", "--sigma", "0.3"], "--frames");
    refusal(
        &["--frames", frames.to_str().unwrap()],
        "--denoiser empirical",
    );
    refusal(
        &[
            "--denoiser",
            "empirical",
            "--frames",
            frames.to_str().unwrap(),
        ],
        "--sigma",
    );
}
