//! Experiments: list, create (queue a training run), read, and download weights.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use memlab_shared::api::{ErrorBody, Experiment, ExperimentConfig, JobStatus};

use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath};
use crate::queue;
use crate::state::AppState;
use memlab_store::artifacts::Artifact;
use memlab_store::{self as store, artifacts};

/// Adds live progress to a stored experiment.
fn with_progress(state: &AppState, mut experiment: Experiment) -> Experiment {
    if experiment.status == JobStatus::Running {
        experiment.progress = state.hub.progress(experiment.id);
    }
    experiment
}

/// Loads an experiment or answers 404.
pub async fn find(state: &AppState, id: i64) -> Result<Experiment, AppError> {
    let experiment = store::experiments::get(&state.pool, id).await?;
    let experiment =
        experiment.ok_or_else(|| AppError::NotFound(format!("no experiment with id {id}")))?;
    Ok(with_progress(state, experiment))
}

/// `GET /api/experiments`: newest first.
#[utoipa::path(get, path = "/experiments", tag = "experiments",
    responses((status = 200, description = "Every experiment, newest first, with live progress while training", body = Vec<Experiment>)))]
pub async fn experiments_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<Experiment>>, AppError> {
    let experiments = store::experiments::list(&state.pool).await?;
    Ok(Json(
        experiments
            .into_iter()
            .map(|experiment| with_progress(&state, experiment))
            .collect(),
    ))
}

/// `GET /api/experiments/{id}`: config, status, live progress, curves and metrics.
#[utoipa::path(get, path = "/experiments/{id}", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The experiment", body = Experiment), (status = 404, description = "No experiment with this id", body = ErrorBody)))]
pub async fn experiment_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Experiment>, AppError> {
    Ok(Json(find(&state, id).await?))
}

/// Refuses a user-given name that is blank or too long (`limits::NAME_CHARS`).
pub fn check_name(name: Option<&str>) -> Result<(), AppError> {
    match name {
        Some(name) if name.trim().is_empty() => {
            Err(AppError::Invalid("name must not be blank".into()))
        }
        Some(name) => memlab_shared::limits::NAME_CHARS
            .check(name.chars().count())
            .map(drop)
            .map_err(AppError::Invalid),
        None => Ok(()),
    }
}

/// `POST /api/experiments`: validates and queues a training run; answers 201 with the experiment.
///
/// The model is `mlp`, `lenet`, `patches` (with `patches`: patch, atoms, neighbors, grid,
/// whitening, dictionary_images, hidden) or `scattering` (with `scattering`: scales, angles,
/// calibration_images, hidden); every range is in `shared/src/limits.rs`.
#[utoipa::path(post, path = "/experiments", tag = "experiments", request_body = ExperimentConfig,
    responses(
        (status = 201, description = "Queued", body = Experiment),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A value out of range, or an unknown data set", body = ErrorBody)))]
pub async fn experiment_create(
    State(state): State<AppState>,
    ApiJson(config): ApiJson<ExperimentConfig>,
) -> Result<(StatusCode, Json<Experiment>), AppError> {
    check_name(config.name.as_deref())?;
    let id = queue::create_experiment(&state, &config).await?;
    // Read before waking the worker: the answer is the run as queued.
    let experiment = find(&state, id).await?;
    state.wake.all();
    Ok((StatusCode::CREATED, Json(experiment)))
}

/// `POST /api/experiments/{id}/resume`: queues an interrupted or failed run again; it goes on
/// from its last checkpoint when it has one (after every epoch; after the current step on
/// SIGTERM), else it starts over. 409 for any other status.
#[utoipa::path(post, path = "/experiments/{id}/resume", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "Queued again", body = Experiment), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Neither interrupted nor failed", body = ErrorBody)))]
pub async fn experiment_resume(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Experiment>, AppError> {
    let experiment = find(&state, id).await?;
    if !matches!(
        experiment.status,
        JobStatus::Interrupted | JobStatus::Failed
    ) || !store::experiments::requeue_unfinished(&state.pool, id).await?
    {
        return Err(AppError::Conflict(format!(
            "experiment {id} is {:?}: only an interrupted or failed run can be resumed",
            experiment.status
        )));
    }
    let experiment = find(&state, id).await?;
    state.wake.all();
    Ok(Json(experiment))
}

/// The finished experiment `id`, or 409 while it has no weights.
pub async fn finished(state: &AppState, id: i64) -> Result<Experiment, AppError> {
    let experiment = find(state, id).await?;
    if experiment.status != JobStatus::Done {
        return Err(AppError::Conflict(format!(
            "experiment {id} has no weights yet (status {:?})",
            experiment.status
        )));
    }
    Ok(experiment)
}

/// A file from disk as a download named `filename`.
pub async fn file_response(
    state: &AppState,
    key: String,
    content_type: &str,
    filename: String,
) -> Result<Response, AppError> {
    let worker = state.clone();
    let bytes =
        tokio::task::spawn_blocking(move || artifacts::read(worker.files.as_ref(), &key)).await??;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `GET /api/experiments/{id}/weights`: burn's record (burnpack), what the browser loads.
#[utoipa::path(get, path = "/experiments/{id}/weights", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The trained weights", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet", body = ErrorBody)))]
pub async fn weights_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    finished(&state, id).await?;
    let key = Artifact::Record.key(id);
    file_response(
        &state,
        key,
        "application/octet-stream",
        format!("memlab-{id}.bpk"),
    )
    .await
}

/// `GET /api/experiments/{id}/weights.safetensors`: PyTorch names and layouts.
#[utoipa::path(get, path = "/experiments/{id}/weights.safetensors", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The trained weights as safetensors", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet", body = ErrorBody)))]
pub async fn safetensors_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    finished(&state, id).await?;
    file_response(
        &state,
        Artifact::Safetensors.key(id),
        "application/octet-stream",
        format!("memlab-{id}.safetensors"),
    )
    .await
}
