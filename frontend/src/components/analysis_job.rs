//! What every analysis section (bound panel, probes) shares: polling the stored job while it
//! runs, whether this server accepts new jobs, and the progress or error of a job not done.

use std::time::Duration;

use leptos::prelude::*;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::{Health, JobStatus};
use serde::de::DeserializeOwned;

use super::ProgressBar;
use crate::api;

/// How often a running job is polled.
const POLL: Duration = Duration::from_millis(800);

/// The stored job at `url`, fetched again on every `tick` and polled while queued or running.
pub struct Polled<R: 'static, T: 'static> {
    /// The job, or why it could not be read (none requested yet, network).
    pub job: LocalResource<Result<AnalysisJob<R, T>, String>>,
    /// Bump to fetch again (after starting a job).
    pub tick: RwSignal<u64>,
}

impl<R, T> Clone for Polled<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, T> Copy for Polled<R, T> {}

impl<R, T> Polled<R, T>
where
    R: DeserializeOwned + Clone + Send + Sync + 'static,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// Starts fetching `url`.
    pub fn new(url: String) -> Self {
        let tick = RwSignal::new(0u64);
        let job = LocalResource::new(move || {
            tick.track();
            let url = url.clone();
            async move { api::get_json::<AnalysisJob<R, T>>(&url).await }
        });
        let polled = Self { job, tick };
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if polled.busy() {
                    tick.update(|count| *count += 1);
                }
            },
            POLL,
        ) {
            on_cleanup(move || handle.clear());
        }
        polled
    }

    /// Whether the job is queued or running.
    pub fn busy(&self) -> bool {
        self.job.get().is_some_and(|result| {
            result.is_ok_and(|job| matches!(job.status, JobStatus::Queued | JobStatus::Running))
        })
    }

    /// Fetches again now.
    pub fn refresh(&self) {
        self.tick.update(|count| *count += 1);
    }
}

/// Whether this server accepts new jobs (`false` until known, and on a read-only demo).
pub fn writable() -> impl Fn() -> bool + Copy {
    let read_only = LocalResource::new(|| async {
        api::get_json::<Health>("/api/health")
            .await
            .is_ok_and(|health| health.read_only)
    });
    move || read_only.get() == Some(false)
}

/// A job that is not done: its progress bar (DOM id `{prefix}-progress`) or its error.
#[component]
pub fn JobState(
    /// Prefix of the DOM id.
    prefix: &'static str,
    /// Where it is.
    status: JobStatus,
    /// Fraction done.
    progress: f64,
    /// What it is doing.
    stage: String,
    /// Why it stopped, when it did.
    error: Option<String>,
) -> impl IntoView {
    match status {
        JobStatus::Queued | JobStatus::Running => view! {
            <div id=format!("{prefix}-progress")>
                <ProgressBar fraction=progress />
                <p class="muted">{format!("{stage} ({:.0} %)", progress * 100.0)}</p>
            </div>
        }
        .into_any(),
        _ => view! {
            <p class="error">{error.unwrap_or_else(|| "the job stopped".into())}</p>
        }
        .into_any(),
    }
}
