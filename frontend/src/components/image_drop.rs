//! Where a reader hands the probe page an image file: a file picker inside a drop zone.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The upload field and drop zone; `on_file` receives the file picked or dropped.
#[component]
pub fn ImageDrop(
    /// Called with the file.
    on_file: Callback<web_sys::File>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    view! {
        <label for="upload">"Or your own image (PNG, JPEG, WebP, GIF; or paste one)"</label>
        <div class=move || if dragging.get() { "drop over" } else { "drop" }
            on:dragover=move |event: web_sys::DragEvent| { event.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |event: web_sys::DragEvent| {
                event.prevent_default();
                dragging.set(false);
                let file = event.data_transfer().and_then(|transfer| transfer.files()).and_then(|files| files.get(0));
                if let Some(file) = file { on_file.run(file) }
            }>
            "Drop an image here, or "
            <input id="upload" type="file" accept="image/png,image/jpeg,image/webp,image/gif"
                on:change=move |event| {
                    let input = event.target().and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok());
                    if let Some(file) = input.and_then(|input| input.files()).and_then(|files| files.get(0)) { on_file.run(file) }
                } />
        </div>
    }
}
