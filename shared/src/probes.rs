//! Types of invariance probes: sweeps of a transform's parameter over a test subset, and the
//! curves measured along them (`../shared/SCIENCE.md` §3).

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisJob;
use crate::transform::TransformKind;

/// One transform swept over `points` evenly spaced values from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The transform.
    pub transform: TransformKind,
    /// First parameter value.
    pub from: f32,
    /// Last parameter value.
    pub to: f32,
    /// Number of values (at least 1; `from` alone when 1).
    pub points: usize,
}

impl Sweep {
    /// The parameter values, `from` and `to` included.
    pub fn values(&self) -> Vec<f32> {
        if self.points <= 1 {
            return vec![self.from];
        }
        let step = (self.to - self.from) / (self.points - 1) as f32;
        (0..self.points)
            .map(|index| self.from + step * index as f32)
            .collect()
    }
}

/// `POST /api/experiments/{id}/probes` (every field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProbeRequest {
    /// The sweeps; the classical ones with their default ranges when absent.
    #[serde(default)]
    pub sweeps: Option<Vec<Sweep>>,
    /// How many test images (drawn from the test split with `seed`); 500 when absent.
    #[serde(default)]
    pub n_images: Option<usize>,
    /// Seed of the test subset; 0 when absent.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The measurements along one sweep, one entry per parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbeCurve {
    /// What was swept.
    pub sweep: Sweep,
    /// The parameter values.
    pub parameters: Vec<f64>,
    /// C(t) = P[argmax f(T_t x) = argmax f(x)].
    pub consistency: Vec<f64>,
    /// Accuracy of argmax f(T_t x) against the true labels.
    pub accuracy: Vec<f64>,
    /// S(t) for Φ = logits: E‖Φ(T_t x) − Φ(x)‖² / E_{x≠x'}‖Φ(x) − Φ(x')‖²; `None` when the
    /// denominator is 0 (every image has the same logits).
    pub sensitivity_logits: Vec<Option<f64>>,
    /// S(t) for Φ = penultimate features.
    pub sensitivity_features: Vec<Option<f64>>,
}

impl ProbeCurve {
    /// Mean consistency over the sweep: one number to compare models by.
    pub fn mean_consistency(&self) -> f64 {
        self.consistency.iter().sum::<f64>() / self.consistency.len().max(1) as f64
    }
}

/// A finished probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbeReport {
    /// Test images probed.
    pub n_images: usize,
    /// Seed that drew them from the test split.
    pub seed: u64,
    /// Accuracy on the untransformed images.
    pub accuracy: f64,
    /// E_{x≠x'}‖Φ(x) − Φ(x')‖² for the logits (the sensitivities' denominator).
    pub logit_spread: f64,
    /// The same for the penultimate features.
    pub feature_spread: f64,
    /// One curve per sweep, in request order.
    pub curves: Vec<ProbeCurve>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// The device it ran on.
    pub device: String,
}

/// `GET /api/experiments/{id}/probes`: the job and, once done, its report.
pub type ProbeJob = AnalysisJob<ProbeRequest, ProbeReport>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_values_include_both_ends() {
        let sweep = Sweep {
            transform: TransformKind::Rotation,
            from: -90.0,
            to: 90.0,
            points: 5,
        };
        assert_eq!(sweep.values(), vec![-90.0, -45.0, 0.0, 45.0, 90.0]);
        let single = Sweep { points: 1, ..sweep };
        assert_eq!(single.values(), vec![-90.0]);
    }
}
