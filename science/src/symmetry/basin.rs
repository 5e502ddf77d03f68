//! The basin test, a diagnosis (never a way to learn L): L_θ is first fitted by regression to
//! the oracle pairs (x, L* x) of a data set with a known symmetry, then the game runs from there
//! and the glasses oracle reads the toggle rate at checkpoints. If the rate holds, L* is a
//! stable point of the game and the limit is the search; if it decays, the objective or the
//! game pushes away from the truth. Reports that use it say so.

use burn::optim::{AdamConfig, GradientsParams};
use memlab_shared::glasses::{self, GlassesConfig};
use memlab_shared::model::{Classifier, TransformNet};
use memlab_shared::preprocess::InputSpec;

use super::keep::KeepTerm;
use super::{normalize, pixels_tensor, rows};
use crate::data::Split;
use crate::probes::row_argmax;
use crate::rng::SplitMix64;

/// Test images the checkpoints' toggle rate is read on.
pub const CHECK_IMAGES: usize = 200;

/// L* x of the first `count` images of a Glasses split, as 8-bit pixels.
pub fn truth_split(config: &GlassesConfig, test: bool, count: usize) -> Split {
    truth_of(config, test, &(0..count).collect::<Vec<_>>())
}

/// L* x of the images `indices` of a Glasses split, in that order, as 8-bit pixels.
pub fn truth_of(config: &GlassesConfig, test: bool, indices: &[usize]) -> Split {
    let identities = config.identity_list();
    let count = indices.len();
    let images = indices
        .iter()
        .flat_map(|&index| {
            let example = config.example(&identities, test, index);
            glasses::to_u8(&glasses::render(&example, config.size, true))
        })
        .collect();
    Split {
        images,
        labels: vec![0; count],
        image_len: 3 * config.size * config.size,
    }
}

/// Fits `transform` (on an autodiff device) to the pairs (x, `truth` of x) — L* here, the
/// latent reflection's edit in its search — by `steps` Adam steps on the mean squared
/// difference ‖L x − target‖² over batches of training pairs, plus `keep`'s term at its weight
/// when given (the distillation keeps what L must keep; the basin test fits the pairs alone).
#[allow(clippy::too_many_arguments)]
pub fn fit(
    mut transform: TransformNet,
    train: &Split,
    truth: &Split,
    spec: &InputSpec,
    steps: usize,
    batch_size: usize,
    learning_rate: f64,
    seed: u64,
    keep: Option<(&KeepTerm, f64)>,
) -> TransformNet {
    let device = transform.down.weight.device();
    let mut optimizer = AdamConfig::new().init();
    let mut generator = SplitMix64::new(seed ^ 0xba_5171);
    for _ in 0..steps {
        let indices: Vec<usize> = (0..batch_size)
            .map(|_| (generator.next_u64() % train.len() as u64) as usize)
            .collect();
        let x = pixels_tensor(train, spec, &indices, &device);
        let target = pixels_tensor(truth, spec, &indices, &device);
        let moved = transform.forward(x.clone());
        let diff = moved.clone() - target;
        let mut loss = (diff.clone() * diff).mean();
        if let Some((term, weight)) = keep {
            let labels: Vec<u8> = indices.iter().map(|&i| train.labels[i]).collect();
            loss = loss + term.loss(x, moved, &labels) * weight;
        }
        let gradients = GradientsParams::from_grads(loss.backward(), &transform);
        transform = optimizer.step(learning_rate, transform, gradients);
    }
    transform
}

/// The fraction of the first [`CHECK_IMAGES`] test images whose glasses the oracle sees
/// toggled in L x (`worn`: whether each test image wears them).
pub fn toggle_rate(
    transform: &TransformNet,
    oracle: &(InputSpec, Classifier),
    test: &Split,
    spec: &InputSpec,
    worn: &[bool],
) -> f64 {
    let indices: Vec<usize> = (0..test.len().min(CHECK_IMAGES)).collect();
    let device = transform.down.weight.device();
    let moved = transform
        .forward(pixels_tensor(test, spec, &indices, &device))
        .clamp(0.0, 1.0);
    let (oracle_spec, model) = oracle;
    let seen = row_argmax(&rows(model.forward(normalize(moved, oracle_spec))), 2);
    let toggled = seen
        .iter()
        .zip(worn)
        .filter(|&(&seen, &worn)| (seen == 1) != worn)
        .count();
    toggled as f64 / indices.len().max(1) as f64
}
