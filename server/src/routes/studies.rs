//! Studies: list, create (queue every member run), read with members and their bound panels.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use memlab_shared::studies::{Study, StudyRequest};

use super::experiments::{check_name, load_dataset};
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::studies;
use memlab_store as store;

/// `GET /api/studies`: newest first.
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

/// `GET /api/studies/{id}`.
pub async fn study_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Study>, AppError> {
    Ok(Json(find(&state, id).await?))
}

/// `POST /api/studies`: validates the grid and queues every member; answers 201 with the study.
pub async fn study_create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StudyRequest>,
) -> Result<(StatusCode, Json<Study>), AppError> {
    check_name(request.name.as_deref())?;
    let dataset = load_dataset(&state, &request.base.dataset).await?;
    let members = studies::plan(&request, &dataset).map_err(AppError::Invalid)?;
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| studies::default_name(&request));
    let named: Vec<(String, _)> = members
        .into_iter()
        .map(|(label, config)| (format!("{name}: {label}"), config))
        .collect();
    let id = store::studies::insert(&state.pool, &name, &request, &named).await?;
    // Read before waking the worker: the answer is the study as queued.
    let study = find(&state, id).await?;
    state.wake.all();
    Ok((StatusCode::CREATED, Json(study)))
}
