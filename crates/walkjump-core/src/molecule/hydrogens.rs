//! Hydrogens missing from a loaded peptide, placed from the residue templates.
//!
//! Crystal structures and many builders write heavy atoms only; the models need every
//! hydrogen. Each missing hydrogen of a standard residue or cap is carried over from
//! its ACE-X-NME template by the local frame of its parent and two placed neighbours
//! ([`super::build`]), which keeps bond lengths, angles and the template's rotamer of
//! methyl groups. What was added is said in [`Structure::notes`].

use super::build::{self, Placement, Template};
use super::elements::Element;
use super::templates::{self, ResidueKind};
use super::topology::{Atom, Residue, Structure, Topology};
use std::collections::{HashMap, HashSet};

/// The residue names a residue may stand for, by protonation: the first is what a
/// file without hydrogens gets (HIE, the tautomer most common at pH 7; charged ASP,
/// GLU, LYS; CYS unless its SG is bonded to another cysteine).
pub fn family(name: &str) -> &'static [&'static str] {
    match name {
        "HIS" => &["HIE", "HID", "HIP", "HIS"],
        "ASP" => &["ASP", "ASH"],
        "GLU" => &["GLU", "GLH"],
        "LYS" => &["LYS", "LYN"],
        "CYS" => &["CYS", "CYX"],
        _ => &[],
    }
}

/// Every template whose atom names `name` may stand for.
pub fn candidate_templates(name: &str) -> Vec<&'static Template> {
    let f = family(name);
    if f.is_empty() {
        build::template(name).into_iter().collect()
    } else {
        f.iter().filter_map(|n| build::template(n)).collect()
    }
}

fn pos(p: &[f64], i: usize) -> [f64; 3] {
    [p[3 * i], p[3 * i + 1], p[3 * i + 2]]
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The template for amino-acid residue `r`, and a note when the choice is not
/// written in the file (HIS without a ring hydrogen, a disulfide-bonded CYS).
fn choose_template(s: &Structure, r: usize) -> Option<(&'static Template, Option<String>)> {
    let t = &s.topology;
    let res = &t.residues[r];
    let cands = candidate_templates(&res.name);
    if cands.len() <= 1 {
        return cands.first().map(|c| (*c, None));
    }
    let present: HashSet<&str> = res
        .atoms
        .iter()
        .filter(|&&a| t.atoms[a].element == Element::H)
        .map(|&a| t.atoms[a].name.as_str())
        .collect();
    let tag = format!("{}{}", res.name, res.number);
    // Only hydrogens that some variants have and others lack (HD1 and HE2 of
    // histidine, HZ3 of lysine, HD2 of ASH, ...) say which variant this is; a file
    // that lacks them all gets the default.
    let has = |c: &Template, h: &str| c.atom_names(1).contains(&h);
    let distinguishing = |h: &&str| !cands.iter().all(|c| has(c, h));
    let telling: Vec<&str> = present.iter().copied().filter(distinguishing).collect();
    if telling.is_empty() {
        if res.name == "CYS" && disulfide(s, r) {
            let note =
                format!("{tag}: its SG is bonded to another cysteine's, so it gets no HG (CYX)");
            return build::template("CYX").map(|c| (c, Some(note)));
        }
        let c = cands[0];
        let note = (res.name == "HIS").then(|| {
            format!("{tag} has no ring hydrogen in the file: placed HE2 (HIE, the tautomer most common at pH 7)")
        });
        return Some((c, note));
    }
    // The variant with every telling hydrogen and the fewest of its own absent.
    let best = cands
        .iter()
        .filter(|c| telling.iter().all(|h| has(c, h)))
        .min_by_key(|c| {
            c.atom_names(1)
                .into_iter()
                .filter(|h| distinguishing(h) && !present.contains(h))
                .count()
        })
        .copied()
        .unwrap_or(cands[0]);
    Some((best, None))
}

/// Whether cysteine `r` has its SG within bonding distance of another residue's SG.
fn disulfide(s: &Structure, r: usize) -> bool {
    let t = &s.topology;
    let Some(sg) = t.find_atom(r, "SG") else {
        return false;
    };
    (0..t.residues.len()).any(|o| {
        o != r
            && t.find_atom(o, "SG")
                .is_some_and(|g| dist(pos(&s.positions, sg), pos(&s.positions, g)) < 2.5)
    })
}

/// Place the hydrogens that standard residues and caps of `s` lack, rename methylene
/// hydrogens numbered from 1 (CHARMM HB1/HB2) to the template's names by position, and
/// say what was done in `s.notes`. Residues without a template are left as they are,
/// and so is the amine of an uncapped N terminus.
pub fn complete_hydrogens(s: &mut Structure) {
    let t = &s.topology;
    let nres = t.residues.len();
    let kind = |r: usize| templates::residue_kind(&t.residues[r].name);
    let mut notes = vec![];
    // Templates of the amino acids first; the caps take their neighbour's.
    let mut slot: Vec<Option<(&'static Template, usize)>> = vec![None; nres];
    for (r, s_r) in slot.iter_mut().enumerate() {
        if kind(r) == ResidueKind::AminoAcid {
            if let Some((tm, note)) = choose_template(s, r) {
                *s_r = Some((tm, 1));
                notes.extend(note);
            }
        }
    }
    let linked = |r: usize| -> bool {
        match (t.find_atom(r, "C"), t.find_atom(r + 1, "N")) {
            (Some(c), Some(n)) => t.bonds.binary_search(&(c.min(n), c.max(n))).is_ok(),
            _ => false,
        }
    };
    let link_next: Vec<bool> = (0..nres).map(|r| r + 1 < nres && linked(r)).collect();
    let fallback = build::template("ALA").expect("ALA template");
    for r in 0..nres {
        slot[r] = match kind(r) {
            ResidueKind::Ace => Some(match slot.get(r + 1).copied().flatten() {
                Some((tm, 1)) if link_next[r] => (tm, 0),
                _ => (fallback, 0),
            }),
            ResidueKind::Nme => Some(match r.checked_sub(1).and_then(|p| slot[p]) {
                Some((tm, 1)) if link_next[r - 1] => (tm, 2),
                _ => (fallback, 2),
            }),
            _ => slot[r],
        };
    }
    // A residue without all its heavy atoms is left alone: its hydrogens would hang on
    // atoms that are not there, and the rest would look complete when it is not.
    let mut incomplete = vec![];
    let mut frozen = HashSet::new();
    for (r, s_r) in slot.iter().enumerate() {
        let Some((tm, k)) = *s_r else { continue };
        let lacks: Vec<&str> = tm
            .atom_names(k)
            .into_iter()
            .filter(|n| t.find_atom(r, n).is_none())
            .collect();
        if lacks.iter().any(|n| !n.starts_with('H')) {
            // Still a frame for its neighbours' hydrogens.
            frozen.insert(r);
            let heavy: Vec<&str> = lacks.into_iter().filter(|n| !n.starts_with('H')).collect();
            let res = &t.residues[r];
            incomplete.push(format!(
                "{}{} lacks heavy atoms ({}): no hydrogens were added to it",
                res.name,
                res.number,
                heavy.join(" ")
            ));
        }
    }

    // The heavy atom each hydrogen of the file is bonded to.
    let mut h_parent: HashMap<usize, usize> = HashMap::new();
    for &(a, b) in &t.bonds {
        for (h, p) in [(a, b), (b, a)] {
            if t.atoms[h].element == Element::H && t.atoms[p].element != Element::H {
                h_parent.entry(h).or_insert(p);
            }
        }
    }
    // Runs of consecutive templated residues are completed one at a time.
    let mut added: Vec<Vec<(String, [f64; 3])>> = vec![vec![]; nres];
    let mut renames: HashMap<usize, String> = HashMap::new();
    let mut unplaced = 0usize;
    let mut r0 = 0;
    while r0 < nres {
        if slot[r0].is_none() {
            r0 += 1;
            continue;
        }
        let mut r1 = r0;
        while r1 + 1 < nres && slot[r1 + 1].is_some() {
            r1 += 1;
        }
        let run: Vec<usize> = (r0..=r1).collect();
        let mut pl = Placement::new(
            run.iter().map(|&r| slot[r].expect("in a run")).collect(),
            run.iter().map(|&r| r < r1 && link_next[r]).collect(),
        );
        // Hydrogens whose parent has one with a name the template lacks are matched
        // by position instead of name ("HB1 HB2" against "HB2 HB3").
        let mut by_position: Vec<(usize, usize, usize)> = vec![]; // (run index, file atom, parent)
        for (i, &r) in run.iter().enumerate() {
            let res = &t.residues[r];
            let parent_of = |h: usize| h_parent.get(&h).copied();
            let mut odd_parents = HashSet::new();
            for &a in &res.atoms {
                if t.atoms[a].element == Element::H && pl.index(i, &t.atoms[a].name).is_none() {
                    odd_parents.extend(parent_of(a));
                }
            }
            for &a in &res.atoms {
                let is_h = t.atoms[a].element == Element::H;
                match parent_of(a) {
                    Some(p) if is_h && odd_parents.contains(&p) => {
                        by_position.push((i, a, p));
                        continue;
                    }
                    _ => {}
                }
                if let Some(k) = pl.index(i, &t.atoms[a].name) {
                    pl.pos[i][k] = Some(pos(&s.positions, a));
                }
            }
        }
        let missing_before: usize = pl
            .pos
            .iter()
            .zip(&pl.names)
            .map(|(p, n)| {
                p.iter()
                    .zip(n)
                    .filter(|(x, n)| x.is_none() && n.starts_with('H'))
                    .count()
            })
            .sum();
        if missing_before > 0 {
            let first = run[0];
            let starts_chain: Vec<bool> = run
                .iter()
                .map(|&r| r == first || !link_next[r - 1])
                .collect();
            // An N-terminal amine is NH3+ (H1 H2 H3), not the template's amide H.
            pl.place(|i, name| {
                name.starts_with('H')
                    && !(name == "H" && starts_chain[i])
                    && !frozen.contains(&run[i])
            });
            // Match file hydrogens to placed ones of the same parent, nearest first.
            let mut pairs = vec![];
            for &(i, a, p) in &by_position {
                let parent_name = t.atoms[p].name.as_str();
                for (k, name) in pl.names[i].iter().enumerate() {
                    let Some(x) = pl.pos[i][k] else { continue };
                    if hydrogen_parent(pl.slots[i].0, pl.slots[i].1, name) == Some(parent_name) {
                        pairs.push((dist(x, pos(&s.positions, a)), i, a, k));
                    }
                }
            }
            pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut taken = HashSet::new();
            for (_, i, a, k) in pairs {
                if renames.contains_key(&a) || !taken.insert((i, k)) {
                    continue;
                }
                renames.insert(a, pl.names[i][k].clone());
            }
            for (i, &r) in run.iter().enumerate().filter(|(_, r)| !frozen.contains(r)) {
                let final_names: HashSet<&str> = t.residues[r]
                    .atoms
                    .iter()
                    .map(|a| renames.get(a).unwrap_or(&t.atoms[*a].name).as_str())
                    .collect();
                for (k, name) in pl.names[i].iter().enumerate() {
                    if !name.starts_with('H') || final_names.contains(name.as_str()) {
                        continue;
                    }
                    match pl.pos[i][k] {
                        Some(x) => added[r].push((name.clone(), x)),
                        None if !(name == "H" && starts_chain[i]) => unplaced += 1,
                        None => {}
                    }
                }
            }
        }
        r0 = r1 + 1;
    }
    let n_added: usize = added.iter().map(Vec::len).sum();
    let renamed_any = renames.iter().any(|(a, n)| t.atoms[*a].name != *n);
    for n in &incomplete {
        tracing::info!("{n}");
    }
    if n_added == 0 && !renamed_any {
        s.notes.extend(incomplete);
        return;
    }

    let mut topo = Topology::default();
    let mut positions = Vec::with_capacity(s.positions.len() + 3 * n_added);
    let mut renamed_notes = vec![];
    for (r, res) in t.residues.iter().enumerate() {
        let mut new = Residue {
            name: res.name.clone(),
            number: res.number,
            chain: res.chain.clone(),
            atoms: vec![],
        };
        let mut renamed = vec![];
        for &a in &res.atoms {
            let mut atom = t.atoms[a].clone();
            if let Some(n) = renames.get(&a) {
                if *n != atom.name {
                    renamed.push(format!("{}→{n}", atom.name));
                }
                atom.name = n.clone();
            }
            atom.residue = r;
            new.atoms.push(topo.atoms.len());
            topo.atoms.push(atom);
            positions.extend_from_slice(&pos(&s.positions, a));
        }
        for (name, x) in &added[r] {
            new.atoms.push(topo.atoms.len());
            topo.atoms.push(Atom {
                name: name.clone(),
                element: Element::H,
                residue: r,
            });
            positions.extend_from_slice(x);
        }
        if !renamed.is_empty() {
            renamed_notes.push(format!(
                "{}{}: hydrogens renamed by position to the template's names ({})",
                res.name,
                res.number,
                renamed.join(", ")
            ));
        }
        topo.residues.push(new);
    }
    let per_res: Vec<String> = added
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.is_empty())
        .map(|(r, a)| {
            let res = &t.residues[r];
            format!("{}{} {}", res.name, res.number, a.len())
        })
        .collect();
    let mut out_notes = vec![];
    if n_added > 0 {
        let shown = per_res
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if per_res.len() > 8 { ", …" } else { "" };
        out_notes.push(format!(
            "added {n_added} missing hydrogens from the ACE-X-NME residue templates ({shown}{more})"
        ));
        out_notes.extend(notes);
    }
    if unplaced > 0 {
        out_notes.push(format!(
            "{unplaced} hydrogens could not be placed: heavy atoms they hang on are missing"
        ));
    }
    out_notes.extend(renamed_notes);
    out_notes.extend(incomplete);
    for n in &out_notes {
        tracing::info!("{n}");
    }
    topo.derive_bonds_and_torsions(&positions);
    s.topology = topo;
    s.positions = positions;
    s.notes.extend(out_notes);
}

/// The parent heavy atom of hydrogen `name` in template residue `slot` of `t`.
fn hydrogen_parent(t: &'static Template, slot: usize, name: &str) -> Option<&'static str> {
    let topo = &t.structure.topology;
    let h = topo.find_atom(slot, name)?;
    topo.bonds.iter().find_map(|&(a, b)| {
        let other = if a == h {
            b
        } else if b == h {
            a
        } else {
            return None;
        };
        Some(topo.atoms[other].name.as_str())
    })
}
