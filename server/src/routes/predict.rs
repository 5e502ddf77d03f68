//! `POST /api/experiments/{id}/predict`: an uploaded image through the stored model.

use std::net::SocketAddr;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::{Extension, Json};
use memlab_shared::api::{ErrorBody, Prediction};

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::inference;
use crate::routes::experiments::find;
use crate::state::AppState;

/// The multipart form `POST /api/experiments/{id}/predict` reads.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "it documents the form; the handler reads it as multipart"
)]
pub struct PredictForm {
    /// The image file: PNG, JPEG, WebP or GIF (its first frame).
    #[schema(format = Binary, value_type = String)]
    image: Vec<u8>,
}

/// `POST /api/experiments/{id}/predict`: reads the multipart field `image` (PNG, JPEG, WebP or
/// GIF) and answers logits and probabilities.
#[utoipa::path(post, path = "/experiments/{id}/predict", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    request_body(content = PredictForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "The model's answer", body = Prediction),
        (status = 400, description = "Not multipart, or no field named image", body = ErrorBody), (status = 404, description = "No experiment with this id", body = ErrorBody),
        (status = 409, description = "Not trained yet", body = ErrorBody),
        (status = 413, description = "The image is too large", body = ErrorBody),
        (status = 422, description = "Not a usable image", body = ErrorBody),
        (status = 429, description = "This client already has its uploads in flight", body = ErrorBody)))]
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
