//! What a bound-panel request asks for, with the defaults filled in and the limits checked.

use memlab_shared::bounds::{BoundRequest, PacBayesPrior};
use memlab_shared::limits;

use crate::bounds::posterior::PacBayesSettings;

/// δ when the request names none.
pub const DEFAULT_DELTA: f64 = 0.05;

/// The δ a request asks for, or why it is refused.
pub fn delta(request: &BoundRequest) -> Result<f64, String> {
    limits::DELTA.check(request.delta.unwrap_or(DEFAULT_DELTA))
}

/// The share of the requested δ the Monte-Carlo step of the optimized PAC-Bayes certificate
/// takes: δ′ = δ/5 (0.01 of the default 0.05), the PAC-Bayes step the rest, so that the
/// certificate holds with probability ≥ 1 − δ as the panel states.
pub const MONTE_CARLO_SHARE: f64 = 0.2;

/// The requested δ split between the PAC-Bayes step and the Monte-Carlo step: (δ − δ′, δ′).
pub fn split_delta(delta: f64) -> (f64, f64) {
    let monte_carlo = delta * MONTE_CARLO_SHARE;
    (delta - monte_carlo, monte_carlo)
}

/// Gradient steps of the PAC-Bayes posterior when the request names none.
pub const PAC_BAYES_STEPS: usize = 3000;
/// Monte-Carlo draws when the request names none.
pub const PAC_BAYES_SAMPLES: usize = 20_000;

/// The PAC-Bayes settings a request asks for (`None`: not asked), or why they are refused.
pub fn pac_bayes(request: &BoundRequest, seed: u64) -> Result<Option<PacBayesSettings>, String> {
    let Some(asked) = &request.pac_bayes else {
        return Ok(None);
    };
    let steps = limits::PAC_BAYES_STEPS.check(asked.steps.unwrap_or(PAC_BAYES_STEPS))?;
    let samples = limits::PAC_BAYES_SAMPLES.check(asked.samples.unwrap_or(PAC_BAYES_SAMPLES))?;
    let prior = asked.prior.unwrap_or_default();
    // Measured on MNIST (see the README): the data-dependent prior needs small, slow steps to
    // stay near its centre; the data-free one has to travel from the trained weights.
    let learning_rate = asked.learning_rate.unwrap_or(match prior {
        PacBayesPrior::Initialization => 1e-3,
        PacBayesPrior::DataDependent => 1e-4,
    });
    let learning_rate = limits::PAC_BAYES_LEARNING_RATE.check(learning_rate)?;
    let initial_std = asked.initial_std.unwrap_or(match prior {
        PacBayesPrior::Initialization => 0.001f64.sqrt(),
        PacBayesPrior::DataDependent => 0.01,
    });
    let initial_std = limits::PAC_BAYES_INITIAL_STD.check(initial_std)?;
    let (pac_bayes_delta, monte_carlo_delta) = split_delta(delta(request)?);
    Ok(Some(PacBayesSettings {
        steps,
        batch_size: 128,
        learning_rate,
        // Posterior and prior start with equal variances: the variance part of KL starts at 0.
        initial_std,
        initial_prior_variance: initial_std * initial_std,
        samples,
        delta: pac_bayes_delta,
        delta_mc: monte_carlo_delta,
        seed,
        prior,
    }))
}

/// What a bound job computes.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSettings {
    /// Confidence parameter of every bound.
    pub delta: f64,
    /// The optimized PAC-Bayes bound, when asked.
    pub pac_bayes: Option<PacBayesSettings>,
}

impl Default for JobSettings {
    /// What a request naming nothing asks for: δ = [`DEFAULT_DELTA`], no PAC-Bayes posterior.
    fn default() -> Self {
        Self {
            delta: DEFAULT_DELTA,
            pac_bayes: None,
        }
    }
}

/// The settings a request asks for, for a run with `seed`, or why the request is refused.
pub fn settings(request: &BoundRequest, seed: u64) -> Result<JobSettings, String> {
    Ok(JobSettings {
        delta: delta(request)?,
        pac_bayes: pac_bayes(request, seed)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_request_asks_for_the_defaults() {
        assert_eq!(
            settings(&BoundRequest::default(), 3).expect("valid"),
            JobSettings::default()
        );
    }

    /// The optimized certificate's two steps share the requested δ: before, the PAC-Bayes step
    /// took all of it and the Monte-Carlo step 0.01 more, so it held at 0.94 where 0.95 was
    /// said.
    #[test]
    fn the_certificate_steps_share_the_requested_delta() {
        for delta in [0.05, 0.01, 0.2] {
            let request = BoundRequest {
                delta: Some(delta),
                pac_bayes: Some(memlab_shared::bounds::PacBayesRequest::default()),
            };
            let settings = pac_bayes(&request, 1).expect("valid").expect("asked");
            assert!(settings.delta > 0.0 && settings.delta_mc > 0.0);
            assert!((settings.delta + settings.delta_mc - delta).abs() < 1e-15);
        }
        let (pac_bayes_delta, monte_carlo_delta) = split_delta(0.05);
        assert!((pac_bayes_delta - 0.04).abs() < 1e-15 && (monte_carlo_delta - 0.01).abs() < 1e-15);
    }
}
