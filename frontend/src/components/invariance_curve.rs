//! The probe studio's live invariance curve: for the selected transform, the model's
//! probability of the class it gives the untransformed image, and the distance of its
//! penultimate features from the untransformed image's (relative to their norm), over the
//! transform's whole range with every other slider where it is — all points in one batched
//! pass on the page's engine, recomputed whenever the input or a slider moves.

use burn::prelude::Device;
use leptos::prelude::*;
use memlab_shared::api::{argmax, softmax};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::{InputSpec, Pixels};
use memlab_shared::transform::Adjustments;

use super::line_chart::{Line, LineChart};
use crate::engine;

/// Points of a numeric slider's curve.
pub const POINTS: usize = 65;

/// The keys a curve can follow: the numeric sliders, then the mirror.
fn keys() -> Vec<(&'static str, &'static str)> {
    Adjustments::SLIDERS
        .iter()
        .map(|slider| (slider.key, slider.label))
        .chain([("flip", "Mirror")])
        .collect()
}

/// The settings at parameter `value` of `key`, the others as in `settings`.
fn at(settings: Adjustments, key: &str, value: f32) -> Adjustments {
    if key == "flip" {
        Adjustments {
            flip: value >= 0.5,
            ..settings
        }
    } else {
        settings.with(key, value)
    }
}

/// The parameter values of `key`'s curve.
fn grid(key: &str) -> Vec<f32> {
    match Adjustments::SLIDERS.iter().find(|slider| slider.key == key) {
        Some(slider) => (0..POINTS)
            .map(|i| slider.min + (slider.max - slider.min) * i as f32 / (POINTS - 1) as f32)
            .collect(),
        None => vec![0.0, 1.0],
    }
}

/// One computed curve.
#[derive(Debug, Clone, PartialEq)]
struct Curve {
    /// The transform followed.
    key: String,
    /// The other settings, as in the address.
    settings: String,
    /// The class of the untransformed image.
    original: usize,
    /// (parameter, probability of `original`, relative feature distance).
    points: Vec<(f32, f32, f32)>,
    /// Milliseconds of the batched pass (warps included).
    ms: f64,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |clock| clock.now())
}

/// The curve's section.
#[component]
pub fn InvarianceCurve(
    /// The model.
    model: Classifier,
    /// Its input.
    input: InputSpec,
    /// The page's device.
    device: Device,
    /// The untransformed input.
    pixels: RwSignal<Option<Pixels>>,
    /// The sliders.
    adjust: RwSignal<Adjustments>,
    /// The transform followed (a slider key or `flip`).
    curve: RwSignal<String>,
    /// Class names.
    class_names: Vec<String>,
) -> impl IntoView {
    let result = RwSignal::new(None::<Result<Curve, String>>);
    let ticket = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(original) = pixels.get() else {
            return;
        };
        let settings = adjust.get();
        let key = curve.get();
        ticket.update_value(|count| *count += 1);
        let mine = ticket.get_value();
        let (model, input, device) = (model.clone(), input.clone(), device.clone());
        leptos::task::spawn_local(async move {
            let started = now_ms();
            let values = grid(&key);
            let mut images = vec![original.clone()];
            images.extend(
                values
                    .iter()
                    .map(|&value| at(settings, &key, value).apply(&original)),
            );
            let outcome = engine::batch(&model, &input, &images, &device).await;
            if ticket.get_value() != mine {
                return;
            }
            result.set(Some(outcome.map(|(logits, features)| {
                let original_class = argmax(&logits[0]);
                let base = &features[0];
                let norm = base.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                let points = values
                    .iter()
                    .zip(logits.iter().zip(&features).skip(1))
                    .map(|(&value, (row, feature))| {
                        let distance = feature
                            .iter()
                            .zip(base)
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f32>()
                            .sqrt();
                        (value, softmax(row)[original_class], distance / norm)
                    })
                    .collect();
                Curve {
                    key: key.clone(),
                    settings: settings.to_query(),
                    original: original_class,
                    points,
                    ms: now_ms() - started,
                }
            })));
        });
    });
    view! {
        <div class="card" id="invariance">
            <h3>"Invariance over a whole range"</h3>
            <p class="muted">
                "The model's probability of the class it gives the untransformed image, and how far its \
                 penultimate features move (relative to their length), as one transform sweeps its range \
                 with the other sliders where they are: every point in one batched pass in this browser."
            </p>
            <label for="curve">"Transform "</label>
            <select id="curve" on:change=move |event| curve.set(event_target_value(&event))>
                {keys().into_iter().map(|(key, label)| view! {
                    <option value=key selected=move || curve.get() == key>{label}</option>
                }).collect_view()}
            </select>
            {move || match result.get() {
                None => view! { <p class="muted">"Computing…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any(),
                Some(Ok(found)) => {
                    let name = class_names
                        .get(found.original)
                        .cloned()
                        .unwrap_or_else(|| found.original.to_string());
                    let label = keys()
                        .into_iter()
                        .find(|(key, _)| *key == found.key)
                        .map_or(found.key.clone(), |(_, label)| label.to_owned());
                    let lines = vec![
                        Line::new(
                            format!("p({name})"),
                            found.points.iter().map(|&(x, p, _)| (f64::from(x), f64::from(p))).collect(),
                        ),
                        Line::new(
                            "feature distance",
                            found.points.iter().map(|&(x, _, d)| (f64::from(x), f64::from(d))).collect(),
                        ),
                    ];
                    let json = serde_json::to_string(&found.points).unwrap_or_default();
                    view! {
                        <div id="invariance-curve" data-key=format!("{}|{}", found.settings, found.key)
                            data-original=found.original.to_string() data-points=json>
                            <LineChart title=format!("{label}: class {name} of the untransformed image")
                                x_label=label y_label="probability / relative distance".into() lines
                                id="invariance-chart".to_owned() />
                        </div>
                        <p class="muted" id="invariance-latency">{format!(
                            "{} images in {:.1} ms (warps and one batched forward pass)",
                            found.points.len() + 1,
                            found.ms
                        )}</p>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}
