//! The equivariant message-passing network F in x̂ = c_skip·y + c_out·F(c_in·y).
//!
//! Every atom carries H scalar and H vector channels. Messages are built from
//! relative vectors r̂_ij, radial bases of |r_ij| and an embedding of the bond-graph
//! distance (bonded, 1-3, 1-4, other), over all pairs (dense) or over each atom's
//! neighbours within the cutoff ([`radius`]); a pair beyond the cutoff sends nothing
//! in either. Vectors only ever get multiplied by scalars, summed, or crossed with
//! r̂_ij, so rotations commute with the network; the cross product is a
//! pseudovector, which is what lets the network tell a molecule from its mirror image.
//!
//! Dense, the vectors are channel-first ([b, h, n, 3]) so that sums over partners j
//! are batched matrix products; written instead as broadcast products and reductions
//! over [b, n, n, h, 3] tensors the network ran 3× slower on ndarray and flex, and
//! with all layers' filters as one product it was no faster.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, silu};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

mod radius;
pub use radius::PairMode;

/// Number of bond-graph distance classes: none/far, 1-2, 1-3, 1-4.
pub const EDGE_TYPES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetConfig {
    pub hidden: usize,
    pub layers: usize,
    pub radial_bases: usize,
    /// Cutoff of the pair envelope, in the data's length unit (before c_in scaling).
    pub cutoff: f64,
    /// Messages are summed over neighbours and scaled by this, so their size does not
    /// grow with the molecule.
    pub message_scale: f64,
    /// Feed dot products of two channel mixes of the vector messages into the scalar
    /// update. Products of a polar with an axial vector are pseudoscalars, which give
    /// the scalar channels a direct sense of handedness. Models saved before this
    /// option existed lack it (serde default false) and load unchanged.
    #[serde(default)]
    pub vector_dots: bool,
    /// All pairs (dense) or each atom's neighbours within the cutoff (a radius graph);
    /// both give the same numbers, so this is only a choice of speed. Files written
    /// before it existed read as `auto`.
    #[serde(default)]
    pub pairs: PairMode,
}

impl NetConfig {
    pub fn small(cutoff: f64) -> Self {
        NetConfig {
            hidden: 32,
            layers: 3,
            radial_bases: 16,
            cutoff,
            message_scale: 1.0 / 16.0,
            vector_dots: true,
            pairs: PairMode::Auto,
        }
    }
}

/// Vocabulary sizes the embeddings were built for.
#[derive(Debug, Clone, Copy)]
pub struct VocabSizes {
    pub elements: usize,
    pub atom_names: usize,
    pub residue_names: usize,
}

#[derive(Module, Debug)]
pub struct Interaction<B: Backend> {
    filter: Linear<B>,
    phi_s: Linear<B>,
    phi_v: Linear<B>,
    update_in: Linear<B>,
    update_out: Linear<B>,
    vector_mix: Linear<B>,
    gate: Linear<B>,
}

impl<B: Backend> Interaction<B> {
    /// With `dots`, `vector_mix` also produces the two mixes whose dot products feed
    /// `update_in`; the extra width lives in existing layers (shapes are data in a
    /// record), so files written without it still load.
    fn new(h: usize, dots: bool, device: &B::Device) -> Self {
        let d = usize::from(dots);
        Interaction {
            filter: LinearConfig::new(h, 4 * h).init(device),
            phi_s: LinearConfig::new(h, h).init(device),
            phi_v: LinearConfig::new(h, h).init(device),
            update_in: LinearConfig::new((3 + d) * h, h).init(device),
            update_out: LinearConfig::new(h, h).init(device),
            vector_mix: LinearConfig::new(h, (1 + 2 * d) * h)
                .with_bias(false)
                .init(device),
            gate: LinearConfig::new(h, h).init(device),
        }
    }

    /// s: [b, n, h] scalars; v: [b, h, n, 3] vectors (channel-first, so neighbour sums
    /// are batched matrix products); edge: [b, n, n, h]; env: [b, n, n, 1].
    fn forward(
        &self,
        s: Tensor<B, 3>,
        v: Tensor<B, 4>,
        edge: Tensor<B, 4>,
        env: Tensor<B, 4>,
        geo: &Geometry<B>,
        scale: f64,
    ) -> (Tensor<B, 3>, Tensor<B, 4>) {
        let [b, n, h] = s.dims();
        let w = (self.filter.forward(edge) * env).permute([0, 3, 1, 2]); // [b, 4h, i, j]
        let w_s = w.clone().narrow(1, 0, h);
        let w_r = w.clone().narrow(1, h, h);
        let w_v = w.clone().narrow(1, 2 * h, h);
        let w_x = w.narrow(1, 3 * h, h);

        // Scalar messages Σ_j W(r_ij) φ(s_j).
        let phi: Tensor<B, 4> = self
            .phi_s
            .forward(s.clone())
            .swap_dims(1, 2)
            .unsqueeze_dim(3);
        let m_s = w_s.matmul(phi).reshape([b, h, n]).swap_dims(1, 2) * scale;

        // Vector messages: along r̂_ij ...
        let g: Tensor<B, 4> = self
            .phi_v
            .forward(s.clone())
            .swap_dims(1, 2)
            .unsqueeze_dim(2);
        let along = (w_r * g)
            .swap_dims(1, 2)
            .matmul(geo.rhat.clone())
            .swap_dims(1, 2);
        // ... carried over from v_j ...
        let carried = w_v.matmul(v.clone());
        // ... and v_j × r̂_ij, a pseudovector: Q_c = Σ_j W r̂_ij,c v_j gives its parts.
        let q: Vec<Tensor<B, 4>> = geo
            .components
            .iter()
            .map(|rc| (w_x.clone() * rc.clone()).matmul(v.clone()))
            .collect();
        let part = |c: usize, k: usize| q[c].clone().narrow(3, k, 1);
        let crossed = Tensor::cat(
            vec![
                part(2, 1) - part(1, 2),
                part(0, 2) - part(2, 0),
                part(1, 0) - part(0, 1),
            ],
            3,
        );
        let m_v = (along + carried + crossed) * scale; // [b, h, n, 3]

        // Invariant norms of the vector messages feed the scalar update.
        let m_norm = (m_v
            .clone()
            .powi_scalar(2)
            .sum_dim(3)
            .reshape([b, h, n])
            .swap_dims(1, 2)
            + 1e-6)
            .sqrt();
        let all_mixed = self.vector_mix.forward(m_v.permute([0, 2, 3, 1])); // [b, n, 3, kh]
        let mut update_inputs = vec![s.clone(), m_s, m_norm];
        if all_mixed.dims()[3] > h {
            let u = all_mixed.clone().narrow(3, h, h);
            let w = all_mixed.clone().narrow(3, 2 * h, h);
            update_inputs.push((u * w).sum_dim(2).reshape([b, n, h]));
        }
        let ds = self
            .update_out
            .forward(silu(self.update_in.forward(Tensor::cat(update_inputs, 2))));
        let s = s + ds;
        // Gated, channel-mixed vector update: scalars gate whole vectors.
        let mixed = all_mixed.narrow(3, 0, h).permute([0, 3, 1, 2]);
        let gate: Tensor<B, 4> = sigmoid(self.gate.forward(s.clone()))
            .swap_dims(1, 2)
            .unsqueeze_dim(3);
        (s, v + mixed * gate)
    }

    /// The node update from the messages m_s [b, n, h] and m_v [b, n, h, 3]: the new
    /// scalars and the change of the vectors [b, n, h, 3]. Used by the radius graph (the dense layer keeps its own copy inline, in its
    /// own layout: routed through this one it ran ~20 % slower on ndarray).
    fn update(
        &self,
        s: Tensor<B, 3>,
        m_s: Tensor<B, 3>,
        m_v: Tensor<B, 4>,
    ) -> (Tensor<B, 3>, Tensor<B, 4>) {
        let [b, n, h] = s.dims();
        // Invariant norms of the vector messages feed the scalar update.
        let m_norm = (m_v.clone().powi_scalar(2).sum_dim(3).reshape([b, n, h]) + 1e-6).sqrt();
        let all_mixed = self.vector_mix.forward(m_v.swap_dims(2, 3)); // [b, n, 3, kh]
        let mut update_inputs = vec![s.clone(), m_s, m_norm];
        if all_mixed.dims()[3] > h {
            let u = all_mixed.clone().narrow(3, h, h);
            let w = all_mixed.clone().narrow(3, 2 * h, h);
            update_inputs.push((u * w).sum_dim(2).reshape([b, n, h]));
        }
        let ds = self
            .update_out
            .forward(silu(self.update_in.forward(Tensor::cat(update_inputs, 2))));
        let s = s + ds;
        // Gated, channel-mixed vector update: scalars gate whole vectors.
        let mixed = all_mixed.narrow(3, 0, h).swap_dims(2, 3); // [b, n, h, 3]
        let gate: Tensor<B, 4> = sigmoid(self.gate.forward(s.clone())).unsqueeze_dim(3);
        (s, mixed * gate)
    }
}

/// Pair geometry shared by all dense layers.
struct Geometry<B: Backend> {
    /// [b, n, n, 3]: unit vector from atom i to atom j.
    rhat: Tensor<B, 4>,
    /// The three components of r̂ as [b, 1, n, n].
    components: Vec<Tensor<B, 4>>,
}

#[derive(Module, Debug)]
pub struct EquivariantNet<B: Backend> {
    element: Embedding<B>,
    atom_name: Embedding<B>,
    residue_name: Embedding<B>,
    edge_type: Embedding<B>,
    radial: Linear<B>,
    edge_mix: Linear<B>,
    interactions: Vec<Interaction<B>>,
    output: Linear<B>,
}

/// The per-molecule inputs that do not change from step to step.
#[derive(Debug, Clone)]
pub struct Graph<B: Backend> {
    pub n_atoms: usize,
    /// [1, n] vocabulary indices.
    pub element: Tensor<B, 2, Int>,
    pub atom_name: Tensor<B, 2, Int>,
    pub residue_name: Tensor<B, 2, Int>,
    /// [n, n] bond-graph distance class.
    pub edge_type: Tensor<B, 2, Int>,
    /// [1, n, n, 1]: 0 on the diagonal, 1 elsewhere.
    pub off_diagonal: Tensor<B, 4>,
    /// [k] radial basis centres in network (c_in-scaled) units.
    pub centres: Tensor<B, 1>,
    pub width: f64,
    pub cutoff: f64,
    /// Dense or radius-graph pairs (the model's setting).
    pub pairs: PairMode,
}

/// Rows of an embedding taken from another one: row r gets `old` row `map[r]` where
/// there is one and keeps its fresh initialisation where there is none.
fn remap_rows<B: Backend>(
    new: Embedding<B>,
    old: Embedding<B>,
    map: &[Option<usize>],
) -> Embedding<B> {
    let w = new.weight.val();
    let device = w.device();
    let [rows, d] = w.dims();
    let mut data: Vec<f32> = w
        .into_data()
        .convert::<f32>()
        .to_vec()
        .expect("f32 weights");
    let from: Vec<f32> = old
        .weight
        .val()
        .into_data()
        .convert::<f32>()
        .to_vec()
        .expect("f32 weights");
    for (r, m) in map.iter().enumerate().take(rows) {
        if let Some(o) = *m {
            if (o + 1) * d <= from.len() {
                data[r * d..(r + 1) * d].copy_from_slice(&from[o * d..(o + 1) * d]);
            }
        }
    }
    Embedding {
        weight: burn::module::Param::from_tensor(Tensor::from_data(
            burn::tensor::TensorData::new(data, [rows, d]),
            &device,
        )),
    }
}

impl<B: Backend> EquivariantNet<B> {
    /// This network's vocabulary embeddings with every other weight taken from
    /// `from` (same settings, other vocabulary): a warm start for a transferable model
    /// from a single-molecule one. `maps` gives, for each row of the element, atom-name
    /// and residue embeddings, the row of `from` it continues, if any.
    pub fn warm_started(self, from: EquivariantNet<B>, maps: &[Vec<Option<usize>>; 3]) -> Self {
        EquivariantNet {
            element: remap_rows(self.element, from.element, &maps[0]),
            atom_name: remap_rows(self.atom_name, from.atom_name, &maps[1]),
            residue_name: remap_rows(self.residue_name, from.residue_name, &maps[2]),
            ..from
        }
    }

    pub fn new(cfg: &NetConfig, vocab: VocabSizes, device: &B::Device) -> Self {
        let h = cfg.hidden;
        let emb = |n: usize| {
            EmbeddingConfig::new(n.max(1), h)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 0.5,
                })
                .init(device)
        };
        EquivariantNet {
            element: emb(vocab.elements),
            atom_name: emb(vocab.atom_names),
            residue_name: emb(vocab.residue_names),
            edge_type: emb(EDGE_TYPES),
            radial: LinearConfig::new(cfg.radial_bases, h).init(device),
            edge_mix: LinearConfig::new(h, h).init(device),
            interactions: (0..cfg.layers)
                .map(|_| Interaction::new(h, cfg.vector_dots, device))
                .collect(),
            output: LinearConfig::new(h, 1).with_bias(false).init(device),
        }
    }

    /// F(c_in·y): `pos` is [b, n, 3], centred and already scaled by c_in; returns [b, n, 3].
    pub fn forward(&self, pos: Tensor<B, 3>, g: &Graph<B>, message_scale: f64) -> Tensor<B, 3> {
        if let Some(nb) = radius::Neighbours::when_worth_it(&pos, g) {
            return self.forward_radius(pos, g, &nb, message_scale);
        }
        let [b, n, _] = pos.dims();
        let h = self.output.weight.dims()[0];
        let k = g.centres.dims()[0];
        let rel = pos.clone().unsqueeze_dim::<4>(1) - pos.unsqueeze_dim::<4>(2);
        let dist = (rel.clone().powi_scalar(2).sum_dim(3) + 1e-8).sqrt();
        let rhat = rel / dist.clone();
        let rbf = ((dist.clone() - g.centres.clone().reshape([1, 1, 1, k])) / g.width)
            .powi_scalar(2)
            .neg()
            .exp();
        let u = (dist / g.cutoff).clamp_max(1.0);
        let env = ((u * std::f64::consts::PI).cos() + 1.0) * 0.5 * g.off_diagonal.clone();
        let et: Tensor<B, 4> = self.edge_type.forward(g.edge_type.clone()).unsqueeze_dim(0);
        let edge = silu(self.edge_mix.forward(silu(self.radial.forward(rbf) + et)));
        let geo = Geometry {
            components: (0..3)
                .map(|c| rhat.clone().narrow(3, c, 1).reshape([b, 1, n, n]))
                .collect(),
            rhat,
        };
        let mut s = self.atom_embedding(g).expand([b, n, h]);
        let mut v = Tensor::<B, 4>::zeros([b, h, n, 3], &s.device());
        for layer in &self.interactions {
            (s, v) = layer.forward(s, v, edge.clone(), env.clone(), &geo, message_scale);
        }
        self.output
            .forward(v.permute([0, 2, 3, 1]))
            .reshape([b, n, 3])
    }

    /// The embedding of each atom's type, [1, n, h].
    fn atom_embedding(&self, g: &Graph<B>) -> Tensor<B, 3> {
        self.element.forward(g.element.clone())
            + self.atom_name.forward(g.atom_name.clone())
            + self.residue_name.forward(g.residue_name.clone())
    }

    /// Each layer's filter of the pair features times the envelope, [b, n, k, 4h], for
    /// the radius graph. Every layer filters the same features, so all filters are
    /// one wide product (one pass over the largest tensor instead of one a layer).
    fn filters(&self, edge: Tensor<B, 4>, env: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        let width = 4 * self.output.weight.dims()[0];
        let weights = self
            .interactions
            .iter()
            .map(|l| l.filter.weight.val())
            .collect();
        let biases: Vec<_> = self
            .interactions
            .iter()
            .filter_map(|l| l.filter.bias.as_ref().map(|b| b.val()))
            .collect();
        let bias = (biases.len() == self.interactions.len()).then(|| Tensor::cat(biases, 0));
        let all = burn::tensor::module::linear(edge, Tensor::cat(weights, 1), bias) * env;
        (0..self.interactions.len())
            .map(|l| all.clone().narrow(3, width * l, width))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    type B = burn::backend::NdArray<f32>;

    #[test]
    fn one_product_for_all_layers_filters_equals_a_filter_per_layer() {
        // Claim: the merged product gives each layer exactly its own filter of the pair
        // features, in order. Negative control: the layers' filters differ, so a
        // mix-up of layers (or of the halves of a layer) would be seen.
        let device = Default::default();
        let cfg = NetConfig {
            hidden: 8,
            layers: 3,
            ..NetConfig::small(5.0)
        };
        let vocab = VocabSizes {
            elements: 2,
            atom_names: 2,
            residue_names: 1,
        };
        let net = EquivariantNet::<B>::new(&cfg, vocab, &device);
        let (b, n) = (2, 5);
        let edge = Tensor::<B, 4>::random([b, n, n, 8], Distribution::Normal(0.0, 1.0), &device);
        let env = Tensor::<B, 4>::random([b, n, n, 1], Distribution::Uniform(0.0, 1.0), &device);
        let merged = net.filters(edge.clone(), env.clone());
        assert_eq!(merged.len(), 3);
        let own = |l: &Interaction<B>| l.filter.forward(edge.clone()) * env.clone();
        let diff = |a: Tensor<B, 4>, b: Tensor<B, 4>| -> f32 { (a - b).abs().max().into_scalar() };
        for (l, w) in net.interactions.iter().zip(&merged) {
            assert!(diff(w.clone(), own(l)) < 1e-5);
        }
        assert!(diff(merged[0].clone(), own(&net.interactions[1])) > 1e-2);
    }
}
