//! The PAC-Bayes spectral margin bound of Neyshabur, Bhojanapalli & Srebro (ICLR 2018,
//! arXiv 1707.09564) for fully connected ReLU networks, with its constants written out.
//!
//! Lemma 1: for a prior P fixed before the data and a perturbation u with
//! P_u[max_x ‖f_{w+u}(x) − f_w(x)‖_∞ < γ/4] ≥ 1/2, with probability ≥ 1 − δ,
//! L₀(f_w) ≤ L̂_γ(f_w) + 4√((KL(w + u ‖ P) + ln(6m/δ)) / (m − 1)).
//! Lemma 2: if ‖U_i‖₂ ≤ ‖W_i‖₂/d for every layer, ‖f_{w+u}(x) − f_w(x)‖₂ ≤
//! e·B·∏‖W_i‖₂·Σ‖U_i‖₂/‖W_i‖₂ (‖x‖ ≤ B for every input the network can receive).
//! With u ~ N(0, σ²I) and P = N(0, σ²I): P[‖U_i‖₂ > t] ≤ 2h·exp(−t²/(2hσ²)) (h the widest side),
//! so with probability ≥ 1/2 every ‖U_i‖₂ ≤ σ√(2h ln(4dh)). The proof of Theorem 1 then needs
//! (a) e·B·∏s_i·Σ(1/s_i)·σ√(2h ln(4dh)) ≤ γ/4 and (b) σ√(2h ln(4dh)) ≤ min s_i/d, and pays
//! KL = ‖w‖²/(2σ²).
//!
//! Here the network is not rescaled to equal layer norms (biases break that symmetry), s_i is
//! ‖A'_i‖₂ of the layer with its bias folded in (B → B' = √(B² + 1)), and σ is the largest value
//! of a 2^(1/4) grid (289 values) meeting (a) and (b), with γ on the 193-value norm grid: a union
//! bound over both grids replaces ln(6m/δ) with ln(6m·289·193/δ).

use memlab_shared::bounds::Bound;

use super::facts::{Facts, computed, not_applicable, quantity};
use super::grid::{NORMS, SCALES};
use super::margin::{choose_margin, margin_loss};

const KEY: &str = "nbs";
const NAME: &str = "PAC-Bayes spectral (Neyshabur–Bhojanapalli–Srebro)";
const SOURCE: &str = "Neyshabur, Bhojanapalli & Srebro (ICLR 2018, arXiv 1707.09564), Lemmas 1–2 and \
the proof of Thm 1, without rescaling (biases as a constant input); union bound over grids of σ \
(2^(1/4), 289 values) and γ (193 values)";
const FORMULA: &str = "L̂_γ + 4·√((‖w‖²/(2σ²) + ln(6m·289·193/δ))/(m − 1)), σ the largest grid value with \
e·B'·∏s_i·Σ(1/s_i)·σ·√(2h·ln(4dh)) ≤ γ/4 and σ·√(2h·ln(4dh)) ≤ min s_i/d";

/// The widest side h of any perturbation matrix (inputs + 1 for the bias column; outputs).
pub fn widest(facts: &Facts) -> usize {
    facts
        .layers
        .iter()
        .map(|layer| (layer.inputs + 1).max(layer.outputs))
        .max()
        .unwrap_or(1)
}

/// The largest grid σ meeting conditions (a) and (b) at margin `gamma`.
pub fn largest_sigma(facts: &Facts, gamma: f64) -> Option<f64> {
    let d = facts.depth() as f64;
    let h = widest(facts) as f64;
    let spread = (2.0 * h * (4.0 * d * h).ln()).sqrt();
    let product: f64 = facts.layers.iter().map(|layer| layer.spectral).product();
    let inverse_sum: f64 = facts.layers.iter().map(|layer| 1.0 / layer.spectral).sum();
    let smallest = facts
        .layers
        .iter()
        .map(|layer| layer.spectral)
        .fold(f64::INFINITY, f64::min);
    let limit_a =
        gamma / (4.0 * std::f64::consts::E * facts.domain_norm * product * inverse_sum * spread);
    let limit_b = smallest / (d * spread);
    let limit = limit_a.min(limit_b);
    SCALES.values().filter(|&sigma| sigma <= limit).last()
}

/// The bound for `facts`.
pub fn nbs_bound(facts: &Facts) -> Bound {
    if !facts.fully_connected || !facts.elementwise_relu {
        return not_applicable(
            KEY,
            NAME,
            SOURCE,
            FORMULA,
            "Theorem 1 is stated for fully connected ReLU networks; this one has convolutions and \
             max-pooling"
                .into(),
        );
    }
    let m = facts.m as f64;
    let union = (6.0 * m * SCALES.len() as f64 * NORMS.len() as f64 / facts.delta).ln();
    let choice = choose_margin(NORMS.values(), &facts.margins, |gamma| {
        let sigma = largest_sigma(facts, gamma)?;
        let kl = facts.parameter_norm_squared / (2.0 * sigma * sigma);
        let loss = margin_loss(&facts.margins, gamma);
        Some((
            loss + 4.0 * ((kl + union) / (m - 1.0)).sqrt(),
            (sigma, kl, loss),
        ))
    });
    let Some(choice) = choice else {
        return not_applicable(
            KEY,
            NAME,
            SOURCE,
            FORMULA,
            "no grid value of σ meets the perturbation conditions".into(),
        );
    };
    let (gamma, value) = (choice.gamma, choice.value);
    let (sigma, kl, loss) = choice.detail;
    let product: f64 = facts.layers.iter().map(|layer| layer.spectral).product();
    computed(
        KEY,
        NAME,
        value,
        SOURCE,
        FORMULA,
        vec![
            quantity("γ", choice.rule, gamma),
            quantity(
                "min over γ",
                "smallest value over every grid margin",
                choice.smallest,
            ),
            quantity("L̂_γ", "fraction of training margins ≤ γ", loss),
            quantity("σ", "prior and posterior standard deviation", sigma),
            quantity("KL", "‖w‖²/(2σ²), nats", kl),
            quantity(
                "‖w‖²",
                "squared norm of all parameters",
                facts.parameter_norm_squared,
            ),
            quantity("∏ s_i", "product of ‖A'_i‖₂", product),
            quantity(
                "B'",
                "√(B² + 1), B the largest possible input norm",
                facts.domain_norm,
            ),
            quantity("h", "widest matrix side", widest(facts) as f64),
            quantity("d", "weight layers", facts.depth() as f64),
            quantity("m", "training examples", m),
            quantity("ln(6m·N/δ)", "confidence and union-bound term", union),
            quantity("δ", "confidence parameter", facts.delta),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::facts::LayerFacts;

    fn facts() -> Facts {
        let layer = |spectral: f64, inputs: usize, outputs: usize, is_last: bool| LayerFacts {
            parameters: 0,
            inputs,
            outputs,
            pooling: None,
            spectral,
            frobenius: 1.0,
            max_row_norm: 1.0,
            two_one: 1.0,
            two_one_from_init: 1.0,
            is_last,
        };
        Facts {
            m: 1_000_000,
            classes: 2,
            train_error: 0.0,
            margins: vec![8.0; 100],
            data_norm: 1.0,
            domain_norm: 1.0,
            parameter_norm_squared: 0.5,
            layers: vec![layer(1.0, 3, 4, false), layer(1.0, 4, 2, true)],
            delta: 0.1,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: None,
        }
    }

    #[test]
    fn sigma_meets_both_conditions_by_hand() {
        let facts = facts();
        // h = max(3 + 1, 4, 4 + 1, 2) = 5, d = 2: spread = √(10 ln 40).
        assert_eq!(widest(&facts), 5);
        let spread = (10.0 * 40f64.ln()).sqrt();
        // (a): γ/(4e·1·1·2·spread); (b): 1/(2·spread). At γ = 8, (b) binds.
        let limit = (8.0 / (8.0 * std::f64::consts::E * spread)).min(0.5 / spread);
        let sigma = largest_sigma(&facts, 8.0).expect("on the grid");
        assert!(
            sigma <= limit && sigma * 2f64.powf(0.25) > limit,
            "{sigma} vs {limit}"
        );
    }

    #[test]
    fn bound_by_brute_force_over_the_grids() {
        let facts = facts();
        let m = 1e6;
        let union = (6.0 * m * 289.0 * 193.0 / 0.1f64).ln();
        let spread = (10.0 * 40f64.ln()).sqrt();
        let mut values = Vec::new();
        for j in -64..=128 {
            let gamma = 2f64.powf(f64::from(j) / 4.0);
            let limit = (gamma / (8.0 * std::f64::consts::E * spread)).min(0.5 / spread);
            let Some(sigma) = (-256..=32)
                .map(|i| 2f64.powf(f64::from(i) / 4.0))
                .rfind(|&s| s <= limit)
            else {
                continue;
            };
            let loss = if gamma >= 8.0 { 1.0 } else { 0.0 };
            values.push((
                gamma,
                loss + 4.0 * ((0.5 / (2.0 * sigma * sigma) + union) / (m - 1.0)).sqrt(),
            ));
        }
        let best = crate::bounds::rademacher::tests::expected_choice(&values, 8.0);
        let bound = nbs_bound(&facts);
        assert!((bound.value.expect("computed") - best).abs() < 1e-12);
    }

    #[test]
    fn convolutional_networks_are_not_covered() {
        let mut facts = facts();
        facts.fully_connected = false;
        assert!(nbs_bound(&facts).not_applicable.is_some());
    }
}
