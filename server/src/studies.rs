//! Studies: turn a [`StudyRequest`] into its member runs (validated like single runs), assemble
//! the study's view with each member's bound panel and probe (and, for augmentation studies,
//! what augmentation did to invariance), and queue a member's analyses when it finishes.

use memlab_shared::api::{
    Augmentation, Experiment, ExperimentConfig, InputRandomization, JobStatus, PatchSettings,
    Randomization,
};
use memlab_shared::bounds::{BoundJob, BoundRequest};
use memlab_shared::lie::{LieJob, LieRequest};
use memlab_shared::probes::{ProbeJob, ProbeReport, ProbeRequest};
use memlab_shared::studies::{InvarianceComparison, Study, StudyKind, StudyMember, StudyRequest};
use memlab_shared::transform::TransformKind;

use crate::state::AppState;
use memlab_science::data::Dataset;
use memlab_science::training;
use memlab_store::analyses::AnalysisKind;
use memlab_store::studies::StudyRow;
use memlab_store::{self as store, DbError};

pub use memlab_shared::limits::MAX_STUDY_MEMBERS as MAX_MEMBERS;

/// The default label-corruption grid.
pub const DEFAULT_CORRUPTIONS: [f64; 3] = [0.0, 0.5, 1.0];

/// The default augmentation of augmentation studies: rotations up to ±30°.
pub const DEFAULT_AUGMENTATION: Augmentation = Augmentation {
    rotation: 30.0,
    translation: 0.0,
    scale: 0.0,
    horizontal_flip: false,
};

/// The default sample sizes (capped at the training split; "all" is added).
pub const DEFAULT_SIZES: [usize; 5] = [500, 1000, 2000, 5000, 10_000];

fn input_label(inputs: InputRandomization) -> &'static str {
    match inputs {
        InputRandomization::None => "real images",
        InputRandomization::ShuffledPixels => "shuffled pixels",
        InputRandomization::RandomPixels => "random pixels",
        InputRandomization::Gaussian => "Gaussian inputs",
    }
}

/// The name a study gets when the request names none.
pub fn default_name(request: &StudyRequest) -> String {
    let model = request.base.model.label();
    match request.kind {
        StudyKind::Randomization => {
            format!("Randomization study: {model} on {}", request.base.dataset)
        }
        StudyKind::SampleSize => format!("Sample-size study: {model} on {}", request.base.dataset),
        StudyKind::Augmentation => {
            format!("Augmentation study: {model} on {}", request.base.dataset)
        }
        kind => format!(
            "Patch ablation ({}): {model} on {}",
            kind.variable().0,
            request.base.dataset
        ),
    }
}

/// A patch-ablation member's label, value and whether it lies on the curve.
fn patch_member(kind: StudyKind, settings: &PatchSettings) -> (f64, String, bool) {
    match kind {
        StudyKind::PatchWhitening => match settings.whitening {
            None => (0.0, "no whitening".to_owned(), false),
            Some(0.0) => (0.0, "ε = 0".to_owned(), false),
            Some(epsilon) => (epsilon, format!("ε = {epsilon}"), true),
        },
        StudyKind::PatchAtoms => (
            settings.atoms as f64,
            format!("Q = {}", settings.atoms),
            true,
        ),
        StudyKind::PatchNeighbors => {
            let k = settings.neighbors();
            (k as f64, format!("k = {k}"), true)
        }
        _ => (
            settings.patch as f64,
            format!("p = {}", settings.patch),
            true,
        ),
    }
}

/// The members of a patch ablation: the base run with the varied setting at each grid value.
fn patch_ablation(
    kind: StudyKind,
    values: &[f64],
    base: &ExperimentConfig,
) -> Result<Vec<(String, ExperimentConfig)>, String> {
    if base.model != memlab_shared::api::ModelKind::Patches {
        return Err(
            "patch ablations vary the whitened-patch model: base.model must be \"patches\"".into(),
        );
    }
    let settings = base.patches;
    let whole = |value: f64| -> Result<usize, String> {
        if value >= 1.0 && value.fract() == 0.0 {
            Ok(value as usize)
        } else {
            Err(format!(
                "{} must be whole numbers ≥ 1, got {value}",
                kind.variable().0
            ))
        }
    };
    let defaults: Vec<f64> = match kind {
        StudyKind::PatchWhitening => vec![1e-3, 1e-2, 0.1, 1.0, 10.0],
        StudyKind::PatchAtoms => vec![64.0, 128.0, 256.0, 512.0],
        StudyKind::PatchNeighbors => [0.1, 0.25, 0.4, 0.6]
            .iter()
            .map(|f| (f * settings.atoms as f64).round().max(1.0))
            .collect(),
        _ => vec![3.0, 4.0, 5.0, 6.0, 7.0],
    };
    let grid = if values.is_empty() {
        defaults
    } else {
        values.to_vec()
    };
    let mut variants: Vec<PatchSettings> = Vec::new();
    if kind == StudyKind::PatchWhitening {
        // The authors' two references: no whitening, and ε = 0.
        variants.push(PatchSettings {
            whitening: None,
            ..settings
        });
        variants.push(PatchSettings {
            whitening: Some(0.0),
            ..settings
        });
    }
    for &value in &grid {
        variants.push(match kind {
            StudyKind::PatchWhitening => {
                if !(value.is_finite() && value > 0.0) {
                    return Err(format!(
                        "whitening ε must be positive (ε = 0 is always included), got {value}"
                    ));
                }
                PatchSettings {
                    whitening: Some(value),
                    ..settings
                }
            }
            StudyKind::PatchAtoms => PatchSettings {
                atoms: whole(value)?,
                neighbors: None,
                ..settings
            },
            StudyKind::PatchNeighbors => PatchSettings {
                neighbors: Some(whole(value)?),
                ..settings
            },
            _ => PatchSettings {
                patch: whole(value)?,
                ..settings
            },
        });
    }
    let mut members = Vec::new();
    for (index, variant) in variants.iter().enumerate() {
        if variants[..index].contains(variant) {
            return Err(format!(
                "{} {} is listed twice",
                kind.variable().0,
                patch_member(kind, variant).1
            ));
        }
        let config = ExperimentConfig {
            patches: *variant,
            ..base.clone()
        };
        members.push((patch_member(kind, variant).1, config));
    }
    Ok(members)
}

/// The member runs of `request` on `dataset`, each validated; or why the request is refused.
pub fn plan(
    request: &StudyRequest,
    dataset: &Dataset,
) -> Result<Vec<(String, ExperimentConfig)>, String> {
    let base = ExperimentConfig {
        name: None,
        ..request.base.clone()
    };
    let mut members = Vec::new();
    if !request.kind.is_patch_ablation() && !request.values.is_empty() {
        return Err("values belong to patch ablations only".into());
    }
    match request.kind {
        kind @ (StudyKind::PatchWhitening
        | StudyKind::PatchAtoms
        | StudyKind::PatchNeighbors
        | StudyKind::PatchSize) => {
            if !request.sizes.is_empty()
                || !request.label_corruptions.is_empty()
                || !request.input_variants.is_empty()
                || !request.augmentations.is_empty()
            {
                return Err(
                    "sizes, label_corruptions, input_variants and augmentations do not belong to patch ablations"
                        .into(),
                );
            }
            members = patch_ablation(kind, &request.values, &base)?;
        }
        StudyKind::Randomization => {
            if !request.sizes.is_empty() || !request.augmentations.is_empty() {
                return Err(
                    "sizes and augmentations do not belong to randomization studies".into(),
                );
            }
            let grid: Vec<f64> = if request.label_corruptions.is_empty() {
                DEFAULT_CORRUPTIONS.to_vec()
            } else {
                request.label_corruptions.clone()
            };
            for (index, &p) in grid.iter().enumerate() {
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("label corruption must be in [0, 1], got {p}"));
                }
                if grid[..index].contains(&p) {
                    return Err(format!("label corruption {p} is listed twice"));
                }
                let config = ExperimentConfig {
                    randomization: Randomization {
                        label_corruption: p,
                        inputs: InputRandomization::None,
                    },
                    ..base.clone()
                };
                members.push((format!("p = {p}"), config));
            }
            for (index, &inputs) in request.input_variants.iter().enumerate() {
                if inputs == InputRandomization::None
                    || request.input_variants[..index].contains(&inputs)
                {
                    return Err(
                        "input_variants must be distinct randomizations (not \"none\")".into(),
                    );
                }
                let config = ExperimentConfig {
                    randomization: Randomization {
                        label_corruption: 0.0,
                        inputs,
                    },
                    ..base.clone()
                };
                members.push((input_label(inputs).to_owned(), config));
            }
        }
        StudyKind::Augmentation => {
            if !request.sizes.is_empty()
                || !request.label_corruptions.is_empty()
                || !request.input_variants.is_empty()
            {
                return Err(
                    "sizes, label_corruptions and input_variants do not belong to augmentation studies"
                        .into(),
                );
            }
            let augmentations = if request.augmentations.is_empty() {
                vec![DEFAULT_AUGMENTATION]
            } else {
                request.augmentations.clone()
            };
            members.push((
                "no augmentation".to_owned(),
                ExperimentConfig {
                    augmentation: Augmentation::default(),
                    ..base.clone()
                },
            ));
            for (index, &augmentation) in augmentations.iter().enumerate() {
                if augmentation.is_none() || augmentations[..index].contains(&augmentation) {
                    return Err("augmentations must be distinct and not empty".into());
                }
                members.push((
                    augmentation.describe(),
                    ExperimentConfig {
                        augmentation,
                        ..base.clone()
                    },
                ));
            }
        }
        StudyKind::SampleSize => {
            if !request.label_corruptions.is_empty()
                || !request.input_variants.is_empty()
                || !request.augmentations.is_empty()
            {
                return Err(
                    "label_corruptions, input_variants and augmentations do not belong to sample_size studies"
                        .into(),
                );
            }
            let available = dataset.train.len();
            let grid: Vec<usize> = if request.sizes.is_empty() {
                DEFAULT_SIZES
                    .iter()
                    .copied()
                    .filter(|&n| n < available)
                    .chain([available])
                    .collect()
            } else {
                request.sizes.clone()
            };
            for (index, &n) in grid.iter().enumerate() {
                if n == 0 || n > available {
                    return Err(format!(
                        "sizes must be between 1 and {available} for '{}', got {n}",
                        dataset.info.name
                    ));
                }
                if grid[..index].contains(&n) {
                    return Err(format!("size {n} is listed twice"));
                }
                let config = ExperimentConfig {
                    n_train: Some(n),
                    ..base.clone()
                };
                members.push((format!("n = {n}"), config));
            }
        }
    }
    if members.len() > MAX_MEMBERS {
        return Err(format!(
            "a study may have at most {MAX_MEMBERS} runs, this one has {}",
            members.len()
        ));
    }
    for (label, config) in &members {
        training::validate(config, dataset).map_err(|error| format!("{label}: {error}"))?;
    }
    let bounds = BoundRequest {
        delta: None,
        pac_bayes: request.pac_bayes.clone(),
    };
    memlab_science::bounds::settings::pac_bayes(&bounds, 0)?;
    Ok(members)
}

/// The member view of one run of a study of `kind`.
fn member(
    kind: StudyKind,
    experiment: Experiment,
    bounds: Option<BoundJob>,
    probes: Option<ProbeJob>,
    lie: Option<LieJob>,
) -> StudyMember {
    let config = &experiment.config;
    let (value, label, on_grid) = match kind {
        StudyKind::Randomization => {
            let p = config.randomization.label_corruption;
            match config.randomization.inputs {
                InputRandomization::None => (p, format!("p = {p}"), true),
                other => (p, input_label(other).to_owned(), false),
            }
        }
        StudyKind::SampleSize => {
            let n = config.n_train.unwrap_or(0);
            (n as f64, format!("n = {n}"), true)
        }
        StudyKind::Augmentation if config.augmentation.is_none() => {
            (0.0, "no augmentation".to_owned(), true)
        }
        StudyKind::Augmentation => (1.0, config.augmentation.describe(), true),
        kind => patch_member(kind, &config.patches),
    };
    StudyMember {
        value,
        label,
        on_grid,
        experiment,
        bounds,
        probes,
        lie,
    }
}

/// The transforms an augmentation makes a model see during training.
pub fn augmented_transforms(augmentation: &Augmentation) -> Vec<TransformKind> {
    let mut transforms = Vec::new();
    if augmentation.rotation > 0.0 {
        transforms.push(TransformKind::Rotation);
    }
    if augmentation.translation > 0.0 {
        transforms.extend([TransformKind::TranslateX, TransformKind::TranslateY]);
    }
    if augmentation.scale > 0.0 {
        transforms.push(TransformKind::Scale);
    }
    if augmentation.horizontal_flip {
        transforms.push(TransformKind::HorizontalFlip);
    }
    transforms
}

/// Each augmented member against the plain one, for each transform its augmentation includes,
/// where both have a finished probe with that transform.
pub fn comparisons(members: &[StudyMember]) -> Vec<InvarianceComparison> {
    let report = |member: &StudyMember| member.probes.as_ref().and_then(|job| job.result.clone());
    let mean = |report: &ProbeReport, transform| {
        report
            .curves
            .iter()
            .find(|curve| curve.sweep.transform == transform)
            .map(|curve| curve.mean_consistency())
    };
    let Some(plain) = members
        .iter()
        .find(|m| m.experiment.config.augmentation.is_none())
        .and_then(report)
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for member in members {
        let augmentation = member.experiment.config.augmentation;
        let Some(augmented) = report(member).filter(|_| !augmentation.is_none()) else {
            continue;
        };
        for transform in augmented_transforms(&augmentation) {
            if let (Some(with), Some(without)) =
                (mean(&augmented, transform), mean(&plain, transform))
            {
                found.push(InvarianceComparison {
                    member: member.label.clone(),
                    transform,
                    with_augmentation: with,
                    without_augmentation: without,
                });
            }
        }
    }
    found
}

/// Progress of one member in [0, 1]: training, then (when asked) its bound panel and probe.
fn member_progress(member: &StudyMember, with_bounds: bool, with_probes: bool) -> f64 {
    let training = match member.experiment.status {
        JobStatus::Done => 1.0,
        JobStatus::Running => member
            .experiment
            .progress
            .as_ref()
            .map_or(0.0, |progress| progress.fraction),
        _ => 0.0,
    };
    let mut parts = vec![training];
    if with_bounds {
        parts.push(member.bounds.as_ref().map_or(0.0, |job| match job.status {
            JobStatus::Done => 1.0,
            _ => job.progress,
        }));
    }
    if with_probes {
        parts.push(member.probes.as_ref().map_or(0.0, |job| match job.status {
            JobStatus::Done => 1.0,
            _ => job.progress,
        }));
        parts.push(member.lie.as_ref().map_or(0.0, |job| match job.status {
            JobStatus::Done => 1.0,
            _ => job.progress,
        }));
    }
    parts.iter().sum::<f64>() / parts.len() as f64
}

/// Assembles the view of a stored study.
pub async fn view(state: &AppState, row: StudyRow) -> Result<Study, DbError> {
    let experiments = store::studies::members(&state.pool, row.id).await?;
    let with_bounds = row.request.bounds.unwrap_or(true);
    let mut members = Vec::with_capacity(experiments.len());
    for mut experiment in experiments {
        if experiment.status == JobStatus::Running {
            experiment.progress = state.hub.progress(experiment.id);
        }
        let bounds = store::analyses::bound_job(&state.pool, experiment.id).await?;
        let probes = store::analyses::get(&state.pool, experiment.id, AnalysisKind::Probes).await?;
        let lie = store::analyses::get(&state.pool, experiment.id, AnalysisKind::Lie).await?;
        members.push(member(row.kind, experiment, bounds, probes, lie));
    }
    let with_probes = row.kind == StudyKind::Augmentation;
    let failed = members.iter().any(|m| {
        matches!(
            m.experiment.status,
            JobStatus::Failed | JobStatus::Interrupted
        ) || [
            m.bounds.as_ref().map(|job| job.status),
            m.probes.as_ref().map(|job| job.status),
            m.lie.as_ref().map(|job| job.status),
        ]
        .iter()
        .any(|status| matches!(status, Some(JobStatus::Failed | JobStatus::Interrupted)))
    });
    let progress = if members.is_empty() {
        1.0
    } else {
        members
            .iter()
            .map(|m| member_progress(m, with_bounds, with_probes))
            .sum::<f64>()
            / members.len() as f64
    };
    let started = members
        .iter()
        .any(|m| m.experiment.status != JobStatus::Queued);
    let status = if failed {
        JobStatus::Failed
    } else if progress >= 1.0 {
        JobStatus::Done
    } else if started {
        JobStatus::Running
    } else {
        JobStatus::Queued
    };
    Ok(Study {
        id: row.id,
        name: row.name,
        kind: row.kind,
        request: row.request,
        created_at: row.created_at,
        status,
        progress,
        comparisons: comparisons(&members),
        members,
    })
}

/// After a run finished training: when it is a demo, queue the analyses the demo shows; when it
/// belongs to a study that wants bounds, queue its bound panel.
pub async fn after_training(state: &AppState, id: i64) -> Result<(), DbError> {
    let Some(experiment) = store::experiments::get(&state.pool, id).await? else {
        return Ok(());
    };
    if experiment.status != JobStatus::Done {
        return Ok(());
    }
    if store::experiments::is_demo(&state.pool, id).await? {
        return crate::demo::queue_analyses(state, experiment, false).await;
    }
    let Some(study_id) = experiment.study_id else {
        return Ok(());
    };
    let Some(study) = store::studies::get(&state.pool, study_id).await? else {
        return Ok(());
    };
    let request = BoundRequest {
        delta: None,
        pac_bayes: study.request.pac_bayes.clone(),
    };
    // (The request was validated when the study was created.)
    if study.kind == StudyKind::Augmentation {
        let probe = ProbeRequest::default();
        if store::analyses::queue(&state.pool, id, AnalysisKind::Probes, &probe).await? {
            state.wake.all();
        }
        let lie = LieRequest::default();
        if store::analyses::queue(&state.pool, id, AnalysisKind::Lie, &lie).await? {
            state.wake.all();
        }
    }
    if study.request.bounds.unwrap_or(true)
        && store::analyses::queue(&state.pool, id, AnalysisKind::Bounds, &request).await?
    {
        state.wake.all();
    }
    Ok(())
}
