//! `GET /api/health`.

use axum::Json;
use axum::extract::State;
use memlab_shared::api::Health;

use crate::state::AppState;

/// Liveness and the training device.
pub async fn health_get(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        training_device: state.device_name.clone(),
        read_only: state.read_only,
    })
}
