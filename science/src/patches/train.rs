//! Training a whitened-patch model: fit the encoder on the dictionary images, encode the
//! training and test images once, standardize the marks with their statistics on the
//! dictionary images, then train only the head (and its hidden layer) on those encodings (the
//! encoder never changes, so there is nothing to recompute per epoch). Progress, curves and
//! the outcome are those of any run. No checkpoint is kept: an interrupted run starts over.

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::api::{ExperimentConfig, TrainingEvent};
use memlab_shared::model::{Classifier, ClassifierConfig, PatchNet, PatchNetConfig};

use super::dictionary::Encoder;
use super::encode::{encode, mark_statistics};
use crate::data::Dataset;
use crate::encoded::{
    Encoded, encode_splits, final_metrics, fixed_vector, standardize, train_head,
};
use crate::rng::seeded;
use crate::training::{TrainError, TrainOutcome};

/// Logits of standardized marks: the hidden layer (if any) and the head of `model`.
fn logits(model: &PatchNet, standardized: Tensor<2>) -> Tensor<2> {
    model.head.forward(model.read(standardized))
}

/// Trains the patch model `model_config` of `config` on `dataset` (already randomized as the
/// run asks); `stop` is polled between encoding batches and training steps.
pub fn train(
    dataset: &Dataset,
    config: &ExperimentConfig,
    net_config: &PatchNetConfig,
    device: &Device,
    on_event: &mut dyn FnMut(TrainingEvent),
    stop: &dyn Fn() -> bool,
) -> Result<TrainOutcome, TrainError> {
    let started = Instant::now();
    let spec = &dataset.info.input;
    let n_train = config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    let encoder = Encoder::fit(&dataset.train, spec, net_config, config.seed);
    let autodiff = device.clone().autodiff();
    let trainable = seeded(&autodiff, config.seed, || net_config.init(&autodiff));
    let initial = encoder.install(trainable.valid(), net_config, device);

    // One pass over the images through the fixed encoder.
    let len = net_config.encoding_len();
    let (mut train_rows, mut test_rows) = encode_splits(
        dataset,
        n_train,
        config,
        on_event,
        stop,
        &|split, indices, progress| encode(&initial, split, spec, indices, device, progress),
    )?;
    // The head reads marks standardized by their statistics on the dictionary images.
    let dictionary_rows = net_config.dictionary_images.min(n_train) * len;
    let (mean, scale) = mark_statistics(&train_rows[..dictionary_rows], len);
    standardize(&mut train_rows, &mean, &scale);
    standardize(&mut test_rows, &mean, &scale);
    let initial = PatchNet {
        mark_mean: fixed_vector(&mean, device),
        mark_scale: fixed_vector(&scale, device),
        ..initial
    };
    let train_set = Encoded::new(train_rows, &dataset.train, len);
    let test_set = Encoded::new(test_rows, &dataset.test, len);

    // The head (and hidden layer), trained alone: the encoder is not in the graph.
    let head = train_head(
        trainable, &logits, &train_set, &test_set, config, device, on_event, stop,
    )?;
    let model = PatchNet {
        hidden: head.model.hidden.clone(),
        head: head.model.head.clone(),
        ..initial.clone()
    };
    let metrics = final_metrics(
        &head,
        &logits,
        (&train_set, &test_set),
        model.num_params(),
        started,
        device,
    );
    Ok(TrainOutcome {
        model: Classifier::Patches(model),
        initial: Classifier::Patches(initial),
        model_config: ClassifierConfig::Patches(net_config.clone()),
        curves: head.curves,
        metrics,
    })
}
