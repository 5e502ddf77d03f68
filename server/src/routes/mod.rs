//! HTTP handlers, one file per resource, named `resource_verb`, and [`api`]: the table of
//! every API route with its OpenAPI annotation (the only way a route is added).

pub mod bounds;
pub mod datasets;
pub mod docs;
pub mod events;
pub mod experiments;
pub mod health;
pub mod images;
pub mod lie;
pub mod predict;
pub mod probes;
pub mod replications;
pub mod studies;
pub mod symmetry;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::state::AppState;
use memlab_store as store;

/// Every API route (paths relative to `/api`), each from its handler's `#[utoipa::path]`, so
/// the router and the OpenAPI document ([`docs::openapi`]) are one list.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health_get))
        .routes(routes!(docs::openapi_get))
        .routes(routes!(docs::docs_page))
        .routes(routes!(
            experiments::experiments_list,
            experiments::experiment_create
        ))
        .routes(routes!(experiments::experiment_get))
        .routes(routes!(events::events_stream))
        .routes(routes!(experiments::experiment_resume))
        .routes(routes!(experiments::weights_get))
        .routes(routes!(experiments::safetensors_get))
        .routes(routes!(predict::predict_post))
        .routes(routes!(bounds::bounds_get, bounds::bounds_create))
        .routes(routes!(bounds::bounds_csv_get))
        .routes(routes!(bounds::layers_csv_get))
        .routes(routes!(probes::probes_get, probes::probes_create))
        .routes(routes!(probes::probes_csv_get))
        .routes(routes!(lie::lie_get, lie::lie_create))
        .routes(routes!(symmetry::symmetry_get, symmetry::symmetry_create))
        .routes(routes!(symmetry::symmetry_weights_get))
        .routes(routes!(studies::studies_list, studies::study_create))
        .routes(routes!(studies::study_get))
        .routes(routes!(replications::replications_get))
        .routes(routes!(replications::replication_run))
        .routes(routes!(images::image_publish))
        .routes(routes!(images::image_get))
        .routes(routes!(datasets::datasets_list))
        .routes(routes!(datasets::sample_get))
        .routes(routes!(datasets::geometry_create))
        .routes(routes!(datasets::geometry_get))
}

/// The stored `kind` analysis of experiment `id`; 404 for an unknown experiment, and 404 with
/// `how` (how to start one) when none was requested.
pub async fn stored_analysis<R: DeserializeOwned, T: DeserializeOwned>(
    state: &AppState,
    id: i64,
    kind: memlab_store::analyses::AnalysisKind,
    how: String,
) -> Result<memlab_shared::analysis::AnalysisJob<R, T>, AppError> {
    experiments::find(state, id).await?;
    store::analyses::get(&state.pool, id, kind)
        .await?
        .ok_or(AppError::NotFound(how))
}

/// An optional JSON body: empty (or blank) gives the default request; malformed JSON is 400
/// `invalid_json`, values that do not fit are 422.
pub fn optional_body<T: DeserializeOwned + Default>(
    body: &Bytes,
    what: &str,
) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        let detail = format!("{what}: {error}");
        match error.classify() {
            // Not JSON at all (as `ApiJson` answers); well-formed JSON with wrong values is 422.
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                AppError::BadRequest {
                    kind: "invalid_json",
                    detail,
                }
            }
            _ => AppError::Invalid(detail),
        }
    })
}

/// One CSV field, quoted when it holds a comma, quote or line break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV download named `filename`.
pub fn csv_response(text: String, filename: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
