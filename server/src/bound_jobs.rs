//! Bound-panel jobs: load a finished experiment's weights, initialization and data, compute the
//! panel on a blocking thread (one at a time), and store it with its progress in SQLite.

use std::path::Path;
use std::time::Instant;

use burn::prelude::Device;
use memlab_shared::api::{Experiment, JobStatus};
use memlab_shared::bounds::{BoundPanel, BoundRequest};

use crate::artifacts;
use crate::bounds::panel::{self, PanelInput};
use crate::data::Catalog;
use crate::db;
use crate::state::AppState;

/// δ when the request names none.
pub const DEFAULT_DELTA: f64 = 0.05;

/// The δ a request asks for, or why it is refused.
pub fn delta(request: &BoundRequest) -> Result<f64, String> {
    let delta = request.delta.unwrap_or(DEFAULT_DELTA);
    if !(delta > 0.0 && delta <= 0.5) {
        return Err(format!("delta must be in (0, 0.5], got {delta}"));
    }
    Ok(delta)
}

/// Computes the panel of a finished experiment (blocking).
pub fn compute_for_experiment(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    delta: f64,
    device: &Device,
    device_name: &str,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<BoundPanel, String> {
    if experiment.status != JobStatus::Done {
        return Err(format!(
            "experiment {} has not finished training",
            experiment.id
        ));
    }
    let dataset = catalog
        .get(&experiment.config.dataset)
        .map_err(|error| error.to_string())?;
    let (card, model) =
        artifacts::load(data_dir, experiment.id, device).map_err(|error| error.to_string())?;
    let initial = artifacts::load_initial(data_dir, experiment.id, &card, device)
        .map_err(|error| error.to_string())?;
    let n_train = experiment
        .config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    panel::compute(
        &PanelInput {
            dataset: &dataset,
            model: &model,
            initial: &initial,
            n_train,
            delta,
            device,
            device_name,
        },
        progress,
    )
}

/// Runs the queued bound job of `experiment` in the background.
pub fn spawn(state: AppState, experiment: Experiment, delta: f64) {
    tokio::spawn(async move {
        let id = experiment.id;
        let Ok(_permit) = state.bound_slots.acquire().await else {
            return;
        };
        let worker = state.clone();
        let runtime = tokio::runtime::Handle::current();
        let task = tokio::task::spawn_blocking(move || {
            let mut last = Instant::now();
            let mut progress = |fraction: f64, stage: &str| {
                if last.elapsed().as_secs_f64() >= 0.25 || fraction == 0.0 {
                    last = Instant::now();
                    let update = db::set_bound_progress(&worker.pool, id, fraction, stage);
                    if let Err(error) = runtime.block_on(update) {
                        tracing::warn!(id, %error, "could not store bound progress");
                    }
                }
            };
            compute_for_experiment(
                &worker.data_dir,
                &worker.catalog,
                &experiment,
                delta,
                &worker.device,
                &worker.device_name,
                &mut progress,
            )
        });
        let outcome = match task.await {
            Ok(result) => result,
            Err(error) => Err(format!("the bound job crashed: {error}")),
        };
        let stored = match &outcome {
            Ok(panel) => db::set_bound_done(&state.pool, id, panel).await,
            Err(message) => db::set_bound_failed(&state.pool, id, message).await,
        };
        match (outcome, stored) {
            (Ok(panel), Ok(())) => tracing::info!(id, seconds = panel.seconds, "bound panel done"),
            (Err(message), Ok(())) => tracing::warn!(id, %message, "bound panel failed"),
            (_, Err(error)) => tracing::error!(id, %error, "could not store the bound panel"),
        }
    });
}
