//! The peptide metrics as scientific claims, each with a negative control: an
//! independent MD run scores near the MD-vs-MD floor while a damaged ensemble scores
//! far above it, the damage shows in the residue and torsion it was done to and
//! nowhere else, χ1 exists exactly where a side chain has a γ atom, and a mirror image
//! is all D.
//!
//! Multi-residue data: `tests/data/peptides/akg.pdb` (ACE-ALA-LYS-GLY-NME, built by
//! an earlier `tools/openmm/peptide_build.py AKG`, with PDBFixer) and `akg_md.xtc`, 1 ns
//! of OpenMM MD saved every ps (`tools/openmm/ala2_md.py --ns 1 --save-ps 1 --seed 7`,
//! settings in `akg_md-openmm.json`). Its two inner peptide bonds are cis in every
//! frame (PDBFixer's inserted residues left that; found December 7). These tests are
//! about the metrics, which take any molecule's torsions, so the fixture stays; no
//! model is trained or judged on it.

mod common;

use common::{mirror, repo, walkjump};
use walkjump::analysis::report::{evaluate_against_reference, PeptideReport};
use walkjump::io::{read_trajectory, write_trajectory};
use walkjump::molecule::{load_structure, LoadOptions, Topology, TorsionKind};

fn topology(path: &str) -> Topology {
    load_structure(&repo().join(path), LoadOptions::default())
        .unwrap()
        .topology
}

fn frames(path: &str, top: &Topology) -> Vec<Vec<f64>> {
    read_trajectory(&repo().join(path), top.n_atoms())
        .unwrap()
        .frames
}

fn ala2() -> (Topology, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let top = topology("assets/alanine-dipeptide.pdb");
    let reference = frames("assets/data/ala2-reference.dcd", &top);
    let train = frames("assets/data/ala2-train.dcd", &top);
    (top, reference, train)
}

fn akg() -> (Topology, Vec<Vec<f64>>) {
    let top = topology("tests/data/peptides/akg.pdb");
    let md = frames("tests/data/peptides/akg_md.xtc", &top);
    (top, md)
}

fn atom(top: &Topology, residue: &str, name: &str) -> usize {
    let r = top.residues.iter().position(|r| r.name == residue).unwrap();
    top.find_atom(r, name).unwrap()
}

fn p(x: &[f64], i: usize) -> [f64; 3] {
    [x[3 * i], x[3 * i + 1], x[3 * i + 2]]
}

/// Rotate the atoms beyond the bond a–b by `deg` about the a→b axis (Rodrigues): the
/// torsion about that bond changes by `deg`, every other internal coordinate stays.
fn rotate_about_bond(
    top: &Topology,
    frames: &[Vec<f64>],
    a: usize,
    b: usize,
    deg: f64,
) -> Vec<Vec<f64>> {
    let moving = top.beyond(a, b).expect("a–b is in a ring");
    let (s, c) = deg.to_radians().sin_cos();
    frames
        .iter()
        .map(|x| {
            let (pa, pb) = (p(x, a), p(x, b));
            let mut k = [pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]];
            let l = (k[0] * k[0] + k[1] * k[1] + k[2] * k[2]).sqrt();
            k.iter_mut().for_each(|v| *v /= l);
            let mut y = x.clone();
            for &i in &moving {
                let v = {
                    let q = p(x, i);
                    [q[0] - pb[0], q[1] - pb[1], q[2] - pb[2]]
                };
                let kxv = [
                    k[1] * v[2] - k[2] * v[1],
                    k[2] * v[0] - k[0] * v[2],
                    k[0] * v[1] - k[1] * v[0],
                ];
                let kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
                for d in 0..3 {
                    y[3 * i + d] = pb[d] + v[d] * c + kxv[d] * s + k[d] * kv * (1.0 - c);
                }
            }
            y
        })
        .collect()
}

fn show(what: &str, r: &PeptideReport) {
    eprintln!(
        "{what}\n{}\n{}\n{}",
        PeptideReport::markdown_header(),
        r.markdown_row(),
        r.markdown_residues()
    );
}

fn evenly(frames: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    walkjump::analysis::report::subsample_evenly(frames, n)
}

#[test]
fn an_independent_md_run_scores_near_the_floor_and_a_rotated_psi_far_above_it() {
    let (top, reference, train) = ala2();
    let samples = evenly(&train, 2000);
    let md = evaluate_against_reference(&top, &samples, &reference).unwrap();
    show(
        "independent MD run (ala2-train) against ala2-reference",
        &md,
    );
    assert_eq!(md.floor.frames_a, 2000, "the floor is at the sample count");
    let res = &md.residues[0];
    // The floor is finite sampling alone: small, and an independent MD run of the same
    // size is within a few hundredths of it.
    assert!(res.ramachandran_floor < 0.2, "{}", res.ramachandran_floor);
    assert!(
        res.ramachandran_jsd < res.ramachandran_floor + 0.05,
        "{} vs floor {}",
        res.ramachandran_jsd,
        res.ramachandran_floor
    );
    let tica = md.tica.as_ref().unwrap();
    assert!(tica.jsd < tica.floor + 0.05, "{tica:?}");

    // Negative control: ψ turned by 120° in every frame.
    let psi = top
        .torsions
        .iter()
        .find(|t| t.kind == TorsionKind::Psi)
        .unwrap();
    let bad = rotate_about_bond(&top, &samples, psi.atoms[1], psi.atoms[2], 120.0);
    let r = evaluate_against_reference(&top, &bad, &reference).unwrap();
    show("the same run with ψ + 120°", &r);
    let b = &r.residues[0];
    assert!(b.ramachandran_jsd > 3.0 * b.ramachandran_floor, "{b:?}");
    assert!(b.psi_jsd > 3.0 * b.psi_floor, "{b:?}");
    // ...and only ψ: φ is the same to the last bit, the floor too.
    assert_eq!(b.phi_jsd, res.phi_jsd);
    assert_eq!(b.ramachandran_floor, res.ramachandran_floor);
    let t = r.tica.as_ref().unwrap();
    assert!(t.jsd > 3.0 * t.floor, "{t:?}");
}

#[test]
fn chi1_exists_exactly_where_the_side_chain_has_a_gamma_atom() {
    let kinds = |top: &Topology, res: &str| -> Vec<TorsionKind> {
        let r = top.residues.iter().position(|r| r.name == res).unwrap();
        top.torsions
            .iter()
            .filter(|t| t.residue == r)
            .map(|t| t.kind)
            .collect()
    };
    let ala2 = topology("assets/alanine-dipeptide.pdb");
    assert_eq!(kinds(&ala2, "ALA"), [TorsionKind::Phi, TorsionKind::Psi]);
    let (top, md) = akg();
    // ALA has CB but no γ, GLY not even CB; LYS has CB–CG.
    assert_eq!(kinds(&top, "ALA"), [TorsionKind::Phi, TorsionKind::Psi]);
    assert_eq!(kinds(&top, "GLY"), [TorsionKind::Phi, TorsionKind::Psi]);
    assert_eq!(
        kinds(&top, "LYS"),
        [TorsionKind::Phi, TorsionKind::Psi, TorsionKind::Chi1]
    );
    let chi1 = top
        .torsions
        .iter()
        .find(|t| t.kind == TorsionKind::Chi1)
        .unwrap();
    let names: Vec<&str> = chi1
        .atoms
        .iter()
        .map(|&a| top.atoms[a].name.as_str())
        .collect();
    assert_eq!(names, ["N", "CA", "CB", "CG"]);
    // The report follows: a χ1 distance for LYS only, a D fraction wherever there is CB.
    let r = evaluate_against_reference(&top, &md, &md).unwrap();
    let row = |name: &str| {
        r.residues
            .iter()
            .find(|x| x.residue.starts_with(name))
            .unwrap()
    };
    assert!(row("ALA").chi1_jsd.is_none() && row("GLY").chi1_jsd.is_none());
    assert!(row("LYS").chi1_jsd.is_some());
    assert!(row("ALA").d_fraction.is_some() && row("GLY").d_fraction.is_none());
}

#[test]
fn a_mirror_image_is_all_d_and_md_is_all_l() {
    let (top, reference, train) = ala2();
    let samples = evenly(&train, 1000);
    let l = evaluate_against_reference(&top, &samples, &reference).unwrap();
    assert_eq!(l.residues[0].d_fraction, Some(0.0));
    assert_eq!(l.residues[0].reference_d_fraction, Some(0.0));
    let d = evaluate_against_reference(&top, &mirror(&samples), &reference).unwrap();
    show("mirror image of an MD run", &d);
    assert_eq!(d.residues[0].d_fraction, Some(1.0));
    assert_eq!(d.d_fraction_max, Some(1.0));
    // Mirroring also negates φ and ψ: the Ramachandran sees it too.
    assert!(d.ramachandran_jsd > 3.0 * d.ramachandran_floor, "{d:?}");
}

#[test]
fn samples_with_no_angle_still_count() {
    let (top, reference, train) = ala2();
    let clean = evenly(&train, 1000);
    let mut broken = clean.clone();
    // A tenth of the frames without coordinates: their angles are NaN, outside every
    // bin, and must raise the distances instead of vanishing from them.
    for f in broken.iter_mut().step_by(10) {
        f.iter_mut().for_each(|v| *v = f64::NAN);
    }
    let a = evaluate_against_reference(&top, &clean, &reference).unwrap();
    let b = evaluate_against_reference(&top, &broken, &reference).unwrap();
    assert!(
        b.ramachandran_jsd > a.ramachandran_jsd + 0.05,
        "{} vs {}",
        b.ramachandran_jsd,
        a.ramachandran_jsd
    );
    assert!(b.torsion_jsd > a.torsion_jsd + 0.05);
    let (ta, tb) = (a.tica.unwrap(), b.tica.unwrap());
    assert!(
        tb.jsd > ta.jsd + 0.05 && tb.outside_fraction >= 0.1,
        "{tb:?}"
    );
    // A centre with no geometry is not a good L centre.
    assert_eq!(b.residues[0].d_fraction, Some(0.1));
}

#[test]
fn damage_to_one_residue_shows_in_that_residue_only() {
    let (top, md) = akg();
    // A sampler that reproduces MD exactly scores 0, below the floor.
    let same = evaluate_against_reference(&top, &md, &md).unwrap();
    show("AKG: MD against itself", &same);
    assert_eq!(same.sequence, "AKG");
    assert_eq!(same.residues.len(), 3, "ALA, LYS and GLY each have φ and ψ");
    assert_eq!(same.floor.frames_a, 500);
    assert_eq!(same.ramachandran_jsd, 0.0);
    for r in &same.residues {
        assert!(
            r.ramachandran_floor > 0.0 && r.ramachandran_floor < 0.5,
            "{r:?}"
        );
    }
    // TICA on every torsion (DESIGN.md): 6 backbone and LYS χ1, 14 features.
    assert_eq!(same.tica.as_ref().unwrap().features, 14);

    // ψ of LYS turned by 120°: LYS far above its floor, ALA and GLY untouched.
    let (ca, c) = (atom(&top, "LYS", "CA"), atom(&top, "LYS", "C"));
    let r =
        evaluate_against_reference(&top, &rotate_about_bond(&top, &md, ca, c, 120.0), &md).unwrap();
    show("AKG with LYS ψ + 120°", &r);
    let by = |name: &str| {
        r.residues
            .iter()
            .find(|x| x.residue.starts_with(name))
            .unwrap()
    };
    assert!(by("LYS").ramachandran_jsd > 3.0 * by("LYS").ramachandran_floor);
    assert!(by("LYS").psi_jsd > 3.0 * by("LYS").psi_floor);
    assert!(by("LYS").phi_jsd < 1e-9 && by("LYS").chi1_jsd.unwrap() < 1e-9);
    assert!(by("ALA").ramachandran_jsd < 1e-9 && by("GLY").ramachandran_jsd < 1e-9);
    // One nanosecond leaves the halves' TIC 0/1 densities ~0.4 apart; the damage
    // puts about half the samples outside the reference's range (0.91, 0.52 measured).
    let t = r.tica.as_ref().unwrap();
    assert!(t.jsd > t.floor + 0.3 && t.outside_fraction > 0.4, "{t:?}");

    // χ1 of LYS turned by 60° (every rotamer eclipsed): the χ1 distance sees it, the
    // Ramachandran does not; TICA, which includes χ1, does.
    let cb = atom(&top, "LYS", "CB");
    let r =
        evaluate_against_reference(&top, &rotate_about_bond(&top, &md, ca, cb, 60.0), &md).unwrap();
    let lys = r
        .residues
        .iter()
        .find(|x| x.residue.starts_with("LYS"))
        .unwrap();
    assert!(
        lys.chi1_jsd.unwrap() > 3.0 * lys.chi1_floor.unwrap(),
        "{lys:?}"
    );
    assert!(r.ramachandran_jsd < 1e-9, "{r:?}");
    let t = r.tica.as_ref().unwrap();
    assert!(t.jsd > t.floor, "{t:?}");
    assert_eq!(lys.d_fraction, Some(0.0));

    // The LYS CB reflected through its N–CA–C plane in every other frame: that centre
    // is D half the time, ALA's never.
    let n = atom(&top, "LYS", "N");
    let half_d: Vec<Vec<f64>> = md
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let mut y = x.clone();
            if k % 2 == 0 {
                let (pn, pa, pc, pb) = (p(x, n), p(x, ca), p(x, c), p(x, cb));
                let u = [pn[0] - pa[0], pn[1] - pa[1], pn[2] - pa[2]];
                let v = [pc[0] - pa[0], pc[1] - pa[1], pc[2] - pa[2]];
                let mut nrm = [
                    u[1] * v[2] - u[2] * v[1],
                    u[2] * v[0] - u[0] * v[2],
                    u[0] * v[1] - u[1] * v[0],
                ];
                let l = nrm.iter().map(|a| a * a).sum::<f64>().sqrt();
                nrm.iter_mut().for_each(|a| *a /= l);
                let h: f64 = (0..3).map(|d| (pb[d] - pa[d]) * nrm[d]).sum();
                for d in 0..3 {
                    y[3 * cb + d] = pb[d] - 2.0 * h * nrm[d];
                }
            }
            y
        })
        .collect();
    let r = evaluate_against_reference(&top, &half_d, &md).unwrap();
    let by = |name: &str| {
        r.residues
            .iter()
            .find(|x| x.residue.starts_with(name))
            .unwrap()
    };
    assert_eq!(by("LYS").d_fraction, Some(0.5));
    assert_eq!(by("ALA").d_fraction, Some(0.0));
    assert_eq!(by("LYS").reference_d_fraction, Some(0.0));
}

#[test]
fn evaluate_writes_the_report_and_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (top, md) = akg();
    // Samples as a multi-model PDB, the reference as XTC: the formats a user brings.
    let samples = dir.path().join("samples.pdb");
    write_trajectory(&samples, &top, &evenly(&md, 200)).unwrap();
    let (json, markdown) = (dir.path().join("r.json"), dir.path().join("r.md"));
    let out = common::evaluate(
        &repo().join("tests/data/peptides/akg.pdb"),
        &samples,
        &repo().join("tests/data/peptides/akg_md.xtc"),
        &[
            "--json",
            json.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("LYS3") && out.contains("chi1 LYS3") && out.contains("TICA-0/1 JSD"),
        "{out}"
    );
    let r: PeptideReport = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (r.samples, r.reference_frames, r.floor.frames_a),
        (200, 1000, 200)
    );
    assert_eq!(r.residues.len(), 3);
    assert_eq!(r.torsions.len(), 7, "φ and ψ of three residues, χ1 of LYS");
    let md_text = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md_text.contains(&r.markdown_row()) && md_text.contains("| GLY4 |"),
        "{md_text}"
    );
    // The samples are MD frames, so every distance is near its floor.
    assert!(r.ramachandran_jsd < r.ramachandran_floor + 0.1, "{md_text}");
}

#[test]
fn evaluate_over_a_manifest_gives_one_row_per_peptide_with_samples() {
    let dir = tempfile::tempdir().unwrap();
    let (top, md) = akg();
    let data = repo().join("tests/data/peptides");
    let manifest = common::write(
        dir.path(),
        "manifest.json",
        &serde_json::json!({"peptides": [
            {"name": "AKG", "sequence": "AKG", "split": "test",
             "topology": data.join("akg.pdb"), "positions": data.join("akg_md.xtc")},
            {"name": "KW", "sequence": "KW", "split": "test",
             "topology": "kw.pdb", "positions": "kw.dcd"},
            {"name": "AA", "sequence": "AA", "split": "train",
             "topology": "aa.pdb", "positions": "aa.dcd"}
        ]})
        .to_string(),
    );
    let samples = dir.path().join("samples");
    std::fs::create_dir(&samples).unwrap();
    write_trajectory(&samples.join("AKG.dcd"), &top, &evenly(&md, 100)).unwrap();
    let json = dir.path().join("all.json");
    let o = walkjump(&[
        "evaluate",
        "--manifest",
        manifest.to_str().unwrap(),
        "--samples-dir",
        samples.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{}{}", out, common::stderr(&o));
    // The test split only: AKG evaluated, KW named as missing, AA (train) not looked at.
    assert!(out.contains("| AKG | 100 | 100 |"), "{out}");
    assert!(
        out.contains("no samples for: KW") && !out.contains("AA"),
        "{out}"
    );
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["AKG"]);
}

/// The report's basin populations agree between two independent MD runs of alanine
/// dipeptide, and its count of the reference's moves between basins tells a 10 ns
/// run (many) from a "run" that never left its first frame (none, the negative
/// control: a reference too short to judge populations).
#[test]
fn basin_populations_agree_between_md_runs_and_a_stuck_reference_has_no_moves() {
    use walkjump::analysis::basin::MIN_BASIN_CHANGES;
    let (top, reference, train) = ala2();
    let samples = evenly(&train, 2000);
    let md = evaluate_against_reference(&top, &samples, &reference).unwrap();
    let res = &md.residues[0];
    let (b, rb) = (
        res.basin_fractions.unwrap(),
        res.reference_basin_fractions.unwrap(),
    );
    for k in 0..3 {
        assert!((b[k] - rb[k]).abs() < 0.1, "{b:?} vs {rb:?}");
    }
    // β/PII and αR both populated in 10 ns of ff14SB + GBn2.
    assert!(rb[0] > 0.1 && rb[1] > 0.1, "{rb:?}");
    let moves = res.reference_basin_changes.unwrap();
    assert!(moves >= 5 * MIN_BASIN_CHANGES, "{moves}");
    assert_eq!(md.reference_basin_changes_min, Some(moves));

    let stuck = vec![reference[0].clone(); 200];
    let r = evaluate_against_reference(&top, &samples, &stuck).unwrap();
    assert_eq!(r.reference_basin_changes_min, Some(0));
    let f = r.residues[0].reference_basin_fractions.unwrap();
    assert_eq!(f.iter().filter(|&&v| v == 1.0).count(), 1, "{f:?}");
    assert!(r.markdown_residues().contains("0 (few)"));
}
