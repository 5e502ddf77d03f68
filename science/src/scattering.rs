//! Training a scattering network (Oyallon et al. 2017): the scattering coefficients of the
//! training and test images are computed once (the transform is fixed), each channel is
//! standardized by its statistics on the first `calibration_images` training images, and only
//! the linear classifier (or the hybrid CNN and its head) trains on them.

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::api::{ExperimentConfig, TrainingEvent};
use memlab_shared::model::{Classifier, ClassifierConfig, ScatterNet, ScatterNetConfig};
use memlab_shared::preprocess::InputSpec;

use crate::batch::batch;
use crate::data::{Dataset, Split};
use crate::encoded::{
    Encoded, encode_splits, final_metrics, fixed_vector, standardize, train_head,
};
use crate::rng::seeded;
use crate::training::{TrainError, TrainOutcome};

/// Images per batch of the transform (its second order holds L² maps per image).
const BATCH: usize = 32;

/// The raw scattering coefficients of the images `indices` of `split`, one row of
/// `channels · K · out_h · out_w` per image; `progress` is called with the images done.
pub fn coefficients(
    model: &ScatterNet,
    split: &Split,
    spec: &InputSpec,
    indices: &[usize],
    device: &Device,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Option<Vec<f32>> {
    let mut out = Vec::new();
    for (done, chunk) in indices.chunks(BATCH).enumerate() {
        let (images, _) = batch(split, spec, chunk, device);
        let maps = model.scattering.forward(images).flatten::<2>(1, 3);
        out.extend(maps.into_data().try_into_vec::<f32>().ok()?);
        if !progress((done * BATCH + chunk.len()).min(indices.len())) {
            return None;
        }
    }
    Some(out)
}

/// Mean and one over the standard deviation of each channel (`channels` blocks of `map`
/// columns) over `rows`; a channel constant on them gets scale 0.
pub fn channel_statistics(rows: &[f32], channels: usize, map: usize) -> (Vec<f32>, Vec<f32>) {
    let len = channels * map;
    let count = (rows.len() / len.max(1) * map).max(1) as f64;
    let mut sum = vec![0f64; channels];
    let mut square = vec![0f64; channels];
    for row in rows.chunks(len) {
        for (channel, values) in row.chunks(map).enumerate() {
            for &v in values {
                sum[channel] += f64::from(v);
                square[channel] += f64::from(v) * f64::from(v);
            }
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
    let scale = square
        .iter()
        .zip(&mean)
        .map(|(q, m)| {
            let std = (q / count - m * m).max(0.0).sqrt();
            if std <= 1e-12 * m.abs().max(1.0) {
                0.0
            } else {
                (1.0 / std) as f32
            }
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), scale)
}

/// Each channel's value repeated over its `map` columns.
fn per_column(values: &[f32], map: usize) -> Vec<f32> {
    values
        .iter()
        .flat_map(|&v| std::iter::repeat_n(v, map))
        .collect()
}

/// Logits of standardized coefficients through the trained layers.
fn logits(model: &ScatterNet, coefficients: Tensor<2>) -> Tensor<2> {
    model.head.forward(model.read(coefficients))
}

/// Trains the scattering network `net_config` of `config` on `dataset`; `stop` is polled
/// between batches.
pub fn train(
    dataset: &Dataset,
    config: &ExperimentConfig,
    net_config: &ScatterNetConfig,
    device: &Device,
    on_event: &mut dyn FnMut(TrainingEvent),
    stop: &dyn Fn() -> bool,
) -> Result<TrainOutcome, TrainError> {
    let started = Instant::now();
    let spec = &dataset.info.input;
    let n_train = config
        .n_train
        .unwrap_or(dataset.train.len())
        .min(dataset.train.len());
    let autodiff = device.clone().autodiff();
    let trainable = seeded(&autodiff, config.seed, || net_config.init(&autodiff));
    let initial = trainable.valid();

    let (mut train_rows, mut test_rows) = encode_splits(
        dataset,
        n_train,
        config,
        on_event,
        stop,
        &|split, indices, progress| coefficients(&initial, split, spec, indices, device, progress),
    )?;
    let len = net_config.coefficients_len();
    let channels = net_config.map_channels();
    let map = len / channels;
    let calibration = net_config.calibration_images.min(n_train) * len;
    let (mean, scale) = channel_statistics(&train_rows[..calibration], channels, map);
    let (column_mean, column_scale) = (per_column(&mean, map), per_column(&scale, map));
    standardize(&mut train_rows, &column_mean, &column_scale);
    standardize(&mut test_rows, &column_mean, &column_scale);
    let initial = ScatterNet {
        channel_mean: fixed_vector(&mean, device),
        channel_scale: fixed_vector(&scale, device),
        ..initial
    };
    let train_set = Encoded::new(train_rows, &dataset.train, len);
    let test_set = Encoded::new(test_rows, &dataset.test, len);

    let head = train_head(
        trainable, &logits, &train_set, &test_set, config, device, on_event, stop,
    )?;
    let model = ScatterNet {
        cnn: head.model.cnn.clone(),
        head: head.model.head.clone(),
        ..initial.clone()
    };
    let metrics = final_metrics(
        &head,
        &logits,
        (&train_set, &test_set),
        model.num_params(),
        started,
        device,
    );
    Ok(TrainOutcome {
        model: Classifier::Scattering(model),
        initial: Classifier::Scattering(initial),
        model_config: ClassifierConfig::Scattering(net_config.clone()),
        curves: head.curves,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_standardized_over_images_and_positions() {
        // Two images, two channels of two positions: channel 0 takes 0, 2, 2, 4 (mean 2,
        // variance 2); channel 1 is constant (scale 0).
        let rows = [0.0, 2.0, 5.0, 5.0, 2.0, 4.0, 5.0, 5.0];
        let (mean, scale) = channel_statistics(&rows, 2, 2);
        assert_eq!(mean, vec![2.0, 5.0]);
        assert!((scale[0] - 1.0 / 2f32.sqrt()).abs() < 1e-6, "{scale:?}");
        assert_eq!(scale[1], 0.0);
        assert_eq!(per_column(&mean, 2), vec![2.0, 2.0, 5.0, 5.0]);
    }
}
