//! The PAC-Bayes margin bound of a linear classifier on fixed features (Langford &
//! Shawe-Taylor, NeurIPS 2002; McAllester 2003), for k classes, with its every step exact.
//!
//! Prior P = N(0, σ²I) over the head's weights and biases (data-free: the features are fixed
//! given the encoder's own images, which are not in the sample). Posterior Q_t = N(λW′, σ²I),
//! W′ = [W, b], t = λ/σ. Under Q_t the logits of x are λz_c + σ r ξ_c, r = √(‖x‖² + 1), ξ_c iid
//! N(0, 1) (each class has its own weights), so Q_t classifies x correctly with probability
//! ∫ φ(u) Π_{c≠y} Φ(u + t (z_y − z_c)/r) du, and KL(Q_t‖P) = t²‖W′‖²/2. Maurer's PAC-Bayes-kl
//! bound with a union bound over a grid of t: with probability ≥ 1 − δ, for every grid t,
//! kl(ê(Q_t) ‖ e(Q_t)) ≤ (t²‖W′‖²/2 + ln(2√m/δ) + ln |grid|)/m. Where W′ errs on x, some
//! z_c ≥ z_y and the symmetric noise makes Q_t err with probability ≥ 1/2: e(W′) ≤ 2 e(Q_t).
//!
//! With a data-dependent prior (Pérez-Ortiz et al., JMLR 2021), the prior's centre is a head
//! W₀ trained by the run's own recipe on the first half of the sample only, and the bound is
//! about the second half (m₂ examples): P = N(W₀, σ²I), KL = ‖tσW′ − W₀‖²/(2σ²), with a union
//! bound over the grids of t and of σ = 2^(k/4), k = −80…40 (121 values).
//!
//! ê(Q_t) is an upper bound, not an estimate: the integrand g(u) is increasing in u, so the
//! sum over N cells of equal Gaussian mass of g at each cell's left end, over N, is at most
//! the integral (and at least it minus 1/N).

use memlab_shared::bounds::Bound;
use rayon::prelude::*;

use super::facts::{Facts, computed, not_applicable, quantity};
use super::kl::kl_inverse_upper;

const KEY: &str = "linear_pac_bayes";
const NAME: &str =
    "PAC-Bayes margin of the linear head (Langford–Shawe-Taylor), deterministic head";
const Q_KEY: &str = "linear_pac_bayes_q";
const Q_NAME: &str =
    "PAC-Bayes margin of the linear head (Langford–Shawe-Taylor); bounds the stochastic head Q_t";
const SOURCE: &str = "Langford & Shawe-Taylor (NeurIPS 2002), McAllester (2003), multi-class: prior \
N(0, σ²I), posterior N(λW′, σ²I), exact Gaussian error of Q by a lower Riemann sum (256 equal-mass \
cells), PAC-Bayes-kl (Maurer 2004), union bound over t = λ/σ = 2^(j/4), j = −40…80 (121 values); \
e(W′) ≤ 2e(Q)";
const FORMULA: &str = "2·kl⁻¹(ê(Q_t), (t²‖W′‖²/2 + ln(2√m/δ) + ln 121)/m), \
ê(Q_t) = mean of 1 − ∫φ(u)Π_{c≠y}Φ(u + t(z_y − z_c)/√(‖x‖²+1))du";
const Q_FORMULA: &str = "kl⁻¹(ê(Q_t), (t²‖W′‖²/2 + ln(2√m/δ) + ln 121)/m), \
ê(Q_t) = mean of 1 − ∫φ(u)Π_{c≠y}Φ(u + t(z_y − z_c)/√(‖x‖²+1))du";

const DATA_KEY: &str = "linear_pac_bayes_data";
const DATA_NAME: &str =
    "PAC-Bayes margin of the linear head, data-dependent prior; deterministic head";
const DATA_Q_KEY: &str = "linear_pac_bayes_data_q";
const DATA_Q_NAME: &str =
    "PAC-Bayes margin of the linear head, data-dependent prior; bounds the stochastic head Q_t";
const DATA_SOURCE: &str = "Langford & Shawe-Taylor (NeurIPS 2002) with a data-dependent prior \
(Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári, JMLR 2021): prior N(W₀, σ²I), W₀ trained \
by the run's recipe from its initialization on the first half of the sample; the bound is about \
the second half; union bound over t = 2^(j/4) (121 values) and σ = 2^(k/4) (121 values); \
e(W′) ≤ 2e(Q)";
const DATA_FORMULA: &str = "2·kl⁻¹(ê₂(Q_t), (min_σ ‖tσW′ − W₀‖²/(2σ²) + ln(2√m₂/δ) + \
ln 121²)/m₂)";
const DATA_Q_FORMULA: &str = "kl⁻¹(ê₂(Q_t), (min_σ ‖tσW′ − W₀‖²/(2σ²) + ln(2√m₂/δ) + \
ln 121²)/m₂)";

/// Cells of equal Gaussian mass in the Riemann sum.
pub const CELLS: usize = 256;

/// The grid of t = λ/σ: 2^(j/4), j = −40 … 80.
pub fn grid() -> impl Iterator<Item = f64> {
    (-40..=80).map(|j| 2f64.powf(f64::from(j) / 4.0))
}

/// Size of [`grid`].
pub const GRID_LEN: usize = 121;

/// What the bound reads of a linear head on its sample.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearHead {
    /// The head's logits on the sample, m × k row-major.
    pub logits: Vec<f64>,
    /// The labels.
    pub labels: Vec<usize>,
    /// ‖xᵢ‖² + 1 of each input (the constant 1 carries the bias).
    pub input_norms_squared: Vec<f64>,
    /// ‖W‖_F² + ‖b‖².
    pub weight_norm_squared: f64,
    /// W′ = [W, b] flattened (the layout of [`DataPrior::weights`]).
    pub weights: Vec<f64>,
    /// A prior centre trained on the first examples of the sample, if there is one.
    pub prior: Option<DataPrior>,
}

/// The centre of a data-dependent prior and the examples it was trained on.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPrior {
    /// W₀ = [W, b] flattened like [`LinearHead::weights`].
    pub weights: Vec<f64>,
    /// It was trained on the first `split` examples of the sample; the bound is about the rest.
    pub split: usize,
}

/// The grid of σ for the data-dependent prior: 2^(k/4), k = −80 … 40.
pub fn sigma_grid() -> impl Iterator<Item = f64> {
    (-80..=40).map(|k| 2f64.powf(f64::from(k) / 4.0))
}

/// min over the σ grid of KL(N(tσW′, σ²I) ‖ N(W₀, σ²I)) = ‖tσW′ − W₀‖²/(2σ²), from
/// ‖W′‖², ⟨W′, W₀⟩ and ‖W₀‖²: (σ, KL).
pub fn smallest_kl(t: f64, norm: f64, inner: f64, prior_norm: f64) -> (f64, f64) {
    sigma_grid()
        .map(|sigma| {
            let kl = (t * t * norm - 2.0 * t * inner / sigma + prior_norm / (sigma * sigma)) / 2.0;
            (sigma, kl.max(0.0))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("grid")
}

/// Φ(x), the standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1), by bisection on [`normal_cdf`] (to 1e-15).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Left ends Φ⁻¹(j/N), j = 1 … N − 1, of the cells (the first cell's, −∞, adds g = 0).
pub fn cell_starts(cells: usize) -> Vec<f64> {
    (1..cells)
        .map(|j| normal_quantile(j as f64 / cells as f64))
        .collect()
}

/// An upper bound (within 1/N) on the probability that Q_t errs on an example whose logit
/// gaps z_y − z_c, over r, are `gaps`: 1 − (1/N) Σ_j Π_c Φ(u_j + t·gap_c).
pub fn stochastic_error(gaps: &[f64], t: f64, starts: &[f64]) -> f64 {
    let cells = starts.len() + 1;
    let mut correct = 0.0;
    // Walk from the right: g is increasing in u, so once it is negligible it stays so.
    for &u in starts.iter().rev() {
        let mut g = 1.0;
        for &gap in gaps {
            g *= normal_cdf(u + t * gap);
            if g == 0.0 {
                break;
            }
        }
        if g < 1e-300 {
            break;
        }
        correct += g;
    }
    (1.0 - correct / cells as f64).clamp(0.0, 1.0)
}

/// ê(Q_t) over the examples `from..` of the sample.
fn empirical_error(head: &LinearHead, classes: usize, t: f64, starts: &[f64], from: usize) -> f64 {
    let m = head.labels.len();
    let total: f64 = (from..m)
        .into_par_iter()
        .map(|i| {
            let row = &head.logits[i * classes..(i + 1) * classes];
            let y = head.labels[i];
            let r = head.input_norms_squared[i].sqrt();
            let gaps: Vec<f64> = (0..classes)
                .filter(|&c| c != y)
                .map(|c| (row[y] - row[c]) / r)
                .collect();
            stochastic_error(&gaps, t, starts)
        })
        .sum();
    total / (m - from).max(1) as f64
}

/// The grid index and value of the smallest of `bound` (its first component) over `values`:
/// every eighth value, then the fifteen around the best (the union bound covers every value).
fn search(values: &[f64], bound: &dyn Fn(f64) -> (f64, f64, f64)) -> (usize, (f64, f64, f64)) {
    let mut evaluated: Vec<(usize, (f64, f64, f64))> = Vec::new();
    let evaluate = |index: usize, evaluated: &mut Vec<(usize, (f64, f64, f64))>| {
        if !evaluated.iter().any(|(i, _)| *i == index) {
            evaluated.push((index, bound(values[index])));
        }
    };
    for index in (0..values.len()).step_by(8) {
        evaluate(index, &mut evaluated);
    }
    let best = |evaluated: &[(usize, (f64, f64, f64))]| {
        *evaluated
            .iter()
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .expect("evaluated")
    };
    let coarse = best(&evaluated).0;
    for index in coarse.saturating_sub(7)..(coarse + 8).min(values.len()) {
        evaluate(index, &mut evaluated);
    }
    best(&evaluated)
}

/// The bound on Q_t at one grid value: (its bound, ê, KL).
fn at(head: &LinearHead, facts: &Facts, t: f64, starts: &[f64]) -> (f64, f64, f64) {
    let m = facts.m as f64;
    let error = empirical_error(head, facts.classes, t, starts, 0);
    let kl = t * t * head.weight_norm_squared / 2.0;
    let budget = (kl + (2.0 * m.sqrt() / facts.delta).ln() + (GRID_LEN as f64).ln()) / m;
    (kl_inverse_upper(error, budget), error, kl)
}

/// A bound on the stochastic head and the one on the deterministic head (twice it), with the
/// same inputs, under `(key, name)` of each.
fn stochastic_and_deterministic(
    (q_key, q_name, key, name): (&str, &str, &str, &str),
    (source, q_formula, formula): (&str, &str, &str),
    stochastic: f64,
    inputs: Vec<memlab_shared::bounds::Quantity>,
) -> [Bound; 2] {
    [
        computed(q_key, q_name, stochastic, source, q_formula, inputs.clone()),
        computed(key, name, 2.0 * stochastic, source, formula, inputs),
    ]
}

/// The bound on the stochastic head Q_t and the one on the deterministic head (twice it), or
/// why they do not apply (no linear head on fixed features).
pub fn linear_pac_bayes_bounds(facts: &Facts) -> [Bound; 2] {
    let Some(head) = &facts.linear_head else {
        let why = "stated for a linear classifier on fixed features: this network trains every \
                   layer from the pixels (or has a hidden layer after its fixed encoder)";
        return [
            not_applicable(Q_KEY, Q_NAME, SOURCE, Q_FORMULA, why.into()),
            not_applicable(KEY, NAME, SOURCE, FORMULA, why.into()),
        ];
    };
    let starts = cell_starts(CELLS);
    let values: Vec<f64> = grid().collect();
    let (index, (stochastic, error, kl)) = search(&values, &|t| at(head, facts, t, &starts));
    let inputs = vec![
        quantity("m", "examples in the bound's sample", facts.m as f64),
        quantity("t", "λ/σ chosen on the grid", values[index]),
        quantity(
            "‖W′‖_F",
            "norm of the head's weights and biases",
            head.weight_norm_squared.sqrt(),
        ),
        quantity("KL", "KL(Q_t ‖ P) = t²‖W′‖²/2", kl),
        quantity(
            "ê(Q_t)",
            "error of the stochastic head on the sample (upper bound)",
            error,
        ),
        quantity(
            "e(Q_t) ≤",
            "the bound on the stochastic head Q_t",
            stochastic,
        ),
        quantity("δ", "confidence", facts.delta),
    ];
    stochastic_and_deterministic(
        (Q_KEY, Q_NAME, KEY, NAME),
        (SOURCE, Q_FORMULA, FORMULA),
        stochastic,
        inputs,
    )
}

/// The data-dependent-prior bounds on the stochastic and the deterministic head, or why they
/// do not apply.
pub fn data_prior_bounds(facts: &Facts) -> [Bound; 2] {
    let (Some(head), Some(prior)) = (
        &facts.linear_head,
        facts.linear_head.as_ref().and_then(|h| h.prior.as_ref()),
    ) else {
        let why = "needs a linear classifier on fixed features and a prior head trained on the \
                   first half of its sample";
        return [
            not_applicable(
                DATA_Q_KEY,
                DATA_Q_NAME,
                DATA_SOURCE,
                DATA_Q_FORMULA,
                why.into(),
            ),
            not_applicable(DATA_KEY, DATA_NAME, DATA_SOURCE, DATA_FORMULA, why.into()),
        ];
    };
    let m2 = (head.labels.len() - prior.split) as f64;
    let starts = cell_starts(CELLS);
    let values: Vec<f64> = grid().collect();
    let inner: f64 = head
        .weights
        .iter()
        .zip(&prior.weights)
        .map(|(a, b)| a * b)
        .sum();
    let prior_norm: f64 = prior.weights.iter().map(|v| v * v).sum();
    let union = (GRID_LEN as f64 * GRID_LEN as f64).ln();
    let evaluate = |t: f64| {
        let error = empirical_error(head, facts.classes, t, &starts, prior.split);
        let (_, kl) = smallest_kl(t, head.weight_norm_squared, inner, prior_norm);
        let budget = (kl + (2.0 * m2.sqrt() / facts.delta).ln() + union) / m2;
        (kl_inverse_upper(error, budget), error, kl)
    };
    let (index, (stochastic, error, kl)) = search(&values, &evaluate);
    let t = values[index];
    let (sigma, _) = smallest_kl(t, head.weight_norm_squared, inner, prior_norm);
    let distance = head
        .weights
        .iter()
        .zip(&prior.weights)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let inputs = vec![
        quantity("m₂", "examples the bound is about (second half)", m2),
        quantity("t", "λ/σ chosen on the grid", t),
        quantity("σ", "σ chosen on the grid", sigma),
        quantity(
            "‖W′‖_F",
            "norm of the head's weights and biases",
            head.weight_norm_squared.sqrt(),
        ),
        quantity("‖W′ − W₀‖_F", "distance from the prior head", distance),
        quantity("KL", "KL(Q_t ‖ P)", kl),
        quantity(
            "ê₂(Q_t)",
            "error of the stochastic head on the second half (upper bound)",
            error,
        ),
        quantity(
            "e(Q_t) ≤",
            "the bound on the stochastic head Q_t",
            stochastic,
        ),
        quantity("δ", "confidence", facts.delta),
    ];
    stochastic_and_deterministic(
        (DATA_Q_KEY, DATA_Q_NAME, DATA_KEY, DATA_NAME),
        (DATA_SOURCE, DATA_Q_FORMULA, DATA_FORMULA),
        stochastic,
        inputs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn normal_functions_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.959963984540054) - 0.975).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-9);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
    }

    /// Two classes: Q errs when ξ_c − ξ_y > t·gap, so its error is Φ(−t·gap/√2).
    #[test]
    fn two_classes_error_is_a_normal_tail() {
        let starts = cell_starts(4096);
        for (gap, t) in [(1.0, 1.0), (0.3, 2.0), (-0.5, 1.0), (0.0, 5.0)] {
            let exact = normal_cdf(-t * gap / std::f64::consts::SQRT_2);
            let ours = stochastic_error(&[gap], t, &starts);
            // An upper bound, within 1/N.
            assert!(
                ours >= exact - 1e-12 && ours <= exact + 1.0 / 4096.0,
                "{gap} {t}: {ours} vs {exact}"
            );
        }
    }

    /// Brute force: the error of Q_t by sampling the noise (three classes), within the Monte
    /// Carlo error, and never below it by more than that.
    #[test]
    fn error_matches_sampling_the_posterior() {
        let starts = cell_starts(CELLS);
        let gaps = [0.8, 1.5];
        let t = 1.3;
        let ours = stochastic_error(&gaps, t, &starts);
        let mut generator = SplitMix64::new(9);
        let mut gaussian = || {
            // Box–Muller.
            let u1 = ((generator.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            let u2 = ((generator.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let draws = 400_000;
        let mut errors = 0;
        for _ in 0..draws {
            let y = gaussian();
            if gaps.iter().any(|&gap| gaussian() >= y + t * gap) {
                errors += 1;
            }
        }
        let sampled = errors as f64 / draws as f64;
        assert!(
            (ours - sampled).abs() < 0.004 + 1.0 / CELLS as f64,
            "{ours} vs {sampled}"
        );
    }

    /// The whole bound by hand on a tiny sample: two examples, two classes.
    #[test]
    fn bound_value_by_hand() {
        let head = LinearHead {
            logits: vec![2.0, 0.0, -1.0, 1.0],
            labels: vec![0, 1],
            input_norms_squared: vec![4.0, 1.0],
            weight_norm_squared: 0.5,
            weights: vec![0.5, 0.0, 0.0, 0.5, 0.0, 0.0],
            prior: None,
        };
        let facts = Facts {
            m: 2,
            classes: 2,
            train_error: 0.0,
            margins: vec![2.0, 2.0],
            data_norm: 1.0,
            domain_norm: 1.0,
            parameter_norm_squared: 0.5,
            layers: Vec::new(),
            delta: 0.1,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: Some(head.clone()),
        };
        let [stochastic, bound] = linear_pac_bayes_bounds(&facts);
        let t = bound
            .inputs
            .iter()
            .find(|q| q.symbol == "t")
            .expect("t")
            .value;
        // Gaps over r: 2/2 = 1 and 2/1 = 2.
        let starts = cell_starts(CELLS);
        let error =
            (stochastic_error(&[1.0], t, &starts) + stochastic_error(&[2.0], t, &starts)) / 2.0;
        let budget = (t * t * 0.5 / 2.0 + (2.0 * 2f64.sqrt() / 0.1).ln() + 121f64.ln()) / 2.0;
        let expected = 2.0 * kl_inverse_upper(error, budget);
        assert!((bound.value.expect("value") - expected).abs() < 1e-12);
        assert!((stochastic.value.expect("value") - expected / 2.0).abs() < 1e-12);
        // Without a linear head both say why.
        let others = linear_pac_bayes_bounds(&Facts {
            linear_head: None,
            ..facts
        });
        assert!(others.iter().all(|b| b.not_applicable.is_some()));
    }

    #[test]
    fn the_smallest_kl_on_the_grid_by_hand() {
        // W₀ = 0: KL = t²‖W′‖²/2 whatever σ.
        assert!((smallest_kl(2.0, 3.0, 0.0, 0.0).1 - 6.0).abs() < 1e-12);
        // W₀ = W′ (‖W′‖² = 4) and t = 1: σ = 1 is on the grid and gives KL = 0.
        let (sigma, kl) = smallest_kl(1.0, 4.0, 4.0, 4.0);
        assert!(
            kl.abs() < 1e-12 && (sigma - 1.0).abs() < 1e-12,
            "{sigma} {kl}"
        );
        // In general the grid's best is ≥ the continuous minimum t²/2 (‖W′‖² − ⟨W′,W₀⟩²/‖W₀‖²).
        let (t, norm, inner, prior) = (3.0, 5.0, 2.0, 4.0);
        let floor = t * t / 2.0 * (norm - inner * inner / prior);
        let (_, kl) = smallest_kl(t, norm, inner, prior);
        assert!(kl >= floor - 1e-12 && kl <= floor * 1.05, "{kl} vs {floor}");
    }

    /// The data-dependent bound is about the second half only: its error ignores the first.
    #[test]
    fn the_data_prior_bound_reads_the_second_half() {
        // Four examples, two classes; the first two misclassified, the last two right.
        let weights = vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let head = LinearHead {
            logits: vec![-5.0, 5.0, -5.0, 5.0, 5.0, -5.0, -5.0, 5.0],
            labels: vec![0, 0, 0, 1],
            input_norms_squared: vec![1.0; 4],
            weight_norm_squared: 2.0,
            weights: weights.clone(),
            prior: Some(DataPrior { weights, split: 2 }),
        };
        let facts = Facts {
            m: 4,
            classes: 2,
            train_error: 0.5,
            margins: vec![-10.0, -10.0, 10.0, 10.0],
            data_norm: 2.0,
            domain_norm: 1.0,
            parameter_norm_squared: 2.0,
            layers: Vec::new(),
            delta: 0.1,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: Some(head),
        };
        let [q, _] = data_prior_bounds(&facts);
        let error = q
            .inputs
            .iter()
            .find(|i| i.symbol == "ê₂(Q_t)")
            .expect("ê")
            .value;
        // Gaps of 10 over r = 1: at the chosen t the error is the normal tail Φ(−10t/√2).
        let t = q.inputs.iter().find(|i| i.symbol == "t").expect("t").value;
        let tail = normal_cdf(-10.0 * t / std::f64::consts::SQRT_2);
        assert!(
            error >= tail - 1e-12 && error <= tail + 1.0 / CELLS as f64,
            "{error} vs {tail}"
        );
        let m2 = q
            .inputs
            .iter()
            .find(|i| i.symbol == "m₂")
            .expect("m₂")
            .value;
        assert_eq!(m2, 2.0);
    }
}
