//! A link to one panel of a page (`/experiments/3#bounds`) to share; a page opened from such a
//! link scrolls to the panel once the panel (with its link) is drawn.

use std::cell::Cell;

use leptos::prelude::*;

/// When a page opens at a panel's address, it scrolls there at each of these moments (ms):
/// panels above it load later and push it down, the later the busier the machine.
const SCROLL_AGAIN_MS: [u64; 4] = [600, 1500, 3000, 6000];

thread_local! {
    /// Where the window was last scrolled to the anchor (`None`: not yet).
    static SCROLLED_TO: Cell<Option<f64>> = const { Cell::new(None) };
}

/// "link to this panel": the current page's address with `#anchor`; when the page was opened
/// with `#anchor`, it scrolls there once drawn, and again as the panels above load, unless the
/// reader has scrolled since.
#[component]
pub fn Permalink(anchor: &'static str) -> impl IntoView {
    let path = web_sys::window()
        .and_then(|window| window.location().pathname().ok())
        .unwrap_or_default();
    Effect::new(move |_| {
        SCROLLED_TO.with(|at| at.set(None));
        request_animation_frame(move || scroll_to(anchor));
        for delay in SCROLL_AGAIN_MS {
            set_timeout(
                move || scroll_to(anchor),
                std::time::Duration::from_millis(delay),
            );
        }
    });
    view! {
        <a class="permalink" href=format!("{path}#{anchor}") rel="external"
            title="the address of this panel, to share">"link to this panel"</a>
    }
}

/// Scrolls to element `anchor` if the address' `#fragment` names it and the window is still
/// where the last scroll to it left it (a reader who scrolled away stays where they are).
fn scroll_to(anchor: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = window.location().hash().unwrap_or_default();
    if hash.strip_prefix('#') != Some(anchor) {
        return;
    }
    let now = window.scroll_y().ok();
    let last = SCROLLED_TO.with(Cell::get);
    if last.is_some() && last != now {
        return;
    }
    if let Some(element) = window
        .document()
        .and_then(|document| document.get_element_by_id(anchor))
    {
        element.scroll_into_view();
        SCROLLED_TO.with(|at| at.set(window.scroll_y().ok()));
    }
}
