//! Patches of images: every p×p window (stride 1, all channels) of a normalized image, each
//! flattened as `[channel][row][column]`, the layout of a convolution kernel `[c, p, p]`.

use memlab_shared::preprocess::InputSpec;

use crate::data::Split;
use crate::rng::SplitMix64;

/// Length of one flattened patch: `channels × size × size`.
pub fn patch_len(spec: &InputSpec, size: usize) -> usize {
    spec.channels * size * size
}

/// Number of window positions of a `size`×`size` patch in one image (stride 1, no padding).
pub fn positions(spec: &InputSpec, size: usize) -> usize {
    (spec.height + 1).saturating_sub(size) * (spec.width + 1).saturating_sub(size)
}

/// Image `index` of `split` as the model sees it: scaled to `[0, 1]`, then normalized with the
/// data set's per-channel mean and standard deviation.
pub fn normalized_image(split: &Split, spec: &InputSpec, index: usize) -> Vec<f32> {
    let mut values = Vec::with_capacity(spec.len());
    spec.extend_normalized_bytes(split.image(index), &mut values);
    values
}

/// Appends to `out` the patch of `image` (normalized, channels first) whose top-left corner is
/// (`row`, `column`).
pub fn push_patch(
    image: &[f32],
    spec: &InputSpec,
    size: usize,
    row: usize,
    column: usize,
    out: &mut Vec<f32>,
) {
    let plane = spec.height * spec.width;
    for channel in 0..spec.channels {
        for i in 0..size {
            let start = channel * plane + (row + i) * spec.width + column;
            out.extend_from_slice(&image[start..start + size]);
        }
    }
}

/// Every patch of `image`, row-major over positions.
pub fn image_patches(image: &[f32], spec: &InputSpec, size: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(positions(spec, size) * patch_len(spec, size));
    for row in 0..=(spec.height - size) {
        for column in 0..=(spec.width - size) {
            push_patch(image, spec, size, row, column, &mut out);
        }
    }
    out
}

/// `count` patches drawn uniformly (with replacement) over the images `images` of `split`
/// and the positions in them, from `seed`; flattened rows.
pub fn sample_patches(
    split: &Split,
    spec: &InputSpec,
    images: &[usize],
    size: usize,
    count: usize,
    seed: u64,
) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let columns = spec.width + 1 - size;
    let rows = spec.height + 1 - size;
    let mut out = Vec::with_capacity(count * patch_len(spec, size));
    for _ in 0..count {
        let image = images[below(&mut rng, images.len())];
        let position = below(&mut rng, rows * columns);
        let pixels = normalized_image(split, spec, image);
        push_patch(
            &pixels,
            spec,
            size,
            position / columns,
            position % columns,
            &mut out,
        );
    }
    out
}

/// A uniform draw from `0..n` (`n > 0`).
pub fn below(rng: &mut SplitMix64, n: usize) -> usize {
    ((rng.next_f64() * n as f64) as usize).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_follow_the_kernel_layout() {
        // A 2-channel 3×4 image whose value encodes (channel, row, column).
        let spec = InputSpec::raw(2, 3, 4);
        let image: Vec<f32> = (0..2)
            .flat_map(|c| {
                (0..3).flat_map(move |i| (0..4).map(move |j| (100 * c + 10 * i + j) as f32))
            })
            .collect();
        assert_eq!(positions(&spec, 2), 2 * 3);
        let patches = image_patches(&image, &spec, 2);
        assert_eq!(patches.len(), 6 * 8);
        // Position (1, 2): rows 1–2, columns 2–3 of each channel.
        let patch = &patches[(3 + 2) * 8..(3 + 3) * 8];
        assert_eq!(patch, &[12.0, 13.0, 22.0, 23.0, 112.0, 113.0, 122.0, 123.0]);
    }

    #[test]
    fn sampled_patches_are_patches_of_the_chosen_images_and_seeded() {
        let spec = InputSpec {
            mean: vec![0.5],
            std: vec![0.25],
            ..InputSpec::raw(1, 4, 4)
        };
        let split = Split {
            images: (0..48).map(|v| (v * 5) as u8).collect(),
            labels: vec![0, 1, 2],
            image_len: 16,
        };
        let a = sample_patches(&split, &spec, &[2], 3, 5, 7);
        assert_eq!(a, sample_patches(&split, &spec, &[2], 3, 5, 7));
        let all = image_patches(&normalized_image(&split, &spec, 2), &spec, 3);
        for patch in a.chunks(9) {
            assert!(all.chunks(9).any(|p| p == patch), "{patch:?}");
        }
        // Normalization: byte b becomes (b/255 − 0.5)/0.25.
        let first = normalized_image(&split, &spec, 0)[1];
        assert!((first - (5.0 / 255.0 - 0.5) / 0.25).abs() < 1e-6);
    }
}
