//! Training a run of any model kind: the checks, the run's randomization, then the network
//! loop ([`crate::training`]) or a fixed encoder's fit ([`crate::patches`],
//! [`crate::scattering`]).

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::api::{ExperimentConfig, TrainingEvent};
use memlab_shared::model::ClassifierConfig;

use crate::data::Dataset;
use crate::training::{self, Checkpoint, TrainError, TrainOutcome};
use crate::{patches, scattering};

/// Trains `config` on `dataset`, calling `on_event` with progress and per-epoch metrics.
///
/// `device` is a plain (non-autodiff) device; training uses its autodiff version.
pub fn train(
    dataset: &Dataset,
    config: &ExperimentConfig,
    device: &Device,
    on_event: &mut dyn FnMut(TrainingEvent),
) -> Result<TrainOutcome, TrainError> {
    train_resumable(
        dataset,
        config,
        device,
        None,
        on_event,
        &mut |_| Ok(()),
        &|| false,
    )
}

/// [`train`], going on from `resume` when given (a checkpoint of the same config), and handing
/// `on_checkpoint` a checkpoint after every epoch but the last. When `stop` says so after a
/// step, it hands over a checkpoint of that step and returns [`TrainError::Stopped`].
pub fn train_resumable(
    dataset: &Dataset,
    config: &ExperimentConfig,
    device: &Device,
    resume: Option<&Checkpoint>,
    on_event: &mut dyn FnMut(TrainingEvent),
    on_checkpoint: &mut dyn FnMut(Checkpoint) -> Result<(), TrainError>,
    stop: &dyn Fn() -> bool,
) -> Result<TrainOutcome, TrainError> {
    training::validate(config, dataset)?;
    let started = Instant::now();
    let dataset = &*crate::data::randomize::for_run(dataset, config);
    let spec = &dataset.info.input;
    let model_config = training::model_config(config, spec, dataset.info.class_names.len());
    if let ClassifierConfig::Patches(net_config) = &model_config {
        if resume.is_some() {
            return Err(TrainError::BadCheckpoint(
                "patch runs keep no checkpoint".into(),
            ));
        }
        return patches::train::train(dataset, config, net_config, device, on_event, stop);
    }
    if let ClassifierConfig::Scattering(net_config) = &model_config {
        if resume.is_some() {
            return Err(TrainError::BadCheckpoint(
                "scattering runs keep no checkpoint".into(),
            ));
        }
        return scattering::train(dataset, config, net_config, device, on_event, stop);
    }
    training::train_network(
        dataset,
        config,
        model_config,
        device,
        started,
        resume,
        on_event,
        on_checkpoint,
        stop,
    )
}
