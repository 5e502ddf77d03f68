//! The probe page's prediction card: the class probabilities of the current input and how
//! long the forward pass took.

use leptos::prelude::*;

use crate::components::Probabilities;

/// The latest prediction: probabilities and the view they belong to, or why there are none.
pub type PredictionState = Option<Result<(Vec<f32>, String), String>>;

/// The prediction of the current input; `#prediction` carries the probabilities and the key
/// of the view they belong to (what the browser test compares with the server).
#[component]
pub fn PredictionCard(
    /// The last forward pass's duration in milliseconds.
    latency: RwSignal<Option<f64>>,
    /// What that duration covers on this backend.
    latency_note: &'static str,
    /// The latest prediction.
    prediction: RwSignal<PredictionState>,
    /// Class names, index = label.
    class_names: Vec<String>,
) -> impl IntoView {
    view! {
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
    }
}
