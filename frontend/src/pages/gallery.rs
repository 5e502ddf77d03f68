//! The gallery: every experiment with its status, accuracy and live progress.

use std::time::Duration;

use leptos::prelude::*;
use memlab_shared::api::Experiment;

use crate::api;
use crate::components::ExperimentCard;

/// How often the gallery refreshes.
const REFRESH: Duration = Duration::from_secs(2);

/// Lists experiments, refreshing while the page is open.
#[component]
pub fn GalleryPage() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|count| *count += 1), REFRESH)
    {
        on_cleanup(move || handle.clear());
    }
    let experiments = LocalResource::new(move || {
        tick.track();
        async move { api::get_json::<Vec<Experiment>>("/api/experiments").await }
    });
    view! {
        <h1>"Experiments"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading experiments…"</p> }>
            {move || experiments.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <p class="muted">"No experiments yet."</p>
                }.into_any(),
                Ok(list) => view! {
                    <div class="grid" id="gallery">
                        {list.into_iter().map(|experiment| view! { <ExperimentCard experiment /> }).collect_view()}
                    </div>
                }.into_any(),
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </Transition>
    }
}
