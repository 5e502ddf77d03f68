//! The search's candidates: the autoencoder of the training images, the reflections of its
//! codes (principal directions, the codes' own clusters, the splitter's sides) and congealing's
//! template edit; each judged, ranked by the share of the aligned images' spread it explains,
//! and one chosen.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use memlab_shared::model::{Autoencoder, AutoencoderConfig, Classifier};
use memlab_shared::preprocess::InputSpec;
use memlab_shared::symmetry::{ReflectionCandidate, ReflectionReport, SymmetryMode};

use super::distill::{DISTILL_STEPS, distill_keep};
use super::judge::{judge, oracle_scores};
use super::{Reflection, modes_within, principal_directions, refine, side_reflection};
use crate::data::Split;
use crate::probes::{row_argmax, subset};
use crate::rng::{SplitMix64, seeded};
use crate::symmetry::congeal::{self, Congealed, Dims};
use crate::symmetry::discovery::{self, Splitter, dot};
use crate::symmetry::{N_TEST, SymmetryInput, normalize, pixels_tensor, rms, rows};

/// Length of a code.
pub const LATENT: usize = 64;
/// Image presentations of the autoencoder's training: 50 000 since congealing's template edit
/// took the lead on Glasses (100 000 gave test reconstruction RMS 0.054 against 0.061 now, and
/// the codes' best candidate toggled 0.87 against 0.84 now); the time went to the distillation.
pub(super) const PRESENTATIONS: usize = 50_000;
/// Images per autoencoder step.
pub(super) const BATCH: usize = 64;
/// Adam's step size for the autoencoder.
pub(super) const LEARNING_RATE: f64 = 2e-3;
/// Principal directions tried.
pub(super) const PRINCIPAL: usize = 8;
/// Held-out training images each candidate is judged on.
pub(super) const JUDGED: usize = 500;
/// The least fraction of kept predictions a chosen candidate needs.
pub(super) const KEEP_FLOOR: f64 = 0.9;
/// Images per chunk of inference.
pub(super) const CHUNK: usize = 250;

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
pub(in crate::symmetry) fn congeal_split(
    input: &SymmetryInput,
    train: &Split,
    groups: &[usize],
) -> Congealed {
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
    spec.channels == 1
        && crate::symmetry::shape::strokes_on_dark(total / train.images.len().max(1) as f64)
}
