//! memlab's server: the HTTP API and the job runner that calls the science crate and keeps
//! what it returns in the store; the `memlab` CLI runs the same jobs.
//!
//! - [`app`]: `app(state) -> Router`, the HTTP surface; handlers in [`routes`].
//! - [`error`], [`extract`]: the one `AppError` and extractors that produce it.
//! - [`state`]: what handlers share; [`hub`]: live progress per running job; [`gate`],
//!   [`quota`], [`admin`]: what a public server refuses.
//! - [`jobs`]: the one job system (training and every analysis, one file per kind, run by one
//!   runner, woken through [`wake`]); [`studies`]: grids of runs; [`demo`]: the hosted demo's default experiment;
//!   [`replications`]: published claims read from this server's runs, [`replicate`]: the runs
//!   they need.
//! - [`queue`]: a run or study validated on its data set and stored queued;
//!   [`inference`]: server-side prediction; [`allocator`]: the binary's allocator settings.
//!
//! **Architecture Invariant:** the computations live in `memlab_science` and what is kept in
//! `memlab_store`; this crate loads the computations' inputs, runs them as jobs and stores
//! what they return. It never names a backend: the binary (`main.rs`) chooses the device once
//! and passes it in.

pub mod admin;
pub mod allocator;
pub mod app;
pub mod demo;
pub mod error;
pub mod extract;
pub mod gate;
pub mod hub;
pub mod inference;
pub mod jobs;
pub mod queue;
pub mod quota;
pub mod replicate;
pub mod replications;
pub mod routes;
pub mod state;
pub mod studies;
pub mod wake;

use std::future::Future;
use std::path::PathBuf;

use burn::prelude::Device;
use tokio::net::TcpListener;

use crate::demo::DemoSettings;
use crate::state::{AppState, Inner};
use memlab_science::data::Catalog;
use memlab_store as store;

/// Everything `memlab serve` is configured with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where `memlab.sqlite` and the experiments' artifacts live (created if missing).
    pub data_dir: PathBuf,
    /// Where data sets are read from.
    pub datasets_dir: PathBuf,
    /// The built frontend (Trunk's `dist`).
    pub static_dir: PathBuf,
    /// Queue the demo experiment on an empty store (`None`: never).
    pub demo: Option<DemoSettings>,
    /// Public demo: refuse every request that starts work or writes, unless it carries
    /// `admin_token`.
    pub read_only: bool,
    /// The bearer token that lets an admin write to a read-only server.
    pub admin_token: Option<String>,
    /// Training and inference device.
    pub device: Device,
    /// A human name for `device`.
    pub device_name: String,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data folder could not be created.
    #[error("cannot create data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] store::DbError),
}

/// Opens the store, marks runs interrupted by a previous stop, queues the demo if asked.
pub async fn build_state(options: ServeOptions) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&options.data_dir).map_err(|source| StartError::DataDir {
        path: options.data_dir.clone(),
        source,
    })?;
    let pool = store::connect(&options.data_dir).await?;
    let files = store::LocalDir::new(&options.data_dir);
    let interrupted = store::experiments::mark_interrupted(&pool).await?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "runs were interrupted by the last stop");
    }
    // Runs stopped mid-training go on from their last checkpoint; one stopped before its first
    // epoch ended stays interrupted (`POST /api/experiments/{id}/resume` starts it again).
    for id in store::experiments::interrupted_ids(&pool).await? {
        if store::checkpoint::load(&files, id).is_some()
            && store::experiments::requeue_unfinished(&pool, id).await?
        {
            tracing::info!(
                id,
                "an interrupted run is queued to go on from its checkpoint"
            );
        }
    }
    let analyses = store::analyses::requeue_unfinished(&pool).await?
        + store::dataset_jobs::requeue_unfinished(&pool).await?;
    if analyses > 0 {
        tracing::info!(
            analyses,
            "analyses stopped by the last stop are queued again"
        );
    }
    if let Some(settings) = &options.demo {
        let ids = demo::ensure_demos(&pool, settings).await?;
        tracing::info!(?ids, "demo experiments");
    }
    Ok(AppState::new(Inner {
        pool,
        catalog: Catalog::new(options.datasets_dir),
        files: Box::new(files),
        static_dir: options.static_dir,
        device: options.device,
        device_name: options.device_name,
        hub: hub::Hub::default(),
        wake: Default::default(),
        models: inference::ModelCache::default(),
        read_only: options.read_only,
        demo_symmetry: options.demo.as_ref().is_some_and(|demo| demo.symmetry),
        admin_token: options.admin_token,
        stopping: Default::default(),
        uploads: Default::default(),
        publishing: Default::default(),
    }))
}

/// How long shutting down waits for the run in training to checkpoint and stop.
const STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Serves `state` on `listener`, with the training worker, until `shutdown` completes; then
/// the run in training checkpoints after its current step and stops (it goes on from there at
/// the next start).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let worker = jobs::spawn_worker(state.clone());
    if let Err(error) = demo::resume_demo_panels(&state).await {
        tracing::error!(%error, "could not resume the demos' bound panels");
    }
    let stopping = state.clone();
    let service = app::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Training stops first: its end closes the event streams the server waits for.
            stopping.stop();
        })
        .await;
    // The worker returns once the run it trains has checkpointed and stopped.
    if tokio::time::timeout(STOP_TIMEOUT, worker).await.is_err() {
        tracing::warn!(
            "training did not stop in time; it goes on from its last epoch's checkpoint"
        );
    }
    result
}
