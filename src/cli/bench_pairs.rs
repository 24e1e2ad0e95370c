//! `walkjump bench --pairs-crossover`: the network's dense pairs against its radius
//! graph as molecules grow, to find the size where the radius graph starts to pay.
//!
//! Both modes compute the same function (tested), so this is speed only. The dense
//! layer's cost grows with n², the radius graph's with n times the neighbours within
//! the cutoff, which depends on how tightly atoms are packed. A built 4-residue peptide
//! is extended and sparse; a protein is compact. So beyond one molecule the system is
//! `m` copies of ACE-AKGV-NME (the transferable model's vocabulary), each turned at
//! random, their centres on a cubic lattice at a protein's atom density (~0.11 atoms
//! per Å³, hydrogens included: 1.35 g/cm³ at ~7.3 Da an atom). The copies overlap, which
//! a forward pass does not mind; what the timing needs is a protein's neighbour count.

use anyhow::Context;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use std::path::PathBuf;
use std::time::Instant;
use walkjump::molecule::build_peptide;
use walkjump::nn::features::MoleculeFeatures;
use walkjump::nn::network::{neighbour_lists, PairMode};
use walkjump::nn::{on_backend, read_model_meta, BackendKind, LearnedModel, OnBackend};
use walkjump::rng::{normal, seeded};

#[derive(clap::Args, Debug, Clone)]
pub struct PairsArgs {
    /// Time the dense network against the radius graph for growing molecules.
    #[arg(long)]
    pub pairs_crossover: bool,
    /// Copies of the peptide packed together, one row each (1 = the peptide alone).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub pairs_copies: Vec<usize>,
    /// Chains in one network call.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub pairs_chains: Vec<usize>,
    /// Backends to time (default: ndarray).
    #[arg(long, value_delimiter = ',', default_value = "ndarray")]
    pub pairs_backends: Vec<String>,
    /// The model whose network is timed, and the peptide its copies are of.
    #[arg(long, default_value = "models/peptides.wjm")]
    pub pairs_model: PathBuf,
    #[arg(long, default_value = "AKGV")]
    pub pairs_peptide: String,
    /// Skip a mode in a row once one of its calls is expected to take longer (seconds).
    #[arg(long, default_value_t = 30.0)]
    pub pairs_call_seconds: f64,
}

/// Atoms per Å³ in a folded protein, hydrogens included.
const PROTEIN_DENSITY: f64 = 0.11;
/// A cell whose largest tensor would pass this many bytes is skipped rather than risk
/// the machine's memory (wgpu's per-call budget, too): the dense layer's filters are
/// [b, 4h, n, n] f32 per layer, the radius graph's [b, n, k, 4h·layers] for all layers.
const FILTER_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;

/// One system: positions (Å, centred) and the network's per-atom inputs.
struct Packed {
    pos: Vec<f32>,
    features: MoleculeFeatures,
    n: usize,
}

/// `copies` of the peptide, turned at random, on a cubic lattice at protein density,
/// with noise of size σ on every coordinate (the network sees the walk's y).
fn pack(
    one: &[f64],
    f: &MoleculeFeatures,
    copies: usize,
    sigma: f64,
    seed: u64,
) -> anyhow::Result<Packed> {
    let m = one.len() / 3;
    let n = m * copies;
    let mut rng = seeded(seed);
    let side = (copies as f64).cbrt().ceil() as usize;
    let spacing = (m as f64 / PROTEIN_DENSITY).cbrt();
    let mut one = one.to_vec();
    walkjump::geometry::centre(&mut one);
    let mut pos = Vec::with_capacity(3 * n);
    for c in 0..copies {
        let cell = [c % side, (c / side) % side, c / (side * side)];
        let turn = if copies == 1 {
            UnitQuaternion::identity()
        } else {
            let q = Quaternion::new(
                normal(&mut rng),
                normal(&mut rng),
                normal(&mut rng),
                normal(&mut rng),
            );
            UnitQuaternion::from_quaternion(q)
        };
        for a in one.chunks(3) {
            let v = turn * Vector3::new(a[0], a[1], a[2]);
            for k in 0..3 {
                pos.push(v[k] + cell[k] as f64 * spacing + sigma * normal(&mut rng));
            }
        }
    }
    walkjump::geometry::centre(&mut pos);
    anyhow::ensure!(f.edge_type.len() == m * m, "edge table of the wrong size");
    // Copies share their vocabulary rows; atoms of different copies are unbonded (class 0).
    let tile = |v: &[i64]| -> Vec<i64> { (0..copies).flat_map(|_| v.iter().copied()).collect() };
    let mut edge = vec![0i64; n * n];
    for c in 0..copies {
        for i in 0..m {
            let row = (c * m + i) * n + c * m;
            edge[row..row + m].copy_from_slice(&f.edge_type[i * m..(i + 1) * m]);
        }
    }
    Ok(Packed {
        pos: pos.iter().map(|&x| x as f32).collect(),
        features: MoleculeFeatures {
            element: tile(&f.element),
            atom_name: tile(&f.atom_name),
            residue_name: tile(&f.residue_name),
            edge_type: edge,
        },
        n,
    })
}

/// Mean and largest number of atoms within `cutoff` of an atom, from the radius
/// graph's own lists (it pads them to the largest).
fn degrees(pos: &[f32], cutoff: f64) -> (f64, usize) {
    let n = pos.len() / 3;
    let (_, lists) = neighbour_lists(pos, 1, n, cutoff);
    let sizes = lists.iter().map(Vec::len);
    let mean = sizes.clone().sum::<usize>() as f64 / n.max(1) as f64;
    (mean, sizes.max().unwrap_or(0))
}

/// Seconds per network call in each mode, `None` where a mode was skipped.
struct Timing {
    dense: Option<f64>,
    radius: Option<f64>,
}

/// Times dense and radius calls on one backend, interleaved so that a busy machine
/// slows both alike: one untimed call each, then alternate until each has had
/// `secs` (at least two calls each).
struct TimeModes {
    model: PathBuf,
    packed: std::sync::Arc<Packed>,
    chains: usize,
    secs: f64,
    skip: [bool; 2],
}

impl OnBackend for TimeModes {
    type Out = Timing;
    fn run<B: Backend>(self, device: B::Device, _: &'static str) -> walkjump::Result<Timing>
    where
        B::Device: Send,
    {
        let model = LearnedModel::<B>::load(&self.model, &device)?;
        let p = &self.packed;
        let mut graph = model.meta.graph_inputs::<B>(&p.features, p.n, &device);
        let y = Tensor::<B, 3>::from_data(TensorData::new(p.pos.clone(), [1, p.n, 3]), &device)
            .expand([self.chains, p.n, 3]);
        let modes = [PairMode::Dense, PairMode::Radius];
        let mut spent = [0.0f64; 2];
        let mut calls = [0u32; 2];
        let call = |k: usize, graph: &mut walkjump::nn::network::Graph<B>| {
            graph.pairs = modes[k];
            let t0 = Instant::now();
            let out = model.denoise_centred(y.clone(), graph);
            // Reading one value back waits for the device to finish the call.
            let _: f32 = out.sum().into_scalar().elem();
            t0.elapsed().as_secs_f64()
        };
        for k in 0..2 {
            if !self.skip[k] {
                call(k, &mut graph);
            }
        }
        loop {
            let mut more = false;
            for k in 0..2 {
                if self.skip[k] || (calls[k] >= 2 && spent[k] >= self.secs) {
                    continue;
                }
                spent[k] += call(k, &mut graph);
                calls[k] += 1;
                more = true;
            }
            if !more {
                break;
            }
        }
        let per = |k: usize| (!self.skip[k]).then(|| spent[k] / f64::from(calls[k]));
        Ok(Timing {
            dense: per(0),
            radius: per(1),
        })
    }
}

use burn::tensor::ElementConversion;

pub fn run(a: &PairsArgs, seconds: f64) -> anyhow::Result<Vec<serde_json::Value>> {
    if let Ok(v) = std::env::var("WALKJUMP_PAIRS") {
        anyhow::bail!(
            "WALKJUMP_PAIRS={v} would force one mode on both columns; unset it for --pairs-crossover"
        );
    }
    let meta = read_model_meta(&a.pairs_model)
        .with_context(|| format!("reading {}", a.pairs_model.display()))?;
    let peptide = build_peptide(&a.pairs_peptide)?;
    let f = meta
        .vocabulary
        .features(&peptide.topology)
        .with_context(|| {
            format!(
                "{} does not cover the peptide {}",
                a.pairs_model.display(),
                a.pairs_peptide
            )
        })?;
    let backends: Vec<BackendKind> = a
        .pairs_backends
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(
        a.pairs_copies.iter().chain(&a.pairs_chains).all(|&k| k > 0),
        "--pairs-copies and --pairs-chains must be at least 1"
    );
    let h = meta.net.hidden as f64;
    let layers = meta.net.layers as f64;
    println!(
        "dense pairs against the radius graph ({} Å cutoff): ms per network call, {} (h = {}, {} layers);",
        meta.net.cutoff,
        a.pairs_model.display(),
        meta.net.hidden,
        meta.net.layers
    );
    println!(
        "copies of ACE-{}-NME at protein density ({PROTEIN_DENSITY} atoms/Å³), noise σ = {} Å",
        a.pairs_peptide, meta.sigma
    );
    println!(
        "{:<9} {:>7} {:>6} {:>15} {:>11} {:>11} {:>14}",
        "backend", "atoms", "chains", "neighbours", "dense ms", "radius ms", "radius/dense"
    );
    let mut rows = vec![];
    for &kind in &backends {
        // The last timing of each mode, (atoms, chains, seconds): a call is predicted
        // from it as n² (dense) or n (radius) times the chains, and skipped when that
        // is over budget.
        let mut last: [Option<(usize, usize, f64)>; 2] = [None, None];
        for &copies in &a.pairs_copies {
            let packed = std::sync::Arc::new(pack(&peptide.positions, &f, copies, meta.sigma, 5)?);
            let n = packed.n;
            let (mean_deg, max_deg) = degrees(&packed.pos, meta.net.cutoff);
            for &chains in &a.pairs_chains {
                let dense_bytes = chains as f64 * 4.0 * h * (n * n) as f64 * 4.0;
                let radius_bytes = chains as f64 * (n * max_deg) as f64 * 4.0 * h * layers * 4.0;
                let over = |k: usize| {
                    last[k].is_some_and(|(n0, c0, s)| {
                        let grow = (n as f64 / n0 as f64).powi(if k == 0 { 2 } else { 1 });
                        s * grow * chains as f64 / c0 as f64 > a.pairs_call_seconds
                    })
                };
                let skip = [
                    dense_bytes > FILTER_BYTES || over(0),
                    radius_bytes > FILTER_BYTES || over(1),
                ];
                let t = if skip[0] && skip[1] {
                    Timing {
                        dense: None,
                        radius: None,
                    }
                } else {
                    on_backend(
                        kind,
                        TimeModes {
                            model: a.pairs_model.clone(),
                            packed: packed.clone(),
                            chains,
                            secs: seconds,
                            skip,
                        },
                    )?
                };
                if let Some(d) = t.dense {
                    last[0] = Some((n, chains, d));
                }
                if let Some(r) = t.radius {
                    last[1] = Some((n, chains, r));
                }
                let ms =
                    |s: Option<f64>| s.map_or("skipped".to_string(), |s| format!("{:.1}", s * 1e3));
                let ratio = match (t.dense, t.radius) {
                    (Some(d), Some(r)) => format!("{:.2}", r / d),
                    _ => "-".to_string(),
                };
                println!(
                    "{:<9} {:>7} {:>6} {:>15} {:>11} {:>11} {:>14}",
                    kind.name(),
                    n,
                    chains,
                    format!("{mean_deg:.0} (max {max_deg})"),
                    ms(t.dense),
                    ms(t.radius),
                    ratio
                );
                use std::io::Write;
                std::io::stdout().flush().ok();
                rows.push(
                    serde_json::json!({"pairs_crossover": true, "backend": kind.name(),
                    "copies": copies, "atoms": n, "chains": chains, "mean_neighbours": mean_deg,
                    "max_neighbours": max_deg, "dense_s": t.dense, "radius_s": t.radius,
                    "cutoff_angstrom": meta.net.cutoff, "density_per_a3": PROTEIN_DENSITY,
                    "wgpu_fusion": walkjump::nn::backend::WGPU_FUSION}),
                );
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_reaches_protein_density_and_keeps_each_copy_whole() {
        // Claim: packed copies keep their internal geometry (up to the noise) and, in
        // the bulk, have about the neighbour count of the target density; a single copy
        // is the peptide itself, far sparser (the negative control).
        let p = build_peptide("AKGV").unwrap();
        let m = p.topology.n_atoms();
        let f = MoleculeFeatures {
            element: vec![0; m],
            atom_name: vec![0; m],
            residue_name: vec![0; m],
            edge_type: vec![1; m * m],
        };
        let packed = pack(&p.positions, &f, 27, 0.0, 1).unwrap();
        assert_eq!(packed.n, 27 * m);
        let d = |x: &[f32], i: usize, j: usize| {
            (0..3)
                .map(|k| (x[3 * i + k] - x[3 * j + k]).powi(2))
                .sum::<f32>()
                .sqrt()
        };
        let one: Vec<f32> = p.positions.iter().map(|&x| x as f32).collect();
        for c in [0, 13, 26] {
            let off = c * m;
            assert!((d(&packed.pos, off, off + m - 1) - d(&one, 0, m - 1)).abs() < 1e-3);
        }
        assert_eq!(packed.features.edge_type[m * packed.n + m + 1], 1);
        assert_eq!(packed.features.edge_type[1], 1);
        assert_eq!(packed.features.edge_type[m], 0, "copies are unbonded");
        // Neighbours within 6 Å of the central copy's atoms: ~ density × sphere volume.
        let expect = PROTEIN_DENSITY * 4.0 / 3.0 * std::f64::consts::PI * 216.0;
        let centre_copy = 13 * m..14 * m;
        let mut total = 0usize;
        for i in centre_copy.clone() {
            total += (0..packed.n)
                .filter(|&j| j != i && d(&packed.pos, i, j) < 6.0)
                .count();
        }
        let bulk = total as f64 / m as f64;
        assert!(
            (0.6 * expect..1.5 * expect).contains(&bulk),
            "bulk neighbours {bulk:.0} against {expect:.0}"
        );
        let (alone, _) = degrees(&one, 6.0);
        assert!(
            alone < 0.6 * bulk,
            "one peptide {alone:.0} against {bulk:.0}"
        );
    }
}
