//! Data sets: the built-in MNIST and Fashion-MNIST (IDX files fetched by `cargo xtask setup`),
//! the generated Glasses faces ([`glasses`]),
//! users' CIFAR-10 binary batches and image folders, loaded once and kept in memory as 8-bit
//! pixels; [`augment`] moves training images at random, [`randomize`] runs randomization tests.

pub mod augment;
mod catalog;
mod cifar;
mod folder;
pub mod glasses;
pub mod idx;
pub mod randomize;

use std::path::{Path, PathBuf};

use memlab_shared::api::DatasetInfo;
use memlab_shared::preprocess::{InputSpec, Pixels};

pub use catalog::{Catalog, default_dir};

/// Why a data set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not in the expected format.
    #[error("{path} is malformed: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No data set of that name exists.
    #[error("no data set named '{0}'")]
    Unknown(String),
    /// A built-in data set's files are missing.
    #[error("data set '{name}' is not installed in {dir}: run `cargo xtask setup`")]
    Missing {
        /// The data set.
        name: String,
        /// Where it was looked for.
        dir: PathBuf,
    },
}

impl DataError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// One split (train or test): images as 8-bit pixels, channels first, and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// `len × channels × height × width` bytes.
    pub images: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u8>,
    /// Bytes per image.
    pub image_len: usize,
}

impl Split {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The raw bytes of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * self.image_len..(index + 1) * self.image_len]
    }

    /// How many examples each class has.
    pub fn class_counts(&self, n_classes: usize) -> Vec<usize> {
        let mut counts = vec![0; n_classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }
}

/// A loaded data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Name, description, input spec and sizes.
    pub info: DatasetInfo,
    /// Training split.
    pub train: Split,
    /// Test split.
    pub test: Split,
}

impl Dataset {
    /// Builds a data set, computing the per-channel mean and standard deviation of the
    /// training pixels (scaled to `[0, 1]`) for normalization.
    pub fn new(
        name: &str,
        description: String,
        shape: [usize; 3],
        class_names: Vec<String>,
        train: Split,
        test: Split,
    ) -> Self {
        let [channels, height, width] = shape;
        let (mean, std) = channel_statistics(&train, channels, height * width);
        let info = DatasetInfo {
            name: name.to_owned(),
            description,
            input: InputSpec {
                channels,
                height,
                width,
                mean,
                std,
            },
            class_names,
            n_train: train.len(),
            n_test: test.len(),
        };
        Self { info, train, test }
    }

    /// Image `index` of the test split as `[0, 1]` pixels.
    pub fn test_pixels(&self, index: usize) -> Pixels {
        let spec = &self.info.input;
        Pixels::from_u8(
            spec.channels,
            spec.height,
            spec.width,
            self.test.image(index),
        )
    }
}

/// Per-channel mean and standard deviation of pixels scaled to `[0, 1]`.
fn channel_statistics(split: &Split, channels: usize, plane: usize) -> (Vec<f32>, Vec<f32>) {
    let mut sums = vec![0f64; channels];
    let mut squares = vec![0f64; channels];
    for index in 0..split.len() {
        for (channel, values) in split.image(index).chunks(plane.max(1)).enumerate() {
            for &byte in values {
                let value = f64::from(byte) / 255.0;
                sums[channel] += value;
                squares[channel] += value * value;
            }
        }
    }
    let count = (split.len() * plane).max(1) as f64;
    let mean: Vec<f64> = sums.iter().map(|sum| sum / count).collect();
    let std = squares
        .iter()
        .zip(&mean)
        .map(|(square, mean)| ((square / count - mean * mean).max(0.0).sqrt().max(1e-6)) as f32)
        .collect();
    (mean.into_iter().map(|value| value as f32).collect(), std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_known_answer() {
        // Two 1×1×2 images: pixels 0, 255, 0, 255 → mean 0.5, std 0.5.
        let split = Split {
            images: vec![0, 255, 0, 255],
            labels: vec![0, 1],
            image_len: 2,
        };
        let (mean, std) = channel_statistics(&split, 1, 2);
        assert!((mean[0] - 0.5).abs() < 1e-6);
        assert!((std[0] - 0.5).abs() < 1e-6);
        assert_eq!(split.class_counts(2), vec![1, 1]);
    }
}
