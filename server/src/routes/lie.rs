//! Lie-generator discovery: start it for a finished experiment and read its report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::ErrorBody;
use memlab_shared::lie::{LieJob, LieReport, LieRequest};

use super::experiments::finished;
use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;
use memlab_science::lie;
use memlab_store as store;
use memlab_store::analyses::AnalysisKind;

/// `POST /api/experiments/{id}/lie`: queues discovery; the body (optional) is a
/// [`LieRequest`] (images, step). Answers 202 with the job.
#[utoipa::path(post, path = "/experiments/{id}/lie", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    request_body(content = Option<LieRequest>, description = "Optional; empty for the defaults"),
    responses((status = 202, description = "Queued", body = AnalysisJob<LieRequest, LieReport>),
        (status = 400, description = "Not JSON", body = ErrorBody), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet, or already being discovered", body = ErrorBody),
        (status = 422, description = "A value out of range", body = ErrorBody)))]
pub async fn lie_create(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<LieJob>), AppError> {
    let request: LieRequest = super::optional_body(&body, "Lie request")?;
    lie::settings(&request).map_err(AppError::Invalid)?;
    finished(&state, id).await?;
    if !store::analyses::queue(&state.pool, id, AnalysisKind::Lie, &request).await? {
        return Err(AppError::Conflict(format!(
            "generators of experiment {id} are already being discovered"
        )));
    }
    state.wake.all();
    Ok((StatusCode::ACCEPTED, Json(stored(&state, id).await?)))
}

async fn stored(state: &AppState, id: i64) -> Result<LieJob, AppError> {
    let how = format!(
        "no generators discovered for experiment {id} yet: POST /api/experiments/{id}/lie starts it"
    );
    super::stored_analysis(state, id, AnalysisKind::Lie, how).await
}

/// `GET /api/experiments/{id}/lie`: the job and, once done, the generators of the affine
/// algebra the features change least along, most invariant first.
#[utoipa::path(get, path = "/experiments/{id}/lie", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The job", body = AnalysisJob<LieRequest, LieReport>),
        (status = 404, description = "No such experiment, or never asked", body = ErrorBody)))]
pub async fn lie_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LieJob>, AppError> {
    Ok(Json(stored(&state, id).await?))
}
