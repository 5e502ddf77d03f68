//! `GET /api/experiments/{id}/events`: training progress as server-sent events.
//!
//! The stream opens with the current status (and progress, if running), then forwards live
//! events, and ends after the run reaches done, failed or interrupted.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use memlab_shared::api::{ErrorBody, JobStatus, TrainingEvent};
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::extract::ApiPath;
use crate::routes::experiments::find;
use crate::state::AppState;

fn is_final(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Done | JobStatus::Failed | JobStatus::Interrupted
    )
}

fn to_sse(event: &TrainingEvent) -> Event {
    let name = match event {
        TrainingEvent::Status { .. } => "status",
        TrainingEvent::Progress(_) => "progress",
        TrainingEvent::Epoch(_) => "epoch",
    };
    Event::default()
        .event(name)
        .json_data(event)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data("event did not serialize")
        })
}

/// `GET /api/experiments/{id}/events`: the training run as server-sent events named `status`,
/// `progress` and `epoch`, each a JSON [`TrainingEvent`].
#[utoipa::path(get, path = "/experiments/{id}/events", tag = "experiments", params(("id" = i64, Path, description = "The experiment's id")),
    responses((status = 200, description = "The event stream; it ends when the run is done, failed or interrupted", content_type = "text/event-stream", body = TrainingEvent), (status = 404, description = "No experiment with this id", body = ErrorBody)))]
pub async fn events_stream(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    // Subscribe before reading the status, so nothing falls between the two.
    let receiver = state.hub.subscribe(id);
    let experiment = find(&state, id).await?;
    let mut opening = vec![TrainingEvent::Status {
        status: experiment.status,
        error: experiment.error.clone(),
    }];
    if let Some(progress) = experiment.progress.clone() {
        opening.push(TrainingEvent::Progress(progress));
    }
    let finished = is_final(experiment.status);
    let live = stream::unfold(
        (receiver, finished),
        |(mut receiver, finished)| async move {
            if finished {
                return None;
            }
            loop {
                match receiver.recv().await {
                    Ok(event) => {
                        let done = matches!(&event, TrainingEvent::Status { status, .. } if is_final(*status));
                        return Some((event, (receiver, done)));
                    }
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    let events = stream::iter(opening)
        .chain(live)
        .map(|event| Ok(to_sse(&event)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
