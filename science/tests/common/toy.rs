//! The toy data set the tests train on: a tiny image folder separable by brightness, and quick
//! runs over it. Shared by the science and server tests (the server's `common` includes this
//! file).

#![allow(dead_code)]

use std::path::Path;

use memlab_shared::api::{ExperimentConfig, ModelKind, OptimizerKind};
use memlab_shared::preprocess::Pixels;

/// Side of the toy images.
pub const SIDE: usize = 16;

/// Writes `<root>/toy/train/{dark,bright}/*.png`: 25 images a class, separable by brightness.
pub fn write_toy_dataset(root: &Path) {
    for (class, base) in [("dark", 10u8), ("bright", 200u8)] {
        let dir = root.join("toy/train").join(class);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for index in 0..25u8 {
            let bytes: Vec<u8> = (0..SIDE * SIDE)
                .map(|p| base + ((p as u8).wrapping_mul(index + 1) % 40))
                .collect();
            let png = Pixels::from_u8(1, SIDE, SIDE, &bytes)
                .to_png()
                .expect("png");
            std::fs::write(dir.join(format!("{index:02}.png")), png).expect("write");
        }
    }
}

/// A bright toy image as PNG.
pub fn bright_png() -> Vec<u8> {
    Pixels::from_u8(1, SIDE, SIDE, &[220; SIDE * SIDE])
        .to_png()
        .expect("png")
}

/// A quick MLP run on the toy set.
pub fn toy_config(seed: u64) -> ExperimentConfig {
    ExperimentConfig {
        name: None,
        dataset: "toy".into(),
        model: ModelKind::Mlp,
        n_train: None,
        epochs: 3,
        seed,
        learning_rate: 1e-2,
        batch_size: 8,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    }
}

/// A small whitened-patch run on the toy set: 4×4 patches, 16 atoms, the first 10 images for
/// the encoder.
pub fn toy_patches(seed: u64, epochs: usize) -> ExperimentConfig {
    ExperimentConfig {
        model: ModelKind::Patches,
        epochs,
        patches: memlab_shared::api::PatchSettings {
            patch: 4,
            atoms: 16,
            dictionary_images: 10,
            ..Default::default()
        },
        ..toy_config(seed)
    }
}
