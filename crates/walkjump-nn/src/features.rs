//! What the network sees of a molecule: atom types from element, PDB atom name and
//! residue name (never the residue index, so a model can be applied to peptides it
//! was not trained on), and bond-graph distances between atom pairs.

use std::collections::VecDeque;
use walkjump_core::error::{Error, Result};
use walkjump_core::molecule::names::canonical_atom;
use walkjump_core::molecule::templates::{residue_kind, ResidueKind};
use walkjump_core::molecule::Topology;

/// Which atom names and elements a vocabulary was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// Models trained before names were canonicalised on load (files without a
    /// `naming` field): PDB v2 hydrogen names ("1HB", "1HH3") and, because pdbtbx
    /// guessed elements from names, the alpha carbon embedded as calcium ("Ca").
    /// Looked up through a translation so these models see exactly the inputs they
    /// were trained on.
    #[default]
    LegacyPdbV2,
    /// Amber / PDB v3 names and template elements ([`walkjump_core::molecule::names`]).
    Canonical,
}

/// The atom-type vocabularies a model was trained with. The position in each list
/// is the row of the embedding, so lists are never reordered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vocabulary {
    pub elements: Vec<String>,
    pub atom_names: Vec<String>,
    pub residue_names: Vec<String>,
    #[serde(default)]
    pub naming: Naming,
}

/// Residue names the peptide vocabulary covers (standard, protonation states, caps).
pub const PEPTIDE_RESIDUES: &str = "ACE ALA ARG ASH ASN ASP CYS CYX GLH GLN GLU GLY HID HIE HIP HIS ILE LEU LYN LYS MET NME PHE PRO SER THR TRP TYR VAL";
/// Canonical (Amber / PDB v3) atom names of those residues, from
/// `assets/templates/residues.pdb` with the caps' methyl hydrogens as HH31–HH33.
pub const PEPTIDE_ATOM_NAMES: &str = "C CA CB CD CD1 CD2 CE CE1 CE2 CE3 CG CG1 CG2 CH2 CH3 CZ CZ2 CZ3 H HA HA2 HA3 HB HB1 HB2 HB3 HD1 HD11 HD12 HD13 HD2 HD21 HD22 HD23 HD3 HE HE1 HE2 HE21 HE22 HE3 HG HG1 HG11 HG12 HG13 HG2 HG21 HG22 HG23 HG3 HH HH11 HH12 HH2 HH21 HH22 HH31 HH32 HH33 HZ HZ1 HZ2 HZ3 N ND1 ND2 NE NE1 NE2 NH1 NH2 NZ O OD1 OD2 OE1 OE2 OG OG1 OH SD SG";

/// Per-atom vocabulary indices and the pair classes of one molecule.
#[derive(Debug, Clone, PartialEq)]
pub struct MoleculeFeatures {
    pub element: Vec<i64>,
    pub atom_name: Vec<i64>,
    pub residue_name: Vec<i64>,
    /// n × n, row-major: 0 far or unbonded, 1 bonded, 2 two bonds apart, 3 three.
    pub edge_type: Vec<i64>,
}

fn sorted_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

impl Vocabulary {
    pub fn from_topology(t: &Topology) -> Self {
        Vocabulary {
            elements: sorted_unique(t.atoms.iter().map(|a| a.element.symbol().to_string())),
            atom_names: sorted_unique(t.atoms.iter().map(|a| a.name.clone())),
            residue_names: sorted_unique(t.residues.iter().map(|r| r.name.clone())),
            naming: Naming::Canonical,
        }
    }

    /// The fixed vocabulary of the transferable peptide model: every element, residue
    /// and canonical atom name of the 20 standard amino acids (with the usual
    /// protonation states) and the ACE/NME caps, so that a capped peptide of standard
    /// residues never fails on vocabulary, whatever the training set held. Lists are
    /// sorted once here and never reordered (the position is the embedding row).
    pub fn peptides() -> Self {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        Vocabulary {
            elements: words("C H N O S"),
            atom_names: words(PEPTIDE_ATOM_NAMES),
            residue_names: words(PEPTIDE_RESIDUES),
            naming: Naming::Canonical,
        }
    }

    /// For each row of this vocabulary's element, atom-name and residue lists, the row
    /// of `old` that spells the same thing (legacy names translated), if any.
    pub fn rows_from(&self, old: &Vocabulary) -> [Vec<Option<usize>>; 3] {
        let elements = self
            .elements
            .iter()
            .map(|e| old.elements.iter().position(|o| o == e))
            .collect();
        let names = self
            .atom_names
            .iter()
            .map(|n| old.atom_name_index(n))
            .collect();
        let residues = self
            .residue_names
            .iter()
            .map(|r| old.residue_names.iter().position(|o| o == r))
            .collect();
        [elements, names, residues]
    }

    /// The element and atom-name keys this vocabulary spells atom `i` of `t` with.
    fn keys<'a>(&self, t: &'a Topology, i: usize) -> (&'static str, &'a str) {
        let a = &t.atoms[i];
        let res = &t.residues[a.residue].name;
        let legacy_calcium = self.naming == Naming::LegacyPdbV2
            && a.name == "CA"
            && residue_kind(res) == ResidueKind::AminoAcid;
        let element = if legacy_calcium {
            "Ca"
        } else {
            a.element.symbol()
        };
        (element, a.name.as_str())
    }

    fn atom_name_index(&self, name: &str) -> Option<usize> {
        match self.naming {
            Naming::Canonical => self.atom_names.iter().position(|s| s == name),
            // "1HB" in the model is HB1 in the molecule.
            Naming::LegacyPdbV2 => self
                .atom_names
                .iter()
                .position(|s| canonical_atom("", s) == name),
        }
    }

    /// Indices of every atom of `t`; fails naming the atoms the model has never seen.
    pub fn features(&self, t: &Topology) -> Result<MoleculeFeatures> {
        let mut unknown = vec![];
        let mut lookup = |found: Option<usize>, key: &str, what: &str, atom: usize| -> i64 {
            match found {
                Some(i) => i as i64,
                None => {
                    if unknown.len() < 8 {
                        unknown.push(format!("atom {} ({what} {key})", atom + 1));
                    }
                    0
                }
            }
        };
        let position = |list: &[String], key: &str| list.iter().position(|s| s == key);
        let mut f = MoleculeFeatures {
            element: vec![],
            atom_name: vec![],
            residue_name: vec![],
            edge_type: edge_types(t),
        };
        for (i, a) in t.atoms.iter().enumerate() {
            let res = &t.residues[a.residue].name;
            let (element, name) = self.keys(t, i);
            f.element.push(lookup(
                position(&self.elements, element),
                element,
                "element",
                i,
            ));
            f.atom_name
                .push(lookup(self.atom_name_index(name), name, "atom name", i));
            f.residue_name.push(lookup(
                position(&self.residue_names, res),
                res,
                "residue",
                i,
            ));
        }
        if !unknown.is_empty() {
            return Err(Error::Denoiser(format!(
                "the model does not know these atom types: {}; it was trained on residues {} and atom names {}",
                unknown.join(", "),
                self.residue_names.join(" "),
                self.atom_names.join(" ")
            )));
        }
        Ok(f)
    }
}

/// Bond-graph distance class of every pair, by breadth-first search from each atom.
pub fn edge_types(t: &Topology) -> Vec<i64> {
    let n = t.n_atoms();
    let mut adj = vec![vec![]; n];
    for &(a, b) in &t.bonds {
        adj[a].push(b);
        adj[b].push(a);
    }
    let mut out = vec![0i64; n * n];
    for s in 0..n {
        let mut depth = vec![usize::MAX; n];
        depth[s] = 0;
        let mut q = VecDeque::from([s]);
        while let Some(a) = q.pop_front() {
            if depth[a] >= 3 {
                continue;
            }
            for &b in &adj[a] {
                if depth[b] == usize::MAX {
                    depth[b] = depth[a] + 1;
                    q.push_back(b);
                }
            }
        }
        for (j, &d) in depth.iter().enumerate() {
            if j != s && (1..=3).contains(&d) {
                out[s * n + j] = d as i64;
            }
        }
    }
    out
}

fn squared_distance(p: &[f64], i: usize, j: usize) -> f64 {
    (0..3).map(|k| (p[3 * i + k] - p[3 * j + k]).powi(2)).sum()
}

/// Squared distances of all pairs i < j of one frame.
fn all_pairs(p: &[f64], n: usize) -> impl Iterator<Item = f64> + '_ {
    (0..n).flat_map(move |i| (i + 1..n).map(move |j| squared_distance(p, i, j)))
}

/// Mean of the values, or 1 when there are none (C must stay positive).
fn mean_or_one(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        1.0
    } else {
        sum / count as f64
    }
}

/// C as JAMUN defines it: the mean squared distance over the graph's edges, i.e. all
/// atom pairs closer than `radius` (JAMUN: 10 Å; here the network's cutoff).
pub fn mean_squared_pair_within(t: &Topology, frames: &[Vec<f64>], radius: f64) -> f64 {
    let n = t.n_atoms();
    mean_or_one(
        frames
            .iter()
            .take(500)
            .flat_map(|p| all_pairs(p, n).filter(|&d2| d2 < radius * radius)),
    )
}

/// C of the normalisation: mean squared length of the bonds, or for a cluster without
/// bonds, of the nearest-neighbour pairs (r < 1.5 × the nearest distance).
pub fn mean_squared_edge(t: &Topology, frames: &[Vec<f64>]) -> f64 {
    let n = t.n_atoms();
    mean_or_one(frames.iter().take(500).flat_map(|p| -> Vec<f64> {
        if !t.bonds.is_empty() {
            t.bonds
                .iter()
                .map(|&(a, b)| squared_distance(p, a, b))
                .collect()
        } else {
            let pairs: Vec<f64> = all_pairs(p, n).collect();
            let nearest = pairs.iter().cloned().fold(f64::INFINITY, f64::min);
            pairs.into_iter().filter(|&q| q < 2.25 * nearest).collect()
        }
    }))
}
