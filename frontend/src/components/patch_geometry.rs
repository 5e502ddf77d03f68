//! The patch-geometry panel: for a chosen data set, the intrinsic dimension of its patches
//! (TwoNN, Levina–Bickel; raw and whitened) against the patch size, and their PCA spectra,
//! measured on the server.

use std::time::Duration;

use leptos::prelude::*;
use memlab_shared::api::{DatasetInfo, JobStatus};
use memlab_shared::geometry::{GeometryJob, GeometryQuery, PatchGeometry};

use super::analysis_job::JobState;
use crate::api;
use crate::components::LineChart;
use crate::components::line_chart::Line;

/// Intrinsic dimension against p, and the raw spectra (share of the variance per component).
#[component]
fn GeometryPlots(geometry: Vec<PatchGeometry>) -> impl IntoView {
    let series = |name: &str, dashed: bool, pick: fn(&PatchGeometry) -> Option<f64>| Line {
        name: name.to_owned(),
        points: geometry
            .iter()
            .filter_map(|g| pick(g).map(|d| (g.patch as f64, d)))
            .collect(),
        dashed,
    };
    let dimensions = vec![
        series("TwoNN, raw", false, |g| g.raw.two_nn),
        series("Levina–Bickel, raw", false, |g| g.raw.levina_bickel),
        series("TwoNN, whitened", true, |g| g.whitened.two_nn),
        series("Levina–Bickel, whitened", true, |g| {
            g.whitened.levina_bickel
        }),
        series("components for 90 % of the variance", false, |g| {
            Some(g.components_90 as f64)
        }),
    ];
    let spectra: Vec<Line> = geometry
        .iter()
        .map(|g| {
            let total: f64 = g
                .spectrum
                .iter()
                .map(|v| v.max(0.0))
                .sum::<f64>()
                .max(1e-300);
            Line::new(
                format!("p = {}", g.patch),
                g.spectrum
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ((i + 1) as f64, v / total))
                    .collect(),
            )
        })
        .collect();
    view! {
        <div class="plots">
            <div class="card">
                <LineChart title="Intrinsic dimension of the patches".into() x_label="patch side p".into()
                    y_label="dimension".into() lines=dimensions id="plot-dimension".into() />
            </div>
            <div class="card">
                <LineChart title="PCA spectra of the raw patches (log scale)".into()
                    x_label="component".into() y_label="share of the variance".into()
                    lines=spectra log_y=true id="plot-spectra".into() />
            </div>
        </div>
    }
}

/// How often a measurement in progress is polled.
const POLL: Duration = Duration::from_millis(800);

/// Whether the job is queued or running.
fn in_progress(job: &GeometryJob) -> bool {
    matches!(job.status, JobStatus::Queued | JobStatus::Running)
}

/// Choose a data set, measure (a job on the server, asked again it answers what it measured
/// before), see the plots.
#[component]
pub fn PatchGeometryPanel(datasets: Vec<DatasetInfo>) -> impl IntoView {
    let dataset = RwSignal::new(datasets.first().map(|d| d.name.clone()).unwrap_or_default());
    let job = RwSignal::new(None::<Result<GeometryJob, String>>);
    let posting = RwSignal::new(false);
    let busy =
        move || posting.get() || job.with(|job| matches!(job, Some(Ok(job)) if in_progress(job)));
    let measure = move |_| {
        posting.set(true);
        let name = dataset.get_untracked();
        leptos::task::spawn_local(async move {
            let url = format!("/api/datasets/{name}/geometry");
            job.set(Some(api::post_json(&url, &GeometryQuery::default()).await));
            posting.set(false);
        });
    };
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let Some(Ok(current)) = job.get_untracked() else {
                return;
            };
            if in_progress(&current) {
                let url = format!("/api/datasets/{}/geometry/{}", current.dataset, current.id);
                leptos::task::spawn_local(async move {
                    job.set(Some(api::get_json(&url).await));
                });
            }
        },
        POLL,
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <div class="card" id="patch-geometry">
            <h3>"Patch geometry"</h3>
            <p class="muted">
                "4 000 patches of each size p = 3…9 from the first 10 000 training images; exact \
                 duplicates (blank background) are removed before the nearest-neighbour \
                 estimators; whitening with ε = 0.001."
            </p>
            <select id="geometry-dataset" on:change=move |event| dataset.set(event_target_value(&event))>
                {datasets.into_iter().map(|info| view! { <option value=info.name.clone()>{info.name.clone()}</option> }).collect_view()}
            </select>
            " "
            <button id="geometry-measure" on:click=measure prop:disabled=busy>
                {move || if busy() { "Measuring…" } else { "Measure" }}
            </button>
            {move || job.get().map(|job| match job {
                Ok(GeometryJob { status: JobStatus::Done, result: Some(geometry), .. }) => {
                    view! { <GeometryPlots geometry /> }.into_any()
                }
                Ok(job) => view! {
                    <JobState prefix="geometry" status=job.status progress=job.progress
                        stage=job.stage error=job.error />
                }
                .into_any(),
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </div>
    }
}
