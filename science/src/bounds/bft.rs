//! The spectrally-normalized margin bound of Bartlett, Foster & Telgarsky (NeurIPS 2017,
//! arXiv 1706.08498), with every constant of its proof written out.
//!
//! Lemma 3.1: with probability ≥ 1 − δ, P(error) ≤ R̂_γ(f) + 2·Rad(F_γ|S) + 3√(ln(1/δ)/(2n)).
//! Theorem 3.3 (covering of the network class with ‖A_i‖_σ ≤ s_i, ‖A_iᵀ − M_iᵀ‖₂,₁ ≤ b_i,
//! ρ_i-Lipschitz activations with σ_i(0) = 0, every matrix at most W wide):
//! ln N(H_X, ε, ‖·‖₂) ≤ ‖X‖₂² ln(2W²) R² / ε², R = ∏ s_j ρ_j · (Σ (b_i/s_i)^(2/3))^(3/2).
//! The ramp loss after the margin operator is (2/γ)-Lipschitz from ‖·‖₂ (|M(v) − M(v')| ≤
//! 2‖v − v'‖_∞), so ln N(F_γ|S, ε) ≤ 4‖X‖₂² ln(2W²) R² / (γ² ε²). Dudley's entropy integral
//! (BFT Lemma A.5) with α = 1/√n: Rad ≤ 4/n + (12/n)·(2‖X‖₂√ln(2W²) R/γ)·ln n. Hence
//!
//! P(error) ≤ R̂_γ + 8/n + 48·ln(n)·√ln(2W²)·‖X‖₂·R/(γn) + 3√(ln(N/δ)/(2n)),
//!
//! where s_i, b_i and γ are rounded up to a 2^(1/4) grid of 193 values chosen before the data,
//! N = 193^(2L+1) (a union bound). ReLU and ReLU-then-max-pool are 1-Lipschitz with σ(0) = 0
//! (BFT Appendix A.1), so ρ_i = 1 and convolutions count as their dense matrices on the real
//! input size. Biases: a constant input 1 (see [`super::network`]).

use memlab_shared::bounds::Bound;

use super::facts::{Facts, computed, not_applicable, quantity};
use super::grid::NORMS;
use super::margin::{choose_margin, ramp_loss};

/// The reference matrices M_i.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// M_i = 0.
    Zero,
    /// M_i = the layer's random initialization (data-free).
    Init,
}

const SOURCE: &str = "Bartlett, Foster & Telgarsky (NeurIPS 2017, arXiv 1706.08498): Lemma 3.1 + \
Thm 3.3 + Dudley integral (Lemma A.5, α = 1/√n), ramp loss 2/γ-Lipschitz; union bound over a \
2^(1/4) grid of s_i, b_i, γ";

const FORMULA: &str = "R̂_γ + 8/n + 48·ln(n)·√(ln(2W²))·‖X'‖₂·R_A/(γ·n) + 3·√(ln(193^(2L+1)/δ)/(2n)), \
R_A = ∏ s_i · (Σ (b_i/s_i)^(2/3))^(3/2)";

/// Widest side W of any matrix A'_i (inputs + 1; outputs + 1 for hidden layers).
pub fn widest(facts: &Facts) -> usize {
    facts
        .layers
        .iter()
        .map(|layer| (layer.inputs + 1).max(layer.outputs + usize::from(!layer.is_last)))
        .max()
        .unwrap_or(1)
}

/// The spectral complexity R_A of rounded norms `spectral` (s_i) and `two_one` (b_i).
pub fn spectral_complexity(spectral: &[f64], two_one: &[f64]) -> f64 {
    let product: f64 = spectral.iter().product();
    let sum: f64 = spectral
        .iter()
        .zip(two_one)
        .map(|(s, b)| (b / s).powf(2.0 / 3.0))
        .sum();
    product * sum.powf(1.5)
}

/// The bound with reference matrices `reference`.
pub fn bft_bound(reference: Reference, facts: &Facts) -> Bound {
    let (key, name) = match reference {
        Reference::Zero => (
            "bft_zero",
            "Spectrally-normalized margin (BFT), reference 0",
        ),
        Reference::Init => (
            "bft_init",
            "Spectrally-normalized margin (BFT), reference = initialization",
        ),
    };
    let mut spectral = Vec::new();
    let mut two_one = Vec::new();
    let mut inputs = Vec::new();
    for (index, layer) in facts.layers.iter().enumerate() {
        let b = match reference {
            Reference::Zero => layer.two_one,
            Reference::Init => layer.two_one_from_init,
        };
        let (Some(s), Some(b)) = (NORMS.round_up(layer.spectral), NORMS.round_up(b)) else {
            return not_applicable(
                key,
                name,
                SOURCE,
                FORMULA,
                format!("layer {} has a norm off the grid", index + 1),
            );
        };
        inputs.push(quantity(
            &format!("s_{}", index + 1),
            "‖A'‖_σ rounded up",
            s,
        ));
        inputs.push(quantity(
            &format!("b_{}", index + 1),
            match reference {
                Reference::Zero => "‖A'ᵀ‖₂,₁ rounded up",
                Reference::Init => "‖(A' − M')ᵀ‖₂,₁ rounded up",
            },
            b,
        ));
        spectral.push(s);
        two_one.push(b);
    }
    let n = facts.m as f64;
    let w = widest(facts) as f64;
    let complexity = spectral_complexity(&spectral, &two_one);
    let slope = 48.0 * n.ln() * (2.0 * w * w).ln().sqrt() * facts.data_norm * complexity / n;
    let cells = NORMS.ln_len() * (2 * facts.depth() + 1) as f64;
    let confidence = 3.0 * (((1.0 / facts.delta).ln() + cells) / (2.0 * n)).sqrt();
    let choice = choose_margin(NORMS.values(), &facts.margins, |gamma| {
        let loss = ramp_loss(&facts.margins, gamma);
        Some((loss + 8.0 / n + slope / gamma + confidence, loss))
    });
    let Some(choice) = choice else {
        return not_applicable(key, name, SOURCE, FORMULA, "no margin on the grid".into());
    };
    inputs.extend([
        quantity("R_A", "spectral complexity", complexity),
        quantity("γ", choice.rule, choice.gamma),
        quantity("R̂_γ", "ramp margin loss on the training set", choice.detail),
        quantity(
            "min over γ",
            "smallest value over every grid margin",
            choice.smallest,
        ),
        quantity(
            "‖X'‖₂",
            "√(Σ ‖xᵢ‖² + n) over training inputs",
            facts.data_norm,
        ),
        quantity("W", "widest matrix side", w),
        quantity("n", "training examples", n),
        quantity(
            "complexity",
            "48 ln(n) √ln(2W²) ‖X'‖₂ R_A/(γ n)",
            slope / choice.gamma,
        ),
        quantity("confidence", "3√(ln(N/δ)/(2n)), N = 193^(2L+1)", confidence),
        quantity("δ", "confidence parameter", facts.delta),
    ]);
    computed(key, name, choice.value, SOURCE, FORMULA, inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::facts::LayerFacts;

    #[test]
    fn spectral_complexity_by_hand() {
        // s = (2, 4), b = (2, 32): ∏ s = 8, Σ (b/s)^(2/3) = 1 + 4 = 5, R = 8 · 5^(3/2).
        let r = spectral_complexity(&[2.0, 4.0], &[2.0, 32.0]);
        assert!((r - 8.0 * 5f64.powf(1.5)).abs() < 1e-9);
        // One layer: R = s (b/s) = b.
        assert!((spectral_complexity(&[3.0], &[7.0]) - 7.0).abs() < 1e-12);
    }

    #[test]
    fn bound_by_hand() {
        let layer = |spectral: f64, two_one: f64, is_last: bool| LayerFacts {
            parameters: 6,
            inputs: 2,
            outputs: 3,
            pooling: None,
            spectral,
            frobenius: 1.0,
            max_row_norm: 1.0,
            two_one,
            two_one_from_init: two_one / 2.0,
            is_last,
        };
        let facts = Facts {
            m: 10_000,
            classes: 3,
            train_error: 0.0,
            margins: vec![16.0; 10_000],
            data_norm: 100.0,
            domain_norm: 1.0,
            parameter_norm_squared: 1.0,
            layers: vec![layer(2.0, 4.0, false), layer(1.0, 2.0, true)],
            delta: 0.01,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: None,
        };
        // W = max(2 + 1, 3 + 1, 2 + 1, 3) = 4; R = 2·1·((4/2)^(2/3) + (2/1)^(2/3))^(3/2).
        assert_eq!(widest(&facts), 4);
        let r = 2.0 * (2.0 * 2f64.powf(2.0 / 3.0)).powf(1.5);
        let n = 10_000f64;
        let slope = 48.0 * n.ln() * 32f64.ln().sqrt() * 100.0 * r / n;
        let confidence = 3.0 * ((100f64.ln() + 5.0 * 193f64.ln()) / (2.0 * n)).sqrt();
        let values: Vec<(f64, f64)> = (-64..=128)
            .map(|j| {
                let gamma = 2f64.powf(f64::from(j) / 4.0);
                let loss = (1.0 - 16.0 / gamma).clamp(0.0, 1.0);
                (gamma, loss + 8.0 / n + slope / gamma + confidence)
            })
            .collect();
        let best = crate::bounds::rademacher::tests::expected_choice(&values, 16.0);
        let bound = bft_bound(Reference::Zero, &facts);
        assert!((bound.value.expect("computed") - best).abs() < 1e-12);
        // Halving every b_i lowers R_A by 2, hence the bound.
        assert!(bft_bound(Reference::Init, &facts).value < bound.value);
    }
}
