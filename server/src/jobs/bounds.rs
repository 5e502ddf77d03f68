//! Bound-panel jobs: a finished experiment's weights, initialization and data, the panel
//! (`memlab_science::bounds::panel`) with the settings its request asks for.

use memlab_science::bounds::panel::{self, PanelInput};
use memlab_science::bounds::settings;
use memlab_science::progress::Report;
use memlab_shared::api::Experiment;
use memlab_shared::bounds::{BoundPanel, BoundRequest};
use memlab_store::analyses::AnalysisKind;
use memlab_store::artifacts;

use super::analysis::{Analysis, Context, load_finished};

/// The bound panel.
pub struct Bounds;

impl Analysis for Bounds {
    type Request = BoundRequest;
    type Report = BoundPanel;

    fn kind(&self) -> AnalysisKind {
        AnalysisKind::Bounds
    }

    fn run(
        &self,
        ctx: &Context,
        experiment: &Experiment,
        request: &BoundRequest,
        progress: Report,
        _publish: &mut dyn FnMut(&BoundPanel),
    ) -> Result<BoundPanel, String> {
        let settings = settings::settings(request, experiment.config.seed)?;
        // The bounds are about the data the run trained on (randomized when it was).
        let run = load_finished(ctx, experiment)?;
        let initial = artifacts::load_initial(ctx.files, experiment.id, &run.card, ctx.device)
            .map_err(|error| error.to_string())?;
        let n_train = experiment
            .config
            .n_train
            .unwrap_or(run.dataset.train.len())
            .min(run.dataset.train.len());
        panel::compute(
            &PanelInput {
                dataset: &run.dataset,
                model: &run.model,
                initial: &initial,
                model_config: &run.card.model,
                run: &experiment.config,
                n_train,
                delta: settings.delta,
                pac_bayes: settings.pac_bayes,
                device: ctx.device,
                device_name: ctx.device_name,
            },
            progress,
        )
    }
}
