//! `POST /api/images` publishes an uploaded image for share links (any client, also on a
//! read-only server; rate-limited per address) and `GET /api/images/{image}` serves it.
//!
//! Stored content-addressed (`memlab_store::images`): the canonical PNG of the upload
//! (`preprocess::canonical_png`: the same pixels, no metadata), never changed, so a link naming
//! it shows the same input for as long as the server keeps it.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Extension;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use memlab_shared::api::{ErrorBody, PublishedImage, is_image_id};
use memlab_shared::limits::{MAX_PUBLISHED_BYTES, MAX_PUBLISHED_SIDE};
use memlab_shared::preprocess::canonical_png;
use memlab_store::images;

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;

/// `POST /api/images`: the body is the image file itself (PNG, JPEG, WebP or GIF, at most
/// `MAX_PUBLISHED_BYTES` and `MAX_PUBLISHED_SIDE` pixels a side). 201 with its id; publishing
/// the same pixels again gives the same id. Stored as a canonical PNG (the same pixels); allowed
/// on a public server, rate-limited per client address.
#[utoipa::path(post, path = "/images", tag = "images",
    request_body(content = Vec<u8>, description = "The image file", content_type = "application/octet-stream"),
    responses((status = 201, description = "Published", body = PublishedImage),
        (status = 400, description = "Empty body", body = ErrorBody),
        (status = 413, description = "Too many bytes or pixels", body = ErrorBody),
        (status = 422, description = "Not a usable image", body = ErrorBody),
        (status = 429, description = "Too many publications from this address", body = ErrorBody)))]
pub async fn image_publish(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    if body.is_empty() {
        return Err(AppError::BadRequest {
            kind: "missing_image",
            detail: "send the image file as the request body".into(),
        });
    }
    if body.len() > MAX_PUBLISHED_BYTES {
        return Err(AppError::TooLarge(format!(
            "a published image has at most {MAX_PUBLISHED_BYTES} bytes; this one has {}",
            body.len()
        )));
    }
    if let Some(Extension(ConnectInfo(address))) = client {
        state.publishing.take(address.ip(), Instant::now())?;
    }
    let worker = state.clone();
    let published = tokio::task::spawn_blocking(move || {
        let (png, width, height) = canonical_png(&body, MAX_PUBLISHED_SIDE)?;
        let id = images::publish(worker.files.as_ref(), &png)
            .map_err(|error| AppError::Internal(format!("storing a published image: {error}")))?;
        Ok::<_, AppError>(PublishedImage {
            id,
            width,
            height,
            bytes: png.len(),
        })
    })
    .await??;
    Ok((StatusCode::CREATED, Json(published)).into_response())
}

/// `GET /api/images/{image}`: the stored PNG (immutable: its name is its content).
#[utoipa::path(get, path = "/images/{image}", tag = "images",
    params(("image" = String, Path, description = "The image's id: the SHA-256 of its PNG, 64 hex digits")),
    responses((status = 200, description = "The PNG", content_type = "image/png", body = Vec<u8>),
        (status = 400, description = "Not an image id", body = ErrorBody),
        (status = 404, description = "Not published here", body = ErrorBody)))]
pub async fn image_get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, AppError> {
    if !is_image_id(&id) {
        return Err(AppError::BadRequest {
            kind: "invalid_image_id",
            detail: format!("an image id is 64 lowercase hex digits (a SHA-256), got '{id}'"),
        });
    }
    let worker = state.clone();
    let wanted = id.clone();
    let stored = tokio::task::spawn_blocking(move || images::get(worker.files.as_ref(), &wanted))
        .await?
        .map_err(|error| AppError::Internal(format!("reading a published image: {error}")))?;
    let Some(bytes) = stored else {
        return Err(AppError::NotFound(format!(
            "no published image {id} on this server: it was never published here, or has been \
             removed"
        )));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Body::from(bytes),
    )
        .into_response())
}
