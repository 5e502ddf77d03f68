//! The invariance probes of a finished experiment: start the server job, follow it, then one
//! chart per transform (consistency, accuracy under the transform, normalized sensitivity of
//! logits and features against the parameter). Numbers are the stored report's.

use leptos::prelude::*;

use super::Permalink;
use leptos::task::spawn_local;
use memlab_shared::api::JobStatus;
use memlab_shared::probes::{ProbeCurve, ProbeJob, ProbeReport, ProbeRequest};

use super::analysis_job::{JobState, Polled, writable};
use super::line_chart::{Line, LineChart};
use crate::api;

/// The section on the experiment page.
#[component]
pub fn ProbeSection(id: i64) -> impl IntoView {
    let polled = Polled::<ProbeRequest, ProbeReport>::new(format!("/api/experiments/{id}/probes"));
    let busy = move || polled.busy();
    let writable = writable();
    let images = RwSignal::new("500".to_owned());
    let message = RwSignal::new(None::<String>);
    let start = move |_| {
        message.set(None);
        let Ok(n_images) = images.get_untracked().trim().parse::<usize>() else {
            message.set(Some(
                "the number of test images must be a whole number".into(),
            ));
            return;
        };
        let request = ProbeRequest {
            n_images: Some(n_images),
            ..Default::default()
        };
        spawn_local(async move {
            let url = format!("/api/experiments/{id}/probes");
            match api::post_json::<_, ProbeJob>(&url, &request).await {
                Ok(_) => polled.refresh(),
                Err(error) => message.set(Some(error)),
            }
        });
    };
    view! {
        <div class="card" id="probes">
            <h3>"Invariance probes" " " <Permalink anchor="probes" /></h3>
            <p class="muted">
                "Each transform swept over its range on a fixed subset of test images. Consistency: how \
                 often the prediction stays what it was on the original image. Sensitivity S: the mean \
                 squared change of the logits (or penultimate features) divided by the mean squared \
                 distance between two different test images: 0 is invariant, 1 is as different as \
                 another image."
            </p>
            {move || writable().then(|| view! {
                <div class="inline-form">
                    <label for="probe-images">"test images"</label>
                    <input id="probe-images" type="text" size="6" prop:value=move || images.get()
                        on:input=move |event| images.set(event_target_value(&event)) />
                    <button id="run-probes" on:click=start disabled=busy>"Run probes"</button>
                </div>
            })}
            {move || message.get().map(|text| view! { <p class="error">{text}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || polled.job.get().map(|result| match result {
                    Ok(job) => view! { <ProbeJobView job /> }.into_any(),
                    Err(text) => view! { <p class="muted" id="probes-empty">{text}</p> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ProbeJobView(job: ProbeJob) -> impl IntoView {
    match (job.status, job.result) {
        (JobStatus::Done, Some(report)) => {
            view! { <ReportView id=job.experiment_id report /> }.into_any()
        }
        (status, _) => view! {
            <JobState prefix="probes" status progress=job.progress stage=job.stage error=job.error />
        }
        .into_any(),
    }
}

#[component]
fn ReportView(id: i64, report: ProbeReport) -> impl IntoView {
    let summary = format!(
        "{} test images (subset seed {}) · accuracy on the originals {:.4} · computed in {:.2} s on {}",
        report.n_images, report.seed, report.accuracy, report.seconds, report.device
    );
    let means: Vec<String> = report
        .curves
        .iter()
        .map(|curve| {
            format!(
                "{} {:.3}",
                curve.sweep.transform.label(),
                curve.mean_consistency()
            )
        })
        .collect();
    view! {
        <p id="probes-summary">{summary}</p>
        <p class="muted" id="probes-means">{format!("Mean consistency over each sweep: {}", means.join(" · "))}</p>
        <div class="plots">
            {report.curves.into_iter().map(|curve| view! { <CurveChart curve /> }).collect_view()}
        </div>
        <p><a href=format!("/api/experiments/{id}/probes.csv") rel="external">"curves as CSV"</a></p>
    }
}

#[component]
fn CurveChart(curve: ProbeCurve) -> impl IntoView {
    let transform = curve.sweep.transform;
    let along = |values: &[f64]| -> Vec<(f64, f64)> {
        curve
            .parameters
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect()
    };
    let optional = |values: &[Option<f64>]| -> Vec<(f64, f64)> {
        curve
            .parameters
            .iter()
            .zip(values)
            .filter_map(|(&t, value)| value.map(|value| (t, value)))
            .collect()
    };
    let lines = vec![
        Line::new("consistency", along(&curve.consistency)),
        Line::new("accuracy", along(&curve.accuracy)),
        Line::new("S (logits)", optional(&curve.sensitivity_logits)),
        Line::new("S (features)", optional(&curve.sensitivity_features)),
    ];
    let slug = format!("{transform:?}").to_lowercase();
    view! {
        <div class="card">
            <LineChart title=transform.label().to_owned()
                x_label=format!("{} ({})", transform.label(), transform.unit())
                y_label="fraction / S".into() lines id=format!("probe-{slug}") />
        </div>
    }
}
