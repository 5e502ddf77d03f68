//! Trained weights on disk: the model card, burn's record (what the browser loads) and the
//! PyTorch-named safetensors export of [`memlab_science::weights`], one folder per experiment.
//!
//! Layout: `<data_dir>/experiments/<id>/{model.json, model.bpk, model.safetensors, init.bpk}`;
//! `init.bpk` holds the weights before training (what data-free PAC-Bayes priors centre on).

use std::path::{Path, PathBuf};

use burn::prelude::*;
use memlab_science::weights::{WeightsError, load_model, pytorch_safetensors, record_bytes};
use memlab_shared::model::Classifier;

pub use memlab_science::weights::ModelCard;

/// Why weights could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// File system failure.
    #[error("artifact IO at {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The files exist but do not decode.
    #[error("artifact format: {0}")]
    Format(String),
}

impl From<WeightsError> for ArtifactError {
    fn from(error: WeightsError) -> Self {
        Self::Format(error.0)
    }
}

/// The folder of experiment `id`.
pub fn experiment_dir(data_dir: &Path, id: i64) -> PathBuf {
    data_dir.join("experiments").join(id.to_string())
}

/// Path of the burn record of experiment `id`.
pub fn record_path(data_dir: &Path, id: i64) -> PathBuf {
    experiment_dir(data_dir, id).join("model.bpk")
}

/// Path of the burn record of experiment `id`'s weights before training.
pub fn initial_record_path(data_dir: &Path, id: i64) -> PathBuf {
    experiment_dir(data_dir, id).join("init.bpk")
}

/// Path of the safetensors export of experiment `id`.
pub fn safetensors_path(data_dir: &Path, id: i64) -> PathBuf {
    experiment_dir(data_dir, id).join("model.safetensors")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes the model card, burn record and safetensors export of a trained model, and the
/// record of its initial weights.
pub fn save(
    data_dir: &Path,
    id: i64,
    card: &ModelCard,
    model: &Classifier,
    initial: &Classifier,
) -> Result<(), ArtifactError> {
    let dir = experiment_dir(data_dir, id);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let card_path = dir.join("model.json");
    let card_json =
        serde_json::to_vec_pretty(card).map_err(|e| ArtifactError::Format(e.to_string()))?;
    std::fs::write(&card_path, card_json).map_err(io(&card_path))?;
    let record = record_bytes(model)?;
    let record_path = record_path(data_dir, id);
    std::fs::write(&record_path, record).map_err(io(&record_path))?;
    let export = pytorch_safetensors(model)?;
    let export_path = safetensors_path(data_dir, id);
    std::fs::write(&export_path, export).map_err(io(&export_path))?;
    let initial_path = initial_record_path(data_dir, id);
    std::fs::write(&initial_path, record_bytes(initial)?).map_err(io(&initial_path))?;
    Ok(())
}

/// Where the learned transform L_θ of `mode` is kept.
pub fn symmetry_path(data_dir: &Path, id: i64, mode: &str) -> PathBuf {
    experiment_dir(data_dir, id).join(format!("symmetry-{mode}.bpk"))
}

/// Reads the card and record of experiment `id` and rebuilds the model on `device`.
pub fn load(
    data_dir: &Path,
    id: i64,
    device: &Device,
) -> Result<(ModelCard, Classifier), ArtifactError> {
    let dir = experiment_dir(data_dir, id);
    let card_path = dir.join("model.json");
    let card_bytes = std::fs::read(&card_path).map_err(io(&card_path))?;
    let card: ModelCard =
        serde_json::from_slice(&card_bytes).map_err(|e| ArtifactError::Format(e.to_string()))?;
    let record_path = record_path(data_dir, id);
    let record = std::fs::read(&record_path).map_err(io(&record_path))?;
    let model = load_model(&card, &record, device)?;
    Ok((card, model))
}

/// Reads the weights experiment `id` had before training (`init.bpk`) on `device`.
pub fn load_initial(
    data_dir: &Path,
    id: i64,
    card: &ModelCard,
    device: &Device,
) -> Result<Classifier, ArtifactError> {
    let path = initial_record_path(data_dir, id);
    let record = std::fs::read(&path).map_err(io(&path))?;
    Ok(load_model(card, &record, device)?)
}

/// Keeps the weights of the learned transform L_θ of `mode` (burn record bytes).
pub fn save_symmetry(
    data_dir: &Path,
    id: i64,
    mode: &str,
    record: &[u8],
) -> Result<(), ArtifactError> {
    let path = symmetry_path(data_dir, id, mode);
    std::fs::write(&path, record).map_err(io(&path))
}
