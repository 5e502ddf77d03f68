//! Oracles for the Glasses data set, trained on its ground truth: one network says who a face
//! is (identity), the other whether it wears glasses. They score a learned symmetry without
//! being the model it was learned from. Keeping them between runs is the caller's
//! ([`OracleSource`]).

use std::sync::Mutex;

use burn::prelude::*;
use memlab_shared::api::{ExperimentConfig, ModelKind, OptimizerKind};
use memlab_shared::glasses::{self, Example, GlassesConfig};
use memlab_shared::model::Classifier;

use crate::data::Dataset;
use crate::data::glasses::split;
use crate::run;
use crate::weights::ModelCard;

/// What an oracle recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The identity (the data set's class).
    Identity,
    /// Whether the glasses are on.
    Glasses,
}

impl Oracle {
    /// Its name (in file names and messages).
    pub fn name(self) -> &'static str {
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

/// A trained oracle: its card, the network, and its test accuracy.
pub type Trained = (ModelCard, Classifier, f64);

/// Where oracles come from: trained on first use and kept in memory ([`InMemory`]), or kept
/// between runs by the caller.
pub trait OracleSource {
    /// The `oracle` of the Glasses generator `config`, on `device`.
    fn oracle(
        &self,
        oracle: Oracle,
        config: &GlassesConfig,
        device: &Device,
    ) -> Result<Trained, String>;
}

/// Trains each oracle on first use (seeded, so the same each time) and keeps it for this
/// value's life.
#[derive(Default)]
pub struct InMemory {
    trained: Mutex<Vec<(Oracle, GlassesConfig, Trained)>>,
}

impl OracleSource for InMemory {
    fn oracle(
        &self,
        oracle: Oracle,
        config: &GlassesConfig,
        device: &Device,
    ) -> Result<Trained, String> {
        let mut trained = self
            .trained
            .lock()
            .map_err(|_| "the oracle store was poisoned by a panic".to_owned())?;
        if let Some((_, _, kept)) = trained
            .iter()
            .find(|(which, generator, _)| *which == oracle && generator == config)
        {
            return Ok(kept.clone());
        }
        let fresh = train(oracle, config, device)?;
        trained.push((oracle, *config, fresh.clone()));
        Ok(fresh)
    }
}

/// Trains the oracle for `config` (seeded, on `device`) and measures its test accuracy.
pub fn train(oracle: Oracle, config: &GlassesConfig, device: &Device) -> Result<Trained, String> {
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
    let outcome = run::train(&dataset, &run, device, &mut |_| {})
        .map_err(|error| format!("training the {} oracle: {error}", oracle.name()))?;
    let card = ModelCard {
        model: outcome.model_config,
        input: dataset.info.input.clone(),
        class_names: dataset.info.class_names.clone(),
    };
    let accuracy = outcome.metrics.test_accuracy;
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
