//! Local rivals of the true symmetry on Glasses: each test face rendered again with one identity
//! attribute changed (mouth, eye spacing, hair style, hair colour), an edit as local as the
//! glasses, scored like the known transforms (objective, Φ kept, D) and by the identity oracle.
//! They test the claim "the objective prefers L*" against edits that are not global.

use burn::prelude::*;
use memlab_shared::glasses::{self, Attribute, Example, GlassesConfig};
use memlab_shared::model::{Classifier, Discriminator};
use memlab_shared::symmetry::ReferenceScore;

use super::references::painted_fraction;
use super::{SymmetryInput, TermSums, normalize, pixels_tensor, rows};
use crate::probes::{agreement, row_argmax};
use crate::weights::ModelCard;

/// Test example `index` with `attribute` moved on `steps` values, rendered as the data set
/// stores images (8-bit, glasses as they were, the same pose, light and noise).
pub(super) fn rival_image(
    config: &GlassesConfig,
    example: &Example,
    attribute: Attribute,
    steps: usize,
) -> Vec<f32> {
    let mut identity = example.identity;
    for _ in 0..steps {
        identity = attribute.next(identity);
    }
    let moved = Example {
        identity,
        ..*example
    };
    glasses::to_u8(&glasses::render(&moved, config.size, false))
        .into_iter()
        .map(|b| f32::from(b) / 255.0)
        .collect()
}

/// The identity oracle that judges whether T x is still the same person.
pub(super) struct IdentityOracle<'a> {
    /// Its card (input normalization, classes).
    pub card: &'a ModelCard,
    /// The network.
    pub model: &'a Classifier,
}

/// Every local rival's scores on the test images `indices` (true labels `labels`) under the
/// final discriminator. T(T x) for the involution term is the attribute moved twice.
pub(super) fn score_rivals(
    input: &SymmetryInput,
    discriminator: &Discriminator,
    config: &GlassesConfig,
    oracle: &IdentityOracle,
    indices: &[usize],
    labels: &[usize],
    feature_spread: f64,
) -> Vec<ReferenceScore> {
    let spec = &input.dataset.info.input;
    let test = &input.dataset.test;
    let classes = input.dataset.info.class_names.len();
    let identities = config.identity_list();
    let shape = |n: usize| [n, spec.channels, spec.height, spec.width];
    Attribute::LOCAL
        .iter()
        .map(|&attribute| {
            let mut sums = TermSums::default();
            let mut seen = Vec::with_capacity(indices.len());
            for chunk in indices.chunks(100) {
                let x = pixels_tensor(test, spec, chunk, input.device);
                let render = |steps: usize| {
                    let values: Vec<f32> = chunk
                        .iter()
                        .flat_map(|&index| {
                            let example = config.example(&identities, true, index);
                            rival_image(config, &example, attribute, steps)
                        })
                        .collect();
                    Tensor::<4>::from_data(
                        TensorData::new(values, shape(chunk.len())),
                        input.device,
                    )
                };
                let (moved, twice) = (render(1), render(2));
                let painted = painted_fraction(&moved, &x);
                seen.extend(row_argmax(
                    &rows(
                        oracle
                            .model
                            .forward(normalize(moved.clone(), &oracle.card.input)),
                    ),
                    oracle.card.class_names.len(),
                ));
                sums.add(input, discriminator, &x, &moved, Some(twice), painted);
            }
            ReferenceScore {
                name: format!("one attribute: {}", attribute.name()),
                objective: sums.objective(input, labels, feature_spread),
                prediction_kept: sums.prediction_kept(classes),
                judged_real: sums.judged_real as f64 / indices.len().max(1) as f64,
                identity_kept: Some(agreement(&seen, labels)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zero steps render the stored test image itself; moving the mouth changes only pixels
    /// of the lower face.
    #[test]
    fn rival_images_match_the_data_set_and_stay_local() {
        let config = GlassesConfig {
            identities: 6,
            size: 24,
            ..Default::default()
        };
        let identities = config.identity_list();
        for index in 0..6 {
            let example = config.example(&identities, true, index);
            let stored: Vec<f32> = glasses::to_u8(&glasses::render(&example, config.size, false))
                .into_iter()
                .map(|b| f32::from(b) / 255.0)
                .collect();
            assert_eq!(rival_image(&config, &example, Attribute::Mouth, 0), stored);
            let mouth = rival_image(&config, &example, Attribute::Mouth, 1);
            let plane = config.size * config.size;
            for (position, (a, b)) in mouth.iter().zip(&stored).enumerate() {
                if a != b {
                    let row = (position % plane) / config.size;
                    assert!(
                        row >= config.size / 2,
                        "the mouth moved a pixel in row {row}"
                    );
                }
            }
            let cycled = rival_image(
                &config,
                &example,
                Attribute::Mouth,
                Attribute::Mouth.values(),
            );
            assert_eq!(cycled, stored);
        }
    }
}
