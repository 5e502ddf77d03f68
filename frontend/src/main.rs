//! memlab's browser app: the Leptos pages, mounted on the document body.

mod api;
mod app;
mod components;
mod engine;
mod loaded;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
