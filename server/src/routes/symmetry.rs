//! Learned symmetries: start training L_θ in a mode, read its job (with the report so far),
//! and download its weights.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::{ErrorBody, JobStatus};
use memlab_shared::symmetry::{SymmetryJob, SymmetryMode, SymmetryReport, SymmetryRequest};

use super::experiments::{file_response, finished};
use crate::error::AppError;
use crate::extract::ApiPath;
use crate::jobs::symmetry as symmetry_jobs;
use crate::queue::load_dataset;
use crate::state::AppState;
use memlab_science::symmetry;
use memlab_store::{self as store, artifacts};

fn mode(text: &str) -> Result<SymmetryMode, AppError> {
    SymmetryMode::parse(text).ok_or_else(|| {
        AppError::NotFound(format!(
            "no symmetry mode '{text}': use from_phi or from_labels"
        ))
    })
}

/// `POST /api/experiments/{id}/symmetry/{mode}`: queues training L_θ for a finished
/// experiment; the body (optional) is a [`SymmetryRequest`]. Answers 202 with the job.
/// `flip_weight` > 0 first discovers a splitter S without attribute labels; `search` =
/// `reflection` starts L at a latent reflection; `basin_steps` > 0 runs the basin diagnosis
/// on Glasses.
#[utoipa::path(post, path = "/experiments/{id}/symmetry/{mode}", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id"), ("mode" = SymmetryMode, Path, description = "What L_θ keeps: Φ's features (from_phi) or the true label through f̂ (from_labels)")),
    request_body(content = Option<SymmetryRequest>, description = "Optional; empty for the defaults"),
    responses((status = 202, description = "Queued", body = AnalysisJob<SymmetryRequest, SymmetryReport>),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 404, description = "No such experiment or mode", body = ErrorBody),
        (status = 409, description = "Not trained yet, or already being learned", body = ErrorBody),
        (status = 422, description = "A value out of range, or a search the data set cannot take", body = ErrorBody)))]
pub async fn symmetry_create(
    State(state): State<AppState>,
    ApiPath((id, mode_text)): ApiPath<(i64, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<SymmetryJob>), AppError> {
    let mode = mode(&mode_text)?;
    let request: SymmetryRequest = super::optional_body(&body, "symmetry request")?;
    let settings = symmetry::settings(&request).map_err(AppError::Invalid)?;
    let experiment = finished(&state, id).await?;
    let dataset = load_dataset(&state, &experiment.config.dataset).await?;
    symmetry::check_input(&dataset.info.input, settings.search.unwrap_or_default())
        .map_err(AppError::Invalid)?;
    if !store::analyses::queue(&state.pool, id, symmetry_jobs::kind(mode), &request).await? {
        return Err(AppError::Conflict(format!(
            "a symmetry {} of experiment {id} is already being learned",
            mode.as_str()
        )));
    }
    state.wake.all();
    Ok((StatusCode::ACCEPTED, Json(stored(&state, id, mode).await?)))
}

async fn stored(state: &AppState, id: i64, mode: SymmetryMode) -> Result<SymmetryJob, AppError> {
    let name = mode.as_str();
    let how = format!(
        "no symmetry {name} learned for experiment {id} yet: POST /api/experiments/{id}/symmetry/{name} starts one"
    );
    super::stored_analysis(state, id, symmetry_jobs::kind(mode), how).await
}

/// `GET /api/experiments/{id}/symmetry/{mode}`: the job and its report (partial while it runs:
/// history and sample grids; then scores, and `ground_truth` on Glasses).
#[utoipa::path(get, path = "/experiments/{id}/symmetry/{mode}", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id"), ("mode" = SymmetryMode, Path, description = "What L_θ keeps: Φ's features (from_phi) or the true label through f̂ (from_labels)")),
    responses((status = 200, description = "The job", body = AnalysisJob<SymmetryRequest, SymmetryReport>),
        (status = 404, description = "No such experiment or mode, or never learned", body = ErrorBody)))]
pub async fn symmetry_get(
    State(state): State<AppState>,
    ApiPath((id, mode_text)): ApiPath<(i64, String)>,
) -> Result<Json<SymmetryJob>, AppError> {
    let mode = mode(&mode_text)?;
    Ok(Json(stored(&state, id, mode).await?))
}

/// `GET /api/experiments/{id}/symmetry/{mode}/weights`: L_θ in burn's record format (rebuild
/// it from the report's `network`).
#[utoipa::path(get, path = "/experiments/{id}/symmetry/{mode}/weights", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id"), ("mode" = SymmetryMode, Path, description = "What L_θ keeps: Φ's features (from_phi) or the true label through f̂ (from_labels)")),
    responses((status = 200, description = "L_θ's weights", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such experiment or mode, or never learned", body = ErrorBody),
        (status = 409, description = "Not finished", body = ErrorBody)))]
pub async fn symmetry_weights_get(
    State(state): State<AppState>,
    ApiPath((id, mode_text)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    let mode = mode(&mode_text)?;
    let job = stored(&state, id, mode).await?;
    if job.status != JobStatus::Done {
        return Err(AppError::Conflict(format!(
            "the symmetry {} of experiment {id} is not finished",
            mode.as_str()
        )));
    }
    file_response(
        &state,
        artifacts::symmetry_key(id, mode.as_str()),
        "application/octet-stream",
        format!("memlab-{id}-symmetry-{}.bpk", mode.as_str()),
    )
    .await
}
