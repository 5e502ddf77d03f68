//! The probe page's view controls: mirror, reset, and share (publishing the reader's own image
//! first, on their say), with what sharing did.

use leptos::prelude::*;
use memlab_shared::transform::Adjustments;

/// Mirror and reset act on `adjust`; Share calls `on_share`. While the input is the reader's
/// own unpublished image, the button and a hint say that sharing publishes it.
#[component]
pub fn ViewControls(
    /// The transforms applied to the input.
    adjust: RwSignal<Adjustments>,
    /// Whether the input is an upload or drawing not published yet.
    unpublished: Signal<bool>,
    /// Shares the view.
    on_share: Callback<()>,
    /// What publishing did (or why it failed).
    publish_note: RwSignal<Option<Result<String, String>>>,
    /// The link handed out, while it still names the view.
    shared_link: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <p>
            <input id="flip" type="checkbox" prop:checked=move || adjust.get().flip
                on:change=move |event| {
                    let on = event_target_checked(&event);
                    adjust.update(|settings| settings.flip = on);
                } />
            <label class="inline" for="flip">" Mirror left–right"</label>
            " · "
            <button id="reset" on:click=move |_| adjust.set(Adjustments::default())>"Reset"</button>
            " "
            <button id="share" on:click=move |_| on_share.run(())>
                {move || if unpublished.get() { "Publish image and share this view" } else { "Share this view" }}
            </button>
        </p>
        {move || unpublished.get().then(|| view! {
            <p class="muted" id="publish-hint">"Your image stays in this browser until you share: sharing publishes it on this server (anyone with the link sees it)."</p>
        })}
        {move || publish_note.get().map(|note| match note {
            Ok(text) => view! { <p class="muted" id="publish-note">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" id="publish-error">{text}</p> }.into_any(),
        })}
        {move || shared_link.get().map(|link| view! {
            <p class="muted">"Link (copied): " <input id="share-link" readonly size="48" prop:value=link /></p>
        })}
    }
}
