//! Invariance-probe jobs: load a finished experiment and probe it
//! (`memlab_science::probes`).

use std::path::Path;

use burn::prelude::Device;
use memlab_science::data::Catalog;
use memlab_science::probes;
use memlab_shared::api::Experiment;
use memlab_shared::probes::{ProbeReport, ProbeRequest};

use crate::analysis::{self, Report};
use crate::state::AppState;
use memlab_store::analyses::AnalysisKind;

/// Probes a finished experiment's model on a seeded subset of its test split (blocking).
pub fn compute_for_experiment(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    request: &ProbeRequest,
    device: &Device,
    device_name: &str,
    progress: Report,
) -> Result<ProbeReport, String> {
    let run = analysis::load_finished(data_dir, catalog, experiment, device)?;
    probes::analyse(&run, request, device, device_name, progress)
}

/// Runs the queued probe job of `experiment` in the background (`request` was validated by
/// [`probes::settings`] when it was queued).
pub fn spawn(state: AppState, experiment: Experiment, request: ProbeRequest) {
    analysis::spawn(
        state,
        experiment.id,
        AnalysisKind::Probes,
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
