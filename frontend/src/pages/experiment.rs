//! One experiment: configuration, metrics, curves, live progress over SSE, downloads, and
//! its generalization-bound panel.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use memlab_shared::api::{Experiment, JobStatus, ModelKind, Progress, TrainingEvent};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api;
use crate::components::line_chart::Line;
use crate::components::{
    BoundSection, LieSection, LineChart, ProbeSection, ProgressBar, StatusBadge, SymmetrySection,
};
use crate::page_error::PageError;

/// Opens the SSE stream of experiment `id`: progress goes to `progress`; an epoch, or a status
/// other than the one `shown` (once one is shown), bumps `changed` (so the page refetches).
/// The stream is closed once the status is final (the server ends it then, and a browser would
/// reconnect every few seconds and redraw the page each time) and when the page goes away.
fn listen(
    id: i64,
    progress: RwSignal<Option<Progress>>,
    changed: RwSignal<u64>,
    shown: impl Fn() -> Option<JobStatus> + 'static,
) {
    let Ok(source) = web_sys::EventSource::new(&format!("/api/experiments/{id}/events")) else {
        return;
    };
    let stream = source.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
            let Some(text) = message.data().as_string() else {
                return;
            };
            match serde_json::from_str::<TrainingEvent>(&text) {
                Ok(TrainingEvent::Progress(update)) => progress.set(Some(update)),
                Ok(TrainingEvent::Epoch(_)) => changed.update(|count| *count += 1),
                Ok(TrainingEvent::Status { status, .. }) => {
                    if !matches!(status, JobStatus::Queued | JobStatus::Running) {
                        stream.close();
                    }
                    // While the first fetch is still on its way it brings the status itself;
                    // bumping then would only draw the whole page twice.
                    if shown().is_some_and(|shown| shown != status) {
                        changed.update(|count| *count += 1);
                    }
                }
                Err(_) => {}
            }
        });
    for name in ["status", "progress", "epoch"] {
        let _ = source.add_event_listener_with_callback(name, on_message.as_ref().unchecked_ref());
    }
    let source = SendWrapper::new((source, on_message));
    on_cleanup(move || source.0.close());
}

/// The experiment page.
#[component]
pub fn ExperimentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let changed = RwSignal::new(0u64);
    let progress = RwSignal::new(None::<Progress>);
    let experiment = LocalResource::new(move || {
        changed.track();
        let id = id();
        async move {
            match id {
                Some(id) => api::get_json::<Experiment>(&format!("/api/experiments/{id}")).await,
                None => Err("the address names no experiment id".to_owned()),
            }
        }
    });
    let shown = move || {
        experiment
            .get_untracked()
            .and_then(|result| result.ok())
            .map(|experiment| experiment.status)
    };
    Effect::new(move |_| {
        if let Some(id) = id() {
            listen(id, progress, changed, shown);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || experiment.get().map(|result| {
                result.map_err(PageError::Load).map(|experiment| view! { <Details experiment progress /> })
            })}
        </Transition>
    }
}

#[component]
fn Details(experiment: Experiment, progress: RwSignal<Option<Progress>>) -> impl IntoView {
    let id = experiment.id;
    let config = experiment.config.clone();
    let running = experiment.status == JobStatus::Running;
    let curves = experiment.curves.clone();
    let accuracy = vec![
        Line::new(
            "train accuracy",
            curves
                .iter()
                .map(|m| (m.epoch as f64, m.train_accuracy))
                .collect(),
        ),
        Line::new(
            "test accuracy",
            curves
                .iter()
                .map(|m| (m.epoch as f64, m.test_accuracy))
                .collect(),
        ),
    ];
    let loss = vec![
        Line::new(
            "train loss",
            curves
                .iter()
                .map(|m| (m.epoch as f64, m.train_loss))
                .collect(),
        ),
        Line::new(
            "test loss",
            curves
                .iter()
                .map(|m| (m.epoch as f64, m.test_loss))
                .collect(),
        ),
    ];
    view! {
        <h1>{experiment.name.clone()}</h1>
        <p><StatusBadge status=experiment.status /></p>
        {experiment.error.clone().map(|error| view! { <p class="error">{error}</p> })}
        {experiment.resumed_from_epoch.map(|epochs| view! {
            <p class="muted" id="resumed">{format!(
                "The server stopped during this run; it went on from its checkpoint after epoch {epochs}."
            )}</p>
        })}
        {matches!(experiment.status, JobStatus::Interrupted | JobStatus::Failed).then(|| view! { <Resume id /> })}
        {running.then(|| view! {
            <div class="card" id="live">
                {move || match progress.get().or_else(|| experiment.progress.clone()) {
                    Some(p) => view! {
                        <ProgressBar fraction=p.fraction />
                        <p>{if p.step == 0 {
                            // A fixed-encoder run's first phase: every image through the encoder.
                            let encoder = if experiment.config.model == ModelKind::Scattering {
                                "the scattering transform"
                            } else {
                                "the patch dictionary"
                            };
                            format!("encoding the images through {encoder} · {:.0} images/s",
                                p.images_per_second)
                        } else {
                            format!("epoch {}/{} · step {}/{} · loss {:.4} · accuracy {:.4} · {:.0} images/s",
                                p.epoch, p.epochs, p.step, p.steps_per_epoch, p.loss, p.accuracy, p.images_per_second)
                        }}</p>
                    }.into_any(),
                    None => view! { <p class="muted">"Starting…"</p> }.into_any(),
                }}
            </div>
        })}
        <div class="grid">
            <div class="card">
                <h3>"Configuration"</h3>
                <table>
                    <tr><td>"data set"</td><td>{config.dataset.clone()}</td></tr>
                    <tr><td>"model"</td><td>{config.model.label()}</td></tr>
                    <tr><td>"training examples"</td><td>{config.n_train.map_or("all".to_owned(), |n| n.to_string())}</td></tr>
                    <tr><td>"epochs"</td><td>{config.epochs}</td></tr>
                    <tr><td>"batch size"</td><td>{config.batch_size}</td></tr>
                    <tr><td>"optimizer"</td><td>{format!("{:?}, lr {}", config.optimizer, config.learning_rate)}</td></tr>
                    <tr><td>"seed"</td><td>{config.seed}</td></tr>
                    {(!config.randomization.is_none()).then(|| view! {
                        <tr><td>"randomization"</td><td>{format!(
                            "labels corrupted with p = {}, inputs: {:?}",
                            config.randomization.label_corruption, config.randomization.inputs
                        )}</td></tr>
                    })}
                    {(!config.augmentation.is_none()).then(|| view! {
                        <tr><td>"augmentation"</td><td id="augmentation">{config.augmentation.describe()}</td></tr>
                    })}
                    {(config.model == ModelKind::Patches).then(|| view! {
                        <tr><td>"patch model"</td><td id="patch-config">{config.patches.describe()}</td></tr>
                    })}
                    {(config.model == ModelKind::Scattering).then(|| view! {
                        <tr><td>"scattering"</td><td id="scattering-config">{config.scattering.describe()}</td></tr>
                    })}
                    {config.stop_at_train_accuracy.map(|target| view! {
                        <tr><td>"stop at training accuracy"</td><td>{target}</td></tr>
                    })}
                </table>
            </div>
            {experiment.metrics.clone().map(|m| view! {
                <div class="card" id="metrics">
                    <h3>"Results"</h3>
                    <table>
                        <tr><td>"test accuracy"</td><td>{format!("{:.2} %", m.test_accuracy * 100.0)}</td></tr>
                        <tr><td>"train accuracy"</td><td>{format!("{:.2} %", m.train_accuracy * 100.0)}</td></tr>
                        <tr><td>"test loss"</td><td>{format!("{:.4}", m.test_loss)}</td></tr>
                        <tr><td>"train loss"</td><td>{format!("{:.4}", m.train_loss)}</td></tr>
                        <tr><td>"parameters"</td><td>{m.n_parameters}</td></tr>
                        <tr><td>"training time"</td><td>{format!("{:.1} s", m.train_seconds)}</td></tr>
                        <tr><td>"epochs run"</td><td>{m.epochs_run}</td></tr>
                        {m.fitted_at_step.map(|steps| view! {
                            <tr><td>"reached the accuracy target at step"</td><td>{steps}</td></tr>
                        })}
                    </table>
                    <p>
                        <a href=format!("/experiments/{id}/probe")>"Probe in the browser"</a>" · "
                        <a href=format!("/api/experiments/{id}/weights") rel="external">"burn weights"</a>" · "
                        <a href=format!("/api/experiments/{id}/weights.safetensors") rel="external">"safetensors (PyTorch)"</a>
                    </p>
                </div>
            })}
        </div>
        <div class="plots">
            <div class="card"><LineChart title="Accuracy per epoch".into() x_label="epoch".into() y_label="accuracy".into() lines=accuracy id="accuracy-chart".to_owned() /></div>
            <div class="card"><LineChart title="Cross-entropy per epoch".into() x_label="epoch".into() y_label="cross-entropy (nats)".into() lines=loss id="loss-chart".to_owned() /></div>
        </div>
        {(experiment.status == JobStatus::Done).then(|| {
            // Fixed-encoder models compare their tightest bound with the CNN's.
            let compare_on = matches!(experiment.config.model, ModelKind::Patches | ModelKind::Scattering)
                .then(|| experiment.config.dataset.clone());
            view! { <BoundSection id compare_on /> <ProbeSection id /> <LieSection id /> <SymmetrySection id /> }
        })}
    }
}

/// Queues an interrupted or failed run again (from its last checkpoint when it has one), then
/// reloads the page to follow it; hidden on a read-only server.
#[component]
fn Resume(id: i64) -> impl IntoView {
    let writable = crate::components::writable();
    let message = RwSignal::new(None::<String>);
    let resume = move |_| {
        message.set(None);
        leptos::task::spawn_local(async move {
            let url = format!("/api/experiments/{id}/resume");
            match api::post_json::<_, Experiment>(&url, &()).await {
                Ok(_) => {
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
                Err(error) => message.set(Some(error)),
            }
        });
    };
    view! {
        {move || writable().then(|| view! {
            <p>
                <button id="resume" on:click=resume>"Resume"</button>
                <span class="muted">" from the last finished epoch's checkpoint (or from the start if it has none)"</span>
            </p>
        })}
        {move || message.get().map(|text| view! { <p class="error">{text}</p> })}
    }
}
