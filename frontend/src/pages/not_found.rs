//! The page for unknown addresses.

use leptos::prelude::*;

/// Says the address is unknown and links home.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="card">
            <h1>"Not found"</h1>
            <p>"No page at this address. " <a href="/">"Back to the experiments"</a></p>
        </div>
    }
}
