//! Learned symmetries (the seed's Figure 1, `../shared/SCIENCE.md` §3): train L_θ against a
//! discriminator D so that L x stays realistic, moves the image by at least τ, and keeps either
//! the trained model's penultimate features ("from Φ") or the true label ("from f"); then score
//! what it learned, against the true symmetry where the data set has one (Glasses).
//!
//! Generator loss: keep + λ_adv softplus(−D(L x)) + λ_nt max(0, τ − RMS_q(P(L x − x))) plus
//! λ_inv ‖L(L x) − x‖² + λ_1 mean(m), m the mask L paints through and RMS_q the RMS over the
//! fraction q of pooled pixels that change most; discriminator loss (k steps per generator
//! step, on fresh batches): softplus(−D(x)) + softplus(D(L x)) (the non-saturating GAN game).
//! "From Φ" divides ‖Φ(L x) − Φ(x)‖² by the features' spread E‖Φ(x) − Φ(x′)‖², so its scale
//! is that of the invariance probes' S. P is 2×2 average pooling: moving an image means
//! changing it at a scale larger than a pixel (without P, L met τ with faint pixel noise that
//! D did not catch and toggled no glasses).

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use memlab_shared::api::{ExperimentConfig, InputRandomization};
use memlab_shared::glasses::{self, GlassesConfig};
use memlab_shared::limits;
use memlab_shared::model::{
    Classifier, ClassifierConfig, Discriminator, DiscriminatorConfig, LeNetConfig, TransformNet,
    TransformNetConfig,
};
use memlab_shared::preprocess::{InputSpec, Pixels, png_data_url};
use memlab_shared::symmetry::{
    BasinReport, GroundTruthScore, Objective, SampleGrid, SymmetryMode, SymmetryReport,
    SymmetryRequest, SymmetrySearch, SymmetryStep,
};

use crate::data::{Dataset, Split};
use crate::linalg;
use crate::oracles::{Oracle, OracleSource};
use crate::probes::{agreement, row_argmax, spread};
use crate::progress::Report;
use crate::rng::{SplitMix64, seeded};

mod basin;
pub mod discovery;
pub mod label_model;
mod references;
mod reflection;
mod rivals;
mod terms;

use discovery::{DiscoveryInput, Splitter};
use label_model::LabelModel;

use terms::TermSums;

/// Test images scored at the end.
const N_TEST: usize = 500;
/// Images in each sample grid.
const GRID_IMAGES: usize = 8;
/// The discriminator's step size over the generator's (two time-scale updates, Heusel et al.
/// 2017: without it L found colour casts the discriminator never learned to reject).
const DISCRIMINATOR_SPEEDUP: f64 = 4.0;
/// Training images stage A works on at most.
const DISCOVERY_IMAGES: usize = 8000;
/// Seed of the subset stage A and the latent-reflection search work on.
const DISCOVERY_SUBSET: u64 = 0x0d15_c0e5;
/// Epochs of each splitter's training per self-training round.
const SPLITTER_EPOCHS: usize = 4;
/// Game steps between the basin test's checkpoints.
const BASIN_EVERY: usize = 500;
/// Logged steps per run (at most).
const LOG_POINTS: usize = 200;

/// The request with every default filled in, or why it is refused.
pub fn settings(request: &SymmetryRequest) -> Result<SymmetryRequest, String> {
    let steps = limits::SYMMETRY_STEPS.check(request.steps.unwrap_or(1500))?;
    let batch_size = limits::SYMMETRY_BATCH_SIZE.check(request.batch_size.unwrap_or(32))?;
    let learning_rate =
        limits::SYMMETRY_LEARNING_RATE.check(request.learning_rate.unwrap_or(5e-4))?;
    let discriminator_steps =
        limits::DISCRIMINATOR_STEPS.check(request.discriminator_steps.unwrap_or(2))?;
    let sample_every =
        limits::SAMPLE_EVERY.check(request.sample_every.unwrap_or((steps / 10).max(1)))?;
    let check = |name: &'static str, value: f64| limits::TERM_WEIGHT.named(name).check(value);
    Ok(SymmetryRequest {
        steps: Some(steps),
        batch_size: Some(batch_size),
        learning_rate: Some(learning_rate),
        adversarial_weight: Some(check(
            "adversarial_weight",
            request.adversarial_weight.unwrap_or(0.5),
        )?),
        nontrivial_weight: Some(check(
            "nontrivial_weight",
            request.nontrivial_weight.unwrap_or(10.0),
        )?),
        min_change: Some(limits::MIN_CHANGE.check(request.min_change.unwrap_or(0.05))?),
        change_fraction: Some(
            limits::CHANGE_FRACTION.check(request.change_fraction.unwrap_or(1.0))?,
        ),
        sparsity_weight: Some(check(
            "sparsity_weight",
            request.sparsity_weight.unwrap_or(1.0),
        )?),
        involution_weight: Some(check(
            "involution_weight",
            request.involution_weight.unwrap_or(0.0),
        )?),
        flip_weight: Some(check("flip_weight", request.flip_weight.unwrap_or(1.0))?),
        splitter_rounds: Some(limits::SPLITTER_ROUNDS.check(request.splitter_rounds.unwrap_or(3))?),
        search: Some(request.search.unwrap_or_default()),
        basin_steps: Some(limits::BASIN_STEPS.check(request.basin_steps.unwrap_or(0))?),
        sample_every: Some(sample_every),
        discriminator_steps: Some(discriminator_steps),
        seed: Some(request.seed.unwrap_or(0)),
    })
}

/// Why a data set cannot host a learned symmetry searched by `search` (L_θ halves and doubles
/// the image; the latent reflection's autoencoder quarters it).
pub fn check_input(input: &InputSpec, search: SymmetrySearch) -> Result<(), String> {
    if search == SymmetrySearch::Reflection
        && (!input.height.is_multiple_of(4) || !input.width.is_multiple_of(4))
    {
        return Err(format!(
            "the latent-reflection start needs image sides that are multiples of 4, got {}×{} \
             (choose the search \"game\")",
            input.height, input.width
        ));
    }
    if !input.height.is_multiple_of(2)
        || !input.width.is_multiple_of(2)
        || input.height < 8
        || input.width < 8
    {
        return Err(format!(
            "learned symmetries need even image sides of at least 8 pixels, got {}×{}",
            input.height, input.width
        ));
    }
    Ok(())
}

/// At most `max` images of `full` (a seeded subset, in index order), with their labels, and
/// their indices in `full`.
fn seeded_subset(full: &Split, max: usize, seed: u64) -> (Vec<usize>, Split) {
    let mut chosen = crate::probes::subset(full.len(), max, seed);
    chosen.sort_unstable();
    let split = Split {
        images: chosen
            .iter()
            .flat_map(|&i| full.image(i).iter().copied())
            .collect(),
        labels: chosen.iter().map(|&i| full.labels[i]).collect(),
        image_len: full.image_len,
    };
    (chosen, split)
}

/// Images `indices` of `split` as `[0, 1]` values `[n, c, h, w]`.
fn pixels_tensor(split: &Split, spec: &InputSpec, indices: &[usize], device: &Device) -> Tensor<4> {
    let values: Vec<f32> = indices
        .iter()
        .flat_map(|&index| split.image(index).iter().map(|&b| f32::from(b) / 255.0))
        .collect();
    Tensor::from_data(
        TensorData::new(
            values,
            [indices.len(), spec.channels, spec.height, spec.width],
        ),
        device,
    )
}

/// Training normalization of `[0, 1]` images, as tensor operations (so gradients pass).
fn normalize(images: Tensor<4>, spec: &InputSpec) -> Tensor<4> {
    let device = images.device();
    let shape = [1, spec.channels, 1, 1];
    let mean = Tensor::<1>::from_floats(spec.mean.as_slice(), &device).reshape(shape);
    let std = Tensor::<1>::from_floats(spec.std.as_slice(), &device).reshape(shape);
    (images - mean) / std
}

/// Root-mean-square difference of each image pair, `[n]`.
fn rms(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    let diff = a - b;
    let n = diff.dims()[0];
    (diff.clone() * diff)
        .reshape([n as i32, -1])
        .mean_dim(1)
        .reshape([n])
        .add_scalar(1e-8)
        .sqrt()
}

/// 2×2 average pooling: the scale at which the non-triviality term measures change, so that
/// pixel-level noise (which a discriminator barely sees) cannot satisfy it.
fn coarse(images: Tensor<4>) -> Tensor<4> {
    avg_pool2d(images, AvgPoolOptions::new([2, 2]))
}

/// RMS_q of each image pair's change, `[n]`: the root of the mean squared change (over
/// channels) of the `fraction` of 2×2-pooled pixels that change most (at least one). With
/// `fraction` 1 it is the RMS of the pooled difference.
fn local_change(moved: Tensor<4>, x: Tensor<4>, fraction: f64) -> Tensor<1> {
    let diff = coarse(moved) - coarse(x);
    let [n, _, height, width] = diff.dims();
    let pixels = height * width;
    let kept = ((fraction * pixels as f64).ceil() as usize).clamp(1, pixels);
    let squared = (diff.clone() * diff).mean_dim(1).reshape([n, pixels]); // [n, pixels]
    let largest = if kept == pixels {
        squared
    } else {
        squared.topk(kept, 1)
    };
    largest.mean_dim(1).reshape([n]).add_scalar(1e-8).sqrt()
}

/// The non-triviality hinge of each image pair, max(0, τ − RMS_q(P(L x − x))), `[n]`.
fn shortfall(moved: Tensor<4>, x: Tensor<4>, settings: &SymmetryRequest) -> Tensor<1> {
    local_change(moved, x, settings.change_fraction.unwrap_or(1.0))
        .neg()
        .add_scalar(settings.min_change.unwrap_or(0.0))
        .clamp_min(0.0)
}

/// Mask logits beyond ±this are pulled back during training: past it the mask is within
/// 3.4·10⁻⁴ of 0 or 1 (nothing visible changes), while a saturated sigmoid passes no gradient
/// and a run whose logits had all fallen there stayed the identity for good.
const MASK_LOGIT_LIMIT: f64 = 8.0;

/// The mean distance of the mask logits past ±[`MASK_LOGIT_LIMIT`], `[1]`: added to L's loss so
/// that no logit stays where its gradient vanishes.
fn saturation(logit: Tensor<4>) -> Tensor<1> {
    logit
        .abs()
        .sub_scalar(MASK_LOGIT_LIMIT)
        .clamp_min(0.0)
        .flatten::<1>(0, 3)
        .mean()
}

fn scalar(tensor: Tensor<1>) -> f64 {
    f64::from(tensor.into_scalar::<f32>())
}

fn rows(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().iter::<f32>().collect()
}

/// A grid: `x`, `L x` and `|L x − x|` (×4, clipped) as three rows of `images`.
fn sample_grid(
    transform: &TransformNet,
    images: Tensor<4>,
    step: usize,
) -> Result<SampleGrid, String> {
    let moved = transform.forward(images.clone()).clamp(0.0, 1.0);
    let difference = ((moved.clone() - images.clone()).abs() * 4.0).clamp(0.0, 1.0);
    let [n, c, h, w] = images.dims();
    let rows_of = |t: Tensor<4>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    let parts = [rows_of(images), rows_of(moved), rows_of(difference)];
    let (height, width) = (3 * h, n * w);
    let mut values = vec![0.0; c * height * width];
    for (row, part) in parts.iter().enumerate() {
        for image in 0..n {
            for channel in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        values[channel * height * width + (row * h + y) * width + image * w + x] =
                            part[((image * c + channel) * h + y) * w + x];
                    }
                }
            }
        }
    }
    let pixels = Pixels {
        channels: c,
        height,
        width,
        values,
    };
    Ok(SampleGrid {
        step,
        png: png_data_url(&pixels).map_err(|error| error.to_string())?,
    })
}

/// Everything a training run of L_θ needs.
#[derive(Clone, Copy)]
pub struct SymmetryInput<'a> {
    /// The data the model trained on (randomized as it was).
    pub dataset: &'a Dataset,
    /// The generator of the data set's test split when it has a ground truth (Glasses with
    /// its own inputs).
    pub ground_truth: Option<GlassesConfig>,
    /// The trained model Φ.
    pub model: &'a Classifier,
    /// What L must keep.
    pub mode: SymmetryMode,
    /// Filled-in settings (see [`settings`]).
    pub settings: &'a SymmetryRequest,
    /// Where the Glasses oracles that score L come from.
    pub oracles: &'a dyn OracleSource,
    /// The device (plain; training uses its autodiff version).
    pub device: &'a Device,
    /// Its name.
    pub device_name: &'a str,
    /// From f: the classifier f̂ the keep term's labels go through ([`train`] trains one when
    /// none is given).
    pub label_model: Option<&'a label_model::LabelModel>,
}

/// Trains L_θ and scores it; `publish` receives the report so far a few times during training.
pub fn train(
    input: &SymmetryInput,
    progress: Report,
    publish: &mut dyn FnMut(&SymmetryReport),
) -> Result<(SymmetryReport, TransformNet), String> {
    let started = Instant::now();
    let spec = &input.dataset.info.input;
    check_input(spec, input.settings.search.unwrap_or_default())?;
    let settings = input.settings;
    let (steps, batch_size, learning_rate) = (
        settings.steps.unwrap_or(1),
        settings.batch_size.unwrap_or(32),
        settings.learning_rate.unwrap_or(5e-4),
    );
    let weight = |value: Option<f64>| value.unwrap_or(0.0);
    let (lambda_adv, lambda_nt, lambda_inv, lambda_1) = (
        weight(settings.adversarial_weight),
        weight(settings.nontrivial_weight),
        weight(settings.involution_weight),
        weight(settings.sparsity_weight),
    );
    let sample_every = settings.sample_every.unwrap_or(100).max(1);
    let discriminator_steps = settings.discriminator_steps.unwrap_or(1).max(1);
    let seed = settings.seed.unwrap_or(0);
    let train = &input.dataset.train;
    let test = &input.dataset.test;
    if train.len() < batch_size || test.is_empty() {
        return Err(format!(
            "the data set has {} training images (a batch needs {batch_size}) and {} test images",
            train.len(),
            test.len()
        ));
    }
    // From f: the keep term's labels go through f̂, a classifier trained apart from Φ.
    let trained_label_model = match (input.mode, input.label_model) {
        (SymmetryMode::FromLabels, None) => {
            progress(
                0.0,
                "training f̂, the classifier the true labels are kept through",
            );
            Some(label_model::train(input, seed)?)
        }
        _ => None,
    };
    let label_model_report = trained_label_model
        .as_ref()
        .map(|(_, report)| report.clone());
    let input = &SymmetryInput {
        label_model: input
            .label_model
            .or(trained_label_model.as_ref().map(|(model, _)| model)),
        ..*input
    };
    let lambda_flip = weight(settings.flip_weight);
    let discovered = if lambda_flip > 0.0 {
        let mut stage = |fraction: f64, message: &str| progress(0.1 * fraction, message);
        Some(discover(input, &mut stage)?)
    } else {
        None
    };
    let autodiff = input.device.clone().autodiff();
    let splitter = discovered
        .as_ref()
        .map(|(splitter, _)| splitter.fork(&autodiff));
    let network = TransformNetConfig::new(spec.channels);
    let critic = DiscriminatorConfig::new(spec.channels, spec.height, spec.width);
    let mut transform = seeded(&autodiff, seed, || network.init(&autodiff));
    let mut discriminator = seeded(&autodiff, seed ^ 0xd15c, || critic.init(&autodiff));
    // The latent-reflection search: L starts at the distilled edit of the best reflection.
    let mut reflection_report = None;
    if settings.search == Some(SymmetrySearch::Reflection) {
        let (_, subset) = seeded_subset(train, DISCOVERY_IMAGES, DISCOVERY_SUBSET);
        let mut stage = |fraction: f64, message: &str| progress(0.1 + 0.1 * fraction, message);
        let (started_at, report) = reflection::start(
            input,
            transform,
            &subset,
            discovered.as_ref().map(|(splitter, _)| splitter),
            &mut stage,
        )?;
        transform = started_at;
        reflection_report = Some(report);
    }
    // The basin test (diagnosis only): L fitted to the oracle pairs first.
    let basin_steps = settings.basin_steps.unwrap_or(0);
    let basin = match input.ground_truth {
        Some(config) if basin_steps > 0 => {
            progress(0.1, "basin test: fitting L to the oracle pairs (x, L* x)");
            let truth = basin::truth_split(&config, false, train.len());
            transform = basin::fit(
                transform,
                train,
                &truth,
                spec,
                basin_steps,
                batch_size,
                learning_rate,
                seed,
            );
            let (card, oracle, _) = input
                .oracles
                .oracle(Oracle::Glasses, &config, input.device)?;
            let identities = config.identity_list();
            let worn: Vec<bool> = (0..test.len().min(basin::CHECK_IMAGES))
                .map(|index| config.example(&identities, true, index).glasses)
                .collect();
            Some(((card.input, oracle), worn))
        }
        _ => None,
    };
    let mut basin_report = basin.as_ref().map(|_| BasinReport {
        regression_steps: basin_steps,
        n: test.len().min(basin::CHECK_IMAGES),
        checkpoints: Vec::new(),
    });
    let check_basin = |step: usize, transform: &TransformNet, report: &mut Option<BasinReport>| {
        if let (Some((oracle, worn)), Some(report)) = (&basin, report.as_mut()) {
            let rate = basin::toggle_rate(transform, oracle, test, spec, worn);
            report.checkpoints.push((step, rate));
        }
    };
    check_basin(0, &transform.valid(), &mut basin_report);
    let phi = input.model.clone().fork(&autodiff);
    let keeper = input.label_model.map(|label_model| LabelModel {
        spec: label_model.spec.clone(),
        model: label_model.model.clone().fork(&autodiff),
    });
    let mut optimizer_g = AdamConfig::new().with_beta_1(0.5).init();
    let mut optimizer_d = AdamConfig::new().with_beta_1(0.5).init();
    let cross_entropy = CrossEntropyLossConfig::new().init(&autodiff);

    // The features' spread on real training images is the "from Φ" term's unit.
    let mut generator = SplitMix64::new(seed ^ 0x5eed);
    let mut draw = |count: usize| -> Vec<usize> {
        (0..count)
            .map(|_| (generator.next_u64() % train.len() as u64) as usize)
            .collect()
    };
    let feature_spread = feature_spread(input);

    let grid_indices: Vec<usize> = (0..GRID_IMAGES.min(test.len())).collect();
    let grid_images = pixels_tensor(test, spec, &grid_indices, input.device);
    let log_every = (steps / LOG_POINTS).max(1);
    let mut report = SymmetryReport {
        mode: input.mode,
        network: network.clone(),
        settings: settings.clone(),
        history: Vec::new(),
        samples: Vec::new(),
        finished: false,
        n_test: 0,
        prediction_kept: 0.0,
        accuracy_on_transformed: 0.0,
        mean_change: 0.0,
        discriminator_accuracy: 0.0,
        frechet_distance: 0.0,
        frechet_features: String::new(),
        objective: Objective::default(),
        ground_truth: None,
        references: Vec::new(),
        basin: basin_report.clone(),
        discovery: discovered.as_ref().map(|(_, report)| report.clone()),
        splitter_flip_rate: None,
        splitter_flip_by_class: Vec::new(),
        label_model: label_model_report,
        reflection: reflection_report,
        seconds: 0.0,
        device: input.device_name.to_owned(),
    };
    report
        .samples
        .push(sample_grid(&transform.valid(), grid_images.clone(), 0)?);
    publish(&report);
    for step in 1..=steps {
        // Discriminator steps: real images against the current transforms of other real
        // images (no gradient to L).
        let (mut d_accuracy, mut d_loss_value) = (0.0, 0.0);
        for _ in 0..discriminator_steps {
            let real = pixels_tensor(train, spec, &draw(batch_size), &autodiff);
            let source = pixels_tensor(train, spec, &draw(batch_size), &autodiff);
            let moved = transform.forward(source).detach();
            let real = discriminator.forward(real);
            let transformed = discriminator.forward(moved);
            d_accuracy = (scalar(real.clone().greater_elem(0.0).float().mean())
                + scalar(transformed.clone().lower_elem(0.0).float().mean()))
                / 2.0;
            let d_loss = softplus(real.neg(), 1.0).mean() + softplus(transformed, 1.0).mean();
            d_loss_value = scalar(d_loss.clone());
            let gradients = GradientsParams::from_grads(d_loss.backward(), &discriminator);
            discriminator = optimizer_d.step(
                DISCRIMINATOR_SPEEDUP * learning_rate,
                discriminator,
                gradients,
            );
        }
        let indices = draw(batch_size);
        let x = pixels_tensor(train, spec, &indices, &autodiff);

        // Generator step.
        let (logit, content) = transform.edit(x.clone());
        let mask = sigmoid(logit.clone());
        let moved = TransformNet::paint(x.clone(), mask.clone(), content);
        let keep = match input.mode {
            SymmetryMode::FromPhi => {
                let before = phi.features(normalize(x.clone(), spec)).detach();
                let after = phi.features(normalize(moved.clone(), spec));
                let diff = after - before;
                (diff.clone() * diff).sum_dim(1).mean() / feature_spread
            }
            SymmetryMode::FromLabels => {
                let labels: Vec<i64> = indices
                    .iter()
                    .map(|&i| i64::from(train.labels[i]))
                    .collect();
                let targets = Tensor::<1, Int>::from_data(
                    TensorData::new(labels, [indices.len()]),
                    &autodiff,
                );
                let logits = match &keeper {
                    Some(keeper) => keeper.logits(moved.clone()),
                    None => phi.forward(normalize(moved.clone(), spec)),
                };
                cross_entropy.forward(logits, targets)
            }
        };
        let adversarial = softplus(discriminator.forward(moved.clone()).neg(), 1.0).mean();
        let change = rms(moved.clone(), x.clone());
        let nontriviality = shortfall(moved.clone(), x.clone(), settings).mean();
        let involution = if lambda_inv > 0.0 {
            let back = transform.forward(moved.clone()) - x.clone();
            (back.clone() * back).mean()
        } else {
            Tensor::<1>::zeros([1], &autodiff)
        };
        let flip = match &splitter {
            Some(splitter) => {
                let target = splitter
                    .probability(x.clone())
                    .detach()
                    .neg()
                    .add_scalar(1.0);
                splitter.flip_loss(moved.clone(), target)
            }
            None => Tensor::<1>::zeros([1], &autodiff),
        };
        let sparsity = mask.mean();
        let saturation = saturation(logit);
        let loss = keep.clone()
            + flip.clone() * lambda_flip
            + adversarial.clone() * lambda_adv
            + nontriviality.clone() * lambda_nt
            + involution.clone() * lambda_inv
            + sparsity.clone() * lambda_1
            + saturation;
        if step % log_every == 0 || step == steps {
            report.history.push(SymmetryStep {
                step,
                keep: scalar(keep),
                adversarial: scalar(adversarial),
                nontriviality: scalar(nontriviality),
                involution: scalar(involution),
                sparsity: scalar(sparsity),
                discriminator_loss: d_loss_value,
                discriminator_accuracy: d_accuracy,
                mean_change: scalar(change.mean()),
                flip: scalar(flip),
            });
        }
        let gradients = GradientsParams::from_grads(loss.backward(), &transform);
        transform = optimizer_g.step(learning_rate, transform, gradients);
        progress(
            0.2 + 0.7 * step as f64 / steps as f64,
            &format!("step {step} of {steps}"),
        );
        if step % BASIN_EVERY == 0 || step == steps {
            check_basin(step, &transform.valid(), &mut basin_report);
            report.basin = basin_report.clone();
        }
        if step % sample_every == 0 || step == steps {
            report
                .samples
                .push(sample_grid(&transform.valid(), grid_images.clone(), step)?);
            report.seconds = started.elapsed().as_secs_f64();
            publish(&report);
        }
    }
    progress(0.9, "scoring on test images");
    let transform = transform.valid();
    let discriminator = discriminator.valid();
    score(input, &transform, &discriminator, &mut report)?;
    if let Some((splitter, _)) = &discovered {
        let (rate, by_class) = splitter_flip_rate(input, &transform, splitter);
        report.splitter_flip_rate = Some(rate);
        report.splitter_flip_by_class = by_class;
    }
    report.finished = true;
    report.seconds = started.elapsed().as_secs_f64();
    Ok((report, transform))
}

/// Φ's predictions, the discriminator's view and the change on test images; the Fréchet
/// distance; and, on Glasses, the ground-truth scores.
fn score(
    input: &SymmetryInput,
    transform: &TransformNet,
    discriminator: &Discriminator,
    report: &mut SymmetryReport,
) -> Result<(), String> {
    let device = input.device;
    let spec = &input.dataset.info.input;
    let test = &input.dataset.test;
    let indices = crate::probes::subset(test.len(), N_TEST, 1);
    let labels: Vec<usize> = indices
        .iter()
        .map(|&i| usize::from(test.labels[i]))
        .collect();
    let config = input.ground_truth.unwrap_or_default();
    let oracle = if input.ground_truth.is_some() {
        Some((
            input.oracles.oracle(Oracle::Identity, &config, device)?,
            input.oracles.oracle(Oracle::Glasses, &config, device)?,
        ))
    } else {
        None
    };
    // Fixed features for the Fréchet distance: the identity oracle's, else a seeded random
    // LeNet's (independent of the model L keeps).
    let random = seeded(device, 99, || {
        ClassifierConfig::Lenet(LeNetConfig::new(spec.channels, spec.height, spec.width, 10))
            .init(device)
    });
    let (fixed, fixed_spec, frechet_features) = match &oracle {
        Some(((card, model, _), _)) => (
            model,
            &card.input,
            "penultimate features of the Glasses identity oracle (LeNet, 84)".to_owned(),
        ),
        None => (
            &random,
            spec,
            "penultimate features of a fixed random LeNet (seed 99, 84)".to_owned(),
        ),
    };
    let (mut real_features, mut moved_features) = (Vec::new(), Vec::new());
    let mut truth_features = Vec::new();
    let mut changes = Vec::new();
    let mut d_real = 0usize;
    let mut glasses = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut truth_distance = (0.0, 0.0);
    // The objective's terms over the scored images, for L and for L*.
    let (mut learned, mut truth_sums) = (TermSums::default(), TermSums::default());
    let spread_phi = feature_spread(input);
    let identities = config.identity_list();
    for chunk in indices.chunks(100) {
        let x = pixels_tensor(test, spec, chunk, device);
        let (logit, content) = transform.edit(x.clone());
        let mask = sigmoid(logit);
        let painted = rows_sum(mask.clone().flatten::<2>(1, 3).mean_dim(1).flatten(0, 1));
        let moved = TransformNet::paint(x.clone(), mask, content).clamp(0.0, 1.0);
        let twice = transform.forward(moved.clone());
        learned.add(input, discriminator, &x, &moved, Some(twice), painted);
        changes.extend(rms(moved.clone(), x.clone()).into_data().iter::<f32>());
        d_real += rows(discriminator.forward(x.clone()))
            .iter()
            .filter(|&&v| v > 0.0)
            .count();
        real_features.extend(rows(fixed.features(normalize(x.clone(), fixed_spec))));
        moved_features.extend(rows(fixed.features(normalize(moved.clone(), fixed_spec))));
        if let Some(((identity_card, identity, _), (glasses_card, glasses_model, _))) = &oracle {
            // L* x: the same face, pose, light and noise with the glasses toggled, stored as
            // 8-bit pixels like the data set.
            let truth: Vec<f32> = chunk
                .iter()
                .flat_map(|&index| {
                    let example = config.example(&identities, true, index);
                    glasses::to_u8(&glasses::render(&example, config.size, true))
                        .into_iter()
                        .map(|b| f32::from(b) / 255.0)
                })
                .collect();
            let truth = Tensor::<4>::from_data(
                TensorData::new(truth, [chunk.len(), spec.channels, spec.height, spec.width]),
                device,
            );
            truth_distance.0 += rows_sum(rms(moved.clone(), truth.clone()));
            truth_distance.1 += rows_sum(rms(x.clone(), truth.clone()));
            // L* paints exactly the glasses pixels; toggled twice it is the identity (its
            // involution term is 0).
            let painted = chunk
                .iter()
                .map(|&index| {
                    let example = config.example(&identities, true, index);
                    let mask = glasses::glasses_mask(&example, config.size);
                    mask.iter().filter(|&&inside| inside).count() as f64 / mask.len() as f64
                })
                .sum::<f64>();
            truth_sums.add(input, discriminator, &x, &truth, None, painted);
            truth_features.extend(rows(fixed.features(normalize(truth.clone(), fixed_spec))));
            let see = |images: Tensor<4>| {
                row_argmax(
                    &rows(glasses_model.forward(normalize(images, &glasses_card.input))),
                    2,
                )
            };
            glasses.0.extend(see(x.clone()));
            glasses.1.extend(see(truth));
            glasses.2.extend(see(moved.clone()));
            let who = |images: Tensor<4>| {
                row_argmax(
                    &rows(identity.forward(normalize(images, &identity_card.input))),
                    identity_card.class_names.len(),
                )
            };
            glasses.3.extend(who(x));
            glasses.4.extend(who(moved));
        }
    }
    let n = indices.len();
    let classes = input.dataset.info.class_names.len();
    let predicted_after = row_argmax(&learned.after, classes);
    report.n_test = n;
    report.prediction_kept = learned.prediction_kept(classes);
    report.accuracy_on_transformed = agreement(&predicted_after, &labels);
    report.mean_change = changes.iter().map(|&c| f64::from(c)).sum::<f64>() / n as f64;
    report.discriminator_accuracy = (d_real + learned.judged_transformed) as f64 / (2 * n) as f64;
    report.frechet_distance = linalg::sample_frechet_distance(&real_features, &moved_features, 84);
    report.frechet_features = frechet_features;
    report.objective = learned.objective(input, &labels, spread_phi);
    report.references =
        references::score_references(input, discriminator, &indices, &labels, spread_phi);
    if let Some(((card, model, _), _)) = &oracle {
        let oracle = rivals::IdentityOracle { card, model };
        report.references.extend(rivals::score_rivals(
            input,
            discriminator,
            &config,
            &oracle,
            &indices,
            &labels,
            spread_phi,
        ));
    }
    if let Some(((_, _, identity_accuracy), (_, _, glasses_accuracy))) = &oracle {
        let truths: Vec<usize> = indices
            .iter()
            .map(|&index| usize::from(config.example(&identities, true, index).glasses))
            .collect();
        let toggled: Vec<usize> = truths.iter().map(|&g| 1 - g).collect();
        let (seen_x, seen_truth, seen_moved, who_x, who_moved) = &glasses;
        report.ground_truth = Some(GroundTruthScore {
            n,
            toggle_rate: agreement(seen_moved, &toggled),
            identity_kept: agreement(who_moved, &labels),
            distance_to_truth: truth_distance.0 / n as f64,
            truth_change: truth_distance.1 / n as f64,
            glasses_oracle_accuracy: agreement(seen_x, &truths),
            identity_oracle_accuracy: agreement(who_x, &labels),
            truth_toggle_rate: agreement(seen_truth, &toggled),
            truth_keep: truth_sums.feature_distance() / n as f64 / spread_phi,
            truth_prediction_kept: truth_sums.prediction_kept(classes),
            truth_judged_real: truth_sums.judged_real as f64 / n as f64,
            truth_objective: truth_sums.objective(input, &labels, spread_phi),
            toggle_on_to_off: toggle_among(seen_moved, &truths, 1),
            toggle_off_to_on: toggle_among(seen_moved, &truths, 0),
            truth_frechet_distance: Some(linalg::sample_frechet_distance(
                &real_features,
                &truth_features,
                84,
            )),
        });
        tracing::debug!(
            identity_accuracy,
            glasses_accuracy,
            "oracles (held-out accuracy)"
        );
    }
    Ok(())
}

/// Stage A for this run: groups by the true labels ("from f") or Φ's argmax ("from Φ"), the
/// glasses of the Glasses generator as the (scoring-only) truth.
fn discover(
    input: &SymmetryInput,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<(Splitter, memlab_shared::symmetry::DiscoveryReport), String> {
    let full = &input.dataset.train;
    let spec = &input.dataset.info.input;
    // At most DISCOVERY_IMAGES training images, so a large data set (MNIST's 60 000) costs
    // what Glasses' 4 000 do.
    let (chosen, train) = seeded_subset(full, DISCOVERY_IMAGES, DISCOVERY_SUBSET);
    let train = &train;
    let (groups, grouping) = match input.mode {
        SymmetryMode::FromLabels => (
            train
                .labels
                .iter()
                .map(|&label| usize::from(label))
                .collect(),
            "the true labels (from f)".to_owned(),
        ),
        SymmetryMode::FromPhi => {
            let classes = input.dataset.info.class_names.len();
            let indices: Vec<usize> = (0..train.len()).collect();
            let groups = indices
                .chunks(500)
                .flat_map(|chunk| {
                    let images = pixels_tensor(train, spec, chunk, input.device);
                    row_argmax(&rows(input.model.forward(normalize(images, spec))), classes)
                })
                .collect();
            (groups, "Φ's predicted classes (from Φ)".to_owned())
        }
    };
    let truth = input.ground_truth.map(|config| {
        let identities = config.identity_list();
        let flags = |test: bool, count: usize| -> Vec<bool> {
            (0..count)
                .map(|index| config.example(&identities, test, index).glasses)
                .collect()
        };
        let worn = flags(false, full.len());
        (
            chosen.iter().map(|&i| worn[i]).collect(),
            flags(true, input.dataset.test.len()),
        )
    });
    discovery::discover(
        &DiscoveryInput {
            train,
            test: &input.dataset.test,
            spec,
            groups,
            grouping,
            truth,
            rounds: input.settings.splitter_rounds.unwrap_or(3),
            epochs: SPLITTER_EPOCHS,
            seed: input.settings.seed.unwrap_or(0) ^ 0x0571_17e4,
            device: input.device,
        },
        progress,
    )
}

/// The fraction of scored test images on which the splitter decides differently for L x, over
/// all of them and per class.
fn splitter_flip_rate(
    input: &SymmetryInput,
    transform: &TransformNet,
    splitter: &Splitter,
) -> (f64, Vec<f64>) {
    let test = &input.dataset.test;
    let spec = &input.dataset.info.input;
    let indices = crate::probes::subset(test.len(), N_TEST, 1);
    let classes = input.dataset.info.class_names.len();
    let mut by_class = vec![(0usize, 0usize); classes];
    for chunk in indices.chunks(100) {
        let x = pixels_tensor(test, spec, chunk, input.device);
        let moved = transform.forward(x.clone()).clamp(0.0, 1.0);
        let before = splitter.probability(x).into_data();
        let after = splitter.probability(moved).into_data();
        for ((a, b), &index) in before.iter::<f32>().zip(after.iter::<f32>()).zip(chunk) {
            let class = usize::from(test.labels[index]).min(classes.saturating_sub(1));
            by_class[class].0 += usize::from((a > 0.5) != (b > 0.5));
            by_class[class].1 += 1;
        }
    }
    let flipped: usize = by_class.iter().map(|(flipped, _)| flipped).sum();
    let rates = by_class
        .iter()
        .map(|&(flipped, total)| flipped as f64 / total.max(1) as f64)
        .collect();
    (flipped as f64 / indices.len().max(1) as f64, rates)
}

/// E‖Φ(x) − Φ(x′)‖² of the model's features on (up to) 256 training images: the unit of the
/// "from Φ" keep term.
fn feature_spread(input: &SymmetryInput) -> f64 {
    let train = &input.dataset.train;
    let spec = &input.dataset.info.input;
    let indices: Vec<usize> = (0..train.len().min(256)).collect();
    let features = input.model.features(normalize(
        pixels_tensor(train, spec, &indices, input.device),
        spec,
    ));
    let width = features.dims()[1];
    spread(&rows(features), width).max(1e-12)
}

/// Mean cross-entropy of `labels` under the `logits` rows (`classes` wide), computed stably.
fn cross_entropy(logits: &[f32], classes: usize, labels: &[usize]) -> f64 {
    let total: f64 = logits
        .chunks(classes)
        .zip(labels)
        .map(|(row, &label)| {
            let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = row.iter().map(|&v| f64::from(v - top).exp()).sum();
            f64::from(top) + sum.ln() - f64::from(row[label])
        })
        .sum();
    total / labels.len().max(1) as f64
}

/// Of the images whose true attribute is `from`, the fraction the oracle sees with the other
/// value (`seen`: the oracle's verdicts on L x).
fn toggle_among(seen: &[usize], truths: &[usize], from: usize) -> f64 {
    let (toggled, total) = seen
        .iter()
        .zip(truths)
        .filter(|(_, truth)| **truth == from)
        .fold((0usize, 0usize), |(toggled, total), (seen, _)| {
            (toggled + usize::from(*seen != from), total + 1)
        });
    toggled as f64 / total.max(1) as f64
}

fn rows_sum(tensor: Tensor<1>) -> f64 {
    tensor.into_data().iter::<f32>().map(f64::from).sum()
}

/// The Glasses generator behind a run's test split, when it has one (Glasses with its own
/// inputs): what the oracles and L* score against.
pub fn ground_truth(config: &ExperimentConfig) -> Option<GlassesConfig> {
    (config.dataset == crate::data::glasses::NAME
        && config.randomization.inputs == InputRandomization::None)
        .then(GlassesConfig::default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracles::InMemory;

    fn small() -> GlassesConfig {
        GlassesConfig {
            identities: 4,
            size: 16,
            train_per_identity: 60,
            test_per_identity: 10,
            ..Default::default()
        }
    }

    #[test]
    fn settings_fill_defaults_and_refuse_bad_values() {
        let filled = settings(&SymmetryRequest::default()).expect("defaults");
        assert_eq!(filled.steps, Some(1500));
        assert_eq!(filled.sample_every, Some(150));
        assert_eq!(filled.min_change, Some(0.05));
        for (request, needle) in [
            (
                SymmetryRequest {
                    steps: Some(0),
                    ..Default::default()
                },
                "steps",
            ),
            (
                SymmetryRequest {
                    batch_size: Some(1),
                    ..Default::default()
                },
                "batch_size",
            ),
            (
                SymmetryRequest {
                    learning_rate: Some(0.0),
                    ..Default::default()
                },
                "learning_rate",
            ),
            (
                SymmetryRequest {
                    min_change: Some(f64::NAN),
                    ..Default::default()
                },
                "min_change",
            ),
            (
                SymmetryRequest {
                    change_fraction: Some(0.0),
                    ..Default::default()
                },
                "change_fraction",
            ),
            (
                SymmetryRequest {
                    change_fraction: Some(1.5),
                    ..Default::default()
                },
                "change_fraction",
            ),
            (
                SymmetryRequest {
                    adversarial_weight: Some(-1.0),
                    ..Default::default()
                },
                "adversarial_weight",
            ),
            (
                SymmetryRequest {
                    sample_every: Some(0),
                    ..Default::default()
                },
                "sample_every",
            ),
        ] {
            let message = settings(&request).expect_err(needle);
            assert!(message.contains(needle), "{message}");
        }
        let odd = InputSpec::raw(1, 7, 8);
        assert!(check_input(&odd, SymmetrySearch::Game).is_err());
        let even = InputSpec::raw(1, 10, 12);
        assert!(check_input(&even, SymmetrySearch::Game).is_ok());
        let message = check_input(&even, SymmetrySearch::Reflection).expect_err("10 × 12");
        assert!(message.contains("multiples of 4"), "{message}");
        assert!(check_input(&InputSpec::raw(3, 32, 28), SymmetrySearch::Reflection).is_ok());
    }

    /// An untrained L paints the grey 0.5 through the mask σ(−4) everywhere: L x = x + σ(−4)
    /// (0.5 − x) exactly, so its change is known, and every score takes (nearly) the value of
    /// the identity (Φ's predictions kept, glasses toggled only where the oracle errs on x, L x
    /// as far from L* x as x is, Fréchet ≈ 0).
    #[test]
    fn the_identity_transform_scores_as_expected() {
        let device = Device::flex();
        let config = small();
        let dataset = crate::data::glasses::dataset(&config);
        let spec = &dataset.info.input;
        let model = seeded(&device, 3, || {
            ClassifierConfig::Lenet(LeNetConfig::new(3, 16, 16, 4)).init(&device)
        });
        let transform = TransformNetConfig::new(3).init(&device);
        let images = pixels_tensor(&dataset.test, spec, &[0, 1, 2], &device);
        let moved = transform.forward(images.clone());
        let mask = 1.0 / (1.0 + 4f32.exp());
        let expected = images.clone() + (images.clone().neg().add_scalar(0.5)) * mask;
        let largest = rows((moved - expected).abs().flatten::<2>(1, 3))
            .into_iter()
            .fold(0.0f32, f32::max);
        assert!(largest < 1e-6, "{largest}");
        let discriminator = DiscriminatorConfig::new(3, 16, 16).init(&device);
        let oracles = InMemory::default();
        let filled = settings(&SymmetryRequest::default()).expect("defaults");
        let input = SymmetryInput {
            dataset: &dataset,
            ground_truth: Some(config),
            model: &model,
            mode: SymmetryMode::FromPhi,
            settings: &filled,
            oracles: &oracles,
            device: &device,
            device_name: "flex",
            label_model: None,
        };
        let mut report = train(
            &SymmetryInput {
                settings: &SymmetryRequest {
                    steps: Some(2),
                    ..filled.clone()
                },
                ..input
            },
            &mut |_, _| {},
            &mut |_| {},
        )
        .expect("train")
        .0;
        assert!(report.finished && report.history.len() == 2 && report.samples.len() == 2);
        score(&input, &transform, &discriminator, &mut report).expect("score");
        assert_eq!(report.n_test, 40);
        assert!(report.prediction_kept >= 0.95, "{}", report.prediction_kept);
        // RMS(L x − x) = σ(−4) RMS(0.5 − x), averaged over the scored images.
        let indices = crate::probes::subset(dataset.test.len(), N_TEST, 1);
        let x = pixels_tensor(&dataset.test, spec, &indices, &device);
        let known = f64::from(
            rms(x.clone().neg().add_scalar(0.5), Tensor::zeros_like(&x))
                .mean()
                .into_scalar::<f32>(),
        ) * f64::from(mask);
        assert!(
            (report.mean_change - known).abs() < 1e-4,
            "{} vs {known}",
            report.mean_change
        );
        // Small next to the 100–700 of trained transforms on Glasses.
        assert!(report.frechet_distance < 5.0, "{}", report.frechet_distance);
        let truth = report.ground_truth.expect("ground truth");
        assert!((truth.identity_kept - truth.identity_oracle_accuracy).abs() <= 0.05);
        assert!((truth.distance_to_truth - truth.truth_change).abs() < 0.01);
        assert!(truth.truth_change > 0.01);
        // The glasses oracle sees x as it is: "toggled" only where it errs on x.
        assert!((truth.toggle_rate - (1.0 - truth.glasses_oracle_accuracy)).abs() <= 0.05);
        assert!(truth.glasses_oracle_accuracy > 0.7, "{truth:?}");
        // The objective on test images: the mask is σ(−4) everywhere; the change is far below
        // τ; L* is an involution, paints only the glasses pixels and keeps what it keeps.
        let objective = &report.objective;
        assert!(
            (objective.sparsity - f64::from(mask)).abs() < 1e-5,
            "{objective:?}"
        );
        let tau = filled.min_change.expect("τ");
        assert!(objective.nontriviality < tau && objective.nontriviality > tau - 0.02);
        assert!(
            objective.keep >= 0.0 && objective.keep < 0.05,
            "{objective:?}"
        );
        let glasses = &truth.truth_objective;
        assert_eq!(glasses.involution, 0.0);
        assert!((glasses.keep - truth.truth_keep).abs() < 1e-9);
        let identities = config.identity_list();
        let painted: f64 = indices
            .iter()
            .map(|&index| {
                let mask = glasses::glasses_mask(&config.example(&identities, true, index), 16);
                mask.iter().filter(|&&inside| inside).count() as f64 / 256.0
            })
            .sum::<f64>()
            / indices.len() as f64;
        assert!((glasses.sparsity - painted).abs() < 1e-12 && painted > 0.01);
        assert!((0.0..=1.0).contains(&truth.truth_judged_real));
        // The known transforms, scored on the same images: a mirror undoes itself exactly; a
        // brightening by 0.05 applied twice is off by at most 0.1 (0.01 squared); a circular
        // shift of a noisy image paints nearly every pixel.
        let named = |name: &str| {
            report
                .references
                .iter()
                .find(|r| r.name.starts_with(name))
                .unwrap_or_else(|| panic!("no {name}: {:?}", report.references))
        };
        // Then, on Glasses, the local rivals: one identity attribute changed, a local edit
        // (under half the pixels; a bald head shows no hair colour) judged by the identity oracle.
        let locals = memlab_shared::glasses::Attribute::LOCAL.len();
        assert_eq!(
            report.references.len(),
            references::REFERENCES.len() + locals
        );
        for rival in &report.references[references::REFERENCES.len()..] {
            assert!(rival.name.starts_with("one attribute: "), "{}", rival.name);
            let kept = rival.identity_kept.expect("identity judged");
            assert!((0.0..=1.0).contains(&kept), "{kept}");
            let painted = rival.objective.sparsity;
            assert!(painted > 0.0 && painted < 0.5, "{}: {painted}", rival.name);
        }
        assert!(
            report.references[..references::REFERENCES.len()]
                .iter()
                .all(|r| r.identity_kept.is_none())
        );
        assert_eq!(named("mirror").objective.involution, 0.0);
        let brighter = &named("brightness").objective;
        assert!(brighter.involution > 0.0 && brighter.involution <= 0.01 + 1e-6);
        assert!(
            named("shift").objective.sparsity > 0.9,
            "{:?}",
            report.references
        );
        for reference in &report.references {
            assert!((0.0..=1.0).contains(&reference.prediction_kept));
            assert!((0.0..=1.0).contains(&reference.judged_real));
        }
    }

    /// RMS_q by hand: a 4×4 two-channel image whose pooled difference is 0.4 in one pooled
    /// pixel (both channels) and 0.2 in another (one channel), 0 elsewhere.
    #[test]
    fn local_change_measures_the_most_changed_pooled_pixels() {
        let device = Device::flex();
        let x = Tensor::<4>::zeros([1, 2, 4, 4], &device);
        let mut values = vec![0.0f32; 32];
        // Pooled pixel (0, 0): every value of its 2×2 block moves by 0.4, in both channels.
        for channel in 0..2 {
            for (y, x) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                values[channel * 16 + y * 4 + x] = 0.4;
            }
        }
        // Pooled pixel (1, 1): one value of channel 0 moves by 0.8 (block mean 0.2).
        values[3 * 4 + 3] = 0.8;
        let moved = Tensor::<4>::from_data(TensorData::new(values, [1, 2, 4, 4]), &device);
        let at = |fraction: f64| scalar(local_change(moved.clone(), x.clone(), fraction));
        // Mean squared change over channels per pooled pixel: 0.16 and 0.02, two zeros.
        let whole = ((0.16f64 + 0.02) / 4.0).sqrt();
        assert!((at(1.0) - whole).abs() < 1e-6, "{}", at(1.0));
        // q = 1 is the RMS of the pooled difference.
        let pooled = scalar(rms(coarse(moved.clone()), coarse(x.clone())));
        assert!((at(1.0) - pooled).abs() < 1e-6);
        // One pooled pixel of four (q = 1/4, also any q that rounds up to one).
        assert!((at(0.25) - 0.4).abs() < 1e-6, "{}", at(0.25));
        assert!((at(0.01) - 0.4).abs() < 1e-6);
        // Two of four.
        assert!((at(0.5) - ((0.16f64 + 0.02) / 2.0).sqrt()).abs() < 1e-6);
        // The hinge: τ = 0.5 at q = 1/4 falls short by 0.1; τ = 0.3 not at all.
        let settings = |tau: f64| SymmetryRequest {
            min_change: Some(tau),
            change_fraction: Some(0.25),
            ..Default::default()
        };
        let short = |tau: f64| scalar(shortfall(moved.clone(), x.clone(), &settings(tau)));
        assert!((short(0.5) - 0.1).abs() < 1e-6 && short(0.3) == 0.0);
    }

    /// Only logits beyond ±8 cost anything, by their distance past it.
    #[test]
    fn saturated_mask_logits_are_pulled_back() {
        let device = Device::flex();
        let logits = Tensor::<4>::from_data(
            TensorData::new(vec![-20.0f32, -8.0, 0.0, 3.0, 8.5, 9.0], [1, 1, 2, 3]),
            &device,
        );
        // (12 + 0.5 + 1) / 6
        assert!((scalar(saturation(logits)) - 13.5 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_matches_known_answers() {
        // Equal logits: ln(classes); a confident right row: about 0; two rows averaged.
        assert!((cross_entropy(&[1.0; 4], 4, &[2]) - 4f64.ln()).abs() < 1e-9);
        let confident = cross_entropy(&[50.0, 0.0, 0.0], 3, &[0]);
        assert!((0.0..1e-12).contains(&confident), "{confident}");
        let both = cross_entropy(&[0.0, 0.0, 0.0, 50.0], 2, &[0, 0]);
        assert!((both - (2f64.ln() + 50.0) / 2.0).abs() < 1e-9, "{both}");
    }
}
