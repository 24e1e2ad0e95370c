//! The network over a radius graph: each atom's messages come from the atoms within
//! the cutoff only, held as neighbour lists padded to the largest degree of the
//! batch, so pair tensors are [b, n, k] instead of [b, n, n].
//!
//! A pair beyond the cutoff has an envelope of exactly zero in the dense network, so
//! it sends nothing there either: both modes compute the same function (a test checks
//! it to float rounding) and the choice is one of speed. On ndarray the radius graph
//! starts to pay at ~650-700 atoms at a protein's density (`walkjump bench
//! --pairs-crossover`, README), ten times the largest molecule any shipped model
//! covers, so `auto` (every model file's setting) runs dense; `WALKJUMP_PAIRS=radius`
//! or a model's `"pairs": "radius"` selects it.

use super::{EquivariantNet, Graph, Interaction};
use burn::nn::Embedding;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

/// How the network pairs atoms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairMode {
    /// Dense: every molecule a shipped model covers is far below the crossover (see
    /// the module notes).
    #[default]
    Auto,
    Dense,
    Radius,
}

/// `WALKJUMP_PAIRS=dense|radius|auto` overrides every model's setting (for timing
/// one against the other; both give the same numbers).
fn pair_override() -> Option<PairMode> {
    static MODE: std::sync::OnceLock<Option<PairMode>> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| match std::env::var("WALKJUMP_PAIRS").as_deref() {
        Ok("dense") => Some(PairMode::Dense),
        Ok("radius") => Some(PairMode::Radius),
        Ok("auto") => Some(PairMode::Auto),
        _ => None,
    })
}

/// Padded neighbour lists of one batch.
pub(super) struct Neighbours<B: Backend> {
    /// Neighbours per atom (the largest degree in the batch, at least 1).
    k: usize,
    /// [b·n·k]: row b·n + j of neighbour j in the batch-flattened atom list
    /// (padding points at the atom itself).
    flat: Tensor<B, 1, Int>,
    /// [b·n·k]: i·n + j, the pair's entry in the n×n edge-type table.
    pair: Tensor<B, 1, Int>,
    /// [b, n, k, 1]: 1 for a neighbour, 0 for padding.
    mask: Tensor<B, 4>,
}

/// Largest degree and, per (chain, atom), its neighbours closer than `cutoff`: the
/// lists the radius graph pads to that degree (`bench --pairs-crossover` reports them).
pub fn neighbour_lists(pos: &[f32], b: usize, n: usize, cutoff: f64) -> (usize, Vec<Vec<usize>>) {
    let c2 = (cutoff * cutoff) as f32;
    let mut out = Vec::with_capacity(b * n);
    for p in pos.chunks(3 * n).take(b) {
        for i in 0..n {
            let near = (0..n).filter(|&j| {
                j != i
                    && (0..3)
                        .map(|d| (p[3 * i + d] - p[3 * j + d]).powi(2))
                        .sum::<f32>()
                        < c2
            });
            out.push(near.collect::<Vec<_>>());
        }
    }
    let k = out.iter().map(Vec::len).max().unwrap_or(0).max(1);
    (k, out)
}

impl<B: Backend> Neighbours<B> {
    /// The neighbour lists when the graph's mode asks for them, else `None` for the
    /// dense network.
    pub(super) fn when_worth_it(pos: &Tensor<B, 3>, g: &Graph<B>) -> Option<Self> {
        let [b, n, _] = pos.dims();
        if pair_override().unwrap_or(g.pairs) != PairMode::Radius {
            return None;
        }
        // The lists are built on the host: an O(b n²) distance pass, small beside the
        // network, and no data-dependent shapes on the device.
        let host: Vec<f32> = pos.clone().into_data().convert::<f32>().to_vec().ok()?;
        let (k, lists) = neighbour_lists(&host, b, n, g.cutoff);
        let mut flat = Vec::with_capacity(b * n * k);
        let mut pair = Vec::with_capacity(b * n * k);
        let mut mask = Vec::with_capacity(b * n * k);
        for (row, near) in lists.iter().enumerate() {
            let (chain, i) = (row / n, row % n);
            for slot in 0..k {
                let (j, m) = near.get(slot).map_or((i, 0.0), |&j| (j, 1.0));
                flat.push((chain * n + j) as i64);
                pair.push((i * n + j) as i64);
                mask.push(m as f32);
            }
        }
        let device = pos.device();
        let ints = |v: Vec<i64>| Tensor::from_data(TensorData::new(v, [b * n * k]), &device);
        Some(Neighbours {
            k,
            flat: ints(flat),
            pair: ints(pair),
            mask: Tensor::from_data(TensorData::new(mask, [b, n, k, 1]), &device),
        })
    }

    /// [b, n, k, 1]: 1 for a neighbour, 0 for padding.
    pub(super) fn mask(&self) -> Tensor<B, 4> {
        self.mask.clone()
    }

    /// The bond-graph class embedding of each (atom, neighbour) pair, [b, n, k, h].
    pub(super) fn edge_embedding(&self, table: &Embedding<B>, g: &Graph<B>) -> Tensor<B, 4> {
        let [b, n, k, _] = self.mask.dims();
        let types = g
            .edge_type
            .clone()
            .reshape([n * n])
            .select(0, self.pair.clone())
            .reshape([b, n * k]);
        let e = table.forward(types);
        let h = e.dims()[2];
        e.reshape([b, n, k, h])
    }

    /// Rows of `t` [b, n, …] taken at each atom's neighbours: [b, n, k, …].
    pub(super) fn gather<const D: usize, const E: usize>(&self, t: Tensor<B, D>) -> Tensor<B, E> {
        let dims = t.dims();
        let (b, n) = (dims[0], dims[1]);
        let rest: usize = dims[2..].iter().product();
        let mut shape = [0; E];
        shape[..3].copy_from_slice(&[b, n, self.k]);
        shape[3..].copy_from_slice(&dims[2..]);
        t.reshape([b * n, rest])
            .select(0, self.flat.clone())
            .reshape(shape)
    }
}

impl<B: Backend> EquivariantNet<B> {
    /// [`EquivariantNet::forward`] over the radius graph `nb`.
    pub(super) fn forward_radius(
        &self,
        pos: Tensor<B, 3>,
        g: &Graph<B>,
        nb: &Neighbours<B>,
        message_scale: f64,
    ) -> Tensor<B, 3> {
        let [b, n, _] = pos.dims();
        let h = self.output.weight.dims()[0];
        let rel = nb.gather::<3, 4>(pos.clone()) - pos.unsqueeze_dim::<4>(2); // [b, n, k, 3]
        let et = nb.edge_embedding(&self.edge_type, g);
        let f = self.pair_features(rel.clone(), et, nb.mask(), g);
        let rhat = rel / f.dist;
        let mut s = self.atom_embedding(g).expand([b, n, h]);
        let mut v = Tensor::<B, 4>::zeros([b, n, h, 3], &s.device());
        for (layer, w) in self.interactions.iter().zip(self.filters(f.edge, f.env)) {
            (s, v) = layer.forward_radius(s, v, w, &rhat, nb, message_scale);
        }
        self.output.forward(v.swap_dims(2, 3)).reshape([b, n, 3])
    }
}

impl<B: Backend> Interaction<B> {
    /// One layer over the radius graph: s [b, n, h], v [b, n, h, 3] (atom-major here),
    /// w [b, n, k, 4h], rhat [b, n, k, 3]. The same messages as the dense layer.
    fn forward_radius(
        &self,
        s: Tensor<B, 3>,
        v: Tensor<B, 4>,
        w: Tensor<B, 4>,
        rhat: &Tensor<B, 4>,
        nb: &Neighbours<B>,
        scale: f64,
    ) -> (Tensor<B, 3>, Tensor<B, 4>) {
        let [b, n, h] = s.dims();
        let k = nb.k;
        let w_s = w.clone().narrow(3, 0, h);
        let w_r = w.clone().narrow(3, h, h);
        let w_v = w.clone().narrow(3, 2 * h, h).unsqueeze_dim::<5>(4);
        let w_x = w.narrow(3, 3 * h, h).unsqueeze_dim::<5>(4);

        // Σ_j W φ(s_j) over the neighbours.
        let phi = nb.gather::<3, 4>(self.phi_s.forward(s.clone()));
        let m_s = (w_s * phi).sum_dim(2).reshape([b, n, h]) * scale;
        // Along r̂_ij, carried over from v_j, and v_j × r̂_ij (a pseudovector).
        let g = nb.gather::<3, 4>(self.phi_v.forward(s.clone()));
        let along = (w_r * g).swap_dims(2, 3).matmul(rhat.clone()); // [b, n, h, 3]
        let vj = nb.gather::<4, 5>(v.clone()); // [b, n, k, h, 3]
        let carried = (w_v * vj.clone()).sum_dim(2).reshape([b, n, h, 3]);
        let r = |c: usize| rhat.clone().narrow(3, c, 1).reshape([b, n, k, 1, 1]);
        let vc = |c: usize| vj.clone().narrow(4, c, 1);
        let cross = Tensor::cat(
            vec![
                vc(1) * r(2) - vc(2) * r(1),
                vc(2) * r(0) - vc(0) * r(2),
                vc(0) * r(1) - vc(1) * r(0),
            ],
            4,
        );
        let crossed = (w_x * cross).sum_dim(2).reshape([b, n, h, 3]);
        let m_v = (along + carried + crossed) * scale;
        // The update is channel-major (the dense layout).
        let (s, dv) = self.update(s.swap_dims(1, 2), m_s.swap_dims(1, 2), m_v.swap_dims(1, 2));
        (s.swap_dims(1, 2), v + dv.swap_dims(1, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{NetConfig, VocabSizes};
    use burn::tensor::Distribution;

    type B = burn::backend::NdArray<f32>;

    /// A random molecule of `n` atoms along a line ~`length` long, and a graph over it
    /// with random pair classes and atom types.
    fn setup(
        n: usize,
        cutoff: f64,
        pairs: PairMode,
    ) -> (EquivariantNet<B>, Graph<B>, Tensor<B, 3>) {
        let device = Default::default();
        let cfg = NetConfig {
            hidden: 8,
            layers: 2,
            pairs,
            ..NetConfig::small(cutoff)
        };
        let vocab = VocabSizes {
            elements: 3,
            atom_names: 4,
            residue_names: 2,
        };
        let net = EquivariantNet::<B>::new(&cfg, vocab, &device);
        let ints = |len: usize, hi: i64, shape: [usize; 2]| {
            let v: Vec<i64> = (0..len).map(|i| (i as i64 * 7 + 3) % hi).collect();
            Tensor::<B, 2, Int>::from_data(TensorData::new(v, shape), &device)
        };
        let mut mask = vec![1.0f32; n * n];
        (0..n).for_each(|i| mask[i * n + i] = 0.0);
        let k = cfg.radial_bases;
        let centres: Vec<f32> = (0..k)
            .map(|i| (cutoff * i as f64 / (k - 1) as f64) as f32)
            .collect();
        let g = Graph {
            n_atoms: n,
            element: ints(n, 3, [1, n]),
            atom_name: ints(n, 4, [1, n]),
            residue_name: ints(n, 2, [1, n]),
            edge_type: ints(n * n, 4, [n, n]),
            off_diagonal: Tensor::from_data(TensorData::new(mask, [1, n, n, 1]), &device),
            centres: Tensor::from_data(TensorData::new(centres, [k]), &device),
            width: cutoff / k as f64,
            cutoff,
            pairs,
            levi: crate::network::levi_civita(&device),
        };
        B::seed(&device, 7);
        let line: Vec<f32> = (0..n).flat_map(|i| [0.4 * i as f32, 0.0, 0.0]).collect();
        let pos = Tensor::<B, 3>::from_data(TensorData::new(line, [1, n, 3]), &device)
            .expand([3, n, 3])
            + Tensor::random([3, n, 3], Distribution::Normal(0.0, 0.5), &device);
        (net, g, pos)
    }

    #[test]
    fn the_radius_graph_computes_the_dense_network() {
        // Claim: with a cutoff that leaves most pairs out, the radius graph gives the
        // dense network's output to float rounding.
        let (net, mut g, pos) = setup(30, 2.0, PairMode::Dense);
        let dense = net.forward(pos.clone(), &g, 1.0 / 16.0);
        g.pairs = PairMode::Radius;
        let nb = Neighbours::when_worth_it(&pos, &g).expect("radius mode builds lists");
        assert!(nb.k < 20, "the test must leave pairs out: degree {}", nb.k);
        let sparse = net.forward(pos.clone(), &g, 1.0 / 16.0);
        let size: f32 = dense.clone().abs().max().into_scalar();
        let diff: f32 = (dense.clone() - sparse).abs().max().into_scalar();
        assert!(
            size > 1e-3 && diff < 1e-5 * size.max(1.0),
            "diff {diff}, size {size}"
        );
        // Negative control: dropping each atom's first listed neighbour changes the
        // output, so the check sees missing pairs. (The last slot, tried before, is
        // padding for most atoms and can hold a pair at the cutoff, which sends
        // almost nothing.)
        let mut short = nb;
        let mut keep = vec![1.0f32; short.k];
        keep[0] = 0.0;
        let keep =
            Tensor::<B, 4>::from_data(TensorData::new(keep, [1, 1, short.k, 1]), &pos.device());
        short.mask = short.mask.clone() * keep;
        let cut = net.forward_radius(pos, &g, &short, 1.0 / 16.0);
        let off: f32 = (dense - cut).abs().max().into_scalar();
        assert!(
            off > 1e3 * diff.max(1e-7),
            "a dropped neighbour went unseen: {off}"
        );
    }

    #[test]
    fn auto_and_dense_build_no_lists() {
        for mode in [PairMode::Auto, PairMode::Dense] {
            let (_, g, pos) = setup(60, 2.0, mode);
            assert!(Neighbours::when_worth_it(&pos, &g).is_none(), "{mode:?}");
        }
    }
}
