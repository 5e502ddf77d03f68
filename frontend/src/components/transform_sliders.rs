//! A slider for every classical transform of the probe studio (`Adjustments::SLIDERS`).

use leptos::prelude::*;
use memlab_shared::transform::Adjustments;

/// One labelled range input per transform, each showing and setting its value in `adjust`.
#[component]
pub fn TransformSliders(
    /// The transforms applied to the input.
    adjust: RwSignal<Adjustments>,
) -> impl IntoView {
    Adjustments::SLIDERS
        .iter()
        .map(|slider| {
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
        })
        .collect_view()
}
