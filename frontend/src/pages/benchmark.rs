//! The latency benchmark page (`/experiments/{id}/benchmark`, `?backend=cpu` for the wasm CPU,
//! `?runs=N`): times, on this browser's engine, one image's forward pass (normalization, model,
//! read-back), one slider update (the warp and the forward pass, what the probe studio does on
//! every move) and one batched pass of 64 transformed images (the invariance curve's work), after
//! warm-up passes, and reports median, 90th percentile and best, and what that makes per second.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use memlab_shared::preprocess::{Pixels, decode_image};
use memlab_shared::transform::Adjustments;
use serde::Serialize;

use crate::api;
use crate::engine;
use crate::loaded::{Loaded, load, now_ms};
use crate::page_error::PageError;

/// Images of the batched pass.
pub const BATCH: usize = 64;
/// Untimed passes before timing (the first compiles shaders on WebGPU).
const WARM_UP: usize = 3;

/// Timings of one kind of pass, milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// What was timed.
    pub what: String,
    /// Timed passes.
    pub runs: usize,
    /// Median.
    pub median_ms: f64,
    /// 90th percentile (nearest rank).
    pub p90_ms: f64,
    /// Fastest.
    pub best_ms: f64,
}

impl Timing {
    fn of(what: &str, mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Self {
            what: what.to_owned(),
            runs: samples.len(),
            median_ms: rank(0.5),
            p90_ms: rank(0.9),
            best_ms: samples[0],
        }
    }
}

/// The whole measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `webgpu` or `cpu`.
    pub backend: String,
    /// The WebGPU adapter, when there is one.
    pub adapter: Option<String>,
    /// Single forward pass, slider update, batch of [`BATCH`].
    pub timings: Vec<Timing>,
    /// Slider updates per second at the median.
    pub updates_per_second: f64,
}

/// Times `runs` calls of `pass` after [`WARM_UP`] untimed ones.
async fn time<F, Fut>(runs: usize, mut pass: F) -> Result<Vec<f64>, String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    for index in 0..WARM_UP {
        pass(index).await?;
    }
    let mut samples = Vec::with_capacity(runs);
    for index in 0..runs {
        let started = now_ms();
        pass(index).await?;
        samples.push(now_ms() - started);
    }
    Ok(samples)
}

async fn measure(model: &Loaded, runs: usize) -> Result<Report, String> {
    let dataset = &model.experiment.config.dataset;
    let png = api::get_bytes(&format!("/api/datasets/{dataset}/samples/0?split=test")).await?;
    let image: Pixels = decode_image(&png, &model.input).map_err(|error| error.to_string())?;
    let device = &model.engine.device;
    let forward = |pixels: Pixels| async move {
        engine::logits(&model.model, &model.input, &pixels, device)
            .await
            .map(|_| ())
    };
    let single = time(runs, |_| forward(image.clone())).await?;
    let slider = time(runs, |index| {
        let settings = Adjustments::default().with("rotation", (index % 90) as f32 * 4.0 - 180.0);
        forward(settings.apply(&image))
    })
    .await?;
    let rotations: Vec<Pixels> = (0..BATCH)
        .map(|index| {
            let degrees = -180.0 + 360.0 * index as f32 / BATCH as f32;
            Adjustments::default()
                .with("rotation", degrees)
                .apply(&image)
        })
        .collect();
    let batch_runs = runs.div_ceil(4).max(3);
    let batched = time(batch_runs, |_| async {
        engine::batch(&model.model, &model.input, &rotations, device)
            .await
            .map(|_| ())
    })
    .await?;
    let slider = Timing::of("slider update (warp + forward pass)", slider);
    let updates_per_second = 1000.0 / slider.median_ms.max(1e-6);
    Ok(Report {
        backend: model.engine.backend.key().to_owned(),
        adapter: model.engine.adapter.clone(),
        timings: vec![
            Timing::of("forward pass, 1 image", single),
            slider,
            Timing::of(&format!("batched pass, {BATCH} images"), batched),
        ],
        updates_per_second,
    })
}

/// The page.
#[component]
pub fn BenchmarkPage() -> impl IntoView {
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok());
    let query = use_query_map();
    let prefer_cpu = query.read_untracked().get("backend").as_deref() == Some("cpu");
    let runs = query
        .read_untracked()
        .get("runs")
        .and_then(|runs| runs.parse::<usize>().ok())
        .unwrap_or(40)
        .clamp(5, 1000);
    let loaded = LocalResource::new(move || load(id, prefer_cpu));
    let report = RwSignal::new(None::<Result<Report, String>>);
    let running = RwSignal::new(false);
    let start = move || {
        let Some(Ok(model)) = loaded.get_untracked() else {
            return;
        };
        running.set(true);
        report.set(None);
        leptos::task::spawn_local(async move {
            report.set(Some(measure(&model, runs).await));
            running.set(false);
        });
    };
    // Runs once the model is loaded; the button runs it again.
    Effect::new(move |_| {
        if matches!(loaded.get(), Some(Ok(_))) {
            start();
        }
    });
    view! {
        <h1>"Latency in this browser"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading the model…"</p> }>
            {move || loaded.get().map(|result| result.map_err(PageError::Load).map(|model| {
                    let id = model.experiment.id;
                    let other = if prefer_cpu { ("", "WebGPU") } else { ("?backend=cpu", "the CPU fallback") };
                    view! {
                        <p>
                            {format!("{} on ", model.experiment.name)}
                            <strong>{model.engine.backend.label()}</strong>
                            {model.engine.adapter.clone().map(|adapter| format!(" — adapter: {adapter}"))}
                            {model.engine.note.clone().map(|note| format!(" — {note}"))}
                            {format!(" · {runs} timed passes each after {WARM_UP} untimed ones (batches: {} timed)", runs.div_ceil(4).max(3))}
                        </p>
                        <p>
                            <button id="benchmark-run" disabled=move || running.get() on:click=move |_| start()>"Run again"</button>
                            " " <a href=format!("/experiments/{id}/benchmark{}", other.0) rel="external">{format!("measure {}", other.1)}</a>
                            " · " <a href=format!("/experiments/{id}/probe")>"probe studio"</a>
                        </p>
                    }.into_any()
            }))}
        </Transition>
        {move || match report.get() {
            None => running.get().then(|| view! { <p class="muted">"Measuring…"</p> }).into_any(),
            Some(Err(message)) => view! { <p class="error" id="benchmark-error">{message}</p> }.into_any(),
            Some(Ok(report)) => {
                let json = serde_json::to_string(&report).unwrap_or_default();
                view! {
                    <div class="card" id="benchmark" data-report=json>
                        <table>
                            <thead><tr><th>"pass"</th><th>"median (ms)"</th><th>"90th percentile (ms)"</th><th>"best (ms)"</th><th>"per second (median)"</th></tr></thead>
                            <tbody>
                                {report.timings.iter().map(|timing| view! {
                                    <tr>
                                        <td>{timing.what.clone()}</td>
                                        <td>{format!("{:.2}", timing.median_ms)}</td>
                                        <td>{format!("{:.2}", timing.p90_ms)}</td>
                                        <td>{format!("{:.2}", timing.best_ms)}</td>
                                        <td>{format!("{:.1}", 1000.0 / timing.median_ms.max(1e-6))}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p id="benchmark-summary">{format!(
                            "The slider loop runs at {:.0} updates/s here (goal on a real GPU: ≥ 60); a {BATCH}-point invariance curve takes {:.1} ms ({}).",
                            report.updates_per_second,
                            report.timings[2].median_ms,
                            if report.timings[2].median_ms <= 1000.0 / 60.0 { "within one 60 Hz frame" } else { "longer than one 60 Hz frame" }
                        )}</p>
                    </div>
                }.into_any()
            }
        }}
    }
}
