//! The shared application state handed to every handler and to the job worker.

use std::path::PathBuf;
use std::sync::Arc;

use burn::prelude::Device;
use memlab_store::SqlitePool;

use crate::hub::Hub;
use crate::inference::ModelCache;
use memlab_science::data::Catalog;

/// Cheap to clone: everything sits behind one `Arc`.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// The parts of [`AppState`].
pub struct Inner {
    /// The SQLite store.
    pub pool: SqlitePool,
    /// Data sets on disk.
    pub catalog: Catalog,
    /// The file store (weights, checkpoints, oracles, published images).
    pub files: Box<dyn memlab_store::Files>,
    /// Where the built frontend is served from.
    pub static_dir: PathBuf,
    /// The device training and server-side inference run on (chosen in `main`).
    pub device: Device,
    /// A human name for `device`.
    pub device_name: String,
    /// Live progress of running jobs.
    pub hub: Hub,
    /// Wakes the job runner's lanes when work is queued.
    pub wake: crate::wake::Wake,
    /// Trained models kept in memory for `/predict`.
    pub models: ModelCache,
    /// Public demo: writes need the admin token (`admin.rs`).
    pub read_only: bool,
    /// Whether the LeNet demo's learned symmetry is queued once it has trained.
    pub demo_symmetry: bool,
    /// The admin bearer token of a public server.
    pub admin_token: Option<String>,
    /// Set when the server shuts down: training checkpoints after its current step and stops.
    pub stopping: std::sync::atomic::AtomicBool,
    /// Uploads in flight per client address.
    pub uploads: crate::gate::UploadGate,
    /// Images published for share links, per client address.
    pub publishing: crate::quota::PublishQuota,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Whether the server is shutting down.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Starts shutting down: the worker takes no new run, and the one training stops after its
    /// current step with a checkpoint.
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.stop();
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}
