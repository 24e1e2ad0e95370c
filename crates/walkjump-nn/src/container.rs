//! The file layout every model file shares: a magic line, the length of a JSON
//! header, the header (the model's metadata plus the length and FNV-1a checksum of
//! the weights), then burn's binary record of the weights.

use crate::model::ModelMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;
use walkjump_core::error::{Error, Result};

fn checksum(bytes: &[u8]) -> u64 {
    // FNV-1a: enough to tell a truncated or damaged file before decoding it.
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// What a model file's metadata says about the size of its network. Loading builds
/// the network the header describes before the weights are decoded into it, so
/// [`unpack`] first checks that its weight bytes could hold that many parameters
/// (f32, 4 bytes each) and that no layer has a zero input: a damaged or hostile header
/// can neither make the loader allocate a network far larger than the file, nor make
/// burn's initialiser draw from an infinite range (a zero fan-in), which panics while
/// it holds the CPU backend's global random-number lock and so poisons it: every later
/// CPU model in the process would then fail to build.
pub trait NetworkSize {
    /// A lower bound on the parameter count of the network (weights without biases
    /// is enough; count every layer or block as at least one, so a zero width cannot
    /// hide a billion of them), saturating rather than overflowing.
    fn min_parameters(&self) -> u128;
    /// The name of a dimension that is zero but must not be.
    fn zero_dimension(&self) -> Option<&'static str>;
}

impl NetworkSize for ModelMeta {
    fn zero_dimension(&self) -> Option<&'static str> {
        if self.net.hidden == 0 {
            Some("hidden")
        } else if self.net.radial_bases == 0 {
            Some("radial_bases")
        } else {
            None
        }
    }

    fn min_parameters(&self) -> u128 {
        // EquivariantNet::new: four embeddings, the radial and edge layers, per
        // interaction layer filter (4h²), φ_s, φ_v, update_out, gate (h² each),
        // update_in ((3 + d)h²) and vector_mix ((1 + 2d)h²), and the output (h).
        let h = self.net.hidden as u128;
        let d = u128::from(self.net.vector_dots);
        let v = &self.vocabulary;
        let vocab = [v.elements.len(), v.atom_names.len(), v.residue_names.len()]
            .iter()
            .map(|&n| n.max(1) as u128)
            .sum::<u128>()
            + crate::network::EDGE_TYPES as u128;
        // At least one per layer even when h is 0: the layers are built one by one.
        let per_layer = (12 + 3 * d).saturating_mul(h).saturating_mul(h).max(1);
        h.saturating_mul(vocab)
            .saturating_add((self.net.radial_bases as u128).saturating_mul(h))
            .saturating_add(h.saturating_mul(h))
            .saturating_add((self.net.layers as u128).saturating_mul(per_layer))
            .saturating_add(h)
    }
}

#[derive(Serialize, Deserialize)]
struct Header<M> {
    meta: M,
    weights_len: u64,
    weights_fnv1a: u64,
}

pub fn pack<M: Serialize>(magic: &[u8], meta: &M, weights: &[u8]) -> Vec<u8> {
    let header = Header {
        meta,
        weights_len: weights.len() as u64,
        weights_fnv1a: checksum(weights),
    };
    let json = serde_json::to_vec_pretty(&header).expect("header serialises");
    let mut out = magic.to_vec();
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(weights);
    out
}

/// The metadata and the (checked) weight bytes; `what` names the expected kind of file.
pub fn unpack<'a, M: DeserializeOwned + NetworkSize>(
    magic: &[u8],
    what: &str,
    bytes: &'a [u8],
    path: &Path,
) -> Result<(M, &'a [u8])> {
    let bad = |detail: String| Error::Parse {
        path: path.into(),
        detail,
    };
    let rest = bytes
        .strip_prefix(magic)
        .ok_or_else(|| bad(format!("not a {what}")))?;
    if rest.len() < 8 {
        return Err(bad("truncated header".into()));
    }
    let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")) as usize;
    let rest = &rest[8..];
    if rest.len() < len {
        return Err(bad("truncated header".into()));
    }
    let header: Header<M> =
        serde_json::from_slice(&rest[..len]).map_err(|e| bad(format!("model header: {e}")))?;
    let weights = &rest[len..];
    if weights.len() as u64 != header.weights_len || checksum(weights) != header.weights_fnv1a {
        return Err(bad(
            "the weights are truncated or damaged (length or checksum mismatch)".into(),
        ));
    }
    if let Some(dim) = header.meta.zero_dimension() {
        return Err(bad(format!("the header gives the network {dim} = 0")));
    }
    let params = header.meta.min_parameters();
    if params.saturating_mul(4) > weights.len() as u128 {
        return Err(bad(format!(
            "the header describes a network of at least {params} parameters, more than \
             its {} bytes of weights can hold",
            weights.len()
        )));
    }
    Ok((header.meta, weights))
}

/// Runs a decoder, turning a panic inside burn's record decoder into a parse error.
pub fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::Parse {
            path: path.into(),
            detail: "the weights could not be decoded".into(),
        })
    })
}
