//! Oracles for the Glasses data set, trained once on its ground truth and kept on disk: one
//! network says who a face is (identity), the other whether it wears glasses. They score a
//! learned symmetry without being the model it was learned from.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use memlab_shared::api::{ExperimentConfig, ModelKind, OptimizerKind};
use memlab_shared::glasses::{self, Example, GlassesConfig};
use memlab_shared::model::Classifier;

use crate::artifacts::{self, ModelCard};
use crate::data::Dataset;
use crate::data::glasses::split;
use crate::training;

/// What an oracle recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The identity (the data set's class).
    Identity,
    /// Whether the glasses are on.
    Glasses,
}

impl Oracle {
    fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Glasses => "glasses",
        }
    }

    /// Epochs of its training run (LeNet, Adam, batch 64).
    fn epochs(self) -> usize {
        match self {
            Self::Identity => 15,
            Self::Glasses => 4,
        }
    }
}

/// The Glasses training and test splits labelled with glasses on (1) or off (0).
pub fn glasses_attribute_dataset(config: &GlassesConfig) -> Dataset {
    let k = config.identities.min(glasses::MAX_IDENTITIES);
    let worn = |example: &Example| u8::from(example.glasses);
    Dataset::new(
        "glasses-attribute",
        "Glasses faces labelled by whether they wear glasses".into(),
        [3, config.size, config.size],
        vec!["no glasses".into(), "glasses".into()],
        split(config, false, k * config.train_per_identity, worn),
        split(config, true, k * config.test_per_identity, worn),
    )
}

fn path(data_dir: &Path, oracle: Oracle, config: &GlassesConfig) -> PathBuf {
    data_dir.join("oracles").join(format!(
        "glasses-v{}-{}-seed{}-k{}-{}px",
        glasses::GENERATOR_VERSION,
        oracle.name(),
        config.seed,
        config.identities,
        config.size
    ))
}

/// The oracle for `config`, trained on first use (seeded, on `device`) and then read from
/// `<data_dir>/oracles/`. Also returns its test accuracy.
pub fn load_or_train(
    data_dir: &Path,
    oracle: Oracle,
    config: &GlassesConfig,
    device: &Device,
) -> Result<(ModelCard, Classifier, f64), String> {
    let dir = path(data_dir, oracle, config);
    let (card_path, record_path, accuracy_path) = (
        dir.join("model.json"),
        dir.join("model.bpk"),
        dir.join("test_accuracy"),
    );
    if let (Ok(card), Ok(record), Ok(accuracy)) = (
        std::fs::read(&card_path),
        std::fs::read(&record_path),
        std::fs::read_to_string(&accuracy_path),
    ) && let (Ok(card), Ok(accuracy)) = (
        serde_json::from_slice::<ModelCard>(&card),
        accuracy.trim().parse::<f64>(),
    ) && let Ok(model) = artifacts::load_model(&card, &record, device)
    {
        return Ok((card, model, accuracy));
    }
    let dataset = match oracle {
        Oracle::Identity => crate::data::glasses::dataset(config),
        Oracle::Glasses => glasses_attribute_dataset(config),
    };
    let run = ExperimentConfig {
        name: None,
        dataset: dataset.info.name.clone(),
        model: ModelKind::Lenet,
        n_train: None,
        epochs: oracle.epochs(),
        seed: 7,
        learning_rate: 2e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    };
    let outcome = training::train(&dataset, &run, device, &mut |_| {})
        .map_err(|error| format!("training the {} oracle: {error}", oracle.name()))?;
    let card = ModelCard {
        model: outcome.model_config,
        input: dataset.info.input.clone(),
        class_names: dataset.info.class_names.clone(),
    };
    let accuracy = outcome.metrics.test_accuracy;
    let write = || -> Result<(), String> {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let record = artifacts::record_bytes(&outcome.model).map_err(|e| e.to_string())?;
        std::fs::write(&record_path, record).map_err(|e| e.to_string())?;
        std::fs::write(
            &card_path,
            serde_json::to_vec(&card).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(&accuracy_path, accuracy.to_string()).map_err(|e| e.to_string())
    };
    if let Err(error) = write() {
        tracing::warn!(%error, "could not keep the oracle on disk");
    }
    Ok((card, outcome.model, accuracy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_labels_are_the_generators_glasses() {
        let config = GlassesConfig {
            identities: 3,
            size: 16,
            train_per_identity: 10,
            test_per_identity: 4,
            ..Default::default()
        };
        let data = glasses_attribute_dataset(&config);
        let identities = config.identity_list();
        for index in 0..data.test.len() {
            let example = config.example(&identities, true, index);
            assert_eq!(data.test.labels[index], u8::from(example.glasses));
        }
        let on = data.train.labels.iter().filter(|&&l| l == 1).count();
        assert!(on > 5 && on < 25, "{on} of 30");
    }
}
