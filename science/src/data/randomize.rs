//! Randomization tests (Zhang, Bengio, Hardt, Recht & Vinyals, ICLR 2017): the same data set with
//! corrupted labels, shuffled or random pixels, or Gaussian inputs, drawn from the run's seed so
//! that training and the bound panel see the very same examples.

use std::borrow::Cow;

use memlab_shared::api::{ExperimentConfig, InputRandomization, Randomization};

use super::{Dataset, Split};
use crate::rng::SplitMix64;

/// Separates the randomization's generator from the run's shuffling generator.
const STREAM: u64 = 0x9E37_79B9_7F4A_7C15;

/// A standard normal draw (Box–Muller).
fn normal(generator: &mut SplitMix64) -> f64 {
    let u = generator.next_f64().max(f64::MIN_POSITIVE);
    let v = generator.next_f64();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Applies `permutation` (of pixel positions) to every channel plane of one image.
fn permute(image: &mut [u8], permutation: &[usize], plane: usize) {
    for channel in image.chunks_mut(plane) {
        let original = channel.to_vec();
        for (target, &source) in permutation.iter().enumerate() {
            channel[target] = original[source];
        }
    }
}

fn randomize_inputs(
    split: &mut Split,
    inputs: InputRandomization,
    shared: &[usize],
    plane: usize,
    stats: &[(f64, f64)],
    generator: &mut SplitMix64,
) {
    let image_len = split.image_len;
    for image in split.images.chunks_mut(image_len) {
        match inputs {
            InputRandomization::None => {}
            InputRandomization::ShuffledPixels => permute(image, shared, plane),
            InputRandomization::RandomPixels => {
                let mut own: Vec<usize> = (0..plane).collect();
                generator.shuffle(&mut own);
                permute(image, &own, plane);
            }
            InputRandomization::Gaussian => {
                for (channel, values) in image.chunks_mut(plane).enumerate() {
                    let (mean, std) = stats[channel];
                    for value in values {
                        let x = (mean + std * normal(generator)).clamp(0.0, 1.0);
                        *value = (x * 255.0).round() as u8;
                    }
                }
            }
        }
    }
}

/// The randomized copy of `dataset` for `randomization` and `seed`; `None` when nothing is
/// randomized. Labels of the test split stay true; inputs change in both splits.
pub fn randomized(dataset: &Dataset, randomization: &Randomization, seed: u64) -> Option<Dataset> {
    if randomization.is_none() {
        return None;
    }
    let mut generator = SplitMix64::new(seed ^ STREAM);
    let spec = &dataset.info.input;
    let plane = spec.height * spec.width;
    let classes = dataset.info.class_names.len() as u64;
    let mut out = dataset.clone();
    let p = randomization.label_corruption.clamp(0.0, 1.0);
    if p > 0.0 {
        for label in &mut out.train.labels {
            if generator.next_f64() < p {
                *label = (generator.next_u64() % classes) as u8;
            }
        }
    }
    let mut shared: Vec<usize> = (0..plane).collect();
    generator.shuffle(&mut shared);
    let stats: Vec<(f64, f64)> = spec
        .mean
        .iter()
        .zip(&spec.std)
        .map(|(&m, &s)| (f64::from(m), f64::from(s)))
        .collect();
    for split in [&mut out.train, &mut out.test] {
        randomize_inputs(
            split,
            randomization.inputs,
            &shared,
            plane,
            &stats,
            &mut generator,
        );
    }
    Some(out)
}

/// The data set a run trains on (and its bounds are about): `dataset` itself, or its
/// randomized copy.
pub fn for_run<'a>(dataset: &'a Dataset, config: &ExperimentConfig) -> Cow<'a, Dataset> {
    match randomized(dataset, &config.randomization, config.seed) {
        Some(copy) => Cow::Owned(copy),
        None => Cow::Borrowed(dataset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        let images: Vec<u8> = (0..n * 4).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let split = Split {
            images,
            labels,
            image_len: 4,
        };
        Dataset::new(
            "toy",
            String::new(),
            [1, 2, 2],
            vec!["a".into(), "b".into(), "c".into()],
            split.clone(),
            split,
        )
    }

    fn with(p: f64, inputs: InputRandomization) -> Randomization {
        Randomization {
            label_corruption: p,
            inputs,
        }
    }

    #[test]
    fn nothing_to_do_gives_none() {
        assert!(randomized(&toy(3), &Randomization::default(), 1).is_none());
    }

    #[test]
    fn label_corruption_rate_and_determinism() {
        let data = toy(30_000);
        let corrupted = randomized(&data, &with(0.5, InputRandomization::None), 7).expect("some");
        let changed = data
            .train
            .labels
            .iter()
            .zip(&corrupted.train.labels)
            .filter(|(a, b)| a != b)
            .count() as f64
            / 30_000.0;
        // A corrupted label differs with probability 2/3 (3 classes): 0.5 · 2/3 = 1/3.
        assert!((changed - 1.0 / 3.0).abs() < 0.015, "{changed}");
        assert_eq!(
            corrupted.test.labels, data.test.labels,
            "test labels stay true"
        );
        assert_eq!(corrupted.train.images, data.train.images);
        let again = randomized(&data, &with(0.5, InputRandomization::None), 7).expect("some");
        assert_eq!(again.train.labels, corrupted.train.labels);
        let all = randomized(&data, &with(1.0, InputRandomization::None), 7).expect("some");
        let agree = data
            .train
            .labels
            .iter()
            .zip(&all.train.labels)
            .filter(|(a, b)| a == b)
            .count() as f64
            / 30_000.0;
        assert!(
            (agree - 1.0 / 3.0).abs() < 0.015,
            "random labels agree at chance: {agree}"
        );
    }

    #[test]
    fn pixel_permutations() {
        let data = toy(50);
        let shuffled =
            randomized(&data, &with(0.0, InputRandomization::ShuffledPixels), 3).expect("some");
        // One permutation for all: find it from the first image, check it on every other.
        let first = data.train.image(0);
        let moved = shuffled.train.image(0);
        let permutation: Vec<usize> = moved
            .iter()
            .map(|v| first.iter().position(|w| w == v).expect("same values"))
            .collect();
        for index in 0..50 {
            let original = data.test.image(index);
            let expected: Vec<u8> = permutation.iter().map(|&p| original[p]).collect();
            assert_eq!(shuffled.test.image(index), expected.as_slice());
        }
        let random =
            randomized(&data, &with(0.0, InputRandomization::RandomPixels), 3).expect("some");
        for index in 0..50 {
            let mut a = data.train.image(index).to_vec();
            let mut b = random.train.image(index).to_vec();
            a.sort();
            b.sort();
            assert_eq!(a, b, "each image keeps its pixel values");
        }
        assert_eq!(random.train.labels, data.train.labels);
    }

    #[test]
    fn gaussian_inputs_match_the_statistics() {
        let data = toy(20_000);
        let noisy = randomized(&data, &with(0.0, InputRandomization::Gaussian), 5).expect("some");
        let values: Vec<f64> = noisy
            .train
            .images
            .iter()
            .map(|&v| f64::from(v) / 255.0)
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let expected = f64::from(data.info.input.mean[0]);
        // The data's mean is near the middle of [0, 1], so clipping hardly moves it.
        assert!((mean - expected).abs() < 0.02, "{mean} vs {expected}");
        assert_ne!(noisy.test.images, data.test.images);
    }
}
