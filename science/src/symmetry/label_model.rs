//! The classifier f̂ of the "from f" mode: a LeNet trained apart from Φ (its own seed, the known
//! nuisances as augmentation) on the training images and their true labels. The from-f keep
//! term asks that f̂ still gives L x the true label of x, so the mode no longer reads Φ's own
//! head and can disagree with the from-Φ mode.

use burn::prelude::*;
use memlab_shared::api::{Augmentation, ExperimentConfig, ModelKind, OptimizerKind};
use memlab_shared::model::Classifier;
use memlab_shared::preprocess::InputSpec;
use memlab_shared::symmetry::LabelModelReport;

use super::{SymmetryInput, normalize, pixels_tensor, rows, seeded_subset};
use crate::data::Dataset;
use crate::probes::{agreement, row_argmax};
use crate::run;

/// Training images f̂ sees at most (a seeded subset of a larger set).
const MAX_IMAGES: usize = 8000;
/// Image presentations its training aims at (epochs = this over the images, within bounds).
const PRESENTATIONS: usize = 60_000;

/// f̂ with the input normalization it was trained with.
#[derive(Debug, Clone)]
pub struct LabelModel {
    /// How its inputs are normalized.
    pub spec: InputSpec,
    /// The network.
    pub model: Classifier,
}

impl LabelModel {
    /// Its logits on `images` (`[n, c, h, w]`, values in `[0, 1]`).
    pub fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        self.model.forward(normalize(images, &self.spec))
    }
}

/// Epochs for `n` training images: about [`PRESENTATIONS`] presentations, 3 to 15 epochs.
fn epochs_for(n: usize) -> usize {
    PRESENTATIONS.div_ceil(n.max(1)).clamp(3, 15)
}

/// Trains f̂ for `input`'s data set (deterministic for `seed`) and says how it does on the test
/// split and how often it agrees with Φ there.
pub(super) fn train(
    input: &SymmetryInput,
    seed: u64,
) -> Result<(LabelModel, LabelModelReport), String> {
    let full = &input.dataset.train;
    let (chosen, train) = seeded_subset(full, MAX_IMAGES, seed ^ 0x0f_4a7);
    let info = &input.dataset.info;
    let dataset = Dataset::new(
        "label-model",
        "the training images with their true labels".into(),
        [info.input.channels, info.input.height, info.input.width],
        info.class_names.clone(),
        train,
        input.dataset.test.clone(),
    );
    let augmentation = Augmentation {
        rotation: 8.0,
        translation: 1.0,
        ..Default::default()
    };
    let epochs = epochs_for(chosen.len());
    let run = ExperimentConfig {
        name: None,
        dataset: dataset.info.name.clone(),
        model: ModelKind::Lenet,
        n_train: None,
        epochs,
        seed: seed ^ 0x00f0_0f00,
        learning_rate: 1e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation,
        patches: Default::default(),
        scattering: Default::default(),
    };
    let outcome = run::train(&dataset, &run, input.device, &mut |_| {})
        .map_err(|error| format!("training f̂: {error}"))?;
    let label_model = LabelModel {
        spec: dataset.info.input.clone(),
        model: outcome.model,
    };
    let test = &input.dataset.test;
    let classes = info.class_names.len();
    let (mut own, mut phi) = (Vec::new(), Vec::new());
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(200) {
        let x = pixels_tensor(test, &info.input, chunk, input.device);
        own.extend(row_argmax(&rows(label_model.logits(x.clone())), classes));
        phi.extend(row_argmax(
            &rows(input.model.forward(normalize(x, &info.input))),
            classes,
        ));
    }
    let truth: Vec<usize> = test.labels.iter().map(|&l| usize::from(l)).collect();
    let report = LabelModelReport {
        description: format!(
            "LeNet trained apart from Φ on {} training images with their true labels, {epochs} \
             epochs, Adam, augmented by {} (seed {})",
            chosen.len(),
            augmentation.describe(),
            run.seed
        ),
        test_accuracy: agreement(&own, &truth),
        agreement_with_phi: agreement(&own, &phi),
    };
    Ok((label_model, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small sets get more epochs, large ones fewer, within 3 to 15.
    #[test]
    fn epochs_follow_the_presentations() {
        assert_eq!(epochs_for(4000), 15);
        assert_eq!(epochs_for(8000), 8);
        assert_eq!(epochs_for(60_000), 3);
        assert_eq!(epochs_for(0), 15);
    }
}
