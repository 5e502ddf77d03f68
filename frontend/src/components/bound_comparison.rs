//! How a model's tightest generalization bound compares with the CNN's on the same data set:
//! the best (smallest) tightest bound among the finished LeNet runs on real data whose bound
//! panels are computed.

use leptos::prelude::*;
use memlab_shared::api::{Experiment, JobStatus, ModelKind};
use memlab_shared::bounds::{BoundJob, compare};

use super::number;
use crate::api;

/// The tightest computed bound of experiment `id`'s stored panel: (value, chart name).
pub async fn tightest_bound(id: i64) -> Option<(f64, String)> {
    let job: BoundJob = api::get_json(&format!("/api/experiments/{id}/bounds"))
        .await
        .ok()?;
    let panel = job.result.filter(|_| job.status == JobStatus::Done)?;
    let bound = panel.tightest()?;
    Some((bound.value?, bound.short_name.clone()))
}

/// The best tightest bound among finished LeNet runs on `dataset` (real data): (value, chart
/// name, run id).
pub async fn cnn_bound(dataset: &str) -> Option<(f64, String, i64)> {
    let experiments: Vec<Experiment> = api::get_json("/api/experiments").await.ok()?;
    let mut best: Option<(f64, String, i64)> = None;
    for experiment in experiments.iter().filter(|e| {
        e.config.model == ModelKind::Lenet
            && e.config.dataset == dataset
            && e.status == JobStatus::Done
            && e.config.randomization.is_none()
    }) {
        if let Some((value, name)) = tightest_bound(experiment.id).await
            && best.as_ref().is_none_or(|(b, _, _)| value < *b)
        {
            best = Some((value, name, experiment.id));
        }
    }
    best
}

/// "LeNet on mnist: tightest bound 12.3 (…); this model's 0.42 (…): 29.3× tighter".
#[component]
pub fn BoundComparison(dataset: String, value: f64, name: String) -> impl IntoView {
    let label = dataset.clone();
    let cnn = LocalResource::new(move || {
        let dataset = dataset.clone();
        async move { cnn_bound(&dataset).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Comparing with the CNN…"</p> }>
            {move || cnn.get().map(|best| match best {
                Some((theirs, their_name, run)) => view! {
                    <p class="note" id="bound-comparison" data-ratio=(theirs / value).to_string()>
                        "Against the CNN: LeNet on "{label.clone()}" (run "
                        <a href=format!("/experiments/{run}")>{format!("#{run}")}</a>
                        ") has tightest bound "{number(theirs)}" ("{their_name}"); this model's is "
                        {number(value)}" ("{name.clone()}"): "<strong>{compare(value, theirs)}</strong>"."
                    </p>
                }.into_any(),
                None => view! {
                    <p class="muted" id="bound-comparison">
                        "No LeNet run on "{label.clone()}" has a bound panel yet: compute one to compare."
                    </p>
                }.into_any(),
            })}
        </Suspense>
    }
}
