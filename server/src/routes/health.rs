//! `GET /api/health`.

use axum::Json;
use axum::extract::State;
use memlab_shared::api::Health;

use crate::state::AppState;

/// Liveness and the training device.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn health_get(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        training_device: state.device_name.clone(),
        read_only: state.read_only,
    })
}
