//! Models with a fixed encoder (whitened patches, scattering) as the theorems see them.
//!
//! The trained layers act on the standardized encoding, so the bounds are about that network
//! with the encoding as its input. The encoder's data-dependent parts (whitening, atoms and
//! statistics of the patch model; the standardization of the scattering channels) come from
//! the first N₀ training images only: given them, the class of trained layers on the encoding
//! is fixed, and the bounds hold, with their own δ, for the other m = n − N₀ training images,
//! an independent sample (a sample split, not a union bound over dictionaries).

use burn::prelude::*;
use memlab_shared::model::{Classifier, ClassifierConfig, ScatterNet};
use memlab_shared::preprocess::InputSpec;

use crate::batch::batch;
use crate::data::Split;
use crate::encoded::standardize;
use memlab_shared::scattering::filters::{spatial_l1, wavelet_levels};

/// The training images the encoder was drawn from (the first ones), or `None` when the model
/// has no data-dependent encoder.
pub fn held_out(config: &ClassifierConfig) -> Option<usize> {
    match config {
        ClassifierConfig::Patches(config) => Some(config.dictionary_images),
        ClassifierConfig::Scattering(config) => Some(config.calibration_images),
        ClassifierConfig::Mlp(_) | ClassifierConfig::Lenet(_) => None,
    }
}

/// What the panel says about the sample split.
pub fn split_note(config: &ClassifierConfig, held_out: usize, m: usize) -> Option<String> {
    let encoder = match config {
        ClassifierConfig::Patches(_) => {
            "the whitening, the dictionary atoms and the mark statistics"
        }
        ClassifierConfig::Scattering(_) => "the standardization of the scattering channels",
        ClassifierConfig::Mlp(_) | ClassifierConfig::Lenet(_) => return None,
    };
    Some(format!(
        "Sample split: {encoder} came from the first {held_out} training images only; given \
         them the encoder is fixed, and every bound here is about the trained layers on its \
         encoding and the other {m} training images (m = {m})."
    ))
}

/// Images per scattering forward pass.
const SCATTERING_BATCH: usize = 32;

/// The standardized encodings ([`Classifier::encoding`]) of the images `indices` of `split`,
/// `[indices, encoding]`; the patch model's through the fast host-side selection (equal to the
/// network's, tested in `patches::encode`). `None` for models without a fixed encoder.
pub fn encode_batch(
    model: &Classifier,
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    device: &Device,
) -> Option<Tensor<2>> {
    match model {
        Classifier::Patches(net) => {
            let mut rows =
                crate::patches::encode::encode(net, split, spec, indices, device, &mut |_| true)?;
            standardize(&mut rows, &values(&net.mark_mean), &values(&net.mark_scale));
            let len = rows.len() / indices.len().max(1);
            Some(Tensor::from_data(
                TensorData::new(rows, [indices.len(), len]),
                device,
            ))
        }
        Classifier::Scattering(_) => {
            // Small batches: the second order holds L² maps per image.
            let parts: Option<Vec<Tensor<2>>> = indices
                .chunks(SCATTERING_BATCH)
                .map(|chunk| model.encoding(batch(split, spec, chunk, device).0))
                .collect();
            Some(Tensor::cat(parts?, 0))
        }
        Classifier::Mlp(_) | Classifier::LeNet(_) => None,
    }
}

/// A data-dependent prior's centre: the model's trained layers, from `initial`, trained by the
/// run's own recipe (optimizer, step size, batch, epochs, seed) on the encodings `rows` (row-
/// major) with `labels` only, the first half of the bound's sample.
pub fn train_prior(
    initial: &Classifier,
    rows: &[f32],
    labels: &[usize],
    run: &memlab_shared::api::ExperimentConfig,
    device: &Device,
) -> Result<Classifier, String> {
    let len = rows.len() / labels.len().max(1);
    let encoded = crate::encoded::Encoded {
        rows: rows.to_vec(),
        labels: labels.iter().map(|&l| l as i64).collect(),
        len,
    };
    let none = crate::encoded::Encoded {
        rows: Vec::new(),
        labels: Vec::new(),
        len,
    };
    let autodiff = device.clone().autodiff();
    let model = initial.clone().fork(&autodiff).train();
    let logits = |model: &Classifier, x: Tensor<2>| {
        model
            .logits_of_encoding(x)
            .expect("a fixed-encoder model has logits of its encoding")
    };
    let run = memlab_shared::api::ExperimentConfig {
        stop_at_train_accuracy: None,
        ..run.clone()
    };
    crate::encoded::train_head(
        model,
        &logits,
        &encoded,
        &none,
        &run,
        device,
        &mut |_| {},
        &|| false,
    )
    .map(|head| head.model)
    .map_err(|error| error.to_string())
}

/// The largest |value| a normalized pixel of each channel can take (any pixel in [0, 1]).
fn pixel_extremes(spec: &InputSpec) -> Vec<f64> {
    (0..spec.channels)
        .map(|c| {
            let (mean, std) = (f64::from(spec.mean[c]), f64::from(spec.std[c]));
            mean.abs().max((1.0 - mean).abs()) / std
        })
        .collect()
}

/// √(repeat · Σ_j (max(|lo_j − μ_j|, |hi_j − μ_j|) · s_j)²): the largest norm of the
/// standardized values (v − μ_j) s_j when each raw value v of coordinate j lies in
/// `[lo_j, hi_j]` (each entry of `ranges` stands for `repeat` coordinates).
fn standardized_box(ranges: &[(f64, f64)], mean: &[f32], scale: &[f32], repeat: usize) -> f64 {
    ranges
        .iter()
        .zip(mean)
        .zip(scale)
        .map(|((&(lo, hi), &mu), &s)| {
            let mu = f64::from(mu);
            let extreme = (lo - mu).abs().max((hi - mu).abs());
            (extreme * f64::from(s)).powi(2) * repeat as f64
        })
        .sum::<f64>()
        .sqrt()
}

fn values(param: &burn::module::Param<burn::Tensor<1>>) -> Vec<f32> {
    param
        .val()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

/// Upper bounds on |S x| of each scattering path for inputs with |x| ≤ 1 everywhere, in
/// Kymatio's channel order: padding keeps the largest value, a convolution with g multiplies
/// it by at most ‖g‖₁, subsampling and the modulus do not increase it, so
/// |x ⋆ φ| ≤ ‖φ‖₁, ||x ⋆ ψ₁| ⋆ φ| ≤ ‖ψ₁‖₁‖φ^{(j1)}‖₁ and the second order
/// ≤ ‖ψ₁‖₁‖ψ₂^{(j1)}‖₁‖φ^{(j2)}‖₁, each filter in space at the resolution it is applied at.
pub fn path_bounds(model: &ScatterNet) -> Vec<f64> {
    let scattering = &model.scattering;
    let (scales, angles) = (scattering.scales, scattering.angles);
    let config = memlab_shared::model::ScatteringConfig::new(
        scattering.height,
        scattering.width,
        scales,
        angles,
    );
    let bank = config.filter_bank();
    let (rows, columns) = (bank.rows, bank.columns);
    let lowpass: Vec<f64> = (0..scales)
        .map(|r| spatial_l1(&bank.lowpass[r], rows >> r, columns >> r))
        .collect();
    let wavelet = |n: usize, level: usize| {
        spatial_l1(
            &bank.wavelets[n].levels[level],
            rows >> level,
            columns >> level,
        )
    };
    let mut bounds = vec![lowpass[0]];
    for (j1, smoothing) in lowpass.iter().enumerate() {
        for t1 in 0..angles {
            bounds.push(wavelet(j1 * angles + t1, 0) * smoothing);
        }
    }
    for j1 in 0..scales.min(wavelet_levels(scales)) {
        for t1 in 0..angles {
            let first = wavelet(j1 * angles + t1, 0);
            for (j2, smoothing) in lowpass.iter().enumerate().skip(j1 + 1) {
                for t2 in 0..angles {
                    bounds.push(first * wavelet(j2 * angles + t2, j1) * smoothing);
                }
            }
        }
    }
    bounds
}

/// sup ‖e(x)‖₂ of the standardized encoding over every input with pixel values in [0, 1] (an
/// upper bound), or `None` for a model without a fixed encoder.
pub fn encoding_domain_norm(model: &Classifier, spec: &InputSpec) -> Option<f64> {
    match model {
        Classifier::Patches(model) => {
            let mean = values(&model.mark_mean);
            // A pooled mark is an average of 0s and 1s.
            Some(standardized_box(
                &vec![(0.0, 1.0); mean.len()],
                &mean,
                &values(&model.mark_scale),
                1,
            ))
        }
        Classifier::Scattering(model) => {
            let paths = path_bounds(model);
            let extremes = pixel_extremes(spec);
            // Channel c of input channel i: |S x| ≤ a_i · bound of its path.
            let bounds: Vec<(f64, f64)> = extremes
                .iter()
                .flat_map(|&a| paths.iter().map(move |&b| (-a * b, a * b)))
                .collect();
            let scattering = &model.scattering;
            let map = memlab_shared::scattering::filters::output_len(
                scattering.height,
                scattering.scales,
            ) * memlab_shared::scattering::filters::output_len(
                scattering.width,
                scattering.scales,
            );
            Some(standardized_box(
                &bounds,
                &values(&model.channel_mean),
                &values(&model.channel_scale),
                map,
            ))
        }
        Classifier::Mlp(_) | Classifier::LeNet(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use memlab_shared::model::{PatchNetConfig, ScatterNetConfig};

    #[test]
    fn standardized_boxes_by_hand() {
        // v ∈ [0, 1], μ = 0.25, s = 2: |v − μ|·s ≤ 1.5; v ∈ [−2, 2], μ = 1, s = 1, two
        // coordinates: ≤ 3 each.
        assert!((standardized_box(&[(0.0, 1.0)], &[0.25], &[2.0], 1) - 1.5).abs() < 1e-12);
        let two = standardized_box(&[(-2.0, 2.0)], &[1.0], &[1.0], 2);
        assert!((two - 18f64.sqrt()).abs() < 1e-12);
    }

    fn random_images(count: usize, channels: usize, side: usize, seed: u64) -> Vec<f32> {
        let mut generator = SplitMix64::new(seed);
        (0..count * channels * side * side)
            .map(|_| (generator.next_u64() % 256) as f32 / 255.0)
            .collect()
    }

    /// Brute force: no image with pixels in [0, 1] (random ones, the all-black and all-white
    /// ones, a checkerboard) exceeds the path bounds or the domain norm.
    #[test]
    fn encoding_bounds_hold_on_extreme_and_random_images() {
        let device = Device::flex();
        let spec = InputSpec {
            channels: 1,
            height: 12,
            width: 12,
            mean: vec![0.3],
            std: vec![0.4],
        };
        let mut images = random_images(20, 1, 12, 7);
        images.extend(vec![0.0; 144]);
        images.extend(vec![1.0; 144]);
        images.extend((0..144).map(|i| ((i / 12 + i % 12) % 2) as f32));
        let count = images.len() / 144;
        let normalized: Vec<f32> = images.iter().map(|v| (v - 0.3) / 0.4).collect();
        let batch = || {
            Tensor::<4>::from_data(
                TensorData::new(normalized.clone(), [count, 1, 12, 12]),
                &device,
            )
        };
        for config in [
            ClassifierConfig::Scattering(ScatterNetConfig::new(1, 12, 12, 2, 2, 4, 10)),
            ClassifierConfig::Patches(PatchNetConfig::new(1, 12, 12, 2, 3, 6, 2, 2, 10)),
        ] {
            let mut model = config.init(&device);
            if let Classifier::Scattering(net) = &mut model {
                // Raw coefficients against the path bounds (scaled by the largest |pixel|).
                let raw: Vec<f32> = net
                    .scattering
                    .forward(batch())
                    .into_data()
                    .try_into_vec()
                    .expect("f32");
                let bounds = path_bounds(net);
                let a = pixel_extremes(&spec)[0];
                let map = raw.len() / count / bounds.len();
                for (index, value) in raw.iter().enumerate() {
                    let path = index / map % bounds.len();
                    assert!(
                        f64::from(value.abs()) <= a * bounds[path] * (1.0 + 1e-5),
                        "path {path}: {value} > {}",
                        a * bounds[path]
                    );
                }
                // A non-trivial standardization.
                let channels = bounds.len();
                net.channel_mean = crate::encoded::fixed_vector(&vec![0.1; channels], &device);
                net.channel_scale = crate::encoded::fixed_vector(&vec![3.0; channels], &device);
            }
            let sup = encoding_domain_norm(&model, &spec).expect("fixed encoder");
            let encodings: Vec<f32> = model
                .encoding(batch())
                .expect("encoding")
                .into_data()
                .try_into_vec()
                .expect("f32");
            for row in encodings.chunks(encodings.len() / count) {
                let norm = row
                    .iter()
                    .map(|&v| f64::from(v).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert!(norm <= sup, "{norm} > {sup}");
            }
        }
    }
}
