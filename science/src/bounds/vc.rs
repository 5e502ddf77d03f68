//! The VC-type bound: counting how many ways a piecewise-linear network can err on m examples.
//!
//! Growth function, by the counting argument of Bartlett, Harvey, Liaw & Mehrabian (JMLR 2019,
//! arXiv 1703.02930, proof of Theorem 7, with their Lemma 17 = Anthony & Bartlett 1999,
//! Thm 8.3): N polynomials of degree ≤ D in V ≤ N variables take at most 2(2eND/V)^V sign
//! patterns (at most 2^N when N < V). Going through the layers, the parameter space is cut into
//! regions where every ReLU (and every max-pool comparison) has a fixed sign on all m examples:
//! in layer i the pre-activations are polynomials of degree ≤ i in the Vᵢ parameters of layers
//! 1..i, m·kᵢ of them (kᵢ units); a 2×2 max-pool adds m·(windows)·6 pairwise comparisons of
//! degree i. The multi-class 0-1 loss 1[argmax f(x) ≠ y] is fixed by the signs of the m(k − 1)
//! differences f_j(x) − f_y(x), polynomials of degree ≤ L in all W parameters. So the loss class
//! G has Π_G(m) ≤ ∏ (each factor), shared convolution weights counted once.
//!
//! Bound (Mohri, Rostamizadeh & Talwalkar 2018, Thm 3.3 with Massart's lemma, Thm 3.7):
//! err ≤ êrr + 2·√(2 ln Π_G(m) / m) + √(ln(1/δ) / (2m)).

use memlab_shared::bounds::Bound;

use super::facts::{Facts, computed, quantity};

const SOURCE: &str = "Growth function of the multi-class 0-1 loss by the region-counting argument of \
Bartlett, Harvey, Liaw & Mehrabian (JMLR 2019, arXiv 1703.02930, proof of Thm 7; Lemma 17 = \
Anthony & Bartlett 1999, Thm 8.3), turned into a bound by Mohri et al. (2018), Thm 3.3 + \
Massart's lemma (Thm 3.7)";

const FORMULA: &str = "êrr + 2·√(2·ln Π_G(m)/m) + √(ln(1/δ)/(2m)), ln Π_G(m) ≤ Σ_layers ln[2·(2e·N·D/V)^V] \
(N polynomials of degree D in V parameters; 2^N when N < V)";

/// ln of the number of sign patterns of `n` polynomials of degree ≤ `degree` in `variables`
/// variables.
pub fn ln_sign_patterns(n: f64, degree: f64, variables: f64) -> f64 {
    if n < variables {
        n * std::f64::consts::LN_2
    } else {
        std::f64::consts::LN_2
            + variables * (2.0 * std::f64::consts::E * n * degree / variables).ln()
    }
}

/// ln Π_G(m) for the network described by `facts`.
pub fn ln_growth(facts: &Facts) -> f64 {
    let m = facts.m as f64;
    let mut total = 0.0;
    let mut variables = 0usize;
    let depth = facts.depth();
    for (index, layer) in facts.layers.iter().enumerate() {
        variables += layer.parameters;
        let degree = (index + 1) as f64;
        let v = variables as f64;
        if layer.is_last {
            let comparisons = m * (facts.classes.saturating_sub(1)) as f64;
            total += ln_sign_patterns(comparisons, depth as f64, v);
        } else {
            total += ln_sign_patterns(m * layer.outputs as f64, degree, v);
            if let Some((windows, size)) = layer.pooling {
                let pairs = (size * (size - 1) / 2) as f64;
                total += ln_sign_patterns(m * windows as f64 * pairs, degree, v);
            }
        }
    }
    total
}

/// The bound for `facts`.
pub fn vc_bound(facts: &Facts) -> Bound {
    let m = facts.m as f64;
    let ln_growth = ln_growth(facts);
    let complexity = 2.0 * (2.0 * ln_growth / m).sqrt();
    let confidence = ((1.0 / facts.delta).ln() / (2.0 * m)).sqrt();
    let value = facts.train_error + complexity + confidence;
    let w = facts.parameters() as f64;
    let l = facts.depth() as f64;
    computed(
        "vc",
        "VC / growth function (piecewise-linear network)",
        value,
        SOURCE,
        FORMULA,
        vec![
            quantity("êrr", "training error", facts.train_error),
            quantity("m", "training examples", m),
            quantity("k", "classes", facts.classes as f64),
            quantity("W", "parameters", w),
            quantity("L", "weight layers", l),
            quantity(
                "ln Π_G(m)",
                "log growth function of the loss class",
                ln_growth,
            ),
            quantity(
                "W·L·ln W",
                "order of the VC dimension (BHLM: Θ(W L log W))",
                w * l * w.ln(),
            ),
            quantity("2√(2 ln Π/m)", "complexity term", complexity),
            quantity("√(ln(1/δ)/2m)", "confidence term", confidence),
            quantity("δ", "confidence parameter", facts.delta),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::facts::LayerFacts;

    fn layer(parameters: usize, outputs: usize, is_last: bool) -> LayerFacts {
        LayerFacts {
            parameters,
            inputs: 0,
            outputs,
            pooling: None,
            spectral: 1.0,
            frobenius: 1.0,
            max_row_norm: 1.0,
            two_one: 1.0,
            two_one_from_init: 1.0,
            is_last,
        }
    }

    #[test]
    fn sign_patterns_by_hand() {
        // 3 polynomials, 5 variables: every one of 2³ patterns may occur.
        assert!((ln_sign_patterns(3.0, 1.0, 5.0) - 8f64.ln()).abs() < 1e-12);
        // N = 10 lines (degree 1) in V = 2 variables: 2(2e·10/2)² = 2(10e)².
        let expected = (2.0 * (10.0 * std::f64::consts::E).powi(2)).ln();
        assert!((ln_sign_patterns(10.0, 1.0, 2.0) - expected).abs() < 1e-12);
    }

    /// A 2 → 3 → 2 network (9 + 8 parameters) on m = 100 examples, written out by hand.
    #[test]
    fn growth_and_bound_by_hand() {
        let facts = Facts {
            m: 100,
            classes: 2,
            train_error: 0.1,
            margins: vec![],
            data_norm: 1.0,
            domain_norm: 1.0,
            parameter_norm_squared: 1.0,
            layers: vec![layer(9, 3, false), layer(8, 2, true)],
            delta: 0.05,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: None,
        };
        let e = std::f64::consts::E;
        // Layer 1: N = 300 pre-activations, degree 1, V = 9.
        let first = 2f64.ln() + 9.0 * (2.0 * e * 300.0 / 9.0).ln();
        // Output: N = 100·(2 − 1) differences, degree 2, V = 17.
        let last = 2f64.ln() + 17.0 * (2.0 * e * 100.0 * 2.0 / 17.0).ln();
        assert!((ln_growth(&facts) - (first + last)).abs() < 1e-9);
        let expected =
            0.1 + 2.0 * (2.0 * (first + last) / 100.0).sqrt() + (20f64.ln() / 200.0).sqrt();
        let bound = vc_bound(&facts);
        assert!((bound.value.expect("computed") - expected).abs() < 1e-12);
        assert!(bound.vacuous, "17 parameters on 100 examples: {expected}");
    }

    #[test]
    fn pooling_adds_the_pairwise_comparisons() {
        let mut with_pool = layer(10, 16, false);
        with_pool.pooling = Some((4, 4));
        let facts = |first: LayerFacts| Facts {
            m: 50,
            classes: 3,
            train_error: 0.0,
            margins: vec![],
            data_norm: 1.0,
            domain_norm: 1.0,
            parameter_norm_squared: 1.0,
            layers: vec![first, layer(15, 3, true)],
            delta: 0.1,
            elementwise_relu: false,
            fully_connected: false,
            linear_head: None,
        };
        let difference = ln_growth(&facts(with_pool)) - ln_growth(&facts(layer(10, 16, false)));
        // 50 examples × 4 windows × 6 pairs, degree 1, 10 variables.
        assert!((difference - ln_sign_patterns(1200.0, 1.0, 10.0)).abs() < 1e-9);
    }
}
