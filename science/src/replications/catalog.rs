//! The published claims the Replications page checks: for each, the paper, where in it, the
//! claim, the paper's number, the tolerance memlab reads its runs with, and the size memlab runs
//! it at. memlab's numbers are filled in by the server from its runs, never here.

use memlab_shared::replications::Replication;

use super::encoders::SCATTERING_ERROR;
use super::randomization::{FIT_ACCURACY, SMALL_FACTOR};
use super::symmetry::{KEPT, TOGGLED};

/// The study, experiment or analysis a claim's runs are found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The latest finished randomization study.
    Randomization,
    /// The latest finished sample-size study.
    SampleSize,
    /// The latest finished whitening ablation.
    PatchWhitening,
    /// The latest finished atoms ablation.
    PatchAtoms,
    /// Every bound panel on MNIST with an optimized certificate.
    Certificates,
    /// Every finished scattering run on MNIST.
    Scattering,
    /// Every learned symmetry on a Glasses run.
    Symmetry,
}

/// A claim, its source of runs and whether the page can queue them (the symmetry needs a
/// Glasses run first, so it is queued from that run's page).
pub struct Claim {
    /// The row without memlab's numbers.
    pub row: Replication,
    /// Where its runs are found.
    pub source: Source,
}

#[allow(clippy::too_many_arguments)]
fn claim(
    key: &str,
    paper: &str,
    source_text: &str,
    text: &str,
    paper_value: &str,
    tolerance: String,
    size: &str,
    source: Source,
) -> Claim {
    Claim {
        row: Replication {
            key: key.into(),
            paper: paper.into(),
            source: source_text.into(),
            claim: text.into(),
            paper_value: paper_value.into(),
            tolerance,
            size: size.into(),
            measured: None,
            evidence: Vec::new(),
            runnable: source != Source::Symmetry,
        },
        source,
    }
}

/// Every claim, in the page's order.
pub fn claims() -> Vec<Claim> {
    vec![
        claim(
            "zhang-fit",
            "Zhang et al. 2017",
            "Figure 1a–b",
            "A network fits every randomization (labels corrupted with probability p, shuffled and random pixels, Gaussian inputs) to 100 % training accuracy; the time to fit grows by a small factor with p.",
            "100 % training accuracy on every variant (CIFAR-10, Inception); slowdown by a small constant factor",
            format!(
                "every run ≥ {:.0} % training accuracy; epochs to fit at the largest p / at p = 0 in [1, {SMALL_FACTOR}]",
                100.0 * FIT_ACCURACY
            ),
            "MNIST, MLP, a few thousand examples (the paper: CIFAR-10, 50 000)",
            Source::Randomization,
        ),
        claim(
            "zhang-bounds",
            "Zhang et al. 2017; Bartlett et al. 2017",
            "Zhang §2; Bartlett Figure 2",
            "On random labels the spectral complexity is larger and grows with p; bounds say nothing at p = 1 and (optimized PAC-Bayes) something at p = 0.",
            "spectral complexity grows with the label noise; a good bound is vacuous at p = 1 and not at p = 0",
            "BFT's bound rises with p (Kendall τ > 0); every bound ≥ the chance error at p = 1; an optimized certificate below it at p = 0".into(),
            "the randomization study's grid, with its bound panels",
            Source::Randomization,
        ),
        claim(
            "dziugaite-roy",
            "Dziugaite & Roy 2017",
            "Table 1",
            "An optimized PAC-Bayes bound on a stochastic network trained by SGD is non-vacuous on MNIST.",
            "0.16–0.22 on binary MNIST (0–4 against 5–9), 600-unit MLPs",
            "certificate < 1".into(),
            "10-class MNIST, the runs' own networks (the paper: binary MNIST, 55 000 examples)",
            Source::Certificates,
        ),
        claim(
            "perez-ortiz",
            "Pérez-Ortiz et al. 2021",
            "MNIST results",
            "A prior trained on a disjoint part of the data tightens the certificate.",
            "≈ 0.02 on MNIST with a data-dependent prior (value unverified here)",
            "the data-dependent certificate below the data-free one on every network with both".into(),
            "networks with both optimized certificates",
            Source::Certificates,
        ),
        claim(
            "nagarajan-kolter",
            "Nagarajan & Kolter 2019",
            "Figure 1",
            "Norm- and spectral-based bounds do not fall (they even grow) with the training-set size m, while the test error falls.",
            "bounds grow with m on MNIST while the test error falls",
            format!(
                "test error falls with m (Kendall τ < 0) and BFT's bound at the largest m ≥ {} × its value at the smallest",
                super::certificates::NOT_FALLING
            ),
            "MNIST, a sample-size study over a few m (the paper: up to 60 000)",
            Source::SampleSize,
        ),
        claim(
            "jiang",
            "Jiang et al. 2020",
            "correlation with the generalization gap",
            "Over runs that differ in one hyperparameter, PAC-Bayes-type measures rank the runs by their generalization gap best; norm-based ones poorly.",
            "PAC-Bayes / sharpness measures correlate best with the gap, spectral and norm measures poorly",
            "the best PAC-Bayes-type measure's Kendall τ with the gap above the best norm-based one's".into(),
            "the sample-size study's runs (the paper: thousands of CIFAR-10/SVHN networks)",
            Source::SampleSize,
        ),
        claim(
            "thiry-whitening",
            "Thiry et al. 2021",
            "whitening ablation",
            "Whitening the patches helps the whitened-patch model.",
            "82.7 % at ε = 10⁻³ against 81.3 % at ε = 0 (CIFAR-10); ImageNet 64 px: 33.2 % against 13.8 % without whitening",
            "the best ε > 0 at least as accurate as ε = 0 and above no whitening".into(),
            "a whitening ablation on the chosen data set (the paper: CIFAR-10, Q = 2048)",
            Source::PatchWhitening,
        ),
        claim(
            "thiry-atoms",
            "Thiry et al. 2021",
            "dictionary-size ablation",
            "Accuracy grows with the number of atoms Q.",
            "Q 512 → 4096: 78.5 % → 83.8 % (CIFAR-10)",
            "accuracy rises with Q (Kendall τ > 0, the largest Q above the smallest)".into(),
            "an atoms ablation on the chosen data set, Q up to a few hundred (the paper: up to 64 k)",
            Source::PatchAtoms,
        ),
        claim(
            "scattering",
            "Oyallon et al. 2017; Bruna & Mallat 2013",
            "MNIST",
            "A fixed scattering encoder with a simple head classifies MNIST; memlab's scattering coefficients equal Kymatio's (checked in CI to 10⁻⁵ relative).",
            "0.43 % test error with a Gaussian-kernel SVM (Bruna & Mallat)",
            format!(
                "test error ≤ {:.2} % with memlab's linear head",
                100.0 * SCATTERING_ERROR
            ),
            "MNIST, J = 2 scattering and a linear head",
            Source::Scattering,
        ),
        claim(
            "glasses-symmetry",
            "memlab (the research proposal's Figure 1)",
            "issue 19",
            "A learned non-linear symmetry L_θ, found without glasses labels, toggles the glasses and keeps identity on Glasses.",
            "the proposal's question: can L be estimated from f? from Φ?",
            format!(
                "on → off and off → on ≥ {TOGGLED}, identity and Φ kept ≥ {KEPT}, each mode"
            ),
            "Glasses (40 identities, 4 000 training faces), LeNet",
            Source::Symmetry,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At least nine claims, each key once, none measured here.
    #[test]
    fn the_catalog_lists_each_claim_once() {
        let claims = claims();
        assert!(claims.len() >= 9);
        let mut keys: Vec<&str> = claims.iter().map(|c| c.row.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), claims.len());
        assert!(claims.iter().all(|c| c.row.measured.is_none()));
    }
}
