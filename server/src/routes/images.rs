//! `POST /api/images` publishes an uploaded image for share links (any client, also on a
//! read-only server; rate-limited per address) and `GET /api/images/{image}` serves it.
//!
//! Stored content-addressed as `<data_dir>/images/<sha256>.png`: the canonical PNG of the
//! upload (`preprocess::canonical_png`: the same pixels, no metadata), written whole by a rename,
//! never changed, so a link naming it shows the same input for as long as the server keeps it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::Extension;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use memlab_shared::api::{PublishedImage, is_image_id};
use memlab_shared::limits::{MAX_PUBLISHED_BYTES, MAX_PUBLISHED_SIDE};
use memlab_shared::preprocess::canonical_png;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::state::AppState;

/// Where the image `id` is stored.
pub fn image_path(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("images").join(format!("{id}.png"))
}

/// Lowercase hex of the SHA-256 of `bytes`.
fn content_address(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Writes `png` under its content address unless it is there already; answers the address.
fn store(data_dir: &Path, png: &[u8]) -> std::io::Result<String> {
    let id = content_address(png);
    let path = image_path(data_dir, &id);
    if !path.exists() {
        let folder = data_dir.join("images");
        std::fs::create_dir_all(&folder)?;
        let partial = folder.join(format!("{id}.png.partial-{}", std::process::id()));
        std::fs::write(&partial, png)?;
        std::fs::rename(&partial, &path)?;
    }
    Ok(id)
}

/// `POST /api/images`: the body is the image file itself (PNG, JPEG, WebP or GIF, at most
/// `MAX_PUBLISHED_BYTES` and `MAX_PUBLISHED_SIDE` pixels a side). 201 with its id; publishing
/// the same pixels again gives the same id.
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
    let data_dir = state.data_dir.clone();
    let published = tokio::task::spawn_blocking(move || {
        let (png, width, height) = canonical_png(&body, MAX_PUBLISHED_SIDE)?;
        let id = store(&data_dir, &png)
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
    let path = image_path(&state.data_dir, &id);
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::NotFound(format!(
                "no published image {id} on this server: it was never published here, or has \
                 been removed"
            )));
        }
        Err(error) => {
            return Err(AppError::Internal(format!(
                "reading {}: {error}",
                path.display()
            )));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_address_known_answer() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            content_address(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_image_id(&content_address(b"")));
    }
}
