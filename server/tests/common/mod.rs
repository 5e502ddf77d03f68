//! Test helpers: a tiny image-folder data set written by the tests and an app state over it.

#![allow(dead_code)]

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use burn::prelude::Device;
use http_body_util::BodyExt;
use memlab_server::ServeOptions;
use memlab_server::app::app;
use memlab_server::state::AppState;
use tower::ServiceExt;

#[path = "../../../science/tests/common/toy.rs"]
mod toy;

pub use toy::*;

/// The admin token of read-only test servers.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// An app state over a fresh data folder with the toy data set (no demo; read-only ones take
/// [`ADMIN_TOKEN`]).
pub async fn toy_state(root: &Path, read_only: bool) -> AppState {
    write_toy_dataset(&root.join("datasets"));
    memlab_server::build_state(ServeOptions {
        data_dir: root.join("data"),
        datasets_dir: root.join("datasets"),
        static_dir: root.join("dist"),
        demo: None,
        read_only,
        admin_token: read_only.then(|| ADMIN_TOKEN.to_owned()),
        device: Device::flex(),
        device_name: "flex (CPU)".into(),
    })
    .await
    .expect("state")
}

/// Sends `request` through `app(state)` (no socket) and returns the status and body.
pub async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, body)
}

/// The job runner over `state` for as long as this guard lives (tests start it where jobs
/// must run, and stop it by dropping the guard).
pub struct Runner(tokio::task::JoinHandle<()>);

impl Runner {
    /// Starts every lane of the runner.
    pub fn start(state: &AppState) -> Self {
        Self(memlab_server::jobs::spawn_worker(state.clone()))
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.0.abort();
    }
}
