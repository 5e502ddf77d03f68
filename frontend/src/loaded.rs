//! A finished experiment's trained model, loaded into this page with the shared definition on
//! the page's engine; and the page's clock for latencies.

use memlab_shared::api::{Experiment, JobStatus};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::InputSpec;

use crate::api;
use crate::engine::{self, Engine};

/// A model ready to run in this page.
#[derive(Clone)]
pub struct Loaded {
    /// The experiment.
    pub experiment: Experiment,
    /// Its input size and normalization.
    pub input: InputSpec,
    /// The page's engine.
    pub engine: Engine,
    /// The trained model on the engine's device.
    pub model: Classifier,
}

/// Loads finished experiment `id`'s model on this page's engine (`prefer_cpu`: the wasm CPU).
pub async fn load(id: Option<i64>, prefer_cpu: bool) -> Result<Loaded, String> {
    let id = id.ok_or("the address names no experiment id")?;
    let experiment: Experiment = api::get_json(&format!("/api/experiments/{id}")).await?;
    if experiment.status != JobStatus::Done {
        return Err(format!(
            "experiment {id} is not trained yet ({:?})",
            experiment.status
        ));
    }
    let (Some(config), Some(input)) = (experiment.model.clone(), experiment.input.clone()) else {
        return Err("the experiment has no stored model".into());
    };
    let engine = engine::engine(prefer_cpu).await;
    let record = api::get_bytes(&format!("/api/experiments/{id}/weights")).await?;
    let model = engine::load_model(&config, record, &engine.device)?;
    Ok(Loaded {
        experiment,
        input,
        engine,
        model,
    })
}

/// Milliseconds on the page's monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |clock| clock.now())
}
