//! Stage A of learned-symmetry discovery: find a binary factor that varies *within* the classes
//! (on Glasses: the glasses) without its labels, as a frozen "splitter" S: x → p(a = 1 | x)
//! whose flip L_θ is then trained to cause (`BCE(S(L x), 1 − S(x))`).
//!
//! 1. Group the training images (by the true label "from f", by Φ's argmax "from Φ").
//! 2. In each group, 2-means on light-normalized, blurred images (each image divided by its
//!    mean value, then 2×2 average-pooled; centred on the group's mean), started from the sign
//!    of the top principal direction; or, where the caller gives them, the sides congealing
//!    found (`congeal.rs`: 2-means on images aligned by pose and light, far sharper).
//! 3. Align the clusters' polarity across groups: group g's centroid difference c₁ − c₀ is
//!    flipped when its product with the top singular vector of all the differences is negative.
//! 4. Self-train S (two LeNets, cross-fitted: each trained on one half of the training set and
//!    relabelling the other) for a few rounds, on copies of the images moved by the data's
//!    nuisances (small shift and tilt, light, pixel noise), so S cannot split on pose or light.
//!
//! The attribute's ground truth, where the data set has one, only scores the rounds; nothing
//! here trains on it.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use memlab_shared::api::{ExperimentConfig, ModelKind, OptimizerKind};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::{InputSpec, Pixels};
use memlab_shared::symmetry::{DiscoveryReport, SplitterRound};
use memlab_shared::transform::{Affine, Fill, warp};

use super::{normalize, pixels_tensor};
use crate::data::{Dataset, Split};
use crate::rng::SplitMix64;
use crate::run;

/// Groups smaller than this are not clustered (their images are labelled by the aligned
/// direction alone).
const MIN_GROUP: usize = 8;
/// Lloyd iterations of 2-means at most.
const LLOYD_ITERATIONS: usize = 50;
/// Power iterations for a top singular vector.
const POWER_ITERATIONS: usize = 100;
/// Images per forward pass when S labels a split.
const CHUNK: usize = 500;
/// Nuisance-moved copies of each image S trains on per round.
const COPIES: usize = 2;
/// Largest tilt of an augmentation, degrees.
const TILT: f64 = 8.0;
/// Largest shift, pixels.
const SHIFT: f64 = 1.0;
/// Light factors are drawn in `[1 − LIGHT, 1 + LIGHT]`.
const LIGHT: f64 = 0.1;
/// Standard deviation of the added pixel noise.
const NOISE: f64 = 0.03;

/// Everything discovery needs.
pub struct DiscoveryInput<'a> {
    /// Training images (what S learns from).
    pub train: &'a Split,
    /// Test images (what the rounds are scored on).
    pub test: &'a Split,
    /// Their input spec.
    pub spec: &'a InputSpec,
    /// The group of each training image.
    pub groups: Vec<usize>,
    /// How the groups were formed, as people read it.
    pub grouping: String,
    /// The attribute's ground truth (training, test), for scoring only.
    pub truth: Option<(Vec<bool>, Vec<bool>)>,
    /// Pseudo-labels to start self-training from (congealing's sides, one polarity for every
    /// group); without them, 2-means on light-normalized, blurred images (step 2).
    pub start: Option<Vec<bool>>,
    /// Self-training rounds.
    pub rounds: usize,
    /// Epochs of each splitter's training per round.
    pub epochs: usize,
    /// Seed of the splitters, the halves and the augmentations.
    pub seed: u64,
    /// The device.
    pub device: &'a Device,
}

/// The frozen splitter: an ensemble of classifiers of the discovered attribute, each with the
/// input normalization it was trained with.
#[derive(Debug, Clone)]
pub struct Splitter {
    /// The members.
    pub members: Vec<(InputSpec, Classifier)>,
}

impl Splitter {
    /// The same members on `device` (the autodiff device of L's training: S stays frozen,
    /// gradients pass through it to L only).
    pub fn fork(&self, device: &Device) -> Self {
        Self {
            members: self
                .members
                .iter()
                .map(|(spec, model)| (spec.clone(), model.clone().fork(device)))
                .collect(),
        }
    }

    /// Each member's log p(a = 0) and log p(a = 1) of `[0, 1]` images, `[n, 2]`.
    fn log_probabilities(&self, images: Tensor<4>) -> Vec<Tensor<2>> {
        self.members
            .iter()
            .map(|(spec, model)| log_softmax(model.forward(normalize(images.clone(), spec)), 1))
            .collect()
    }

    /// p(a = 1 | x) averaged over the members, `[n]`.
    pub fn probability(&self, images: Tensor<4>) -> Tensor<1> {
        let members = self.members.len().max(1) as f64;
        let n = images.dims()[0];
        self.log_probabilities(images)
            .into_iter()
            .map(|log_p| log_p.narrow(1, 1, 1).exp().reshape([n]))
            .reduce(|a, b| a + b)
            .map(|sum| sum / members)
            .unwrap_or_else(|| Tensor::zeros([n], &Device::default()))
    }

    /// The flip loss of moved images against the target probabilities `target` (1 − S(x),
    /// no gradient): the members' mean of BCE(S_k(L x), target), `[1]`.
    pub fn flip_loss(&self, moved: Tensor<4>, target: Tensor<1>) -> Tensor<1> {
        let n = target.dims()[0];
        let target = target.reshape([n, 1]);
        let members = self.members.len().max(1) as f64;
        self.log_probabilities(moved)
            .into_iter()
            .map(|log_p| bce(log_p, target.clone()))
            .reduce(|a, b| a + b)
            .map(|sum| sum / members)
            .unwrap_or_else(|| Tensor::zeros([1], &target.device()))
    }

    /// S's decision (p > 1/2) on the images `indices` of `split`.
    pub fn decisions(
        &self,
        split: &Split,
        spec: &InputSpec,
        indices: &[usize],
        device: &Device,
    ) -> Vec<bool> {
        indices
            .chunks(CHUNK)
            .flat_map(|chunk| {
                let p = self.probability(pixels_tensor(split, spec, chunk, device));
                p.into_data()
                    .iter::<f32>()
                    .map(|p| p > 0.5)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Binary cross-entropy from log-probabilities `[n, 2]` (columns a = 0, a = 1) and targets
/// `t` = p(a = 1) `[n, 1]`: mean of −t log p₁ − (1 − t) log p₀, `[1]`.
pub fn bce(log_p: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    let on = log_p.clone().narrow(1, 1, 1) * target.clone();
    let off = log_p.narrow(1, 0, 1) * target.neg().add_scalar(1.0);
    (on + off).neg().mean()
}

/// Light-normalized, blurred images for clustering: each image divided by its mean value, then
/// 2×2 average-pooled (channels kept), flattened.
pub fn cluster_features(split: &Split, spec: &InputSpec) -> Vec<Vec<f64>> {
    let (channels, height, width) = (spec.channels, spec.height, spec.width);
    let (half_h, half_w) = (height / 2, width / 2);
    (0..split.len())
        .map(|index| {
            let image = split.image(index);
            let mean = image.iter().map(|&b| f64::from(b)).sum::<f64>() / image.len() as f64;
            let scale = if mean > 0.0 { 1.0 / mean } else { 0.0 };
            let mut pooled = vec![0.0; channels * half_h * half_w];
            for channel in 0..channels {
                for y in 0..half_h * 2 {
                    for x in 0..half_w * 2 {
                        let value = f64::from(image[(channel * height + y) * width + x]);
                        pooled[(channel * half_h + y / 2) * half_w + x / 2] += value * scale / 4.0;
                    }
                }
            }
            pooled
        })
        .collect()
}

/// ⟨a, b⟩.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The top right singular vector of the matrix whose rows are `rows` (unit length, its sign
/// fixed so that its largest component is positive), by power iteration on RᵀR from a fixed
/// start; `None` when every row is zero.
pub fn top_direction(rows: &[Vec<f64>]) -> Option<Vec<f64>> {
    let dim = rows.first()?.len();
    // A start that no row is orthogonal to in practice: the sum of the rows, each signed to
    // agree with the first nonzero one, plus a small fixed ramp.
    let mut vector: Vec<f64> = (0..dim)
        .map(|i| 1e-3 * (1.0 + i as f64 / dim as f64))
        .collect();
    for row in rows {
        let sign = if dot(row, &vector) < 0.0 { -1.0 } else { 1.0 };
        for (v, r) in vector.iter_mut().zip(row) {
            *v += sign * r;
        }
    }
    for _ in 0..POWER_ITERATIONS {
        let mut next = vec![0.0; dim];
        for row in rows {
            let weight = dot(row, &vector);
            for (n, r) in next.iter_mut().zip(row) {
                *n += weight * r;
            }
        }
        let norm = dot(&next, &next).sqrt();
        if norm == 0.0 {
            return None;
        }
        vector = next.into_iter().map(|v| v / norm).collect();
    }
    let largest = vector.iter().copied().fold(
        0.0f64,
        |best, v| if v.abs() > best.abs() { v } else { best },
    );
    if largest < 0.0 {
        vector.iter_mut().for_each(|v| *v = -*v);
    }
    Some(vector)
}

/// 2-means of `points` (already centred): the cluster of each point (`true`: cluster 1) and the
/// centroid difference c₁ − c₀. Starts from the sign of each point's projection on the top
/// principal direction, then Lloyd iterations until nothing moves.
pub fn two_means(points: &[Vec<f64>]) -> (Vec<bool>, Vec<f64>) {
    let dim = points.first().map_or(0, Vec::len);
    let Some(direction) = top_direction(points) else {
        return (vec![false; points.len()], vec![0.0; dim]);
    };
    let mut assignment: Vec<bool> = points.iter().map(|p| dot(p, &direction) > 0.0).collect();
    let centroids = |assignment: &[bool]| -> [Vec<f64>; 2] {
        let mut sums = [vec![0.0; dim], vec![0.0; dim]];
        let mut counts = [0usize; 2];
        for (point, &side) in points.iter().zip(assignment) {
            counts[usize::from(side)] += 1;
            for (s, p) in sums[usize::from(side)].iter_mut().zip(point) {
                *s += p;
            }
        }
        for (sum, count) in sums.iter_mut().zip(counts) {
            sum.iter_mut().for_each(|s| *s /= count.max(1) as f64);
        }
        sums
    };
    for _ in 0..LLOYD_ITERATIONS {
        let [c0, c1] = centroids(&assignment);
        let next: Vec<bool> = points
            .iter()
            .map(|p| distance2(p, &c1) < distance2(p, &c0))
            .collect();
        // Keep both clusters non-empty.
        if next.iter().all(|&s| s) || next.iter().all(|&s| !s) || next == assignment {
            break;
        }
        assignment = next;
    }
    let [c0, c1] = centroids(&assignment);
    let difference = c1.iter().zip(&c0).map(|(a, b)| a - b).collect();
    (assignment, difference)
}

/// Which groups to flip so that their centroid differences point the same way: those whose
/// difference has a negative product with the top singular vector of all the differences.
pub fn align_signs(differences: &[Vec<f64>]) -> Vec<bool> {
    match top_direction(differences) {
        Some(direction) => differences
            .iter()
            .map(|d| dot(d, &direction) < 0.0)
            .collect(),
        None => vec![false; differences.len()],
    }
}

/// The pseudo-labels of clustering: 2-means in each group, polarities aligned across groups;
/// images of groups too small to cluster take the side of the aligned direction they fall on.
pub fn cluster_labels(features: &[Vec<f64>], groups: &[usize]) -> Vec<bool> {
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    let dim = features.first().map_or(0, Vec::len);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
    for (index, &group) in groups.iter().enumerate() {
        members[group].push(index);
    }
    // Each image centred on its group's mean.
    let mut centred = vec![Vec::new(); features.len()];
    for indices in &members {
        let mut mean = vec![0.0; dim];
        for &i in indices {
            for (m, f) in mean.iter_mut().zip(&features[i]) {
                *m += f / indices.len() as f64;
            }
        }
        for &i in indices {
            centred[i] = features[i].iter().zip(&mean).map(|(f, m)| f - m).collect();
        }
    }
    let mut labels = vec![false; features.len()];
    let mut clustered = Vec::new();
    let mut differences = Vec::new();
    for indices in members.iter().filter(|m| m.len() >= MIN_GROUP) {
        let points: Vec<Vec<f64>> = indices.iter().map(|&i| centred[i].clone()).collect();
        let (assignment, difference) = two_means(&points);
        clustered.push((indices, assignment));
        differences.push(difference);
    }
    let flips = align_signs(&differences);
    for ((indices, assignment), flip) in clustered.iter().zip(&flips) {
        for (&i, &side) in indices.iter().zip(assignment) {
            labels[i] = side != *flip;
        }
    }
    if let Some(direction) = top_direction(
        &differences
            .iter()
            .zip(&flips)
            .map(|(d, &flip)| d.iter().map(|v| if flip { -v } else { *v }).collect())
            .collect::<Vec<Vec<f64>>>(),
    ) {
        for indices in members.iter().filter(|m| m.len() < MIN_GROUP) {
            for &i in indices {
                labels[i] = dot(&centred[i], &direction) > 0.0;
            }
        }
    }
    labels
}

/// The agreement of `labels` with `truth`, up to the discovered attribute's arbitrary polarity:
/// max(a, 1 − a), and whether the polarity is reversed.
pub fn polar_agreement(labels: &[bool], truth: &[bool]) -> (f64, bool) {
    let same = labels.iter().zip(truth).filter(|(a, b)| a == b).count();
    let agreement = same as f64 / labels.len().max(1) as f64;
    if agreement >= 0.5 {
        (agreement, false)
    } else {
        (1.0 - agreement, true)
    }
}

/// One draw of the data's nuisances applied to an image: a tilt and shift about the centre
/// (wrapping at the border, whose background is uniform), a light factor and pixel noise.
pub fn nuisance(pixels: &Pixels, generator: &mut SplitMix64) -> Pixels {
    let mut symmetric = |range: f64| ((2.0 * generator.next_f64() - 1.0) * range) as f32;
    let map = Affine::translation(symmetric(SHIFT), symmetric(SHIFT))
        .after(&Affine::rotation(symmetric(TILT)));
    let light = 1.0 + symmetric(LIGHT);
    let mut moved = warp(pixels, &map, Fill::Wrap);
    for value in &mut moved.values {
        // Box–Muller.
        let u = generator.next_f64().max(1e-12);
        let v = generator.next_f64();
        let noise = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos() * NOISE;
        *value = (*value * light + noise as f32).clamp(0.0, 1.0);
    }
    moved
}

/// The images `indices` of `split`, each as `COPIES` nuisance-moved copies, labelled `labels`.
fn augmented_split(
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    labels: &[bool],
    generator: &mut SplitMix64,
) -> Split {
    let mut images = Vec::with_capacity(indices.len() * COPIES * split.image_len);
    let mut out_labels = Vec::with_capacity(indices.len() * COPIES);
    for _ in 0..COPIES {
        for &index in indices {
            let pixels =
                Pixels::from_u8(spec.channels, spec.height, spec.width, split.image(index));
            let moved = nuisance(&pixels, generator);
            images.extend(moved.values.iter().map(|v| (v * 255.0).round() as u8));
            out_labels.push(u8::from(labels[index]));
        }
    }
    Split {
        images,
        labels: out_labels,
        image_len: split.image_len,
    }
}

/// Trains one splitter on `indices` with `labels`, scored each epoch on `held_out`.
fn train_member(
    input: &DiscoveryInput,
    indices: &[usize],
    held_out: &[usize],
    labels: &[bool],
    seed: u64,
) -> Result<(InputSpec, Classifier), String> {
    let mut generator = SplitMix64::new(seed ^ 0x0a06_3e47);
    let train = augmented_split(input.train, input.spec, indices, labels, &mut generator);
    let test = subset_split(input.train, held_out, labels);
    let dataset = Dataset::new(
        "splitter",
        "the discovered within-class attribute".into(),
        [input.spec.channels, input.spec.height, input.spec.width],
        vec!["a = 0".into(), "a = 1".into()],
        train,
        test,
    );
    let run = ExperimentConfig {
        name: None,
        dataset: dataset.info.name.clone(),
        model: ModelKind::Lenet,
        n_train: None,
        epochs: input.epochs,
        seed,
        learning_rate: 2e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    };
    let outcome = run::train(&dataset, &run, input.device, &mut |_| {})
        .map_err(|error| format!("training the splitter: {error}"))?;
    Ok((dataset.info.input.clone(), outcome.model))
}

/// The images `indices` of `split` labelled `labels`.
fn subset_split(split: &Split, indices: &[usize], labels: &[bool]) -> Split {
    Split {
        images: indices
            .iter()
            .flat_map(|&i| split.image(i).iter().copied())
            .collect(),
        labels: indices.iter().map(|&i| u8::from(labels[i])).collect(),
        image_len: split.image_len,
    }
}

/// The least and largest fraction of a = 1 over the groups with at least [`MIN_GROUP`] images.
fn balance(labels: &[bool], groups: &[usize]) -> (f64, f64) {
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    let mut counts = vec![(0usize, 0usize); n_groups];
    for (&label, &group) in labels.iter().zip(groups) {
        counts[group].0 += usize::from(label);
        counts[group].1 += 1;
    }
    counts
        .iter()
        .filter(|(_, total)| *total >= MIN_GROUP)
        .map(|&(on, total)| on as f64 / total as f64)
        .fold((1.0f64, 0.0f64), |(low, high), f| (low.min(f), high.max(f)))
}

/// The least agreement with the truth over the classes of the test split (with the polarity
/// of the whole split).
fn worst_group(decisions: &[bool], truth: &[bool], classes: &[u8], reversed: bool) -> f64 {
    let n_classes = classes
        .iter()
        .map(|&c| usize::from(c) + 1)
        .max()
        .unwrap_or(0);
    let mut counts = vec![(0usize, 0usize); n_classes];
    for ((&decision, &true_value), &class) in decisions.iter().zip(truth).zip(classes) {
        counts[usize::from(class)].0 += usize::from((decision != reversed) == true_value);
        counts[usize::from(class)].1 += 1;
    }
    counts
        .iter()
        .filter(|(_, total)| *total > 0)
        .map(|&(same, total)| same as f64 / total as f64)
        .fold(1.0, f64::min)
}

/// Stage A: clusters, aligns and self-trains the splitter; reports each round.
pub fn discover(
    input: &DiscoveryInput,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<(Splitter, DiscoveryReport), String> {
    let n = input.train.len();
    if n < 4 * MIN_GROUP || input.test.is_empty() {
        return Err(format!(
            "discovery needs at least {} training images and a test split, got {n} and {}",
            4 * MIN_GROUP,
            input.test.len()
        ));
    }
    progress(0.0, "clustering within groups");
    let mut labels = match &input.start {
        Some(start) if start.len() == n => start.clone(),
        _ => cluster_labels(&cluster_features(input.train, input.spec), &input.groups),
    };
    let mut report = DiscoveryReport {
        grouping: input.grouping.clone(),
        groups: input.groups.iter().copied().max().map_or(0, |g| g + 1),
        cluster_agreement: input
            .truth
            .as_ref()
            .map(|(train, _)| polar_agreement(&labels, train).0),
        rounds: Vec::new(),
    };
    // Cross-fitting halves: a seeded shuffle, alternating.
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::new(input.seed ^ 0x05b1_77e4).shuffle(&mut order);
    let halves: [Vec<usize>; 2] = [
        order.iter().copied().step_by(2).collect(),
        order.iter().copied().skip(1).step_by(2).collect(),
    ];
    let test_indices: Vec<usize> = (0..input.test.len()).collect();
    let mut splitter = Splitter {
        members: Vec::new(),
    };
    for round in 1..=input.rounds.max(1) {
        progress(
            (round - 1) as f64 / input.rounds.max(1) as f64,
            &format!("splitter round {round} of {}", input.rounds.max(1)),
        );
        let seed = input.seed.wrapping_add(round as u64 * 0x1000);
        let members = [
            train_member(input, &halves[0], &halves[1], &labels, seed)?,
            train_member(input, &halves[1], &halves[0], &labels, seed ^ 1)?,
        ];
        let mut next = labels.clone();
        for (member, other) in members.iter().zip([&halves[1], &halves[0]]) {
            let single = Splitter {
                members: vec![member.clone()],
            };
            for (&i, decision) in
                other
                    .iter()
                    .zip(single.decisions(input.train, input.spec, other, input.device))
            {
                next[i] = decision;
            }
        }
        let changed = next.iter().zip(&labels).filter(|(a, b)| a != b).count() as f64 / n as f64;
        labels = next;
        splitter = Splitter {
            members: members.into(),
        };
        let decisions = splitter.decisions(input.test, input.spec, &test_indices, input.device);
        let consistency = augmentation_consistency(&splitter, input, &decisions);
        let (balance_low, balance_high) = balance(&labels, &input.groups);
        let (agreement, worst) = match &input.truth {
            Some((_, test_truth)) => {
                let (agreement, reversed) = polar_agreement(&decisions, test_truth);
                (
                    Some(agreement),
                    Some(worst_group(
                        &decisions,
                        test_truth,
                        &input.test.labels,
                        reversed,
                    )),
                )
            }
            None => (None, None),
        };
        report.rounds.push(SplitterRound {
            round,
            relabelled: changed,
            test_agreement: agreement,
            worst_group_agreement: worst,
            augmentation_consistency: consistency,
            balance_low,
            balance_high,
        });
    }
    Ok((splitter, report))
}

/// The fraction of test images whose decision a draw of the nuisances does not change.
fn augmentation_consistency(
    splitter: &Splitter,
    input: &DiscoveryInput,
    decisions: &[bool],
) -> f64 {
    let spec = input.spec;
    let mut generator = SplitMix64::new(input.seed ^ 0x00c0_515e);
    let indices: Vec<usize> = (0..input.test.len()).collect();
    let all_on = vec![true; input.test.len()];
    let moved = augmented_split(input.test, spec, &indices, &all_on, &mut generator);
    // The first copy of each image.
    let first: Vec<usize> = (0..input.test.len()).collect();
    let moved_decisions = splitter.decisions(&moved, spec, &first, input.device);
    let same = moved_decisions
        .iter()
        .zip(decisions)
        .filter(|(a, b)| a == b)
        .count();
    same as f64 / decisions.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points of two groups, each split into two clusters along ±e₀ (group 0) and ±e₀ again
    /// but listed with the other cluster first (group 1): alignment makes their labels agree.
    #[test]
    fn signs_align_across_groups() {
        let mut features = Vec::new();
        let mut groups = Vec::new();
        let mut truth = Vec::new();
        for group in 0..3 {
            for i in 0..20 {
                let on = (i + group) % 2 == 0;
                let jitter = (i as f64 * 0.37).sin() * 0.1;
                // The attribute moves coordinate 0 by ±1; a group offset moves coordinate 1.
                let x = if on { 1.0 } else { -1.0 } + jitter;
                features.push(vec![x + 5.0 * group as f64, group as f64 * 3.0, jitter]);
                groups.push(group);
                truth.push(on);
            }
        }
        let labels = cluster_labels(&features, &groups);
        let (agreement, _) = polar_agreement(&labels, &truth);
        assert_eq!(agreement, 1.0);
    }

    #[test]
    fn alignment_flips_opposed_differences() {
        let differences = vec![vec![1.0, 0.1], vec![-0.9, -0.2], vec![1.1, 0.0]];
        assert_eq!(align_signs(&differences), vec![false, true, false]);
    }

    #[test]
    fn top_direction_of_a_rank_one_matrix() {
        // Rows ±2·(3, 4)/5 and 1·(3, 4)/5: the direction is (0.6, 0.8).
        let rows = vec![vec![1.2, 1.6], vec![-1.2, -1.6], vec![0.6, 0.8]];
        let direction = top_direction(&rows).expect("direction");
        assert!((direction[0] - 0.6).abs() < 1e-9 && (direction[1] - 0.8).abs() < 1e-9);
        assert!(top_direction(&[vec![0.0, 0.0]]).is_none());
    }

    #[test]
    fn two_means_separates_two_blobs() {
        let mut points = Vec::new();
        for i in 0..10 {
            let t = i as f64 * 0.01;
            points.push(vec![2.0 + t, -t]);
            points.push(vec![-2.0 - t, t]);
        }
        let (assignment, difference) = two_means(&points);
        for pair in assignment.chunks(2) {
            assert_ne!(pair[0], pair[1]);
        }
        // c₁ − c₀ is ±(4.09, −0.09).
        assert!((difference[0].abs() - 4.09).abs() < 1e-9, "{difference:?}");
    }

    /// BCE by hand: p = (0.25, 0.75) against t = 1: −ln 0.75; against t = 0.5: the mean of
    /// −ln 0.75 and −ln 0.25.
    #[test]
    fn flip_loss_by_hand() {
        let device = Device::flex();
        let log_p = Tensor::<2>::from_data(
            TensorData::new(
                vec![0.25f32.ln(), 0.75f32.ln(), 0.25f32.ln(), 0.75f32.ln()],
                [2, 2],
            ),
            &device,
        );
        let target = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.5], [2, 1]), &device);
        let value = f64::from(bce(log_p, target).into_scalar::<f32>());
        let expected = (-(0.75f64.ln()) + 0.5 * (-(0.75f64.ln()) - 0.25f64.ln())) / 2.0;
        assert!((value - expected).abs() < 1e-6, "{value} vs {expected}");
    }

    #[test]
    fn polarity_is_free() {
        assert_eq!(
            polar_agreement(&[true, false, true, true], &[false, true, false, true]),
            (0.75, true)
        );
    }
}
