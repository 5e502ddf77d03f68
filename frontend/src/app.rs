//! The router and page frame.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::page_error::PageFrame;
use crate::pages::{
    BenchmarkPage, ExperimentPage, GalleryPage, ModelsPage, NotFoundPage, ProbePage,
    ReplicationsPage, StudiesPage, StudyPage,
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
                    <A href="/replications">"Replications"</A>
                    // The API reference is the server's page, not a route of this app.
                    <a href="/api/docs" rel="external">"API"</a>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=|| view! { <PageFrame title="Experiments" error_id="page-error"><GalleryPage /></PageFrame> } />
                    <Route path=path!("/experiments/:id") view=|| view! { <PageFrame title="Experiment" error_id="page-error"><ExperimentPage /></PageFrame> } />
                    <Route path=path!("/experiments/:id/probe") view=|| view! { <PageFrame title="Probe" error_id="probe-error"><ProbePage /></PageFrame> } />
                    <Route path=path!("/experiments/:id/benchmark") view=|| view! { <PageFrame title="Latency benchmark" error_id="benchmark-error"><BenchmarkPage /></PageFrame> } />
                    <Route path=path!("/studies") view=|| view! { <PageFrame title="Studies" error_id="page-error"><StudiesPage /></PageFrame> } />
                    <Route path=path!("/models") view=|| view! { <PageFrame title="Models" error_id="page-error"><ModelsPage /></PageFrame> } />
                    <Route path=path!("/replications") view=|| view! { <PageFrame title="Replications" error_id="page-error"><ReplicationsPage /></PageFrame> } />
                    <Route path=path!("/studies/:id") view=|| view! { <PageFrame title="Study" error_id="page-error"><StudyPage /></PageFrame> } />
                </Routes>
            </main>
        </Router>
    }
}
