//! Scoring what L_θ learned on test images: the objective's terms at the end and at the
//! game's equilibrium, Φ kept, the splitter's flips, and on Glasses the oracles' toggle rate,
//! identity kept and distance to L* x, next to the reference transforms and local rivals; and
//! per class, what L does (the evidence where there is no ground truth).

use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use memlab_shared::glasses;
use memlab_shared::model::{ClassifierConfig, Discriminator, LeNetConfig, TransformNet};
use memlab_shared::symmetry::{ClassEffect, GroundTruthScore, ShapeChange, SymmetryReport};

use super::shape::{self, Shape};

use crate::linalg;
use crate::oracles::Oracle;
use crate::probes::{agreement, row_argmax, spread};
use crate::rng::seeded;

use super::tensors::*;
use super::*;

/// Φ's predictions, the discriminator's view and the change on test images; the Fréchet
/// distance; and, on Glasses, the ground-truth scores.
pub(super) fn score(
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
    // Shape measures of x and L x, on one-channel images.
    let mut shapes: Vec<(Shape, Shape)> = Vec::new();
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
        if spec.channels == 1 {
            let (h, w) = (spec.height, spec.width);
            let before: Vec<f32> = x.clone().into_data().iter::<f32>().collect();
            let after: Vec<f32> = moved.clone().into_data().iter::<f32>().collect();
            shapes.extend(
                before
                    .chunks(h * w)
                    .zip(after.chunks(h * w))
                    .map(|(a, b)| (shape::measure(a, h, w), shape::measure(b, h, w))),
            );
        }
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
    let kept: Vec<bool> = row_argmax(&learned.before, classes)
        .into_iter()
        .zip(&predicted_after)
        .map(|(before, after)| before == *after)
        .collect();
    let step = report.history.last().map_or(0, |logged| logged.step);
    let measured = Measured {
        changes: &changes,
        kept: &kept,
        shapes: strokes_on_dark(&shapes).then_some(&shapes[..]),
    };
    report.by_class = class_effects(input, transform, &indices, &labels, &measured, step)?;
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

/// Test images of each class shown in its grid.
const CLASS_GRID_IMAGES: usize = 4;

/// Per scored test image: its change RMS(L x − x), whether Φ's prediction is kept, and (on
/// stroke images) the shape measures of x and L x.
pub(super) struct Measured<'a> {
    pub changes: &'a [f32],
    pub kept: &'a [bool],
    pub shapes: Option<&'a [(Shape, Shape)]>,
}

/// Whether the measured images are light strokes on a dark ground ([`shape::strokes_on_dark`]
/// of their mean ink).
fn strokes_on_dark(shapes: &[(Shape, Shape)]) -> bool {
    !shapes.is_empty()
        && shape::strokes_on_dark(
            shapes.iter().map(|(x, _)| x.ink).sum::<f64>() / shapes.len() as f64,
        )
}

/// The means of the shape measures over `pairs` (x, L x), and how often the loops changed.
pub(super) fn shape_change(pairs: &[(Shape, Shape)]) -> ShapeChange {
    let n = pairs.len().max(1) as f64;
    let mean = |f: fn(&Shape) -> f64| -> [f64; 2] {
        [
            pairs.iter().map(|(x, _)| f(x)).sum::<f64>() / n,
            pairs.iter().map(|(_, y)| f(y)).sum::<f64>() / n,
        ]
    };
    ShapeChange {
        ink: mean(|s| s.ink),
        width: mean(|s| s.width),
        slant: mean(|s| s.slant),
        loops: mean(|s| s.loops as f64),
        loops_changed: pairs.iter().filter(|(x, y)| x.loops != y.loops).count() as f64 / n,
    }
}

/// What L does to each class of the scored test images `indices` (labels `labels`, per image
/// what `measured` holds): mean change, prediction kept, shape change, and a grid of the first
/// [`CLASS_GRID_IMAGES`] of the class. Classes without a scored image are left out.
pub(super) fn class_effects(
    input: &SymmetryInput,
    transform: &TransformNet,
    indices: &[usize],
    labels: &[usize],
    measured: &Measured,
    step: usize,
) -> Result<Vec<ClassEffect>, String> {
    let spec = &input.dataset.info.input;
    let names = &input.dataset.info.class_names;
    let mut effects = Vec::new();
    for (class, name) in names.iter().enumerate() {
        let members: Vec<usize> = (0..indices.len()).filter(|&k| labels[k] == class).collect();
        if members.is_empty() {
            continue;
        }
        let count = members.len() as f64;
        let shown: Vec<usize> = members
            .iter()
            .take(CLASS_GRID_IMAGES)
            .map(|&k| indices[k])
            .collect();
        let images = pixels_tensor(&input.dataset.test, spec, &shown, input.device);
        let shape = measured.shapes.map(|shapes| {
            let pairs: Vec<(Shape, Shape)> = members.iter().map(|&k| shapes[k]).collect();
            shape_change(&pairs)
        });
        effects.push(ClassEffect {
            class,
            name: name.clone(),
            images: members.len(),
            mean_change: members
                .iter()
                .map(|&k| f64::from(measured.changes[k]))
                .sum::<f64>()
                / count,
            prediction_kept: members.iter().filter(|&&k| measured.kept[k]).count() as f64 / count,
            grid: sample_grid(transform, images, step)?,
            shape,
        });
    }
    Ok(effects)
}

/// The fraction of scored test images on which the splitter decides differently for L x, over
/// all of them and per class.
pub(super) fn splitter_flip_rate(
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
pub(super) fn feature_spread(input: &SymmetryInput) -> f64 {
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

/// Of the images whose true attribute is `from`, the fraction the oracle sees with the other
/// value (`seen`: the oracle's verdicts on L x).
pub(super) fn toggle_among(seen: &[usize], truths: &[usize], from: usize) -> f64 {
    let (toggled, total) = seen
        .iter()
        .zip(truths)
        .filter(|(_, truth)| **truth == from)
        .fold((0usize, 0usize), |(toggled, total), (seen, _)| {
            (toggled + usize::from(*seen != from), total + 1)
        });
    toggled as f64 / total.max(1) as f64
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

    /// Shape changes by hand: the means over x and over L x, loops changed on one pair of two;
    /// stroke images are told apart from faces by their mean ink.
    #[test]
    fn shape_changes_are_means_over_the_pairs() {
        let shape = |ink: f64, width: f64, slant: f64, loops: usize| Shape {
            ink,
            width,
            slant,
            loops,
        };
        let pairs = [
            (shape(0.1, 2.0, 0.0, 1), shape(0.2, 3.0, 10.0, 1)),
            (shape(0.2, 1.0, 4.0, 0), shape(0.2, 2.0, 0.0, 1)),
        ];
        let change = shape_change(&pairs);
        assert!((change.ink[0] - 0.15).abs() < 1e-12 && (change.ink[1] - 0.2).abs() < 1e-12);
        assert_eq!(change.width, [1.5, 2.5]);
        assert_eq!(change.slant, [2.0, 5.0]);
        assert_eq!(change.loops, [0.5, 1.0]);
        assert_eq!(change.loops_changed, 0.5);
        assert!(strokes_on_dark(&pairs));
        assert!(!strokes_on_dark(&[(
            shape(0.5, 0.0, 0.0, 0),
            shape(0.5, 0.0, 0.0, 0)
        )]));
        assert!(!strokes_on_dark(&[]));
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
        // Per class: the classes present among the scored images, their counts adding up, the
        // change and Φ's predictions kept averaging to the overall ones, and a grid each.
        let by_class = &report.by_class;
        assert!(!by_class.is_empty());
        assert!(
            by_class
                .windows(2)
                .all(|pair| pair[0].class < pair[1].class)
        );
        assert_eq!(
            by_class.iter().map(|e| e.images).sum::<usize>(),
            report.n_test
        );
        let weighted = |value: fn(&ClassEffect) -> f64| {
            by_class
                .iter()
                .map(|e| value(e) * e.images as f64)
                .sum::<f64>()
                / report.n_test as f64
        };
        assert!((weighted(|e| e.mean_change) - report.mean_change).abs() < 1e-9);
        assert!((weighted(|e| e.prediction_kept) - report.prediction_kept).abs() < 1e-9);
        for effect in by_class {
            assert!(effect.mean_change > 0.0, "class {}", effect.class);
            assert!(effect.grid.png.starts_with("data:image/png;base64,"));
        }
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
}
