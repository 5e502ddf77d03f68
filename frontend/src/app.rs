//! The router and page frame.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::pages::{
    BenchmarkPage, ExperimentPage, GalleryPage, ModelsPage, NotFoundPage, ProbePage, StudiesPage,
    StudyPage,
};

/// The whole app: a header and the routed page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="top">
                <A href="/" attr:class="brand">"memlab"</A>
                <span class="muted">"memorization in deep learning"</span>
                <nav>
                    <A href="/">"Experiments"</A>
                    <A href="/studies">"Studies"</A>
                    <A href="/models">"Models"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=GalleryPage />
                    <Route path=path!("/experiments/:id") view=ExperimentPage />
                    <Route path=path!("/experiments/:id/probe") view=ProbePage />
                    <Route path=path!("/experiments/:id/benchmark") view=BenchmarkPage />
                    <Route path=path!("/studies") view=StudiesPage />
                    <Route path=path!("/models") view=ModelsPage />
                    <Route path=path!("/studies/:id") view=StudyPage />
                </Routes>
            </main>
        </Router>
    }
}
