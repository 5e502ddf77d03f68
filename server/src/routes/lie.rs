//! Lie-generator discovery: start it for a finished experiment and read its report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use memlab_shared::lie::{LieJob, LieRequest};

use super::experiments::finished;
use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;
use memlab_science::lie;
use memlab_store as store;
use memlab_store::analyses::AnalysisKind;

/// `POST /api/experiments/{id}/lie`: queues discovery; the body (optional) is a
/// [`LieRequest`]. Answers 202 with the job.
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

/// `GET /api/experiments/{id}/lie`: the job and, once done, the generators.
pub async fn lie_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LieJob>, AppError> {
    Ok(Json(stored(&state, id).await?))
}
