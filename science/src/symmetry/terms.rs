//! The training objective's terms for any transform T on the scored test images (the learned
//! L, the true L*, the known transforms), summed a chunk of images at a time, with Φ's logits on
//! x and T x and the final discriminator's verdicts on T x.

use burn::prelude::*;
use burn::tensor::activation::softplus;
use memlab_shared::model::Discriminator;
use memlab_shared::symmetry::{Objective, SymmetryMode};

use super::{SymmetryInput, cross_entropy, normalize, rows, rows_sum, shortfall};
use crate::probes::{agreement, row_argmax};

/// Running sums over the scored images for one transform.
#[derive(Debug, Default)]
pub(super) struct TermSums {
    /// In `Objective`'s order: ‖Φ(T x) − Φ(x)‖² (before its unit), softplus(−D(T x)), the
    /// non-triviality shortfall, ‖T(T x) − x‖² per value, the fraction of pixels painted.
    sums: [f64; 5],
    /// Φ's logits on x, row after row.
    pub before: Vec<f32>,
    /// Φ's logits on T x.
    pub after: Vec<f32>,
    /// From f with f̂: f̂'s logits on T x (the keep term's).
    kept_logits: Vec<f32>,
    /// How many T x the discriminator calls real (logit > 0).
    pub judged_real: usize,
    /// How many it calls transformed (logit < 0).
    pub judged_transformed: usize,
}

impl TermSums {
    /// Adds a chunk: images `x`, their transforms `moved`, `twice` = T(T x) when the involution
    /// term is measured (its sum is left at 0 otherwise), and `painted`, the chunk's sum of the
    /// fractions of pixels T paints.
    pub fn add(
        &mut self,
        input: &SymmetryInput,
        discriminator: &Discriminator,
        x: &Tensor<4>,
        moved: &Tensor<4>,
        twice: Option<Tensor<4>>,
        painted: f64,
    ) {
        let spec = &input.dataset.info.input;
        let phi_x = input.model.features(normalize(x.clone(), spec));
        let phi_moved = input.model.features(normalize(moved.clone(), spec));
        let diff = phi_moved.clone() - phi_x.clone();
        self.sums[0] += f64::from((diff.clone() * diff).sum().into_scalar::<f32>());
        let judged = discriminator.forward(moved.clone());
        let verdicts = rows(judged.clone());
        self.judged_real += verdicts.iter().filter(|&&v| v > 0.0).count();
        self.judged_transformed += verdicts.iter().filter(|&&v| v < 0.0).count();
        self.sums[1] += rows_sum(softplus(judged.neg(), 1.0).flatten(0, 1));
        self.sums[2] += rows_sum(shortfall(moved.clone(), x.clone(), input.settings));
        if let Some(twice) = twice {
            let back = twice - x.clone();
            self.sums[3] += rows_sum(
                (back.clone() * back)
                    .flatten::<2>(1, 3)
                    .mean_dim(1)
                    .flatten(0, 1),
            );
        }
        self.sums[4] += painted;
        if let (SymmetryMode::FromLabels, Some(label_model)) = (input.mode, input.label_model) {
            self.kept_logits
                .extend(rows(label_model.logits(moved.clone())));
        }
        self.before.extend(rows(input.model.head(phi_x)));
        self.after.extend(rows(input.model.head(phi_moved)));
    }

    /// Σ‖Φ(T x) − Φ(x)‖² over the images added.
    pub fn feature_distance(&self) -> f64 {
        self.sums[0]
    }

    /// The objective's means over the images added (`labels`, theirs): the keep term is the
    /// feature distance over `feature_spread` (from Φ) or the cross-entropy of the true labels
    /// on T x (from f: through f̂ when the input has one, else Φ's head).
    pub fn objective(
        &self,
        input: &SymmetryInput,
        labels: &[usize],
        feature_spread: f64,
    ) -> Objective {
        let n = labels.len().max(1) as f64;
        let classes = input.dataset.info.class_names.len();
        let mut sums = self.sums;
        sums[0] = match input.mode {
            SymmetryMode::FromPhi => sums[0] / feature_spread,
            SymmetryMode::FromLabels if input.label_model.is_some() => {
                cross_entropy(&self.kept_logits, classes, labels) * n
            }
            SymmetryMode::FromLabels => cross_entropy(&self.after, classes, labels) * n,
        };
        Objective::from_terms(input.settings, sums.map(|sum| sum / n))
    }

    /// P[argmax Φ(T x) = argmax Φ(x)] over the images added.
    pub fn prediction_kept(&self, classes: usize) -> f64 {
        agreement(
            &row_argmax(&self.after, classes),
            &row_argmax(&self.before, classes),
        )
    }
}
