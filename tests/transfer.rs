//! The transferable peptide model: one model trained on many peptides types any capped
//! peptide of standard residues, records what it was trained on, and is chosen for
//! molecules that have no model of their own.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::choice::choose_model;
use walkjump::nn::features::Vocabulary;
use walkjump::nn::read_model_meta;

/// A manifest of two shipped training peptides (ACE-ALA-NME, ACE-LYS-NME).
fn small_manifest(dir: &Path) -> PathBuf {
    let data = repo().join("assets/data/peptides");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("manifest.json")).unwrap())
            .unwrap();
    let mut keep = vec![];
    for e in m["peptides"].as_array().unwrap() {
        if ["A", "K"].contains(&e["name"].as_str().unwrap()) {
            let mut e = e.clone();
            for k in ["topology", "positions", "forces"] {
                let p = data.join(e[k].as_str().unwrap());
                e[k] = serde_json::Value::String(p.display().to_string());
            }
            keep.push(e);
        }
    }
    assert_eq!(keep.len(), 2, "the shipped set has A and K");
    let p = dir.join("manifest.json");
    std::fs::write(&p, serde_json::json!({ "peptides": keep }).to_string()).unwrap();
    p
}

/// `walkjump train` on the two-peptide set, writing `dir/name`.
fn run_train(dir: &Path, name: &str, extra: &[&str]) -> std::process::Output {
    let manifest = small_manifest(dir);
    let data = [
        "--manifest",
        manifest.to_str().unwrap(),
        "--objective",
        "mix",
    ];
    run_train_on(&data, &dir.join(name), extra)
}

/// `walkjump train` on `data` (its data and objective arguments) for two tiny steps,
/// validating after each, writing `out`.
fn run_train_on(data: &[&str], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["train"];
    args.extend_from_slice(data);
    args.extend_from_slice(&[
        "--backend",
        "ndarray",
        "--steps",
        "2",
        "--batch",
        "8",
        "--hidden",
        "48",
        "--layers",
        "4",
        "--validate-every",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend_from_slice(extra);
    walkjump(&args)
}

/// The model, its first validation RMSD and the trivial denoiser's (c_skip·y).
fn train(dir: &Path, name: &str, extra: &[&str]) -> (PathBuf, f64, f64) {
    let out = dir.join(name);
    let o = run_train(dir, name, extra);
    first_validation(&o, out)
}

/// After a successful run into `out`: the model, its first validation RMSD and the
/// trivial denoiser's (c_skip·y).
fn first_validation(o: &std::process::Output, out: PathBuf) -> (PathBuf, f64, f64) {
    assert!(o.status.success(), "{}", stderr(o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{}.json", out.display())).unwrap())
            .unwrap();
    let first = summary["summary"]["curve"][0]["validation_rmsd"]
        .as_f64()
        .unwrap();
    let trivial = summary["summary"]["baseline_validation_rmsd"]
        .as_f64()
        .unwrap();
    (out, first, trivial)
}

fn akg() -> walkjump::molecule::Topology {
    load_structure(
        &repo().join("tests/data/peptides/akg.pdb"),
        LoadOptions::default(),
    )
    .unwrap()
    .topology
}

#[test]
fn a_model_trained_on_a_peptide_set_types_peptides_it_never_saw_and_lists_its_training_set() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _, _) = train(dir.path(), "set.wjm", &[]);
    let meta = read_model_meta(&model).unwrap();
    assert_eq!(meta.vocabulary, Vocabulary::peptides());
    assert_eq!(meta.n_atoms, 0, "a transferable model fits any atom count");
    let seqs: Vec<String> = serde_json::from_value(meta.training["sequences"].clone()).unwrap();
    assert_eq!(seqs, ["ACE-ALA-NME", "ACE-LYS-NME"]);
    // ACE-ALA-LYS-GLY-NME was in neither training set: the set's model types it, the
    // single-molecule alanine dipeptide model cannot (negative control).
    let t = akg();
    assert!(meta.vocabulary.features(&t).is_ok());
    let ala2 = read_model_meta(&repo().join("models/ala2.wjm")).unwrap();
    assert!(ala2.vocabulary.features(&t).is_err());
}

#[test]
fn every_template_residue_is_in_the_fixed_vocabulary() {
    // All 27 residue templates (20 amino acids and protonation states, with caps).
    let v = Vocabulary::peptides();
    let text = std::fs::read_to_string(repo().join("assets/templates/residues.pdb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for (k, model) in text.split("ENDMDL").enumerate() {
        if !model.contains("ATOM") && !model.contains("HETATM") {
            continue;
        }
        let p = write(dir.path(), &format!("m{k}.pdb"), &format!("{model}\nEND\n"));
        let t = load_structure(&p, LoadOptions::default()).unwrap().topology;
        v.features(&t)
            .unwrap_or_else(|e| panic!("template {k}: {e}"));
        n += 1;
    }
    assert_eq!(n, 27);
}

#[test]
fn a_warm_start_from_the_alanine_model_starts_far_closer_than_random_weights() {
    let dir = tempfile::tempdir().unwrap();
    let ala2 = repo().join("models/ala2.wjm");
    let (_, warm, trivial) = train(
        dir.path(),
        "warm.wjm",
        &[
            "--warm-start",
            ala2.to_str().unwrap(),
            "--c-bonds",
            "--lr",
            "1e-9",
        ],
    );
    let (_, fresh, _) = train(dir.path(), "fresh.wjm", &["--c-bonds", "--lr", "1e-9"]);
    // With a learning rate too small to learn anything, the first validation shows
    // the initial weights: the carried-over layers already beat the trivial denoiser
    // c_skip·y on peptides they never saw; random weights are no better than it
    // (measured 1.07 Å, 1.39 Å and 1.39 Å).
    assert!(
        warm < 0.85 * trivial,
        "warm {warm:.3} vs c_skip·y {trivial:.3}"
    );
    assert!(
        fresh > 0.95 * trivial,
        "fresh {fresh:.3} vs c_skip·y {trivial:.3}"
    );
}

#[test]
fn weights_trained_under_another_normalisation_constant_keep_theirs() {
    // ala2.wjm was trained with C over its bonds (1.52 Å²); the default C, over pairs
    // within 10 Å, is ~23 Å² on these peptides, so c_in = 1/√(C + 6σ²) would change
    // 3.3× under its weights. A run that goes on from them keeps their C, so the
    // network sees the input scale it learned and beats c_skip·y from the first step,
    // as with --c-bonds in the warm-start test above. (Until December 7 such a run was
    // refused.) Control: from random weights the data's own C is used.
    let dir = tempfile::tempdir().unwrap();
    let ala2 = repo().join("models/ala2.wjm");
    let c_of = |m: &Path| read_model_meta(m).unwrap().c_data;
    let lr = ["--lr", "1e-9"];
    let warm = ["--warm-start", ala2.to_str().unwrap()];
    let (kept, first, trivial) = train(dir.path(), "kept.wjm", &[&warm[..], &lr[..]].concat());
    assert_eq!(c_of(&kept), c_of(&ala2));
    // The rows of atom types ala2.wjm never saw start random, so the first RMSD varies
    // from run to run (0.72-0.92 Å measured against 1.37 Å).
    assert!(
        first < 0.85 * trivial,
        "warm start with the kept C: {first:.3} Å, c_skip·y {trivial:.3} Å"
    );
    let (fresh, _, _) = train(dir.path(), "fresh.wjm", &lr);
    assert!(c_of(&fresh) > 10.0 * c_of(&ala2), "{}", c_of(&fresh));
}

#[test]
fn the_transferable_model_fine_tunes_on_one_molecule_from_where_it_is() {
    // Claim: `train --init-from models/peptides.wjm` on alanine dipeptide's MD alone
    // starts from the transferable model's denoiser (its C, 28.2 Å², not the 17.1 Å²
    // these frames give; its weights and vocabulary): with a learning rate too small
    // to learn, the first held-out RMSD of x̂ is the model's own on this molecule,
    // far below c_skip·y's, also when the run is at another σ. Negative control:
    // random weights, same run, are not.
    let dir = tempfile::tempdir().unwrap();
    let (pdb, traj) = (ala2(), repo().join("assets/data/ala2-train.dcd"));
    let peptides = repo().join("models/peptides.wjm");
    let data = [
        "--top",
        pdb.to_str().unwrap(),
        "--traj",
        traj.to_str().unwrap(),
        "--first-frames",
        "400",
        "--sigma",
        "0.3",
        "--lr",
        "1e-9",
    ];
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let (out, first, trivial) = first_validation(&run_train_on(&data, &out, extra), out);
        (read_model_meta(&out).unwrap(), first, trivial)
    };
    let (tuned, first, trivial) = run("tuned.wjm", &["--init-from", peptides.to_str().unwrap()]);
    let from = read_model_meta(&peptides).unwrap();
    assert_eq!(tuned.c_data, from.c_data);
    assert_eq!(tuned.vocabulary, from.vocabulary);
    // At C = 28.2 Å² c_skip is 0.98, so c_skip·y is ~σ√3 = 0.52 Å away; the model
    // was at 0.22 Å on its held-out frames of the whole set.
    assert!(
        first < 0.3 && first < 0.6 * trivial,
        "fine-tune starts at {first:.3} Å, c_skip·y {trivial:.3} Å"
    );
    // The torsion term adds the error along φ and ψ to the same batch's loss (same
    // seed, same examples, weights not moved at this rate): a larger training loss.
    let train_loss = |name: &str| {
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.json"))).unwrap();
        let s: serde_json::Value = serde_json::from_str(&text).unwrap();
        s["summary"]["curve"][0]["train_loss"].as_f64().unwrap()
    };
    let init = ["--init-from", peptides.to_str().unwrap()];
    run(
        "weighted.wjm",
        &[&init[..], &["--torsion-weight", "1"][..]].concat(),
    );
    assert!(
        train_loss("weighted.wjm") > 1.2 * train_loss("tuned.wjm"),
        "{} against {}",
        train_loss("weighted.wjm"),
        train_loss("tuned.wjm")
    );
    // Weights trained at σ = 0.3 Å are a close start at σ = 0.4 Å too (c_in, c_skip and
    // c_out follow σ; F carries over): the run is at 0.4, and starts near the model.
    let at_04: Vec<&str> = data
        .iter()
        .map(|a| if *a == "0.3" { "0.4" } else { *a })
        .collect();
    let out = dir.path().join("sigma04.wjm");
    let (out, first_04, trivial_04) = first_validation(&run_train_on(&at_04, &out, &init), out);
    assert_eq!(read_model_meta(&out).unwrap().sigma, 0.4);
    assert!(
        first_04 < 0.6 * trivial_04,
        "from σ = 0.3 weights at σ = 0.4: {first_04:.3} Å, c_skip·y {trivial_04:.3} Å"
    );
    let (fresh, first_fresh, trivial_fresh) = run("fresh.wjm", &[]);
    assert!((fresh.c_data - from.c_data).abs() > 5.0, "{}", fresh.c_data);
    assert!(
        first_fresh > 0.9 * trivial_fresh,
        "random weights start at {first_fresh:.3} Å, c_skip·y {trivial_fresh:.3} Å"
    );
}

#[test]
fn the_app_and_sample_choose_the_own_model_else_the_transferable_one_else_say_what_is_covered() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let (set, _, _) = train(dir.path(), "set.wjm", &[]);
    std::fs::copy(&set, models.join("peptides.wjm")).unwrap();
    std::fs::copy(repo().join("models/ala2.wjm"), models.join("ala2.wjm")).unwrap();
    std::fs::copy(repo().join("models/lj13.wjm"), models.join("lj13.wjm")).unwrap();

    let adp = load_structure(&ala2(), LoadOptions::default())
        .unwrap()
        .topology;
    let c = choose_model(&adp, &models).unwrap();
    assert!(c.path.ends_with("ala2.wjm"), "{}", c.reason);
    assert!(c.seen && c.reason.contains("own MD"));

    let c = choose_model(&akg(), &models).unwrap();
    assert!(c.path.ends_with("peptides.wjm"), "{}", c.reason);
    assert!(!c.seen && c.reason.contains("is not among its 2 training sequences"));

    // Without the transferable model nothing fits the tripeptide, and the message
    // says what is covered rather than listing unknown atoms.
    std::fs::remove_file(models.join("peptides.wjm")).unwrap();
    let e = choose_model(&akg(), &models).unwrap_err().to_string();
    assert!(e.contains("no model"), "{e}");
}

#[test]
fn the_shipped_model_counts_a_sequence_run_from_two_starts_once() {
    // Most training sequences were run twice (from PII and from αR), and the header
    // lists one entry per run. The count the user reads must be of peptides seen.
    let meta = read_model_meta(&repo().join("models/peptides.wjm")).unwrap();
    let runs: Vec<String> = serde_json::from_value(meta.training["sequences"].clone()).unwrap();
    let distinct: std::collections::HashSet<&String> = runs.iter().collect();
    assert!(runs.len() > distinct.len(), "the header lists each run");
    let listed = walkjump::nn::choice::training_sequences(&meta).unwrap();
    assert_eq!(listed.len(), distinct.len());
    let ae = load_structure(
        &repo().join("assets/data/peptides/AE/AE.pdb"),
        LoadOptions::default(),
    )
    .unwrap()
    .topology;
    let c = choose_model(&ae, &repo().join("models")).unwrap();
    let counted = format!("is not among its {} training sequences", distinct.len());
    assert!(!c.seen && c.reason.contains(&counted), "{}", c.reason);
    assert!(
        meta.molecule
            .contains(&format!("{} sequences", distinct.len())),
        "{}",
        meta.molecule
    );
}

/// One shipped peptide run (training or test).
struct ShippedRun {
    name: String,
    /// The manifest's `"start"`: "PII" (the builder's) unless the run began elsewhere.
    start: String,
    topology: walkjump::molecule::Topology,
    frames: Vec<Vec<f64>>,
}

/// Every shipped peptide run (training and test; the short set and the long runs).
fn shipped_runs() -> Vec<ShippedRun> {
    ["assets/data/peptides", "assets/data/peptides-long"]
        .iter()
        .flat_map(|d| shipped_runs_in(&repo().join(d)))
        .collect()
}

fn shipped_runs_in(data: &Path) -> Vec<ShippedRun> {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("manifest.json")).unwrap())
            .unwrap();
    let opts = LoadOptions {
        keep_missing_hydrogens: true,
        ..LoadOptions::default()
    };
    m["peptides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = load_structure(&data.join(e["topology"].as_str().unwrap()), opts).unwrap();
            let frames = walkjump::io::read_trajectory(
                &data.join(e["positions"].as_str().unwrap()),
                s.topology.n_atoms(),
            )
            .unwrap()
            .frames;
            ShippedRun {
                name: e["name"].as_str().unwrap().to_string(),
                start: e["start"].as_str().unwrap_or("PII").to_string(),
                topology: s.topology,
                frames,
            }
        })
        .collect()
}

/// Training's verdict on 12 copies of `x`.
fn validate_copies(t: &walkjump::molecule::Topology, x: &[f64]) -> Result<(), String> {
    walkjump::nn::train::TrainData {
        topology: t.clone(),
        molecule: "control".into(),
        length_unit: "angstrom".into(),
        frames: vec![x.to_vec(); 12],
        forces: None,
    }
    .validate(false)
    .map_err(|e| e.to_string())
}

/// The notes the loader makes when `x` is written to a PDB and opened.
fn notes_on_opening(t: &walkjump::molecule::Topology, x: &[f64]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("control.pdb");
    walkjump::io::write_trajectory(&p, t, &[x.to_vec()]).unwrap();
    load_structure(&p, LoadOptions::default()).unwrap().notes
}

#[test]
fn every_shipped_peptide_is_all_l_and_training_refuses_a_d_residue() {
    // Claim: the shipped MD (training and reference) holds L-amino acids only. Until
    // December 7, 19 training dipeptides and the test tripeptide had a D residue
    // before the NME cap (PDBFixer's inserted residues), which taught the model
    // mirror images and judged it against a mirrored reference.
    use walkjump::analysis::chirality::{d_residues, l_residues};
    let runs = shipped_runs();
    let mut d = vec![];
    let mut checked = 0;
    for ShippedRun {
        name,
        topology: t,
        frames,
        ..
    } in &runs
    {
        checked += l_residues(t).iter().map(|r| r.centres.len()).sum::<usize>();
        for (label, f, form) in d_residues(t, frames) {
            d.push(format!("{name} {label} {form} ({:.0} %)", 100.0 * f));
        }
    }
    assert!(checked > 100, "only {checked} chiral centres found");
    assert!(d.is_empty(), "D residues in the shipped data: {d:?}");

    // Negative control: the mirror image of a shipped peptide is refused by training,
    // with the residue named, and opening it says which residue is D.
    let (t, frames) = (&runs[0].topology, &runs[0].frames);
    let x = &frames[0];
    let mirror = common::mirror(std::slice::from_ref(x)).remove(0);
    validate_copies(t, x).expect("the L peptide is accepted");
    let err = validate_copies(t, &mirror).unwrap_err();
    assert!(err.contains("D-amino acid or allo form at ALA"), "{err}");
    assert!(notes_on_opening(t, x)
        .iter()
        .all(|n| !n.contains("D-amino acid")));
    let notes = notes_on_opening(t, &mirror);
    assert!(
        notes.iter().any(|n| n.contains("ALA2 is a D-amino acid")),
        "{notes:?}"
    );

    // Threonine's Cβ is checked too: the shipped FT, T and TY runs are all (2S,3R),
    // and a built TA with OG1 and CG2 exchanged (L-allo-threonine) is refused by
    // training and named on opening; the built TA itself is neither.
    let s = walkjump::molecule::build_peptide("TA").unwrap();
    let (og1, cg2) = (
        s.topology.find_atom(1, "OG1").unwrap(),
        s.topology.find_atom(1, "CG2").unwrap(),
    );
    let mut allo = s.positions.clone();
    for k in 0..3 {
        allo.swap(3 * og1 + k, 3 * cg2 + k);
    }
    validate_copies(&s.topology, &s.positions).expect("L-threonine is accepted");
    let err = validate_copies(&s.topology, &allo).unwrap_err();
    assert!(err.contains("THR2 (L-allo, 100 % of frames)"), "{err}");
    assert!(notes_on_opening(&s.topology, &s.positions)
        .iter()
        .all(|n| !n.contains("THR2")));
    let notes = notes_on_opening(&s.topology, &allo);
    assert!(
        notes.iter().any(|n| n.contains("THR2 is an allo form")),
        "{notes:?}"
    );
}

#[test]
fn every_shipped_peptide_bond_is_trans_and_training_refuses_a_cis_one() {
    // Claim: in the shipped MD every peptide bond not before a proline is trans. Until
    // December 7 PDBFixer's builds had left cis bonds in every frame of four of the six
    // test references (AE, KF, NP, VG) and nine training peptides.
    use walkjump::analysis::peptide_bond::{cis_bonds, isomerised, peptide_bonds};
    let mut cis = vec![];
    let mut checked = 0;
    for ShippedRun {
        name,
        topology: t,
        frames,
        ..
    } in &shipped_runs()
    {
        checked += peptide_bonds(t).len();
        for (label, f) in cis_bonds(t, frames) {
            cis.push(format!("{name} {label} ({:.0} %)", 100.0 * f));
        }
    }
    // Two bonds per single residue, three per dipeptide: well over 150 in the set.
    assert!(checked > 150, "only {checked} peptide bonds found");
    assert!(
        cis.is_empty(),
        "cis peptide bonds in the shipped data: {cis:?}"
    );

    // Negative control: turn the ALA-GLU bond of the built AE cis (everything past its
    // N rotated by 180° about C-N): training refuses it, opening it says so.
    let s = walkjump::molecule::build_peptide("AE").unwrap();
    let bond = peptide_bonds(&s.topology).remove(1);
    let flipped = isomerised(&s.topology, &s.positions, &bond);
    validate_copies(&s.topology, &s.positions).expect("the trans peptide is accepted");
    let err = validate_copies(&s.topology, &flipped).unwrap_err();
    assert!(err.contains("cis peptide bond at ALA2-GLU3"), "{err}");
    assert!(notes_on_opening(&s.topology, &s.positions)
        .iter()
        .all(|n| !n.contains("cis")));
    let notes = notes_on_opening(&s.topology, &flipped);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("peptide bond ALA2-GLU3 is cis")),
        "{notes:?}"
    );
}

#[test]
fn the_runs_started_in_alpha_r_begin_there_and_the_polyproline_starts_do_not() {
    // Claim: every training run marked `"start": "alphaR"` in the manifest (a second
    // run of each training peptide, from `jobs/train-alphaR.json`) begins with its residues in the αR
    // core, so the set no longer starts every run in polyproline II. Negative control:
    // the PII runs of the same sequences begin outside αR.
    use walkjump::analysis::basin::residue_basins;
    let runs = shipped_runs();
    let names: std::collections::HashSet<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    // The first 5 ps (10 frames at 0.5 ps): long enough to average the jitter across
    // the core's border, short against the ~40 ps a residue stays in αR.
    let early_alpha_r = |t: &walkjump::molecule::Topology, frames: &[Vec<f64>]| -> f64 {
        let r = residue_basins(t, &frames[..10.min(frames.len())]);
        r.iter().map(|b| b.fractions[1]).sum::<f64>() / r.len() as f64
    };
    let (mut alpha, mut pii) = (vec![], vec![]);
    for r in &runs {
        let early = (r.name.clone(), early_alpha_r(&r.topology, &r.frames));
        match r.start.as_str() {
            "alphaR" => alpha.push(early),
            "PII" if names.contains(format!("{}-aR", r.name).as_str()) => pii.push(early),
            _ => {}
        }
    }
    assert!(alpha.len() >= 60, "only {} αR-started runs", alpha.len());
    assert_eq!(alpha.len(), pii.len(), "every αR start has its PII run");
    let mean = |v: &[(String, f64)]| v.iter().map(|p| p.1).sum::<f64>() / v.len() as f64;
    let not_there: Vec<_> = alpha.iter().filter(|p| p.1 < 0.5).collect();
    assert!(
        not_there.len() * 10 <= alpha.len(),
        "αR-started runs whose residues spent under half of their first 5 ps in αR: {not_there:?}"
    );
    assert!(
        mean(&alpha) > 0.7,
        "αR starts: {:.2} in αR early",
        mean(&alpha)
    );
    assert!(
        mean(&pii) < 0.2,
        "PII starts: {:.2} in αR early",
        mean(&pii)
    );
}
