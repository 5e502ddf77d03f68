//! Data sets: the list, single test or training images as PNG, and the geometry of their
//! patches.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use memlab_science::patches::geometry;
use memlab_shared::api::DatasetInfo;
use memlab_shared::geometry::{GeometryQuery, PatchGeometry};
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

/// One patch-geometry computation at a time (it is seconds of CPU, and GET is open on a public
/// server).
static GEOMETRY_PERMIT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// `GET /api/datasets/{name}/geometry?min_patch=3&max_patch=9&patches=4000&...`: per patch
/// size, PCA spectra and intrinsic dimension of patches of the first `images` training images
/// (all of them if there are fewer).
pub async fn geometry_get(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<GeometryQuery>,
) -> Result<Json<Vec<PatchGeometry>>, AppError> {
    let worker = state.clone();
    let dataset = tokio::task::spawn_blocking(move || worker.catalog.get(&name)).await??;
    let (settings, images) = geometry::settings(&query, &dataset.info.input, dataset.train.len())
        .map_err(AppError::Invalid)?;
    let _permit = GEOMETRY_PERMIT.try_acquire().map_err(|_| {
        AppError::TooManyRequests(
            "another patch geometry is being computed; try again in a few seconds".into(),
        )
    })?;
    let result = tokio::task::spawn_blocking(move || {
        geometry::patch_geometry(&dataset.train, &dataset.info.input, &images, &settings)
    })
    .await?;
    Ok(Json(result))
}
