//! The patch-geometry panel: for a chosen data set, the intrinsic dimension of its patches
//! (TwoNN, Levina–Bickel; raw and whitened) against the patch size, and their PCA spectra,
//! measured on the server.

use leptos::prelude::*;
use memlab_shared::api::DatasetInfo;
use memlab_shared::geometry::PatchGeometry;

use crate::api;
use crate::components::LineChart;
use crate::components::line_chart::Line;

/// Intrinsic dimension against p, and the raw spectra (share of the variance per component).
#[component]
fn GeometryPlots(geometry: Vec<PatchGeometry>) -> impl IntoView {
    let series = |name: &str, dashed: bool, pick: fn(&PatchGeometry) -> Option<f64>| Line {
        name: name.to_owned(),
        points: geometry
            .iter()
            .filter_map(|g| pick(g).map(|d| (g.patch as f64, d)))
            .collect(),
        dashed,
    };
    let dimensions = vec![
        series("TwoNN, raw", false, |g| g.raw.two_nn),
        series("Levina–Bickel, raw", false, |g| g.raw.levina_bickel),
        series("TwoNN, whitened", true, |g| g.whitened.two_nn),
        series("Levina–Bickel, whitened", true, |g| {
            g.whitened.levina_bickel
        }),
        series("components for 90 % of the variance", false, |g| {
            Some(g.components_90 as f64)
        }),
    ];
    let spectra: Vec<Line> = geometry
        .iter()
        .map(|g| {
            let total: f64 = g
                .spectrum
                .iter()
                .map(|v| v.max(0.0))
                .sum::<f64>()
                .max(1e-300);
            Line::new(
                format!("p = {}", g.patch),
                g.spectrum
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ((i + 1) as f64, v / total))
                    .collect(),
            )
        })
        .collect();
    view! {
        <div class="plots">
            <div class="card">
                <LineChart title="Intrinsic dimension of the patches".into() x_label="patch side p".into()
                    y_label="dimension".into() lines=dimensions id="plot-dimension".into() />
            </div>
            <div class="card">
                <LineChart title="PCA spectra of the raw patches (log scale)".into()
                    x_label="component".into() y_label="share of the variance".into()
                    lines=spectra log_y=true id="plot-spectra".into() />
            </div>
        </div>
    }
}

/// Choose a data set, measure, see the plots.
#[component]
pub fn PatchGeometryPanel(datasets: Vec<DatasetInfo>) -> impl IntoView {
    let dataset = RwSignal::new(datasets.first().map(|d| d.name.clone()).unwrap_or_default());
    let result = RwSignal::new(None::<Result<Vec<PatchGeometry>, String>>);
    let busy = RwSignal::new(false);
    let measure = move |_| {
        busy.set(true);
        let name = dataset.get_untracked();
        leptos::task::spawn_local(async move {
            let url = format!("/api/datasets/{name}/geometry");
            result.set(Some(api::get_json::<Vec<PatchGeometry>>(&url).await));
            busy.set(false);
        });
    };
    view! {
        <div class="card" id="patch-geometry">
            <h3>"Patch geometry"</h3>
            <p class="muted">
                "4 000 patches of each size p = 3…9 from the first 10 000 training images; exact \
                 duplicates (blank background) are removed before the nearest-neighbour \
                 estimators; whitening with ε = 0.001."
            </p>
            <select id="geometry-dataset" on:change=move |event| dataset.set(event_target_value(&event))>
                {datasets.into_iter().map(|info| view! { <option value=info.name.clone()>{info.name.clone()}</option> }).collect_view()}
            </select>
            " "
            <button id="geometry-measure" on:click=measure prop:disabled=move || busy.get()>
                {move || if busy.get() { "Measuring…" } else { "Measure" }}
            </button>
            {move || result.get().map(|result| match result {
                Ok(geometry) => view! { <GeometryPlots geometry /> }.into_any(),
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </div>
    }
}
