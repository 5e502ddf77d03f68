//! Training jobs: a claimed experiment trained on a blocking thread (from its checkpoint when
//! it has one), its curves and events published as it goes, its weights kept, and its study's
//! follow-ups queued.

use memlab_shared::api::{Experiment, JobStatus, TrainingEvent};

use crate::state::AppState;
use memlab_science::run;
use memlab_science::training::{Checkpoint, TrainError};
use memlab_store as store;
use memlab_store::artifacts::{self, ModelCard};
use memlab_store::checkpoint;

fn status(status: JobStatus, error: Option<String>) -> TrainingEvent {
    TrainingEvent::Status { status, error }
}

/// How a run that did not finish ended.
enum Unfinished {
    /// An error: the run is failed.
    Failed(String),
    /// The server is shutting down: the run checkpointed and is interrupted.
    Stopped(String),
}

impl From<String> for Unfinished {
    fn from(message: String) -> Self {
        Unfinished::Failed(message)
    }
}

/// Trains one claimed experiment and records the outcome.
pub async fn run(state: &AppState, experiment: Experiment) {
    let id = experiment.id;
    tracing::info!(id, name = %experiment.name, "training started");
    state.hub.publish(id, status(JobStatus::Running, None));
    match train_blocking(state, &experiment).await {
        Ok(()) => {
            tracing::info!(id, "training done");
            state.hub.publish(id, status(JobStatus::Done, None));
            if let Err(error) = crate::studies::after_training(state, id).await {
                tracing::error!(id, %error, "could not queue the study member's bounds");
            }
        }
        Err(Unfinished::Stopped(stage)) => {
            let message = format!(
                "the server shut down ({stage}); the run goes on from there at the next start"
            );
            tracing::info!(id, %message, "training stopped");
            match store::experiments::set_interrupted(&state.pool, id, &message).await {
                Ok(()) => state
                    .hub
                    .publish(id, status(JobStatus::Interrupted, Some(message))),
                Err(error) => tracing::error!(id, %error, "could not record the stop"),
            }
        }
        Err(Unfinished::Failed(message)) => {
            tracing::warn!(id, %message, "training failed");
            match store::experiments::set_failed(&state.pool, id, &message).await {
                Ok(()) => state
                    .hub
                    .publish(id, status(JobStatus::Failed, Some(message))),
                Err(error) => tracing::error!(id, %error, "could not record the outcome"),
            }
        }
    }
}

/// Loads the data, trains, saves the artifacts and marks the run done.
async fn train_blocking(state: &AppState, experiment: &Experiment) -> Result<(), Unfinished> {
    let id = experiment.id;
    let worker = state.clone();
    let config = experiment.config.clone();
    let runtime = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let dataset = worker
            .catalog
            .get(&config.dataset)
            .map_err(|error| error.to_string())?;
        // A run stopped by a crash or a kill goes on from its last finished epoch.
        let resume = checkpoint::load(worker.files.as_ref(), id);
        let mut curves = Vec::new();
        if let Some(saved) = &resume {
            tracing::info!(
                id,
                epochs = saved.progress.epochs_done,
                "resuming from the checkpoint"
            );
            curves.clone_from(&saved.progress.curves);
        }
        let resumed_from = resume.as_ref().map(|saved| saved.progress.epochs_done);
        runtime
            .block_on(store::experiments::set_resumed(
                &worker.pool,
                id,
                resumed_from,
                &curves,
            ))
            .map_err(|error| error.to_string())?;
        let mut on_event = |event: TrainingEvent| {
            if let TrainingEvent::Epoch(metrics) = &event {
                // (A run that starts over after all drops the checkpoint's epochs.)
                curves.truncate(metrics.epoch.saturating_sub(1));
                curves.push(metrics.clone());
                if let Err(error) =
                    runtime.block_on(store::experiments::set_curves(&worker.pool, id, &curves))
                {
                    tracing::warn!(id, %error, "could not store curves");
                }
            }
            worker.hub.publish(id, event);
        };
        let stopping = worker.clone();
        let stop = move || stopping.is_stopping();
        let mut on_checkpoint = |saved: Checkpoint| {
            checkpoint::save(worker.files.as_ref(), id, &saved)
                .map_err(|error| TrainError::Checkpoint(error.to_string()))
        };
        let mut train = |from: Option<&Checkpoint>| {
            run::train_resumable(
                &dataset,
                &config,
                &worker.device,
                from,
                &mut on_event,
                &mut on_checkpoint,
                &stop,
            )
        };
        let mut outcome = train(resume.as_ref());
        if let Err(TrainError::BadCheckpoint(why)) = &outcome {
            // Nothing was trained yet: start over rather than fail for good.
            tracing::warn!(id, %why, "the checkpoint is unusable; training from the start");
            checkpoint::remove(worker.files.as_ref(), id).map_err(|error| error.to_string())?;
            runtime
                .block_on(store::experiments::set_resumed(&worker.pool, id, None, &[]))
                .map_err(|error| error.to_string())?;
            outcome = train(None);
        }
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(TrainError::Stopped(stage)) => return Err(Unfinished::Stopped(stage)),
            Err(error) => return Err(Unfinished::Failed(error.to_string())),
        };
        let card = ModelCard {
            model: outcome.model_config.clone(),
            input: dataset.info.input.clone(),
            class_names: dataset.info.class_names.clone(),
        };
        artifacts::save(
            worker.files.as_ref(),
            id,
            &card,
            &outcome.model,
            &outcome.initial,
        )
        .map_err(|error| error.to_string())?;
        runtime
            .block_on(store::experiments::set_done(
                &worker.pool,
                id,
                &outcome.curves,
                &outcome.metrics,
                &card,
            ))
            .map_err(|error| error.to_string())?;
        if let Err(error) = checkpoint::remove(worker.files.as_ref(), id) {
            tracing::warn!(id, %error, "could not delete the finished run's checkpoint");
        }
        Ok(())
    });
    match task.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => {
            Err(Unfinished::Failed(format!("training crashed: {error}")))
        }
        Err(error) => Err(Unfinished::Failed(format!(
            "training was cancelled: {error}"
        ))),
    }
}
