//! `POST /api/experiments/{id}/predict`: an uploaded image through the stored model.

use std::net::SocketAddr;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::{Extension, Json};
use memlab_shared::api::Prediction;

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::inference;
use crate::routes::experiments::find;
use crate::state::AppState;

/// Reads the multipart field `image` (PNG, JPEG, WebP or GIF) and answers logits and probabilities.
pub async fn predict_post(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Prediction>, AppError> {
    // Held until the answer is ready (the decoding and the forward pass included).
    let _permit = client
        .map(|Extension(ConnectInfo(address))| state.uploads.enter(address.ip()))
        .transpose()?;
    let mut multipart = multipart?;
    let experiment = find(&state, id).await?;
    if experiment.status != memlab_shared::api::JobStatus::Done {
        return Err(AppError::Conflict(format!(
            "experiment {id} is not trained yet"
        )));
    }
    let mut image = None;
    while let Some(field) = multipart.next_field().await? {
        if field.name() == Some("image") {
            image = Some(field.bytes().await?);
        }
    }
    let bytes = image.ok_or_else(|| AppError::BadRequest {
        kind: "missing_field",
        detail: "send the image as a multipart/form-data field named 'image'".into(),
    })?;
    let worker = state.clone();
    let prediction = tokio::task::spawn_blocking(move || {
        let (card, model) = worker
            .models
            .get(worker.files.as_ref(), id, &worker.device)?;
        inference::predict_bytes(&model, &card, &bytes, &worker.device)
    })
    .await??;
    Ok(Json(prediction))
}
