//! Lie-discovery jobs: load a finished experiment and find its invariant affine generators
//! (`memlab_science::lie`).

use std::path::Path;

use burn::prelude::Device;
use memlab_science::data::Catalog;
use memlab_science::lie;
use memlab_shared::api::Experiment;
use memlab_shared::lie::{LieReport, LieRequest};

use crate::analysis::{self, Report};
use crate::state::AppState;
use memlab_store::analyses::AnalysisKind;

/// Discovers the invariant generators of a finished experiment's model (blocking).
pub fn compute_for_experiment(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    request: &LieRequest,
    device: &Device,
    device_name: &str,
    progress: Report,
) -> Result<LieReport, String> {
    let run = analysis::load_finished(data_dir, catalog, experiment, device)?;
    lie::analyse(&run, request, device, device_name, progress)
}

/// Runs the queued discovery of `experiment` in the background.
pub fn spawn(state: AppState, experiment: Experiment, request: LieRequest) {
    analysis::spawn(
        state,
        experiment.id,
        AnalysisKind::Lie,
        move |state, progress| {
            compute_for_experiment(
                &state.data_dir,
                &state.catalog,
                &experiment,
                &request,
                &state.device,
                &state.device_name,
                progress,
            )
        },
    );
}
