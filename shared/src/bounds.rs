//! Types of the generalization-bound panel (`/api/experiments/{id}/bounds`): every bound with
//! its value, its inputs and its source, so a reader can recompute it.

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisJob;

/// What `POST /api/experiments/{id}/bounds` accepts (every field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BoundRequest {
    /// Confidence parameter δ of every bound (each holds with probability ≥ 1 − δ);
    /// 0.05 when absent.
    #[serde(default)]
    pub delta: Option<f64>,
    /// Also optimize a PAC-Bayes posterior and certify it (minutes of work); skipped when absent.
    #[serde(default)]
    pub pac_bayes: Option<PacBayesRequest>,
}

/// Where the PAC-Bayes prior is centred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PacBayesPrior {
    /// At the run's random initialization (data-free; Dziugaite & Roy 2017).
    #[default]
    Initialization,
    /// At a network trained on the first half of the training set; the bound is then about the
    /// second half only (Pérez-Ortiz et al. 2021).
    DataDependent,
}

/// Options of the optimized PAC-Bayes bound (defaults when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PacBayesRequest {
    /// Gradient steps on the posterior (default 3000, at most 200 000).
    #[serde(default)]
    pub steps: Option<usize>,
    /// Monte-Carlo draws for the certificate (default 20 000, at most 1 000 000).
    #[serde(default)]
    pub samples: Option<usize>,
    /// Where the prior is centred (default: the initialization).
    #[serde(default)]
    pub prior: Option<PacBayesPrior>,
    /// Adam step size of the posterior (default 1e-3 for the data-free prior, 1e-4 for the
    /// data-dependent one; in (0, 0.1]).
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// Initial prior standard deviation √λ, which the posterior's deviations also start at
    /// (default 0.0316 for the data-free prior, 0.01 for the data-dependent one; in (0, 0.3]).
    #[serde(default)]
    pub initial_std: Option<f64>,
}

/// A named input of a bound (a norm, a margin, a count), with its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quantity {
    /// The symbol used in the formula, e.g. `γ`, `‖X‖₂`.
    pub symbol: String,
    /// What it is, for people.
    pub name: String,
    /// Its value.
    pub value: f64,
}

/// One generalization bound on the test error (0-1 loss) of the trained network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bound {
    /// Stable identifier, e.g. `vc`, `bft_zero`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// A few characters for chart labels, e.g. `BFT (ref 0)`.
    #[serde(default)]
    pub short_name: String,
    /// The bound on the test error; `None` when the theorem does not apply to this network.
    pub value: Option<f64>,
    /// Whether `value` exceeds 1 (the bound says nothing).
    pub vacuous: bool,
    /// Why the bound was not computed, when `value` is `None`.
    pub not_applicable: Option<String>,
    /// Why a computed bound is vacuous, in one line (the term that passes 1 and what drives
    /// it); `None` when it is not, and in panels stored before the reasons.
    #[serde(default)]
    pub why_vacuous: Option<String>,
    /// The paper, theorem and equation the formula comes from.
    pub source: String,
    /// The formula as computed, with every constant written out.
    pub formula: String,
    /// Every intermediate quantity.
    pub inputs: Vec<Quantity>,
}

/// Norms of one weight layer, seen as the linear map it computes on its real input size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerNorms {
    /// Parameter name in the model (`conv1`, `hidden.0`, `head`).
    pub name: String,
    /// The map, e.g. `conv 5×5, pad 2: 1×28×28 → 6×28×28` or `dense 784 → 256`.
    pub description: String,
    /// Input dimension of the map (flattened).
    pub inputs: usize,
    /// Output dimension of the map (flattened).
    pub outputs: usize,
    /// Trainable parameters (weights and biases).
    pub parameters: usize,
    /// ‖A‖_σ: largest singular value of the weight map (biases left out), a certified upper
    /// bound (Gram iteration) in panels with `spectral_with_bias_estimate`.
    pub spectral: f64,
    /// ‖A'‖_σ of the map with its bias folded in as an extra input fixed at 1: the certified
    /// upper bound every bound uses (in panels stored before certificates, the power-iteration
    /// estimate, and then `spectral_with_bias_estimate` is `None`).
    pub spectral_with_bias: f64,
    /// Power iteration's estimate of ‖A'‖_σ, from below: with `spectral_with_bias` it brackets
    /// the norm.
    #[serde(default)]
    pub spectral_with_bias_estimate: Option<f64>,
    /// Power-iteration steps used for `spectral_with_bias_estimate`.
    pub power_iterations: usize,
    /// Whether the power iteration met its tolerance.
    pub converged: bool,
    /// ‖A‖_F of the map as a dense matrix (each kernel weight counted once per position it
    /// touches).
    pub frobenius: f64,
    /// ‖A'ᵀ‖₂,₁: the sum over output units of the ℓ₂ norm of their weights and bias.
    pub two_one: f64,
    /// ‖(A' − M')ᵀ‖₂,₁ with M the initialization.
    pub two_one_from_init: f64,
    /// ‖θ − θ₀‖₂ of this layer's parameters (weights and bias) from their initialization.
    pub distance_from_init: f64,
    /// What follows the layer: `ReLU`, `ReLU, max-pool 2×2`, or `none`.
    pub activation: String,
}

/// The distribution of training margins f(x)_y − max_{j≠y} f(x)_j.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarginSummary {
    /// Quantiles as `(q, value)` pairs, q ∈ {0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1}.
    pub quantiles: Vec<(f64, f64)>,
    /// Fraction of training examples with a margin ≤ 0 (training errors, ties included).
    pub fraction_non_positive: f64,
}

/// The stored panel of a finished bound job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoundPanel {
    /// Confidence parameter of every bound.
    pub delta: f64,
    /// Training examples the bounds are about: the run's training set, less the first
    /// `held_out` (a fixed encoder's own images).
    pub n_train: usize,
    /// The first training images left out of the bounds' sample (those a fixed encoder was
    /// drawn from); 0 for models that train from the pixels.
    #[serde(default)]
    pub held_out: usize,
    /// How the data-dependent encoder is accounted for, for people (fixed-encoder models).
    #[serde(default)]
    pub sample_split: Option<String>,
    /// Test examples the test error is measured on.
    pub n_test: usize,
    /// Number of classes.
    pub n_classes: usize,
    /// Trainable parameters.
    pub n_parameters: usize,
    /// Training error of the network (0-1, argmax with first-index ties).
    pub train_error: f64,
    /// Test error of the network.
    pub test_error: f64,
    /// ‖X‖₂ = √(Σᵢ ‖xᵢ‖²) over the normalized training inputs (for a fixed-encoder model,
    /// over their standardized encodings, what its trained layers read).
    pub data_norm: f64,
    /// maxᵢ ‖xᵢ‖₂ over the same.
    pub max_input_norm: f64,
    /// sup ‖x‖₂ over every possible input (any pixel values), after normalization (for a
    /// fixed-encoder model, an upper bound on the sup of its encoding's norm).
    pub domain_input_norm: f64,
    /// Per-layer norms, input to output.
    pub layers: Vec<LayerNorms>,
    /// Training margins.
    pub margins: MarginSummary,
    /// Every bound, in display order.
    pub bounds: Vec<Bound>,
    /// Wall time of the computation, seconds.
    pub seconds: f64,
    /// Wall time of each stage, seconds, in order.
    #[serde(default)]
    pub timings: Vec<(String, f64)>,
    /// The device it ran on.
    pub device: String,
}

/// `GET /api/experiments/{id}/bounds`: the job and, once done, its panel.
pub type BoundJob = AnalysisJob<BoundRequest, BoundPanel>;

/// Whether the bound `key` is about a stochastic predictor (a posterior Q over networks or
/// linear heads, drawn afresh for each input) rather than the trained network itself: the
/// optimized PAC-Bayes certificates (`dr`, `dr_data`) and every `…_q` bound.
pub fn is_stochastic(key: &str) -> bool {
    matches!(key, "dr" | "dr_data") || key.ends_with("_q")
}

/// The smallest of a panel's computed bounds on one kind of predictor, with the confidence
/// the minimum holds at.
#[derive(Debug, Clone, PartialEq)]
pub struct Tightest {
    /// The bound of smallest value.
    pub bound: Bound,
    /// K: the computed bounds it is the smallest of (each holds with probability ≥ 1 − δ).
    pub candidates: usize,
    /// 1 − K δ, at least 0: the minimum of K bounds is a bound with this probability (a union
    /// bound over the K events that one fails); each alone holds at 1 − δ.
    pub confidence: f64,
}

impl Tightest {
    /// Its value (always computed).
    pub fn value(&self) -> f64 {
        self.bound.value.unwrap_or(f64::NAN)
    }

    /// "holds with probability ≥ 90 %", for people.
    pub fn confidence_text(&self) -> String {
        format!(
            "the least of {} bounds: holds with probability ≥ {}",
            self.candidates,
            percent(self.confidence)
        )
    }
}

/// A probability as a percentage with the digits it needs (≥ 1 decimal only when not whole).
fn percent(p: f64) -> String {
    let value = 100.0 * p;
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0} %")
    } else {
        format!("{value:.1} %")
    }
}

impl BoundPanel {
    /// The smallest computed bound on the trained network (bounds on a stochastic predictor
    /// left out: they are about another classifier), with the confidence the minimum holds at.
    pub fn tightest(&self) -> Option<Tightest> {
        self.tightest_of(false)
    }

    /// The smallest computed bound on a stochastic predictor (PAC-Bayes posteriors), with the
    /// confidence the minimum holds at.
    pub fn tightest_stochastic(&self) -> Option<Tightest> {
        self.tightest_of(true)
    }

    fn tightest_of(&self, stochastic: bool) -> Option<Tightest> {
        let candidates: Vec<&Bound> = self
            .bounds
            .iter()
            .filter(|bound| is_stochastic(&bound.key) == stochastic)
            .filter(|bound| bound.value.is_some_and(|v| !v.is_nan()))
            .collect();
        let best = candidates.iter().min_by(|a, b| {
            a.value
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.value.unwrap_or(f64::INFINITY))
        })?;
        Some(Tightest {
            bound: (*best).clone(),
            candidates: candidates.len(),
            confidence: (1.0 - candidates.len() as f64 * self.delta).max(0.0),
        })
    }
}

/// How many times tighter `ours` is than `theirs`, said for people: "3.2× tighter", or "1.5×
/// looser" when it is not.
pub fn compare(ours: f64, theirs: f64) -> String {
    if ours <= theirs {
        format!("{:.1}× tighter", theirs / ours)
    } else {
        format!("{:.1}× looser", ours / theirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(key: &str, value: Option<f64>) -> Bound {
        Bound {
            key: key.into(),
            name: key.into(),
            short_name: key.into(),
            value,
            vacuous: value.is_none_or(|v| v > 1.0),
            not_applicable: value.is_none().then(|| "no".into()),
            why_vacuous: None,
            source: String::new(),
            formula: String::new(),
            inputs: Vec::new(),
        }
    }

    fn panel_of(delta: f64, bounds: Vec<Bound>) -> BoundPanel {
        BoundPanel {
            delta,
            n_train: 10,
            held_out: 0,
            sample_split: None,
            n_test: 10,
            n_classes: 2,
            n_parameters: 3,
            train_error: 0.0,
            test_error: 0.1,
            data_norm: 1.0,
            max_input_norm: 1.0,
            domain_input_norm: 1.0,
            layers: Vec::new(),
            margins: MarginSummary {
                quantiles: Vec::new(),
                fraction_non_positive: 0.0,
            },
            bounds,
            seconds: 0.0,
            timings: Vec::new(),
            device: String::new(),
        }
    }

    #[test]
    fn the_tightest_bound_skips_missing_values() {
        let panel = panel_of(
            0.05,
            vec![
                bound("a", Some(4.0)),
                bound("b", None),
                bound("c", Some(0.5)),
                bound("d", Some(f64::NAN)),
            ],
        );
        let tightest = panel.tightest().expect("two computed bounds");
        assert_eq!(tightest.bound.key, "c");
        assert_eq!(tightest.candidates, 2);
        assert!((tightest.confidence - 0.9).abs() < 1e-12);
        assert_eq!(compare(0.5, 2.0), "4.0× tighter");
        assert_eq!(compare(3.0, 2.0), "1.5× looser");
    }

    /// Issue 21's known answer: {vc 0.90, linear_pac_bayes_q 0.30, linear_pac_bayes 0.60} at
    /// δ = 0.05 gave the stochastic head's 0.30 as the trained model's tightest bound, at a
    /// stated 95 %. The network's tightest is 0.60, the least of two bounds: 90 %.
    #[test]
    fn the_tightest_bound_is_about_the_network_and_counts_its_candidates() {
        let panel = panel_of(
            0.05,
            vec![
                bound("vc", Some(0.90)),
                bound("linear_pac_bayes_q", Some(0.30)),
                bound("linear_pac_bayes", Some(0.60)),
            ],
        );
        let tightest = panel.tightest().expect("computed bounds");
        assert_eq!(tightest.bound.key, "linear_pac_bayes");
        assert_eq!(tightest.value(), 0.60);
        assert_eq!(tightest.candidates, 2);
        assert!((tightest.confidence - 0.90).abs() < 1e-12);
        assert_eq!(
            tightest.confidence_text(),
            "the least of 2 bounds: holds with probability ≥ 90 %"
        );
        let stochastic = panel.tightest_stochastic().expect("one stochastic bound");
        assert_eq!(stochastic.bound.key, "linear_pac_bayes_q");
        assert_eq!(stochastic.candidates, 1);
        assert!((stochastic.confidence - 0.95).abs() < 1e-12);
        // Many candidates: the union bound says nothing, and the confidence stops at 0.
        let many = panel_of(
            0.3,
            (0..5).map(|k| bound(&format!("b{k}"), Some(0.5))).collect(),
        );
        assert_eq!(many.tightest().map(|t| t.confidence), Some(0.0));
    }

    #[test]
    fn stochastic_predictors_are_named_by_their_keys() {
        for key in [
            "dr",
            "dr_data",
            "linear_pac_bayes_q",
            "linear_pac_bayes_data_q",
        ] {
            assert!(is_stochastic(key), "{key}");
        }
        for key in [
            "vc",
            "nts",
            "grs",
            "bft_zero",
            "bft_init",
            "nbs",
            "linear_pac_bayes",
        ] {
            assert!(!is_stochastic(key), "{key}");
        }
    }
}
