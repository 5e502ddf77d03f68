//! One experiment in the gallery.

use leptos::prelude::*;
use memlab_shared::api::{Experiment, JobStatus};

use super::{ProgressBar, StatusBadge};

/// Name, status, accuracy or progress, and links.
#[component]
pub fn ExperimentCard(experiment: Experiment) -> impl IntoView {
    let id = experiment.id;
    let accuracy = experiment
        .metrics
        .as_ref()
        .map(|metrics| format!("test accuracy {:.2} %", metrics.test_accuracy * 100.0));
    let progress = experiment.progress.clone();
    let done = experiment.status == JobStatus::Done;
    view! {
        <div class="card experiment" data-id=id.to_string()>
            <h3><a href=format!("/experiments/{id}")>{experiment.name.clone()}</a></h3>
            <p>
                <StatusBadge status=experiment.status />
                " "
                <span class="muted">
                    {format!("{} · {} · {} epochs", experiment.config.model.label(), experiment.config.dataset, experiment.config.epochs)}
                    {(!experiment.config.randomization.is_none()).then_some(" · randomization test")}
                </span>
            </p>
            {progress.map(|progress| view! {
                <ProgressBar fraction=progress.fraction />
                <p class="muted">{if progress.step == 0 {
                    format!("encoding images · {:.0} img/s", progress.images_per_second)
                } else {
                    format!(
                        "epoch {}/{} · loss {:.3} · {:.0} img/s",
                        progress.epoch, progress.epochs, progress.loss, progress.images_per_second
                    )
                }}</p>
            })}
            {accuracy.map(|text| view! { <p class="accuracy">{text}</p> })}
            {experiment.study_id.map(|study| view! {
                <p class="muted">"part of "<a href=format!("/studies/{study}")>{format!("study {study}")}</a></p>
            })}
            {experiment.error.clone().map(|error| view! { <p class="error">{error}</p> })}
            {done.then(|| view! { <a href=format!("/experiments/{id}/probe")>"Probe in the browser →"</a> })}
        </div>
    }
}
