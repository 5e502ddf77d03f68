//! Invariance probes (`../shared/SCIENCE.md` §3): sweep a transform's parameter over a test
//! subset and measure prediction consistency, accuracy and normalized sensitivity of the logits
//! and of the penultimate features; the job that runs them for a finished experiment.

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::limits;
use memlab_shared::preprocess::{InputSpec, Pixels, normalize};
use memlab_shared::probes::{ProbeCurve, ProbeReport, ProbeRequest, Sweep};
use memlab_shared::transform::{self, TransformKind};

use crate::finished::Finished;
use crate::progress::Report;
use crate::rng::SplitMix64;

/// Test images probed when the request names no number.
pub const N_IMAGES: usize = 500;
/// Images per forward pass.
const BATCH: usize = 500;

/// What a probe job does, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSettings {
    /// The sweeps, in order.
    pub sweeps: Vec<Sweep>,
    /// Test images (at most the test split's size).
    pub n_images: usize,
    /// Seed of the subset.
    pub seed: u64,
}

/// The settings `request` asks for on images `width` pixels wide, or why it is refused.
pub fn settings(request: &ProbeRequest, width: usize) -> Result<ProbeSettings, String> {
    let sweeps = match &request.sweeps {
        Some(sweeps) => sweeps.clone(),
        None => TransformKind::CLASSICAL
            .iter()
            .map(|&transform| {
                let (from, to, points) = transform.default_sweep(width);
                Sweep {
                    transform,
                    from,
                    to,
                    points,
                }
            })
            .collect(),
    };
    if sweeps.is_empty() {
        return Err("sweeps must name at least one transform".into());
    }
    for sweep in &sweeps {
        let name = sweep.transform.label();
        limits::SWEEP_POINTS
            .check(sweep.points)
            .map_err(|why| format!("the {name} sweep: {why}"))?;
        if !sweep.from.is_finite() || !sweep.to.is_finite() {
            return Err(format!(
                "the {name} sweep's from and to must be finite numbers"
            ));
        }
        let limit = match sweep.transform {
            TransformKind::Rotation => 3600.0,
            TransformKind::Scale => 10.0,
            TransformKind::Contrast => 10.0,
            TransformKind::Brightness | TransformKind::HorizontalFlip => 1.0,
            _ => 4.0 * width as f32,
        };
        let low = match sweep.transform {
            TransformKind::Scale => 0.05,
            TransformKind::Contrast | TransformKind::HorizontalFlip => 0.0,
            _ => -limit,
        };
        for value in [sweep.from, sweep.to] {
            if !(low..=limit).contains(&value) {
                return Err(format!(
                    "the {name} sweep must stay within [{low}, {limit}] {}, got {value}",
                    sweep.transform.unit()
                ));
            }
        }
    }
    let total: usize = sweeps.iter().map(|sweep| sweep.points).sum();
    if total > limits::MAX_PROBE_POINTS {
        return Err(format!(
            "the sweeps have {total} points in all; at most {} are allowed",
            limits::MAX_PROBE_POINTS
        ));
    }
    let n_images = limits::PROBE_IMAGES.check(request.n_images.unwrap_or(N_IMAGES))?;
    Ok(ProbeSettings {
        sweeps,
        n_images,
        seed: request.seed.unwrap_or(0),
    })
}

/// `n` distinct indices below `len` drawn with `seed` (all of them, shuffled, when `n ≥ len`).
pub fn subset(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    SplitMix64::new(seed ^ 0x7072_6f62_6573).shuffle(&mut order);
    order.truncate(n);
    order
}

/// Mean over distinct ordered pairs of ‖φ_i − φ_j‖² for the rows of `rows` (`dim` columns):
/// 2n/(n−1) times the mean squared distance to the centroid.
pub fn spread(rows: &[f32], dim: usize) -> f64 {
    let n = rows.len() / dim.max(1);
    if n < 2 {
        return 0.0;
    }
    let mut centroid = vec![0f64; dim];
    for row in rows.chunks(dim) {
        for (sum, &value) in centroid.iter_mut().zip(row) {
            *sum += f64::from(value);
        }
    }
    centroid.iter_mut().for_each(|sum| *sum /= n as f64);
    let scatter: f64 = rows
        .chunks(dim)
        .map(|row| {
            row.iter()
                .zip(&centroid)
                .map(|(&value, mean)| (f64::from(value) - mean).powi(2))
                .sum::<f64>()
        })
        .sum();
    2.0 * scatter / (n - 1) as f64
}

/// Mean over rows of ‖a_i − b_i‖².
pub fn mean_squared_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let n = a.len() / dim.max(1);
    let total: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    total / n.max(1) as f64
}

/// The index of each row's largest value (the first one on ties).
pub fn row_argmax(rows: &[f32], dim: usize) -> Vec<usize> {
    rows.chunks(dim)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (index, &value)| {
                    if value > best.1 { (index, value) } else { best }
                })
                .0
        })
        .collect()
}

/// Fraction of positions where `a` and `b` agree.
pub fn agreement(a: &[usize], b: &[usize]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

/// A network under probe: images `[batch, c, h, w]` → (logits, penultimate features).
pub type Forward<'a> = &'a dyn Fn(Tensor<4>) -> (Tensor<2>, Tensor<2>);

/// Logits and features (flattened rows) of `images`, normalized as in training.
fn outputs(
    images: &[Pixels],
    spec: &InputSpec,
    forward: Forward,
    device: &Device,
) -> (Vec<f32>, usize, Vec<f32>, usize) {
    let (mut logits, mut features) = (Vec::new(), Vec::new());
    let (mut classes, mut width) = (0, 0);
    for chunk in images.chunks(BATCH) {
        let values: Vec<f32> = chunk
            .iter()
            .flat_map(|pixels| normalize(pixels, spec))
            .collect();
        let batch = Tensor::<4>::from_data(
            TensorData::new(
                values,
                [chunk.len(), spec.channels, spec.height, spec.width],
            ),
            device,
        );
        let (chunk_logits, chunk_features) = forward(batch);
        classes = chunk_logits.dims()[1];
        width = chunk_features.dims()[1];
        logits.extend(chunk_logits.into_data().iter::<f32>());
        features.extend(chunk_features.into_data().iter::<f32>());
    }
    (logits, classes, features, width)
}

/// Probes `forward` on `images` (with true `labels`) along each sweep.
pub fn probe(
    images: &[Pixels],
    labels: &[usize],
    spec: &InputSpec,
    sweeps: &[Sweep],
    forward: Forward,
    device: &Device,
    progress: Report,
) -> (f64, f64, f64, Vec<ProbeCurve>) {
    let (logits, classes, features, width) = outputs(images, spec, forward, device);
    let predicted = row_argmax(&logits, classes);
    let accuracy = agreement(&predicted, labels);
    let logit_spread = spread(&logits, classes);
    let feature_spread = spread(&features, width);
    let ratio = |numerator: f64, spread: f64| (spread > 0.0).then(|| numerator / spread);
    let total: usize = sweeps.iter().map(|sweep| sweep.points).sum();
    let mut done = 0;
    let mut curves = Vec::with_capacity(sweeps.len());
    for sweep in sweeps {
        let values = sweep.values();
        let mut curve = ProbeCurve {
            sweep: *sweep,
            parameters: values.iter().map(|&t| f64::from(t)).collect(),
            consistency: Vec::with_capacity(values.len()),
            accuracy: Vec::with_capacity(values.len()),
            sensitivity_logits: Vec::with_capacity(values.len()),
            sensitivity_features: Vec::with_capacity(values.len()),
        };
        for &t in &values {
            progress(
                done as f64 / total as f64,
                &format!("{} {t:.3}", sweep.transform.label()),
            );
            let moved: Vec<Pixels> = images
                .iter()
                .map(|pixels| transform::apply(sweep.transform, t, pixels))
                .collect();
            let (moved_logits, _, moved_features, _) = outputs(&moved, spec, forward, device);
            let moved_predicted = row_argmax(&moved_logits, classes);
            curve
                .consistency
                .push(agreement(&moved_predicted, &predicted));
            curve.accuracy.push(agreement(&moved_predicted, labels));
            curve.sensitivity_logits.push(ratio(
                mean_squared_distance(&moved_logits, &logits, classes),
                logit_spread,
            ));
            curve.sensitivity_features.push(ratio(
                mean_squared_distance(&moved_features, &features, width),
                feature_spread,
            ));
            done += 1;
        }
        curves.push(curve);
    }
    (accuracy, logit_spread, feature_spread, curves)
}

/// Probes a finished experiment's model on a seeded subset of its test split (blocking).
pub fn analyse(
    run: &Finished,
    request: &ProbeRequest,
    device: &Device,
    device_name: &str,
    progress: Report,
) -> Result<ProbeReport, String> {
    let started = Instant::now();
    // Probed on the test inputs the run was evaluated on (randomized when it was).
    let Finished {
        dataset,
        card,
        model,
    } = run;
    let settings = settings(request, card.input.width)?;
    let indices = subset(dataset.test.len(), settings.n_images, settings.seed);
    let images: Vec<Pixels> = indices
        .iter()
        .map(|&index| dataset.test_pixels(index))
        .collect();
    let labels: Vec<usize> = indices
        .iter()
        .map(|&index| usize::from(dataset.test.labels[index]))
        .collect();
    let forward = |batch: Tensor<4>| {
        let features = model.features(batch);
        (model.head(features.clone()), features)
    };
    let (accuracy, logit_spread, feature_spread, curves) = probe(
        &images,
        &labels,
        &card.input,
        &settings.sweeps,
        &forward,
        device,
        progress,
    );
    Ok(ProbeReport {
        n_images: images.len(),
        seed: settings.seed,
        accuracy,
        logit_spread,
        feature_spread,
        curves,
        seconds: started.elapsed().as_secs_f64(),
        device: device_name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    use memlab_shared::model::{ClassifierConfig, LeNetConfig};

    use super::*;

    #[test]
    fn spread_matches_brute_force_over_pairs() {
        let rows = [0.0f32, 1.0, 2.0, -1.0, 0.5, 0.5, 3.0, 0.0];
        let (n, dim) = (4, 2);
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    total += (0..dim)
                        .map(|k| f64::from(rows[i * dim + k] - rows[j * dim + k]).powi(2))
                        .sum::<f64>();
                }
            }
        }
        let brute = total / (n * (n - 1)) as f64;
        assert!((spread(&rows, dim) - brute).abs() < 1e-9, "{brute}");
        assert_eq!(spread(&rows[..2], dim), 0.0);
    }

    #[test]
    fn distances_argmax_and_agreement_by_hand() {
        assert!(
            (mean_squared_distance(&[0.0, 0.0, 1.0, 1.0], &[3.0, 4.0, 1.0, 1.0], 2) - 12.5).abs()
                < 1e-12
        );
        assert_eq!(row_argmax(&[0.1, 0.7, 0.2, 0.5, 0.5, 0.0], 3), vec![1, 0]);
        assert_eq!(agreement(&[1, 2, 3, 4], &[1, 0, 3, 0]), 0.5);
    }

    #[test]
    fn subset_is_seeded_and_distinct() {
        let a = subset(100, 10, 3);
        assert_eq!(a, subset(100, 10, 3));
        assert_ne!(a, subset(100, 10, 4));
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        assert_eq!(subset(5, 10, 0).len(), 5);
    }

    #[test]
    fn settings_default_and_refuse() {
        let defaults = settings(&ProbeRequest::default(), 28).expect("defaults are valid");
        assert_eq!(defaults.sweeps.len(), TransformKind::CLASSICAL.len());
        assert_eq!(defaults.n_images, N_IMAGES);
        let translation = defaults.sweeps[1];
        assert_eq!(
            (translation.from, translation.to, translation.points),
            (-7.0, 7.0, 15)
        );
        let bad = |request: ProbeRequest, needle: &str| {
            let message = settings(&request, 28).expect_err(needle);
            assert!(message.contains(needle), "{message}");
        };
        let sweep = |transform, from, to, points| ProbeRequest {
            sweeps: Some(vec![Sweep {
                transform,
                from,
                to,
                points,
            }]),
            ..Default::default()
        };
        bad(sweep(TransformKind::Rotation, 0.0, 90.0, 0), "points");
        bad(sweep(TransformKind::Scale, 0.0, 2.0, 5), "within");
        bad(sweep(TransformKind::Rotation, f32::NAN, 2.0, 5), "finite");
        bad(
            ProbeRequest {
                sweeps: Some(vec![]),
                ..Default::default()
            },
            "at least one",
        );
        bad(
            ProbeRequest {
                n_images: Some(1),
                ..Default::default()
            },
            "n_images",
        );
        let many = ProbeRequest {
            sweeps: Some(vec![
                Sweep {
                    transform: TransformKind::Rotation,
                    from: 0.0,
                    to: 1.0,
                    points: 300,
                };
                7
            ]),
            ..Default::default()
        };
        bad(many, "in all");
    }

    fn random_images(n: usize, channels: usize, side: usize, seed: u64) -> Vec<Pixels> {
        let mut generator = SplitMix64::new(seed);
        (0..n)
            .map(|_| Pixels {
                channels,
                height: side,
                width: side,
                values: (0..channels * side * side)
                    .map(|_| (generator.next_u64() % 1000) as f32 / 999.0)
                    .collect(),
            })
            .collect()
    }

    fn spec(channels: usize, side: usize) -> InputSpec {
        InputSpec {
            channels,
            height: side,
            width: side,
            mean: vec![0.3; channels],
            std: vec![0.2; channels],
        }
    }

    fn ignore(_: f64, _: &str) {}

    #[test]
    fn identity_sweeps_give_zero_sensitivity_and_full_consistency() {
        let device = Device::flex();
        let model = crate::rng::seeded_init(
            &ClassifierConfig::Lenet(LeNetConfig::new(1, 16, 16, 10)),
            &device,
            1,
        );
        let forward = |batch: Tensor<4>| {
            let features = model.features(batch);
            (model.head(features.clone()), features)
        };
        let images = random_images(20, 1, 16, 2);
        let labels = vec![0; 20];
        let sweeps: Vec<Sweep> = TransformKind::ALL
            .iter()
            .map(|&transform| Sweep {
                transform,
                from: transform.identity(),
                to: transform.identity(),
                points: 1,
            })
            .collect();
        let (_, logit_spread, feature_spread, curves) = probe(
            &images,
            &labels,
            &spec(1, 16),
            &sweeps,
            &forward,
            &device,
            &mut ignore,
        );
        assert!(logit_spread > 0.0 && feature_spread > 0.0);
        for curve in curves {
            assert_eq!(curve.consistency, vec![1.0], "{:?}", curve.sweep);
            assert_eq!(
                curve.sensitivity_logits,
                vec![Some(0.0)],
                "{:?}",
                curve.sweep
            );
            assert_eq!(
                curve.sensitivity_features,
                vec![Some(0.0)],
                "{:?}",
                curve.sweep
            );
        }
    }

    /// Circular padding by `p` on both spatial axes: `[b, c, h, w]` → `[b, c, h+2p, w+2p]`.
    fn pad_circular(x: Tensor<4>, p: usize) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let x = Tensor::cat(
            vec![x.clone().narrow(2, h - p, p), x.clone(), x.narrow(2, 0, p)],
            2,
        );
        Tensor::cat(
            vec![x.clone().narrow(3, w - p, p), x.clone(), x.narrow(3, 0, p)],
            3,
        )
    }

    #[test]
    fn circular_conv_with_average_pooling_is_invariant_to_circular_shifts() {
        let device = Device::flex();
        let mut generator = SplitMix64::new(9);
        let mut draw = |count: usize| -> Vec<f32> {
            (0..count)
                .map(|_| (generator.next_u64() % 2001) as f32 / 1000.0 - 1.0)
                .collect()
        };
        let (channels, hidden, classes) = (3, 8, 5);
        let weight1 = Tensor::<4>::from_data(
            TensorData::new(draw(hidden * channels * 9), [hidden, channels, 3, 3]),
            &device,
        );
        let weight2 = Tensor::<4>::from_data(
            TensorData::new(draw(hidden * hidden * 9), [hidden, hidden, 3, 3]),
            &device,
        );
        let head = Tensor::<2>::from_data(
            TensorData::new(draw(hidden * classes), [hidden, classes]),
            &device,
        );
        let options = || ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
        let circular = |batch: Tensor<4>| {
            let x = conv2d(pad_circular(batch, 1), weight1.clone(), None, options()).clamp_min(0.0);
            let x = conv2d(pad_circular(x, 1), weight2.clone(), None, options()).clamp_min(0.0);
            let [b, c, _, _] = x.dims();
            let features = x.mean_dim(3).mean_dim(2).reshape([b, c]);
            (features.clone().matmul(head.clone()), features)
        };
        // The same network with zero padding is not invariant: the test can fail.
        let zero_padded = |batch: Tensor<4>| {
            let padded = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
            let x = conv2d(batch, weight1.clone(), None, padded.clone()).clamp_min(0.0);
            let x = conv2d(x, weight2.clone(), None, padded).clamp_min(0.0);
            let [b, c, _, _] = x.dims();
            let features = x.mean_dim(3).mean_dim(2).reshape([b, c]);
            (features.clone().matmul(head.clone()), features)
        };
        let side = 8;
        let images = random_images(40, channels, side, 4);
        let labels = vec![0; images.len()];
        let sweeps =
            [TransformKind::CircularShiftX, TransformKind::CircularShiftY].map(|transform| Sweep {
                transform,
                from: 0.0,
                to: (side - 1) as f32,
                points: side,
            });
        let (_, logit_spread, _, curves) = probe(
            &images,
            &labels,
            &spec(channels, side),
            &sweeps,
            &circular,
            &device,
            &mut ignore,
        );
        assert!(logit_spread > 1e-3);
        for curve in &curves {
            assert!(curve.consistency.iter().all(|&c| c == 1.0), "{curve:?}");
            for s in curve
                .sensitivity_logits
                .iter()
                .chain(&curve.sensitivity_features)
            {
                assert!(s.expect("spread > 0") < 1e-9, "{curve:?}");
            }
        }
        let (_, _, _, curves) = probe(
            &images,
            &labels,
            &spec(channels, side),
            &sweeps,
            &zero_padded,
            &device,
            &mut ignore,
        );
        let largest = curves[0]
            .sensitivity_logits
            .iter()
            .map(|s| s.expect("spread > 0"))
            .fold(0.0, f64::max);
        assert!(largest > 1e-3, "{largest}");
    }
}
