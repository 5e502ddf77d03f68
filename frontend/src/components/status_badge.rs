//! A coloured badge for a job status.

use leptos::prelude::*;
use memlab_shared::api::JobStatus;

/// The status's name in a coloured pill.
#[component]
pub fn StatusBadge(status: JobStatus) -> impl IntoView {
    let name = match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Done => "done",
        JobStatus::Failed => "failed",
        JobStatus::Interrupted => "interrupted",
    };
    view! { <span class=format!("status {name}") data-status=name>{name}</span> }
}
