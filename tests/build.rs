//! `walkjump build` and the hydrogen completion of the loader (issue 13 §1), stated as
//! claims, each with a negative control that the check would catch a wrong structure.
// Pair loops over atoms read best with indices.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{ala2, repo, stderr, walkjump};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use walkjump::analysis::dihedral::dihedral_of;
use walkjump::io::write_trajectory;
use walkjump::molecule::build::{self, all_templates, ONE_LETTER, PHI, PSI};
use walkjump::molecule::coverage::{check_peptide, COVERED};
use walkjump::molecule::{
    build_peptide, load_structure, Element, LoadOptions, Structure, Topology, TorsionKind,
};
use walkjump::Error;

/// Heavy atoms more than two bonds apart must be at least this far apart (Å): below
/// the 2.8–3.0 Å of the closest non-bonded contacts in minimised peptides (1–4 pairs
/// across a trans peptide bond), far above the ~1.5 Å a misplaced atom reaches.
const MIN_HEAVY: f64 = 2.5;
/// The same for pairs with a hydrogen.
const MIN_WITH_H: f64 = 1.7;

fn xyz(p: &[f64], i: usize) -> [f64; 3] {
    [p[3 * i], p[3 * i + 1], p[3 * i + 2]]
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Bonds between every pair of atoms (BFS over the bond graph), capped at 3.
fn bond_separation(t: &Topology) -> Vec<Vec<u8>> {
    let n = t.n_atoms();
    let mut adj = vec![vec![]; n];
    for &(a, b) in &t.bonds {
        adj[a].push(b);
        adj[b].push(a);
    }
    (0..n)
        .map(|s| {
            let mut d = vec![3u8; n];
            d[s] = 0;
            let mut q = VecDeque::from([s]);
            while let Some(u) = q.pop_front() {
                if d[u] >= 2 {
                    continue;
                }
                for &v in &adj[u] {
                    if d[v] > d[u] + 1 {
                        d[v] = d[u] + 1;
                        q.push_back(v);
                    }
                }
            }
            d
        })
        .collect()
}

/// Pairs of atoms more than two bonds apart that are closer than the thresholds.
fn clashes(s: &Structure) -> Vec<String> {
    let t = &s.topology;
    let sep = bond_separation(t);
    let label = |i: usize| {
        let r = &t.residues[t.atoms[i].residue];
        format!("{}{}:{}", r.name, r.number, t.atoms[i].name)
    };
    let mut out = vec![];
    for i in 0..t.n_atoms() {
        for j in i + 1..t.n_atoms() {
            if sep[i][j] < 3 {
                continue;
            }
            let heavy = t.atoms[i].element != Element::H && t.atoms[j].element != Element::H;
            let min = if heavy { MIN_HEAVY } else { MIN_WITH_H };
            let d = dist(xyz(&s.positions, i), xyz(&s.positions, j));
            if d < min {
                out.push(format!("{}-{} {d:.2} Å", label(i), label(j)));
            }
        }
    }
    out
}

/// Residues whose Cα is not L: the improper N-CA-C-CB has the sign it has in the
/// bundled (L-)alanine dipeptide.
fn not_left_handed(s: &Structure) -> Vec<String> {
    let ala = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let improper = |s: &Structure, r: usize| {
        let t = &s.topology;
        let f = |n| t.find_atom(r, n);
        Some(dihedral_of(
            &s.positions,
            [f("N")?, f("CA")?, f("C")?, f("CB")?],
        ))
    };
    let l_sign = improper(&ala, 1).unwrap().signum();
    (0..s.topology.residues.len())
        .filter(|&r| improper(s, r).is_some_and(|d| d.signum() != l_sign))
        .map(|r| {
            format!(
                "{}{}",
                s.topology.residues[r].name, s.topology.residues[r].number
            )
        })
        .collect()
}

/// Bonds whose length differs from the same bond in the residue's template by more
/// than `tol` Å (the peptide bonds against the template's ACE C – X N).
fn bonds_off_template(s: &Structure, tol: f64) -> Vec<String> {
    let t = &s.topology;
    let nres = t.residues.len();
    let mut out = vec![];
    for &(a, b) in &t.bonds {
        let (ra, rb) = (t.atoms[a].residue, t.atoms[b].residue);
        // The X residue whose template holds this bond, and the template residues.
        let x = if ra == 0 {
            1
        } else if ra == nres - 1 {
            nres - 2
        } else {
            ra
        };
        let tm = build::template(&t.residues[x].name).unwrap();
        let slot = |r: usize| 1 + r as isize - x as isize;
        let tt = &tm.structure.topology;
        let name = |i: usize, r: usize| {
            let n = t.atoms[i].name.as_str();
            match (slot(r) != 1, r == 0 || r == nres - 1, n) {
                (true, false, "CA") => "CH3",
                _ => n,
            }
        };
        let (Some(ia), Some(ib)) = (
            tt.find_atom(slot(ra) as usize, name(a, ra)),
            tt.find_atom(slot(rb) as usize, name(b, rb)),
        ) else {
            panic!(
                "bond {}-{} not in the template",
                t.atoms[a].name, t.atoms[b].name
            );
        };
        let want = dist(
            xyz(&tm.structure.positions, ia),
            xyz(&tm.structure.positions, ib),
        );
        let got = dist(xyz(&s.positions, a), xyz(&s.positions, b));
        if (got - want).abs() > tol {
            out.push(format!(
                "{}{} {}-{}: {got:.3} Å, template {want:.3} Å",
                t.residues[ra].name, t.residues[ra].number, t.atoms[a].name, t.atoms[b].name
            ));
        }
    }
    out
}

fn every_variant() -> Vec<String> {
    all_templates().iter().map(|t| t.name.clone()).collect()
}

#[test]
fn every_residue_builds_capped_complete_l_and_clash_free() {
    for name in every_variant() {
        let s = build_peptide(&name).unwrap();
        let t = &s.topology;
        let names: Vec<_> = t.residues.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["ACE", name.as_str(), "NME"]);
        let tm = build::template(&name).unwrap();
        for r in 0..3 {
            let got: Vec<_> = t.residues[r]
                .atoms
                .iter()
                .map(|&a| t.atoms[a].name.as_str())
                .collect();
            assert_eq!(got, tm.atom_names(r), "{name}: atoms of residue {r}");
        }
        assert!(clashes(&s).is_empty(), "{name}: {:?}", clashes(&s));
        assert!(not_left_handed(&s).is_empty(), "{name} is not L");
        assert!(
            bonds_off_template(&s, 0.05).is_empty(),
            "{name}: {:?}",
            bonds_off_template(&s, 0.05)
        );
        check_peptide(t).unwrap();
    }
}

#[test]
fn the_checks_catch_a_mirror_image_a_clash_and_a_stretched_bond() {
    let s = build_peptide("W").unwrap();
    let mut mirror = s.clone();
    for v in mirror.positions.iter_mut().step_by(3) {
        *v = -*v;
    }
    assert_eq!(not_left_handed(&mirror), ["TRP2"]);
    // Mirroring changes no distance: the clash and bond checks still pass.
    assert!(clashes(&mirror).is_empty());
    let mut squeezed = s.clone();
    let t = &s.topology;
    let (cz2, o) = (t.find_atom(1, "CZ2").unwrap(), t.find_atom(0, "O").unwrap());
    for k in 0..3 {
        squeezed.positions[3 * cz2 + k] = s.positions[3 * o + k] + 1.0;
    }
    assert!(!clashes(&squeezed).is_empty());
    let mut stretched = s.clone();
    let (ca, cb) = (t.find_atom(1, "CA").unwrap(), t.find_atom(1, "CB").unwrap());
    for k in 0..3 {
        let d = s.positions[3 * cb + k] - s.positions[3 * ca + k];
        stretched.positions[3 * cb + k] = s.positions[3 * ca + k] + d * (1.0 + 0.08 / 1.53);
    }
    let off = bonds_off_template(&stretched, 0.05);
    assert!(off.len() == 1 && off[0].contains("CA-CB"), "{off:?}");
}

#[test]
fn all_400_dipeptides_build_l_and_clash_free_with_template_bonds() {
    let mut worst_heavy = f64::INFINITY;
    for (a, _) in ONE_LETTER {
        for (b, _) in ONE_LETTER {
            let seq = format!("{a}{b}");
            let s = build_peptide(&seq).unwrap();
            assert_eq!(s.topology.residues.len(), 4, "{seq}");
            let c = clashes(&s);
            assert!(c.is_empty(), "{seq}: {c:?}");
            assert!(not_left_handed(&s).is_empty(), "{seq} is not L");
            let off = bonds_off_template(&s, 0.05);
            assert!(off.is_empty(), "{seq}: {off:?}");
            check_peptide(&s.topology).unwrap();
            worst_heavy = worst_heavy.min(closest_heavy_pair(&s));
        }
    }
    eprintln!("closest heavy pair more than two bonds apart: {worst_heavy:.2} Å");
}

fn closest_heavy_pair(s: &Structure) -> f64 {
    let t = &s.topology;
    let sep = bond_separation(t);
    let mut m = f64::INFINITY;
    for i in 0..t.n_atoms() {
        for j in i + 1..t.n_atoms() {
            if sep[i][j] == 3
                && t.atoms[i].element != Element::H
                && t.atoms[j].element != Element::H
            {
                m = m.min(dist(xyz(&s.positions, i), xyz(&s.positions, j)));
            }
        }
    }
    m
}

#[test]
fn tetrapeptides_build_with_the_asked_backbone() {
    // Bulky, charged, proline-rich, and a pseudo-random sample.
    let mut seqs: Vec<String> = [
        "WWWW", "PPPP", "RKDE", "FYWH", "GPGG", "YWFR", "MQNC", "ILVT",
    ]
    .map(String::from)
    .to_vec();
    let mut x: u64 = 13;
    for _ in 0..40 {
        let mut s = String::new();
        for _ in 0..4 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.push(ONE_LETTER[(x >> 33) as usize % 20].0);
        }
        seqs.push(s);
    }
    seqs.push("LYS-HIP-ASH-CYX".into());
    for seq in &seqs {
        let s = build_peptide(seq).unwrap();
        assert_eq!(s.topology.residues.len(), 6, "{seq}");
        assert!(clashes(&s).is_empty(), "{seq}: {:?}", clashes(&s));
        assert!(not_left_handed(&s).is_empty(), "{seq}");
        assert!(
            bonds_off_template(&s, 0.05).is_empty(),
            "{seq}: {:?}",
            bonds_off_template(&s, 0.05)
        );
        check_peptide(&s.topology).unwrap();
        for tor in &s.topology.torsions {
            let is_pro = s.topology.residues[tor.residue].name == "PRO";
            let want = match tor.kind {
                TorsionKind::Phi if !is_pro => PHI,
                TorsionKind::Psi => PSI,
                _ => continue,
            };
            let got = dihedral_of(&s.positions, tor.atoms);
            assert!(
                common::angle_diff(got, want) < 1e-6,
                "{seq} {}: {got}",
                tor.label
            );
        }
    }
}

#[test]
fn sequences_outside_1_to_4_standard_residues_are_refused() {
    for bad in ["", "AAAAA", "KXW", "LYS-ORN", "ACE-NME"] {
        let e = build_peptide(bad).unwrap_err();
        assert!(matches!(e, Error::Parameter(_)), "{bad}: {e}");
    }
    assert!(build_peptide("ALA-HIE-NME").is_ok());
}

/// A copy of `src` without hydrogen records.
fn strip_hydrogens(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(src).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !(l.starts_with("ATOM") || l.starts_with("HETATM"))
                || !l[12..16]
                    .trim()
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with('H')
        })
        .collect();
    common::write(dir, name, &(kept.join("\n") + "\n"))
}

fn atom_map(s: &Structure) -> HashMap<(usize, String), [f64; 3]> {
    s.topology
        .atoms
        .iter()
        .enumerate()
        .map(|(i, a)| ((a.residue, a.name.clone()), xyz(&s.positions, i)))
        .collect()
}

/// Largest distance between same-named hydrogens, over those not on a methyl
/// rotor (whose rotation the file does not fix), and the RMSD over all of them.
fn hydrogen_errors(s: &Structure, reference: &Structure) -> (f64, f64) {
    let want = atom_map(reference);
    let t = &s.topology;
    let (mut worst, mut sq, mut n) = (0.0f64, 0.0, 0);
    for (i, a) in t.atoms.iter().enumerate() {
        if a.element != Element::H {
            continue;
        }
        let w = want[&(a.residue, a.name.clone())];
        let d = dist(xyz(&s.positions, i), w);
        sq += d * d;
        n += 1;
        let rotor = ["HH3", "HB", "HZ"].iter().any(|p| a.name.starts_with(p))
            && ["ACE", "NME", "ALA", "LYS"].contains(&t.residues[a.residue].name.as_str());
        if !rotor {
            worst = worst.max(d);
        }
    }
    (worst, (sq / n as f64).sqrt())
}

#[test]
fn hydrogens_stripped_from_alanine_dipeptide_are_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let original = load_structure(&ala2(), LoadOptions::default()).unwrap();
    assert!(
        original.notes.is_empty(),
        "nothing to complete: {:?}",
        original.notes
    );
    let heavy = strip_hydrogens(&ala2(), dir.path(), "heavy.pdb");
    let kept = load_structure(
        &heavy,
        LoadOptions {
            keep_missing_hydrogens: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        kept.topology.n_atoms(),
        10,
        "the opt-out keeps the file's atoms"
    );
    let s = load_structure(&heavy, LoadOptions::default()).unwrap();
    assert_eq!(s.topology.n_atoms(), 22);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("added 12 missing hydrogens")),
        "{:?}",
        s.notes
    );
    let (worst, rmsd) = hydrogen_errors(&s, &original);
    eprintln!("ala2: worst non-rotor H {worst:.3} Å, RMSD over all H {rmsd:.3} Å");
    assert!(worst < 0.15, "amide and alpha hydrogens off by {worst} Å");
    // Methyl rotors are not fixed by the heavy atoms (by name the RMSD over all
    // hydrogens is about 1 Å): their bond lengths and angles are.
    let (bond, angle) = hydrogen_geometry_errors(&s, &original);
    eprintln!("ala2: worst H bond {bond:.3} Å, worst H angle {angle:.1}°");
    assert!(bond < 0.05 && angle < 5.0, "{bond} Å, {angle}°");
    // Same bonds and torsions as the file that had them.
    assert_eq!(s.topology.torsions.len(), original.topology.torsions.len());
    check_peptide(&s.topology).unwrap();
    // Negative control: HA mirrored through the N-CA-C plane (a D-like placement).
    let mut wrong = s.clone();
    let t = &s.topology;
    let f = |n| t.find_atom(1, n).unwrap();
    let (n, ca, c, ha) = (f("N"), f("CA"), f("C"), f("HA"));
    let p = |i| xyz(&s.positions, i);
    let (u, v) = (sub(p(n), p(ca)), sub(p(c), p(ca)));
    let nrm = cross(u, v);
    let l = (nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]).sqrt();
    let h = sub(p(ha), p(ca));
    let off = (h[0] * nrm[0] + h[1] * nrm[1] + h[2] * nrm[2]) / l;
    for k in 0..3 {
        wrong.positions[3 * ha + k] -= 2.0 * off * nrm[k] / l;
    }
    assert!(hydrogen_errors(&wrong, &original).0 > 0.15);
    assert!(hydrogen_geometry_errors(&wrong, &original).1 > 5.0);
}

/// Over the hydrogens of `s`: the largest difference from `reference` of the bond to
/// the parent (Å) and of the angles H–parent–heavy neighbour (degrees), which do not
/// depend on how a methyl group is turned.
fn hydrogen_geometry_errors(s: &Structure, reference: &Structure) -> (f64, f64) {
    let want = atom_map(reference);
    let t = &s.topology;
    let nb = |i: usize| -> Vec<usize> {
        t.bonds
            .iter()
            .filter_map(|&(a, b)| (a == i).then_some(b).or((b == i).then_some(a)))
            .collect()
    };
    let key = |i: usize| (t.atoms[i].residue, t.atoms[i].name.clone());
    let angle = |a: [f64; 3], b: [f64; 3], c: [f64; 3]| {
        let (u, v) = (sub(a, b), sub(c, b));
        let d = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
        (d / (dist(a, b) * dist(c, b)))
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees()
    };
    let (mut bond, mut ang) = (0.0f64, 0.0f64);
    for h in (0..t.n_atoms()).filter(|&i| t.atoms[i].element == Element::H) {
        let p = nb(h)[0];
        let (x, w) = (|i| xyz(&s.positions, i), |i| want[&key(i)]);
        bond = bond.max((dist(x(h), x(p)) - dist(w(h), w(p))).abs());
        for q in nb(p)
            .into_iter()
            .filter(|&q| t.atoms[q].element != Element::H)
        {
            ang = ang.max((angle(x(h), x(p), x(q)) - angle(w(h), w(p), w(q))).abs());
        }
    }
    (bond, ang)
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn write_pdb(s: &Structure, path: &Path) {
    write_trajectory(path, &s.topology, std::slice::from_ref(&s.positions)).unwrap();
}

#[test]
fn completing_a_stripped_built_peptide_gives_back_the_built_one() {
    let dir = tempfile::tempdir().unwrap();
    // HIS is built as OpenMM protonated its template (HD1); stripped, it becomes HIE.
    for name in every_variant().into_iter().filter(|n| n != "HIS") {
        let seq = format!("ACE-{name}-ALA-NME");
        let built = build_peptide(&seq).unwrap();
        let full = dir.path().join(format!("{name}.pdb"));
        write_pdb(&built, &full);
        let heavy = strip_hydrogens(&full, dir.path(), &format!("{name}_heavy.pdb"));
        let s = load_structure(&heavy, LoadOptions::default()).unwrap();
        let mut got: Vec<_> = atom_map(&s).into_keys().collect();
        let mut want: Vec<_> = atom_map(&built).into_keys().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{seq}: atom names");
        let (worst, rmsd) = hydrogen_errors(&s, &built);
        // PDB columns round to 0.001 Å; the placement is the builder's.
        assert!(rmsd < 0.01 && worst < 0.01, "{seq}: {worst} {rmsd}");
        assert!(clashes(&s).is_empty(), "{seq}");
    }
}

#[test]
fn his_without_hydrogens_becomes_hie_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let built = build_peptide("ACE-HIE-NME").unwrap();
    let full = dir.path().join("hie.pdb");
    write_pdb(&built, &full);
    let text = std::fs::read_to_string(&full)
        .unwrap()
        .replace("HIE", "HIS");
    let his = common::write(dir.path(), "his.pdb", &text);
    let heavy = strip_hydrogens(&his, dir.path(), "his_heavy.pdb");
    let s = load_structure(&heavy, LoadOptions::default()).unwrap();
    let t = &s.topology;
    assert_eq!(t.residues[1].name, "HIS");
    assert!(t.find_atom(1, "HE2").is_some() && t.find_atom(1, "HD1").is_none());
    assert!(s.notes.iter().any(|n| n.contains("HIE")), "{:?}", s.notes);
    // With HD1 in the file the file's tautomer is kept: HID, no HE2 added.
    let hid = build_peptide("ACE-HID-NME").unwrap();
    let p = dir.path().join("hid.pdb");
    write_pdb(&hid, &p);
    let text = std::fs::read_to_string(&p).unwrap().replace("HID", "HIS");
    let kept: String = text
        .lines()
        .filter(|l| !l.contains(" HB2 ") && !l.contains(" HA "))
        .map(|l| format!("{l}\n"))
        .collect();
    let s = load_structure(
        &common::write(dir.path(), "hid2.pdb", &kept),
        LoadOptions::default(),
    )
    .unwrap();
    let t = &s.topology;
    assert!(t.find_atom(1, "HD1").is_some() && t.find_atom(1, "HE2").is_none());
    assert!(t.find_atom(1, "HB2").is_some() && t.find_atom(1, "HA").is_some());
    // A lysine with no side-chain hydrogens is the charged default, not LYN (which
    // has fewer hydrogens to add); with HZ3 missing alone it is completed as LYS too.
    let lys = build_peptide("K").unwrap();
    let p = dir.path().join("lys.pdb");
    write_pdb(&lys, &p);
    let text = std::fs::read_to_string(&p).unwrap();
    for (drop, what) in [
        (&["HB", "HG", "HD", "HE", "HZ"][..], "bare"),
        (&["HZ3"][..], "HZ3"),
    ] {
        let kept: String = text
            .lines()
            .filter(|l| {
                !drop
                    .iter()
                    .any(|d| l.get(12..16).is_some_and(|n| n.trim().starts_with(d)))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let s = load_structure(
            &common::write(dir.path(), "k.pdb", &kept),
            LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(s.topology.n_atoms(), lys.topology.n_atoms(), "{what}");
        assert!(s.topology.find_atom(1, "HZ3").is_some(), "{what}");
    }
}

#[test]
fn charmm_methylene_numbers_are_renamed_by_position() {
    // CHARMM numbers methylene hydrogens HB1 HB2 where PDB v3 / Amber say HB2 HB3.
    let dir = tempfile::tempdir().unwrap();
    let built = build_peptide("ACE-SER-NME").unwrap();
    let p = dir.path().join("ser.pdb");
    write_pdb(&built, &p);
    // HB3's position named HB1 and HB2's kept: names that do not say which is which.
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace(" HB3 SER", " HB1 SER");
    let s = load_structure(
        &common::write(dir.path(), "charmm.pdb", &text),
        LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        s.topology.n_atoms(),
        built.topology.n_atoms(),
        "nothing added"
    );
    let (worst, _) = hydrogen_errors(&s, &built);
    assert!(worst < 0.01, "names follow positions: {worst}");
    assert!(
        s.notes.iter().any(|n| n.contains("HB1→HB3")),
        "{:?}",
        s.notes
    );
    // Negative control: swapped names are a different, wrong assignment.
    let swapped = std::fs::read_to_string(&p)
        .unwrap()
        .replace(" HB3 SER", " HBX SER")
        .replace(" HB2 SER", " HB3 SER")
        .replace(" HBX SER", " HB2 SER");
    let s = load_structure(
        &common::write(dir.path(), "swapped.pdb", &swapped),
        LoadOptions::default(),
    )
    .unwrap();
    assert!(
        hydrogen_errors(&s, &built).0 > 1.0,
        "HB2/HB3 swapped are far apart"
    );
}

fn expect_refusal(t: &Topology, what: &str) {
    let e = check_peptide(t).unwrap_err();
    assert!(matches!(e, Error::NotCovered(_)), "{e}");
    let m = e.to_string();
    assert!(m.contains(what), "'{what}' not in: {m}");
    assert!(m.contains(COVERED), "{m}");
    assert!(m.contains("capped peptides ACE-X…-NME of 1–4"), "{m}");
}

#[test]
fn coverage_accepts_capped_1_to_4_mers_and_names_what_else_it_refuses() {
    let ala = load_structure(&ala2(), LoadOptions::default()).unwrap();
    check_peptide(&ala.topology).unwrap();
    for seq in ["G", "KW", "PPP", "ACE-HIP-GLH-LYN-CYX-NME"] {
        check_peptide(&build_peptide(seq).unwrap().topology).unwrap();
    }
    // Uncapped: the caps are dropped.
    let mut t = build_peptide("KW").unwrap().topology;
    let uncapped = sub_topology(&t, 1..3);
    expect_refusal(&uncapped, "walkjump build");
    expect_refusal(&sub_topology(&t, 0..3), "C terminus");
    // Five residues.
    let five = build_peptide("AAAA").unwrap().topology;
    let mut t5 = sub_topology(&five, 0..5);
    t5.residues.push(five.residues[5].clone());
    let extra = sub_topology(&five, 1..2).residues[0].clone();
    t5.residues.insert(1, extra);
    expect_refusal(&t5, "5 residues");
    // A ligand, a nucleotide, water, a variant without a template.
    for (name, what) in [
        ("LIG", "not a standard amino acid"),
        ("DA", "nucleotide"),
        ("HOH", "water"),
        ("HSD", "variant"),
    ] {
        let mut l = t.clone();
        l.residues[2].name = name.into();
        expect_refusal(&l, what);
    }
    // Missing atoms: a heavy-atom file kept as it is.
    let dir = tempfile::tempdir().unwrap();
    let heavy = strip_hydrogens(&ala2(), dir.path(), "heavy.pdb");
    let kept = load_structure(
        &heavy,
        LoadOptions {
            keep_missing_hydrogens: true,
            ..Default::default()
        },
    )
    .unwrap();
    expect_refusal(&kept.topology, "lacks");
    // A chain break: the peptide bond removed.
    let (c, n) = (t.find_atom(1, "C").unwrap(), t.find_atom(2, "N").unwrap());
    t.bonds.retain(|&b| b != (c.min(n), c.max(n)));
    expect_refusal(&t, "chain break");
}

/// Residues `range` of `t` (atoms renumbered, bonds inside kept).
fn sub_topology(t: &Topology, range: std::ops::Range<usize>) -> Topology {
    let mut out = Topology::default();
    let mut map = HashMap::new();
    for r in range {
        let mut res = t.residues[r].clone();
        res.atoms = vec![];
        for &a in &t.residues[r].atoms {
            map.insert(a, out.atoms.len());
            res.atoms.push(out.atoms.len());
            let mut atom = t.atoms[a].clone();
            atom.residue = out.residues.len();
            out.atoms.push(atom);
        }
        out.residues.push(res);
    }
    out.bonds = t
        .bonds
        .iter()
        .filter_map(|(a, b)| Some((*map.get(a)?, *map.get(b)?)))
        .collect();
    out
}

#[test]
fn cli_build_writes_a_pdb_that_loads_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kw.pdb");
    let o = walkjump(&["build", "--sequence", "KW", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = load_structure(&out, LoadOptions::default()).unwrap();
    assert!(s.notes.is_empty(), "complete as written: {:?}", s.notes);
    let built = build_peptide("KW").unwrap();
    assert_eq!(s.topology.atoms, built.topology.atoms);
    assert_eq!(s.topology.bonds, built.topology.bonds);
    let o = walkjump(&["build", "--sequence", "KXW", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("'X' is not one of the 20 standard amino acids"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn mdtraj_and_openmm_read_built_peptides() {
    let Some(python) = common::mdtraj_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // CYX alone has no disulfide partner, which ff14SB's CYX requires.
    let mut seqs: Vec<String> = every_variant().into_iter().filter(|n| n != "CYX").collect();
    seqs.extend(["KW", "PG", "WWWW", "RKDE", "HIP-ASH-GLH-CYS"].map(String::from));
    let mut paths = vec![];
    let mut want = HashMap::new();
    for seq in &seqs {
        let s = build_peptide(seq).unwrap();
        let p = dir.path().join(format!("{seq}.pdb"));
        write_pdb(&s, &p);
        want.insert(
            p.to_str().unwrap().to_string(),
            (s.topology.n_atoms(), s.topology.residues.len()),
        );
        paths.push(p);
    }
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/python/check_built_peptides.py"))
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or("")).unwrap();
    let openmm = v["openmm_available"].as_bool().unwrap();
    if !openmm {
        eprintln!("skipped the OpenMM half: no openmm in WALKJUMP_PYTHON");
    }
    let mut failed = vec![];
    for (path, (atoms, residues)) in want {
        let f = &v["files"][&path];
        assert_eq!(f["n_atoms"].as_u64(), Some(atoms as u64), "{path}");
        assert_eq!(f["n_residues"].as_u64(), Some(residues as u64), "{path}");
        // OpenMM's PDB reader bonds residues by the names in its residues.xml, which
        // lacks Amber's LYN (neutral lysine): without the ACE–LYN bond no ff14SB
        // template matches. Amber's own tools read it.
        let lyn = path.contains("LYN");
        if openmm && !lyn && f["openmm"].as_str() != Some("ok") {
            failed.push(format!("{path}: {}", f["openmm"]));
        }
    }
    assert!(
        failed.is_empty(),
        "OpenMM could not build a system: {failed:#?}"
    );
}

#[test]
fn residues_missing_heavy_atoms_or_a_cap_are_completed_only_where_it_is_sound() {
    let dir = tempfile::tempdir().unwrap();
    let built = build_peptide("AW").unwrap();
    let full = dir.path().join("aw.pdb");
    write_pdb(&built, &full);
    let heavy = strip_hydrogens(&full, dir.path(), "aw_heavy.pdb");
    // No ACE, and TRP without its ring's CZ2.
    let text: String = std::fs::read_to_string(&heavy)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(" ACE ") && !l.contains(" CZ2 TRP"))
        .map(|l| format!("{l}\n"))
        .collect();
    let s = load_structure(
        &common::write(dir.path(), "cut.pdb", &text),
        LoadOptions::default(),
    )
    .unwrap();
    let t = &s.topology;
    assert_eq!(t.residues[0].name, "ALA");
    // The N-terminal amine would be NH3+, not the template's amide H.
    assert!(t.find_atom(0, "H").is_none() && t.find_atom(0, "HA").is_some());
    assert!(t.find_atom(0, "HB3").is_some());
    let trp_h = t.residues[1]
        .atoms
        .iter()
        .filter(|&&a| t.atoms[a].element == Element::H);
    assert_eq!(trp_h.count(), 0, "TRP is incomplete and left alone");
    assert!(t.find_atom(2, "HH33").is_some(), "NME is completed");
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("TRP3 lacks heavy atoms (CZ2)")),
        "{:?}",
        s.notes
    );
    expect_refusal(t, "not capped");
}

#[test]
fn the_apps_new_peptide_is_a_pdb_the_loader_opens_complete() {
    let p = walkjump_app::panels::new_peptide_file("gly-pro").unwrap();
    assert!(p.ends_with("ACE-GLY-PRO-NME.pdb"), "{}", p.display());
    let s = load_structure(&p, LoadOptions::default()).unwrap();
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    check_peptide(&s.topology).unwrap();
    let e = walkjump_app::panels::new_peptide_file("GPX").unwrap_err();
    assert!(e.to_string().contains("'X'"), "{e}");
}
