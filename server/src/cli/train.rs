//! `memlab train`: one run from the command line, stored like the server's, with a progress bar.

use super::common::{Common, choose_device, datasets_dir};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use memlab_science::run;
use memlab_science::training;
use memlab_shared::api::{
    Augmentation, ExperimentConfig, InputRandomization, JobStatus, ModelKind, OptimizerKind,
    PatchSettings, Randomization, ScatteringSettings, TrainingEvent,
};
use memlab_store::{self as store, Files, artifacts};

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name (`mnist`, `fashion-mnist`, or an image folder's name).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Architecture.
    #[arg(long, value_enum, default_value = "lenet")]
    model: ModelKind,
    /// Training examples (default: all).
    #[arg(long)]
    n_train: Option<usize>,
    /// Epochs.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Learning rate.
    #[arg(long, default_value_t = 2e-3)]
    learning_rate: f64,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value = "adam")]
    optimizer: OptimizerKind,
    /// Randomization test: probability that a training label is replaced by a random class.
    #[arg(long, default_value_t = 0.0)]
    label_corruption: f64,
    /// Randomization test on the inputs.
    #[arg(long, value_enum, default_value = "none")]
    inputs: InputRandomization,
    /// Stop after the first epoch reaching this training accuracy (epochs is then a cap).
    #[arg(long)]
    stop_at_train_accuracy: Option<f64>,
    /// Augmentation: rotate each training image by up to ± this many degrees.
    #[arg(long, default_value_t = 0.0)]
    augment_rotation: f64,
    /// Augmentation: translate each training image by up to ± this many pixels on each axis.
    #[arg(long, default_value_t = 0.0)]
    augment_translation: f64,
    /// Augmentation: zoom each training image by a factor in [1 − s, 1 + s].
    #[arg(long, default_value_t = 0.0)]
    augment_scale: f64,
    /// Augmentation: mirror each training image left–right with probability 1/2.
    #[arg(long)]
    augment_flip: bool,
    /// Patch model: patch side p.
    #[arg(long, default_value_t = PatchSettings::default().patch)]
    patch_size: usize,
    /// Patch model: dictionary size Q.
    #[arg(long, default_value_t = PatchSettings::default().atoms)]
    atoms: usize,
    /// Patch model: atoms marked per patch, k (default 0.4 Q).
    #[arg(long)]
    neighbors: Option<usize>,
    /// Patch model: marks are averaged over a grid × grid of regions.
    #[arg(long, default_value_t = PatchSettings::default().grid)]
    grid: usize,
    /// Patch model: whitening regularizer ε.
    #[arg(long, default_value_t = 1e-3)]
    whitening: f64,
    /// Patch model: no whitening (W = I).
    #[arg(long)]
    no_whitening: bool,
    /// Patch model: training images the whitening and the atoms come from.
    #[arg(long, default_value_t = PatchSettings::default().dictionary_images)]
    dictionary_images: usize,
    /// Patch model: width of a hidden ReLU layer before the head; scattering: width of the
    /// hybrid CNN (default: a linear head).
    #[arg(long)]
    hidden: Option<usize>,
    /// Scattering: scales J.
    #[arg(long, default_value_t = ScatteringSettings::default().scales)]
    scales: usize,
    /// Scattering: angles L.
    #[arg(long, default_value_t = ScatteringSettings::default().angles)]
    angles: usize,
    /// Scattering: training images the standardization comes from.
    #[arg(long, default_value_t = ScatteringSettings::default().calibration_images)]
    calibration_images: usize,
}

pub(crate) async fn train(args: TrainArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let config = ExperimentConfig {
        name: None,
        dataset: args.dataset.clone(),
        model: args.model,
        n_train: args.n_train,
        epochs: args.epochs,
        seed: args.seed,
        learning_rate: args.learning_rate,
        batch_size: args.batch_size,
        optimizer: args.optimizer,
        randomization: Randomization {
            label_corruption: args.label_corruption,
            inputs: args.inputs,
        },
        stop_at_train_accuracy: args.stop_at_train_accuracy,
        augmentation: Augmentation {
            rotation: args.augment_rotation,
            translation: args.augment_translation,
            scale: args.augment_scale,
            horizontal_flip: args.augment_flip,
        },
        patches: if args.model == ModelKind::Patches {
            PatchSettings {
                patch: args.patch_size,
                atoms: args.atoms,
                neighbors: args.neighbors,
                grid: args.grid,
                whitening: (!args.no_whitening).then_some(args.whitening),
                dictionary_images: args.dictionary_images,
                hidden: args.hidden,
            }
        } else {
            PatchSettings::default()
        },
        scattering: if args.model == ModelKind::Scattering {
            ScatteringSettings {
                scales: args.scales,
                angles: args.angles,
                calibration_images: args.calibration_images,
                hidden: args.hidden,
            }
        } else {
            ScatteringSettings::default()
        },
    };
    let catalog = memlab_science::data::Catalog::new(datasets_dir(&args.common));
    let dataset = catalog.get(&config.dataset)?;
    training::validate(&config, &dataset)?;
    std::fs::create_dir_all(&args.common.data_dir)?;
    let pool = store::connect(&args.common.data_dir).await?;
    let files = store::LocalDir::new(&args.common.data_dir);
    let name = format!("{} on {} (cli)", config.model.label(), config.dataset);
    let id = store::experiments::insert(&pool, &name, &config, JobStatus::Running, false).await?;
    println!("experiment {id}: {name} on {device_name}");
    let bar = ProgressBar::new(1000);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg}",
    )?);
    let mut on_event = |event: TrainingEvent| match event {
        TrainingEvent::Progress(progress) => {
            bar.set_position((progress.fraction * 1000.0) as u64);
            bar.set_message(format!(
                "epoch {}/{} loss {:.4} acc {:.4} {:.0} img/s",
                progress.epoch,
                progress.epochs,
                progress.loss,
                progress.accuracy,
                progress.images_per_second
            ));
        }
        TrainingEvent::Epoch(metrics) => bar.suspend(|| {
            println!(
                "epoch {}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.0} img/s",
                metrics.epoch,
                metrics.train_loss,
                metrics.train_accuracy,
                metrics.test_loss,
                metrics.test_accuracy,
                metrics.images_per_second
            )
        }),
        TrainingEvent::Status { .. } => {}
    };
    let outcome = match run::train(&dataset, &config, &device, &mut on_event) {
        Ok(outcome) => outcome,
        Err(error) => {
            store::experiments::set_failed(&pool, id, &error.to_string()).await?;
            return Err(error.into());
        }
    };
    bar.finish_and_clear();
    let card = artifacts::ModelCard {
        model: outcome.model_config.clone(),
        input: dataset.info.input.clone(),
        class_names: dataset.info.class_names.clone(),
    };
    artifacts::save(&files, id, &card, &outcome.model, &outcome.initial)?;
    store::experiments::set_done(&pool, id, &outcome.curves, &outcome.metrics, &card).await?;
    let metrics = &outcome.metrics;
    println!(
        "done in {:.1} s: train accuracy {:.4}, test accuracy {:.4} ({} parameters)",
        metrics.train_seconds, metrics.train_accuracy, metrics.test_accuracy, metrics.n_parameters
    );
    if matches!(config.model, ModelKind::Patches | ModelKind::Scattering) {
        return Ok(());
    }
    // Inference throughput of the trained network on the test split (what bench/pytorch.sh
    // compares): one warm-up pass, then a timed one.
    let spec = &dataset.info.input;
    let n_test = dataset.test.len();
    training::evaluate(&outcome.model, &dataset.test, spec, n_test, &device);
    let started = std::time::Instant::now();
    training::evaluate(&outcome.model, &dataset.test, spec, n_test, &device);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "inference: {n_test} test images in {seconds:.2} s: {:.0} images/s (batches of 1000)",
        n_test as f64 / seconds.max(1e-9)
    );
    println!(
        "weights: {}",
        files.location(&artifacts::experiment_key(id))
    );
    Ok(())
}
