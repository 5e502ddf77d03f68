//! The tensor helpers of the learned-symmetry game: images as tensors and their training
//! normalization, distances and pooled change (the non-triviality term), the mask's
//! saturation, cross-entropy on plain rows, and sample grids.

use burn::prelude::*;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use memlab_shared::model::TransformNet;
use memlab_shared::preprocess::{InputSpec, Pixels, png_data_url};
use memlab_shared::symmetry::{SampleGrid, SymmetryRequest};

use crate::data::Split;

/// Images `indices` of `split` as `[0, 1]` values `[n, c, h, w]`.
pub(super) fn pixels_tensor(
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    device: &Device,
) -> Tensor<4> {
    let values: Vec<f32> = indices
        .iter()
        .flat_map(|&index| split.image(index).iter().map(|&b| f32::from(b) / 255.0))
        .collect();
    Tensor::from_data(
        TensorData::new(
            values,
            [indices.len(), spec.channels, spec.height, spec.width],
        ),
        device,
    )
}

/// Training normalization of `[0, 1]` images, as tensor operations (so gradients pass).
pub(super) fn normalize(images: Tensor<4>, spec: &InputSpec) -> Tensor<4> {
    let device = images.device();
    let shape = [1, spec.channels, 1, 1];
    let mean = Tensor::<1>::from_floats(spec.mean.as_slice(), &device).reshape(shape);
    let std = Tensor::<1>::from_floats(spec.std.as_slice(), &device).reshape(shape);
    (images - mean) / std
}

/// Root-mean-square difference of each image pair, `[n]`.
pub(super) fn rms(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    let diff = a - b;
    let n = diff.dims()[0];
    (diff.clone() * diff)
        .reshape([n as i32, -1])
        .mean_dim(1)
        .reshape([n])
        .add_scalar(1e-8)
        .sqrt()
}

/// 2×2 average pooling: the scale at which the non-triviality term measures change, so that
/// pixel-level noise (which a discriminator barely sees) cannot satisfy it.
pub(super) fn coarse(images: Tensor<4>) -> Tensor<4> {
    avg_pool2d(images, AvgPoolOptions::new([2, 2]))
}

/// RMS_q of each image pair's change, `[n]`: the root of the mean squared change (over
/// channels) of the `fraction` of 2×2-pooled pixels that change most (at least one). With
/// `fraction` 1 it is the RMS of the pooled difference.
pub(super) fn local_change(moved: Tensor<4>, x: Tensor<4>, fraction: f64) -> Tensor<1> {
    let diff = coarse(moved) - coarse(x);
    let [n, _, height, width] = diff.dims();
    let pixels = height * width;
    let kept = ((fraction * pixels as f64).ceil() as usize).clamp(1, pixels);
    let squared = (diff.clone() * diff).mean_dim(1).reshape([n, pixels]); // [n, pixels]
    let largest = if kept == pixels {
        squared
    } else {
        squared.topk(kept, 1)
    };
    largest.mean_dim(1).reshape([n]).add_scalar(1e-8).sqrt()
}

/// The non-triviality hinge of each image pair, max(0, τ − RMS_q(P(L x − x))), `[n]`.
pub(super) fn shortfall(moved: Tensor<4>, x: Tensor<4>, settings: &SymmetryRequest) -> Tensor<1> {
    local_change(moved, x, settings.change_fraction.unwrap_or(1.0))
        .neg()
        .add_scalar(settings.min_change.unwrap_or(0.0))
        .clamp_min(0.0)
}

/// Mask logits beyond ±this are pulled back during training: past it the mask is within
/// 3.4·10⁻⁴ of 0 or 1 (nothing visible changes), while a saturated sigmoid passes no gradient
/// and a run whose logits had all fallen there stayed the identity for good.
pub(super) const MASK_LOGIT_LIMIT: f64 = 8.0;

/// The mean distance of the mask logits past ±[`MASK_LOGIT_LIMIT`], `[1]`: added to L's loss so
/// that no logit stays where its gradient vanishes.
pub(super) fn saturation(logit: Tensor<4>) -> Tensor<1> {
    logit
        .abs()
        .sub_scalar(MASK_LOGIT_LIMIT)
        .clamp_min(0.0)
        .flatten::<1>(0, 3)
        .mean()
}

pub(super) fn scalar(tensor: Tensor<1>) -> f64 {
    f64::from(tensor.into_scalar::<f32>())
}

pub(super) fn rows(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().iter::<f32>().collect()
}

pub(super) fn rows_sum(tensor: Tensor<1>) -> f64 {
    tensor.into_data().iter::<f32>().map(f64::from).sum()
}

/// Mean cross-entropy of `labels` under the `logits` rows (`classes` wide), computed stably.
pub(super) fn cross_entropy(logits: &[f32], classes: usize, labels: &[usize]) -> f64 {
    let total: f64 = logits
        .chunks(classes)
        .zip(labels)
        .map(|(row, &label)| {
            let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = row.iter().map(|&v| f64::from(v - top).exp()).sum();
            f64::from(top) + sum.ln() - f64::from(row[label])
        })
        .sum();
    total / labels.len().max(1) as f64
}

/// A grid: `x`, `L x` and `|L x − x|` (×4, clipped) as three rows of `images`.
pub(super) fn sample_grid(
    transform: &TransformNet,
    images: Tensor<4>,
    step: usize,
) -> Result<SampleGrid, String> {
    let moved = transform.forward(images.clone()).clamp(0.0, 1.0);
    let difference = ((moved.clone() - images.clone()).abs() * 4.0).clamp(0.0, 1.0);
    let [n, c, h, w] = images.dims();
    let rows_of = |t: Tensor<4>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    let parts = [rows_of(images), rows_of(moved), rows_of(difference)];
    let (height, width) = (3 * h, n * w);
    let mut values = vec![0.0; c * height * width];
    for (row, part) in parts.iter().enumerate() {
        for image in 0..n {
            for channel in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        values[channel * height * width + (row * h + y) * width + image * w + x] =
                            part[((image * c + channel) * h + y) * w + x];
                    }
                }
            }
        }
    }
    let pixels = Pixels {
        channels: c,
        height,
        width,
        values,
    };
    Ok(SampleGrid {
        step,
        png: png_data_url(&pixels).map_err(|error| error.to_string())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RMS_q by hand: a 4×4 two-channel image whose pooled difference is 0.4 in one pooled
    /// pixel (both channels) and 0.2 in another (one channel), 0 elsewhere.
    #[test]
    fn local_change_measures_the_most_changed_pooled_pixels() {
        let device = Device::flex();
        let x = Tensor::<4>::zeros([1, 2, 4, 4], &device);
        let mut values = vec![0.0f32; 32];
        // Pooled pixel (0, 0): every value of its 2×2 block moves by 0.4, in both channels.
        for channel in 0..2 {
            for (y, x) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                values[channel * 16 + y * 4 + x] = 0.4;
            }
        }
        // Pooled pixel (1, 1): one value of channel 0 moves by 0.8 (block mean 0.2).
        values[3 * 4 + 3] = 0.8;
        let moved = Tensor::<4>::from_data(TensorData::new(values, [1, 2, 4, 4]), &device);
        let at = |fraction: f64| scalar(local_change(moved.clone(), x.clone(), fraction));
        // Mean squared change over channels per pooled pixel: 0.16 and 0.02, two zeros.
        let whole = ((0.16f64 + 0.02) / 4.0).sqrt();
        assert!((at(1.0) - whole).abs() < 1e-6, "{}", at(1.0));
        // q = 1 is the RMS of the pooled difference.
        let pooled = scalar(rms(coarse(moved.clone()), coarse(x.clone())));
        assert!((at(1.0) - pooled).abs() < 1e-6);
        // One pooled pixel of four (q = 1/4, also any q that rounds up to one).
        assert!((at(0.25) - 0.4).abs() < 1e-6, "{}", at(0.25));
        assert!((at(0.01) - 0.4).abs() < 1e-6);
        // Two of four.
        assert!((at(0.5) - ((0.16f64 + 0.02) / 2.0).sqrt()).abs() < 1e-6);
        // The hinge: τ = 0.5 at q = 1/4 falls short by 0.1; τ = 0.3 not at all.
        let settings = |tau: f64| SymmetryRequest {
            min_change: Some(tau),
            change_fraction: Some(0.25),
            ..Default::default()
        };
        let short = |tau: f64| scalar(shortfall(moved.clone(), x.clone(), &settings(tau)));
        assert!((short(0.5) - 0.1).abs() < 1e-6 && short(0.3) == 0.0);
    }

    /// Only logits beyond ±8 cost anything, by their distance past it.
    #[test]
    fn saturated_mask_logits_are_pulled_back() {
        let device = Device::flex();
        let logits = Tensor::<4>::from_data(
            TensorData::new(vec![-20.0f32, -8.0, 0.0, 3.0, 8.5, 9.0], [1, 1, 2, 3]),
            &device,
        );
        // (12 + 0.5 + 1) / 6
        assert!((scalar(saturation(logits)) - 13.5 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_matches_known_answers() {
        // Equal logits: ln(classes); a confident right row: about 0; two rows averaged.
        assert!((cross_entropy(&[1.0; 4], 4, &[2]) - 4f64.ln()).abs() < 1e-9);
        let confident = cross_entropy(&[50.0, 0.0, 0.0], 3, &[0]);
        assert!((0.0..1e-12).contains(&confident), "{confident}");
        let both = cross_entropy(&[0.0, 0.0, 0.0, 50.0], 2, &[0, 0]);
        assert!((both - (2f64.ln() + 50.0) / 2.0).abs() < 1e-9, "{both}");
    }
}
