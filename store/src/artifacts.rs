//! A run's weights in the file store ([`Files`]): the model card, burn's record (what the
//! browser loads), the PyTorch-named safetensors export of [`memlab_science::weights`], the
//! weights before training, and each learned transform L_θ.
//!
//! Keys: `experiments/<id>/{model.json, model.bpk, model.safetensors, init.bpk}` and
//! `experiments/<id>/symmetry-<mode>.bpk`; `init.bpk` holds the weights before training (what
//! data-free PAC-Bayes priors centre on).

use burn::prelude::*;
use memlab_science::weights::{WeightsError, load_model, pytorch_safetensors, record_bytes};
use memlab_shared::model::Classifier;

use crate::files::{Files, FilesError};

pub use memlab_science::weights::ModelCard;

/// Why weights could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The file store failed.
    #[error("artifact {0}")]
    Files(#[from] FilesError),
    /// A file that should be there is not.
    #[error("artifact missing: {0}")]
    Missing(String),
    /// The files exist but do not decode.
    #[error("artifact format: {0}")]
    Format(String),
}

impl From<WeightsError> for ArtifactError {
    fn from(error: WeightsError) -> Self {
        Self::Format(error.0)
    }
}

/// The key prefix of experiment `id`'s files.
pub fn experiment_key(id: i64) -> String {
    format!("experiments/{id}")
}

/// One of a run's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// The model card (JSON).
    Card,
    /// The trained weights (burn record).
    Record,
    /// The weights before training (burn record).
    Initial,
    /// The trained weights with PyTorch names and layouts (safetensors).
    Safetensors,
}

impl Artifact {
    fn name(self) -> &'static str {
        match self {
            Self::Card => "model.json",
            Self::Record => "model.bpk",
            Self::Initial => "init.bpk",
            Self::Safetensors => "model.safetensors",
        }
    }

    /// Its key for experiment `id`.
    pub fn key(self, id: i64) -> String {
        format!("{}/{}", experiment_key(id), self.name())
    }
}

/// The key of the learned transform L_θ of `mode`.
pub fn symmetry_key(id: i64, mode: &str) -> String {
    format!("{}/symmetry-{mode}.bpk", experiment_key(id))
}

/// The bytes stored under `key`, or [`ArtifactError::Missing`].
pub fn read(files: &dyn Files, key: &str) -> Result<Vec<u8>, ArtifactError> {
    files
        .get(key)?
        .ok_or_else(|| ArtifactError::Missing(files.location(key)))
}

/// Writes the model card, burn record and safetensors export of a trained model, and the
/// record of its initial weights.
pub fn save(
    files: &dyn Files,
    id: i64,
    card: &ModelCard,
    model: &Classifier,
    initial: &Classifier,
) -> Result<(), ArtifactError> {
    let card_json =
        serde_json::to_vec_pretty(card).map_err(|e| ArtifactError::Format(e.to_string()))?;
    files.put(&Artifact::Card.key(id), &card_json)?;
    files.put(&Artifact::Record.key(id), &record_bytes(model)?)?;
    files.put(&Artifact::Safetensors.key(id), &pytorch_safetensors(model)?)?;
    files.put(&Artifact::Initial.key(id), &record_bytes(initial)?)?;
    Ok(())
}

/// Reads the card and record of experiment `id` and rebuilds the model on `device`.
pub fn load(
    files: &dyn Files,
    id: i64,
    device: &Device,
) -> Result<(ModelCard, Classifier), ArtifactError> {
    let card: ModelCard = serde_json::from_slice(&read(files, &Artifact::Card.key(id))?)
        .map_err(|e| ArtifactError::Format(e.to_string()))?;
    let record = read(files, &Artifact::Record.key(id))?;
    let model = load_model(&card, &record, device)?;
    Ok((card, model))
}

/// Reads the weights experiment `id` had before training on `device`.
pub fn load_initial(
    files: &dyn Files,
    id: i64,
    card: &ModelCard,
    device: &Device,
) -> Result<Classifier, ArtifactError> {
    let record = read(files, &Artifact::Initial.key(id))?;
    Ok(load_model(card, &record, device)?)
}

/// Keeps the weights of the learned transform L_θ of `mode` (burn record bytes).
pub fn save_symmetry(
    files: &dyn Files,
    id: i64,
    mode: &str,
    record: &[u8],
) -> Result<(), ArtifactError> {
    Ok(files.put(&symmetry_key(id, mode), record)?)
}
