//! The preprocessed model input, shown enlarged with crisp pixels.

use leptos::prelude::*;

/// The image as the model sees it (after resizing, grayscale and rotation), from a `data:` URL.
#[component]
pub fn Preview(src: Option<String>) -> impl IntoView {
    match src {
        Some(src) => {
            view! { <img id="preprocessed" class="preview" src=src alt="model input" /> }.into_any()
        }
        None => view! { <div class="preview"></div> }.into_any(),
    }
}
