//! The file layout every model file shares: a magic line, the length of a JSON
//! header, the header (the model's metadata plus the length and FNV-1a checksum of
//! the weights), then burn's binary record of the weights.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

fn checksum(bytes: &[u8]) -> u64 {
    // FNV-1a: enough to tell a truncated or damaged file before decoding it.
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
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
pub fn unpack<'a, M: DeserializeOwned>(
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
