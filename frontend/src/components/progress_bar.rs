//! A thin horizontal progress bar.

use leptos::prelude::*;

/// `fraction` in `[0, 1]` drawn as a filled bar.
#[component]
pub fn ProgressBar(fraction: f64) -> impl IntoView {
    let percent = (fraction.clamp(0.0, 1.0) * 100.0).round();
    view! {
        <div class="bar" role="progressbar" aria-valuenow=percent.to_string()>
            <div style=format!("width: {percent}%")></div>
        </div>
    }
}
