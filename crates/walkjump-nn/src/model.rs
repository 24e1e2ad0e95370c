//! A trained denoiser: network weights plus everything needed to use them correctly
//! (σ, the data scale C, the atom vocabularies, the molecule it was trained on), in one
//! file: a magic line, a JSON header, then burn's binary record of the weights.

use super::features::{MoleculeFeatures, Vocabulary};
use super::network::{EquivariantNet, Graph, NetConfig, VocabSizes};
use burn::module::Module;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use std::path::Path;
use walkjump_core::error::{Error, Result};
use walkjump_core::molecule::Topology;

const MAGIC: &[u8] = b"WALKJUMP-MODEL v1\n";

/// The normalisation of the denoiser (EDM-style): x̂ = c_skip·y + c_out·F(c_in·y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalings {
    pub c_in: f64,
    pub c_skip: f64,
    pub c_out: f64,
}

impl Scalings {
    /// `c` is the mean squared edge length of the data, σ the noise level.
    pub fn new(c: f64, sigma: f64) -> Self {
        let s2 = 6.0 * sigma * sigma;
        Scalings {
            c_in: 1.0 / (c + s2).sqrt(),
            c_skip: c / (c + s2),
            c_out: (s2 * c / (c + s2)).sqrt(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelMeta {
    pub net: NetConfig,
    /// The noise level the model was trained at.
    pub sigma: f64,
    /// Mean squared edge length of the training data (C of the normalisation).
    pub c_data: f64,
    pub vocabulary: Vocabulary,
    /// What it was trained on: a system name or a PDB file name.
    pub molecule: String,
    pub n_atoms: usize,
    /// A cluster of identical particles (no bonds) only fits the same atom count.
    pub cluster: bool,
    /// "angstrom" for peptides, "reduced" for LJ.
    pub length_unit: String,
    /// Training settings and results, written by `walkjump train`.
    #[serde(default)]
    pub training: serde_json::Value,
}

impl ModelMeta {
    /// A network with fresh weights for this metadata (the model config's `init`).
    pub fn init<B: Backend>(&self, device: &B::Device) -> LearnedModel<B> {
        LearnedModel::new(self.clone(), device)
    }

    pub fn scalings(&self) -> Scalings {
        Scalings::new(self.c_data, self.sigma)
    }

    /// Network inputs for a molecule whose features were already looked up; no checks.
    pub fn graph_inputs<B: Backend>(
        &self,
        f: &MoleculeFeatures,
        n: usize,
        device: &B::Device,
    ) -> Graph<B> {
        let ints = |v: &[i64], shape: [usize; 2]| {
            Tensor::<B, 2, Int>::from_data(TensorData::new(v.to_vec(), shape), device)
        };
        let mut mask = vec![1.0f32; n * n];
        for i in 0..n {
            mask[i * n + i] = 0.0;
        }
        let cfg = &self.net;
        let c_in = self.scalings().c_in;
        let cutoff = cfg.cutoff * c_in;
        let k = cfg.radial_bases;
        let centres: Vec<f32> = (0..k)
            .map(|i| (cutoff * i as f64 / (k - 1).max(1) as f64) as f32)
            .collect();
        Graph {
            n_atoms: n,
            element: ints(&f.element, [1, n]),
            atom_name: ints(&f.atom_name, [1, n]),
            residue_name: ints(&f.residue_name, [1, n]),
            edge_type: ints(&f.edge_type, [n, n]),
            off_diagonal: Tensor::from_data(TensorData::new(mask, [1, n, n, 1]), device),
            centres: Tensor::from_data(TensorData::new(centres, [k]), device),
            width: cutoff / k as f64,
            cutoff,
            pairs: cfg.pairs,
            levi: crate::network::levi_civita(device),
        }
    }
}

pub struct LearnedModel<B: Backend> {
    pub meta: ModelMeta,
    pub net: EquivariantNet<B>,
}

/// The header of a model file without decoding its weights (checksum still checked).
pub fn read_model_meta(path: &Path) -> Result<ModelMeta> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (meta, _) = super::container::unpack::<ModelMeta>(
        MAGIC,
        "Walk-Jump Studio model file (.wjm)",
        &bytes,
        path,
    )?;
    Ok(meta)
}

impl<B: Backend> LearnedModel<B> {
    pub fn new(meta: ModelMeta, device: &B::Device) -> Self {
        let v = &meta.vocabulary;
        let sizes = VocabSizes {
            elements: v.elements.len(),
            atom_names: v.atom_names.len(),
            residue_names: v.residue_names.len(),
        };
        // burn initialises parameters lazily, and clones of a still-lazy parameter draw
        // their own values: materialise them once so saving a copy saves these weights.
        let record = EquivariantNet::<B>::new(&meta.net, sizes, device).into_record();
        let net = EquivariantNet::new(&meta.net, sizes, device).load_record(record);
        LearnedModel { meta, net }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let weights = BinBytesRecorder::<FullPrecisionSettings>::default()
            .record(self.net.clone().into_record(), ())
            .expect("in-memory record of weights");
        super::container::pack(MAGIC, &self.meta, &weights)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        // Write beside, then rename, so a failed write never leaves half a model.
        walkjump_core::io::write_atomically(path, &self.to_bytes())
    }

    pub fn from_bytes(bytes: &[u8], path: &Path, device: &B::Device) -> Result<Self> {
        let (meta, weights) = super::container::unpack::<ModelMeta>(
            MAGIC,
            "Walk-Jump Studio model file (.wjm)",
            bytes,
            path,
        )?;
        let bad = |detail: String| Error::Parse {
            path: path.into(),
            detail,
        };
        let model = LearnedModel::new(meta, device);
        let record = BinBytesRecorder::<FullPrecisionSettings>::default()
            .load(weights.to_vec(), device)
            .map_err(|e| bad(format!("weights: {e}")))?;
        Ok(LearnedModel {
            net: model.net.load_record(record),
            meta: model.meta,
        })
    }

    pub fn load(path: &Path, device: &B::Device) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        // burn's decoder panics on malformed input it was not given by us; the checksum
        // above catches damage first, and this turns anything left into an error.
        super::container::guarded(path, || Self::from_bytes(&bytes, path, device))
    }

    /// Check that this model fits `topology` and build its network inputs.
    pub fn graph(&self, topology: &Topology, device: &B::Device) -> Result<Graph<B>> {
        let n = topology.n_atoms();
        if self.meta.cluster && n != self.meta.n_atoms {
            return Err(Error::Denoiser(format!(
                "the model was trained on {} ({} atoms) and does not fit a molecule of {n} atoms",
                self.meta.molecule, self.meta.n_atoms
            )));
        }
        let f = self.meta.vocabulary.features(topology)?;
        Ok(self.meta.graph_inputs(&f, n, device))
    }

    pub fn scalings(&self) -> Scalings {
        self.meta.scalings()
    }

    /// x̂ for a batch of centred noisy configurations `y` [b, n, 3].
    pub fn denoise_centred(&self, y: Tensor<B, 3>, graph: &Graph<B>) -> Tensor<B, 3> {
        let sc = self.scalings();
        let f = self
            .net
            .forward(y.clone() * sc.c_in, graph, self.meta.net.message_scale);
        y * sc.c_skip + f * sc.c_out
    }
}
