//! Runs of models with a fixed encoder (whitened patches, scattering): each image is encoded
//! once, the encodings are held in memory, and only the layers after the encoder train on them,
//! with the events, curves and outcome of any run. No checkpoint is kept: an interrupted run of
//! such a model starts over.

use std::time::Instant;

use burn::module::{Module, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::prelude::*;
use memlab_shared::api::{
    EpochMetrics, ExperimentConfig, FinalMetrics, OptimizerKind, Progress, TrainingEvent,
};

use crate::data::{Dataset, Split};
use crate::rng::SplitMix64;
use crate::training::{TrainError, count_correct, evaluate_in_batches, finish_epoch};

/// Share of a run's progress bar the encoding pass takes.
pub const ENCODING_SHARE: f64 = 0.8;

/// Encodings of a split, one row of `len` values per image, with the images' labels.
pub struct Encoded {
    /// Row-major encodings.
    pub rows: Vec<f32>,
    /// Labels.
    pub labels: Vec<i64>,
    /// Values per row.
    pub len: usize,
}

impl Encoded {
    /// The encodings `rows` of the first images of `split`, with their labels.
    pub fn new(rows: Vec<f32>, split: &Split, len: usize) -> Self {
        let count = rows.len() / len.max(1);
        Self {
            rows,
            labels: split.labels[..count]
                .iter()
                .map(|&l| i64::from(l))
                .collect(),
            len,
        }
    }

    /// The rows and labels of `indices`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
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

    /// Number of rows.
    pub fn count(&self) -> usize {
        self.labels.len()
    }
}

/// A fixed (never trained) vector parameter holding `values`.
pub fn fixed_vector(values: &[f32], device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        device,
    ))
}

/// Standardizes `rows` in place with per-column `mean` and `scale`.
pub fn standardize(rows: &mut [f32], mean: &[f32], scale: &[f32]) {
    for row in rows.chunks_mut(mean.len().max(1)) {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(scale) {
            *v = (*v - m) * s;
        }
    }
}

/// Progress reports of the encoding pass over `total` images (at most two a second).
pub fn encoding_progress<'a>(
    config: &'a ExperimentConfig,
    steps_per_epoch: usize,
    total: usize,
    on_event: &'a mut dyn FnMut(TrainingEvent),
    stop: &'a dyn Fn() -> bool,
) -> impl FnMut(usize) -> bool + 'a {
    let started = Instant::now();
    let mut last_report = Instant::now();
    move |done: usize| {
        if last_report.elapsed().as_secs_f64() >= 0.5 || done == total {
            last_report = Instant::now();
            on_event(TrainingEvent::Progress(Progress {
                epoch: 1,
                epochs: config.epochs,
                step: 0,
                steps_per_epoch,
                loss: 0.0,
                accuracy: 0.0,
                images_per_second: done as f64 / started.elapsed().as_secs_f64().max(1e-9),
                fraction: ENCODING_SHARE * done as f64 / total.max(1) as f64,
            }));
        }
        !stop()
    }
}

/// Encodes the first `n_train` training images and every test image with `encode` (given a
/// split, indices, and a progress callback returning whether to go on), reporting the pass as
/// the run's first phase: (training rows, test rows).
#[allow(clippy::type_complexity)]
pub fn encode_splits(
    dataset: &Dataset,
    n_train: usize,
    config: &ExperimentConfig,
    on_event: &mut dyn FnMut(TrainingEvent),
    stop: &dyn Fn() -> bool,
    encode: &dyn Fn(&Split, &[usize], &mut dyn FnMut(usize) -> bool) -> Option<Vec<f32>>,
) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
    let steps_per_epoch = n_train.div_ceil(config.batch_size);
    let total = n_train + dataset.test.len();
    let mut report = encoding_progress(config, steps_per_epoch, total, on_event, stop);
    let stopped = || TrainError::Stopped("stopped while encoding the images".into());
    let train_indices: Vec<usize> = (0..n_train).collect();
    let test_indices: Vec<usize> = (0..dataset.test.len()).collect();
    let train =
        encode(&dataset.train, &train_indices, &mut |done| report(done)).ok_or_else(stopped)?;
    let test = encode(&dataset.test, &test_indices, &mut |done| {
        report(n_train + done)
    })
    .ok_or_else(stopped)?;
    Ok((train, test))
}

/// The final metrics of a fixed-encoder run: `trained`'s loss and accuracy on both encoded
/// splits, with the model's parameter count and the run's time and history.
pub fn final_metrics<M>(
    head: &TrainedHead<M>,
    logits: &dyn Fn(&M, Tensor<2>) -> Tensor<2>,
    (train_set, test_set): (&Encoded, &Encoded),
    n_parameters: usize,
    started: Instant,
    device: &Device,
) -> FinalMetrics {
    let (train_loss, train_accuracy) = evaluate(&head.model, logits, train_set, device);
    let (test_loss, test_accuracy) = evaluate(&head.model, logits, test_set, device);
    FinalMetrics {
        train_loss,
        train_accuracy,
        test_loss,
        test_accuracy,
        n_parameters,
        train_seconds: started.elapsed().as_secs_f64(),
        epochs_run: head.epochs_run,
        fitted_at_step: head.fitted_at_step,
    }
}

/// Mean cross-entropy and accuracy of `logits` (the trained layers on encodings) on every row.
pub fn evaluate<M>(
    model: &M,
    logits: &dyn Fn(&M, Tensor<2>) -> Tensor<2>,
    encoded: &Encoded,
    device: &Device,
) -> (f64, f64) {
    evaluate_in_batches(encoded.count(), device, &mut |chunk| {
        let (rows, targets) = encoded.batch(chunk, device);
        (logits(model, rows), targets)
    })
}

/// The trained layers and their history.
pub struct TrainedHead<M> {
    /// The trained module (valid, off the autodiff graph).
    pub model: M,
    /// One entry per epoch.
    pub curves: Vec<EpochMetrics>,
    /// Epochs run.
    pub epochs_run: usize,
    /// The step at which the training-accuracy target was reached, if it was.
    pub fitted_at_step: Option<usize>,
}

/// Trains `model` (on an autodiff device; `logits` maps a batch of encodings to class logits
/// through its trainable layers) on `train_set` with the run's optimizer, batch size, epochs
/// and seed, evaluating on `test_set` after every epoch.
#[allow(clippy::too_many_arguments)]
pub fn train_head<M: Module + Clone>(
    mut model: M,
    logits: &dyn Fn(&M, Tensor<2>) -> Tensor<2>,
    train_set: &Encoded,
    test_set: &Encoded,
    config: &ExperimentConfig,
    device: &Device,
    on_event: &mut dyn FnMut(TrainingEvent),
    stop: &dyn Fn() -> bool,
) -> Result<TrainedHead<M>, TrainError> {
    let autodiff = device.clone().autodiff();
    let n_train = train_set.count();
    let steps_per_epoch = n_train.div_ceil(config.batch_size);
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
                    "stopped in epoch {epoch} (runs of fixed-encoder models restart from the \
                     start)"
                )));
            }
            let (rows, targets) = train_set.batch(chunk, &autodiff);
            let batch_logits = logits(&model, rows);
            let loss = loss_fn.forward(batch_logits.clone(), targets.clone());
            correct += count_correct(batch_logits, targets);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let loss_value: f32 = loss.into_scalar();
            model = optimizer.step(config.learning_rate, model, grads);
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
        let (test_loss, test_accuracy) = evaluate(&model.valid(), logits, test_set, device);
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
    Ok(TrainedHead {
        model: model.valid(),
        curves,
        epochs_run,
        fitted_at_step,
    })
}
