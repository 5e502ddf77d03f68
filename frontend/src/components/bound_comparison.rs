//! How a model's tightest generalization bound compares with the CNN's on the same data set:
//! the best (smallest) tightest bound among the finished LeNet runs on real data whose bound
//! panels are computed. Only bounds on the trained network are compared (never a stochastic
//! predictor's), each with the confidence its minimum holds at, and no ratio is drawn between
//! two vacuous values.

use leptos::prelude::*;
use memlab_shared::api::{Experiment, JobStatus, ModelKind};
use memlab_shared::bounds::{BoundJob, Tightest, compare};

use super::number;
use crate::api;

/// The tightest computed bound on the trained network of experiment `id`'s stored panel.
pub async fn tightest_bound(id: i64) -> Option<Tightest> {
    let job: BoundJob = api::get_json(&format!("/api/experiments/{id}/bounds"))
        .await
        .ok()?;
    let panel = job.result.filter(|_| job.status == JobStatus::Done)?;
    panel.tightest()
}

/// "12.97 (VC (growth function), vacuous; the least of 5 bounds: holds with probability ≥ 75 %)",
/// for people.
pub fn describe(tightest: &Tightest) -> String {
    let vacuous = if tightest.bound.vacuous {
        ", vacuous"
    } else {
        ""
    };
    format!(
        "{} ({}{vacuous}; {})",
        number(tightest.value()),
        tightest.bound.short_name,
        tightest.confidence_text()
    )
}

/// "29.3× tighter", or why two bounds are not compared (both vacuous).
pub fn versus(ours: &Tightest, theirs: &Tightest) -> Option<String> {
    (!(ours.bound.vacuous && theirs.bound.vacuous)).then(|| compare(ours.value(), theirs.value()))
}

/// The best tightest bound among finished LeNet runs on `dataset` (real data), with its run.
pub async fn cnn_bound(dataset: &str) -> Option<(Tightest, i64)> {
    let experiments: Vec<Experiment> = api::get_json("/api/experiments").await.ok()?;
    let mut best: Option<(Tightest, i64)> = None;
    for experiment in experiments.iter().filter(|e| {
        e.config.model == ModelKind::Lenet
            && e.config.dataset == dataset
            && e.status == JobStatus::Done
            && e.config.randomization.is_none()
    }) {
        if let Some(tightest) = tightest_bound(experiment.id).await
            && best
                .as_ref()
                .is_none_or(|(b, _)| tightest.value() < b.value())
        {
            best = Some((tightest, experiment.id));
        }
    }
    best
}

/// "LeNet on mnist: tightest bound 12.3 (…); this model's 0.42 (…): 29.3× tighter".
#[component]
pub fn BoundComparison(dataset: String, ours: Tightest) -> impl IntoView {
    let label = dataset.clone();
    let cnn = LocalResource::new(move || {
        let dataset = dataset.clone();
        async move { cnn_bound(&dataset).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Comparing with the CNN…"</p> }>
            {move || cnn.get().map(|best| match best {
                Some((theirs, run)) => view! {
                    <p class="note" id="bound-comparison"
                        data-ratio=versus(&ours, &theirs).map(|_| (theirs.value() / ours.value()).to_string())>
                        "Against the CNN: LeNet on "{label.clone()}" (run "
                        <a href=format!("/experiments/{run}")>{format!("#{run}")}</a>
                        ") has tightest bound "{describe(&theirs)}"; this model's is "
                        {describe(&ours)}": "
                        <strong>{versus(&ours, &theirs).unwrap_or_else(|| "both vacuous, so neither says anything about the test error".to_owned())}</strong>
                        "."
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
