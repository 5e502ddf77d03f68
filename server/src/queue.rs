//! Queueing work from a request: the data set it names loaded (an unknown or missing one is the
//! user's error), the request validated on it, and the run or study stored queued. The routes
//! and the Replications page's recipes both come here.

use memlab_science::training;
use memlab_shared::api::{ExperimentConfig, JobStatus};
use memlab_shared::studies::StudyRequest;
use memlab_store as store;

use crate::error::AppError;
use crate::state::AppState;
use crate::studies;

/// Loads the data set a request names (off the async runtime); an unknown or missing one is
/// the user's error.
pub async fn load_dataset(
    state: &AppState,
    name: &str,
) -> Result<std::sync::Arc<memlab_science::data::Dataset>, AppError> {
    let catalog_state = state.clone();
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || catalog_state.catalog.get(&name))
        .await?
        .map_err(|error| match error {
            memlab_science::data::DataError::Unknown(_)
            | memlab_science::data::DataError::Missing { .. } => {
                AppError::Invalid(format!("{error}; see GET /api/datasets"))
            }
            other => other.into(),
        })
}

/// Validates `config` on its data set and stores it queued (the worker is not woken); the new
/// run's id.
pub async fn create_experiment(
    state: &AppState,
    config: &ExperimentConfig,
) -> Result<i64, AppError> {
    let dataset = load_dataset(state, &config.dataset).await?;
    training::validate(config, &dataset).map_err(|error| AppError::Invalid(error.to_string()))?;
    let model = config.model.label();
    let name = config
        .name
        .clone()
        .unwrap_or_else(|| format!("{model} on {}", config.dataset));
    Ok(store::experiments::insert(&state.pool, &name, config, JobStatus::Queued, false).await?)
}

/// Validates `request` on its data set and stores it with every member queued (the worker is
/// not woken); the new study's id.
pub async fn create_study(state: &AppState, request: &StudyRequest) -> Result<i64, AppError> {
    let dataset = load_dataset(state, &request.base.dataset).await?;
    let members = studies::plan(request, &dataset).map_err(AppError::Invalid)?;
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| studies::default_name(request));
    let named: Vec<(String, _)> = members
        .into_iter()
        .map(|(label, config)| (format!("{name}: {label}"), config))
        .collect();
    Ok(store::studies::insert(&state.pool, &name, request, &named).await?)
}
