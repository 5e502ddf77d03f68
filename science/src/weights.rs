//! Trained weights as bytes: burn's record format (what the browser loads), a safetensors
//! export with PyTorch names and layouts, and the model card that rebuilds a model from them.
//! Where the bytes are kept is the caller's business.

use burn::prelude::*;
use burn::store::{BurnToPyTorchAdapter, ModuleRecord, ModuleSnapshot, SafetensorsStore};
use memlab_shared::model::{Classifier, ClassifierConfig};
use memlab_shared::preprocess::InputSpec;
use serde::{Deserialize, Serialize};

/// Why weights could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("weights format: {0}")]
pub struct WeightsError(pub String);

/// What is saved next to the weights to rebuild and feed the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    /// Architecture.
    pub model: ClassifierConfig,
    /// Input size and normalization.
    pub input: InputSpec,
    /// Class names, index = label.
    pub class_names: Vec<String>,
}

/// The model's parameters in burn's record (burnpack) format.
pub fn record_bytes<M: Module>(model: &M) -> Result<Vec<u8>, WeightsError> {
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| WeightsError(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// The model's parameters as safetensors with PyTorch names (`conv1.weight`, `fc1.weight`,
/// `hidden.0.weight`) and layouts (linear weights `[out, in]`).
pub fn pytorch_safetensors(model: &Classifier) -> Result<Vec<u8>, WeightsError> {
    let mut store = SafetensorsStore::from_bytes(None)
        .skip_enum_variants(true)
        .with_to_adapter(BurnToPyTorchAdapter);
    model
        .save_into(&mut store)
        .map_err(|e| WeightsError(e.to_string()))?;
    store.get_bytes().map_err(|e| WeightsError(e.to_string()))
}

/// Rebuilds a model from its card and record bytes on `device`.
pub fn load_model(
    card: &ModelCard,
    record: &[u8],
    device: &Device,
) -> Result<Classifier, WeightsError> {
    load_into(card.model.init(device), record)
}

/// `module` with the parameters of a record written by [`record_bytes`].
pub fn load_into<M: Module>(module: M, record: &[u8]) -> Result<M, WeightsError> {
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(record.to_vec()))
        .map_err(|e| WeightsError(e.to_string()))?;
    module
        .try_load_record(record)
        .map_err(|e| WeightsError(e.to_string()))
}
