//! Known transforms scored under the learned-symmetry objective, as if each were L: a one-pixel
//! circular shift, a mirror, a 10° rotation and a faint brightening. Set next to the learned L
//! and the true L*, they show whether the objective singles out the true symmetry or also
//! rewards a nuisance the data set really has (pose, lighting).

use burn::prelude::*;
use memlab_shared::model::Discriminator;
use memlab_shared::preprocess::Pixels;
use memlab_shared::symmetry::ReferenceScore;
use memlab_shared::transform::{self, TransformKind};

use super::{SymmetryInput, TermSums, pixels_tensor};

/// The transforms, with the names the report gives them.
pub const REFERENCES: [(&str, TransformKind, f32); 4] = [
    ("shift 1 px (circular)", TransformKind::CircularShiftX, 1.0),
    ("mirror", TransformKind::HorizontalFlip, 1.0),
    ("rotation 10°", TransformKind::Rotation, 10.0),
    ("brightness +0.05", TransformKind::Brightness, 0.05),
];

/// A value a transform must move by to count as painted (half of an 8-bit step).
const PAINTED: f32 = 0.5 / 255.0;

/// `kind` with parameter `t` applied to every image of `images` (`[n, c, h, w]`, values in
/// `[0, 1]`).
fn apply(images: &Tensor<4>, kind: TransformKind, t: f32) -> Tensor<4> {
    let [n, channels, height, width] = images.dims();
    let values: Vec<f32> = images.to_data().iter::<f32>().collect();
    let plane = channels * height * width;
    let moved: Vec<f32> = values
        .chunks(plane)
        .flat_map(|image| {
            let pixels = Pixels {
                channels,
                height,
                width,
                values: image.to_vec(),
            };
            transform::apply(kind, t, &pixels).values
        })
        .collect();
    Tensor::from_data(
        TensorData::new(moved, [n, channels, height, width]),
        &images.device(),
    )
}

/// The fraction of each image's pixels that `moved` changes in any channel: the least mask a
/// masked edit needs to paint it, summed over the images.
pub(super) fn painted_fraction(moved: &Tensor<4>, x: &Tensor<4>) -> f64 {
    let [_, channels, height, width] = x.dims();
    let plane = height * width;
    let difference: Vec<f32> = (moved.clone() - x.clone())
        .abs()
        .into_data()
        .iter::<f32>()
        .collect();
    difference
        .chunks(channels * plane)
        .map(|image| {
            let painted = (0..plane)
                .filter(|&p| (0..channels).any(|c| image[c * plane + p] > PAINTED))
                .count();
            painted as f64 / plane as f64
        })
        .sum()
}

/// Every reference transform's objective on the test images `indices` (true labels `labels`)
/// under the final discriminator, with how often Φ keeps its prediction and D calls T x real.
pub(super) fn score_references(
    input: &SymmetryInput,
    discriminator: &Discriminator,
    indices: &[usize],
    labels: &[usize],
    feature_spread: f64,
) -> Vec<ReferenceScore> {
    let spec = &input.dataset.info.input;
    let test = &input.dataset.test;
    let classes = input.dataset.info.class_names.len();
    REFERENCES
        .iter()
        .map(|&(name, kind, t)| {
            let mut sums = TermSums::default();
            for chunk in indices.chunks(100) {
                let x = pixels_tensor(test, spec, chunk, input.device);
                let moved = apply(&x, kind, t);
                let twice = apply(&moved, kind, t);
                let painted = painted_fraction(&moved, &x);
                sums.add(input, discriminator, &x, &moved, Some(twice), painted);
            }
            ReferenceScore {
                name: name.to_owned(),
                objective: sums.objective(input, labels, feature_spread),
                prediction_kept: sums.prediction_kept(classes),
                judged_real: sums.judged_real as f64 / indices.len().max(1) as f64,
                identity_kept: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mirror paints every pixel that differs from its mirror image and is its own inverse;
    /// a brightening of 0.05 paints every pixel below 0.95.
    #[test]
    fn references_move_images_as_defined() {
        let device = Device::flex();
        // One 1×2×2 image: [[0.2, 0.6], [0.5, 0.5]].
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![0.2f32, 0.6, 0.5, 0.5], [1, 1, 2, 2]),
            &device,
        );
        let mirrored = apply(&x, TransformKind::HorizontalFlip, 1.0);
        let values: Vec<f32> = mirrored.to_data().iter::<f32>().collect();
        assert_eq!(values, vec![0.6, 0.2, 0.5, 0.5]);
        assert!((painted_fraction(&mirrored, &x) - 0.5).abs() < 1e-12);
        let twice = apply(&mirrored, TransformKind::HorizontalFlip, 1.0);
        assert_eq!(
            twice.to_data().iter::<f32>().collect::<Vec<_>>(),
            vec![0.2, 0.6, 0.5, 0.5]
        );
        let brighter = apply(&x, TransformKind::Brightness, 0.05);
        assert!((painted_fraction(&brighter, &x) - 1.0).abs() < 1e-12);
        let shifted = apply(&x, TransformKind::CircularShiftX, 1.0);
        // A circular shift by one of a two-pixel row swaps it: the same as the mirror here.
        assert_eq!(shifted.to_data().iter::<f32>().collect::<Vec<_>>(), values);
    }
}
