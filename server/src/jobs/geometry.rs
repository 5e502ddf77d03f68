//! The patch geometry of a data set as a job (`memlab_science::patches::geometry`): the stored
//! request's settings, progress per patch side, the result or the failure stored.

use std::time::Instant;

use memlab_science::patches::geometry;
use memlab_shared::geometry::GeometryQuery;
use memlab_store as store;
use memlab_store::dataset_jobs::Claimed;
use tokio::runtime::Handle;

use crate::state::AppState;

/// Runs claimed geometry job on a blocking thread and stores its outcome (nothing once the
/// server stops: the job is queued again at the next start).
pub async fn run(state: &AppState, claimed: Claimed) {
    let id = claimed.id;
    let worker = state.clone();
    let runtime = Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let query: GeometryQuery = serde_json::from_str(&claimed.request)
            .map_err(|error| format!("the stored request does not parse: {error}"))?;
        let dataset = worker
            .catalog
            .get(&claimed.dataset)
            .map_err(|error| error.to_string())?;
        let (settings, images) =
            geometry::settings(&query, &dataset.info.input, dataset.train.len())?;
        let mut last = Instant::now();
        let mut progress = |fraction: f64, stage: &str| {
            if worker.is_stopping() || (last.elapsed().as_secs_f64() < 0.25 && fraction > 0.0) {
                return;
            }
            last = Instant::now();
            let update = store::dataset_jobs::set_progress(&worker.pool, id, fraction, stage);
            if let Err(error) = runtime.block_on(update) {
                tracing::warn!(id, %error, "could not store the geometry's progress");
            }
        };
        Ok::<_, String>(geometry::patch_geometry(
            &dataset.train,
            &dataset.info.input,
            &images,
            &settings,
            &mut progress,
        ))
    });
    let outcome = match task.await {
        _ if state.is_stopping() => return,
        Ok(outcome) => outcome,
        Err(error) => Err(format!("the patch geometry crashed: {error}")),
    };
    let stored = match &outcome {
        Ok(result) => store::dataset_jobs::set_done(&state.pool, id, result).await,
        Err(message) => store::dataset_jobs::set_failed(&state.pool, id, message).await,
    };
    match (outcome, stored) {
        (Ok(_), Ok(())) => tracing::info!(id, "patch geometry done"),
        (Err(message), Ok(())) => tracing::warn!(id, %message, "patch geometry failed"),
        (_, Err(error)) => tracing::error!(id, %error, "could not store the patch geometry"),
    }
}
