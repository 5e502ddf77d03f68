//! Norm-based Rademacher margin bounds for fully connected ReLU networks: Golowich, Rakhlin &
//! Shamir (COLT 2018) and, for contrast, Neyshabur, Tomioka & Srebro (COLT 2015).
//!
//! Multi-class margin bound (Mohri, Rostamizadeh & Talwalkar, *Foundations of ML*, 2nd ed. 2018,
//! Thm 9.2, empirical-Rademacher form): for a fixed class H and margin ρ, with probability ≥ 1 − δ,
//! R(h) ≤ R̂_ρ(h) + (4k/ρ)·R̂_S(Π₁(H)) + 3√(ln(2/δ)/(2m)), where Π₁(H) = {x ↦ h(x)_y} are the
//! scalar networks ending in one row of the last layer, and R̂_ρ is the ramp margin loss.
//!
//! Rademacher complexity of depth-L networks whose layer j has ‖W_j‖_F ≤ M_j, 1-Lipschitz,
//! positive-homogeneous element-wise activations, no biases:
//! - GRS Thm 1: R̂_S ≤ (√(2 ln 2 · L) + 1)·∏ M_j·√(Σᵢ‖xᵢ‖²)/m;
//! - NTS Thm 1 (p = q = 2, so the width factor H^[1/p* − 1/q]₊ = 1): R̂_S ≤ 2^(L−1)·∏ M_j·√(Σᵢ‖xᵢ‖²)/m;
//! - at L = 1 (a linear head on fixed features) the class is linear: factor 1 for both.
//!
//! Biases: the bias-free network on x' = (x, 1) with A'_j = [[A_j, b_j], [0, 1]] computes the same
//! function, so M_j bounds ‖A'_j‖_F, and the last layer's row (with its bias) bounds Π₁. The class
//! is fixed before seeing data by rounding every M_j and ρ up to a grid ([`super::grid::NORMS`]):
//! a union bound over the grid replaces δ by δ / 193^(L+1).

use memlab_shared::bounds::Bound;

use super::facts::{Facts, computed, not_applicable, quantity};
use super::grid::NORMS;
use super::margin::{choose_margin, ramp_loss};

/// Which Rademacher bound on the network class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormBound {
    /// Golowich, Rakhlin & Shamir 2018.
    Grs,
    /// Neyshabur, Tomioka & Srebro 2015.
    Nts,
}

impl NormBound {
    fn key(self) -> &'static str {
        match self {
            Self::Grs => "grs",
            Self::Nts => "nts",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Grs => "Norm-based Rademacher (Golowich–Rakhlin–Shamir)",
            Self::Nts => "Norm-based Rademacher (Neyshabur–Tomioka–Srebro)",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Self::Grs => {
                "Golowich, Rakhlin & Shamir (COLT 2018, arXiv 1712.06541), Thm 1; multi-class margin \
                 bound: Mohri et al. (2018), Thm 9.2; biases as a constant input; union bound over a \
                 2^(1/4) grid of norms and margins"
            }
            Self::Nts => {
                "Neyshabur, Tomioka & Srebro (COLT 2015, arXiv 1503.00036), Thm 1 with p = q = 2; \
                 multi-class margin bound: Mohri et al. (2018), Thm 9.2; biases as a constant input; \
                 union bound over a 2^(1/4) grid of norms and margins"
            }
        }
    }

    fn formula(self) -> &'static str {
        match self {
            Self::Grs => {
                "R̂_ρ + (4k/ρ)·(√(2·ln2·L) + 1)·∏ M_j·‖X'‖₂/m + 3·√(ln(2·193^(L+1)/δ)/(2m))"
            }
            Self::Nts => "R̂_ρ + (4k/ρ)·2^(L−1)·∏ M_j·‖X'‖₂/m + 3·√(ln(2·193^(L+1)/δ)/(2m))",
        }
    }

    /// The depth factor multiplying ∏ M_j ‖X'‖₂ / m. At depth 1 the class is linear,
    /// {x ↦ ⟨w, x⟩ : ‖w‖₂ ≤ M}, whose empirical Rademacher complexity is at most M ‖X‖₂ / m
    /// (Cauchy–Schwarz and Jensen; Mohri et al. 2018, Thm 5.10): factor 1 for both, where GRS's
    /// general √(2 ln 2 · L) + 1 would charge 2.18.
    pub fn depth_factor(self, depth: usize) -> f64 {
        let l = depth as f64;
        if depth <= 1 {
            return 1.0;
        }
        match self {
            Self::Grs => (2.0 * std::f64::consts::LN_2 * l).sqrt() + 1.0,
            Self::Nts => 2f64.powf(l - 1.0),
        }
    }
}

/// The bound of `kind` for `facts`.
pub fn norm_bound(kind: NormBound, facts: &Facts) -> Bound {
    let (key, name, source, formula) = (kind.key(), kind.name(), kind.source(), kind.formula());
    if !facts.elementwise_relu {
        return not_applicable(
            key,
            name,
            source,
            formula,
            "the theorem needs element-wise activations; this network max-pools".into(),
        );
    }
    let mut product = 1.0;
    let mut inputs = Vec::new();
    for (index, layer) in facts.layers.iter().enumerate() {
        let norm = if layer.is_last {
            layer.max_row_norm
        } else {
            layer.frobenius
        };
        let Some(rounded) = NORMS.round_up(norm) else {
            return not_applicable(
                key,
                name,
                source,
                formula,
                format!("layer {} norm {norm} is off the grid", index + 1),
            );
        };
        product *= rounded;
        let symbol = format!("M_{}", index + 1);
        let what = if layer.is_last {
            "largest ‖row‖₂ of the last layer (with bias), rounded up"
        } else {
            "‖A'‖_F (with bias and constant unit), rounded up"
        };
        inputs.push(quantity(&symbol, what, rounded));
    }
    let m = facts.m as f64;
    let k = facts.classes as f64;
    let rademacher = kind.depth_factor(facts.depth()) * product * facts.data_norm / m;
    let cells = NORMS.ln_len() * (facts.depth() + 1) as f64;
    let confidence = 3.0 * (((2.0 / facts.delta).ln() + cells) / (2.0 * m)).sqrt();
    let choice = choose_margin(NORMS.values(), &facts.margins, |rho| {
        let loss = ramp_loss(&facts.margins, rho);
        Some((loss + 4.0 * k / rho * rademacher + confidence, loss))
    });
    let Some(choice) = choice else {
        return not_applicable(key, name, source, formula, "no margin on the grid".into());
    };
    inputs.extend([
        quantity("ρ", choice.rule, choice.gamma),
        quantity("R̂_ρ", "ramp margin loss on the training set", choice.detail),
        quantity(
            "min over ρ",
            "smallest value over every grid margin",
            choice.smallest,
        ),
        quantity(
            "‖X'‖₂",
            "√(Σ ‖xᵢ‖² + m) over training inputs",
            facts.data_norm,
        ),
        quantity("∏ M_j", "product of layer norms", product),
        quantity("R̂_S(Π₁H)", "Rademacher complexity bound", rademacher),
        quantity("k", "classes", k),
        quantity("m", "training examples", m),
        quantity("L", "weight layers", facts.depth() as f64),
        quantity("confidence", "3√(ln(2N/δ)/(2m)), N = 193^(L+1)", confidence),
        quantity("δ", "confidence parameter", facts.delta),
    ]);
    computed(key, name, choice.value, source, formula, inputs)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bounds::facts::LayerFacts;

    fn layer(frobenius: f64, max_row_norm: f64, is_last: bool) -> LayerFacts {
        LayerFacts {
            parameters: 4,
            inputs: 2,
            outputs: 2,
            pooling: None,
            spectral: 1.0,
            frobenius,
            max_row_norm,
            two_one: 1.0,
            two_one_from_init: 1.0,
            is_last,
        }
    }

    fn facts() -> Facts {
        Facts {
            m: 1000,
            classes: 2,
            train_error: 0.0,
            // Half the margins at 4, half at 8.
            margins: [4.0, 8.0].repeat(500),
            data_norm: 50.0,
            domain_norm: 2.0,
            parameter_norm_squared: 1.0,
            // Norms already on the grid: 2 and 4.
            layers: vec![layer(2.0, 9.0, false), layer(9.0, 4.0, true)],
            delta: 0.05,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: None,
        }
    }

    /// Two layers, norms on the grid: the bound at every grid ρ, minimized by brute force.
    #[test]
    fn grs_by_hand() {
        let facts = facts();
        let product = 2.0 * 4.0;
        let rademacher = ((2.0 * 2f64.ln() * 2.0).sqrt() + 1.0) * product * 50.0 / 1000.0;
        let confidence = 3.0 * ((40f64.ln() + 3.0 * 193f64.ln()) / 2000.0).sqrt();
        let values: Vec<(f64, f64)> = (-64..=128)
            .map(|j| {
                let rho = 2f64.powf(f64::from(j) / 4.0);
                let ramp = |margin: f64| (1.0 - margin / rho).clamp(0.0, 1.0);
                let loss = (ramp(4.0) + ramp(8.0)) / 2.0;
                (rho, loss + 4.0 * 2.0 / rho * rademacher + confidence)
            })
            .collect();
        let best = expected_choice(&values, 4.0);
        let bound = norm_bound(NormBound::Grs, &facts);
        assert!((bound.value.expect("computed") - best).abs() < 1e-12);
    }

    /// The rule of `choose_margin` written out: the minimum if ≤ 1, else the minimum over
    /// margins ≤ the 10 % quantile `cap`.
    pub(crate) fn expected_choice(values: &[(f64, f64)], cap: f64) -> f64 {
        let smallest = values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
        if smallest <= 1.0 {
            return smallest;
        }
        values
            .iter()
            .filter(|v| v.0 <= cap)
            .map(|v| v.1)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn nts_pays_two_to_the_depth() {
        assert_eq!(NormBound::Nts.depth_factor(3), 4.0);
        // A linear class: ‖w‖ ≤ M, R̂_S ≤ M‖X‖/m, for both (GRS's general factor would be 2.18).
        assert_eq!(NormBound::Grs.depth_factor(1), 1.0);
        assert_eq!(NormBound::Nts.depth_factor(1), 1.0);
        assert!((NormBound::Grs.depth_factor(2) - ((4.0 * 2f64.ln()).sqrt() + 1.0)).abs() < 1e-12);
        let mut pooled = facts();
        pooled.elementwise_relu = false;
        assert!(norm_bound(NormBound::Nts, &pooled).value.is_none());
    }
}
