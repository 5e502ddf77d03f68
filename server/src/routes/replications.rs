//! `GET /api/replications`: each published claim with memlab's number from this server's runs;
//! `POST /api/replications/{key}`: queue the runs a claim needs (admin on a public server).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use memlab_shared::api::ErrorBody;
use memlab_shared::replications::{Evidence, Replication};

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;
use crate::{replicate, replications};

/// Every claim in the page's order: the paper's number, memlab's (from the runs linked in
/// `evidence`), the verdict and its tolerance.
#[utoipa::path(get, path = "/replications", tag = "studies",
    responses((status = 200, description = "Every claim", body = Vec<Replication>)))]
pub async fn replications_get(
    State(state): State<AppState>,
) -> Result<Json<Vec<Replication>>, AppError> {
    Ok(Json(replications::rows(&state).await?))
}

/// `POST /api/replications/{key}`: queues the runs claim `key` needs (a study or run with the
/// same request already there is not queued twice); answers 202 with where they are.
#[utoipa::path(post, path = "/replications/{key}", tag = "studies", params(("key" = String, Path, description = "The claim's key, e.g. zhang-fit")),
    responses((status = 202, description = "Queued (or already there)", body = Vec<Evidence>),
        (status = 404, description = "No claim with this key, or one whose runs cannot be queued here", body = ErrorBody),
        (status = 422, description = "A data set the runs need is missing", body = ErrorBody)))]
pub async fn replication_run(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<(StatusCode, Json<Vec<Evidence>>), AppError> {
    let recipes = replicate::recipes(&key, false);
    if recipes.is_empty() {
        return Err(AppError::NotFound(format!(
            "no claim {key} whose runs can be queued here; GET /api/replications lists them"
        )));
    }
    let mut evidence = Vec::new();
    for recipe in &recipes {
        evidence.push(replicate::queue(&state, recipe).await?.0);
    }
    Ok((StatusCode::ACCEPTED, Json(evidence)))
}
