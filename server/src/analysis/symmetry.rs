//! Learned-symmetry jobs: load a finished experiment, train L_θ in one mode
//! (`memlab_science::symmetry`), keep its weights next to the model's and its report so far in
//! the store as it trains.

use std::path::Path;

use burn::prelude::Device;
use memlab_science::data::Catalog;
use memlab_science::symmetry::{self, SymmetryInput};
use memlab_science::weights;
use memlab_shared::api::Experiment;
use memlab_shared::symmetry::{SymmetryMode, SymmetryReport, SymmetryRequest};

use crate::analysis::{self, Report};
use crate::state::AppState;
use memlab_store::analyses::AnalysisKind;
use memlab_store::oracles::OracleCache;
use memlab_store::{self as store, artifacts};

/// The analysis kind storing the transform learned in `mode`.
pub fn kind(mode: SymmetryMode) -> AnalysisKind {
    match mode {
        SymmetryMode::FromPhi => AnalysisKind::SymmetryFromPhi,
        SymmetryMode::FromLabels => AnalysisKind::SymmetryFromLabels,
    }
}

/// Trains the `mode` transform of a finished experiment and keeps its weights (blocking).
#[allow(clippy::too_many_arguments)]
pub fn compute_for_experiment(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    mode: SymmetryMode,
    request: &SymmetryRequest,
    device: &Device,
    device_name: &str,
    progress: Report,
    publish: &mut dyn FnMut(&SymmetryReport),
) -> Result<SymmetryReport, String> {
    let settings = symmetry::settings(request)?;
    let run = analysis::load_finished(data_dir, catalog, experiment, device)?;
    let oracles = OracleCache { data_dir };
    let input = SymmetryInput {
        dataset: &run.dataset,
        ground_truth: symmetry::ground_truth(&experiment.config),
        model: &run.model,
        mode,
        settings: &settings,
        oracles: &oracles,
        device,
        device_name,
        label_model: None,
    };
    let (report, transform) = symmetry::train(&input, progress, publish)?;
    let path = artifacts::symmetry_path(data_dir, experiment.id, mode.as_str());
    let bytes = weights::record_bytes(&transform).map_err(|error| error.to_string())?;
    std::fs::write(&path, bytes)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(report)
}

/// Runs the queued `mode` job of `experiment` in the background, storing the report so far
/// as it trains.
pub fn spawn(
    state: AppState,
    experiment: Experiment,
    mode: SymmetryMode,
    request: SymmetryRequest,
) {
    let kind = kind(mode);
    analysis::spawn(state, experiment.id, kind, move |state, progress| {
        let runtime = tokio::runtime::Handle::current();
        let mut publish = |report: &SymmetryReport| {
            let update = store::analyses::set_partial(&state.pool, experiment.id, kind, report);
            if let Err(error) = runtime.block_on(update) {
                tracing::warn!(%error, "could not store the partial report");
            }
        };
        compute_for_experiment(
            &state.data_dir,
            &state.catalog,
            &experiment,
            mode,
            &request,
            &state.device,
            &state.device_name,
            progress,
            &mut publish,
        )
    });
}
