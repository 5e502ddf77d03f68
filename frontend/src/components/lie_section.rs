//! Lie-generator discovery for a finished experiment: start it on the server and show which
//! directions of the affine algebra the model's features change least along, with their
//! cosines to the canonical generators. Numbers are the stored report's.

use leptos::prelude::*;

use super::Permalink;
use leptos::task::spawn_local;
use memlab_shared::api::JobStatus;
use memlab_shared::lie::{CANONICAL, LieJob, LieReport, LieRequest};

use super::analysis_job::{JobState, Polled, writable};
use crate::api;

/// The section on the experiment page.
#[component]
pub fn LieSection(id: i64) -> impl IntoView {
    let polled = Polled::<LieRequest, LieReport>::new(format!("/api/experiments/{id}/lie"));
    let busy = move || polled.busy();
    let writable = writable();
    let message = RwSignal::new(None::<String>);
    let start = move |_| {
        message.set(None);
        spawn_local(async move {
            let url = format!("/api/experiments/{id}/lie");
            match api::post_json::<_, LieJob>(&url, &LieRequest::default()).await {
                Ok(_) => polled.refresh(),
                Err(error) => message.set(Some(error)),
            }
        });
    };
    view! {
        <div class="card" id="lie">
            <h3>"Lie generators" " " <Permalink anchor="lie" /></h3>
            <p class="muted">
                "Which infinitesimal affine motions of the image (translations, rotation, scaling, \
                 stretch, shear, and their combinations) change the model's penultimate features \
                 least, per unit of image change (LieGG-style generalized eigenvectors on 500 test \
                 images). A model trained with rotation augmentation should find rotation first."
            </p>
            {move || writable().then(|| view! {
                <p><button id="find-generators" on:click=start disabled=busy>"Find generators"</button></p>
            })}
            {move || message.get().map(|text| view! { <p class="error">{text}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || polled.job.get().map(|result| match result {
                    Ok(job) => view! { <LieJobView job /> }.into_any(),
                    Err(text) => view! { <p class="muted" id="lie-empty">{text}</p> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
fn LieJobView(job: LieJob) -> impl IntoView {
    match (job.status, job.result) {
        (JobStatus::Done, Some(report)) => view! { <LieTable report /> }.into_any(),
        (status, _) => view! {
            <JobState prefix="lie" status progress=job.progress stage=job.stage error=job.error />
        }
        .into_any(),
    }
}

#[component]
fn LieTable(report: LieReport) -> impl IntoView {
    let best = report.generators.first().cloned();
    view! {
        {best.map(|g| view! {
            <p id="lie-summary">{format!(
                "Most invariant direction: closest to {} (cosine {:.3}), sensitivity {:.4}.",
                g.closest,
                g.cosines.iter().copied().fold(0.0, f64::max),
                g.sensitivity
            )}</p>
        })}
        <table id="lie-table">
            <tr>
                <th>"sensitivity"</th>
                {CANONICAL.iter().map(|name| view! { <th>{*name}</th> }).collect_view()}
            </tr>
            <tr class="muted">
                <td>"each canonical generator alone"</td>
                {report.canonical_sensitivity.iter().map(|s| view! { <td>{format!("{s:.4}")}</td> }).collect_view()}
            </tr>
            {report.generators.iter().map(|g| view! {
                <tr class="generator">
                    <td>{format!("{:.4}", g.sensitivity)}</td>
                    {g.coefficients.iter().map(|c| view! { <td>{format!("{c:+.3}")}</td> }).collect_view()}
                </tr>
            }).collect_view()}
        </table>
        <p class="muted">{format!(
            "Rows: generators (unit coefficients on the canonical ones, each scaled to move pixels by one \
             pixel RMS), most invariant first. {} test images, step {} px, {:.1} s on {}.",
            report.n_images, report.step, report.seconds, report.device
        )}</p>
    }
}
