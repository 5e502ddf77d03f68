//! Running one analysis of a finished run. Each kind implements [`Analysis`] in its own file;
//! [`execute`] runs one on the calling (blocking) thread with its progress, partial results
//! and outcome stored, for the runner ([`run_claimed`]) and the CLI alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::prelude::Device;
use memlab_science::data::Catalog;
use memlab_science::finished::Finished;
use memlab_science::progress::Report;
use memlab_shared::api::{Experiment, JobStatus};
use memlab_shared::symmetry::SymmetryMode;
use memlab_store as store;
use memlab_store::analyses::{AnalysisKind, Claimed};
use memlab_store::artifacts;
use memlab_store::{Files, SqlitePool};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::runtime::Handle;

use super::{bounds, lie, probes, symmetry};
use crate::state::AppState;

/// What an analysis reads besides its run: the data folder, the data sets, the device.
pub struct Context<'a> {
    /// The file store.
    pub files: &'a dyn Files,
    /// The data sets.
    pub catalog: &'a Catalog,
    /// The device it computes on.
    pub device: &'a Device,
    /// Its name, for reports.
    pub device_name: &'a str,
    /// Set when the server stops: from then on nothing is stored (the row, left running, is
    /// queued again at the next start), so a runtime that is shutting down is not called.
    pub stopping: Option<&'a AtomicBool>,
}

impl Context<'_> {
    fn is_stopping(&self) -> bool {
        self.stopping
            .is_some_and(|stopping| stopping.load(Ordering::SeqCst))
    }
}

impl<'a> Context<'a> {
    /// The server's.
    pub fn of(state: &'a AppState) -> Self {
        Self {
            files: state.files.as_ref(),
            catalog: &state.catalog,
            device: &state.device,
            device_name: &state.device_name,
            stopping: Some(&state.stopping),
        }
    }
}

/// One kind of analysis of a finished run.
pub trait Analysis {
    /// What a request names (stored with the row; validated when it was queued).
    type Request: Serialize + DeserializeOwned;
    /// What it computes (stored as the row's result, partial results too).
    type Report: Serialize;

    /// The kind it is stored as.
    fn kind(&self) -> AnalysisKind;

    /// Computes it (blocking), reporting progress and, when it has them, results so far.
    fn run(
        &self,
        ctx: &Context,
        experiment: &Experiment,
        request: &Self::Request,
        progress: Report,
        publish: &mut dyn FnMut(&Self::Report),
    ) -> Result<Self::Report, String>;
}

/// Loads a finished experiment's data (randomized as its run was) and model, or says why it
/// cannot be analysed.
pub fn load_finished(ctx: &Context, experiment: &Experiment) -> Result<Finished, String> {
    if experiment.status != JobStatus::Done {
        return Err(format!(
            "experiment {} has not finished training",
            experiment.id
        ));
    }
    let dataset = ctx
        .catalog
        .get(&experiment.config.dataset)
        .map_err(|error| error.to_string())?;
    let dataset = match memlab_science::data::randomize::for_run(&dataset, &experiment.config) {
        std::borrow::Cow::Owned(copy) => Arc::new(copy),
        std::borrow::Cow::Borrowed(_) => dataset.clone(),
    };
    let (card, model) =
        artifacts::load(ctx.files, experiment.id, ctx.device).map_err(|error| error.to_string())?;
    Ok(Finished {
        dataset,
        card,
        model,
    })
}

/// Runs `analysis` of `experiment` on this thread, which must be allowed to block: progress
/// stored at most four times a second (and handed to `observe`), partial results as they come,
/// then the result or the error.
#[allow(clippy::too_many_arguments)]
pub fn execute<A: Analysis>(
    ctx: &Context,
    runtime: &Handle,
    pool: &SqlitePool,
    experiment: &Experiment,
    analysis: &A,
    request: &A::Request,
    observe: &mut dyn FnMut(f64, &str),
) -> Result<A::Report, String> {
    let (id, kind) = (experiment.id, analysis.kind());
    let mut last = Instant::now();
    let mut progress = |fraction: f64, stage: &str| {
        observe(fraction, stage);
        if ctx.is_stopping() {
            return;
        }
        if last.elapsed().as_secs_f64() >= 0.25 || fraction == 0.0 {
            last = Instant::now();
            let update = store::analyses::set_progress(pool, id, kind, fraction, stage);
            if let Err(error) = runtime.block_on(update) {
                tracing::warn!(id, %error, kind = kind.as_str(), "could not store progress");
            }
        }
    };
    let mut publish = |report: &A::Report| {
        if ctx.is_stopping() {
            return;
        }
        let update = store::analyses::set_partial(pool, id, kind, report);
        if let Err(error) = runtime.block_on(update) {
            tracing::warn!(id, %error, kind = kind.as_str(), "could not store the partial report");
        }
    };
    let outcome = analysis.run(ctx, experiment, request, &mut progress, &mut publish);
    if ctx.is_stopping() {
        tracing::info!(
            id,
            kind = kind.as_str(),
            "the server stopped: the analysis is left queued"
        );
        return outcome;
    }
    let stored = match &outcome {
        Ok(result) => runtime.block_on(store::analyses::set_done(pool, id, kind, result)),
        Err(message) => runtime.block_on(store::analyses::set_failed(pool, id, kind, message)),
    };
    let kind = kind.as_str();
    match (&outcome, stored) {
        (Ok(_), Ok(())) => tracing::info!(id, kind, "analysis done"),
        (Err(message), Ok(())) => tracing::warn!(id, kind, %message, "analysis failed"),
        (_, Err(error)) => tracing::error!(id, kind, %error, "could not store the analysis"),
    }
    outcome
}

/// Runs a claimed analysis on a blocking thread; a crash, or a row that cannot be run, is
/// stored as the analysis's failure.
pub async fn run_claimed(state: &AppState, claimed: Claimed) {
    let Claimed {
        experiment_id: id,
        kind,
        request,
    } = claimed;
    let worker = state.clone();
    let runtime = Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let experiment = runtime
            .block_on(store::experiments::get(&worker.pool, id))
            .map_err(|error| error.to_string())?
            .ok_or_else(|| format!("experiment {id} is gone"))?;
        dispatch(&worker, &runtime, &experiment, kind, &request)
    });
    let failure = match task.await {
        Ok(Ok(())) => return,
        // Stopped with the server: left to be queued again at the next start.
        _ if state.is_stopping() => return,
        Ok(Err(message)) => message,
        Err(error) => format!("the {} crashed: {error}", kind.label()),
    };
    tracing::warn!(id, kind = kind.as_str(), %failure, "analysis failed");
    if let Err(error) = store::analyses::set_failed(&state.pool, id, kind, &failure).await {
        tracing::error!(id, %error, "could not store the failure");
    }
}

/// Runs the `kind` analysis the stored `request` asks for. `Err` only when it could not be
/// started (its own failures are stored by [`execute`]).
fn dispatch(
    state: &AppState,
    runtime: &Handle,
    experiment: &Experiment,
    kind: AnalysisKind,
    request: &str,
) -> Result<(), String> {
    match kind {
        AnalysisKind::Bounds => stored(state, runtime, experiment, &bounds::Bounds, request),
        AnalysisKind::Probes => stored(state, runtime, experiment, &probes::Probes, request),
        AnalysisKind::Lie => stored(state, runtime, experiment, &lie::Lie, request),
        AnalysisKind::SymmetryFromPhi => stored(
            state,
            runtime,
            experiment,
            &symmetry::Symmetry(SymmetryMode::FromPhi),
            request,
        ),
        AnalysisKind::SymmetryFromLabels => stored(
            state,
            runtime,
            experiment,
            &symmetry::Symmetry(SymmetryMode::FromLabels),
            request,
        ),
    }
}

fn stored<A: Analysis>(
    state: &AppState,
    runtime: &Handle,
    experiment: &Experiment,
    analysis: &A,
    request: &str,
) -> Result<(), String> {
    let request: A::Request = serde_json::from_str(request)
        .map_err(|error| format!("the stored request does not decode: {error}"))?;
    let ctx = Context::of(state);
    let _ = execute(
        &ctx,
        runtime,
        &state.pool,
        experiment,
        analysis,
        &request,
        &mut |_, _| {},
    );
    Ok(())
}
