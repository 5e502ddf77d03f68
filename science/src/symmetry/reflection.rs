//! The latent-reflection search (issue 19's fallback design): a small autoencoder of the
//! training images; candidate directions n in its code space (the top principal directions of
//! the codes centred in their groups and, when stage A ran, the direction between the
//! splitter's two sides), each ranked by how bimodal the codes are along it within the groups;
//! each defines the involution T z = z − 2(⟨n, z⟩ − b_g) n, b_g the midpoint of group g's two
//! modes; the edit is residual transfer, L x = x + Dec(T z) − Dec(z). The chosen edit is then
//! distilled into `TransformNet` (regression on training pairs (x, L x)) and the game refines
//! it. Next to the latent candidates stands the template edit of congealing (`congeal.rs`):
//! each group's images aligned by the data's nuisances, split in two, and moved by the other
//! side's mean. Every candidate is ranked by one measure, the share of the aligned images'
//! spread its two sides explain. No attribute label enters: on Glasses the oracles only score
//! the candidates.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use memlab_shared::model::{Autoencoder, AutoencoderConfig, Classifier, TransformNet};
use memlab_shared::preprocess::InputSpec;
use memlab_shared::symmetry::{ReflectionCandidate, ReflectionReport, SymmetryMode};

use super::congeal::{self, Congealed, Dims};
use super::discovery::{self, Splitter, dot};
use super::keep::KeepTerm;
use super::{N_TEST, SymmetryInput, basin, normalize, pixels_tensor, rms, rows};
use crate::data::Split;
use crate::linalg;
use crate::oracles::Oracle;
use crate::probes::{agreement, row_argmax, subset};
use crate::rng::{SplitMix64, seeded};

/// Length of a code.
pub const LATENT: usize = 64;
/// Image presentations of the autoencoder's training: 50 000 since congealing's template edit
/// took the lead on Glasses (100 000 gave test reconstruction RMS 0.054 against 0.061 now, and
/// the codes' best candidate toggled 0.87 against 0.84 now); the time went to the distillation.
const PRESENTATIONS: usize = 50_000;
/// Images per autoencoder step.
const BATCH: usize = 64;
/// Adam's step size for the autoencoder.
const LEARNING_RATE: f64 = 2e-3;
/// Principal directions tried.
const PRINCIPAL: usize = 8;
/// Groups smaller than this take the mean threshold of the others.
const MIN_GROUP: usize = 8;
/// Held-out training images each candidate is judged on.
const JUDGED: usize = 500;
/// The least fraction of kept predictions a chosen candidate needs.
const KEEP_FLOOR: f64 = 0.9;
/// Regression steps distilling the chosen edit into L_θ (on Glasses from Φ, the template edit:
/// 1 500 steps left L_θ 0.037 RMS from it, 2 000 steps 0.036; bench/RESULTS.md, issue 19).
pub const DISTILL_STEPS: usize = 2500;
/// Adam's step size for the distillation.
const DISTILL_LEARNING_RATE: f64 = 2e-3;
/// Weight of the keep term in the distillation, next to the mean squared distance to the edit
/// (≈ 5e-4 once fitted; the from-Φ keep term of the edit is ≈ 0.04): where the fit cannot
/// follow the edit, it errs towards images that keep what L must keep. From Φ: 0.02 (identity
/// kept 0.926 → 0.962, Φ kept 0.940 → 0.952, the splitter's gap 0.040 → 0.024, toggled 0.968 →
/// 0.946). From f: none. Every pull through f̂ that was tried undid the adding of glasses, which
/// lowers f̂'s confidence without changing its answer: cross-entropy toggled 0.53 (off → on
/// 0.16), the hinge max(0, κ + max_{j≠y} f̂_j − f̂_y) 0.03 at κ = 1 and 0.12 at κ = 0, against
/// 0.99 for the regression alone (bench/RESULTS.md, issue 19).
fn distill_keep(mode: SymmetryMode) -> f64 {
    match mode {
        SymmetryMode::FromPhi => 0.02,
        SymmetryMode::FromLabels => 0.0,
    }
}
/// Images per chunk of inference.
const CHUNK: usize = 250;

/// T z = z − 2(⟨n, z⟩ − b_g) n: the reflection across the hyperplane ⟨n, z⟩ = b_g, an
/// involution for a unit n.
#[derive(Debug, Clone, PartialEq)]
pub struct Reflection {
    /// n, unit length.
    pub direction: Vec<f64>,
    /// b_g for each group.
    pub thresholds: Vec<f64>,
}

impl Reflection {
    /// The reflection across ⟨n, z⟩ = b_g for `direction` n (scaled to unit length here).
    pub fn new(direction: &[f64], thresholds: Vec<f64>) -> Self {
        let norm = dot(direction, direction).sqrt().max(f64::MIN_POSITIVE);
        Self {
            direction: direction.iter().map(|v| v / norm).collect(),
            thresholds,
        }
    }

    /// T z for a code of group `group`.
    pub fn reflect(&self, z: &[f64], group: usize) -> Vec<f64> {
        let b = self.thresholds.get(group).copied().unwrap_or(0.0);
        let s = 2.0 * (dot(&self.direction, z) - b);
        z.iter()
            .zip(&self.direction)
            .map(|(z, n)| z - s * n)
            .collect()
    }
}

/// The best split of `values` into two modes (1-D 2-means, solved exactly: the best threshold
/// between consecutive sorted values): the low mode's mean, the high mode's mean and the share
/// of the variance the split explains; `None` when the values do not vary.
pub fn two_modes(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let sum: f64 = sorted.iter().sum();
    let mean = sum / n.max(1) as f64;
    let total: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
    if n < 2 || total <= 0.0 {
        return None;
    }
    let (mut best, mut prefix) = (None, 0.0);
    for k in 1..n {
        prefix += sorted[k - 1];
        let (n0, n1) = (k as f64, (n - k) as f64);
        let (m0, m1) = (prefix / n0, (sum - prefix) / n1);
        let between = n0 * n1 / n as f64 * (m1 - m0) * (m1 - m0);
        if best.is_none_or(|(_, _, b)| between > b) {
            best = Some((m0, m1, between));
        }
    }
    best.map(|(m0, m1, between)| (m0, m1, (between / total).min(1.0)))
}

/// The members of each of `n_groups` groups.
fn members(groups: &[usize], n_groups: usize) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); n_groups];
    for (index, &group) in groups.iter().enumerate() {
        members[group].push(index);
    }
    members
}

/// Thresholds from each group's own estimate; groups without one take the mean of the others.
fn fill_thresholds(own: Vec<Option<f64>>) -> Vec<f64> {
    let known: Vec<f64> = own.iter().flatten().copied().collect();
    let fallback = known.iter().sum::<f64>() / known.len().max(1) as f64;
    own.into_iter().map(|b| b.unwrap_or(fallback)).collect()
}

/// Along the projections `p`: the size-weighted mean over groups (of at least [`MIN_GROUP`]) of
/// the variance share their two modes explain, and the midpoint of each group's modes.
pub fn modes_within(p: &[f64], groups: &[usize], n_groups: usize) -> (f64, Vec<f64>) {
    let (mut weighted, mut weight) = (0.0, 0.0);
    let own = members(groups, n_groups)
        .iter()
        .map(|indices| {
            if indices.len() < MIN_GROUP {
                return None;
            }
            let values: Vec<f64> = indices.iter().map(|&i| p[i]).collect();
            let (low, high, explained) = two_modes(&values)?;
            weighted += explained * values.len() as f64;
            weight += values.len() as f64;
            Some((low + high) / 2.0)
        })
        .collect();
    (weighted / weight.max(1.0), fill_thresholds(own))
}

/// The top `count` principal directions of the codes centred on their groups' means.
pub fn principal_directions(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    count: usize,
) -> Vec<Vec<f64>> {
    let dim = codes.first().map_or(0, Vec::len);
    let mut centred = codes.to_vec();
    for indices in members(groups, n_groups) {
        let mut mean = vec![0.0; dim];
        for &i in &indices {
            for (m, v) in mean.iter_mut().zip(&codes[i]) {
                *m += v / indices.len() as f64;
            }
        }
        for &i in &indices {
            for (c, m) in centred[i].iter_mut().zip(&mean) {
                *c -= m;
            }
        }
    }
    let mut covariance = vec![vec![0.0; dim]; dim];
    for row in &centred {
        for (a, &ra) in row.iter().enumerate() {
            for (b, &rb) in row.iter().enumerate() {
                covariance[a][b] += ra * rb / codes.len().max(1) as f64;
            }
        }
    }
    let (values, vectors) = linalg::symmetric_eigen(&covariance);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order
        .into_iter()
        .take(count)
        .map(|column| (0..dim).map(|row| vectors[row][column]).collect())
        .collect()
}

/// The direction between a binary factor's two sides (`sides`, e.g. the splitter's decisions):
/// the size-weighted mean over groups of (mean code on side 1 − mean code on side 0), with the
/// midpoint of the two sides' mean projections as each group's threshold; `None` when no group
/// has both sides.
pub fn side_reflection(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    sides: &[bool],
) -> Option<Reflection> {
    let dim = codes.first().map_or(0, Vec::len);
    let mean_of = |indices: &[usize]| -> Vec<f64> {
        let mut mean = vec![0.0; dim];
        for &i in indices {
            for (m, v) in mean.iter_mut().zip(&codes[i]) {
                *m += v / indices.len() as f64;
            }
        }
        mean
    };
    let split: Vec<Option<(Vec<f64>, Vec<f64>)>> = members(groups, n_groups)
        .iter()
        .map(|indices| {
            let (on, off): (Vec<usize>, Vec<usize>) = indices.iter().partition(|&&i| sides[i]);
            (on.len() >= 2 && off.len() >= 2).then(|| (mean_of(&on), mean_of(&off)))
        })
        .collect();
    let mut direction = vec![0.0; dim];
    let mut any = false;
    for (pair, indices) in split.iter().zip(members(groups, n_groups)) {
        if let Some((on, off)) = pair {
            any = true;
            for (d, (a, b)) in direction.iter_mut().zip(on.iter().zip(off)) {
                *d += (a - b) * indices.len() as f64;
            }
        }
    }
    if !any || dot(&direction, &direction) == 0.0 {
        return None;
    }
    let unit = Reflection::new(&direction, Vec::new()).direction;
    let own = split
        .iter()
        .map(|pair| {
            pair.as_ref()
                .map(|(on, off)| (dot(on, &unit) + dot(off, &unit)) / 2.0)
        })
        .collect();
    Some(Reflection::new(&unit, fill_thresholds(own)))
}

/// L_θ started from the latent-reflection search on the training images `train` (the stage-A
/// subset): the search, then [`DISTILL_STEPS`] regression steps of `transform` (on an autodiff
/// device) onto the chosen edit of each image with `keep`'s term (the last third at a tenth of
/// the step size), and the distillation's RMS on test images.
#[allow(clippy::too_many_arguments)]
pub(super) fn start(
    input: &SymmetryInput,
    transform: TransformNet,
    train: &Split,
    splitter: Option<&Splitter>,
    congealed: Option<&Congealed>,
    keep: &KeepTerm,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<(TransformNet, ReflectionReport), String> {
    let spec = &input.dataset.info.input;
    let settings = input.settings;
    let seed = settings.seed.unwrap_or(0);
    let all: Vec<usize> = (0..train.len()).collect();
    let groups = groups_of(input, train, &all);
    let sides = splitter.map(|splitter| splitter.decisions(train, spec, &all, input.device));
    let loaded = match input.ground_truth {
        Some(config) => Some((
            config,
            input
                .oracles
                .oracle(Oracle::Glasses, &config, input.device)?,
            input
                .oracles
                .oracle(Oracle::Identity, &config, input.device)?,
        )),
        None => None,
    };
    let oracles = loaded.as_ref().map(|(config, glasses, identity)| Oracles {
        config: *config,
        glasses: (&glasses.0.input, &glasses.1),
        identity: (&identity.0.input, &identity.1),
    });
    let started = std::time::Instant::now();
    let congealed = match congealed {
        Some(congealed) => congealed.clone(),
        None => {
            progress(0.0, "congealing each group's images");
            congeal_split(input, train, &groups)
        }
    };
    let mut stage = |fraction: f64, message: &str| progress(0.7 * fraction, message);
    let found = search(
        input,
        train,
        &groups,
        congealed,
        splitter.zip(sides.as_deref()),
        oracles.as_ref(),
        seed ^ 0x07ef_1ec7,
        &mut stage,
    )?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "latent-reflection search"
    );
    progress(0.7, "distilling the chosen reflection into L_θ");
    let edited: Vec<u8> = all
        .chunks(CHUNK)
        .flat_map(|chunk| {
            let x = pixels_tensor(train, spec, chunk, input.device);
            let chunk_groups: Vec<usize> = chunk.iter().map(|&i| groups[i]).collect();
            let moved = found.editor.apply(&found.edit, x, &chunk_groups);
            moved
                .into_data()
                .iter::<f32>()
                .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
                .collect::<Vec<u8>>()
        })
        .collect();
    let targets = Split {
        images: edited,
        labels: train.labels.clone(),
        image_len: train.image_len,
    };
    // Two thirds of the steps at the full step size, the last third at a tenth of it.
    let batch_size = settings.batch_size.unwrap_or(32);
    let coarse = 2 * DISTILL_STEPS / 3;
    let transform = basin::fit(
        transform,
        train,
        &targets,
        spec,
        coarse,
        batch_size,
        DISTILL_LEARNING_RATE,
        seed,
        (distill_keep(input.mode) > 0.0).then_some((keep, distill_keep(input.mode))),
    );
    let transform = basin::fit(
        transform,
        train,
        &targets,
        spec,
        DISTILL_STEPS - coarse,
        batch_size,
        DISTILL_LEARNING_RATE / 10.0,
        seed ^ 1,
        (distill_keep(input.mode) > 0.0).then_some((keep, distill_keep(input.mode))),
    );
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "distilled");
    let test = &input.dataset.test;
    let scored: Vec<usize> = subset(test.len(), N_TEST, 1)
        .into_iter()
        .take(CHUNK)
        .collect();
    let scored_groups = groups_of(input, test, &scored);
    let x = pixels_tensor(test, spec, &scored, input.device);
    let target = found.editor.apply(&found.edit, x.clone(), &scored_groups);
    let learned = transform.valid().forward(x).clamp(0.0, 1.0);
    let mean_rms = |a: Tensor<4>, b: Tensor<4>| {
        rms(a, b)
            .into_data()
            .iter::<f32>()
            .map(f64::from)
            .sum::<f64>()
            / scored.len().max(1) as f64
    };
    let distill_rms = mean_rms(learned.clone(), target.clone());
    // Scored only: how far the edit and its distillation are from L* x.
    let edit_truth_rms = input.ground_truth.map(|config| {
        let truth = basin::truth_of(&config, true, &scored);
        let all: Vec<usize> = (0..scored.len()).collect();
        let truth = pixels_tensor(&truth, spec, &all, input.device);
        tracing::info!(
            edit = mean_rms(target.clone(), truth.clone()),
            distilled = mean_rms(learned.clone(), truth.clone()),
            "RMS from L* x"
        );
        mean_rms(target, truth)
    });
    Ok((
        transform,
        ReflectionReport {
            distill_rms,
            edit_truth_rms,
            ..found.report
        },
    ))
}

/// Rounds of [`refine`].
const REFINE_ROUNDS: usize = 5;

/// A reflection made self-consistent: each code takes the side of the hyperplane it falls on,
/// the direction and thresholds are recomputed from those sides, [`REFINE_ROUNDS`] times (the
/// splitter's errors near the boundary stop pulling the direction).
pub fn refine(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    start: &Reflection,
) -> Reflection {
    let mut reflection = start.clone();
    for _ in 0..REFINE_ROUNDS {
        let sides: Vec<bool> = codes
            .iter()
            .zip(groups)
            .map(|(z, &g)| dot(z, &reflection.direction) > reflection.thresholds[g])
            .collect();
        match side_reflection(codes, groups, n_groups, &sides) {
            Some(next) => reflection = next,
            None => break,
        }
    }
    reflection
}

/// Trains the autoencoder on `train` (deterministic for `seed`), reporting progress in `[0, 1]`.
fn train_autoencoder(
    train: &Split,
    spec: &InputSpec,
    seed: u64,
    device: &Device,
    progress: &mut dyn FnMut(f64, &str),
) -> Autoencoder {
    let autodiff = device.clone().autodiff();
    let config = AutoencoderConfig::new(spec.channels, spec.height, spec.width).with_latent(LATENT);
    let mut network = seeded(&autodiff, seed, || config.init(&autodiff));
    let mut optimizer = AdamConfig::new().init();
    let mut generator = SplitMix64::new(seed ^ 0xae);
    let steps = PRESENTATIONS / BATCH;
    for step in 1..=steps {
        let indices: Vec<usize> = (0..BATCH.min(train.len()))
            .map(|_| (generator.next_u64() % train.len() as u64) as usize)
            .collect();
        let x = pixels_tensor(train, spec, &indices, &autodiff);
        let diff = network.forward(x.clone()) - x;
        let loss = (diff.clone() * diff).mean();
        let gradients = GradientsParams::from_grads(loss.backward(), &network);
        network = optimizer.step(LEARNING_RATE, network, gradients);
        if step % 50 == 0 {
            progress(
                step as f64 / steps as f64,
                &format!("autoencoder step {step} of {steps}"),
            );
        }
    }
    network.valid()
}

/// The codes of the images `indices` of `split`.
fn encode(
    network: &Autoencoder,
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
) -> Vec<Vec<f64>> {
    let device = network.down1.weight.device();
    indices
        .chunks(CHUNK)
        .flat_map(|chunk| {
            let codes = rows(network.encode(pixels_tensor(split, spec, chunk, &device)));
            codes
                .chunks(LATENT)
                .map(|row| row.iter().map(|&v| f64::from(v)).collect())
                .collect::<Vec<Vec<f64>>>()
        })
        .collect()
}

/// The images of `train` as `[0, 1]` values, one row each.
fn images_of(train: &Split) -> Vec<Vec<f32>> {
    (0..train.len())
        .map(|i| {
            train
                .image(i)
                .iter()
                .map(|&b| f32::from(b) / 255.0)
                .collect()
        })
        .collect()
}

/// The images of `train` congealed in their `groups` (the data set's classes) and split in two.
pub(super) fn congeal_split(input: &SymmetryInput, train: &Split, groups: &[usize]) -> Congealed {
    let spec = &input.dataset.info.input;
    let dims = Dims {
        channels: spec.channels,
        height: spec.height,
        width: spec.width,
    };
    let n_groups = input.dataset.info.class_names.len();
    congeal::congeal(&images_of(train), groups, n_groups, dims, None)
}

/// A candidate edit.
#[derive(Debug, Clone)]
pub(super) enum Edit {
    /// Residual transfer of a reflection of the autoencoder's codes.
    Latent(Reflection),
    /// The template edit of congealing.
    Template,
}

/// What the candidate edits are made with: the autoencoder and the congealed groups.
pub(super) struct Editor {
    /// The autoencoder.
    pub network: Autoencoder,
    /// The training images congealed in their groups.
    pub congealed: Congealed,
}

impl Editor {
    /// `edit` of `images` (`groups`: each one's group), clamped to `[0, 1]`.
    pub fn apply(&self, edit: &Edit, images: Tensor<4>, groups: &[usize]) -> Tensor<4> {
        match edit {
            Edit::Latent(reflection) => latent_edit(&self.network, reflection, images, groups),
            Edit::Template => {
                let dims = images.dims();
                let device = images.device();
                let len = dims[1] * dims[2] * dims[3];
                let values: Vec<f32> = images.into_data().iter::<f32>().collect();
                let moved: Vec<f32> = values
                    .chunks(len)
                    .zip(groups)
                    .flat_map(|(image, &group)| self.congealed.edit(image, group))
                    .collect();
                Tensor::from_data(TensorData::new(moved, dims), &device)
            }
        }
    }
}

/// The edit x + Dec(T z) − Dec(z) of `images` (`groups`: each one's group), clamped to `[0, 1]`.
pub fn latent_edit(
    network: &Autoencoder,
    reflection: &Reflection,
    images: Tensor<4>,
    groups: &[usize],
) -> Tensor<4> {
    let z = network.encode(images.clone());
    let [n, dim] = z.dims();
    let reflected: Vec<f32> = rows(z.clone())
        .chunks(dim)
        .zip(groups)
        .flat_map(|(row, &group)| {
            let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
            reflection.reflect(&row, group)
        })
        .map(|v| v as f32)
        .collect();
    let moved = Tensor::<2>::from_data(TensorData::new(reflected, [n, dim]), &images.device());
    (images + network.decode(moved) - network.decode(z)).clamp(0.0, 1.0)
}

/// The groups of the images `indices` of `split`: their true labels (from f) or Φ's argmax
/// (from Φ).
pub(super) fn groups_of(input: &SymmetryInput, split: &Split, indices: &[usize]) -> Vec<usize> {
    let spec = &input.dataset.info.input;
    match input.mode {
        SymmetryMode::FromLabels => indices
            .iter()
            .map(|&i| usize::from(split.labels[i]))
            .collect(),
        SymmetryMode::FromPhi => {
            let classes = input.dataset.info.class_names.len();
            indices
                .chunks(CHUNK)
                .flat_map(|chunk| {
                    let images = pixels_tensor(split, spec, chunk, input.device);
                    row_argmax(&rows(input.model.forward(normalize(images, spec))), classes)
                })
                .collect()
        }
    }
}

/// The glasses and identity oracles of a data set with a ground truth, with its generator.
pub(super) struct Oracles<'a> {
    /// The Glasses generator.
    pub config: memlab_shared::glasses::GlassesConfig,
    /// The glasses oracle and its input spec.
    pub glasses: (&'a InputSpec, &'a Classifier),
    /// The identity oracle and its input spec.
    pub identity: (&'a InputSpec, &'a Classifier),
}

/// The result of the search: what edits are made with, the chosen edit and the report.
pub(super) struct Search {
    /// The autoencoder and the congealed groups.
    pub editor: Editor,
    /// The chosen edit.
    pub edit: Edit,
    /// The report (distillation fields filled in later).
    pub report: ReflectionReport,
}

/// Trains the autoencoder on `train` (with `groups`), builds and judges the candidates, and
/// chooses one: the most bimodal among those that keep at least [`KEEP_FLOOR`], else the one
/// that keeps most. `sides`: the splitter's decisions on `train`, when stage A ran.
#[allow(clippy::too_many_arguments)]
pub(super) fn search(
    input: &SymmetryInput,
    train: &Split,
    groups: &[usize],
    congealed: Congealed,
    splitter: Option<(&Splitter, &[bool])>,
    oracles: Option<&Oracles>,
    seed: u64,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<Search, String> {
    let spec = &input.dataset.info.input;
    if !spec.height.is_multiple_of(4) || !spec.width.is_multiple_of(4) {
        return Err(format!(
            "the latent-reflection search needs image sides that are multiples of 4, got {}×{}",
            spec.height, spec.width
        ));
    }
    let n_groups = input.dataset.info.class_names.len();
    let mut stage = |fraction: f64, message: &str| progress(0.8 * fraction, message);
    let network = train_autoencoder(train, spec, seed, input.device, &mut stage);
    progress(0.8, "candidate reflections");
    let all: Vec<usize> = (0..train.len()).collect();
    let codes = encode(&network, train, spec, &all);
    let mut candidates: Vec<(String, Edit)> =
        principal_directions(&codes, groups, n_groups, PRINCIPAL)
            .into_iter()
            .enumerate()
            .map(|(k, direction)| {
                let p: Vec<f64> = codes.iter().map(|z| dot(z, &direction)).collect();
                let (_, thresholds) = modes_within(&p, groups, n_groups);
                (
                    format!("principal direction {} of the within-group codes", k + 1),
                    Edit::Latent(Reflection::new(&direction, thresholds)),
                )
            })
            .collect();
    // 2-means of the codes within each group, polarities aligned across groups (stage A's
    // clustering, in code space).
    let clusters = discovery::cluster_labels(&codes, groups);
    if let Some(reflection) = side_reflection(&codes, groups, n_groups, &clusters) {
        candidates.push((
            "between the two clusters of the codes in each group".to_owned(),
            Edit::Latent(reflection),
        ));
    }
    if let Some((_, sides)) = splitter
        && let Some(reflection) = side_reflection(&codes, groups, n_groups, sides)
    {
        let refined = refine(&codes, groups, n_groups, &reflection);
        candidates.push((
            "between the splitter's two sides".to_owned(),
            Edit::Latent(reflection),
        ));
        candidates.push((
            "the splitter's sides, refined along their direction".to_owned(),
            Edit::Latent(refined),
        ));
    }
    let images = images_of(train);
    let aligned = congealed.aligned_images(&images);
    candidates.push((
        "the two modes of each group's images aligned by pose and light (congealing), each moved by the other mode's mean".to_owned(),
        Edit::Template,
    ));
    let modes = congealed.modes(
        &input.dataset.info.class_names,
        strokes_on_dark(train, spec).then_some(&images[..]),
    )?;
    let editor = Editor { network, congealed };
    let judged = subset(train.len(), JUDGED, seed ^ 0x1dd);
    let test = &input.dataset.test;
    let scored = subset(test.len(), N_TEST, 1);
    let scored_groups = groups_of(input, test, &scored);
    let mut report_candidates: Vec<(ReflectionCandidate, Edit)> = candidates
        .into_iter()
        .map(|(name, edit)| {
            let (bimodality, sides) = match &edit {
                Edit::Latent(reflection) => {
                    let p: Vec<f64> = codes
                        .iter()
                        .map(|z| dot(z, &reflection.direction))
                        .collect();
                    let sides = p
                        .iter()
                        .zip(groups)
                        .map(|(p, &g)| *p > reflection.thresholds[g])
                        .collect();
                    (modes_within(&p, groups, n_groups).0, sides)
                }
                Edit::Template => (
                    editor.congealed.bimodality(),
                    editor.congealed.sides.clone(),
                ),
            };
            let aligned_share = editor.congealed.share_of(&aligned, groups, &sides);
            let (kept, mean_change, flip) =
                judge(input, &editor, &edit, train, &judged, groups, splitter);
            let scores = oracles.map(|oracles| {
                oracle_scores(input, &editor, &edit, &scored, &scored_groups, oracles)
            });
            let candidate = ReflectionCandidate {
                name,
                bimodality,
                aligned_share: Some(aligned_share),
                kept,
                mean_change,
                splitter_flip_rate: flip,
                toggle_rate: scores.map(|s| s.0),
                on_to_off: scores.map(|s| s.1),
                off_to_on: scores.map(|s| s.2),
                identity_kept: scores.map(|s| s.3),
            };
            (candidate, edit)
        })
        .collect();
    let share = |c: &ReflectionCandidate| c.aligned_share.unwrap_or(c.bimodality);
    report_candidates.sort_by(|a, b| share(&b.0).total_cmp(&share(&a.0)));
    let keeping = report_candidates
        .iter()
        .position(|(candidate, _)| candidate.kept >= KEEP_FLOOR);
    let (chosen, rule) = match keeping {
        Some(index) => (
            index,
            format!(
                "the candidate whose two sides explain most of the aligned images' spread among those that keep at least {KEEP_FLOOR} on held-out training images"
            ),
        ),
        None => (
            report_candidates
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.0.kept.total_cmp(&b.1.0.kept))
                .map_or(0, |(index, _)| index),
            format!("no candidate keeps {KEEP_FLOOR}: the one that keeps most"),
        ),
    };
    let edit = report_candidates
        .get(chosen)
        .map(|(_, edit)| edit.clone())
        .ok_or("no candidate direction (the codes do not vary)")?;
    let reconstruction_rms = {
        let chunk: Vec<usize> = scored.iter().copied().take(CHUNK).collect();
        let x = pixels_tensor(test, spec, &chunk, input.device);
        let r = rms(editor.network.forward(x.clone()), x).into_data();
        r.iter::<f32>().map(f64::from).sum::<f64>() / chunk.len().max(1) as f64
    };
    Ok(Search {
        editor,
        edit,
        report: ReflectionReport {
            latent: LATENT,
            images: train.len(),
            reconstruction_rms,
            candidates: report_candidates.into_iter().map(|(c, _)| c).collect(),
            chosen,
            rule,
            distill_steps: DISTILL_STEPS,
            distill_keep_weight: distill_keep(input.mode),
            distill_keep_term: match input.mode {
                SymmetryMode::FromPhi => "‖Φ(L x) − Φ(x)‖² over the features' spread",
                SymmetryMode::FromLabels => "none (the regression alone)",
            }
            .into(),
            distill_rms: 0.0,
            edit_truth_rms: None,
            modes,
        },
    })
}

/// Whether `train`'s images are light strokes on a dark ground (one channel, mean value below
/// a third): where shape measures (stroke width, slant, loops) mean something.
fn strokes_on_dark(train: &Split, spec: &InputSpec) -> bool {
    let total: f64 = train.images.iter().map(|&v| f64::from(v) / 255.0).sum();
    spec.channels == 1 && super::shape::strokes_on_dark(total / train.images.len().max(1) as f64)
}

/// On the images `indices` of `train`: the fraction whose kept quantity survives the edit, the
/// mean RMS change, and the splitter's flip rate.
fn judge(
    input: &SymmetryInput,
    editor: &Editor,
    edit: &Edit,
    train: &Split,
    indices: &[usize],
    groups: &[usize],
    splitter: Option<(&Splitter, &[bool])>,
) -> (f64, f64, Option<f64>) {
    let spec = &input.dataset.info.input;
    let classes = input.dataset.info.class_names.len();
    let (mut kept, mut change, mut flipped) = (0usize, 0.0, 0usize);
    for chunk in indices.chunks(CHUNK) {
        let x = pixels_tensor(train, spec, chunk, input.device);
        let chunk_groups: Vec<usize> = chunk.iter().map(|&i| groups[i]).collect();
        let moved = editor.apply(edit, x.clone(), &chunk_groups);
        change += rms(moved.clone(), x.clone())
            .into_data()
            .iter::<f32>()
            .map(f64::from)
            .sum::<f64>();
        let predicted = |images: Tensor<4>| match (input.mode, input.label_model) {
            (SymmetryMode::FromLabels, Some(label_model)) => {
                row_argmax(&rows(label_model.logits(images)), classes)
            }
            _ => row_argmax(&rows(input.model.forward(normalize(images, spec))), classes),
        };
        let wanted: Vec<usize> = match input.mode {
            SymmetryMode::FromLabels => chunk
                .iter()
                .map(|&i| usize::from(train.labels[i]))
                .collect(),
            SymmetryMode::FromPhi => predicted(x.clone()),
        };
        let after = predicted(moved.clone());
        kept += after.iter().zip(&wanted).filter(|(a, b)| a == b).count();
        if let Some((splitter, _)) = splitter {
            let before = splitter.probability(x).into_data();
            let after = splitter.probability(moved).into_data();
            flipped += before
                .iter::<f32>()
                .zip(after.iter::<f32>())
                .filter(|(a, b)| (*a > 0.5) != (*b > 0.5))
                .count();
        }
    }
    let n = indices.len().max(1) as f64;
    (
        kept as f64 / n,
        change / n,
        splitter.map(|_| flipped as f64 / n),
    )
}

/// Scored only, on the edited test images `indices`: the glasses oracle's toggle rate (overall,
/// on → off, off → on) and the identity oracle's agreement with the true identity.
fn oracle_scores(
    input: &SymmetryInput,
    editor: &Editor,
    edit: &Edit,
    indices: &[usize],
    groups: &[usize],
    oracles: &Oracles,
) -> (f64, f64, f64, f64) {
    let spec = &input.dataset.info.input;
    let test = &input.dataset.test;
    let identities = oracles.config.identity_list();
    let (mut seen, mut truths, mut who, mut labels) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (chunk, chunk_groups) in indices.chunks(CHUNK).zip(groups.chunks(CHUNK)) {
        let x = pixels_tensor(test, spec, chunk, input.device);
        let moved = editor.apply(edit, x, chunk_groups);
        let (glasses_spec, glasses) = oracles.glasses;
        seen.extend(row_argmax(
            &rows(glasses.forward(normalize(moved.clone(), glasses_spec))),
            2,
        ));
        let (identity_spec, identity) = oracles.identity;
        let classes = input.dataset.info.class_names.len();
        who.extend(row_argmax(
            &rows(identity.forward(normalize(moved, identity_spec))),
            classes,
        ));
        truths.extend(
            chunk.iter().map(|&index| {
                usize::from(oracles.config.example(&identities, true, index).glasses)
            }),
        );
        labels.extend(chunk.iter().map(|&index| usize::from(test.labels[index])));
    }
    let toggled: Vec<usize> = truths.iter().map(|&worn| 1 - worn).collect();
    (
        agreement(&seen, &toggled),
        super::toggle_among(&seen, &truths, 1),
        super::toggle_among(&seen, &truths, 0),
        agreement(&who, &labels),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// T(T z) = z for any z and group, and T moves a point on the hyperplane nowhere.
    #[test]
    fn the_reflection_is_an_exact_involution() {
        let reflection = Reflection::new(&[3.0, 4.0, 0.0], vec![0.5, -2.0]);
        assert!((dot(&reflection.direction, &reflection.direction) - 1.0).abs() < 1e-15);
        for (z, group) in [(vec![1.0, -2.0, 7.0], 0), (vec![0.3, 0.1, -0.2], 1)] {
            let twice = reflection.reflect(&reflection.reflect(&z, group), group);
            for (a, b) in twice.iter().zip(&z) {
                assert!((a - b).abs() < 1e-12, "{twice:?} vs {z:?}");
            }
        }
        // On the hyperplane ⟨n, z⟩ = 0.5 (group 0): z = 0.5 n + anything orthogonal.
        let on_plane = vec![0.3, 0.4, 9.0];
        let moved = reflection.reflect(&on_plane, 0);
        for (a, b) in moved.iter().zip(&on_plane) {
            assert!((a - b).abs() < 1e-12);
        }
        // By hand: z = (1, 0, 0), n = (0.6, 0.8, 0), b = 0.5: ⟨n, z⟩ = 0.6, s = 0.2,
        // T z = (1 − 0.12, −0.16, 0).
        let by_hand = reflection.reflect(&[1.0, 0.0, 0.0], 0);
        let expected = [0.88, -0.16, 0.0];
        for (a, b) in by_hand.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{by_hand:?}");
        }
    }

    /// Two points per mode are split exactly (all variance explained); an even grid on
    /// [−1, 1] splits at 0 with centres ∓1/2 and, in the limit, 3/4 of its variance explained.
    #[test]
    fn two_modes_has_known_answers() {
        let (low, high, explained) = two_modes(&[2.0, -1.0, 2.0, -1.0]).expect("values vary");
        assert_eq!((low, high), (-1.0, 2.0));
        assert!((explained - 1.0).abs() < 1e-12);
        let grid: Vec<f64> = (0..2000)
            .map(|i| -1.0 + (i as f64 + 0.5) / 1000.0)
            .collect();
        let (low, high, explained) = two_modes(&grid).expect("values vary");
        assert!((low + 0.5).abs() < 1e-9 && (high - 0.5).abs() < 1e-9);
        assert!((explained - 0.75).abs() < 1e-5, "{explained}");
        assert_eq!(two_modes(&[1.0, 1.0, 1.0]), None);
        // By hand: {0, 1, 3}, total = 0 + 1 + 9 − 16/3 = 14/3; split {0} | {1, 3}: between
        // = 1·2/3·2² = 8/3; split {0, 1} | {3}: 2·1/3·2.5² = 25/6, the larger: explained 25/28.
        let (low, high, explained) = two_modes(&[3.0, 0.0, 1.0]).expect("values vary");
        assert_eq!((low, high), (0.5, 3.0));
        assert!((explained - 25.0 / 28.0).abs() < 1e-12);
    }

    /// Codes with a planted binary factor along the third axis within two groups whose means
    /// differ: the side direction is that axis, each group's threshold is its midpoint, and
    /// the reflection maps each side's points onto the other's.
    #[test]
    fn the_side_direction_finds_a_planted_factor() {
        let mut codes = Vec::new();
        let mut groups = Vec::new();
        let mut sides = Vec::new();
        for group in 0..2 {
            for k in 0..20 {
                let on = k % 2 == 0;
                let offset = if group == 0 { 0.0 } else { 5.0 };
                let jitter = 0.01 * (k / 2) as f64;
                codes.push(vec![
                    offset + jitter,
                    -offset,
                    offset + if on { 1.0 } else { -1.0 },
                ]);
                groups.push(group);
                sides.push(on);
            }
        }
        let reflection = side_reflection(&codes, &groups, 2, &sides).expect("both sides present");
        assert!(
            (reflection.direction[2] - 1.0).abs() < 1e-12,
            "{reflection:?}"
        );
        assert!((reflection.thresholds[0] - 0.0).abs() < 1e-12);
        assert!((reflection.thresholds[1] - 5.0).abs() < 1e-12);
        let moved = reflection.reflect(&codes[0], 0);
        assert!((moved[2] + 1.0).abs() < 1e-12);
        // Along the planted axis the codes are two points per group: fully bimodal.
        let p: Vec<f64> = codes.iter().map(|z| z[2]).collect();
        let (bimodality, thresholds) = modes_within(&p, &groups, 2);
        assert!((bimodality - 1.0).abs() < 1e-12);
        assert_eq!(thresholds, vec![0.0, 5.0]);
        // The principal within-group direction is the planted axis too (its variance 1
        // against the jitter's).
        let top = &principal_directions(&codes, &groups, 2, 1)[0];
        assert!((top[2].abs() - 1.0).abs() < 1e-6, "{top:?}");
    }

    /// Sides with a tenth of them wrong (every tenth code put on the other side) still give a
    /// direction near the planted axis; refining along it recovers the planted sides exactly, so
    /// the thresholds become the true midpoints.
    #[test]
    fn refining_recovers_planted_sides_from_noisy_ones() {
        let (mut codes, mut groups, mut noisy) = (Vec::new(), Vec::new(), Vec::new());
        for group in 0..2 {
            for k in 0..40 {
                let on = k % 2 == 0;
                let offset = 3.0 * group as f64;
                // A nuisance axis with a spread as large as the factor's, the same on both sides.
                let nuisance = ((k / 2) as f64 / 20.0 - 0.5) * 2.0;
                codes.push(vec![nuisance, offset + if on { 1.0 } else { -1.0 }]);
                groups.push(group);
                noisy.push(if k % 10 == 3 { !on } else { on });
            }
        }
        let start = side_reflection(&codes, &groups, 2, &noisy).expect("both sides present");
        let refined = refine(&codes, &groups, 2, &start);
        assert!(
            (refined.direction[1].abs() - 1.0).abs() < 1e-9,
            "{refined:?}"
        );
        let sign = refined.direction[1].signum();
        assert!((refined.thresholds[0] - 0.0).abs() < 1e-9);
        assert!(
            (refined.thresholds[1] - 3.0 * sign).abs() < 1e-9,
            "{refined:?}"
        );
    }

    /// A group too small to split takes the mean threshold of the others.
    #[test]
    fn small_groups_take_the_mean_threshold() {
        assert_eq!(
            fill_thresholds(vec![Some(1.0), None, Some(3.0)]),
            vec![1.0, 2.0, 3.0]
        );
    }
}
