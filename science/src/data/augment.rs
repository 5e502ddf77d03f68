//! Data augmentation for training: each time an image is drawn it is moved by a random affine
//! map (rotation, zoom, translation about the centre, zero fill) and possibly mirrored, with the
//! shared transforms; the draws come from the run's seed, so a seed reproduces the run.

use memlab_shared::api::Augmentation;
use memlab_shared::limits;
use memlab_shared::preprocess::Pixels;
use memlab_shared::transform::{Affine, Fill, flip_horizontal, warp};

use crate::rng::SplitMix64;

/// Separates the augmentation's generator from the run's other streams.
const STREAM: u64 = 0x6175_676d_656e_7421;

/// Checks the ranges of `augmentation` for images whose shorter side is `side` pixels.
pub fn validate(augmentation: &Augmentation, side: usize) -> Result<(), String> {
    let Augmentation {
        rotation,
        translation,
        scale,
        ..
    } = *augmentation;
    limits::AUGMENT_ROTATION.check(rotation)?;
    limits::AUGMENT_TRANSLATION
        .up_to(side as f64 / 2.0)
        .check(translation)?;
    limits::AUGMENT_SCALE.check(scale)?;
    Ok(())
}

/// Draws and applies random transforms.
#[derive(Debug, Clone)]
pub struct Augmenter {
    augmentation: Augmentation,
    generator: SplitMix64,
}

impl Augmenter {
    /// An augmenter for a run with `seed`.
    pub fn new(augmentation: Augmentation, seed: u64) -> Self {
        Self {
            augmentation,
            generator: SplitMix64::new(seed ^ STREAM),
        }
    }

    /// The generator's state: [`Augmenter::resume`] with it draws what this one would draw next.
    pub fn state(&self) -> u64 {
        self.generator.state()
    }

    /// An augmenter that goes on from a saved [`Augmenter::state`].
    pub fn resume(augmentation: Augmentation, state: u64) -> Self {
        Self {
            augmentation,
            generator: SplitMix64::from_state(state),
        }
    }

    /// Uniform in `[−range, range]`.
    fn symmetric(&mut self, range: f64) -> f32 {
        ((2.0 * self.generator.next_f64() - 1.0) * range) as f32
    }

    /// The next random map (about the image centre) and whether to mirror.
    pub fn draw(&mut self) -> (Affine, bool) {
        let Augmentation {
            rotation,
            translation,
            scale,
            horizontal_flip,
        } = self.augmentation;
        let angle = self.symmetric(rotation);
        let zoom = 1.0 + self.symmetric(scale);
        let (x, y) = (self.symmetric(translation), self.symmetric(translation));
        let flip = horizontal_flip && self.generator.next_f64() < 0.5;
        let map = Affine::translation(x, y)
            .after(&Affine::rotation(angle))
            .after(&Affine::scale(zoom));
        (map, flip)
    }

    /// `pixels` moved by the next random draw.
    pub fn apply(&mut self, pixels: &Pixels) -> Pixels {
        let (map, flip) = self.draw();
        let moved = if map == Affine::IDENTITY {
            pixels.clone()
        } else {
            warp(pixels, &map, Fill::Zero)
        };
        if flip { flip_horizontal(&moved) } else { moved }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(side: usize, row: usize, col: usize) -> Pixels {
        let mut values = vec![0.0; side * side];
        values[row * side + col] = 1.0;
        Pixels {
            channels: 1,
            height: side,
            width: side,
            values,
        }
    }

    #[test]
    fn no_augmentation_is_the_identity() {
        let image = dot(5, 1, 3);
        let mut augmenter = Augmenter::new(Augmentation::default(), 7);
        for _ in 0..10 {
            assert_eq!(augmenter.apply(&image), image);
        }
    }

    #[test]
    fn draws_stay_in_range_and_are_seeded() {
        let augmentation = Augmentation {
            rotation: 30.0,
            translation: 2.0,
            scale: 0.1,
            horizontal_flip: true,
        };
        let mut a = Augmenter::new(augmentation, 1);
        let mut b = Augmenter::new(augmentation, 1);
        let mut flips = 0;
        for _ in 0..2000 {
            let (map, flip) = a.draw();
            assert_eq!((map, flip), b.draw());
            flips += usize::from(flip);
            // The linear part is zoom × rotation: its determinant is zoom².
            let [[p, q], [r, s]] = map.linear;
            let zoom = (p * s - q * r).sqrt();
            assert!((0.9 - 1e-5..=1.1 + 1e-5).contains(&zoom), "{zoom}");
            let angle = (-r).atan2(p).to_degrees();
            assert!(angle.abs() <= 30.0 + 1e-3, "{angle}");
            assert!(map.shift.iter().all(|t| t.abs() <= 2.0));
        }
        assert!((900..1100).contains(&flips), "{flips}");
        assert_ne!(
            Augmenter::new(augmentation, 2).draw(),
            Augmenter::new(augmentation, 1).draw()
        );
    }

    #[test]
    fn translation_only_moves_a_dot_within_range() {
        let augmentation = Augmentation {
            translation: 1.0,
            ..Default::default()
        };
        let mut augmenter = Augmenter::new(augmentation, 3);
        for _ in 0..50 {
            let moved = augmenter.apply(&dot(7, 3, 3));
            // Mass is kept (bilinear weights sum to 1, nothing leaves a 7×7 image) and stays
            // within one pixel of the centre.
            let total: f32 = moved.values.iter().sum();
            assert!((total - 1.0).abs() < 1e-5);
            for (index, value) in moved.values.iter().enumerate() {
                let (row, col) = (index / 7, index % 7);
                if *value > 0.0 {
                    assert!(row.abs_diff(3) <= 1 && col.abs_diff(3) <= 1);
                }
            }
        }
    }

    #[test]
    fn validation_names_the_field() {
        let check = |augmentation: Augmentation, needle: &str| {
            let message = validate(&augmentation, 28).expect_err(needle);
            assert!(message.contains(needle), "{message}");
        };
        check(
            Augmentation {
                rotation: 200.0,
                ..Default::default()
            },
            "rotation",
        );
        check(
            Augmentation {
                rotation: f64::NAN,
                ..Default::default()
            },
            "rotation",
        );
        check(
            Augmentation {
                translation: 15.0,
                ..Default::default()
            },
            "translation",
        );
        check(
            Augmentation {
                scale: -0.1,
                ..Default::default()
            },
            "scale",
        );
        assert!(
            validate(
                &Augmentation {
                    rotation: 30.0,
                    translation: 3.0,
                    scale: 0.2,
                    horizontal_flip: true
                },
                28
            )
            .is_ok()
        );
    }
}
