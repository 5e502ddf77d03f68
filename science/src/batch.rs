//! Batches of a data split as tensors: normalized input values and labels, optionally each
//! image first moved by an augmenter.

use burn::prelude::*;
use memlab_shared::preprocess::{InputSpec, Pixels};

use crate::data::Split;
use crate::data::augment::Augmenter;

/// Normalized input values and labels of the examples `indices` of `split`.
pub fn batch(
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    device: &Device,
) -> (Tensor<4>, Tensor<1, Int>) {
    augmented_batch(split, spec, indices, None, device)
}

/// [`batch`], each image first moved by `augmenter` when there is one.
pub fn augmented_batch(
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    mut augmenter: Option<&mut Augmenter>,
    device: &Device,
) -> (Tensor<4>, Tensor<1, Int>) {
    let mut values = Vec::with_capacity(indices.len() * spec.len());
    for &index in indices {
        let bytes = split.image(index);
        match augmenter.as_deref_mut() {
            Some(augmenter) => {
                let pixels = Pixels::from_u8(spec.channels, spec.height, spec.width, bytes);
                spec.extend_normalized(&augmenter.apply(&pixels).values, |v| v, &mut values);
            }
            None => spec.extend_normalized_bytes(bytes, &mut values),
        }
    }
    let labels: Vec<i64> = indices
        .iter()
        .map(|&index| i64::from(split.labels[index]))
        .collect();
    let images = Tensor::from_data(
        TensorData::new(
            values,
            [indices.len(), spec.channels, spec.height, spec.width],
        ),
        device,
    );
    let targets = Tensor::from_data(TensorData::new(labels, [indices.len()]), device);
    (images, targets)
}
