//! memlab's browser app: the Leptos pages, mounted on the document body.
//!
//! Leptos 0.8 CSR, built by Trunk (`Trunk.toml`, `frontend/index.html`) into `dist/`, which the
//! server serves with a single-page-app fallback. `engine.rs` chooses the device once per page
//! (WebGPU through `Device::wgpu_options().init_async()`, else `Device::flex()`); `pages/` has
//! the gallery, experiment (with the bound panel: `components/bound_panel.rs`, log-scale bars in
//! `components/bound_chart.rs` (drawn by `memlab_charts::bars`); invariance probes: `components/probe_section.rs`; learned
//! symmetries with live losses and sample grids: `components/symmetry_section.rs` (stage A and the basin test: `components/discovery_view.rs`); Lie
//! generators: `components/lie_section.rs`; the polling
//! they share: `components/analysis_job.rs`), probe (inputs: test images, uploads picked, dropped or pasted, published images, and
//! `components/drawing_pad.rs`'s canvas; the original next to what the model sees; sliders for
//! every classical transform; the address holds the view and Share hands it out, publishing an
//! upload or drawing first when its owner shares it; `components/invariance_curve.rs` sweeps one
//! transform's range through `engine::batch`, one batched forward pass for all points;
//! `components/orbit_strip.rs` loads a finished L_θ (`engine::load_transform`) and shows the
//! orbit x, Lx, …, L⁴x with each prediction and the |Lx − x| heat map; the backend badge names
//! the WebGPU adapter), benchmark (`/experiments/{id}/benchmark`: one forward pass, one slider
//! update and one batched pass of 64 images timed on the page's engine; median, 90th percentile,
//! best), studies (list and new-study form) and study pages (member
//! table and plots by `components/line_chart.rs` (`memlab_charts::line`), linear or log axes; augmentation studies
//! state what augmentation did to invariance, with a consistency table and curves) and models
//! (`/models`: architectures side by side per data set with each one's tightest bound and its
//! ratio to LeNet's (`components/bound_comparison.rs`, also under a fixed-encoder model's bound
//! panel), and `components/patch_geometry.rs`:
//! a data set's patch geometry, `GET /api/datasets/{name}/geometry` (one at a time, 429 when
//! busy), plotted against p); `components/` one component a file; `api.rs` the
//! fetch helpers that turn every failure into a readable message; `loaded.rs` a finished
//! experiment's model loaded on the page's engine (probe and benchmark pages);
//! `components/permalink.rs` the "link to this panel" of the experiment page's panels and the
//! scroll to `#panel` when a page opens from one (repeated for a few seconds as the panels above
//! load, unless the reader scrolls). Every plot (training curves,
//! invariance curves, probe and study plots, patch geometry, bound bars) is drawn by
//! `memlab-charts` and shown by `components/chart_figure.rs` (caption, the SVG, an **SVG**
//! download link and a **PNG** button that renders the SVG on a canvas at twice its size).

mod api;
mod app;
mod components;
mod engine;
mod loaded;
mod page_error;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
