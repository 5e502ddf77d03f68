//! Server-side prediction: the same preprocessing as the browser, the stored weights, softmax.

use std::collections::HashMap;

use std::sync::Mutex;

use burn::prelude::*;
use memlab_shared::api::{Prediction, argmax, softmax};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::{Pixels, decode_image, normalize};

use crate::error::AppError;
use memlab_store::Files;
use memlab_store::artifacts::{self, ArtifactError, ModelCard};

/// Trained models loaded from disk, by experiment id.
#[derive(Debug, Default)]
pub struct ModelCache {
    models: Mutex<HashMap<i64, (ModelCard, Classifier)>>,
}

impl ModelCache {
    /// The model of experiment `id`, loading it on first use.
    pub fn get(
        &self,
        files: &dyn Files,
        id: i64,
        device: &Device,
    ) -> Result<(ModelCard, Classifier), ArtifactError> {
        let mut models = self
            .models
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = models.get(&id) {
            return Ok(entry.clone());
        }
        let entry = artifacts::load(files, id, device)?;
        models.insert(id, entry.clone());
        Ok(entry)
    }
}

/// Logits and probabilities of `model` for one preprocessed image.
pub fn predict_pixels(
    model: &Classifier,
    card: &ModelCard,
    pixels: &Pixels,
    device: &Device,
) -> Prediction {
    let input = &card.input;
    let values = normalize(pixels, input);
    let images = Tensor::<4>::from_data(
        TensorData::new(values, [1, input.channels, input.height, input.width]),
        device,
    );
    let logits: Vec<f32> = model
        .forward(images)
        .into_data()
        .try_into_vec()
        .unwrap_or_default();
    let probabilities = softmax(&logits);
    Prediction {
        predicted: argmax(&probabilities),
        probabilities,
        logits,
        class_names: card.class_names.clone(),
    }
}

/// Decodes an uploaded image as the model's input and predicts it.
pub fn predict_bytes(
    model: &Classifier,
    card: &ModelCard,
    bytes: &[u8],
    device: &Device,
) -> Result<Prediction, AppError> {
    let pixels = decode_image(bytes, &card.input)?;
    Ok(predict_pixels(model, card, &pixels, device))
}
