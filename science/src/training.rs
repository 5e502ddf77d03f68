//! The network training loop: burn Autodiff steps over shuffled batches, resumable from a
//! checkpoint (as bytes), with evaluation and metrics. [`crate::run`] is the entry point.
//!
//! The model definitions live in `memlab_shared::model`; this module only drives them. The
//! device is passed in (chosen once, in `main`), and reproducibility comes from seeding both the
//! device (weight initialization) and the shuffling generator with the run's seed.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::prelude::*;
use memlab_shared::api::{
    EpochMetrics, ExperimentConfig, FinalMetrics, ModelKind, OptimizerKind, PatchSettings,
    Progress, ScatteringSettings, TrainingEvent,
};
use memlab_shared::limits;
use memlab_shared::model::{
    Classifier, ClassifierConfig, LeNetConfig, MlpConfig, PatchNetConfig, ScatterNetConfig,
};
use memlab_shared::preprocess::InputSpec;

use serde::{Deserialize, Serialize};

use crate::batch::{augmented_batch, batch};
use crate::data::augment::Augmenter;
use crate::data::{Dataset, Split};
use crate::rng::{SplitMix64, seeded_init};

/// Examples per forward pass when evaluating.
const EVAL_BATCH: usize = 1000;
/// Progress events are sent at most this often (seconds).
const PROGRESS_INTERVAL: f64 = 0.5;

/// Why a run could not be trained.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The configuration does not fit the data set.
    #[error("{0}")]
    Invalid(String),
    /// A checkpoint could not be written.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// Asked to stop (the server is shutting down); a checkpoint of the last step was handed
    /// over.
    #[error("{0}")]
    Stopped(String),
    /// The checkpoint to go on from does not fit this run (damaged, or another architecture).
    #[error("unusable checkpoint: {0}")]
    BadCheckpoint(String),
}

/// What a finished run produced.
#[derive(Debug)]
pub struct TrainOutcome {
    /// The trained network, without autodiff.
    pub model: Classifier,
    /// The network as initialized, before any step (the data-free PAC-Bayes prior's centre).
    pub initial: Classifier,
    /// The architecture, for rebuilding it from saved weights.
    pub model_config: ClassifierConfig,
    /// Per-epoch curves.
    pub curves: Vec<EpochMetrics>,
    /// Final train and test numbers.
    pub metrics: FinalMetrics,
}

/// The architecture an experiment asks for on a data set of this input and class count.
pub fn model_config(
    config: &ExperimentConfig,
    input: &InputSpec,
    num_classes: usize,
) -> ClassifierConfig {
    match config.model {
        ModelKind::Mlp => {
            ClassifierConfig::Mlp(MlpConfig::new(input.len(), vec![256, 256], num_classes))
        }
        ModelKind::Lenet => ClassifierConfig::Lenet(LeNetConfig::new(
            input.channels,
            input.height,
            input.width,
            num_classes,
        )),
        ModelKind::Patches => {
            let settings = &config.patches;
            ClassifierConfig::Patches(
                PatchNetConfig::new(
                    input.channels,
                    input.height,
                    input.width,
                    num_classes,
                    settings.patch,
                    settings.atoms,
                    settings.neighbors(),
                    settings.grid,
                    settings.dictionary_images,
                )
                .with_whitening(settings.whitening)
                .with_hidden(settings.hidden),
            )
        }
        ModelKind::Scattering => {
            let settings = &config.scattering;
            ClassifierConfig::Scattering(
                ScatterNetConfig::new(
                    input.channels,
                    input.height,
                    input.width,
                    num_classes,
                    settings.scales,
                    settings.angles,
                    settings.calibration_images,
                )
                .with_hidden(settings.hidden),
            )
        }
    }
}

/// Checks a configuration against a data set before it is queued.
pub fn validate(config: &ExperimentConfig, dataset: &Dataset) -> Result<(), TrainError> {
    let invalid = |message: String| Err(TrainError::Invalid(message));
    limits::EPOCHS
        .check(config.epochs)
        .map_err(TrainError::Invalid)?;
    limits::BATCH_SIZE
        .check(config.batch_size)
        .map_err(TrainError::Invalid)?;
    limits::LEARNING_RATE
        .check(config.learning_rate)
        .map_err(TrainError::Invalid)?;
    if let Some(n_train) = config.n_train
        && (n_train == 0 || n_train > dataset.train.len())
    {
        return invalid(format!(
            "n_train must be between 1 and {} for '{}', got {n_train}",
            dataset.train.len(),
            dataset.info.name
        ));
    }
    limits::LABEL_CORRUPTION
        .check(config.randomization.label_corruption)
        .map_err(TrainError::Invalid)?;
    if let Some(target) = config.stop_at_train_accuracy {
        limits::STOP_AT_TRAIN_ACCURACY
            .check(target)
            .map_err(TrainError::Invalid)?;
    }
    let input = &dataset.info.input;
    crate::data::augment::validate(&config.augmentation, input.width.min(input.height))
        .map_err(TrainError::Invalid)?;
    if config.model == ModelKind::Patches {
        validate_patches(config, dataset).map_err(TrainError::Invalid)?;
    } else if config.patches != PatchSettings::default() {
        return invalid(format!(
            "patches settings apply to model \"patches\" only, not \"{}\"",
            config.model.label().to_lowercase()
        ));
    }
    if config.model == ModelKind::Scattering {
        validate_scattering(config, dataset).map_err(TrainError::Invalid)?;
    } else if config.scattering != ScatteringSettings::default() {
        return invalid(format!(
            "scattering settings apply to model \"scattering\" only, not \"{}\"",
            config.model.label().to_lowercase()
        ));
    }
    if config.model == ModelKind::Lenet && (input.height < 12 || input.width < 12) {
        return invalid(format!(
            "lenet needs images of at least 12×12, '{}' has {}×{}",
            dataset.info.name, input.height, input.width
        ));
    }
    Ok(())
}

/// The patch model's settings against the data set it would train on.
fn validate_patches(config: &ExperimentConfig, dataset: &Dataset) -> Result<(), String> {
    let settings = &config.patches;
    let input = &dataset.info.input;
    let side = input.height.min(input.width);
    limits::PATCH_SIZE
        .up_to(side.min(limits::PATCH_SIZE.max))
        .check(settings.patch)?;
    limits::PATCH_ATOMS.check(settings.atoms)?;
    limits::Range::closed("patches.neighbors", 1, settings.atoms - 1)
        .check(settings.neighbors())?;
    let map = side + 1 - settings.patch;
    limits::PATCH_GRID
        .up_to(map.min(limits::PATCH_GRID.max))
        .check(settings.grid)?;
    if let Some(epsilon) = settings.whitening {
        limits::PATCH_WHITENING.check(epsilon)?;
    }
    if let Some(width) = settings.hidden {
        limits::PATCH_HIDDEN.check(width)?;
    }
    let n_train = config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    limits::Range::closed(
        "patches.dictionary_images",
        1,
        n_train.saturating_sub(1).max(1),
    )
    .check(settings.dictionary_images)?;
    if !config.augmentation.is_none() {
        return Err(
            "the patch model encodes each image once and trains its head on the \
                    encodings: augmentation is not available for it"
                .into(),
        );
    }
    let bytes = [
        n_train + dataset.test.len(),
        2,
        settings.atoms,
        settings.grid,
        settings.grid,
        4,
    ]
    .iter()
    .map(|&n| n as u64)
    .product::<u64>();
    if bytes > limits::MAX_ENCODING_BYTES {
        return Err(format!(
            "the encodings would take {:.1} GiB of memory (at most {} GiB): fewer atoms, a \
             smaller grid or fewer training images",
            bytes as f64 / f64::from(1u32 << 30),
            limits::MAX_ENCODING_BYTES >> 30
        ));
    }
    Ok(())
}

/// The scattering network's settings against the data set it would train on.
fn validate_scattering(config: &ExperimentConfig, dataset: &Dataset) -> Result<(), String> {
    let settings = &config.scattering;
    let input = &dataset.info.input;
    let side = input.height.min(input.width);
    // 2^J at most the shorter side (Kymatio's condition).
    let most_scales = (usize::BITS - 1 - side.leading_zeros()) as usize;
    limits::SCATTERING_SCALES
        .up_to(most_scales.min(limits::SCATTERING_SCALES.max))
        .check(settings.scales)?;
    limits::SCATTERING_ANGLES.check(settings.angles)?;
    if let Some(width) = settings.hidden {
        limits::SCATTERING_HIDDEN.check(width)?;
    }
    let n_train = config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    limits::Range::closed(
        "scattering.calibration_images",
        1,
        n_train.saturating_sub(1).max(1),
    )
    .check(settings.calibration_images)?;
    if !config.augmentation.is_none() {
        return Err(
            "the scattering network transforms each image once and trains on the \
             coefficients: augmentation is not available for it"
                .into(),
        );
    }
    let net = ScatterNetConfig::new(
        input.channels,
        input.height,
        input.width,
        2,
        settings.scales,
        settings.angles,
        1,
    );
    let bytes = (n_train + dataset.test.len()) as u64 * net.coefficients_len() as u64 * 4;
    if bytes > limits::MAX_ENCODING_BYTES {
        return Err(format!(
            "the scattering coefficients would take {:.1} GiB of memory (at most {} GiB): \
             fewer scales or angles, or fewer training images",
            bytes as f64 / f64::from(1u32 << 30),
            limits::MAX_ENCODING_BYTES >> 30
        ));
    }
    Ok(())
}

/// Publishes an epoch's metrics and adds them to `curves`; whether the run reached its
/// training-accuracy target (and so stops).
pub(crate) fn finish_epoch(
    metrics: EpochMetrics,
    config: &ExperimentConfig,
    curves: &mut Vec<EpochMetrics>,
    on_event: &mut dyn FnMut(TrainingEvent),
) -> bool {
    on_event(TrainingEvent::Epoch(metrics.clone()));
    let reached = config
        .stop_at_train_accuracy
        .is_some_and(|target| metrics.train_accuracy >= target);
    curves.push(metrics);
    reached
}

/// How many rows of `logits` have their largest value at the target class.
pub(crate) fn count_correct(logits: Tensor<2>, targets: Tensor<1, Int>) -> usize {
    let hits: i64 = logits
        .argmax(1)
        .squeeze_dim::<1>(1)
        .equal(targets)
        .int()
        .sum()
        .into_scalar();
    hits as usize
}

/// Mean cross-entropy and accuracy of `model` on the first `count` examples of `split`.
pub fn evaluate(
    model: &Classifier,
    split: &Split,
    spec: &InputSpec,
    count: usize,
    device: &Device,
) -> (f64, f64) {
    evaluate_in_batches(count.min(split.len()), device, &mut |chunk| {
        let (images, targets) = batch(split, spec, chunk, device);
        (model.forward(images), targets)
    })
}

/// A batch's logits and its targets.
pub(crate) type LabelledLogits = (Tensor<2>, Tensor<1, Int>);

/// Mean cross-entropy and accuracy over examples `0..count`, taken [`EVAL_BATCH`] at a time:
/// `logits` gives a chunk's logits and targets.
pub(crate) fn evaluate_in_batches(
    count: usize,
    device: &Device,
    logits: &mut dyn FnMut(&[usize]) -> LabelledLogits,
) -> (f64, f64) {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut loss_sum = 0.0;
    let mut correct = 0usize;
    let indices: Vec<usize> = (0..count).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (logits, targets) = logits(chunk);
        let loss: f32 = loss_fn
            .forward(logits.clone(), targets.clone())
            .into_scalar();
        loss_sum += f64::from(loss) * chunk.len() as f64;
        correct += count_correct(logits, targets);
    }
    let total = count.max(1) as f64;
    (loss_sum / total, correct as f64 / total)
}

/// Where a run stands after a finished epoch, or after any step when it was asked to stop:
/// what it needs to go on exactly as if it had not stopped. The shuffled order is not kept: it
/// is the seed's order shuffled once per epoch.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The weights (burn record; it keeps the parameters' ids, which the optimizer's state is
    /// keyed by).
    pub model: Vec<u8>,
    /// The weights before training.
    pub initial: Vec<u8>,
    /// The optimizer's state (Adam's moments and step count; nothing for plain SGD).
    pub optimizer: Vec<u8>,
    /// Epochs, generator and curves.
    pub progress: CheckpointProgress,
}

/// The small part of a [`Checkpoint`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointProgress {
    /// Epochs finished.
    pub epochs_done: usize,
    /// The augmentation generator's state, when the run augments.
    pub augmenter: Option<u64>,
    /// One entry per finished epoch.
    pub curves: Vec<EpochMetrics>,
    /// Training seconds spent so far.
    pub seconds: f64,
    /// Steps of the next epoch already taken (0 unless the run was stopped mid-epoch).
    #[serde(default)]
    pub step: usize,
    /// That epoch's running sums so far: loss × examples, correct predictions, examples.
    #[serde(default)]
    pub partial: (f64, usize, usize),
}

fn record_error(error: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(error.to_string())
}

/// A checkpoint of the weights, the initial weights and the optimizer's state (as its
/// `into_bytes` gave it) at `progress`.
fn checkpoint<B: std::ops::Deref<Target = [u8]>>(
    model: &Classifier,
    initial: &Classifier,
    optimizer: Result<B, impl std::fmt::Display>,
    progress: CheckpointProgress,
) -> Result<Checkpoint, TrainError> {
    Ok(Checkpoint {
        model: crate::weights::record_bytes(model).map_err(record_error)?,
        initial: crate::weights::record_bytes(initial).map_err(record_error)?,
        optimizer: optimizer.map_err(record_error)?.to_vec(),
        progress,
    })
}

/// Trains a network model (LeNet or MLP) of `model_config` on `dataset` (already randomized
/// for the run): [`crate::run::train_resumable`] after the checks, for the models trained by
/// gradient steps end to end.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_network(
    dataset: &Dataset,
    config: &ExperimentConfig,
    model_config: ClassifierConfig,
    device: &Device,
    started: Instant,
    resume: Option<&Checkpoint>,
    on_event: &mut dyn FnMut(TrainingEvent),
    on_checkpoint: &mut dyn FnMut(Checkpoint) -> Result<(), TrainError>,
    stop: &dyn Fn() -> bool,
) -> Result<TrainOutcome, TrainError> {
    let spec = &dataset.info.input;
    let autodiff = device.clone().autodiff();
    let mut model = seeded_init(&model_config, &autodiff, config.seed);
    let mut initial = model.valid();
    let mut optimizer = match config.optimizer {
        OptimizerKind::Adam => AdamConfig::new().init(),
        OptimizerKind::Sgd => SgdConfig::new().init(),
    };
    let mut done = 0;
    let mut seconds_before = 0.0;
    let (mut skip, mut partial) = (0, (0.0, 0, 0));
    if let Some(checkpoint) = resume {
        let unusable = |error: &dyn std::fmt::Display| TrainError::BadCheckpoint(error.to_string());
        if checkpoint.progress.epochs_done >= config.epochs
            || checkpoint.progress.curves.len() != checkpoint.progress.epochs_done
        {
            return Err(unusable(&format!(
                "{} epochs done of {}",
                checkpoint.progress.epochs_done, config.epochs
            )));
        }
        model = crate::weights::load_into(model, &checkpoint.model).map_err(|e| unusable(&e))?;
        initial =
            crate::weights::load_into(initial, &checkpoint.initial).map_err(|e| unusable(&e))?;
        optimizer = optimizer
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(
                checkpoint.optimizer.clone(),
            ))
            .map_err(|e| unusable(&e))?;
        done = checkpoint.progress.epochs_done;
        seconds_before = checkpoint.progress.seconds;
        (skip, partial) = (checkpoint.progress.step, checkpoint.progress.partial);
    }
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let n_train = config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    let steps_per_epoch = n_train.div_ceil(config.batch_size);
    if skip > steps_per_epoch {
        return Err(TrainError::BadCheckpoint(format!(
            "step {skip} of an epoch of {steps_per_epoch}"
        )));
    }
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut shuffler = SplitMix64::new(config.seed);
    let mut augmenter =
        (!config.augmentation.is_none()).then(|| Augmenter::new(config.augmentation, config.seed));
    let mut curves = Vec::with_capacity(config.epochs);
    if let Some(checkpoint) = resume {
        for _ in 0..done {
            shuffler.shuffle(&mut order);
        }
        if let (Some(augmenter), Some(state)) = (&mut augmenter, checkpoint.progress.augmenter) {
            *augmenter = Augmenter::resume(config.augmentation, state);
        }
        curves.clone_from(&checkpoint.progress.curves);
    }

    let mut fitted_at_step = None;
    let mut epochs_run = done;
    for epoch in done + 1..=config.epochs {
        shuffler.shuffle(&mut order);
        let epoch_start = Instant::now();
        let mut last_report = Instant::now();
        // A run stopped mid-epoch goes on after the steps it took, with their sums.
        let (mut loss_sum, mut correct, mut seen) = std::mem::take(&mut partial);
        let taken = std::mem::take(&mut skip);
        let seen_before = seen;
        for (step, chunk) in order.chunks(config.batch_size).enumerate().skip(taken) {
            let (images, targets) =
                augmented_batch(&dataset.train, spec, chunk, augmenter.as_mut(), &autodiff);
            let logits = model.forward(images);
            let loss = loss_fn.forward(logits.clone(), targets.clone());
            let hits = count_correct(logits, targets);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let loss_value: f32 = loss.into_scalar();
            model = optimizer.step(config.learning_rate, model, grads);
            loss_sum += f64::from(loss_value) * chunk.len() as f64;
            correct += hits;
            seen += chunk.len();
            let last_step = step + 1 == steps_per_epoch;
            if last_step || last_report.elapsed().as_secs_f64() >= PROGRESS_INTERVAL {
                last_report = Instant::now();
                let done_steps = (epoch - 1) * steps_per_epoch + step + 1;
                on_event(TrainingEvent::Progress(Progress {
                    epoch,
                    epochs: config.epochs,
                    step: step + 1,
                    steps_per_epoch,
                    loss: loss_sum / seen as f64,
                    accuracy: correct as f64 / seen as f64,
                    images_per_second: (seen - seen_before) as f64
                        / epoch_start.elapsed().as_secs_f64().max(1e-9),
                    fraction: done_steps as f64 / (config.epochs * steps_per_epoch) as f64,
                }));
            }
            if stop() {
                let elapsed = seconds_before + started.elapsed().as_secs_f64();
                on_checkpoint(checkpoint(
                    &model,
                    &initial,
                    optimizer.into_bytes(),
                    CheckpointProgress {
                        epochs_done: epoch - 1,
                        augmenter: augmenter.as_ref().map(Augmenter::state),
                        curves: curves.clone(),
                        seconds: elapsed,
                        step: step + 1,
                        partial: (loss_sum, correct, seen),
                    },
                )?)?;
                return Err(TrainError::Stopped(format!(
                    "stopped after step {} of {steps_per_epoch} in epoch {epoch}",
                    step + 1
                )));
            }
        }
        let images_per_second =
            (seen - seen_before) as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
        let valid = model.valid();
        let (test_loss, test_accuracy) =
            evaluate(&valid, &dataset.test, spec, dataset.test.len(), device);
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            test_loss,
            test_accuracy,
            images_per_second,
            steps: epoch * steps_per_epoch,
        };
        epochs_run = epoch;
        if finish_epoch(metrics, config, &mut curves, on_event) {
            fitted_at_step = Some(epoch * steps_per_epoch);
            break;
        }
        if epoch < config.epochs {
            on_checkpoint(checkpoint(
                &model,
                &initial,
                optimizer.into_bytes(),
                CheckpointProgress {
                    epochs_done: epoch,
                    augmenter: augmenter.as_ref().map(Augmenter::state),
                    curves: curves.clone(),
                    seconds: seconds_before + started.elapsed().as_secs_f64(),
                    step: 0,
                    partial: (0.0, 0, 0),
                },
            )?)?;
        }
    }

    let model = model.valid();
    let (train_loss, train_accuracy) = evaluate(&model, &dataset.train, spec, n_train, device);
    let (test_loss, test_accuracy) =
        evaluate(&model, &dataset.test, spec, dataset.test.len(), device);
    let metrics = FinalMetrics {
        train_loss,
        train_accuracy,
        test_loss,
        test_accuracy,
        n_parameters: model.num_params(),
        train_seconds: seconds_before + started.elapsed().as_secs_f64(),
        epochs_run,
        fitted_at_step,
    };
    Ok(TrainOutcome {
        initial,
        model,
        model_config,
        curves,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_correct_known_answer() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.5], [3, 2]),
            &device,
        );
        let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0, 0], [3]), &device);
        assert_eq!(count_correct(logits, targets), 2);
    }

    #[test]
    fn validation_names_the_bad_field() {
        let split = Split {
            images: vec![0; 4 * 16 * 16],
            labels: vec![0, 1, 0, 1],
            image_len: 256,
        };
        let dataset = Dataset::new(
            "tiny",
            String::new(),
            [1, 16, 16],
            vec!["a".into(), "b".into()],
            split.clone(),
            split,
        );
        let good = ExperimentConfig {
            name: None,
            dataset: "tiny".into(),
            model: ModelKind::Lenet,
            n_train: Some(4),
            epochs: 1,
            seed: 0,
            learning_rate: 0.1,
            batch_size: 2,
            optimizer: OptimizerKind::Sgd,
            randomization: Default::default(),
            stop_at_train_accuracy: None,
            augmentation: Default::default(),
            patches: Default::default(),
            scattering: Default::default(),
        };
        assert!(validate(&good, &dataset).is_ok());
        let check = |config: ExperimentConfig, needle: &str| {
            let message = validate(&config, &dataset).expect_err(needle).to_string();
            assert!(message.contains(needle), "{message}");
        };
        check(
            ExperimentConfig {
                n_train: Some(5),
                ..good.clone()
            },
            "n_train",
        );
        check(
            ExperimentConfig {
                epochs: 0,
                ..good.clone()
            },
            "epochs",
        );
        check(
            ExperimentConfig {
                learning_rate: f64::NAN,
                ..good.clone()
            },
            "learning_rate",
        );
        check(
            ExperimentConfig {
                batch_size: 5000,
                ..good.clone()
            },
            "batch_size",
        );
        check(
            ExperimentConfig {
                randomization: memlab_shared::api::Randomization {
                    label_corruption: 1.5,
                    ..Default::default()
                },
                ..good.clone()
            },
            "label_corruption",
        );
        check(
            ExperimentConfig {
                stop_at_train_accuracy: Some(0.0),
                ..good.clone()
            },
            "stop_at_train_accuracy",
        );
        let small = Dataset::new(
            "small",
            String::new(),
            [1, 8, 8],
            vec!["a".into()],
            Split {
                images: vec![0; 64],
                labels: vec![0],
                image_len: 64,
            },
            Split {
                images: vec![],
                labels: vec![],
                image_len: 64,
            },
        );
        let lenet = ExperimentConfig {
            dataset: "small".into(),
            n_train: None,
            ..good
        };
        assert!(
            validate(&lenet, &small)
                .expect_err("too small")
                .to_string()
                .contains("12×12")
        );
    }

    #[test]
    fn splitmix_known_answer() {
        // Reference values of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        let mut generator = SplitMix64::new(0);
        assert_eq!(generator.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(generator.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }
}
