//! The keep term as a differentiable loss on a batch, shared by the game and the distillation
//! of the latent-reflection edit: from Φ, ‖Φ(L x) − Φ(x)‖² over the features' spread (Φ(x)
//! held fixed); from f, the cross-entropy of the true labels on L x through f̂ (Φ's head when
//! no f̂ is given).

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::prelude::*;
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::InputSpec;
use memlab_shared::symmetry::SymmetryMode;

use super::label_model::LabelModel;
use super::{SymmetryInput, normalize};

/// What L must keep, on the autodiff device L trains on.
pub(super) struct KeepTerm {
    /// Φ, forked onto the autodiff device (its weights never trained here).
    phi: Classifier,
    /// f̂ when the mode is "from f" and one is given.
    label_model: Option<LabelModel>,
    /// From Φ or from f.
    mode: SymmetryMode,
    /// E‖Φ(x) − Φ(x′)‖², the from-Φ term's unit.
    feature_spread: f64,
    /// Φ's input normalization.
    spec: InputSpec,
    /// The from-f term's loss.
    cross_entropy: CrossEntropyLoss,
    /// The autodiff device.
    device: Device,
}

impl KeepTerm {
    /// The keep term of `input` on `autodiff` (an autodiff device), with the from-Φ unit
    /// `feature_spread`.
    pub fn new(input: &SymmetryInput, autodiff: &Device, feature_spread: f64) -> Self {
        Self {
            phi: input.model.clone().fork(autodiff),
            label_model: input.label_model.map(|label_model| LabelModel {
                spec: label_model.spec.clone(),
                model: label_model.model.clone().fork(autodiff),
            }),
            mode: input.mode,
            feature_spread,
            spec: input.dataset.info.input.clone(),
            cross_entropy: CrossEntropyLossConfig::new().init(autodiff),
            device: autodiff.clone(),
        }
    }

    /// The batch mean of the term for images `x`, their transforms `moved` and the true
    /// `labels` of `x` (read from f only).
    pub fn loss(&self, x: Tensor<4>, moved: Tensor<4>, labels: &[u8]) -> Tensor<1> {
        match self.mode {
            SymmetryMode::FromPhi => {
                let before = self.phi.features(normalize(x, &self.spec)).detach();
                let after = self.phi.features(normalize(moved, &self.spec));
                let diff = after - before;
                (diff.clone() * diff).sum_dim(1).mean() / self.feature_spread
            }
            SymmetryMode::FromLabels => {
                let labels: Vec<i64> = labels.iter().map(|&label| i64::from(label)).collect();
                let count = labels.len();
                let targets =
                    Tensor::<1, Int>::from_data(TensorData::new(labels, [count]), &self.device);
                let logits = match &self.label_model {
                    Some(label_model) => label_model.logits(moved),
                    None => self.phi.forward(normalize(moved, &self.spec)),
                };
                self.cross_entropy.forward(logits, targets)
            }
        }
    }
}
