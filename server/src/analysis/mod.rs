//! Analyses of finished experiments run in the background: each kind one at a time, on a
//! blocking thread, with progress and result stored in SQLite (`analysis_jobs`). One file per
//! kind loads the finished run and calls the science crate.

pub mod bounds;
pub mod lie;
pub mod probes;
pub mod symmetry;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use burn::prelude::Device;
use memlab_shared::api::{Experiment, JobStatus};

use serde::Serialize;

use memlab_science::data::Catalog;
use memlab_science::finished::Finished;

use crate::state::AppState;
use memlab_store as store;
use memlab_store::analyses::AnalysisKind;
use memlab_store::artifacts;

pub use memlab_science::progress::Report;

/// Runs the queued `kind` analysis of experiment `id` in the background: `work` on a blocking
/// thread once a slot is free, progress stored at most four times a second, then the result
/// (or the error) stored.
pub fn spawn<T, F>(state: AppState, id: i64, kind: AnalysisKind, work: F)
where
    T: Serialize + Send + Sync + 'static,
    F: FnOnce(&AppState, Report) -> Result<T, String> + Send + 'static,
{
    tokio::spawn(async move {
        let Ok(_permit) = state.analysis_slots.of(kind).acquire().await else {
            return;
        };
        let worker = state.clone();
        let runtime = tokio::runtime::Handle::current();
        let task = tokio::task::spawn_blocking(move || {
            let mut last = Instant::now();
            let mut progress = |fraction: f64, stage: &str| {
                if last.elapsed().as_secs_f64() >= 0.25 || fraction == 0.0 {
                    last = Instant::now();
                    let update =
                        store::analyses::set_progress(&worker.pool, id, kind, fraction, stage);
                    if let Err(error) = runtime.block_on(update) {
                        tracing::warn!(id, %error, kind = kind.as_str(), "could not store progress");
                    }
                }
            };
            work(&worker, &mut progress)
        });
        let outcome = match task.await {
            Ok(result) => result,
            Err(error) => Err(format!("the {} crashed: {error}", kind.label())),
        };
        let stored = match &outcome {
            Ok(result) => store::analyses::set_done(&state.pool, id, kind, result).await,
            Err(message) => store::analyses::set_failed(&state.pool, id, kind, message).await,
        };
        let kind = kind.as_str();
        match (outcome, stored) {
            (Ok(_), Ok(())) => tracing::info!(id, kind, "analysis done"),
            (Err(message), Ok(())) => tracing::warn!(id, kind, %message, "analysis failed"),
            (_, Err(error)) => tracing::error!(id, kind, %error, "could not store the analysis"),
        }
    });
}

/// Loads a finished experiment's data and model, or says why it cannot be analysed.
pub fn load_finished(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    device: &Device,
) -> Result<Finished, String> {
    if experiment.status != JobStatus::Done {
        return Err(format!(
            "experiment {} has not finished training",
            experiment.id
        ));
    }
    let dataset = catalog
        .get(&experiment.config.dataset)
        .map_err(|error| error.to_string())?;
    let dataset = match memlab_science::data::randomize::for_run(&dataset, &experiment.config) {
        std::borrow::Cow::Owned(copy) => Arc::new(copy),
        std::borrow::Cow::Borrowed(_) => dataset.clone(),
    };
    let (card, model) =
        artifacts::load(data_dir, experiment.id, device).map_err(|error| error.to_string())?;
    Ok(Finished {
        dataset,
        card,
        model,
    })
}
