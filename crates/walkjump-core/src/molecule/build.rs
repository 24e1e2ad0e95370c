//! Capped peptides from a sequence, and the residue templates they are built from.
//!
//! `assets/templates/residues.pdb` holds one minimised all-atom ACE-X-NME per residue
//! type (`tools/openmm/make_templates.py`). The backbone N, CA, C of a new peptide is
//! laid down by NeRF with ideal bond lengths and angles in a polyproline-II
//! conformation; every other atom is carried over from its template by a local frame
//! of three atoms already placed, in breadth-first order from the backbone, so side
//! chains keep the template's χ angles and Cα its handedness. The same placement fills
//! in missing hydrogens of loaded peptides ([`super::hydrogens`]).

use super::elements::Element;
use super::names;
use super::templates::{self, ResidueKind};
use super::topology::{Atom, Residue, Structure, Topology};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::OnceLock;

const TEMPLATES_PDB: &str = include_str!("../../../../assets/templates/residues.pdb");

/// Most residues a built (and a covered) peptide has between its caps.
pub const MAX_RESIDUES: usize = 4;

/// Backbone of the built peptide: φ, ψ of polyproline II (the extended region that
/// short peptides populate most in water), trans peptide bonds. Checked clash-free for
/// all 400 dipeptides by `tests/build.rs`.
pub const PHI: f64 = -75.0;
pub const PSI: f64 = 145.0;
pub const OMEGA: f64 = 180.0;

// Ideal backbone geometry (Engh & Huber 1991), Å and degrees.
const N_CA: f64 = 1.458;
const CA_C: f64 = 1.525;
const C_N: f64 = 1.329;
const N_CA_C: f64 = 111.2;
const CA_C_N: f64 = 116.2;
const C_N_CA: f64 = 121.7;

/// One ACE-X-NME template: residues 0 (ACE), 1 (X) and 2 (NME), canonical names.
#[derive(Debug)]
pub struct Template {
    /// Name of the X residue ("ALA", "HIE").
    pub name: String,
    pub structure: Structure,
    /// Per template residue: each atom name's bonded partners inside that residue.
    adjacency: [HashMap<String, Vec<String>>; 3],
}

impl Template {
    fn position(&self, residue: usize, name: &str) -> Option<[f64; 3]> {
        let i = self.structure.topology.find_atom(residue, name)?;
        let p = &self.structure.positions;
        Some([p[3 * i], p[3 * i + 1], p[3 * i + 2]])
    }

    /// Atom names of template residue `residue` (0 ACE, 1 X, 2 NME), in file order.
    pub fn atom_names(&self, residue: usize) -> Vec<&str> {
        let t = &self.structure.topology;
        t.residues[residue]
            .atoms
            .iter()
            .map(|&a| t.atoms[a].name.as_str())
            .collect()
    }
}

fn parse_templates() -> Vec<Template> {
    let mut out = vec![];
    let mut block: Vec<&str> = vec![];
    for line in TEMPLATES_PDB.lines() {
        if line.starts_with("ATOM") || line.starts_with("HETATM") {
            block.push(line);
        } else if line.starts_with("ENDMDL") && !block.is_empty() {
            out.push(parse_model(&block));
            block.clear();
        }
    }
    out
}

/// One MODEL of the bundled template file (fixed PDB columns, written by OpenMM).
fn parse_model(lines: &[&str]) -> Template {
    let mut topo = Topology::default();
    let mut positions = vec![];
    let mut last_key = None;
    for l in lines {
        let res_name = names::canonical_residue(&l[17..20]);
        let number: isize = l[22..26].trim().parse().expect("template residue number");
        if last_key != Some(number) {
            topo.residues.push(Residue {
                name: res_name.clone(),
                number,
                chain: "A".into(),
                atoms: vec![],
            });
            last_key = Some(number);
        }
        let name = names::canonical_atom(&res_name, &l[12..16]);
        let element = names::template_element(&res_name, &name).expect("template element");
        let ri = topo.residues.len() - 1;
        topo.residues[ri].atoms.push(topo.atoms.len());
        topo.atoms.push(Atom {
            name,
            element,
            residue: ri,
        });
        for k in 0..3 {
            let v: f64 = l[30 + 8 * k..38 + 8 * k]
                .trim()
                .parse()
                .expect("template coordinate");
            positions.push(v);
        }
    }
    assert_eq!(topo.residues.len(), 3, "templates are ACE-X-NME");
    topo.derive_bonds_and_torsions(&positions);
    let mut adjacency: [HashMap<String, Vec<String>>; 3] = Default::default();
    for &(i, j) in &topo.bonds {
        let (ri, rj) = (topo.atoms[i].residue, topo.atoms[j].residue);
        if ri == rj {
            let (a, b) = (&topo.atoms[i].name, &topo.atoms[j].name);
            adjacency[ri].entry(a.clone()).or_default().push(b.clone());
            adjacency[ri].entry(b.clone()).or_default().push(a.clone());
        }
    }
    Template {
        name: topo.residues[1].name.clone(),
        structure: Structure {
            topology: topo,
            positions,
            notes: vec![],
        },
        adjacency,
    }
}

/// Every bundled template: the 20 standard amino acids, then HID HIE HIP ASH GLH LYN CYX.
pub fn all_templates() -> &'static [Template] {
    static T: OnceLock<Vec<Template>> = OnceLock::new();
    T.get_or_init(parse_templates)
}

/// The ACE-X-NME template whose X is `residue` (canonical name), if there is one.
pub fn template(residue: &str) -> Option<&'static Template> {
    all_templates().iter().find(|t| t.name == residue)
}

/// One-letter codes of the 20 standard amino acids and their residue names.
pub const ONE_LETTER: [(char, &str); 20] = [
    ('A', "ALA"),
    ('R', "ARG"),
    ('N', "ASN"),
    ('D', "ASP"),
    ('C', "CYS"),
    ('Q', "GLN"),
    ('E', "GLU"),
    ('G', "GLY"),
    ('H', "HIS"),
    ('I', "ILE"),
    ('L', "LEU"),
    ('K', "LYS"),
    ('M', "MET"),
    ('F', "PHE"),
    ('P', "PRO"),
    ('S', "SER"),
    ('T', "THR"),
    ('W', "TRP"),
    ('Y', "TYR"),
    ('V', "VAL"),
];

/// "KW", "kw" or "LYS-TRP" (also "ACE-LYS-TRP-NME", and a lone three-letter name such
/// as "TRP") as residue names. Three-letter names may be protonation variants (HIE).
pub fn parse_sequence(sequence: &str) -> Result<Vec<String>> {
    let s = sequence.trim().to_ascii_uppercase();
    let bad = |why: String| {
        Error::Parameter(format!(
            "sequence '{}': {why}; give one-letter codes (KW) or three-letter names joined by dashes (LYS-TRP)",
            sequence.trim()
        ))
    };
    let mut names: Vec<String> = if s.contains('-') || (s.len() == 3 && template(&s).is_some()) {
        s.split('-').map(|n| n.trim().to_string()).collect()
    } else {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| {
                ONE_LETTER
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|(_, n)| n.to_string())
                    .ok_or_else(|| bad(format!("'{c}' is not one of the 20 standard amino acids")))
            })
            .collect::<Result<_>>()?
    };
    // The caps are always added; saying them is allowed.
    if names.first().is_some_and(|n| n == "ACE") {
        names.remove(0);
    }
    if names.last().is_some_and(|n| n == "NME") {
        names.pop();
    }
    for n in &names {
        if template(n).is_none() {
            return Err(bad(format!(
                "'{n}' is not a residue with a template (the 20 standard amino acids and HID HIE HIP ASH GLH LYN CYX)"
            )));
        }
    }
    if names.is_empty() || names.len() > MAX_RESIDUES {
        return Err(bad(format!(
            "{} residues; 1 to {MAX_RESIDUES} can be built",
            names.len()
        )));
    }
    Ok(names)
}

pub(crate) type V3 = [f64; 3];

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn unit(a: V3) -> Option<V3> {
    let l = dot(a, a).sqrt();
    (l > 1e-6 && l.is_finite()).then(|| scale(a, 1.0 / l))
}

/// Orthonormal frame at `p` with its first axis towards `q` and `r` in the plane of
/// the first two; None when the three points are (nearly) collinear.
fn frame(p: V3, q: V3, r: V3) -> Option<[V3; 3]> {
    let e1 = unit(sub(q, p))?;
    let pr = sub(r, p);
    let e2 = unit(sub(pr, scale(e1, dot(e1, pr))))?;
    // Nearly collinear points give an axis that is all noise.
    if dot(pr, pr).sqrt() * 0.05 > dot(e2, pr) {
        return None;
    }
    Some([e1, e2, cross(e1, e2)])
}

/// NeRF: the point `d` with |cd| = `bond`, angle b-c-d = `angle`, dihedral a-b-c-d =
/// `torsion` (degrees, IUPAC sign).
fn nerf(a: V3, b: V3, c: V3, bond: f64, angle: f64, torsion: f64) -> V3 {
    let (angle, torsion) = (angle.to_radians(), torsion.to_radians());
    let bc = unit(sub(c, b)).expect("NeRF: distinct atoms");
    let n = unit(cross(sub(b, a), bc)).expect("NeRF: non-collinear atoms");
    let m = cross(n, bc);
    let d = [
        -bond * angle.cos(),
        bond * angle.sin() * torsion.cos(),
        bond * angle.sin() * torsion.sin(),
    ];
    add(c, add(scale(bc, d[0]), add(scale(m, d[1]), scale(n, d[2]))))
}

/// Residues being completed from templates: which atoms they should have, which of
/// those are placed, and which residue's C is bonded to the next one's N.
pub(crate) struct Placement {
    /// Per residue: its template and which of the template's residues (0 ACE, 1 X,
    /// 2 NME) it is.
    pub slots: Vec<(&'static Template, usize)>,
    /// Per residue: the atom names it should have (its template residue's).
    pub names: Vec<Vec<String>>,
    pub pos: Vec<Vec<Option<V3>>>,
    /// `link_next[r]`: residue r's C is bonded to residue r+1's N.
    pub link_next: Vec<bool>,
}

/// An atom of a residue of the same peptide seen from another residue's template:
/// amino acids call their Cα CA, the caps their methyl carbon CH3.
fn map_name(from_cap: bool, to_cap: bool, name: &str) -> &str {
    match (from_cap, to_cap, name) {
        (false, true, "CA") => "CH3",
        (true, false, "CH3") => "CA",
        _ => name,
    }
}

impl Placement {
    pub fn new(slots: Vec<(&'static Template, usize)>, link_next: Vec<bool>) -> Placement {
        let names: Vec<Vec<String>> = slots
            .iter()
            .map(|(t, k)| t.atom_names(*k).into_iter().map(String::from).collect())
            .collect();
        let pos = names.iter().map(|n| vec![None; n.len()]).collect();
        Placement {
            slots,
            names,
            pos,
            link_next,
        }
    }

    fn is_cap(&self, r: usize) -> bool {
        self.slots[r].1 != 1
    }

    pub fn index(&self, r: usize, name: &str) -> Option<usize> {
        self.names[r].iter().position(|n| n == name)
    }

    fn placed(&self, (r, k): (usize, usize)) -> Option<V3> {
        self.pos[r][k]
    }

    /// Where the template of residue `r0` has atom `k` of residue `r`.
    fn template_pos(&self, r0: usize, (r, k): (usize, usize)) -> Option<V3> {
        let (t, slot) = self.slots[r0];
        let tr = slot as isize + r as isize - r0 as isize;
        if !(0..3).contains(&tr) {
            return None;
        }
        let (lo, hi) = (r0.min(r), r0.max(r));
        if (lo..hi).any(|i| !self.link_next[i]) {
            return None;
        }
        let tr = tr as usize;
        t.position(tr, map_name(self.is_cap(r), tr != 1, &self.names[r][k]))
    }

    /// Bonded partners of atom `k` of residue `r`: its template's bonds inside the
    /// residue, and the peptide bonds to its neighbours.
    fn neighbours(&self, (r, k): (usize, usize)) -> Vec<(usize, usize)> {
        let (t, slot) = self.slots[r];
        let name = &self.names[r][k];
        let mut out: Vec<(usize, usize)> = t.adjacency[slot]
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|n| self.index(r, n).map(|j| (r, j)))
            .collect();
        if name == "C" && self.link_next.get(r).copied().unwrap_or(false) {
            out.extend(self.index(r + 1, "N").map(|j| (r + 1, j)));
        }
        if name == "N" && r > 0 && self.link_next[r - 1] {
            out.extend(self.index(r - 1, "C").map(|j| (r - 1, j)));
        }
        // Same residue first, heavy atoms first, then template order: the frame of
        // CB is (CA, N, C) and that of a γ atom (CB, CA, N), which keeps χ1.
        let heavy = |(r2, j): (usize, usize)| !self.names[r2][j].starts_with('H');
        out.sort_by_key(|&a| (a.0 != r, !heavy(a), a.1));
        out
    }

    /// Where atom `a` goes, from a frame of three placed atoms around a placed
    /// neighbour, or None if no such frame exists yet.
    fn locate(&self, a: (usize, usize)) -> Option<V3> {
        let ta = self.template_pos(a.0, a)?;
        let placed = |x: (usize, usize)| self.placed(x).is_some();
        let with_tmpl = |x: (usize, usize)| self.template_pos(a.0, x).is_some();
        for p in self.neighbours(a) {
            if !placed(p) || !with_tmpl(p) {
                continue;
            }
            let p_nb: Vec<_> = self
                .neighbours(p)
                .into_iter()
                .filter(|&x| x != a && placed(x) && with_tmpl(x))
                .collect();
            for &q in &p_nb {
                // Another neighbour of p first (it fixes the geometry at p: O of
                // residue i in the plane of CA_i, C_i, N_i+1), then a neighbour of q.
                let rs = p_nb.iter().copied().filter(|&x| x != q).chain(
                    self.neighbours(q)
                        .into_iter()
                        .filter(|&x| x != p && x != a && placed(x) && with_tmpl(x)),
                );
                for r in rs {
                    let (Some(fb), Some(ft)) = (
                        frame(self.placed(p)?, self.placed(q)?, self.placed(r)?),
                        frame(
                            self.template_pos(a.0, p)?,
                            self.template_pos(a.0, q)?,
                            self.template_pos(a.0, r)?,
                        ),
                    ) else {
                        continue;
                    };
                    let d = sub(ta, self.template_pos(a.0, p)?);
                    let local = [dot(ft[0], d), dot(ft[1], d), dot(ft[2], d)];
                    let mut x = self.placed(p)?;
                    for (e, l) in fb.iter().zip(local) {
                        x = add(x, scale(*e, l));
                    }
                    return Some(x);
                }
            }
        }
        None
    }

    /// Place every missing atom that `wanted` accepts, layer by layer outwards from
    /// the placed ones (breadth first). Returns how many were placed.
    pub fn place(&mut self, wanted: impl Fn(usize, &str) -> bool) -> usize {
        let mut total = 0;
        loop {
            let mut layer = vec![];
            for r in 0..self.names.len() {
                for k in 0..self.names[r].len() {
                    if self.pos[r][k].is_none() && wanted(r, &self.names[r][k]) {
                        if let Some(x) = self.locate((r, k)) {
                            layer.push((r, k, x));
                        }
                    }
                }
            }
            if layer.is_empty() {
                return total;
            }
            total += layer.len();
            for (r, k, x) in layer {
                self.pos[r][k] = Some(x);
            }
        }
    }
}

/// Build ACE-…-NME for `sequence` (see [`parse_sequence`]): the backbone in
/// polyproline II ([`PHI`], [`PSI`], [`OMEGA`]; proline keeps its template's φ, which
/// its ring closes for), every other atom from the residue templates.
pub fn build_peptide(sequence: &str) -> Result<Structure> {
    let residues = parse_sequence(sequence)?;
    let n = residues.len();
    let tmpl: Vec<&'static Template> = residues
        .iter()
        .map(|r| template(r).expect("checked by parse_sequence"))
        .collect();
    let mut slots = vec![(tmpl[0], 0)];
    slots.extend(tmpl.iter().map(|t| (*t, 1)));
    slots.push((tmpl[n - 1], 2));
    let mut pl = Placement::new(slots, vec![true; n + 2]);

    // Backbone trace: ACE CH3, C; then N, CA, C of each residue; NME N, CH3.
    let mut trace: Vec<(usize, &str)> = vec![(0, "CH3"), (0, "C")];
    for r in 1..=n {
        trace.extend([(r, "N"), (r, "CA"), (r, "C")]);
    }
    trace.extend([(n + 1, "N"), (n + 1, "CH3")]);
    let mut xyz: Vec<V3> = vec![[0.0; 3], [CA_C, 0.0, 0.0]];
    let a = (180.0 - CA_C_N).to_radians();
    xyz.push([CA_C + C_N * a.cos(), C_N * a.sin(), 0.0]);
    for i in 3..trace.len() {
        let (r, name) = trace[i];
        let (bond, angle, torsion) = match name {
            // CA (or the NME methyl) after N: the peptide bond's ω.
            "CA" | "CH3" => (N_CA, C_N_CA, OMEGA),
            // C after CA: φ of residue r.
            "C" => {
                let phi = if residues[r - 1] == "PRO" {
                    template_phi(tmpl[r - 1])
                } else {
                    PHI
                };
                (CA_C, N_CA_C, phi)
            }
            // N after C: ψ of the previous residue.
            "N" => (C_N, CA_C_N, PSI),
            _ => unreachable!(),
        };
        let x = nerf(xyz[i - 3], xyz[i - 2], xyz[i - 1], bond, angle, torsion);
        xyz.push(x);
    }
    for (&(r, name), x) in trace.iter().zip(&xyz) {
        let k = pl.index(r, name).expect("backbone atom in template");
        pl.pos[r][k] = Some(*x);
    }
    pl.place(|_, _| true);

    let mut topo = Topology::default();
    let mut positions = vec![];
    for (r, names) in pl.names.iter().enumerate() {
        let name = pl.slots[r].0.structure.topology.residues[pl.slots[r].1]
            .name
            .clone();
        let mut res = Residue {
            name: name.clone(),
            number: r as isize + 1,
            chain: "A".into(),
            atoms: vec![],
        };
        for (k, a) in names.iter().enumerate() {
            let x = pl.pos[r][k].ok_or_else(|| {
                Error::Parameter(format!(
                    "building {sequence}: no frame to place {a} of {name}{}",
                    r + 1
                ))
            })?;
            res.atoms.push(topo.atoms.len());
            topo.atoms.push(Atom {
                name: a.clone(),
                element: names::template_element(&name, a).unwrap_or(Element::C),
                residue: r,
            });
            positions.extend_from_slice(&x);
        }
        topo.residues.push(res);
    }
    topo.derive_bonds_and_torsions(&positions);
    debug_assert!(topo
        .residues
        .iter()
        .all(|r| templates::residue_kind(&r.name) != ResidueKind::Unknown));
    Ok(Structure {
        topology: topo,
        positions,
        notes: vec![],
    })
}

/// φ of the X residue of a template (C of ACE, N, CA, C of X).
fn template_phi(t: &Template) -> f64 {
    let p = |r, n| t.position(r, n).expect("template backbone");
    crate::analysis::dihedral::dihedral(p(0, "C"), p(1, "N"), p(1, "CA"), p(1, "C"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dihedral::dihedral;

    #[test]
    fn every_template_parses_with_its_caps() {
        let t = all_templates();
        assert_eq!(t.len(), 27);
        for t in t {
            let names: Vec<_> = t
                .structure
                .topology
                .residues
                .iter()
                .map(|r| &r.name)
                .collect();
            assert_eq!(names[0], "ACE");
            assert_eq!(names[2], "NME");
            assert!(t.atom_names(0).contains(&"HH31"), "{}", t.name);
            assert!(t.atom_names(2).contains(&"CH3"), "{}", t.name);
        }
    }

    #[test]
    fn nerf_gives_the_asked_geometry() {
        let (a, b, c) = ([0.0, 1.0, 0.3], [0.0, 0.0, 0.0], [1.5, 0.0, 0.0]);
        for t in [-150.0, -60.0, 0.0, 75.0, 180.0] {
            let d = nerf(a, b, c, 1.33, 116.0, t);
            let bond = dot(sub(d, c), sub(d, c)).sqrt();
            assert!((bond - 1.33).abs() < 1e-9);
            let diff = (dihedral(a, b, c, d) - t + 540.0).rem_euclid(360.0) - 180.0;
            assert!(diff.abs() < 1e-6, "{t}");
        }
    }

    #[test]
    fn sequences_in_both_forms() {
        assert_eq!(parse_sequence("kw").unwrap(), ["LYS", "TRP"]);
        assert_eq!(parse_sequence("LYS-TRP").unwrap(), ["LYS", "TRP"]);
        assert_eq!(parse_sequence("ACE-HIE-NME").unwrap(), ["HIE"]);
        assert_eq!(parse_sequence("TRP").unwrap(), ["TRP"]);
        assert_eq!(parse_sequence("AAA").unwrap(), ["ALA"; 3]);
        for bad in ["", "AAAAA", "KXW", "LYS-XYZ"] {
            assert!(parse_sequence(bad).is_err(), "{bad}");
        }
    }
}
