//! Data sets: the list, single test or training images as PNG, and the geometry of their
//! patches.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use memlab_science::patches::geometry;
use memlab_shared::analysis::DatasetJob;
use memlab_shared::api::{DatasetInfo, ErrorBody, JobStatus};
use memlab_shared::geometry::{GeometryJob, GeometryQuery, PatchGeometry};
use memlab_shared::preprocess::Pixels;
use memlab_store as store;
use memlab_store::dataset_jobs::DatasetKind;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{ApiPath, ApiQuery};
use crate::queue::load_dataset;
use crate::state::AppState;

/// `GET /api/datasets`: the data sets this server has, with sizes, classes and normalization.
#[utoipa::path(get, path = "/datasets", tag = "datasets",
    responses((status = 200, description = "The data sets", body = Vec<DatasetInfo>)))]
pub async fn datasets_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<DatasetInfo>>, AppError> {
    let worker = state.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || worker.catalog.list()).await?,
    ))
}

/// Which split a sample comes from.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SampleQuery {
    /// `test` (default) or `train`.
    #[serde(default)]
    split: Option<String>,
}

/// `GET /api/datasets/{name}/samples/{index}?split=test`: the image as PNG; its label is in the
/// `X-Label` header.
#[utoipa::path(get, path = "/datasets/{name}/samples/{index}", tag = "datasets",
    params(("name" = String, Path, description = "The data set, as `GET /api/datasets` names it"), ("index" = usize, Path, description = "The image's index in its split"), SampleQuery),
    responses((status = 200, description = "The image", content_type = "image/png", body = Vec<u8>,
            headers(("x-label" = usize, description = "The image's label"))),
        (status = 400, description = "An unknown split", body = ErrorBody),
        (status = 404, description = "No such data set or index", body = ErrorBody)))]
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

/// `POST /api/datasets/{name}/geometry`: queues the patch geometry of the data set (the body,
/// optional, is a `GeometryQuery`: per patch size, PCA spectra and intrinsic dimension of
/// patches of the first `images` training images, all of them if there are fewer). The same
/// request again answers the same job: 200 once it is done, else 202.
#[utoipa::path(post, path = "/datasets/{name}/geometry", tag = "datasets", params(("name" = String, Path, description = "The data set, as `GET /api/datasets` names it")),
    request_body(content = Option<GeometryQuery>, description = "Optional; empty for the defaults"),
    responses((status = 200, description = "Measured before: the finished job", body = DatasetJob<GeometryQuery, Vec<PatchGeometry>>),
        (status = 202, description = "Queued or running", body = DatasetJob<GeometryQuery, Vec<PatchGeometry>>),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A value out of range, or an unknown data set", body = ErrorBody)))]
pub async fn geometry_create(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<GeometryJob>), AppError> {
    let query: GeometryQuery = super::optional_body(&body, "geometry request")?;
    let dataset = load_dataset(&state, &name).await?;
    geometry::settings(&query, &dataset.info.input, dataset.train.len())
        .map_err(AppError::Invalid)?;
    let id = store::dataset_jobs::queue(&state.pool, &name, DatasetKind::Geometry, &query).await?;
    let job = stored(&state, &name, id).await?;
    state.wake.all();
    let status = if job.status == JobStatus::Done {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(job)))
}

async fn stored(state: &AppState, name: &str, id: i64) -> Result<GeometryJob, AppError> {
    store::dataset_jobs::get(&state.pool, name, DatasetKind::Geometry, id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no patch geometry {id} of data set {name}: POST /api/datasets/{name}/geometry \
                 starts one"
            ))
        })
}

/// `GET /api/datasets/{name}/geometry/{job}`: the job and, once done, one entry per patch size.
#[utoipa::path(get, path = "/datasets/{name}/geometry/{job}", tag = "datasets",
    params(("name" = String, Path, description = "The data set, as `GET /api/datasets` names it"), ("job" = i64, Path, description = "The job's id, as the POST answered it")),
    responses((status = 200, description = "The job", body = DatasetJob<GeometryQuery, Vec<PatchGeometry>>),
        (status = 404, description = "No such job on this data set", body = ErrorBody)))]
pub async fn geometry_get(
    State(state): State<AppState>,
    ApiPath((name, id)): ApiPath<(String, i64)>,
) -> Result<Json<GeometryJob>, AppError> {
    Ok(Json(stored(&state, &name, id).await?))
}
