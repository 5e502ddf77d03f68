//! The chosen edit distilled into L_θ (`TransformNet`): regression on training pairs (x, edit x),
//! with the mode's keep term, then the distillation's RMS on test images (and, scored only, the
//! edit's and L_θ's distance to L* x where a ground truth exists).

use burn::prelude::*;
use memlab_shared::model::TransformNet;
use memlab_shared::symmetry::{ReflectionReport, SymmetryMode};

use super::search::{CHUNK, Oracles, congeal_split, groups_of, search};
use crate::data::Split;
use crate::oracles::Oracle;
use crate::probes::subset;
use crate::symmetry::congeal::Congealed;
use crate::symmetry::discovery::Splitter;
use crate::symmetry::keep::KeepTerm;
use crate::symmetry::{N_TEST, SymmetryInput, basin, pixels_tensor, rms};

/// Regression steps distilling the chosen edit into L_θ. On Glasses from Φ, the template edit,
/// L_θ without its full-resolution layer: 1 500 steps left it 0.037 RMS from the edit, 2 000
/// steps 0.036, 2 500 steps 0.034; with 32 full-resolution maps (each step ≈ 1.5× the cost)
/// 2 000 steps 0.029 and 2 500 steps 0.028, and 2 000 keep both modes within the 15 minutes
/// (bench/RESULTS.md, issue 19).
pub const DISTILL_STEPS: usize = 2000;
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
pub(super) fn distill_keep(mode: SymmetryMode) -> f64 {
    match mode {
        SymmetryMode::FromPhi => 0.02,
        SymmetryMode::FromLabels => 0.0,
    }
}

/// L_θ started from the latent-reflection search on the training images `train` (the stage-A
/// subset): the search, then [`DISTILL_STEPS`] regression steps of `transform` (on an autodiff
/// device) onto the chosen edit of each image with `keep`'s term (the last third at a tenth of
/// the step size), and the distillation's RMS on test images.
#[allow(clippy::too_many_arguments)]
pub(in crate::symmetry) fn start(
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
