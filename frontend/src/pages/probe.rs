//! The probe page: a test image or an upload, the preprocessed input, the class probabilities
//! computed in this browser by the shared model, and sliders for every classical transform
//! that re-run it live; the address holds the whole view, and Share hands it out.
//!
//! The link restores the view: `?sample=N&scale=…&rotation=…&tx=…&ty=…&brightness=…&contrast=…&flip=1&backend=cpu`
//! (only what differs from the default).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use memlab_shared::api::{Experiment, JobStatus, softmax};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::{InputSpec, Pixels, decode_image, png_data_url};
use memlab_shared::transform::Adjustments;
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::{InvarianceCurve, Preview, Probabilities};
use crate::engine::{self, Engine};

/// A model ready to run in this page.
#[derive(Clone)]
struct Loaded {
    experiment: Experiment,
    input: InputSpec,
    engine: Engine,
    model: Classifier,
}

async fn load(id: Option<i64>, prefer_cpu: bool) -> Result<Loaded, String> {
    let id = id.ok_or("the address names no experiment id")?;
    let experiment: Experiment = api::get_json(&format!("/api/experiments/{id}")).await?;
    if experiment.status != JobStatus::Done {
        return Err(format!(
            "experiment {id} is not trained yet ({:?})",
            experiment.status
        ));
    }
    let (Some(config), Some(input)) = (experiment.model.clone(), experiment.input.clone()) else {
        return Err("the experiment has no stored model".into());
    };
    let engine = engine::engine(prefer_cpu).await;
    let record = api::get_bytes(&format!("/api/experiments/{id}/weights")).await?;
    let model = engine::load_model(&config, record, &engine.device)?;
    Ok(Loaded {
        experiment,
        input,
        engine,
        model,
    })
}

/// Milliseconds on the page's monotonic clock.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |clock| clock.now())
}

/// The probe page.
#[component]
pub fn ProbePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok());
    let read_query = |key: &str| query.read_untracked().get(key);
    let prefer_cpu = read_query("backend").as_deref() == Some("cpu");
    let sample = RwSignal::new(
        read_query("sample")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0),
    );
    let adjust = RwSignal::new(Adjustments::from_query(read_query));
    let shared_link = RwSignal::new(None::<String>);
    let curve = RwSignal::new(read_query("curve").unwrap_or_else(|| "rotation".to_owned()));
    let source = RwSignal::new(String::new());
    let true_label = RwSignal::new(None::<usize>);
    let pixels = RwSignal::new(None::<Pixels>);
    let input_error = RwSignal::new(None::<String>);
    let prediction = RwSignal::new(None::<Result<(Vec<f32>, String), String>>);
    let generation = StoredValue::new(0u64);
    let latency = RwSignal::new(None::<f64>);
    let loaded = LocalResource::new(move || load(id, prefer_cpu));

    // A test image: fetch its PNG from the server and decode it exactly as an upload would be.
    Effect::new(move |_| {
        let index = sample.get();
        let Some(Ok(model)) = loaded.get() else {
            return;
        };
        let dataset = model.experiment.config.dataset.clone();
        let input = model.input.clone();
        leptos::task::spawn_local(async move {
            let url = format!("/api/datasets/{dataset}/samples/{index}?split=test");
            let fetched = api::get_bytes_and_header(&url, "x-label").await;
            let decoded = fetched.and_then(|(png, label)| {
                let pixels = decode_image(&png, &input).map_err(|error| error.to_string())?;
                Ok((pixels, label))
            });
            match decoded {
                Ok((decoded, label)) => {
                    input_error.set(None);
                    source.set(format!("test image {index} of {dataset}"));
                    true_label.set(label.and_then(|label| label.parse::<usize>().ok()));
                    pixels.set(Some(decoded));
                }
                Err(message) => input_error.set(Some(message)),
            }
        });
    });

    // Re-run the model whenever the input or a slider changes.
    Effect::new(move |_| {
        let current = pixels.get();
        let settings = adjust.get();
        let Some(Ok(model)) = loaded.get() else {
            return;
        };
        let Some(current) = current else { return };
        generation.update_value(|count| *count += 1);
        let ticket = generation.get_value();
        let key = format!("{}|{}", source.get_untracked(), settings.to_query());
        leptos::task::spawn_local(async move {
            let rotated = settings.apply(&current);
            let started = now_ms();
            let result =
                engine::logits(&model.model, &model.input, &rotated, &model.engine.device).await;
            if generation.get_value() == ticket {
                latency.set(Some(now_ms() - started));
                prediction.set(Some(result.map(|logits| (softmax(&logits), key))));
            }
        });
    });

    let on_file = move |file: web_sys::File| {
        let Some(Ok(model)) = loaded.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let name = file.name();
            let decoded = api::read_file(&file).await.and_then(|bytes| {
                decode_image(&bytes, &model.input).map_err(|error| format!("{name}: {error}"))
            });
            match decoded {
                Ok(decoded) => {
                    input_error.set(None);
                    source.set(format!("upload {name}"));
                    true_label.set(None);
                    pixels.set(Some(decoded));
                }
                Err(message) => input_error.set(Some(message)),
            }
        });
    };
    let dragging = RwSignal::new(false);

    // Keep the address in step with the view, so copying it shares exactly this view.
    Effect::new(move |_| {
        let backend = if prefer_cpu { "&backend=cpu" } else { "" };
        let settings = adjust.get().to_query();
        let settings = if settings.is_empty() {
            settings
        } else {
            format!("&{settings}")
        };
        let followed = curve.get();
        let followed = if followed == "rotation" {
            String::new()
        } else {
            format!("&curve={followed}")
        };
        api::replace_query(&format!(
            "sample={}{settings}{followed}{backend}",
            sample.get()
        ));
        shared_link.set(None);
    });
    let share = move |_| {
        let link = web_sys::window().and_then(|window| window.location().href().ok());
        if let (Some(link), Some(window)) = (link.clone(), web_sys::window()) {
            // Best effort: the link is also shown to copy by hand.
            let _ = window.navigator().clipboard().write_text(&link);
        }
        shared_link.set(link);
    };

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the model…"</p> }>
            {move || loaded.get().map(|result| match result {
                Err(message) => view! { <p class="error" id="probe-error">{message}</p> }.into_any(),
                Ok(model) => {
                    let class_names = model.experiment.class_names.clone();
                    let latency_note = match model.engine.backend {
                        engine::Backend::WebGpu => "normalization, model, read-back; the first pass also compiles shaders",
                        engine::Backend::Cpu => "normalization, model, read-back",
                    };
                    let id = model.experiment.id;
                    view! {
                        <h1>{format!("Probe: {}", model.experiment.name)}</h1>
                        <p>
                            "Running in this browser on "
                            <span id="backend" class="backend" data-backend=model.engine.backend.key()>{model.engine.backend.label()}</span>
                            {model.engine.note.clone().map(|note| view! { <span class="muted">{format!(" — {note}")}</span> })}
                            " · " <a href=format!("/experiments/{id}")>"experiment"</a>
                        </p>
                        <div class="probe">
                            <div>
                                {move || {
                                    let src = pixels.get().and_then(|p| png_data_url(&adjust.get().apply(&p)).ok());
                                    view! { <Preview src /> }
                                }}
                                <p class="muted" id="source">{move || source.get()}</p>
                                {
                                    let names = class_names.clone();
                                    move || true_label.get().map(|label| {
                                        let name = names.get(label).cloned().unwrap_or_else(|| label.to_string());
                                        view! { <p id="true-label">"true label: " <strong>{name}</strong></p> }
                                    })
                                }
                                <label for="sample">"Test image"</label>
                                <input id="sample" type="number" min="0" prop:value=move || sample.get().to_string()
                                    on:change=move |event| {
                                        if let Ok(index) = event_target_value(&event).parse::<usize>() { sample.set(index) }
                                    } />
                                {Adjustments::SLIDERS.iter().map(|slider| {
                                    let key = slider.key;
                                    let label = slider.label;
                                    view! {
                                        <label for=key>{move || format!("{label}: {}", adjust.get().get(key).unwrap_or_default())}</label>
                                        <input id=key type="range" min=slider.min.to_string() max=slider.max.to_string() step=slider.step.to_string()
                                            prop:value=move || adjust.get().get(key).unwrap_or_default().to_string()
                                            on:input=move |event| {
                                                if let Ok(value) = event_target_value(&event).parse::<f32>() {
                                                    adjust.update(|settings| *settings = settings.with(key, value));
                                                }
                                            } />
                                    }
                                }).collect_view()}
                                <p>
                                    <input id="flip" type="checkbox" prop:checked=move || adjust.get().flip
                                        on:change=move |event| {
                                            let on = event_target_checked(&event);
                                            adjust.update(|settings| settings.flip = on);
                                        } />
                                    <label for="flip">" Mirror left–right"</label>
                                    " · "
                                    <button id="reset" on:click=move |_| adjust.set(Adjustments::default())>"Reset"</button>
                                    " "
                                    <button id="share" on:click=share>"Share this view"</button>
                                </p>
                                {move || shared_link.get().map(|link| view! {
                                    <p class="muted">"Link (copied): " <input id="share-link" readonly size="48" prop:value=link /></p>
                                })}
                                <label for="upload">"Or your own image (PNG or JPEG)"</label>
                                <div class=move || if dragging.get() { "drop over" } else { "drop" }
                                    on:dragover=move |event: web_sys::DragEvent| { event.prevent_default(); dragging.set(true); }
                                    on:dragleave=move |_| dragging.set(false)
                                    on:drop=move |event: web_sys::DragEvent| {
                                        event.prevent_default();
                                        dragging.set(false);
                                        let file = event.data_transfer().and_then(|transfer| transfer.files()).and_then(|files| files.get(0));
                                        if let Some(file) = file { on_file(file) }
                                    }>
                                    "Drop an image here, or "
                                    <input id="upload" type="file" accept="image/png,image/jpeg"
                                        on:change=move |event| {
                                            let input = event.target().and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok());
                                            if let Some(file) = input.and_then(|input| input.files()).and_then(|files| files.get(0)) { on_file(file) }
                                        } />
                                </div>
                                {move || input_error.get().map(|message| view! { <p class="error" id="input-error">{message}</p> })}
                            </div>
                            <div class="card">
                                <h3>"Prediction"</h3>
                                {move || latency.get().map(|ms| view! {
                                    <p class="muted" id="latency">{format!("forward pass {ms:.1} ms ({latency_note})")}</p>
                                })}
                                {move || match prediction.get() {
                                    None => view! { <p class="muted">"Computing…"</p> }.into_any(),
                                    Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any(),
                                    Some(Ok((probabilities, key))) => {
                                        let json = serde_json::to_string(&probabilities).unwrap_or_default();
                                        view! {
                                            <div id="prediction" data-state="ready" data-key=key data-probabilities=json>
                                                <Probabilities probabilities class_names=class_names.clone() top=10 />
                                            </div>
                                        }.into_any()
                                    }
                                }}
                            </div>
                        </div>
                        <InvarianceCurve model=model.model.clone() input=model.input.clone()
                            device=model.engine.device.clone() pixels adjust curve
                            class_names=model.experiment.class_names.clone() />
                    }.into_any()
                }
            })}
        </Transition>
    }
}
