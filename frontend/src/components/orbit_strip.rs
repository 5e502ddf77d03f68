//! The probe studio's learned-symmetry orbit: a finished L_θ of this experiment (from Φ or
//! from f) applied to the current input again and again, `x, L x, L² x, …`, with the model's
//! prediction for each and the heat map of `|L x − x|`, all computed in this browser.

use std::sync::Arc;

use burn::prelude::Device;
use leptos::prelude::*;
use memlab_shared::api::{JobStatus, argmax, softmax};
use memlab_shared::model::{Classifier, TransformNet, TransformNetConfig};
use memlab_shared::preprocess::{InputSpec, Pixels, png_data_url};
use memlab_shared::symmetry::{SymmetryJob, SymmetryMode};
use memlab_shared::transform::Adjustments;
use send_wrapper::SendWrapper;

use crate::{api, engine};

/// Applications of L shown after x.
pub const STEPS: usize = 4;

/// One element of the orbit as shown.
#[derive(Debug, Clone, PartialEq)]
struct Element {
    /// The image, as a `data:` URL.
    src: String,
    /// The model's class probabilities.
    probabilities: Vec<f32>,
}

/// A computed orbit of one input.
#[derive(Debug, Clone, PartialEq)]
struct Orbit {
    /// Which input and settings (as the prediction's key) and which L.
    key: String,
    elements: Vec<Element>,
    /// `|L x − x|` as a heat map (`data:` URL), and its largest value.
    heat: Option<(String, f32)>,
}

/// `|a − b|` averaged over channels, as a black–red–yellow–white heat map scaled to its largest
/// value; answers the map and that value.
fn heat_map(a: &Pixels, b: &Pixels) -> (Pixels, f32) {
    let plane = a.height * a.width;
    let difference: Vec<f32> = (0..plane)
        .map(|index| {
            (0..a.channels)
                .map(|channel| {
                    let at = channel * plane + index;
                    (a.values[at] - b.values[at]).abs()
                })
                .sum::<f32>()
                / a.channels as f32
        })
        .collect();
    let largest = difference.iter().copied().fold(0.0f32, f32::max);
    let scale = if largest > 0.0 { 1.0 / largest } else { 0.0 };
    let ramp = |shift: f32| {
        difference
            .iter()
            .map(move |value| (3.0 * value * scale - shift).clamp(0.0, 1.0))
    };
    let values = ramp(0.0).chain(ramp(1.0)).chain(ramp(2.0)).collect();
    let map = Pixels {
        channels: 3,
        height: a.height,
        width: a.width,
        values,
    };
    (map, largest)
}

/// The learned symmetries of experiment `id` that have finished.
async fn finished(id: i64) -> Vec<(SymmetryMode, TransformNetConfig)> {
    let mut modes = Vec::new();
    for mode in SymmetryMode::ALL {
        let url = format!("/api/experiments/{id}/symmetry/{}", mode.as_str());
        if let Ok(job) = api::get_json::<SymmetryJob>(&url).await
            && job.status == JobStatus::Done
            && let Some(report) = job.result
        {
            modes.push((mode, report.network));
        }
    }
    modes
}

async fn compute(
    model: &Classifier,
    input: &InputSpec,
    transform: &TransformNet,
    pixels: &Pixels,
    device: &Device,
) -> Result<(Vec<Pixels>, Vec<Vec<f32>>), String> {
    let orbit = engine::orbit(transform, pixels, STEPS, device).await?;
    let (logits, _) = engine::batch(model, input, &orbit, device).await?;
    Ok((orbit, logits.iter().map(|row| softmax(row)).collect()))
}

/// The orbit strip; shows nothing but a line when the experiment has no finished L_θ.
#[component]
pub fn OrbitStrip(
    id: i64,
    model: Classifier,
    input: InputSpec,
    device: Device,
    pixels: RwSignal<Option<Pixels>>,
    adjust: RwSignal<Adjustments>,
    /// The key of the shown input (as the prediction's `data-key` prefix).
    source: RwSignal<String>,
    class_names: Vec<String>,
) -> impl IntoView {
    let modes = LocalResource::new(move || finished(id));
    let mode = RwSignal::new(None::<SymmetryMode>);
    // The loaded L_θ of the chosen mode (not Send: it lives in this page's thread).
    let transform = RwSignal::new(None::<(SymmetryMode, SendWrapper<Arc<TransformNet>>)>);
    let orbit = RwSignal::new(None::<Result<Orbit, String>>);
    let load_device = device.clone();
    Effect::new(move |_| {
        let Some(chosen) = mode.get() else { return };
        // The architecture the weights were saved with, from the finished job's report.
        let Some(network) = modes
            .get_untracked()
            .and_then(|found| found.into_iter().find(|(m, _)| *m == chosen))
            .map(|(_, network)| network)
        else {
            return;
        };
        let device = load_device.clone();
        leptos::task::spawn_local(async move {
            let url = format!("/api/experiments/{id}/symmetry/{}/weights", chosen.as_str());
            let loaded = api::get_bytes(&url)
                .await
                .and_then(|record| engine::load_transform(&network, record, &device));
            match loaded {
                Ok(net) => transform.set(Some((chosen, SendWrapper::new(Arc::new(net))))),
                Err(message) => orbit.set(Some(Err(message))),
            }
        });
    });
    Effect::new(move |_| {
        if let Some(Some(first)) = modes
            .get()
            .map(|modes| modes.first().map(|(mode, _)| *mode))
            && mode.get_untracked().is_none()
        {
            mode.set(Some(first));
        }
    });
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let settings = adjust.get();
        let Some(current) = pixels.get() else { return };
        let Some((chosen, net)) = transform.get() else {
            return;
        };
        let key = format!(
            "{}|{}|{}",
            source.get_untracked(),
            settings.to_query(),
            chosen.as_str()
        );
        generation.update_value(|count| *count += 1);
        let ticket = generation.get_value();
        let (model, input, device) = (model.clone(), input.clone(), device.clone());
        leptos::task::spawn_local(async move {
            let adjusted = settings.apply(&current);
            let result = compute(&model, &input, &net, &adjusted, &device).await;
            if generation.get_value() != ticket {
                return;
            }
            orbit.set(Some(result.and_then(|(images, probabilities)| {
                let elements = images
                    .iter()
                    .zip(probabilities)
                    .map(|(image, probabilities)| {
                        let src = png_data_url(image).map_err(|error| error.to_string())?;
                        Ok(Element { src, probabilities })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let heat = match images.get(1) {
                    Some(moved) => {
                        let (map, largest) = heat_map(moved, &images[0]);
                        let src = png_data_url(&map).map_err(|error| error.to_string())?;
                        Some((src, largest))
                    }
                    None => None,
                };
                Ok(Orbit {
                    key,
                    elements,
                    heat,
                })
            })));
        });
    });

    view! {
        <section class="card" id="orbit-section">
            <h3>"Learned symmetry orbit"</h3>
            {move || match modes.get() {
                None => view! { <p class="muted">"Looking for learned symmetries…"</p> }.into_any(),
                Some(found) if found.is_empty() => view! {
                    <p class="muted" id="orbit-none">"This experiment has no finished learned symmetry L_θ yet: learn one on its experiment page, then its orbit x, Lx, L²x, … shows here."</p>
                }.into_any(),
                Some(found) => view! {
                    <p>
                        <label for="orbit-mode">"L_θ: "</label>
                        <select id="orbit-mode" on:change=move |event| {
                            let chosen = event_target_value(&event);
                            mode.set(SymmetryMode::parse(&chosen));
                        }>
                            {found.into_iter().map(|(m, _)| view! {
                                <option value=m.as_str() selected=move || mode.get() == Some(m)>{m.label()}</option>
                            }).collect_view()}
                        </select>
                        <span class="muted">{format!(" applied {STEPS} times to the input as the sliders leave it")}</span>
                    </p>
                }.into_any(),
            }}
            {
                let names = class_names.clone();
                move || orbit.get().map(|result| match result {
                    Err(message) => view! { <p class="error" id="orbit-error">{message}</p> }.into_any(),
                    Ok(orbit) => {
                        let json: Vec<&Vec<f32>> = orbit.elements.iter().map(|element| &element.probabilities).collect();
                        let json = serde_json::to_string(&json).unwrap_or_default();
                        let names = names.clone();
                        view! {
                            <div id="orbit" class="orbit" data-key=orbit.key.clone() data-probabilities=json>
                                {orbit.elements.into_iter().enumerate().map(|(power, element)| {
                                    let class = argmax(&element.probabilities);
                                    let name = names.get(class).cloned().unwrap_or_else(|| class.to_string());
                                    let label = match power { 0 => "x".to_owned(), 1 => "L x".to_owned(), p => format!("L{} x", superscript(p)) };
                                    view! {
                                        <figure>
                                            <img class="thumb" src=element.src alt=label.clone() />
                                            <figcaption>{label}<br/><strong>{name}</strong>{format!(" {:.1} %", element.probabilities[class] * 100.0)}</figcaption>
                                        </figure>
                                    }
                                }).collect_view()}
                                {orbit.heat.map(|(src, largest)| view! {
                                    <figure>
                                        <img class="thumb" id="orbit-heat" src=src alt="|L x − x|" />
                                        <figcaption>"|L x − x|"<br/>{format!("max {largest:.3}")}</figcaption>
                                    </figure>
                                })}
                            </div>
                        }.into_any()
                    }
                })
            }
        </section>
    }
}

/// `p` in superscript digits.
fn superscript(p: usize) -> String {
    p.to_string()
        .chars()
        .map(|digit| match digit {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}
