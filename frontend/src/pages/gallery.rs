//! The gallery: every experiment with its status, accuracy and live progress.

use std::time::Duration;

use leptos::prelude::*;
use memlab_shared::api::{DatasetInfo, Experiment, Health};

use crate::api;
use crate::components::{ExperimentCard, NewExperiment};

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
    let form = LocalResource::new(|| async {
        let health = api::get_json::<Health>("/api/health").await?;
        let datasets = api::get_json::<Vec<DatasetInfo>>("/api/datasets").await?;
        Ok::<_, String>((health, datasets))
    });
    view! {
        <h1>"Experiments"</h1>
        <div class="gallery-layout">
            <section>
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
            </section>
            <aside>
                <Suspense fallback=|| ()>
                    {move || form.get().map(|result| match result {
                        Ok((health, _)) if health.read_only => view! {
                            <p class="muted">"This is a read-only demo: training new experiments is disabled."</p>
                        }.into_any(),
                        Ok((_, datasets)) if datasets.is_empty() => view! {
                            <p class="error">"No data sets are installed: run `cargo xtask setup`."</p>
                        }.into_any(),
                        Ok((_, datasets)) => view! { <NewExperiment datasets /> }.into_any(),
                        Err(message) => view! { <p class="error">{message}</p> }.into_any(),
                    })}
                </Suspense>
            </aside>
        </div>
    }
}
