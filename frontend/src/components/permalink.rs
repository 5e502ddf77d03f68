//! A link to one panel of a page (`/experiments/3#bounds`) to share; a page opened from such a
//! link scrolls to the panel once the panel (with its link) is drawn.

use leptos::prelude::*;

/// "link to this panel": the current page's address with `#anchor`; when the page was opened
/// with `#anchor`, it scrolls there once drawn (and again a moment later, after the panels
/// above have loaded).
#[component]
pub fn Permalink(anchor: &'static str) -> impl IntoView {
    let path = web_sys::window()
        .and_then(|window| window.location().pathname().ok())
        .unwrap_or_default();
    Effect::new(move |_| {
        request_animation_frame(move || scroll_to(anchor));
        set_timeout(
            move || scroll_to(anchor),
            std::time::Duration::from_millis(600),
        );
    });
    view! {
        <a class="permalink" href=format!("{path}#{anchor}") rel="external"
            title="the address of this panel, to share">"link to this panel"</a>
    }
}

/// Scrolls to element `anchor` if the address' `#fragment` names it.
fn scroll_to(anchor: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = window.location().hash().unwrap_or_default();
    if hash.strip_prefix('#') != Some(anchor) {
        return;
    }
    if let Some(element) = window
        .document()
        .and_then(|document| document.get_element_by_id(anchor))
    {
        element.scroll_into_view();
    }
}
