//! The Replications page's science: each published claim the research proposal rests on
//! ([`catalog`]), and for each a function that reads memlab's own runs (plain numbers: training
//! curves, bound panels, symmetry scores) and returns memlab's number, the verdict under the
//! stated tolerance and a plot. The server finds the runs; nothing here is typed in.
//!
//! - [`randomization`]: Zhang et al. 2017 (fitting random labels; bounds against p).
//! - [`certificates`]: Dziugaite & Roy 2017, Pérez-Ortiz et al. 2021, Nagarajan & Kolter 2019,
//!   Jiang et al. 2020.
//! - [`encoders`]: Thiry et al. 2021 (whitened patches), scattering.
//! - [`symmetry`]: the learned symmetry on Glasses.
//! - [`rank`]: Kendall's τ_b.

pub mod catalog;
pub mod certificates;
pub mod encoders;
pub mod randomization;
pub mod rank;
pub mod symmetry;

use memlab_shared::bounds::BoundPanel;

/// One finished training run of a grid: the grid value `x` (p, n, ε, Q …), whether it lies on
/// the grid's curve, and its accuracies.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The grid value.
    pub x: f64,
    /// On the curve (input variants and references are extra points).
    pub on_grid: bool,
    /// Training accuracy after each epoch, from epoch 1.
    pub train_accuracy: Vec<f64>,
    /// Final test accuracy.
    pub test_accuracy: f64,
}

/// A finished bound panel at grid value `x`, reduced to what the claims read.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The grid value.
    pub x: f64,
    /// Classes of the task.
    pub classes: usize,
    /// Training error of the trained network.
    pub train_error: f64,
    /// Test error of the trained network.
    pub test_error: f64,
    /// Each computed bound: key and value.
    pub bounds: Vec<(String, f64)>,
}

impl Panel {
    /// The panel `panel` at grid value `x`.
    pub fn of(x: f64, panel: &BoundPanel) -> Self {
        Self {
            x,
            classes: panel.n_classes,
            train_error: panel.train_error,
            test_error: panel.test_error,
            bounds: panel
                .bounds
                .iter()
                .filter_map(|bound| bound.value.map(|v| (bound.key.clone(), v)))
                .collect(),
        }
    }

    /// The value of bound `key`, when computed.
    pub fn value(&self, key: &str) -> Option<f64> {
        self.bounds
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, value)| value)
    }

    /// The error of guessing, 1 − 1/K: a bound at or above it says nothing.
    pub fn chance_error(&self) -> f64 {
        1.0 - 1.0 / self.classes.max(1) as f64
    }

    /// The smaller optimized PAC-Bayes certificate (`dr`: data-free prior, `dr_data`:
    /// data-dependent), when one was computed.
    pub fn certificate(&self) -> Option<f64> {
        [self.value("dr"), self.value("dr_data")]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }
}
