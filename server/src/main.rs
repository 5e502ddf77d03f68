//! The `memlab` command: `serve` (HTTP API + frontend + training queue), `train` (one run
//! from the command line with a progress bar) and `bounds` (the bound panel of a finished run).
//! The device is chosen here, once.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use burn::prelude::Device;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use memlab_science::batch;
use memlab_science::bounds::settings as bound_settings;
use memlab_science::run;
use memlab_science::{lie, symmetry, training};
use memlab_server::ServeOptions;
use memlab_server::analysis::{
    bounds as bound_jobs, lie as lie_jobs, probes as probe_jobs, symmetry as symmetry_jobs,
};
use memlab_server::demo::DemoSettings;
use memlab_shared::api::{
    Augmentation, Experiment, ExperimentConfig, InputRandomization, JobStatus, ModelKind,
    OptimizerKind, PatchSettings, Randomization, ScatteringSettings, TrainingEvent,
};
use memlab_shared::bounds::{BoundRequest, PacBayesPrior, PacBayesRequest};
use memlab_shared::lie::{CANONICAL, LieRequest};
use memlab_shared::probes::ProbeRequest;
use memlab_shared::symmetry::{SymmetryMode, SymmetryRequest, SymmetrySearch};
use memlab_store::analyses::AnalysisKind;
use memlab_store::{self as store, artifacts};

#[derive(Debug, Parser)]
#[command(
    name = "memlab",
    version,
    about = "A lab for memorization in deep learning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the browser app, and train queued experiments.
    Serve(ServeArgs),
    /// Train one experiment from the command line (stored like one queued in the app).
    Train(TrainArgs),
    /// Compute the generalization-bound panel of a finished experiment and store it.
    Bounds(BoundsArgs),
    /// Probe a finished experiment's invariance to the classical transforms and store it.
    Probe(ProbeArgs),
    /// Learn a symmetry L_θ of a finished experiment's model against a discriminator.
    Symmetry(SymmetryArgs),
    /// Find the affine generators a finished experiment's model is invariant to.
    Lie(LieArgs),
    /// The geometry of a data set's patches: PCA spectra and intrinsic dimension per size.
    Geometry(GeometryArgs),
    /// The scattering transform of a few test images, with its filters, as JSON (what
    /// `bench/scattering_kymatio.sh` compares with Kymatio).
    Scattering(ScatteringArgs),
}

#[derive(Debug, Args)]
struct ScatteringArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Test images (the first ones).
    #[arg(long, default_value_t = 3)]
    images: usize,
    /// Scales J.
    #[arg(long, default_value_t = 2)]
    scales: usize,
    /// Angles L.
    #[arg(long, default_value_t = 8)]
    angles: usize,
    /// Where the JSON goes.
    #[arg(long)]
    json: PathBuf,
}

#[derive(Debug, Args)]
struct GeometryArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Smallest patch side.
    #[arg(long, default_value_t = 3)]
    min_patch: usize,
    /// Largest patch side.
    #[arg(long, default_value_t = 9)]
    max_patch: usize,
    /// Patches drawn per side (distinct ones enter the nearest-neighbour estimators).
    #[arg(long, default_value_t = 4000)]
    patches: usize,
    /// Training images the patches are drawn from (the first ones).
    #[arg(long, default_value_t = 10_000)]
    images: usize,
    /// Whitening regularizer ε.
    #[arg(long, default_value_t = 1e-3)]
    whitening: f64,
    /// Levina–Bickel neighbours.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the full result (spectra included) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct LieArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Test images.
    #[arg(long)]
    images: Option<usize>,
    /// Finite-difference step (RMS pixel displacement).
    #[arg(long)]
    step: Option<f64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Keep the model's penultimate features.
    FromPhi,
    /// Keep the true label.
    FromLabels,
}

#[derive(Debug, Args)]
struct SymmetryArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// What L must keep.
    #[arg(long, value_enum, default_value = "from-phi")]
    mode: ModeArg,
    /// Generator steps.
    #[arg(long)]
    steps: Option<usize>,
    /// Images per step.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Adam step size of both networks.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// λ_adv, weight of the adversarial term.
    #[arg(long)]
    adversarial_weight: Option<f64>,
    /// λ_nt, weight of the non-triviality term.
    #[arg(long)]
    nontrivial_weight: Option<f64>,
    /// τ, the least RMS change of an image.
    #[arg(long)]
    min_change: Option<f64>,
    /// q, the fraction of (2×2-pooled) pixels, those that change most, over which τ is
    /// measured (1: the whole image).
    #[arg(long)]
    change_fraction: Option<f64>,
    /// λ_inv, weight of the involution term ‖L(L x) − x‖².
    #[arg(long)]
    involution_weight: Option<f64>,
    /// λ_1, weight of the mean of L's mask (sparsity).
    #[arg(long)]
    sparsity_weight: Option<f64>,
    /// Discriminator steps per generator step.
    #[arg(long)]
    discriminator_steps: Option<usize>,
    /// λ_flip, weight of the flip term through the discovered splitter (0: no discovery).
    #[arg(long)]
    flip_weight: Option<f64>,
    /// Self-training rounds of the splitter.
    #[arg(long)]
    splitter_rounds: Option<usize>,
    /// Where L starts: `game` (the identity) or `reflection` (the best latent reflection,
    /// distilled, then the game).
    #[arg(long, value_parser = parse_search)]
    search: Option<SymmetrySearch>,
    /// Diagnosis only: regression steps onto the oracle pairs (x, L* x) before the game.
    #[arg(long)]
    basin_steps: Option<usize>,
    /// Seed of the networks and batches.
    #[arg(long)]
    seed: Option<u64>,
}

/// A search named on the command line.
fn parse_search(text: &str) -> Result<SymmetrySearch, String> {
    SymmetrySearch::ALL
        .into_iter()
        .find(|search| search.as_str() == text)
        .ok_or_else(|| format!("unknown search {text:?} (game or reflection)"))
}

#[derive(Debug, Args)]
struct ProbeArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Test images probed.
    #[arg(long, default_value_t = memlab_science::probes::N_IMAGES)]
    images: usize,
    /// Seed of the test subset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Args)]
struct BoundsArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Confidence parameter δ of every bound.
    #[arg(long, default_value_t = bound_settings::DEFAULT_DELTA)]
    delta: f64,
    /// Also optimize and certify a PAC-Bayes posterior (Dziugaite & Roy).
    #[arg(long)]
    pac_bayes: bool,
    /// Gradient steps of the PAC-Bayes posterior.
    #[arg(long)]
    steps: Option<usize>,
    /// Monte-Carlo draws of the PAC-Bayes certificate.
    #[arg(long)]
    samples: Option<usize>,
    /// Adam step size of the PAC-Bayes posterior.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Initial prior (and posterior) standard deviation of the PAC-Bayes posterior.
    #[arg(long)]
    initial_std: Option<f64>,
    /// Centre the PAC-Bayes prior on a network trained on the first half of the training set.
    #[arg(long)]
    data_dependent_prior: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceChoice {
    /// burn's flex CPU backend (always available).
    Cpu,
    /// burn's wgpu runtime on a GPU (build with `--features wgpu`).
    Wgpu,
}

#[derive(Debug, Args)]
struct Common {
    /// Folder of the SQLite store and the experiments' artifacts.
    #[arg(long, env = "MEMLAB_DATA_DIR", default_value = "memlab-data")]
    data_dir: PathBuf,
    /// Folder of the data sets (`cargo xtask setup` fills it).
    #[arg(long, env = "MEMLAB_DATASETS_DIR")]
    datasets_dir: Option<PathBuf>,
    /// Device to train on.
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceChoice,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Address to listen on.
    #[arg(long, env = "MEMLAB_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built frontend (Trunk's output).
    #[arg(long, env = "MEMLAB_STATIC_DIR", default_value = "dist")]
    static_dir: PathBuf,
    /// Do not queue the demo experiment on an empty store.
    #[arg(long)]
    no_demo: bool,
    /// Epochs of the demo run.
    #[arg(long, default_value_t = DemoSettings::default().epochs)]
    demo_epochs: usize,
    /// Training examples of the demo run (default: all).
    #[arg(long)]
    demo_n_train: Option<usize>,
    /// Public demo: serve everything read-only (browsing, probing, uploads to probe); requests
    /// that start work or write need the admin token.
    #[arg(long, visible_alias = "public")]
    read_only: bool,
    /// A file holding the admin bearer token of a public server (at least 16 characters).
    #[arg(long, env = "MEMLAB_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct TrainArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name (`mnist`, `fashion-mnist`, or an image folder's name).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Architecture.
    #[arg(long, value_enum, default_value = "lenet")]
    model: ModelArg,
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
    optimizer: OptimizerArg,
    /// Randomization test: probability that a training label is replaced by a random class.
    #[arg(long, default_value_t = 0.0)]
    label_corruption: f64,
    /// Randomization test on the inputs.
    #[arg(long, value_enum, default_value = "none")]
    inputs: InputsArg,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InputsArg {
    None,
    ShuffledPixels,
    RandomPixels,
    Gaussian,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModelArg {
    Mlp,
    Lenet,
    Patches,
    Scattering,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OptimizerArg {
    Adam,
    Sgd,
}

/// The one place a backend is named.
fn choose_device(choice: DeviceChoice) -> anyhow::Result<(Device, String)> {
    match choice {
        DeviceChoice::Cpu => Ok((Device::flex(), "flex (CPU)".into())),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => {
            let device = Device::wgpu_options().init().context("initializing wgpu")?;
            Ok((device, "wgpu (GPU)".into()))
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "device {other:?} is not compiled in: rebuild with `--features {}`",
            format!("{other:?}").to_lowercase()
        ),
    }
}

fn datasets_dir(common: &Common) -> PathBuf {
    common.datasets_dir.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        home.join(".cache/memlab/datasets")
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    if !args.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %args.static_dir.display(), "no built frontend: run `cargo xtask build-web` (the API still works)");
    }
    let demo = (!args.no_demo).then_some(DemoSettings {
        n_train: args.demo_n_train,
        epochs: args.demo_epochs,
    });
    let admin_token = match &args.admin_token_file {
        Some(path) => {
            let token = std::fs::read_to_string(path)
                .with_context(|| format!("reading the admin token from {}", path.display()))?
                .trim()
                .to_owned();
            if token.chars().count() < 16 {
                bail!(
                    "the admin token in {} must have at least 16 characters",
                    path.display()
                );
            }
            Some(token)
        }
        None => None,
    };
    let state = memlab_server::build_state(ServeOptions {
        datasets_dir: datasets_dir(&args.common),
        data_dir: args.common.data_dir,
        static_dir: args.static_dir,
        demo,
        read_only: args.read_only,
        admin_token,
        device,
        device_name,
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let address = listener.local_addr()?;
    println!("memlab is serving on http://{address}/");
    memlab_server::run(listener, state, shutdown_signal()).await?;
    Ok(())
}

fn geometry_command(args: GeometryArgs) -> anyhow::Result<()> {
    use memlab_science::patches::geometry::{GeometrySettings, patch_geometry};
    let catalog = memlab_science::data::Catalog::new(datasets_dir(&args.common));
    let dataset = catalog.get(&args.dataset)?;
    let spec = &dataset.info.input;
    let side = spec.height.min(spec.width);
    if args.min_patch < 1 || args.min_patch > args.max_patch || args.max_patch > side {
        bail!("patch sides must satisfy 1 ≤ min ≤ max ≤ {side}");
    }
    if args.k < 3 || args.patches < args.k + 1 {
        bail!("k must be at least 3 and below the number of patches");
    }
    let images: Vec<usize> = (0..args.images.min(dataset.train.len()).max(1)).collect();
    let settings = GeometrySettings {
        sizes: (args.min_patch..=args.max_patch).collect(),
        count: args.patches,
        epsilon: args.whitening,
        k: args.k,
        seed: args.seed,
    };
    let started = std::time::Instant::now();
    let result = patch_geometry(&dataset.train, spec, &images, &settings);
    let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{} patches from {} images of {}; ε = {}, Levina–Bickel k = {}",
        args.patches,
        images.len(),
        args.dataset,
        args.whitening,
        args.k
    );
    println!("  p   dim  PCs(90%)  distinct  TwoNN raw  MLE raw  TwoNN white  MLE white");
    for g in &result {
        println!(
            "{:>3} {:>5} {:>9} {:>9} {:>10} {:>8} {:>12} {:>10}",
            g.patch,
            g.spectrum.len(),
            g.components_90,
            g.raw.points,
            show(g.raw.two_nn),
            show(g.raw.levina_bickel),
            show(g.whitened.two_nn),
            show(g.whitened.levina_bickel)
        );
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&result)?)?;
        println!("spectra written to {}", path.display());
    }
    Ok(())
}

/// Writes the scattering transform of the first test images of a data set, the input as the
/// network sees it (normalized) and every filter, as JSON.
fn scattering_command(args: ScatteringArgs) -> anyhow::Result<()> {
    use memlab_shared::model::ScatteringConfig;
    let (device, _) = choose_device(args.common.device)?;
    let catalog = memlab_science::data::Catalog::new(datasets_dir(&args.common));
    let dataset = catalog.get(&args.dataset)?;
    let spec = &dataset.info.input;
    let side = spec.height.min(spec.width);
    if args.scales == 0 || 1usize << args.scales > side || args.angles == 0 {
        bail!("need J ≥ 1 with 2^J ≤ {side}, and L ≥ 1");
    }
    let count = args.images.clamp(1, dataset.test.len());
    let indices: Vec<usize> = (0..count).collect();
    let (images, _) = batch::batch(&dataset.test, spec, &indices, &device);
    let config = ScatteringConfig::new(spec.height, spec.width, args.scales, args.angles);
    let started = std::time::Instant::now();
    let coefficients = config.init(&device).forward(images.clone());
    let shape = coefficients.dims();
    let values = |t: burn::Tensor<4>| -> anyhow::Result<Vec<f32>> {
        t.into_data()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    let (inputs, coefficients) = (values(images)?, values(coefficients)?);
    let seconds = started.elapsed().as_secs_f64();
    let bank = config.filter_bank();
    let json = serde_json::json!({
        "dataset": args.dataset,
        "scales": args.scales,
        "angles": args.angles,
        "input_shape": [count, spec.channels, spec.height, spec.width],
        "input": inputs,
        "shape": shape,
        "coefficients": coefficients,
        "padded": [bank.rows, bank.columns],
        "wavelets": bank.wavelets.iter().map(|w| serde_json::json!({
            "scale": w.scale, "angle": w.angle, "levels": w.levels,
        })).collect::<Vec<_>>(),
        "lowpass": bank.lowpass,
    });
    std::fs::write(&args.json, serde_json::to_vec(&json)?)?;
    println!(
        "{count} images of {}: {shape:?} coefficients in {seconds:.2} s, written to {}",
        args.dataset,
        args.json.display()
    );
    Ok(())
}

async fn train(args: TrainArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let config = ExperimentConfig {
        name: None,
        dataset: args.dataset.clone(),
        model: match args.model {
            ModelArg::Mlp => ModelKind::Mlp,
            ModelArg::Lenet => ModelKind::Lenet,
            ModelArg::Patches => ModelKind::Patches,
            ModelArg::Scattering => ModelKind::Scattering,
        },
        n_train: args.n_train,
        epochs: args.epochs,
        seed: args.seed,
        learning_rate: args.learning_rate,
        batch_size: args.batch_size,
        optimizer: match args.optimizer {
            OptimizerArg::Adam => OptimizerKind::Adam,
            OptimizerArg::Sgd => OptimizerKind::Sgd,
        },
        randomization: Randomization {
            label_corruption: args.label_corruption,
            inputs: match args.inputs {
                InputsArg::None => InputRandomization::None,
                InputsArg::ShuffledPixels => InputRandomization::ShuffledPixels,
                InputsArg::RandomPixels => InputRandomization::RandomPixels,
                InputsArg::Gaussian => InputRandomization::Gaussian,
            },
        },
        stop_at_train_accuracy: args.stop_at_train_accuracy,
        augmentation: Augmentation {
            rotation: args.augment_rotation,
            translation: args.augment_translation,
            scale: args.augment_scale,
            horizontal_flip: args.augment_flip,
        },
        patches: if matches!(args.model, ModelArg::Patches) {
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
        scattering: if matches!(args.model, ModelArg::Scattering) {
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
    artifacts::save(
        &args.common.data_dir,
        id,
        &card,
        &outcome.model,
        &outcome.initial,
    )?;
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
        artifacts::experiment_dir(&args.common.data_dir, id).display()
    );
    Ok(())
}

/// Runs one analysis in this process with a progress bar, stored like one a server ran.
async fn run_analysis<T: serde::Serialize>(
    pool: &store::SqlitePool,
    experiment: &Experiment,
    kind: AnalysisKind,
    request: &impl serde::Serialize,
    compute: impl FnOnce(&mut dyn FnMut(f64, &str)) -> Result<T, String>,
) -> anyhow::Result<T> {
    if !store::analyses::queue(pool, experiment.id, kind, request).await? {
        bail!(
            "the {} of experiment {} is being computed by a server",
            kind.label(),
            experiment.id
        );
    }
    let bar = ProgressBar::new(1000);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg}",
    )?);
    let outcome = compute(&mut |fraction, stage| {
        bar.set_position((fraction * 1000.0) as u64);
        bar.set_message(stage.to_owned());
    });
    bar.finish_and_clear();
    match outcome {
        Ok(result) => {
            store::analyses::set_done(pool, experiment.id, kind, &result).await?;
            Ok(result)
        }
        Err(message) => {
            store::analyses::set_failed(pool, experiment.id, kind, &message).await?;
            bail!(message)
        }
    }
}

/// The store, the stored experiment `id` (or why not) and the data-set catalog.
async fn open_experiment(
    common: &Common,
    id: i64,
) -> anyhow::Result<(store::SqlitePool, Experiment, memlab_science::data::Catalog)> {
    let pool = store::connect(&common.data_dir).await?;
    let Some(experiment) = store::experiments::get(&pool, id).await? else {
        bail!("no experiment {id} in {}", common.data_dir.display());
    };
    Ok((
        pool,
        experiment,
        memlab_science::data::Catalog::new(datasets_dir(common)),
    ))
}

async fn symmetry(args: SymmetryArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let mode = match args.mode {
        ModeArg::FromPhi => SymmetryMode::FromPhi,
        ModeArg::FromLabels => SymmetryMode::FromLabels,
    };
    let request = SymmetryRequest {
        steps: args.steps,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        adversarial_weight: args.adversarial_weight,
        nontrivial_weight: args.nontrivial_weight,
        min_change: args.min_change,
        change_fraction: args.change_fraction,
        involution_weight: args.involution_weight,
        sparsity_weight: args.sparsity_weight,
        discriminator_steps: args.discriminator_steps,
        flip_weight: args.flip_weight,
        splitter_rounds: args.splitter_rounds,
        search: args.search,
        basin_steps: args.basin_steps,
        sample_every: None,
        seed: args.seed,
    };
    symmetry::settings(&request).map_err(anyhow::Error::msg)?;
    let (pool, experiment, catalog) = open_experiment(&args.common, args.experiment).await?;
    let kind = symmetry_jobs::kind(mode);
    let report = run_analysis(&pool, &experiment, kind, &request, |progress| {
        symmetry_jobs::compute_for_experiment(
            &args.common.data_dir,
            &catalog,
            &experiment,
            mode,
            &request,
            &device,
            &device_name,
            progress,
            &mut |_| {},
        )
    })
    .await?;
    println!(
        "experiment {}: L_θ {} in {:.1} s on {}",
        experiment.id,
        mode.label(),
        report.seconds,
        report.device
    );
    if let Some(label_model) = &report.label_model {
        println!(
            "  f̂ (the from-f keep term's classifier): {}; test accuracy {:.3}, agrees with Φ on {:.3}",
            label_model.description, label_model.test_accuracy, label_model.agreement_with_phi
        );
    }
    if let Some(discovery) = &report.discovery {
        println!(
            "  discovery: {} groups by {}; clustering agrees with the truth on {}",
            discovery.groups,
            discovery.grouping,
            share(discovery.cluster_agreement)
        );
        for round in &discovery.rounds {
            println!(
                "    splitter round {}: relabelled {:.3}, test agreement {} (worst class {}), nuisance consistency {:.3}, balance {:.2}–{:.2}",
                round.round,
                round.relabelled,
                share(round.test_agreement),
                share(round.worst_group_agreement),
                round.augmentation_consistency,
                round.balance_low,
                round.balance_high
            );
        }
    }
    if let Some(reflection) = &report.reflection {
        println!(
            "  latent reflection: autoencoder of {} training images, codes of {}, test reconstruction RMS {:.4}; chosen: {} ({})",
            reflection.images,
            reflection.latent,
            reflection.reconstruction_rms,
            reflection.chosen + 1,
            reflection.rule
        );
        for (k, candidate) in reflection.candidates.iter().enumerate() {
            println!(
                "    {}. {}: bimodality {:.3}, kept {:.3}, change {:.4}, splitter flips {}, toggled {} (on → off {}, off → on {}; scored only), identity kept {}",
                k + 1,
                candidate.name,
                candidate.bimodality,
                candidate.kept,
                candidate.mean_change,
                share(candidate.splitter_flip_rate),
                share(candidate.toggle_rate),
                share(candidate.on_to_off),
                share(candidate.off_to_on),
                share(candidate.identity_kept)
            );
        }
        println!(
            "    distilled into L_θ by {} regression steps: RMS from the chosen edit on test {:.4}",
            reflection.distill_steps, reflection.distill_rms
        );
    }
    let every = (report.history.len() / 10).max(1);
    for step in report.history.iter().step_by(every) {
        println!(
            "  step {:>6}  keep {:.4}  adv {:.4}  nt {:.4}  inv {:.4}  mask {:.4}  flip {:.4}  D loss {:.4}  D acc {:.3}  change {:.4}",
            step.step,
            step.keep,
            step.adversarial,
            step.nontriviality,
            step.involution,
            step.sparsity,
            step.flip,
            step.discriminator_loss,
            step.discriminator_accuracy,
            step.mean_change
        );
    }
    if let Some(basin) = &report.basin {
        let points: Vec<String> = basin
            .checkpoints
            .iter()
            .map(|(step, rate)| format!("step {step}: {rate:.3}"))
            .collect();
        println!(
            "  basin test (diagnosis: L fitted to the oracle pairs for {} steps first), toggle rate on {} test faces: {}",
            basin.regression_steps,
            basin.n,
            points.join(", ")
        );
    }
    if let Some(rate) = report.splitter_flip_rate {
        println!("  splitter flips its decision on {rate:.3} of test images");
        let by_class: Vec<String> = report
            .splitter_flip_by_class
            .iter()
            .enumerate()
            .map(|(class, rate)| format!("{class}: {rate:.2}"))
            .collect();
        println!("  by class: {}", by_class.join(", "));
    }
    println!(
        "  test ({} images): prediction kept {:.3}, accuracy on L x {:.3}, mean change {:.4}, D accuracy {:.3}, Fréchet {:.3} ({})",
        report.n_test,
        report.prediction_kept,
        report.accuracy_on_transformed,
        report.mean_change,
        report.discriminator_accuracy,
        report.frechet_distance,
        report.frechet_features
    );
    if let Some(truth) = &report.ground_truth {
        println!(
            "  ground truth: glasses on → off {:.3}, off → on {:.3}; Fréchet distance of L* x {}",
            truth.toggle_on_to_off,
            truth.toggle_off_to_on,
            share(truth.truth_frechet_distance)
        );
        println!(
            "  ground truth: toggle rate {:.3}, identity kept {:.3}, RMS to L* x {:.4} (L* moves {:.4}); oracles: glasses {:.3}, identity {:.3}, L* toggles {:.3}; L* keeps Φ's prediction {:.3} at keep cost {:.4}",
            truth.toggle_rate,
            truth.identity_kept,
            truth.distance_to_truth,
            truth.truth_change,
            truth.glasses_oracle_accuracy,
            truth.identity_oracle_accuracy,
            truth.truth_toggle_rate,
            truth.truth_prediction_kept,
            truth.truth_keep
        );
        println!(
            "  objective on test images: L {}; L* {} (D calls {:.3} of L* x real)",
            objective_terms(&report.objective),
            objective_terms(&truth.truth_objective),
            truth.truth_judged_real
        );
        println!(
            "  {}",
            report
                .objective
                .equilibrium_verdict(&truth.truth_objective, &report.settings)
        );
    } else {
        println!(
            "  objective on test images: L {}",
            objective_terms(&report.objective)
        );
    }
    for reference in &report.references {
        let identity = reference.identity_kept.map_or_else(String::new, |kept| {
            format!(", identity oracle keeps {kept:.3}")
        });
        println!(
            "  transform as L, {}: {} (Φ keeps {:.3}, D calls {:.3} real{identity}; at the equilibrium {:.4})",
            reference.name,
            objective_terms(&reference.objective),
            reference.prediction_kept,
            reference.judged_real,
            reference.objective.at_equilibrium(&report.settings)
        );
    }
    if let Some(truth) = &report.ground_truth {
        let rivals = memlab_shared::symmetry::rivals_of_truth(
            &report.references,
            &truth.truth_objective,
            &report.settings,
        );
        let names: Vec<&str> = rivals.iter().map(|r| r.name.as_str()).collect();
        println!(
            "  transforms that could score below L* at the equilibrium (L*: {:.4}): {}",
            truth.truth_objective.at_equilibrium(&report.settings),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    if let Some(last) = report.samples.last() {
        let path =
            args.common
                .data_dir
                .join(format!("symmetry-{}-{}.png", experiment.id, mode.as_str()));
        let png = last
            .png
            .strip_prefix("data:image/png;base64,")
            .map(base64_decode)
            .transpose()?
            .unwrap_or_default();
        std::fs::write(&path, png)?;
        println!("  last sample grid: {}", path.display());
    }
    Ok(())
}

/// A fraction with three decimals, or "n/a".
fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// Decodes standard base64 (the sample grids' data URLs).
fn base64_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes().filter(|&b| b != b'=') {
        let value = ALPHABET
            .iter()
            .position(|&a| a == byte)
            .ok_or_else(|| anyhow::anyhow!("not base64: {}", byte as char))?;
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

async fn lie_command(args: LieArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let request = LieRequest {
        n_images: args.images,
        step: args.step,
    };
    lie::settings(&request).map_err(anyhow::Error::msg)?;
    let (pool, experiment, catalog) = open_experiment(&args.common, args.experiment).await?;
    let report = run_analysis(
        &pool,
        &experiment,
        AnalysisKind::Lie,
        &request,
        |progress| {
            lie_jobs::compute_for_experiment(
                &args.common.data_dir,
                &catalog,
                &experiment,
                &request,
                &device,
                &device_name,
                progress,
            )
        },
    )
    .await?;
    println!(
        "experiment {}: {} test images, step {} px, {:.1} s on {}",
        experiment.id, report.n_images, report.step, report.seconds, report.device
    );
    println!("  canonical sensitivities (feature change per image change):");
    for (name, value) in CANONICAL.iter().zip(&report.canonical_sensitivity) {
        println!("    {name:<14} {value:.5}");
    }
    println!("  generators, most invariant first (coefficients on {CANONICAL:?}):");
    for generator in &report.generators {
        let coefficients: Vec<String> = generator
            .coefficients
            .iter()
            .map(|c| format!("{c:+.3}"))
            .collect();
        println!(
            "    sensitivity {:.5}  closest {:<14} [{}]",
            generator.sensitivity,
            generator.closest,
            coefficients.join(", ")
        );
    }
    Ok(())
}

async fn probe(args: ProbeArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let request = ProbeRequest {
        sweeps: None,
        n_images: Some(args.images),
        seed: Some(args.seed),
    };
    let (pool, experiment, catalog) = open_experiment(&args.common, args.experiment).await?;
    let report = run_analysis(
        &pool,
        &experiment,
        AnalysisKind::Probes,
        &request,
        |progress| {
            probe_jobs::compute_for_experiment(
                &args.common.data_dir,
                &catalog,
                &experiment,
                &request,
                &device,
                &device_name,
                progress,
            )
        },
    )
    .await?;
    println!(
        "experiment {}: {} test images, accuracy {:.4}, {:.1} s on {}",
        experiment.id, report.n_images, report.accuracy, report.seconds, report.device
    );
    for curve in &report.curves {
        println!(
            "  {:<16} mean consistency {:.3}",
            curve.sweep.transform.label(),
            curve.mean_consistency()
        );
        for (index, t) in curve.parameters.iter().enumerate() {
            let ratio = |value: Option<f64>| value.map_or("n/a".to_owned(), |v| format!("{v:.4}"));
            println!(
                "    {t:>8.2} {:<3} consistency {:.3}  accuracy {:.3}  S(logits) {:>7}  S(features) {:>7}",
                curve.sweep.transform.unit().split(' ').next().unwrap_or(""),
                curve.consistency[index],
                curve.accuracy[index],
                ratio(curve.sensitivity_logits[index]),
                ratio(curve.sensitivity_features[index]),
            );
        }
    }
    Ok(())
}

async fn bounds(args: BoundsArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    let request = BoundRequest {
        delta: Some(args.delta),
        pac_bayes: args.pac_bayes.then_some(PacBayesRequest {
            steps: args.steps,
            samples: args.samples,
            learning_rate: args.learning_rate,
            initial_std: args.initial_std,
            prior: Some(if args.data_dependent_prior {
                PacBayesPrior::DataDependent
            } else {
                PacBayesPrior::Initialization
            }),
        }),
    };
    let (pool, experiment, catalog) = open_experiment(&args.common, args.experiment).await?;
    let settings =
        bound_settings::settings(&request, experiment.config.seed).map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let panel = run_analysis(
        &pool,
        &experiment,
        AnalysisKind::Bounds,
        &request,
        |progress| {
            bound_jobs::compute_for_experiment(
                &args.common.data_dir,
                &catalog,
                &experiment,
                settings,
                &device,
                &device_name,
                progress,
            )
        },
    )
    .await?;
    println!(
        "experiment {}: train error {:.4}, test error {:.4}, m = {}, δ = {}",
        experiment.id, panel.train_error, panel.test_error, panel.n_train, panel.delta
    );
    for layer in &panel.layers {
        println!(
            "  {:<10} {:<42} σ {:>10.4}  σ' {:>10.4}  F {:>10.4}  2,1 {:>12.4}  Δ₀ {:>9.4}{}",
            layer.name,
            layer.description,
            layer.spectral,
            layer.spectral_with_bias,
            layer.frobenius,
            layer.two_one,
            layer.distance_from_init,
            if layer.converged {
                ""
            } else {
                "  (power iteration not converged)"
            }
        );
    }
    for bound in &panel.bounds {
        match (bound.value, &bound.not_applicable) {
            (Some(value), _) => println!(
                "  {:<68} {:>12.4e}{}",
                bound.name,
                value,
                if bound.vacuous { "  vacuous" } else { "" }
            ),
            (None, Some(why)) => println!("  {:<68} n/a: {why}", bound.name),
            (None, None) => println!("  {:<68} n/a", bound.name),
        }
    }
    if let Some(note) = &panel.sample_split {
        println!("  {note}");
    }
    // The optimized certificates' and the linear head's inputs (once).
    for bound in panel
        .bounds
        .iter()
        .filter(|b| {
            b.key.starts_with("dr")
                || b.key == "linear_pac_bayes"
                || b.key == "linear_pac_bayes_data"
        })
        .filter(|b| b.value.is_some())
    {
        println!("  {}:", bound.short_name);
        for input in &bound.inputs {
            println!(
                "    {:<18} {:>14.6}  {}",
                input.symbol, input.value, input.name
            );
        }
    }
    for (stage, seconds) in &panel.timings {
        println!("  {stage:<40} {seconds:>8.3} s");
    }
    println!(
        "panel computed in {:.2} s ({:.2} s with loading)",
        panel.seconds,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    memlab_server::allocator::keep_freed_memory();
    memlab_science::cpu::init_threads();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(memlab_science::cpu::flush_subnormals)
        .build()?
        .block_on(run_command())
}

async fn run_command() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Train(args) => train(args).await,
        Command::Bounds(args) => bounds(args).await,
        Command::Probe(args) => probe(args).await,
        Command::Symmetry(args) => symmetry(args).await,
        Command::Lie(args) => lie_command(args).await,
        Command::Geometry(args) => geometry_command(args),
        Command::Scattering(args) => scattering_command(args),
    }
}

/// An objective's total and terms, on one line.
fn objective_terms(objective: &memlab_shared::symmetry::Objective) -> String {
    format!(
        "{:.4} (keep {:.4}, adv {:.4}, nt {:.4}, inv {:.4}, mask {:.4})",
        objective.total,
        objective.keep,
        objective.adversarial,
        objective.nontriviality,
        objective.involution,
        objective.sparsity
    )
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: the server then stops taking requests,
/// and the run in training checkpoints after its current step.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: the run in training checkpoints and stops");
}
