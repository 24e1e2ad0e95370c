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
//! Dense, the sums over partners j are batched matrix products of channel-major n×n
//! filters with columns of atom j's values, and r̂_ij is never formed (see the
//! dense layer's notes); written instead as broadcast products and reductions
//! over [b, n, n, h, 3] tensors the network ran 3× slower on ndarray and flex.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, silu};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

mod radius;
pub use radius::{neighbour_lists, PairMode};

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

    /// One dense layer, channel-major: s [b, h, n] scalars, v [b, h, n, 3] vectors,
    /// `frames` the positions in the shapes the layer needs, `pairs` the
    /// layer-independent pair features (see [`DensePairs`]).
    ///
    /// With r̂_ij = (p_j − p_i)/d_ij every message is a sum over j of a filter times
    /// something of atom j alone, less a term of atom i:
    /// Σ_j W g_j r̂_ij = Σ_j (W/d) g_j p_j − p_i Σ_j (W/d) g_j, and
    /// Σ_j W v_j × r̂_ij = ε : [Σ_j (W/d) v_j ⊗ p_j − (Σ_j (W/d) v_j) ⊗ p_i]. So each
    /// kind of message is a batched product of the n×n filters with columns of atom
    /// values, no [b, n, n, …] tensor is formed apart from the filters, and in this
    /// layout nothing is sliced or transposed (both copies on ndarray, and once a
    /// quarter of the network's time).
    fn forward(
        &self,
        s: Tensor<B, 3>,
        v: Tensor<B, 4>,
        frames: &AtomFrames<B>,
        pairs: &DensePairs<B>,
        scale: f64,
    ) -> (Tensor<B, 3>, Tensor<B, 4>) {
        let [b, h, n] = s.dims();
        let [w_s, w_r, w_v, w_x] = pairs.filters(&self.filter, h);
        // Σ_j W_ij t_j for t [b, h, n, w]: [b, h, n, w].
        let sum = |w: &Tensor<B, 3>, t: Tensor<B, 4>| {
            let k = t.dims()[3];
            w.clone()
                .matmul(t.reshape([b * h, n, k]))
                .reshape([b, h, n, k])
        };
        // a ⊗ p per atom, [b, h, n, 9].
        let outer =
            |a: Tensor<B, 4>| (a.unsqueeze_dim::<5>(4) * frames.p5.clone()).reshape([b, h, n, 9]);
        let p = frames.p.clone();
        let phi: Tensor<B, 4> = linear_cf(&self.phi_s, s.clone()).unsqueeze_dim(3);
        let m_s = sum(&w_s, phi).reshape([b, h, n]) * scale;
        let g: Tensor<B, 4> = linear_cf(&self.phi_v, s.clone()).unsqueeze_dim(3);
        let along = sum(&w_r, g.clone() * p.clone()) - sum(&w_r, g) * p;
        let carried = sum(&w_v, v.clone());
        let m_x = sum(&w_x, outer(v.clone())) - outer(sum(&w_x, v.clone()));
        let crossed = m_x
            .reshape([b * h * n, 9])
            .matmul(frames.levi.clone())
            .reshape([b, h, n, 3]);
        let m_v = (along + carried + crossed) * scale;
        let (s, dv) = self.update(s, m_s, m_v);
        (s, v + dv)
    }

    /// The node update, channel-major, from the messages m_s [b, h, n] and m_v
    /// [b, h, n, 3]: the new scalars and the change of the vectors [b, h, n, 3], for
    /// both pair modes.
    fn update(
        &self,
        s: Tensor<B, 3>,
        m_s: Tensor<B, 3>,
        m_v: Tensor<B, 4>,
    ) -> (Tensor<B, 3>, Tensor<B, 4>) {
        let [b, h, n] = s.dims();
        // Invariant norms of the vector messages feed the scalar update.
        let m_norm = (m_v.clone().powi_scalar(2).sum_dim(3).reshape([b, h, n]) + 1e-6).sqrt();
        // The channel mixes, each through its own block of `vector_mix`'s weight.
        let flat = m_v.reshape([b, h, n * 3]);
        let weight = self.vector_mix.weight.val();
        let mix = |k: usize| {
            channels(weight.clone().narrow(1, k * h, h), None, flat.clone()).reshape([b, h, n, 3])
        };
        let mut update_inputs = vec![s.clone(), m_s, m_norm];
        if weight.dims()[1] > h {
            update_inputs.push((mix(1) * mix(2)).sum_dim(3).reshape([b, h, n]));
        }
        let ds = linear_cf(
            &self.update_out,
            silu(linear_cf(&self.update_in, Tensor::cat(update_inputs, 1))),
        );
        let s = s + ds;
        // Gated, channel-mixed vector update: scalars gate whole vectors.
        let gate: Tensor<B, 4> = sigmoid(linear_cf(&self.gate, s.clone())).unsqueeze_dim(3);
        (s, mix(0) * gate)
    }
}

/// x [b, h_in, m] through the weights w [h_in, h_out] (burn's `Linear` layout) and a
/// bias, acting on the channel axis: [b, h_out, m].
fn channels<B: Backend>(
    w: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
    x: Tensor<B, 3>,
) -> Tensor<B, 3> {
    let [h_in, h_out] = w.dims();
    let y = w.transpose().reshape([1, h_out, h_in]).matmul(x);
    match bias {
        Some(b) => y + b.reshape([1, h_out, 1]),
        None => y,
    }
}

/// A `Linear` layer on channel-major x [b, h_in, m].
fn linear_cf<B: Backend>(l: &Linear<B>, x: Tensor<B, 3>) -> Tensor<B, 3> {
    channels(l.weight.val(), l.bias.as_ref().map(|b| b.val()), x)
}

/// The positions in the shapes the dense layers broadcast them in.
struct AtomFrames<B: Backend> {
    /// [b, 1, n, 3].
    p: Tensor<B, 4>,
    /// [b, 1, n, 1, 3], for outer products a ⊗ p.
    p5: Tensor<B, 5>,
    /// [9, 3]: the Levi-Civita symbol, (a × p)_k = Σ_ml ε_kml (a ⊗ p)_ml.
    levi: Tensor<B, 2>,
}

impl<B: Backend> AtomFrames<B> {
    fn new(pos: &Tensor<B, 3>, g: &Graph<B>) -> Self {
        let [b, n, _] = pos.dims();
        AtomFrames {
            p: pos.clone().reshape([b, 1, n, 3]),
            p5: pos.clone().reshape([b, 1, n, 1, 3]),
            levi: g.levi.clone(),
        }
    }
}

/// The Levi-Civita symbol as a [9, 3] matrix: (a × p)_k = Σ_ml ε_kml (a ⊗ p)_ml.
pub fn levi_civita<B: Backend>(device: &B::Device) -> Tensor<B, 2> {
    let mut levi = [0.0f32; 27];
    for (k, m, l, sign) in [
        (0, 1, 2, 1.0),
        (1, 2, 0, 1.0),
        (2, 0, 1, 1.0),
        (0, 2, 1, -1.0),
        (2, 1, 0, -1.0),
        (1, 0, 2, -1.0),
    ] {
        levi[(3 * m + l) * 3 + k] = sign;
    }
    Tensor::from_data(TensorData::new(levi.to_vec(), [9, 3]), device)
}

/// Distances, envelopes and edge features of a set of pairs, each [b, n, m, …] with
/// m all atoms (dense) or each atom's neighbours (radius).
pub(super) struct PairFeatures<B: Backend> {
    pub dist: Tensor<B, 4>,
    pub env: Tensor<B, 4>,
    pub edge: Tensor<B, 4>,
}

/// The dense layers' pair inputs: the edge features with a row of ones appended,
/// times the envelope, [b, h + 1, n·n], and the same over d_ij. A layer's filter of a
/// pair, W = (A e + β)·env, is then one matrix product [A | β] · [e·env; env] with
/// no pass over the [b, n, n, 4h] result, and the filters of the messages along r̂
/// come out already divided by d. (Batched over chains, not one product over all
/// pairs, so that the CPU backends spread it over their threads.)
pub(super) struct DensePairs<B: Backend> {
    b: usize,
    n: usize,
    enveloped: Tensor<B, 3>,
    over_d: Tensor<B, 3>,
}

impl<B: Backend> DensePairs<B> {
    fn new(f: PairFeatures<B>) -> Self {
        let [b, n, _, h] = f.edge.dims();
        let ones = f.env.ones_like();
        let aug = Tensor::cat(vec![f.edge, ones], 3) * f.env; // [b, n, n, h + 1]
        let enveloped = aug.permute([0, 3, 1, 2]).reshape([b, h + 1, n * n]);
        let inv_d = f.dist.recip().reshape([b, 1, n * n]);
        DensePairs {
            b,
            n,
            over_d: enveloped.clone() * inv_d,
            enveloped,
        }
    }

    /// The four filters of a layer (scalar, along r̂ over d, carried, crossed over d),
    /// each [b·h, n, n].
    fn filters(&self, filter: &Linear<B>, h: usize) -> [Tensor<B, 3>; 4] {
        let (b, n) = (self.b, self.n);
        let w = filter.weight.val(); // [h, 4h]
        let bias = filter
            .bias
            .as_ref()
            .map(|p| p.val().reshape([1, 4 * h]))
            .unwrap_or_else(|| Tensor::zeros([1, 4 * h], &w.device()));
        let a = Tensor::cat(vec![w, bias], 0).transpose(); // [4h, h + 1]
        let of = |k: usize, x: &Tensor<B, 3>| {
            let rows: Tensor<B, 3> = a.clone().narrow(0, k * h, h).unsqueeze();
            rows.matmul(x.clone()).reshape([b * h, n, n])
        };
        [
            of(0, &self.enveloped),
            of(1, &self.over_d),
            of(2, &self.enveloped),
            of(3, &self.over_d),
        ]
    }
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
    /// [`levi_civita`], made once per molecule rather than uploaded every call.
    pub levi: Tensor<B, 2>,
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
        let rel = pos.clone().unsqueeze_dim::<4>(1) - pos.clone().unsqueeze_dim::<4>(2);
        let et: Tensor<B, 4> = self.edge_type.forward(g.edge_type.clone()).unsqueeze_dim(0);
        let pairs = DensePairs::new(self.pair_features(rel, et, g.off_diagonal.clone(), g));
        let mut s = self.atom_embedding(g).swap_dims(1, 2).expand([b, h, n]);
        let mut v = Tensor::<B, 4>::zeros([b, h, n, 3], &s.device());
        let frames = AtomFrames::new(&pos, g);
        for layer in &self.interactions {
            (s, v) = layer.forward(s, v, &frames, &pairs, message_scale);
        }
        channels(self.output.weight.val(), None, v.reshape([b, h, n * 3])).reshape([b, n, 3])
    }

    /// Pair features from relative vectors `rel` [b, n, m, 3], bond-graph class
    /// embeddings `et` and `mask` (0 where there is no pair): the radial bases of
    /// |r_ij|, mixed with the class, and the cosine envelope that is zero beyond the
    /// cutoff.
    pub(super) fn pair_features(
        &self,
        rel: Tensor<B, 4>,
        et: Tensor<B, 4>,
        mask: Tensor<B, 4>,
        g: &Graph<B>,
    ) -> PairFeatures<B> {
        let k = g.centres.dims()[0];
        let dist = (rel.powi_scalar(2).sum_dim(3) + 1e-8).sqrt();
        let rbf = ((dist.clone() - g.centres.clone().reshape([1, 1, 1, k])) / g.width)
            .powi_scalar(2)
            .neg()
            .exp();
        let u = (dist.clone() / g.cutoff).clamp_max(1.0);
        let env = ((u * std::f64::consts::PI).cos() + 1.0) * 0.5 * mask;
        let edge = silu(self.edge_mix.forward(silu(self.radial.forward(rbf) + et)));
        PairFeatures { dist, env, edge }
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
