//! Invariance-probe jobs: a finished experiment probed under the classical transforms
//! (`memlab_science::probes`).

use memlab_science::probes;
use memlab_science::progress::Report;
use memlab_shared::api::Experiment;
use memlab_shared::probes::{ProbeReport, ProbeRequest};
use memlab_store::analyses::AnalysisKind;

use super::analysis::{Analysis, Context, load_finished};

/// The invariance probes.
pub struct Probes;

impl Analysis for Probes {
    type Request = ProbeRequest;
    type Report = ProbeReport;

    fn kind(&self) -> AnalysisKind {
        AnalysisKind::Probes
    }

    fn run(
        &self,
        ctx: &Context,
        experiment: &Experiment,
        request: &ProbeRequest,
        progress: Report,
        _publish: &mut dyn FnMut(&ProbeReport),
    ) -> Result<ProbeReport, String> {
        let run = load_finished(ctx, experiment)?;
        probes::analyse(&run, request, ctx.device, ctx.device_name, progress)
    }
}
