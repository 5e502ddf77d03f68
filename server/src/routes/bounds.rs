//! Bound panels: start the job, read it, and export it as CSV.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::ErrorBody;
use memlab_shared::bounds::{BoundJob, BoundPanel, BoundRequest};

use super::experiments::{find, finished};
use super::{csv_response, field};
use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;
use memlab_science::bounds::settings;
use memlab_store as store;
use memlab_store::analyses::AnalysisKind;

/// `POST /api/experiments/{id}/bounds`: queues the panel of a finished experiment; the body
/// (optional) is a [`BoundRequest`] (δ, and a PAC-Bayes certificate to train). Answers 202 with
/// the job; an empty body gives the defaults.
#[utoipa::path(post, path = "/experiments/{id}/bounds", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    request_body(content = Option<BoundRequest>, description = "Optional; empty for the defaults"),
    responses((status = 202, description = "Queued", body = AnalysisJob<BoundRequest, BoundPanel>),
        (status = 400, description = "Not JSON", body = ErrorBody), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet, or a panel is already being computed", body = ErrorBody),
        (status = 422, description = "A value out of range", body = ErrorBody)))]
pub async fn bounds_create(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<BoundJob>), AppError> {
    let request: BoundRequest = super::optional_body(&body, "bound request")?;
    settings::delta(&request).map_err(AppError::Invalid)?;
    let experiment = finished(&state, id).await?;
    settings::settings(&request, experiment.config.seed).map_err(AppError::Invalid)?;
    if !store::analyses::queue(&state.pool, id, AnalysisKind::Bounds, &request).await? {
        return Err(AppError::Conflict(format!(
            "the bound panel of experiment {id} is already being computed"
        )));
    }
    state.wake.all();
    Ok((StatusCode::ACCEPTED, Json(stored(&state, id).await?)))
}

async fn stored(state: &AppState, id: i64) -> Result<BoundJob, AppError> {
    find(state, id).await?;
    store::analyses::bound_job(&state.pool, id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "no bound panel for experiment {id} yet: POST /api/experiments/{id}/bounds starts one"
        ))
    })
}

async fn panel(state: &AppState, id: i64) -> Result<BoundPanel, AppError> {
    stored(state, id).await?.result.ok_or_else(|| {
        AppError::Conflict(format!(
            "the bound panel of experiment {id} is not finished"
        ))
    })
}

/// `GET /api/experiments/{id}/bounds`: the job (status, progress, stage) and, once done, its
/// panel: every bound with its value, formula, inputs and source, next to the test error.
#[utoipa::path(get, path = "/experiments/{id}/bounds", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The job", body = AnalysisJob<BoundRequest, BoundPanel>),
        (status = 404, description = "No such experiment, or no panel requested", body = ErrorBody)))]
pub async fn bounds_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BoundJob>, AppError> {
    Ok(Json(stored(&state, id).await?))
}

fn number(value: f64) -> String {
    format!("{value:e}")
}

/// The bounds as CSV: one row per bound, its inputs as `symbol=value` pairs.
pub fn bounds_csv(panel: &BoundPanel) -> String {
    let mut out = String::from(
        "key,name,value,vacuous,not_applicable,train_error,test_error,delta,n_train,source,formula,inputs\n",
    );
    for bound in &panel.bounds {
        let inputs: Vec<String> = bound
            .inputs
            .iter()
            .map(|q| format!("{}={}", q.symbol, number(q.value)))
            .collect();
        let row = [
            field(&bound.key),
            field(&bound.name),
            bound.value.map(number).unwrap_or_default(),
            bound.vacuous.to_string(),
            field(bound.not_applicable.as_deref().unwrap_or("")),
            number(panel.train_error),
            number(panel.test_error),
            number(panel.delta),
            panel.n_train.to_string(),
            field(&bound.source),
            field(&bound.formula),
            field(&inputs.join("; ")),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The per-layer norms as CSV.
pub fn layers_csv(panel: &BoundPanel) -> String {
    let mut out = String::from(
        "layer,map,inputs,outputs,parameters,spectral,spectral_with_bias,frobenius,two_one,two_one_from_init,distance_from_init,activation,power_iterations,converged,spectral_with_bias_estimate\n",
    );
    for layer in &panel.layers {
        let row = [
            field(&layer.name),
            field(&layer.description),
            layer.inputs.to_string(),
            layer.outputs.to_string(),
            layer.parameters.to_string(),
            number(layer.spectral),
            number(layer.spectral_with_bias),
            number(layer.frobenius),
            number(layer.two_one),
            number(layer.two_one_from_init),
            number(layer.distance_from_init),
            field(&layer.activation),
            layer.power_iterations.to_string(),
            layer.converged.to_string(),
            layer
                .spectral_with_bias_estimate
                .map(number)
                .unwrap_or_default(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// `GET /api/experiments/{id}/bounds.csv`: one row per bound, its inputs as `symbol=value`.
#[utoipa::path(get, path = "/experiments/{id}/bounds.csv", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The panel's bounds", content_type = "text/csv", body = String),
        (status = 404, description = "No such experiment, or no panel requested", body = ErrorBody),
        (status = 409, description = "The panel is not finished", body = ErrorBody)))]
pub async fn bounds_csv_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    let panel = panel(&state, id).await?;
    Ok(csv_response(
        bounds_csv(&panel),
        format!("memlab-{id}-bounds.csv"),
    ))
}

/// `GET /api/experiments/{id}/bounds/layers.csv`: the per-layer norms of the panel.
#[utoipa::path(get, path = "/experiments/{id}/bounds/layers.csv", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "One row per layer", content_type = "text/csv", body = String),
        (status = 404, description = "No such experiment, or no panel requested", body = ErrorBody),
        (status = 409, description = "The panel is not finished", body = ErrorBody)))]
pub async fn layers_csv_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    let panel = panel(&state, id).await?;
    Ok(csv_response(
        layers_csv(&panel),
        format!("memlab-{id}-layers.csv"),
    ))
}
