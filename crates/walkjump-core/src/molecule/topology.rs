//! The topology of a molecule and how bonds and torsions are derived from it.

use super::elements::Element;
use super::templates::{self, ResidueKind};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Atom {
    /// PDB atom name, trimmed ("CA", "1HH3").
    pub name: String,
    pub element: Element,
    pub residue: usize,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Residue {
    pub name: String,
    pub number: isize,
    pub chain: String,
    pub atoms: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TorsionKind {
    Phi,
    Psi,
    Chi1,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Torsion {
    pub kind: TorsionKind,
    pub residue: usize,
    pub atoms: [usize; 4],
    /// For example "phi ALA2".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Topology {
    pub atoms: Vec<Atom>,
    pub residues: Vec<Residue>,
    pub bonds: Vec<(usize, usize)>,
    pub torsions: Vec<Torsion>,
}

/// A topology with one set of coordinates (Å, flat x0 y0 z0 x1 ...).
#[derive(Debug, Clone)]
pub struct Structure {
    pub topology: Topology,
    pub positions: Vec<f64>,
    /// What loading corrected in the file (contradicting element columns), for the user.
    pub notes: Vec<String>,
}

fn dist(p: &[f64], i: usize, j: usize) -> f64 {
    let d = [
        p[3 * i] - p[3 * j],
        p[3 * i + 1] - p[3 * j + 1],
        p[3 * i + 2] - p[3 * j + 2],
    ];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}

/// The heavy atom a hydrogen belongs to, read from its PDB name: "HB2" → CB, "1HH3" or
/// "HH31" → CH3, "HE21" → NE2, "HH" → OH, "H"/"H1" → N. Names carry this in every common
/// convention, and unlike distances it survives noisy coordinates.
fn hydrogen_parent_by_name(
    name: &str,
    by_name: &HashMap<&str, usize>,
    residue: &str,
) -> Option<usize> {
    let stem = name.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = stem.strip_prefix('H')?;
    let suffix = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    if suffix.is_empty() || suffix == "N" {
        // Amide hydrogens of amino acids; in caps, digit-only names are methyl hydrogens.
        return match templates::residue_kind(residue) {
            ResidueKind::Ace => by_name.get("CH3").copied(),
            ResidueKind::Nme if !rest.is_empty() && rest != "N" => {
                by_name.get("CH3").or_else(|| by_name.get("C")).copied()
            }
            _ => by_name.get("N").copied(),
        };
    }
    // Try the suffix with trailing digits removed one at a time: "E21" → "E21", "E2", "E".
    let mut cand = rest;
    loop {
        for elem in ["C", "N", "O", "S"] {
            if let Some(&p) = by_name.get(format!("{elem}{cand}").as_str()) {
                return Some(p);
            }
        }
        match cand.char_indices().last() {
            Some((i, c)) if c.is_ascii_digit() => cand = &cand[..i],
            _ => return None,
        }
    }
}

/// Two atoms are bonded by covalent radii if closer than the sum of radii plus this slack (Å).
const COVALENT_SLACK: f64 = 0.45;

impl Topology {
    pub fn n_atoms(&self) -> usize {
        self.atoms.len()
    }

    /// A Lennard-Jones cluster of `n` identical particles (no bonds, no torsions).
    pub fn lj_cluster(n: usize) -> Topology {
        Topology {
            atoms: (0..n)
                .map(|_| Atom {
                    name: "AR".into(),
                    element: Element::Ar,
                    residue: 0,
                })
                .collect(),
            residues: vec![Residue {
                name: "LJ".into(),
                number: 1,
                chain: "A".into(),
                atoms: (0..n).collect(),
            }],
            bonds: vec![],
            torsions: vec![],
        }
    }

    /// The atoms on `b`'s side of the bond a–b, `b` itself left out (it lies on the
    /// bond's axis): what turns when a torsion about a–b is set. `None` when a–b is in
    /// a ring, where there is no one side to turn.
    pub fn beyond(&self, a: usize, b: usize) -> Option<Vec<usize>> {
        let mut seen = vec![false; self.n_atoms()];
        seen[a] = true;
        seen[b] = true;
        let mut stack = vec![b];
        let mut out = vec![];
        while let Some(i) = stack.pop() {
            for &(p, q) in &self.bonds {
                let j = if p == i {
                    q
                } else if q == i {
                    p
                } else {
                    continue;
                };
                if j == a && i != b {
                    // Back to `a` by another path: a–b closes a ring.
                    return None;
                }
                if !seen[j] {
                    seen[j] = true;
                    out.push(j);
                    stack.push(j);
                }
            }
        }
        Some(out)
    }

    pub fn find_atom(&self, residue: usize, name: &str) -> Option<usize> {
        self.residues[residue]
            .atoms
            .iter()
            .copied()
            .find(|&a| self.atoms[a].name == name)
    }

    /// Derive bonds (templates, then covalent radii for what templates do not cover)
    /// and backbone/side-chain torsions. `positions` are used for hydrogens and
    /// residues without a template.
    pub fn derive_bonds_and_torsions(&mut self, positions: &[f64]) {
        let mut bonds: Vec<(usize, usize)> = Vec::new();
        for (ri, res) in self.residues.iter().enumerate() {
            let by_name: HashMap<&str, usize> = res
                .atoms
                .iter()
                .map(|&a| (self.atoms[a].name.as_str(), a))
                .collect();
            match templates::heavy_bonds(&res.name) {
                Some(tmpl) => {
                    for (a, b) in tmpl {
                        if let (Some(&i), Some(&j)) = (by_name.get(a), by_name.get(b)) {
                            bonds.push((i.min(j), i.max(j)));
                        }
                    }
                    for &h in &res.atoms {
                        if self.atoms[h].element != Element::H {
                            continue;
                        }
                        let parent =
                            hydrogen_parent_by_name(&self.atoms[h].name, &by_name, &res.name)
                                .or_else(|| {
                                    // Names that follow no convention: nearest heavy atom.
                                    res.atoms
                                        .iter()
                                        .copied()
                                        .filter(|&a| self.atoms[a].element != Element::H)
                                        .min_by(|&a, &b| {
                                            dist(positions, h, a).total_cmp(&dist(positions, h, b))
                                        })
                                });
                        if let Some(p) = parent {
                            bonds.push((h.min(p), h.max(p)));
                        }
                    }
                }
                None => {
                    for (k, &i) in res.atoms.iter().enumerate() {
                        for &j in &res.atoms[k + 1..] {
                            if self.covalently_close(positions, i, j) {
                                bonds.push((i.min(j), i.max(j)));
                            }
                        }
                    }
                }
            }
            // Peptide bond to the previous residue of the same chain.
            if ri > 0 && self.residues[ri - 1].chain == res.chain {
                if let (Some(c), Some(n)) = (self.find_atom(ri - 1, "C"), self.find_atom(ri, "N")) {
                    if dist(positions, c, n) < 2.5 {
                        bonds.push((c.min(n), c.max(n)));
                    }
                }
            }
        }
        bonds.sort_unstable();
        bonds.dedup();
        self.bonds = bonds;
        self.torsions = self.backbone_torsions();
    }

    fn covalently_close(&self, p: &[f64], i: usize, j: usize) -> bool {
        let (ei, ej) = (self.atoms[i].element, self.atoms[j].element);
        if ei == Element::H && ej == Element::H {
            return false;
        }
        dist(p, i, j) < ei.covalent_radius() + ej.covalent_radius() + COVALENT_SLACK
    }

    /// Whether `i` and `j` are bonded (the bond list is sorted).
    pub fn bonded(&self, i: usize, j: usize) -> bool {
        self.bonds.binary_search(&(i.min(j), i.max(j))).is_ok()
    }

    /// phi/psi for every amino acid with bonded neighbours (caps count), and chi1.
    fn backbone_torsions(&self) -> Vec<Torsion> {
        let mut out = Vec::new();
        for (ri, res) in self.residues.iter().enumerate() {
            if templates::residue_kind(&res.name) != ResidueKind::AminoAcid {
                continue;
            }
            let (Some(n), Some(ca), Some(c)) = (
                self.find_atom(ri, "N"),
                self.find_atom(ri, "CA"),
                self.find_atom(ri, "C"),
            ) else {
                continue;
            };
            let tag = format!("{}{}", res.name, res.number);
            if ri > 0 {
                if let Some(cp) = self.find_atom(ri - 1, "C") {
                    if self.bonded(cp, n) {
                        out.push(Torsion {
                            kind: TorsionKind::Phi,
                            residue: ri,
                            atoms: [cp, n, ca, c],
                            label: format!("phi {tag}"),
                        });
                    }
                }
            }
            if ri + 1 < self.residues.len() {
                if let Some(nn) = self.find_atom(ri + 1, "N") {
                    if self.bonded(c, nn) {
                        out.push(Torsion {
                            kind: TorsionKind::Psi,
                            residue: ri,
                            atoms: [n, ca, c, nn],
                            label: format!("psi {tag}"),
                        });
                    }
                }
            }
            if let Some(cb) = self.find_atom(ri, "CB") {
                if let Some(g) = templates::CHI1_GAMMA
                    .iter()
                    .find_map(|g| self.find_atom(ri, g))
                {
                    out.push(Torsion {
                        kind: TorsionKind::Chi1,
                        residue: ri,
                        atoms: [n, ca, cb, g],
                        label: format!("chi1 {tag}"),
                    });
                }
            }
        }
        out
    }

    /// Residues that have both phi and psi: the rows of a Ramachandran plot.
    pub fn ramachandran_pairs(&self) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        for (ri, res) in self.residues.iter().enumerate() {
            let phi = self
                .torsions
                .iter()
                .position(|t| t.residue == ri && t.kind == TorsionKind::Phi);
            let psi = self
                .torsions
                .iter()
                .position(|t| t.residue == ri && t.kind == TorsionKind::Psi);
            if let (Some(a), Some(b)) = (phi, psi) {
                out.push((a, b, format!("{}{}", res.name, res.number)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::molecule::build::build_peptide;

    #[test]
    fn the_side_of_a_bond_is_what_a_torsion_turns_and_a_ring_bond_has_none() {
        let s = build_peptide("AP").unwrap();
        let t = &s.topology;
        let atom = |res: usize, name: &str| t.find_atom(res, name).unwrap();
        // ψ of ALA2 turns about CA–C: past C lie its O, and all of PRO3 and NME4.
        let side = t.beyond(atom(1, "CA"), atom(1, "C")).unwrap();
        assert!(side.contains(&atom(1, "O")) && side.contains(&atom(2, "CD")));
        assert!(t.residues[3].atoms.iter().all(|i| side.contains(i)));
        assert!(!side.contains(&atom(1, "CB")) && !side.contains(&atom(1, "C")));
        // The other side of the same bond holds the rest of the molecule.
        let other = t.beyond(atom(1, "C"), atom(1, "CA")).unwrap();
        assert_eq!(side.len() + other.len() + 2, t.n_atoms());
        // Proline's N–CA closes its ring: no side to turn.
        assert!(t.beyond(atom(2, "N"), atom(2, "CA")).is_none());
    }
}
