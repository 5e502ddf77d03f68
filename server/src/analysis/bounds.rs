//! Bound-panel jobs: load a finished experiment's weights, initialization and data, compute the
//! panel (`memlab_science::bounds::panel`) as a background analysis.

use std::path::Path;

use burn::prelude::Device;
use memlab_science::bounds::panel::{self, PanelInput};
use memlab_science::bounds::settings::JobSettings;
use memlab_science::data::Catalog;
use memlab_shared::api::Experiment;
use memlab_shared::bounds::BoundPanel;

use crate::analysis;
use crate::state::AppState;
use memlab_store::analyses::AnalysisKind;
use memlab_store::artifacts;

/// Computes the panel of a finished experiment (blocking).
pub fn compute_for_experiment(
    data_dir: &Path,
    catalog: &Catalog,
    experiment: &Experiment,
    settings: JobSettings,
    device: &Device,
    device_name: &str,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<BoundPanel, String> {
    // The bounds are about the data the run trained on (randomized when it was).
    let analysis::Finished {
        dataset,
        card,
        model,
    } = analysis::load_finished(data_dir, catalog, experiment, device)?;
    let initial = artifacts::load_initial(data_dir, experiment.id, &card, device)
        .map_err(|error| error.to_string())?;
    let n_train = experiment
        .config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    panel::compute(
        &PanelInput {
            dataset: &dataset,
            model: &model,
            initial: &initial,
            model_config: &card.model,
            run: &experiment.config,
            n_train,
            delta: settings.delta,
            pac_bayes: settings.pac_bayes,
            device,
            device_name,
        },
        progress,
    )
}

/// Runs the queued bound job of `experiment` in the background.
pub fn spawn(state: AppState, experiment: Experiment, settings: JobSettings) {
    analysis::spawn(
        state,
        experiment.id,
        AnalysisKind::Bounds,
        move |state, progress| {
            compute_for_experiment(
                &state.data_dir,
                &state.catalog,
                &experiment,
                settings,
                &state.device,
                &state.device_name,
                progress,
            )
        },
    );
}
