//! Fuzz target: every JSON body the API accepts, on arbitrary bytes: parsing, then the same
//! validation the routes run (run configs against a small generated data set). Never a panic;
//! whatever validation accepts lies within `memlab_shared::limits`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use memlab_science::data::Dataset;
use memlab_shared::api::ExperimentConfig;
use memlab_shared::bounds::BoundRequest;
use memlab_shared::glasses::GlassesConfig;
use memlab_shared::lie::LieRequest;
use memlab_shared::limits;
use memlab_shared::probes::ProbeRequest;
use memlab_shared::studies::StudyRequest;
use memlab_shared::symmetry::SymmetryRequest;

fn dataset() -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| {
        memlab_science::data::glasses::dataset(&GlassesConfig {
            identities: 4,
            size: 16,
            train_per_identity: 5,
            test_per_identity: 2,
            ..Default::default()
        })
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = serde_json::from_slice::<ExperimentConfig>(data)
        && memlab_science::training::validate(&config, dataset()).is_ok()
    {
        assert!(limits::EPOCHS.check(config.epochs).is_ok());
        assert!(limits::LEARNING_RATE.check(config.learning_rate).is_ok());
    }
    if let Ok(request) = serde_json::from_slice::<SymmetryRequest>(data)
        && let Ok(settings) = memlab_science::symmetry::settings(&request)
    {
        assert!(
            limits::SYMMETRY_STEPS
                .check(settings.steps.unwrap_or(0))
                .is_ok()
        );
    }
    if let Ok(request) = serde_json::from_slice::<ProbeRequest>(data)
        && let Ok(settings) = memlab_science::probes::settings(&request, 28)
    {
        let points: usize = settings.sweeps.iter().map(|sweep| sweep.points).sum();
        assert!(points <= limits::MAX_PROBE_POINTS);
    }
    if let Ok(request) = serde_json::from_slice::<BoundRequest>(data)
        && let Ok(settings) = memlab_science::bounds::settings::settings(&request, 0)
    {
        assert!(limits::DELTA.check(settings.delta).is_ok());
    }
    if let Ok(request) = serde_json::from_slice::<LieRequest>(data) {
        let _ = memlab_science::lie::settings(&request);
    }
    if let Ok(request) = serde_json::from_slice::<StudyRequest>(data) {
        let _ = serde_json::to_vec(&request);
    }
});
