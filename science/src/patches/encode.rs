//! The patch encoding of whole data sets, fast on the CPU: the network's convolution runs on
//! the device, the selection of each patch's k nearest atoms and the pooling run on the host
//! (a partial selection per patch, in parallel over images) instead of `topk`, which sorts.
//! Gives exactly [`PatchNet::marks`] (tested), which the browser and the probes use.

use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use memlab_shared::model::PatchNet;
use memlab_shared::preprocess::InputSpec;
use rayon::prelude::*;

use crate::batch::batch;
use crate::data::Split;

/// Images per convolution on the device.
const BATCH: usize = 128;

/// For every position of a `height`×`width` map, the grid cells (adaptive average pooling to
/// `grid`×`grid`) it belongs to and its weight in each (one over the cell's size).
fn pooling_weights(height: usize, width: usize, grid: usize) -> Vec<Vec<(usize, f32)>> {
    let region = |i: usize, len: usize| (i * len / grid)..((i + 1) * len).div_ceil(grid);
    let mut weights = vec![Vec::new(); height * width];
    for gi in 0..grid {
        for gj in 0..grid {
            let (rows, columns) = (region(gi, height), region(gj, width));
            let weight = 1.0 / (rows.len() * columns.len()) as f32;
            for i in rows {
                for j in columns.clone() {
                    weights[i * width + j].push((gi * grid + gj, weight));
                }
            }
        }
    }
    weights
}

/// Marks (adds each position's pooling weight to) the atoms whose score is among the `k`
/// largest of `scores`; `buffer` is scratch space.
fn mark_nearest(
    scores: &[f32],
    k: usize,
    buffer: &mut Vec<f32>,
    cells: &[(usize, f32)],
    grid_cells: usize,
    out: &mut [f32],
) {
    buffer.clear();
    buffer.extend_from_slice(scores);
    let at = scores.len() - k;
    let (_, threshold, _) = buffer.select_nth_unstable_by(at, f32::total_cmp);
    let threshold = *threshold;
    for (q, &score) in scores.iter().enumerate() {
        if score >= threshold {
            for &(cell, weight) in cells {
                out[q * grid_cells + cell] += weight;
            }
        }
    }
}

/// The pooled marks ([`PatchNet::marks`]) of the images `indices` of `split`, as rows of
/// `2 · atoms · grid²` values; `progress` is called with the number of images done.
pub fn encode(
    model: &PatchNet,
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    device: &Device,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Option<Vec<f32>> {
    let kernels = model.kernels.val();
    let [atoms, _, patch, _] = kernels.dims();
    let offsets: Vec<f32> = model.offsets.val().into_data().try_into_vec::<f32>().ok()?;
    let negative_offsets: Vec<f32> = model
        .negative_offsets
        .val()
        .into_data()
        .try_into_vec::<f32>()
        .ok()?;
    let (height, width) = (spec.height + 1 - patch, spec.width + 1 - patch);
    let grid_cells = model.grid * model.grid;
    let weights = pooling_weights(height, width, model.grid);
    let len = 2 * atoms * grid_cells;
    let mut out = Vec::with_capacity(indices.len() * len);
    for (done, chunk) in indices.chunks(BATCH).enumerate() {
        let (images, _) = batch(split, spec, chunk, device);
        let scores = conv2d(
            images,
            kernels.clone(),
            None,
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        )
        .permute([0, 2, 3, 1]); // [batch, h, w, atoms]: each patch's scores together
        let scores: Vec<f32> = scores.into_data().try_into_vec::<f32>().ok()?;
        let mut encoded = vec![0f32; chunk.len() * len];
        encoded
            .par_chunks_mut(len)
            .zip(scores.par_chunks(height * width * atoms))
            .for_each(|(row, image)| {
                let (positive, negative) = row.split_at_mut(atoms * grid_cells);
                let mut buffer = Vec::with_capacity(atoms);
                let mut shifted = vec![0f32; atoms];
                for (position, cells) in weights.iter().enumerate() {
                    let raw = &image[position * atoms..(position + 1) * atoms];
                    // The patch scores s − b⁺, its negative −s − b⁻.
                    for (sign, offsets, marks) in [
                        (1.0, &offsets, &mut *positive),
                        (-1.0, &negative_offsets, &mut *negative),
                    ] {
                        for ((s, r), b) in shifted.iter_mut().zip(raw).zip(offsets.iter()) {
                            *s = sign * r - b;
                        }
                        mark_nearest(
                            &shifted,
                            model.neighbors,
                            &mut buffer,
                            cells,
                            grid_cells,
                            marks,
                        );
                    }
                }
            });
        out.extend(encoded);
        if !progress((done * BATCH + chunk.len()).min(indices.len())) {
            return None;
        }
    }
    Some(out)
}

/// Mean and one over the standard deviation (at least [`MIN_MARK_STD`]) of each column of
/// `rows` (`len` columns): the standardization the head reads marks through. A mark constant
/// on these rows gets scale 0: it is dropped (its head weights never receive a gradient).
pub fn mark_statistics(rows: &[f32], len: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (rows.len() / len.max(1)).max(1) as f64;
    let mut sum = vec![0f64; len];
    let mut square = vec![0f64; len];
    for row in rows.chunks(len) {
        for ((s, q), &v) in sum.iter_mut().zip(&mut square).zip(row) {
            *s += f64::from(v);
            *q += f64::from(v) * f64::from(v);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let scale = square
        .iter()
        .zip(&mean)
        .map(|(q, m)| {
            let std = (q / n - m * m).max(0.0).sqrt();
            if std == 0.0 {
                0.0
            } else {
                (1.0 / std.max(MIN_MARK_STD)) as f32
            }
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), scale)
}

/// The least standard deviation a mark is divided by: a mark (almost) constant on the
/// dictionary images is not blown up.
pub const MIN_MARK_STD: f64 = 1e-2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoded::standardize;
    use crate::patches::dictionary::Encoder;
    use crate::rng::SplitMix64;
    use memlab_shared::model::PatchNetConfig;

    #[test]
    fn the_fast_encoding_is_the_networks() {
        let device = Device::flex();
        for (channels, side, patch, grid, atoms, k) in [(1, 12, 3, 2, 16, 6), (3, 9, 4, 4, 10, 3)] {
            let spec = InputSpec {
                channels,
                height: side,
                width: side,
                mean: vec![0.4; channels],
                std: vec![0.25; channels],
            };
            let mut rng = SplitMix64::new(3);
            let n = 300;
            let split = Split {
                images: (0..n * spec.len())
                    .map(|_| (rng.next_u64() % 256) as u8)
                    .collect(),
                labels: vec![0; n],
                image_len: spec.len(),
            };
            let config = PatchNetConfig::new(channels, side, side, 2, patch, atoms, k, grid, 50)
                .with_whitening(Some(0.05));
            let model = Encoder::fit(&split, &spec, &config, 4).install(
                config.init(&device),
                &config,
                &device,
            );
            let indices: Vec<usize> = (0..n).rev().collect();
            let fast =
                encode(&model, &split, &spec, &indices, &device, &mut |_| true).expect("encoded");
            let (images, _) = batch(&split, &spec, &indices, &device);
            let reference: Vec<f32> = model
                .marks(images)
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32");
            assert_eq!(fast.len(), reference.len());
            let worst = fast
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "largest difference {worst}");
        }
    }

    #[test]
    fn marks_are_standardized_by_their_dictionary_statistics() {
        // Columns: 0, 2 (mean 1, std 1); 1, 1 (constant: dropped); 0, 0.002 (std 0.001,
        // floored at 0.01).
        let mut rows = vec![0.0f32, 1.0, 0.0, 2.0, 1.0, 0.002];
        let (mean, scale) = mark_statistics(&rows, 3);
        assert_eq!(&mean[..2], &[1.0, 1.0]);
        assert!((scale[0] - 1.0).abs() < 1e-6, "{scale:?}");
        assert_eq!(scale[1], 0.0);
        assert!((scale[2] - 100.0).abs() < 1e-3, "{scale:?}");
        standardize(&mut rows, &mean, &scale);
        assert_eq!(&rows[..2], &[-1.0, 0.0]);
        assert_eq!(&rows[3..5], &[1.0, 0.0]);
    }
}
