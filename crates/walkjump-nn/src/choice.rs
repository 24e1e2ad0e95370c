//! Which model samples a molecule: its own model when one was trained on its MD,
//! else the transferable peptide model, else a refusal that says what is covered.

use crate::model::{read_model_meta, ModelMeta};
use crate::train::residue_sequence;
use std::path::{Path, PathBuf};
use walkjump_core::error::{Error, Result};
use walkjump_core::molecule::{check_peptide, Topology};

/// The model picked for a molecule and why, in words for the status line.
#[derive(Debug, Clone)]
pub struct ModelChoice {
    pub path: PathBuf,
    pub reason: String,
    /// Whether the molecule's sequence was in the model's training data (its MD cost
    /// then belongs to any speed claim).
    pub seen: bool,
}

/// The distinct training sequences a model's header lists ("ACE-ALA-NME"), sorted;
/// `None` when it lists none (a model trained on one molecule's MD before the list
/// was kept). Files written before the list was deduplicated name a sequence once per
/// run: counting them would overstate how many peptides the model saw.
pub fn training_sequences(meta: &ModelMeta) -> Option<Vec<String>> {
    let mut list = meta
        .training
        .get("sequences")
        .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
        .filter(|v| !v.is_empty())?;
    list.sort();
    list.dedup();
    Some(list)
}

/// A model trained on one molecule's MD (no list of training sequences, or a list of
/// one) that is this molecule.
fn is_own(meta: &ModelMeta, t: &Topology, seq: &str) -> bool {
    match training_sequences(meta) {
        Some(list) => list.len() == 1 && list[0] == seq,
        None => meta.n_atoms == t.n_atoms(),
    }
}

/// Choose among the `.wjm` files in `dir` for `t`. Models that cannot type every atom
/// of `t` are passed over; cluster models never fit a molecule.
pub fn choose_model(t: &Topology, dir: &Path) -> Result<ModelChoice> {
    let seq = residue_sequence(t);
    let mut models: Vec<(PathBuf, ModelMeta)> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wjm"))
        .filter_map(|p| read_model_meta(&p).ok().map(|m| (p, m)))
        .filter(|(_, m)| !m.cluster && m.vocabulary.features(t).is_ok())
        .collect();
    models.sort_by(|a, b| a.0.cmp(&b.0));
    let name = |p: &Path| {
        p.file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    if let Some((p, _)) = models.iter().find(|(_, m)| is_own(m, t, &seq)) {
        return Ok(ModelChoice {
            reason: format!(
                "model {}: trained on this molecule's own MD ({seq})",
                name(p)
            ),
            path: p.clone(),
            seen: true,
        });
    }
    if let Some((p, m)) = models
        .iter()
        .find(|(_, m)| training_sequences(m).is_some_and(|l| l.len() > 1))
    {
        let list = training_sequences(m).unwrap_or_default();
        let seen = list.contains(&seq);
        return Ok(ModelChoice {
            reason: format!(
                "transferable model {}: {seq} {} its {} training sequences",
                name(p),
                if seen { "is among" } else { "is not among" },
                list.len()
            ),
            path: p.clone(),
            seen,
        });
    }
    // Nothing fits: say why in terms of what the transferable model covers.
    check_peptide(t)?;
    Err(Error::Denoiser(format!(
        "no model in {} fits {seq}; train one (walkjump train) or add models/peptides.wjm",
        dir.display()
    )))
}
