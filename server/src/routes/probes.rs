//! Invariance probes: start the job, read it, and export its curves as CSV.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::ErrorBody;
use memlab_shared::probes::{ProbeJob, ProbeReport, ProbeRequest};

use super::experiments::finished;
use super::{csv_response, field};
use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;
use memlab_science::probes;
use memlab_store as store;
use memlab_store::analyses::AnalysisKind;

/// `POST /api/experiments/{id}/probes`: queues the probe of a finished experiment; the body
/// (optional) is a [`ProbeRequest`] (images, seed, and the sweeps: rotation, translate_x,
/// translate_y, scale, horizontal_flip, brightness, contrast, circular_shift_x/y). Answers 202
/// with the job.
#[utoipa::path(post, path = "/experiments/{id}/probes", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    request_body(content = Option<ProbeRequest>, description = "Optional; empty for the defaults"),
    responses((status = 202, description = "Queued", body = AnalysisJob<ProbeRequest, ProbeReport>),
        (status = 400, description = "Not JSON", body = ErrorBody), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet, or already being probed", body = ErrorBody),
        (status = 422, description = "A value out of range", body = ErrorBody)))]
pub async fn probes_create(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<ProbeJob>), AppError> {
    let request: ProbeRequest = super::optional_body(&body, "probe request")?;
    let experiment = finished(&state, id).await?;
    let dataset = crate::queue::load_dataset(&state, &experiment.config.dataset).await?;
    probes::settings(&request, dataset.info.input.width).map_err(AppError::Invalid)?;
    if !store::analyses::queue(&state.pool, id, AnalysisKind::Probes, &request).await? {
        return Err(AppError::Conflict(format!(
            "experiment {id} is already being probed"
        )));
    }
    state.wake.all();
    Ok((StatusCode::ACCEPTED, Json(stored(&state, id).await?)))
}

async fn stored(state: &AppState, id: i64) -> Result<ProbeJob, AppError> {
    let how = format!(
        "experiment {id} has not been probed yet: POST /api/experiments/{id}/probes starts it"
    );
    super::stored_analysis(state, id, AnalysisKind::Probes, how).await
}

/// `GET /api/experiments/{id}/probes`: the job and, once done, its curves (consistency,
/// accuracy, sensitivity of logits and features per parameter value).
#[utoipa::path(get, path = "/experiments/{id}/probes", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The job", body = AnalysisJob<ProbeRequest, ProbeReport>),
        (status = 404, description = "No such experiment, or never probed", body = ErrorBody)))]
pub async fn probes_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProbeJob>, AppError> {
    Ok(Json(stored(&state, id).await?))
}

/// The curves as CSV: one row per transform and parameter value.
pub fn probes_csv(report: &ProbeReport) -> String {
    let mut out = String::from(
        "transform,unit,parameter,consistency,accuracy,sensitivity_logits,sensitivity_features,n_images\n",
    );
    let optional = |value: Option<f64>| value.map(|v| format!("{v:e}")).unwrap_or_default();
    for curve in &report.curves {
        for (index, parameter) in curve.parameters.iter().enumerate() {
            let row = [
                field(curve.sweep.transform.label()),
                field(curve.sweep.transform.unit()),
                parameter.to_string(),
                curve.consistency[index].to_string(),
                curve.accuracy[index].to_string(),
                optional(curve.sensitivity_logits[index]),
                optional(curve.sensitivity_features[index]),
                report.n_images.to_string(),
            ];
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// `GET /api/experiments/{id}/probes.csv`: one row per transform and parameter value.
#[utoipa::path(get, path = "/experiments/{id}/probes.csv", tag = "analyses", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The curves", content_type = "text/csv", body = String),
        (status = 404, description = "No such experiment, or never probed", body = ErrorBody),
        (status = 409, description = "The probe is not finished", body = ErrorBody)))]
pub async fn probes_csv_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    let report = stored(&state, id).await?.result.ok_or_else(|| {
        AppError::Conflict(format!("the probe of experiment {id} is not finished"))
    })?;
    Ok(csv_response(
        probes_csv(&report),
        format!("memlab-{id}-probes.csv"),
    ))
}
