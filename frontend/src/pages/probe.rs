//! The probe page: a test image, an upload (picked, dropped or pasted), a published image or a
//! drawing; the original next to the preprocessed input; the class probabilities computed in
//! this browser by the shared model, and sliders for every classical transform that re-run it
//! live; the learned symmetry's orbit; the address holds the whole view, and Share hands it out.
//!
//! The link restores the view: `?sample=N` or `?image=<published id>`, then
//! `&scale=…&rotation=…&tx=…&ty=…&brightness=…&contrast=…&flip=1&curve=…&backend=cpu` (only
//! what differs from the default). An upload or drawing enters a link only once its owner
//! publishes it (`POST /api/images`).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use memlab_shared::api::{PublishedImage, is_image_id, softmax};
use memlab_shared::preprocess::{Pixels, decode_image, png_data_url};
use memlab_shared::transform::Adjustments;

use crate::api;
use crate::components::{
    DrawingPad, ImageDrop, InvarianceCurve, OrbitStrip, PredictionCard, PredictionState, Preview,
    TransformSliders, ViewControls,
};
use crate::engine;
use crate::loaded::{load, now_ms};
use crate::page_error::PageError;

/// The image file behind the current input, as its owner gave it.
#[derive(Debug, Clone, PartialEq)]
struct Original {
    /// What it is called on the page.
    name: String,
    /// The file (a test image's PNG, an upload, a drawing's PNG, a published PNG).
    bytes: Vec<u8>,
    /// Its address once published (always, for test and published images' own PNG).
    published: Option<String>,
    /// Whether it is a test image of the data set (the link names its index then).
    sample: bool,
}

/// A `data:` URL of an image file, its type read from its first bytes.
fn data_url(bytes: &[u8]) -> String {
    let mime = match bytes {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xff, 0xd8, ..] => "image/jpeg",
        [b'G', b'I', b'F', ..] => "image/gif",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        _ => "application/octet-stream",
    };
    format!(
        "data:{mime};base64,{}",
        memlab_shared::preprocess::base64(bytes)
    )
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
    // A link naming a published image opens it instead of a test image.
    let linked_image = read_query("image");
    let use_sample = RwSignal::new(linked_image.is_none());
    let adjust = RwSignal::new(Adjustments::from_query(read_query));
    let shared_link = RwSignal::new(None::<String>);
    let curve = RwSignal::new(read_query("curve").unwrap_or_else(|| "rotation".to_owned()));
    let source = RwSignal::new(String::new());
    let true_label = RwSignal::new(None::<usize>);
    let pixels = RwSignal::new(None::<Pixels>);
    let original = RwSignal::new(None::<Original>);
    let input_error = RwSignal::new(None::<String>);
    let publish_note = RwSignal::new(None::<Result<String, String>>);
    let prediction = RwSignal::new(PredictionState::None);
    let generation = StoredValue::new(0u64);
    let latency = RwSignal::new(None::<f64>);
    let loaded = LocalResource::new(move || load(id, prefer_cpu));

    // Shows an image file as the input: decoded exactly as the server decodes uploads.
    let show = move |file: Original, label: Option<usize>| {
        let Some(Ok(model)) = loaded.get_untracked() else {
            return;
        };
        match decode_image(&file.bytes, &model.input) {
            Ok(decoded) => {
                input_error.set(None);
                publish_note.set(None);
                source.set(file.name.clone());
                true_label.set(label);
                use_sample.set(file.sample);
                original.set(Some(file));
                pixels.set(Some(decoded));
            }
            Err(error) => input_error.set(Some(format!("{}: {error}", file.name))),
        }
    };

    // A test image: fetch its PNG from the server and decode it exactly as an upload would be.
    Effect::new(move |_| {
        let index = sample.get();
        let Some(Ok(model)) = loaded.get() else {
            return;
        };
        if !use_sample.get_untracked() {
            return;
        }
        let dataset = model.experiment.config.dataset.clone();
        leptos::task::spawn_local(async move {
            let url = format!("/api/datasets/{dataset}/samples/{index}?split=test");
            match api::get_bytes_and_header(&url, "x-label").await {
                Ok((png, label)) => show(
                    Original {
                        name: format!("test image {index} of {dataset}"),
                        bytes: png,
                        published: None,
                        sample: true,
                    },
                    label.and_then(|label| label.parse::<usize>().ok()),
                ),
                Err(message) => input_error.set(Some(message)),
            }
        });
    });

    // A published image named by the link.
    Effect::new(move |_| {
        let Some(Ok(_)) = loaded.get() else { return };
        let Some(image) = linked_image.clone() else {
            return;
        };
        if !is_image_id(&image) {
            input_error.set(Some(format!(
                "this link's image '{image}' is not an image id (64 hex digits); showing nothing"
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            match api::get_bytes(&format!("/api/images/{image}")).await {
                Ok(png) => show(
                    Original {
                        name: format!("published image {}", &image[..12]),
                        bytes: png,
                        published: Some(image),
                        sample: false,
                    },
                    None,
                ),
                Err(message) => input_error.set(Some(format!(
                    "the image this link shows cannot be opened: {message}"
                ))),
            }
        });
    });

    let take_file = move |name: String, bytes: Vec<u8>| {
        show(
            Original {
                name,
                bytes,
                published: None,
                sample: false,
            },
            None,
        );
    };
    let on_file = move |file: web_sys::File| {
        leptos::task::spawn_local(async move {
            let name = file.name();
            match api::read_file(&file).await {
                Ok(bytes) => take_file(format!("upload {name}"), bytes),
                Err(message) => input_error.set(Some(message)),
            }
        });
    };
    let on_drawn = Callback::new(move |png: Vec<u8>| take_file("drawing".to_owned(), png));

    // Paste an image anywhere on the page.
    let paste = window_event_listener(leptos::ev::paste, move |event| {
        let file = event
            .clipboard_data()
            .and_then(|data| data.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            event.prevent_default();
            on_file(file);
        }
    });
    let paste = send_wrapper::SendWrapper::new(paste);
    on_cleanup(move || paste.take().remove());

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

    // The view as a query: the input (a test image, or a published image), then what differs
    // from the defaults.
    let view_query = move || {
        let file = original.get();
        let input = match file.as_ref().and_then(|file| file.published.clone()) {
            Some(image) => format!("image={image}"),
            None => format!("sample={}", sample.get()),
        };
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
        let backend = if prefer_cpu { "&backend=cpu" } else { "" };
        format!("{input}{settings}{followed}{backend}")
    };
    // Keep the address in step with the view, so copying it shares exactly this view.
    Effect::new(move |_| {
        let query = view_query();
        api::replace_query(&query);
        // A link handed out for another view is stale now.
        let stale = shared_link
            .get_untracked()
            .is_some_and(|link| !link.ends_with(&format!("?{query}")));
        if stale {
            shared_link.set(None);
        }
    });
    let hand_out = move || {
        let link = web_sys::window().and_then(|window| {
            let location = window.location();
            Some(format!(
                "{}{}?{}",
                location.origin().ok()?,
                location.pathname().ok()?,
                view_query()
            ))
        });
        if let (Some(link), Some(window)) = (link.clone(), web_sys::window()) {
            // Best effort: the link is also shown to copy by hand.
            let _ = window.navigator().clipboard().write_text(&link);
        }
        shared_link.set(link);
    };
    let unpublished = move || {
        original
            .get()
            .is_some_and(|file| !file.sample && file.published.is_none())
    };
    // Publishes the shown upload or drawing (its owner's choice: the button says so), then
    // hands out the link that names it.
    let share = move |()| {
        let Some(file) = original.get_untracked() else {
            return;
        };
        if file.sample || file.published.is_some() {
            hand_out();
            return;
        }
        publish_note.set(Some(Ok("publishing…".into())));
        leptos::task::spawn_local(async move {
            match api::post_bytes::<PublishedImage>("/api/images", &file.bytes).await {
                Ok(published) => {
                    let note = format!(
                        "published as {} ({}×{} pixels, {} bytes); anyone with the link sees it",
                        &published.id[..12],
                        published.width,
                        published.height,
                        published.bytes
                    );
                    original.update(|shown| {
                        if let Some(shown) =
                            shown.as_mut().filter(|shown| shown.bytes == file.bytes)
                        {
                            shown.published = Some(published.id.clone());
                        }
                    });
                    publish_note.set(Some(Ok(note)));
                    hand_out();
                }
                Err(message) => publish_note.set(Some(Err(format!(
                    "publishing failed: {message}; the view still works here"
                )))),
            }
        });
    };

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the model…"</p> }>
            {move || loaded.get().map(|result| result.map_err(PageError::Load).map(|model| {
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
                            {model.engine.adapter.clone().map(|adapter| view! { <span class="muted" id="adapter">{format!(" — adapter: {adapter}")}</span> })}
                            {model.engine.note.clone().map(|note| view! { <span class="muted">{format!(" — {note}")}</span> })}
                            " · " <a href=format!("/experiments/{id}")>"experiment"</a>
                            " · " <a href=format!("/experiments/{id}/benchmark")>"latency benchmark"</a>
                        </p>
                        <div class="probe">
                            <div>
                                <div class="probe-inputs">
                                    <figure>
                                        {move || {
                                            let src = pixels.get().and_then(|p| png_data_url(&adjust.get().apply(&p)).ok());
                                            view! { <Preview src /> }
                                        }}
                                        <figcaption>"what the model sees"</figcaption>
                                    </figure>
                                    <figure>
                                        {move || original.get().map(|file| view! {
                                            <img id="original" class="original" src=data_url(&file.bytes) alt="original image" />
                                        })}
                                        <figcaption>"original"</figcaption>
                                    </figure>
                                </div>
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
                                        if let Ok(index) = event_target_value(&event).parse::<usize>() {
                                            use_sample.set(true);
                                            sample.set(index);
                                        }
                                    } />
                                <TransformSliders adjust />
                                <ViewControls adjust unpublished=Signal::derive(unpublished)
                                    on_share=Callback::new(share) publish_note shared_link />
                                <ImageDrop on_file=Callback::new(on_file) />
                                {move || input_error.get().map(|message| view! { <p class="error" id="input-error">{message}</p> })}
                                <details id="draw">
                                    <summary>"Or draw one"</summary>
                                    <DrawingPad on_drawn />
                                </details>
                            </div>
                            <PredictionCard latency latency_note prediction class_names=class_names.clone() />
                        </div>
                        <InvarianceCurve model=model.model.clone() input=model.input.clone()
                            device=model.engine.device.clone() pixels adjust curve
                            class_names=model.experiment.class_names.clone() />
                        <OrbitStrip id model=model.model.clone() input=model.input.clone()
                            device=model.engine.device.clone() pixels adjust source
                            class_names=model.experiment.class_names.clone() />
                    }.into_any()
            }))}
        </Transition>
    }
}
