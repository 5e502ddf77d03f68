//! Why a page cannot be shown, typed, and the frame every page sits in: an `ErrorBoundary`
//! that turns such an error into a readable message, with a way back.

use leptos::prelude::*;

/// What stops a page from showing what it is about.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PageError {
    /// Its subject (an experiment and its trained model) could not be loaded: a missing or
    /// unfinished experiment, a bad address, a server or network failure (the message says).
    #[error("{0}")]
    Load(String),
}

/// A page inside an error boundary: when the page renders a [`PageError`] (or any error), the
/// frame shows `title`, the message in `<p class="error" id={error_id}>`, and a link back to
/// the experiments.
#[component]
pub fn PageFrame(
    /// The page's heading when it fails.
    title: &'static str,
    /// The id of the message (what tests and styles find).
    error_id: &'static str,
    /// The page.
    children: Children,
) -> impl IntoView {
    view! {
        <ErrorBoundary fallback=move |errors| view! {
            <h1>{title}</h1>
            <p class="error" id=error_id>
                {move || errors.get().into_iter().map(|(_, error)| error.to_string()).collect::<Vec<_>>().join("; ")}
            </p>
            <p><a href="/">"Back to the experiments"</a></p>
        }>
            {children()}
        </ErrorBoundary>
    }
}
