//! Studies: list, create (queue every member run), read with members and their bound panels.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use memlab_shared::api::ErrorBody;
use memlab_shared::studies::{Study, StudyRequest};

use super::experiments::check_name;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath};
use crate::queue;
use crate::state::AppState;
use crate::studies;
use memlab_store as store;

/// `GET /api/studies`: newest first.
#[utoipa::path(get, path = "/studies", tag = "studies",
    responses((status = 200, description = "Every study with its members", body = Vec<Study>)))]
pub async fn studies_list(State(state): State<AppState>) -> Result<Json<Vec<Study>>, AppError> {
    let mut list = Vec::new();
    for row in store::studies::list(&state.pool).await? {
        list.push(studies::view(&state, row).await?);
    }
    Ok(Json(list))
}

async fn find(state: &AppState, id: i64) -> Result<Study, AppError> {
    let row = store::studies::get(&state.pool, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no study with id {id}")))?;
    Ok(studies::view(state, row).await?)
}

/// `GET /api/studies/{id}`: status, progress, and the members with their runs and panels.
#[utoipa::path(get, path = "/studies/{id}", tag = "studies", params(("id" = i64, Path, description = "The study's id")),
    responses((status = 200, description = "The study", body = Study),
        (status = 404, description = "No study with this id", body = ErrorBody)))]
pub async fn study_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Study>, AppError> {
    Ok(Json(find(&state, id).await?))
}

/// `POST /api/studies`: validates the grid and queues every member; answers 201 with the study.
///
/// Kinds: `randomization` (label corruptions, input variants), `sample_size`, `augmentation`,
/// and the patch ablations `patch_whitening`, `patch_atoms`, `patch_neighbors`, `patch_size`
/// (with `values`, base model `patches`).
#[utoipa::path(post, path = "/studies", tag = "studies", request_body = StudyRequest,
    responses((status = 201, description = "Queued", body = Study),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A value out of range, or an unknown data set", body = ErrorBody)))]
pub async fn study_create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StudyRequest>,
) -> Result<(StatusCode, Json<Study>), AppError> {
    check_name(request.name.as_deref())?;
    let id = queue::create_study(&state, &request).await?;
    // Read before waking the worker: the answer is the study as queued.
    let study = find(&state, id).await?;
    state.wake.all();
    Ok((StatusCode::CREATED, Json(study)))
}
