//! Data sets: the list, and single test or training images as PNG.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use memlab_shared::api::DatasetInfo;
use memlab_shared::preprocess::Pixels;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// `GET /api/datasets`.
pub async fn datasets_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<DatasetInfo>>, AppError> {
    let worker = state.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || worker.catalog.list()).await?,
    ))
}

/// Which split a sample comes from.
#[derive(Debug, Deserialize)]
pub struct SampleQuery {
    /// `test` (default) or `train`.
    #[serde(default)]
    split: Option<String>,
}

/// `GET /api/datasets/{name}/samples/{index}?split=test`: the image as PNG; its label is in the
/// `X-Label` header.
pub async fn sample_get(
    State(state): State<AppState>,
    ApiPath((name, index)): ApiPath<(String, usize)>,
    ApiQuery(query): ApiQuery<SampleQuery>,
) -> Result<impl IntoResponse, AppError> {
    let worker = state.clone();
    let dataset = tokio::task::spawn_blocking(move || worker.catalog.get(&name)).await??;
    let split = match query.split.as_deref() {
        None | Some("test") => &dataset.test,
        Some("train") => &dataset.train,
        Some(other) => {
            return Err(AppError::BadRequest {
                kind: "invalid_query",
                detail: format!("split must be 'test' or 'train', got '{other}'"),
            });
        }
    };
    if index >= split.len() {
        return Err(AppError::NotFound(format!(
            "sample {index} is out of range (0..{})",
            split.len()
        )));
    }
    let spec = &dataset.info.input;
    let pixels = Pixels::from_u8(spec.channels, spec.height, spec.width, split.image(index));
    let png = pixels
        .to_png()
        .map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_owned()),
            (
                header::HeaderName::from_static("x-label"),
                split.labels[index].to_string(),
            ),
            (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
        ],
        png,
    ))
}
