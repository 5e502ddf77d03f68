//! Helpers for the end-to-end tests: start the real `memlab` server on `127.0.0.1:0`, wait for
//! training, and find the data sets and the built frontend.
//!
//! `src/lib.rs` starts the real server on `127.0.0.1:0`; `src/browser.rs` starts ChromeDriver and
//! headless Chromium sessions with WebGPU; `tests/browser/` drives Debian's Chromium through
//! ChromeDriver (fantoccini, with `--enable-unsafe-webgpu`) in independent scenarios, each on
//! its own server and data folder (its `main.rs` lists them). `src/bin/memlab-load.rs` is the
//! load generator `bench/load.sh` runs;
//! `src/bin/memlab-browser-bench.rs` trains the demo in-process and reads the benchmark page on
//! WebGPU and on the CPU fallback (`bench/browser_latency.sh`). The server
//! crate's `tests/bad_input.rs` sends 70 malformed requests over a real socket (each route's
//! ways of being wrong: syntax, types, ranges, unknown ids and fields, oversized bodies, bogus
//! and bomb images, path traversal) and checks each 4xx JSON answer and the server's health after
//! it; `tests/durability.rs` kills the real binary. Screenshots land in
//! `$CARGO_TARGET_DIR/tmp/*.png`. The server crate's own `tests/` use `app(state)` with `oneshot`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use burn::prelude::Device;
use memlab_server::ServeOptions;
use memlab_server::demo::DemoSettings;
use memlab_shared::api::{Experiment, JobStatus};
use tokio::sync::oneshot;

pub mod browser;

/// A running server and what it needs to be stopped.
pub struct TestApp {
    /// Where it listens.
    pub address: SocketAddr,
    /// `http://127.0.0.1:port`.
    pub base_url: String,
    /// The data folder it uses.
    pub data_dir: PathBuf,
    /// An HTTP client for it.
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The data sets folder `cargo xtask setup` fills.
pub fn datasets_dir() -> PathBuf {
    memlab_science::data::default_dir()
}

/// The built frontend (`cargo xtask build-web` writes `dist/` at the workspace root).
pub fn dist_dir() -> PathBuf {
    std::env::var_os("MEMLAB_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"))
}

/// The default demos without their symmetry search (minutes of CPU a test does not wait for).
pub fn test_demo() -> DemoSettings {
    DemoSettings {
        symmetry: false,
        ..DemoSettings::default()
    }
}

/// Options for a test server on `data_dir` with the real data sets and frontend.
pub fn options(data_dir: PathBuf, demo: Option<DemoSettings>) -> ServeOptions {
    ServeOptions {
        data_dir,
        datasets_dir: datasets_dir(),
        static_dir: dist_dir(),
        demo,
        read_only: false,
        admin_token: None,
        device: Device::flex(),
        device_name: "flex (CPU)".into(),
    }
}

impl TestApp {
    /// Starts the server on a free port.
    pub async fn spawn(options: ServeOptions) -> anyhow::Result<Self> {
        let data_dir = options.data_dir.clone();
        let state = memlab_server::build_state(options).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (sender, receiver) = oneshot::channel::<()>();
        let task = tokio::spawn(memlab_server::run(listener, state, async move {
            let _ = receiver.await;
        }));
        Ok(Self {
            address,
            base_url: format!("http://{address}"),
            data_dir,
            client: reqwest::Client::new(),
            shutdown: Some(sender),
            task: Some(task),
        })
    }

    /// The server on an empty `data_dir` with the default demos queued (they train at once;
    /// the symmetry search the demo adds is left out: tests that want one start it).
    pub async fn with_demos(data_dir: &std::path::Path) -> anyhow::Result<Self> {
        Self::spawn(options(data_dir.to_owned(), Some(test_demo()))).await
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GETs JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let response = self.client.get(self.url(path)).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("GET {path}: {text}"))
    }

    /// Polls experiment `id` until it is done (or fails, or `limit` passes).
    pub async fn wait_done(&self, id: i64, limit: Duration) -> anyhow::Result<Experiment> {
        let started = Instant::now();
        loop {
            let experiment: Experiment = self.get_json(&format!("/api/experiments/{id}")).await?;
            match experiment.status {
                JobStatus::Done => return Ok(experiment),
                JobStatus::Failed | JobStatus::Interrupted => bail!(
                    "experiment {id} ended as {:?}: {:?}",
                    experiment.status,
                    experiment.error
                ),
                _ if started.elapsed() > limit => bail!("experiment {id} not done after {limit:?}"),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}
