//! Training and data against known answers: learnability of a separable set, seeded
//! reproducibility, the PyTorch layout of the safetensors export, and MNIST's published counts.

mod common;

use burn::prelude::*;
use memlab_science::data::Catalog;
use memlab_science::rng::seeded_init;
use memlab_science::run::{train, train_resumable};
use memlab_science::training::TrainError;
use memlab_science::weights::{ModelCard, load_model, pytorch_safetensors, record_bytes};
use memlab_shared::api::{
    Augmentation, EpochMetrics, ExperimentConfig, FinalMetrics, OptimizerKind, TrainingEvent,
};
use memlab_shared::model::{ClassifierConfig, MlpConfig};

fn toy_catalog(dir: &std::path::Path) -> Catalog {
    common::write_toy_dataset(dir);
    Catalog::new(dir.to_owned())
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = toy_catalog(dir.path()).get("toy").expect("toy");
    let device = Device::flex();
    let run =
        |seed| train(&dataset, &common::toy_config(seed), &device, &mut |_| {}).expect("train");
    let (first, second, other) = (run(7), run(7), run(8));
    assert_eq!(first.metrics.train_accuracy, 1.0);
    assert_eq!(
        first
            .curves
            .iter()
            .map(|c| c.train_loss)
            .collect::<Vec<_>>(),
        second
            .curves
            .iter()
            .map(|c| c.train_loss)
            .collect::<Vec<_>>()
    );
    assert_eq!(parameters(&first.model), parameters(&second.model));
    assert_eq!(parameters(&first.initial), parameters(&second.initial));
    assert_ne!(
        parameters(&first.initial),
        parameters(&first.model),
        "training moved the weights"
    );
    assert_ne!(parameters(&first.model), parameters(&other.model));
}

/// A run that goes on from the checkpoint of any finished epoch ends exactly where the
/// uninterrupted run ends: same weights, curves and metrics (timings aside), for Adam (whose
/// moments the checkpoint carries), SGD, and an augmented run (whose generator it carries).
#[test]
fn a_resumed_run_ends_where_the_uninterrupted_one_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = toy_catalog(dir.path()).get("toy").expect("toy");
    let device = Device::flex();
    let adam = common::toy_config(11);
    let sgd = ExperimentConfig {
        optimizer: OptimizerKind::Sgd,
        ..common::toy_config(12)
    };
    let augmented = ExperimentConfig {
        augmentation: Augmentation {
            rotation: 20.0,
            translation: 0.1,
            ..Default::default()
        },
        ..common::toy_config(13)
    };
    let scrub = |curves: &[EpochMetrics]| -> Vec<EpochMetrics> {
        curves
            .iter()
            .map(|c| EpochMetrics {
                images_per_second: 0.0,
                ..c.clone()
            })
            .collect()
    };
    for config in [adam, sgd, augmented] {
        let mut checkpoints = Vec::new();
        let whole = train_resumable(
            &dataset,
            &config,
            &device,
            None,
            &mut |_| {},
            &mut |c| {
                checkpoints.push(c);
                Ok(())
            },
            &|| false,
        )
        .expect("train");
        assert_eq!(
            checkpoints.len(),
            config.epochs - 1,
            "one after each epoch but the last"
        );
        // Asked to stop after the first step, an epoch's last, one in the middle, the next to
        // last.
        let per_epoch = whole.curves[0].steps;
        assert!(per_epoch >= 3, "{per_epoch}");
        for stop_after in [1, per_epoch, per_epoch + 2, 3 * per_epoch - 1] {
            let steps = std::cell::Cell::new(0);
            let mut stopped = None;
            let error = train_resumable(
                &dataset,
                &config,
                &device,
                None,
                &mut |_| {},
                &mut |c| {
                    stopped = Some(c);
                    Ok(())
                },
                &|| {
                    steps.set(steps.get() + 1);
                    steps.get() == stop_after
                },
            )
            .expect_err("stopped");
            assert!(matches!(error, TrainError::Stopped(_)), "{error}");
            let stopped = stopped.expect("the stop's checkpoint");
            assert_eq!(
                (stopped.progress.epochs_done, stopped.progress.step),
                (
                    (stop_after - 1) / per_epoch,
                    (stop_after - 1) % per_epoch + 1
                ),
                "{stop_after}"
            );
            checkpoints.push(stopped);
        }
        for checkpoint in &checkpoints {
            let done = checkpoint.progress.epochs_done;
            assert_eq!(
                scrub(&checkpoint.progress.curves),
                scrub(&whole.curves[..done])
            );
            let mut events = 0;
            let resumed = train_resumable(
                &dataset,
                &config,
                &device,
                Some(checkpoint),
                &mut |event| events += usize::from(matches!(event, TrainingEvent::Epoch(_))),
                &mut |_| Ok(()),
                &|| false,
            )
            .expect("resume");
            assert_eq!(
                events,
                config.epochs - done,
                "only the remaining epochs run"
            );
            // (Compared whole, not printed: the weights are long.)
            assert!(
                parameters(&resumed.model) == parameters(&whole.model),
                "resumed after {done} epochs, other weights: {config:?}"
            );
            assert!(parameters(&resumed.initial) == parameters(&whole.initial));
            assert_eq!(scrub(&resumed.curves), scrub(&whole.curves));
            let timeless = |m: &FinalMetrics| FinalMetrics {
                train_seconds: 0.0,
                ..m.clone()
            };
            assert_eq!(timeless(&resumed.metrics), timeless(&whole.metrics));
            assert!(resumed.metrics.train_seconds >= checkpoint.progress.seconds);
        }
    }
    // A stopped run (its checkpoint hook fails) reports why.
    let error = train_resumable(
        &dataset,
        &common::toy_config(1),
        &device,
        None,
        &mut |_| {},
        &mut |_| Err(TrainError::Checkpoint("disk full".into())),
        &|| false,
    )
    .expect_err("stopped");
    assert!(error.to_string().contains("disk full"), "{error}");
}

/// Every parameter's name and bytes (parameter ids, which differ between runs, left out).
fn parameters(model: &memlab_shared::model::Classifier) -> Vec<(String, Vec<u8>)> {
    let export = pytorch_safetensors(model).expect("export");
    let tensors = safetensors::SafeTensors::deserialize(&export).expect("parse");
    let mut all: Vec<(String, Vec<u8>)> = tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, view.data().to_vec()))
        .collect();
    all.sort();
    all
}

#[test]
fn record_round_trip_keeps_outputs() {
    let device = Device::flex();
    let config = ClassifierConfig::Mlp(MlpConfig::new(6, vec![5], 3));
    let model = seeded_init(&config, &device, 3);
    let card = ModelCard {
        model: config.clone(),
        input: memlab_shared::preprocess::InputSpec::raw(1, 2, 3),
        class_names: vec!["a".into(), "b".into(), "c".into()],
    };
    let restored = load_model(&card, &record_bytes(&model).expect("bytes"), &device).expect("load");
    let input = Tensor::<4>::from_data(
        TensorData::new(
            (0..12).map(|v| v as f32 / 7.0).collect::<Vec<_>>(),
            [2, 1, 2, 3],
        ),
        &device,
    );
    let before: Vec<f32> = model
        .forward(input.clone())
        .into_data()
        .try_into_vec()
        .expect("vec");
    let after: Vec<f32> = restored
        .forward(input)
        .into_data()
        .try_into_vec()
        .expect("vec");
    assert_eq!(before, after);
    assert!(load_model(&card, b"garbage", &device).is_err());
}

/// y = x Wᵀ + b computed by hand from the exported tensors, as PyTorch's `nn.Linear` does.
#[test]
fn safetensors_export_matches_pytorch_semantics() {
    let device = Device::flex();
    let model = seeded_init(
        &ClassifierConfig::Mlp(MlpConfig::new(4, vec![3], 2)),
        &device,
        4,
    );
    let export = pytorch_safetensors(&model).expect("export");
    let tensors = safetensors::SafeTensors::deserialize(&export).expect("parse");
    let read = |name: &str| -> (Vec<usize>, Vec<f32>) {
        let view = tensors.tensor(name).expect(name);
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        (view.shape().to_vec(), values)
    };
    let linear =
        |x: &[f32], weight: &(Vec<usize>, Vec<f32>), bias: &(Vec<usize>, Vec<f32>)| -> Vec<f32> {
            let (out, inp) = (weight.0[0], weight.0[1]);
            (0..out)
                .map(|o| bias.1[o] + (0..inp).map(|i| weight.1[o * inp + i] * x[i]).sum::<f32>())
                .collect()
        };
    let (w1, b1, w2, b2) = (
        read("hidden.0.weight"),
        read("hidden.0.bias"),
        read("head.weight"),
        read("head.bias"),
    );
    assert_eq!(
        (w1.0.clone(), w2.0.clone()),
        (vec![3, 4], vec![2, 3]),
        "PyTorch layout is [out, in]"
    );
    let x = [0.5f32, -1.0, 2.0, 0.25];
    let hidden: Vec<f32> = linear(&x, &w1, &b1)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let expected = linear(&hidden, &w2, &b2);
    let input = Tensor::<4>::from_data(TensorData::new(x.to_vec(), [1, 1, 2, 2]), &device);
    let got: Vec<f32> = model
        .forward(input)
        .into_data()
        .try_into_vec()
        .expect("vec");
    for (a, b) in got.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-5, "burn {got:?} vs by hand {expected:?}");
    }
}

/// MNIST as installed by `cargo xtask setup` has the published sizes, class counts and labels.
#[test]
fn mnist_matches_published_counts() {
    let catalog = Catalog::new(memlab_science::data::default_dir());
    let mnist = catalog
        .get("mnist")
        .expect("MNIST is missing: run `cargo xtask setup`");
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert_eq!(
        mnist.train.class_counts(10),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        mnist.test.class_counts(10),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(&mnist.train.labels[..5], [5, 0, 4, 1, 9]);
    assert_eq!(&mnist.test.labels[..5], [7, 2, 1, 0, 4]);
    // The classic normalization constants of MNIST, recomputed from the pixels.
    assert!(
        (mnist.info.input.mean[0] - 0.1307).abs() < 1e-4,
        "{:?}",
        mnist.info.input.mean
    );
    assert!(
        (mnist.info.input.std[0] - 0.3081).abs() < 1e-4,
        "{:?}",
        mnist.info.input.std
    );
    let fashion = catalog
        .get("fashion-mnist")
        .expect("Fashion-MNIST is missing: run `cargo xtask setup`");
    assert_eq!(fashion.train.class_counts(10), [6000; 10]);
    assert_eq!(fashion.test.class_counts(10), [1000; 10]);
}

/// A whitened-patch run: only the head moves; the accuracies it reports from its fast
/// encoding are those of the network's own forward pass (`topk` on the device); the saved
/// record restores the same network, fixed encoder included.
#[test]
fn a_patch_run_trains_its_head_on_the_networks_encoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = toy_catalog(dir.path()).get("toy").expect("toy");
    let device = Device::flex();
    let config = ExperimentConfig {
        model: memlab_shared::api::ModelKind::Patches,
        epochs: 12,
        patches: memlab_shared::api::PatchSettings {
            patch: 4,
            atoms: 16,
            grid: 2,
            dictionary_images: 20,
            ..Default::default()
        },
        ..common::toy_config(3)
    };
    let mut progress = 0;
    let outcome = train(&dataset, &config, &device, &mut |event| {
        if let TrainingEvent::Progress(p) = event {
            progress += 1;
            assert!((0.0..=1.0).contains(&p.fraction));
        }
    })
    .expect("train");
    assert!(progress >= 12, "progress events: {progress}");
    assert_eq!(outcome.curves.len(), 12);
    assert_eq!(outcome.metrics.train_accuracy, 1.0, "{:?}", outcome.metrics);
    let spec = &dataset.info.input;
    // Accuracy of a network's own forward pass on a whole split.
    let accuracy = |model: &memlab_shared::model::Classifier,
                    split: &memlab_science::data::Split| {
        memlab_science::training::evaluate(model, split, spec, split.len(), &device).1
    };
    assert_eq!(
        accuracy(&outcome.model, &dataset.test),
        outcome.metrics.test_accuracy
    );
    assert_eq!(
        accuracy(&outcome.model, &dataset.train),
        outcome.metrics.train_accuracy
    );
    // Only the head differs between the initial and the trained network.
    let (trained, initial) = (parameters(&outcome.model), parameters(&outcome.initial));
    assert_eq!(trained.len(), initial.len());
    for ((name, after), (_, before)) in trained.iter().zip(&initial) {
        assert_eq!(name.starts_with("head"), after != before, "{name}");
    }
    // The record round trip keeps the fixed encoder.
    let card = ModelCard {
        model: outcome.model_config.clone(),
        input: spec.clone(),
        class_names: dataset.info.class_names.clone(),
    };
    let restored = load_model(
        &card,
        &record_bytes(&outcome.model).expect("bytes"),
        &device,
    )
    .expect("load");
    assert_eq!(parameters(&restored), trained);
    // With a hidden layer, it and the head train; the encoder stays.
    let deeper = train(
        &dataset,
        &ExperimentConfig {
            patches: memlab_shared::api::PatchSettings {
                hidden: Some(8),
                ..config.patches
            },
            ..config.clone()
        },
        &device,
        &mut |_| {},
    )
    .expect("train");
    let (trained, initial) = (parameters(&deeper.model), parameters(&deeper.initial));
    assert!(trained.iter().any(|(name, _)| name.starts_with("hidden")));
    for ((name, after), (_, before)) in trained.iter().zip(&initial) {
        let trains = name.starts_with("head") || name.starts_with("hidden");
        assert_eq!(trains, after != before, "{name}");
    }
    assert_eq!(
        accuracy(&deeper.model, &dataset.test),
        deeper.metrics.test_accuracy
    );
    // Settings for another model are refused, as are bad ones.
    let invalid = |config: ExperimentConfig| match train(&dataset, &config, &device, &mut |_| {}) {
        Err(TrainError::Invalid(message)) => message,
        other => panic!("expected a refusal, got {:?}", other.map(|o| o.metrics)),
    };
    let message = invalid(ExperimentConfig {
        model: memlab_shared::api::ModelKind::Mlp,
        ..config.clone()
    });
    assert!(message.contains("model \"patches\" only"), "{message}");
    for (patches, field) in [
        (
            memlab_shared::api::PatchSettings {
                patch: 17,
                ..config.patches
            },
            "patches.patch",
        ),
        (
            memlab_shared::api::PatchSettings {
                neighbors: Some(16),
                ..config.patches
            },
            "patches.neighbors",
        ),
        (
            memlab_shared::api::PatchSettings {
                grid: 14,
                ..config.patches
            },
            "patches.grid",
        ),
        (
            memlab_shared::api::PatchSettings {
                dictionary_images: 1000,
                ..config.patches
            },
            "patches.dictionary_images",
        ),
        (
            memlab_shared::api::PatchSettings {
                whitening: Some(-1.0),
                ..config.patches
            },
            "patches.whitening",
        ),
    ] {
        let message = invalid(ExperimentConfig {
            patches,
            ..config.clone()
        });
        assert!(message.contains(field), "{field}: {message}");
    }
    let message = invalid(ExperimentConfig {
        augmentation: Augmentation {
            rotation: 10.0,
            ..Default::default()
        },
        ..config.clone()
    });
    assert!(message.contains("augmentation"), "{message}");
}

/// A scattering run trains only the layers after the fixed transform; its reported accuracies
/// are those of the saved network's own forward pass (scattering included), which the record
/// restores; its settings are range-checked.
#[test]
fn a_scattering_run_trains_only_after_the_transform() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = toy_catalog(dir.path()).get("toy").expect("toy");
    let device = Device::flex();
    let spec = &dataset.info.input;
    let accuracy = |model: &memlab_shared::model::Classifier,
                    split: &memlab_science::data::Split| {
        memlab_science::training::evaluate(model, split, spec, split.len(), &device).1
    };
    let linear = ExperimentConfig {
        model: memlab_shared::api::ModelKind::Scattering,
        epochs: 8,
        scattering: memlab_shared::api::ScatteringSettings {
            scales: 2,
            angles: 4,
            calibration_images: 20,
            hidden: None,
        },
        ..common::toy_config(3)
    };
    for config in [
        linear.clone(),
        ExperimentConfig {
            scattering: memlab_shared::api::ScatteringSettings {
                hidden: Some(4),
                ..linear.scattering
            },
            ..linear.clone()
        },
    ] {
        let outcome = train(&dataset, &config, &device, &mut |_| {}).expect("train");
        assert_eq!(outcome.curves.len(), 8);
        assert_eq!(outcome.metrics.train_accuracy, 1.0, "{:?}", outcome.metrics);
        assert_eq!(
            accuracy(&outcome.model, &dataset.test),
            outcome.metrics.test_accuracy
        );
        assert_eq!(
            accuracy(&outcome.model, &dataset.train),
            outcome.metrics.train_accuracy
        );
        let (trained, initial) = (parameters(&outcome.model), parameters(&outcome.initial));
        assert_eq!(trained.len(), initial.len());
        for ((name, after), (_, before)) in trained.iter().zip(&initial) {
            let trains = name.starts_with("head") || name.starts_with("cnn");
            assert_eq!(trains, after != before, "{name}");
        }
        let card = ModelCard {
            model: outcome.model_config.clone(),
            input: spec.clone(),
            class_names: dataset.info.class_names.clone(),
        };
        let restored = load_model(
            &card,
            &record_bytes(&outcome.model).expect("bytes"),
            &device,
        )
        .expect("load");
        assert_eq!(parameters(&restored), trained);
    }
    let invalid = |config: ExperimentConfig| match train(&dataset, &config, &device, &mut |_| {}) {
        Err(TrainError::Invalid(message)) => message,
        other => panic!("expected a refusal, got {:?}", other.map(|o| o.metrics)),
    };
    let message = invalid(ExperimentConfig {
        model: memlab_shared::api::ModelKind::Lenet,
        ..linear.clone()
    });
    assert!(message.contains("model \"scattering\" only"), "{message}");
    for (scattering, field) in [
        (
            memlab_shared::api::ScatteringSettings {
                // 2^5 > 16, the toy images' side.
                scales: 5,
                ..linear.scattering
            },
            "scattering.scales",
        ),
        (
            memlab_shared::api::ScatteringSettings {
                angles: 0,
                ..linear.scattering
            },
            "scattering.angles",
        ),
        (
            memlab_shared::api::ScatteringSettings {
                calibration_images: 50,
                ..linear.scattering
            },
            "scattering.calibration_images",
        ),
        (
            memlab_shared::api::ScatteringSettings {
                hidden: Some(0),
                ..linear.scattering
            },
            "scattering.hidden",
        ),
    ] {
        let message = invalid(ExperimentConfig {
            scattering,
            ..linear.clone()
        });
        assert!(message.contains(field), "{field}: {message}");
    }
}
