//! Training a whitened-patch model: fit the encoder on the dictionary images, encode the
//! training and test images once, standardize the marks with their statistics on the
//! dictionary images, then train only the head (and its hidden layer) on those encodings (the
//! encoder never changes, so there is nothing to recompute per epoch). Progress, curves and
//! the outcome are those of any run. No checkpoint is kept: an interrupted run starts over.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::prelude::*;
use memlab_shared::api::{
    EpochMetrics, ExperimentConfig, FinalMetrics, OptimizerKind, Progress, TrainingEvent,
};
use memlab_shared::model::{Classifier, ClassifierConfig, PatchNet, PatchNetConfig};

use super::dictionary::{Encoder, fixed_vector};
use super::encode::{encode, mark_statistics, standardize};
use crate::data::Dataset;
use crate::training::{
    SplitMix64, TrainError, TrainOutcome, count_correct, evaluate_in_batches, finish_epoch, seeded,
};

/// Share of a run's progress bar the encoding pass takes.
const ENCODING_SHARE: f64 = 0.8;

/// Encodings of a split, one row per image.
struct Encoded {
    rows: Vec<f32>,
    labels: Vec<i64>,
    len: usize,
}

impl Encoded {
    fn batch(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let mut values = Vec::with_capacity(indices.len() * self.len);
        for &i in indices {
            values.extend_from_slice(&self.rows[i * self.len..(i + 1) * self.len]);
        }
        let labels: Vec<i64> = indices.iter().map(|&i| self.labels[i]).collect();
        (
            Tensor::from_data(TensorData::new(values, [indices.len(), self.len]), device),
            Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
        )
    }

    fn count(&self) -> usize {
        self.labels.len()
    }
}

/// Logits of standardized marks: the hidden layer (if any) and the head of `model`.
fn logits(model: &PatchNet, standardized: Tensor<2>) -> Tensor<2> {
    model.head.forward(model.read(standardized))
}

/// Mean cross-entropy and accuracy of `model`'s head on every encoded row.
fn evaluate(model: &PatchNet, encoded: &Encoded, device: &Device) -> (f64, f64) {
    evaluate_in_batches(encoded.count(), device, &mut |chunk| {
        let (features, targets) = encoded.batch(chunk, device);
        (logits(model, features), targets)
    })
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
    let steps_per_epoch = n_train.div_ceil(config.batch_size);
    let encoder = Encoder::fit(&dataset.train, spec, net_config, config.seed);
    let autodiff = device.clone().autodiff();
    let trainable = seeded(&autodiff, config.seed, || net_config.init(&autodiff));
    let initial = encoder.install(trainable.valid(), net_config, device);

    // One pass over the images through the fixed encoder.
    let total_images = n_train + dataset.test.len();
    let encode_started = Instant::now();
    let mut last_report = Instant::now();
    let mut report = |done: usize| {
        if last_report.elapsed().as_secs_f64() >= 0.5 || done == total_images {
            last_report = Instant::now();
            on_event(TrainingEvent::Progress(Progress {
                epoch: 1,
                epochs: config.epochs,
                step: 0,
                steps_per_epoch,
                loss: 0.0,
                accuracy: 0.0,
                images_per_second: done as f64 / encode_started.elapsed().as_secs_f64().max(1e-9),
                fraction: ENCODING_SHARE * done as f64 / total_images.max(1) as f64,
            }));
        }
        !stop()
    };
    let stopped = || TrainError::Stopped("stopped while encoding the images".into());
    let train_indices: Vec<usize> = (0..n_train).collect();
    let test_indices: Vec<usize> = (0..dataset.test.len()).collect();
    let len = net_config.encoding_len();
    let mut train_rows = encode(
        &initial,
        &dataset.train,
        spec,
        &train_indices,
        device,
        &mut |done| report(done),
    )
    .ok_or_else(stopped)?;
    let mut test_rows = encode(
        &initial,
        &dataset.test,
        spec,
        &test_indices,
        device,
        &mut |done| report(n_train + done),
    )
    .ok_or_else(stopped)?;
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
    let labels = |split: &crate::data::Split, count: usize| -> Vec<i64> {
        split.labels[..count]
            .iter()
            .map(|&l| i64::from(l))
            .collect()
    };
    let train_set = Encoded {
        rows: train_rows,
        labels: labels(&dataset.train, n_train),
        len,
    };
    let test_set = Encoded {
        rows: test_rows,
        labels: labels(&dataset.test, dataset.test.len()),
        len,
    };

    // The head (and hidden layer), trained alone: the encoder is not in the graph.
    let mut head: PatchNet = trainable;
    let mut optimizer = match config.optimizer {
        OptimizerKind::Adam => AdamConfig::new().init(),
        OptimizerKind::Sgd => SgdConfig::new().init(),
    };
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut shuffler = SplitMix64::new(config.seed);
    let mut curves = Vec::with_capacity(config.epochs);
    let mut fitted_at_step = None;
    let mut epochs_run = 0;
    for epoch in 1..=config.epochs {
        shuffler.shuffle(&mut order);
        let epoch_start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for (step, chunk) in order.chunks(config.batch_size).enumerate() {
            if stop() {
                return Err(TrainError::Stopped(format!(
                    "stopped in epoch {epoch} (patch runs restart from the start)"
                )));
            }
            let (features, targets) = train_set.batch(chunk, &autodiff);
            let logits = logits(&head, features);
            let loss = loss_fn.forward(logits.clone(), targets.clone());
            correct += count_correct(logits, targets);
            let grads = GradientsParams::from_grads(loss.backward(), &head);
            let loss_value: f32 = loss.into_scalar();
            head = optimizer.step(config.learning_rate, head, grads);
            loss_sum += f64::from(loss_value) * chunk.len() as f64;
            seen += chunk.len();
            if step + 1 == steps_per_epoch {
                on_event(TrainingEvent::Progress(Progress {
                    epoch,
                    epochs: config.epochs,
                    step: step + 1,
                    steps_per_epoch,
                    loss: loss_sum / seen as f64,
                    accuracy: correct as f64 / seen as f64,
                    images_per_second: seen as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9),
                    fraction: ENCODING_SHARE
                        + (1.0 - ENCODING_SHARE) * epoch as f64 / config.epochs as f64,
                }));
            }
        }
        let valid = head.valid();
        let (test_loss, test_accuracy) = evaluate(&valid, &test_set, device);
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            test_loss,
            test_accuracy,
            images_per_second: seen as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9),
            steps: epoch * steps_per_epoch,
        };
        epochs_run = epoch;
        if finish_epoch(metrics, config, &mut curves, on_event) {
            fitted_at_step = Some(epoch * steps_per_epoch);
            break;
        }
    }

    let trained = head.valid();
    let (train_loss, train_accuracy) = evaluate(&trained, &train_set, device);
    let (test_loss, test_accuracy) = evaluate(&trained, &test_set, device);
    let model = PatchNet {
        hidden: trained.hidden,
        head: trained.head,
        ..initial.clone()
    };
    let metrics = FinalMetrics {
        train_loss,
        train_accuracy,
        test_loss,
        test_accuracy,
        n_parameters: model.num_params(),
        train_seconds: started.elapsed().as_secs_f64(),
        epochs_run,
        fitted_at_step,
    };
    Ok(TrainOutcome {
        model: Classifier::Patches(model),
        initial: Classifier::Patches(initial),
        model_config: ClassifierConfig::Patches(net_config.clone()),
        curves,
        metrics,
    })
}
