//! The HTTP surface: `pub fn app(state) -> Router` with the JSON API under `/api` and the built
//! frontend (single-page app) everywhere else.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::routes::{
    bounds, datasets, events, experiments, health, images, lie, predict, probes, studies, symmetry,
};
use crate::state::AppState;

pub use memlab_shared::limits::MAX_BODY_BYTES;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let index = state.static_dir.join("index.html");
    let frontend = ServeDir::new(&state.static_dir).fallback(ServeFile::new(index));
    let api = Router::new()
        .route("/health", get(health::health_get))
        .route(
            "/experiments",
            get(experiments::experiments_list).post(experiments::experiment_create),
        )
        .route("/experiments/{id}", get(experiments::experiment_get))
        .route("/experiments/{id}/events", get(events::events_stream))
        .route(
            "/experiments/{id}/resume",
            post(experiments::experiment_resume),
        )
        .route("/experiments/{id}/weights", get(experiments::weights_get))
        .route(
            "/experiments/{id}/weights.safetensors",
            get(experiments::safetensors_get),
        )
        .route("/experiments/{id}/predict", post(predict::predict_post))
        .route(
            "/experiments/{id}/bounds",
            get(bounds::bounds_get).post(bounds::bounds_create),
        )
        .route("/experiments/{id}/bounds.csv", get(bounds::bounds_csv_get))
        .route(
            "/experiments/{id}/bounds/layers.csv",
            get(bounds::layers_csv_get),
        )
        .route(
            "/experiments/{id}/probes",
            get(probes::probes_get).post(probes::probes_create),
        )
        .route("/experiments/{id}/probes.csv", get(probes::probes_csv_get))
        .route(
            "/experiments/{id}/lie",
            get(lie::lie_get).post(lie::lie_create),
        )
        .route(
            "/experiments/{id}/symmetry/{mode}",
            get(symmetry::symmetry_get).post(symmetry::symmetry_create),
        )
        .route(
            "/experiments/{id}/symmetry/{mode}/weights",
            get(symmetry::symmetry_weights_get),
        )
        .route(
            "/studies",
            get(studies::studies_list).post(studies::study_create),
        )
        .route("/studies/{id}", get(studies::study_get))
        .route("/images", post(images::image_publish))
        .route("/images/{image}", get(images::image_get))
        .route("/datasets", get(datasets::datasets_list))
        .route(
            "/datasets/{name}/samples/{index}",
            get(datasets::sample_get),
        )
        .route("/datasets/{name}/geometry", get(datasets::geometry_get))
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::admin::guard,
    ));
    Router::new()
        .nest("/api", api)
        .fallback_service(frontend)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no API route {uri}"))
}

async fn api_method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::MethodNotAllowed(format!("{uri} does not answer {method}"))
}
