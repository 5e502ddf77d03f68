//! Lie-discovery jobs: the affine generators a finished experiment's model is invariant to
//! (`memlab_science::lie`).

use memlab_science::lie;
use memlab_science::progress::Report;
use memlab_shared::api::Experiment;
use memlab_shared::lie::{LieReport, LieRequest};
use memlab_store::analyses::AnalysisKind;

use super::analysis::{Analysis, Context, load_finished};

/// Lie-generator discovery.
pub struct Lie;

impl Analysis for Lie {
    type Request = LieRequest;
    type Report = LieReport;

    fn kind(&self) -> AnalysisKind {
        AnalysisKind::Lie
    }

    fn run(
        &self,
        ctx: &Context,
        experiment: &Experiment,
        request: &LieRequest,
        progress: Report,
        _publish: &mut dyn FnMut(&LieReport),
    ) -> Result<LieReport, String> {
        let run = load_finished(ctx, experiment)?;
        lie::analyse(&run, request, ctx.device, ctx.device_name, progress)
    }
}
