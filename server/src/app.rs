//! The HTTP surface: `pub fn app(state) -> Router` with the JSON API under `/api` (its routes:
//! `routes::api`, documented at `/api/openapi.json` and `/api/docs`) and the built frontend
//! (single-page app) everywhere else.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

pub use memlab_shared::limits::MAX_BODY_BYTES;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let index = state.static_dir.join("index.html");
    let frontend = ServeDir::new(&state.static_dir).fallback(ServeFile::new(index));
    let (api, _) = crate::routes::api().split_for_parts();
    let api = api
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
