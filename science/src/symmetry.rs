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

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softplus};
use memlab_shared::api::{ExperimentConfig, InputRandomization};
use memlab_shared::glasses::GlassesConfig;
use memlab_shared::limits;
use memlab_shared::model::{Classifier, DiscriminatorConfig, TransformNet, TransformNetConfig};
use memlab_shared::preprocess::InputSpec;
use memlab_shared::symmetry::{
    BasinReport, Objective, SymmetryMode, SymmetryReport, SymmetryRequest, SymmetrySearch,
    SymmetryStep,
};

use crate::data::{Dataset, Split};
use crate::oracles::{Oracle, OracleSource};
use crate::probes::row_argmax;
use crate::progress::Report;
use crate::rng::{SplitMix64, seeded};

mod basin;
mod congeal;
pub mod discovery;
mod keep;
pub mod label_model;
mod references;
mod reflection;
mod rivals;
mod scores;
pub mod shape;
mod tensors;
mod terms;

use congeal::Congealed;
use discovery::{DiscoveryInput, Splitter};
use keep::KeepTerm;

use scores::*;
use tensors::*;
use terms::TermSums;

/// Test images scored at the end.
const N_TEST: usize = 500;
/// Feature maps of L_θ's full-resolution layer (`TransformNetConfig::fine`). On Glasses from Φ,
/// the template edit distilled by 2 500 steps: without it L_θ painted the added frames as soft
/// bands (RMS 0.0336 from the edit, toggled 0.946 with off → on 0.894, Φ kept 0.950, Fréchet
/// 54.8); with 16 maps 0.0290 (0.958, 0.918, 0.952, 45.5); with 32 maps 0.0282 (0.986, 0.973,
/// 0.960, 39.6), and after 2 000 steps (as shipped) 0.0294 (0.986, 0.973, 0.964, 43.9)
/// (bench/RESULTS.md, issue 19).
const FINE: usize = 32;
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
        .map(|(splitter, _, _)| splitter.fork(&autodiff));
    let network = TransformNetConfig::new(spec.channels).with_fine(Some(FINE));
    let critic = DiscriminatorConfig::new(spec.channels, spec.height, spec.width);
    let mut transform = seeded(&autodiff, seed, || network.init(&autodiff));
    let mut discriminator = seeded(&autodiff, seed ^ 0xd15c, || critic.init(&autodiff));
    // The features' spread on real training images is the "from Φ" term's unit.
    let feature_spread = feature_spread(input);
    let keep_term = KeepTerm::new(input, &autodiff, feature_spread);
    // The latent-reflection search: L starts at the distilled edit of the best reflection.
    let mut reflection_report = None;
    if settings.search == Some(SymmetrySearch::Reflection) {
        let (_, subset) = seeded_subset(train, DISCOVERY_IMAGES, DISCOVERY_SUBSET);
        let mut stage = |fraction: f64, message: &str| progress(0.1 + 0.1 * fraction, message);
        let (started_at, report) = reflection::start(
            input,
            transform,
            &subset,
            discovered.as_ref().map(|(splitter, _, _)| splitter),
            discovered.as_ref().map(|(_, _, congealed)| congealed),
            &keep_term,
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
                None,
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
    let mut optimizer_g = AdamConfig::new().with_beta_1(0.5).init();
    let mut optimizer_d = AdamConfig::new().with_beta_1(0.5).init();
    let mut generator = SplitMix64::new(seed ^ 0x5eed);
    let mut draw = |count: usize| -> Vec<usize> {
        (0..count)
            .map(|_| (generator.next_u64() % train.len() as u64) as usize)
            .collect()
    };

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
        discovery: discovered.as_ref().map(|(_, report, _)| report.clone()),
        splitter_flip_rate: None,
        splitter_flip_by_class: Vec::new(),
        by_class: Vec::new(),
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
        let labels: Vec<u8> = indices.iter().map(|&i| train.labels[i]).collect();
        let keep = keep_term.loss(x.clone(), moved.clone(), &labels);
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
    if let Some((splitter, _, _)) = &discovered {
        let (rate, by_class) = splitter_flip_rate(input, &transform, splitter);
        report.splitter_flip_rate = Some(rate);
        report.splitter_flip_by_class = by_class;
    }
    report.finished = true;
    report.seconds = started.elapsed().as_secs_f64();
    Ok((report, transform))
}

/// Stage A for this run: groups by the true labels ("from f") or Φ's argmax ("from Φ"), the
/// images congealed in their groups (their sides start the self-training, and the
/// latent-reflection search reuses them), the glasses of the Glasses generator as the
/// (scoring-only) truth.
fn discover(
    input: &SymmetryInput,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<
    (
        Splitter,
        memlab_shared::symmetry::DiscoveryReport,
        Congealed,
    ),
    String,
> {
    let full = &input.dataset.train;
    let spec = &input.dataset.info.input;
    // At most DISCOVERY_IMAGES training images, so a large data set (MNIST's 60 000) costs
    // what Glasses' 4 000 do.
    let (chosen, train) = seeded_subset(full, DISCOVERY_IMAGES, DISCOVERY_SUBSET);
    let train = &train;
    let (groups, grouping): (Vec<usize>, String) = match input.mode {
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
    progress(0.0, "congealing each group's images");
    let congealed = reflection::congeal_split(input, train, &groups);
    let (splitter, report) = discovery::discover(
        &DiscoveryInput {
            // Congealing's sides start the self-training where it split the groups holding at
            // least half of the images (on Glasses, every group); else stage A's own clustering
            // (on the MNIST demo's short run congealing left every digit whole).
            start: (congealed.split_share() >= 0.5).then(|| congealed.polar_sides(&groups)),
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
    )?;
    Ok((splitter, report, congealed))
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
}
