//! The hosted-demo defaults: on first start with an empty store, queue LeNet and an MLP on
//! MNIST; when each finishes, its bound panel and invariance probe are computed, and LeNet's
//! learned symmetry is searched for (so a read-only demo shows them).

use memlab_shared::api::{Experiment, ExperimentConfig, JobStatus, ModelKind, OptimizerKind};
use memlab_shared::bounds::BoundRequest;
use memlab_shared::probes::{ProbeReport, ProbeRequest};
use memlab_shared::symmetry::{SymmetryReport, SymmetryRequest, SymmetrySearch};
use memlab_store::SqlitePool;

use crate::state::AppState;
use memlab_store::analyses::AnalysisKind;
use memlab_store::{self as store, DbError};

/// Settings of the demo run (the CLI can shrink it, e.g. for tests).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSettings {
    /// Training examples (all 60 000 by default).
    pub n_train: Option<usize>,
    /// Epochs.
    pub epochs: usize,
    /// Whether the LeNet demo's learned symmetry (from Φ, the latent-reflection search with
    /// congealing) is learned once it has trained: what the symmetry section and the studio's
    /// orbit show on a read-only demo. Minutes of CPU; tests leave it out.
    pub symmetry: bool,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            n_train: None,
            epochs: 2,
            symmetry: true,
        }
    }
}

/// The demo experiment's configuration (LeNet, the one the probe page opens on).
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
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    }
}

/// The second demo: a fully connected network trained by plain SGD (so it stays near its
/// initialization), which every bound of the panel applies to.
pub fn mlp_demo_config(settings: &DemoSettings) -> ExperimentConfig {
    ExperimentConfig {
        name: Some("Demo: MLP on MNIST (SGD)".into()),
        model: ModelKind::Mlp,
        epochs: 5,
        learning_rate: 0.05,
        optimizer: OptimizerKind::Sgd,
        ..demo_config(settings)
    }
}

/// Queues each demo unless it exists already; a demo that failed or was interrupted (say, the
/// data sets were missing, or the server stopped mid-run) is queued again. Returns their ids,
/// LeNet first.
pub async fn ensure_demos(pool: &SqlitePool, settings: &DemoSettings) -> Result<Vec<i64>, DbError> {
    let mut ids = Vec::new();
    for config in [demo_config(settings), mlp_demo_config(settings)] {
        let name = config.name.clone().unwrap_or_default();
        let id = match store::experiments::demo_id(pool, &name).await? {
            Some(id) => {
                store::experiments::requeue_unfinished(pool, id).await?;
                id
            }
            None => {
                store::experiments::insert(pool, &name, &config, JobStatus::Queued, true).await?
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// At start-up: a demo that finished training but whose bound panel or probe is missing or was
/// interrupted gets it computed (a read-only demo cannot ask for it).
pub async fn resume_demo_panels(state: &AppState) -> Result<(), DbError> {
    for id in store::experiments::demo_ids(&state.pool).await? {
        if let Some(experiment) = store::experiments::get(&state.pool, id).await?
            && experiment.status == JobStatus::Done
        {
            queue_analyses(state, experiment, true).await?;
        }
    }
    Ok(())
}

/// Queues what the hosted demo shows for a finished demo run: its bound panel, its invariance
/// probe and (LeNet, where the server was asked to) its learned symmetry (every kind, or with
/// `only_missing` those never computed or interrupted).
pub async fn queue_analyses(
    state: &AppState,
    experiment: Experiment,
    only_missing: bool,
) -> Result<(), DbError> {
    let id = experiment.id;
    let wanted = |status: Option<JobStatus>| {
        !only_missing || status.is_none_or(|status| status == JobStatus::Interrupted)
    };
    let bounds = store::analyses::bound_job(&state.pool, id)
        .await?
        .map(|job| job.status);
    let request = BoundRequest::default();
    if wanted(bounds)
        && store::analyses::queue(&state.pool, id, AnalysisKind::Bounds, &request).await?
    {
        state.wake.all();
    }
    let probes =
        store::analyses::get::<ProbeRequest, ProbeReport>(&state.pool, id, AnalysisKind::Probes)
            .await?
            .map(|job| job.status);
    let request = ProbeRequest::default();
    if wanted(probes)
        && store::analyses::queue(&state.pool, id, AnalysisKind::Probes, &request).await?
    {
        state.wake.all();
    }
    if state.demo_symmetry && experiment.config.model == ModelKind::Lenet {
        let kind = AnalysisKind::SymmetryFromPhi;
        let symmetry =
            store::analyses::get::<SymmetryRequest, SymmetryReport>(&state.pool, id, kind)
                .await?
                .map(|job| job.status);
        if wanted(symmetry)
            && store::analyses::queue(&state.pool, id, kind, &demo_symmetry()).await?
        {
            state.wake.all();
        }
    }
    Ok(())
}

/// The demo's learned symmetry: kept from Φ, found by the latent-reflection search (congealing
/// and the autoencoder's reflections, the splitter's flip term), the game's other settings at
/// their defaults.
pub fn demo_symmetry() -> SymmetryRequest {
    SymmetryRequest {
        search: Some(SymmetrySearch::Reflection),
        flip_weight: Some(1.0),
        ..SymmetryRequest::default()
    }
}
