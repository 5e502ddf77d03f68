//! The hosted-demo default: on first start with an empty store, queue LeNet on MNIST.

use memlab_shared::api::{ExperimentConfig, JobStatus, ModelKind, OptimizerKind};
use sqlx::SqlitePool;

use crate::db::{self, DbError};

/// Settings of the demo run (the CLI can shrink it, e.g. for tests).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSettings {
    /// Training examples (all 60 000 by default).
    pub n_train: Option<usize>,
    /// Epochs.
    pub epochs: usize,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            n_train: None,
            epochs: 2,
        }
    }
}

/// The demo experiment's configuration.
pub fn demo_config(settings: &DemoSettings) -> ExperimentConfig {
    ExperimentConfig {
        name: Some("Demo: LeNet on MNIST".into()),
        dataset: "mnist".into(),
        model: ModelKind::Lenet,
        n_train: settings.n_train,
        epochs: settings.epochs,
        seed: 42,
        learning_rate: 2e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
    }
}

/// Queues the demo unless one exists already; a demo that failed or was interrupted (say, the
/// data sets were missing, or the server stopped mid-run) is queued again. Returns its id.
pub async fn ensure_demo(pool: &SqlitePool, settings: &DemoSettings) -> Result<i64, DbError> {
    if let Some(id) = db::demo_id(pool).await? {
        db::requeue_unfinished(pool, id).await?;
        return Ok(id);
    }
    let config = demo_config(settings);
    let name = config.name.clone().unwrap_or_default();
    db::insert(pool, &name, &config, JobStatus::Queued, true).await
}
