//! Learned-symmetry jobs: L_θ of a finished experiment trained in one mode
//! (`memlab_science::symmetry`), its report published as it trains and its weights kept next
//! to the model's.

use memlab_science::progress::Report;
use memlab_science::symmetry::{self, SymmetryInput};
use memlab_science::weights;
use memlab_shared::api::Experiment;
use memlab_shared::symmetry::{SymmetryMode, SymmetryReport, SymmetryRequest};
use memlab_store::analyses::AnalysisKind;
use memlab_store::artifacts;
use memlab_store::oracles::OracleCache;

use super::analysis::{Analysis, Context, load_finished};

/// A learned symmetry that keeps what its mode names.
pub struct Symmetry(pub SymmetryMode);

/// The analysis kind storing the transform learned in `mode`.
pub fn kind(mode: SymmetryMode) -> AnalysisKind {
    match mode {
        SymmetryMode::FromPhi => AnalysisKind::SymmetryFromPhi,
        SymmetryMode::FromLabels => AnalysisKind::SymmetryFromLabels,
    }
}

impl Analysis for Symmetry {
    type Request = SymmetryRequest;
    type Report = SymmetryReport;

    fn kind(&self) -> AnalysisKind {
        kind(self.0)
    }

    fn run(
        &self,
        ctx: &Context,
        experiment: &Experiment,
        request: &SymmetryRequest,
        progress: Report,
        publish: &mut dyn FnMut(&SymmetryReport),
    ) -> Result<SymmetryReport, String> {
        let mode = self.0;
        let settings = symmetry::settings(request)?;
        let run = load_finished(ctx, experiment)?;
        let oracles = OracleCache { files: ctx.files };
        let input = SymmetryInput {
            dataset: &run.dataset,
            ground_truth: symmetry::ground_truth(&experiment.config),
            model: &run.model,
            mode,
            settings: &settings,
            oracles: &oracles,
            device: ctx.device,
            device_name: ctx.device_name,
            label_model: None,
        };
        let (report, transform) = symmetry::train(&input, progress, publish)?;
        let record = weights::record_bytes(&transform).map_err(|error| error.to_string())?;
        artifacts::save_symmetry(ctx.files, experiment.id, mode.as_str(), &record)
            .map_err(|error| error.to_string())?;
        Ok(report)
    }
}
