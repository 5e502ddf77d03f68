//! Every limit memlab enforces, in one place: request and upload sizes, decoding, the ranges of
//! every job's hyperparameters, study grids and uploads per client. The server validates with
//! these; the browser can show them. A value outside a range is the user's error (4xx).

/// An interval a number must lie in, with the field's name for the error message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range<T> {
    /// The field, as the API names it.
    pub name: &'static str,
    /// The least value (excluded when `open_min`).
    pub min: T,
    /// The greatest value (included).
    pub max: T,
    /// Whether `min` itself is refused: `(min, max]`.
    pub open_min: bool,
    /// Unit for the message (`""` for none).
    pub unit: &'static str,
}

impl<T: Copy> Range<T> {
    /// `[min, max]`.
    pub const fn closed(name: &'static str, min: T, max: T) -> Self {
        Self {
            name,
            min,
            max,
            open_min: false,
            unit: "",
        }
    }

    /// `(min, max]`.
    pub const fn open_below(name: &'static str, min: T, max: T) -> Self {
        Self {
            name,
            min,
            max,
            open_min: true,
            unit: "",
        }
    }

    /// The same range with a unit in its message.
    pub const fn in_unit(self, unit: &'static str) -> Self {
        Self { unit, ..self }
    }

    /// The same bounds for another field.
    pub const fn named(self, name: &'static str) -> Self {
        Self { name, ..self }
    }

    /// The same range up to `max`.
    pub const fn up_to(self, max: T) -> Self {
        Self { max, ..self }
    }
}

impl<T: Copy + PartialOrd + std::fmt::Display> Range<T> {
    fn message(&self, value: impl std::fmt::Display) -> String {
        let open = if self.open_min { "(" } else { "[" };
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        format!(
            "{} must be in {open}{}, {}]{unit}, got {value}",
            self.name, self.min, self.max
        )
    }

    fn contains(&self, value: T) -> bool {
        let above = if self.open_min {
            value > self.min
        } else {
            value >= self.min
        };
        above && value <= self.max
    }
}

impl Range<usize> {
    /// `value` if it lies in the range, else the message a user reads.
    pub fn check(&self, value: usize) -> Result<usize, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(self.message(value))
        }
    }
}

impl Range<f64> {
    /// `value` if it is finite and lies in the range, else the message a user reads.
    pub fn check(&self, value: f64) -> Result<f64, String> {
        if value.is_finite() && self.contains(value) {
            Ok(value)
        } else {
            Err(self.message(value))
        }
    }
}

// Requests and uploads.

/// The largest request body (JSON or multipart), bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The widest or tallest image an upload may declare (checked before decoding).
pub const MAX_DECODE_SIDE: u32 = 4096;
/// The most memory decoding one upload may allocate, bytes (a 4096 × 4096 RGBA image).
pub const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;
/// Uploads (`/predict`) one client address may have in flight at once; more are answered 429.
pub const MAX_UPLOADS_IN_FLIGHT_PER_CLIENT: usize = 16;
/// The largest image file a user may publish for share links, bytes.
pub const MAX_PUBLISHED_BYTES: usize = 4 * 1024 * 1024;
/// The widest or tallest image a user may publish for share links, pixels.
pub const MAX_PUBLISHED_SIDE: u32 = 1024;
/// Images one client address may publish per [`PUBLISH_WINDOW_SECONDS`]; more are answered 429.
pub const MAX_PUBLISHED_PER_CLIENT: usize = 30;
/// The sliding window of [`MAX_PUBLISHED_PER_CLIENT`], seconds.
pub const PUBLISH_WINDOW_SECONDS: u64 = 600;
/// Characters of a user-given name.
pub const NAME_CHARS: Range<usize> = Range::closed("name", 1, 200).in_unit("characters");

// Your own data sets.

/// Classes of an image-folder data set.
pub const MAX_FOLDER_CLASSES: usize = 256;
/// Images of a folder data set are brought to at most this many pixels a side.
pub const MAX_FOLDER_SIDE: usize = 64;

// Training runs.

/// Epochs of a run.
pub const EPOCHS: Range<usize> = Range::closed("epochs", 1, 1000);
/// Examples per step.
pub const BATCH_SIZE: Range<usize> = Range::closed("batch_size", 1, 4096);
/// Optimizer step size.
pub const LEARNING_RATE: Range<f64> = Range::open_below("learning_rate", 0.0, 10.0);
/// Fraction of labels replaced by random ones.
pub const LABEL_CORRUPTION: Range<f64> = Range::closed("randomization.label_corruption", 0.0, 1.0);
/// Training accuracy at which a run stops early.
pub const STOP_AT_TRAIN_ACCURACY: Range<f64> =
    Range::open_below("stop_at_train_accuracy", 0.0, 1.0);
/// Largest random rotation of augmentation.
pub const AUGMENT_ROTATION: Range<f64> =
    Range::closed("augmentation.rotation", 0.0, 180.0).in_unit("degrees");
/// Largest random shift of augmentation (the maximum is half the image's shorter side).
pub const AUGMENT_TRANSLATION: Range<f64> =
    Range::closed("augmentation.translation", 0.0, f64::MAX).in_unit("pixels");
/// Largest relative zoom of augmentation.
pub const AUGMENT_SCALE: Range<f64> = Range::closed("augmentation.scale", 0.0, 0.9);

/// Patch model: patch side p (also at most the image's side).
pub const PATCH_SIZE: Range<usize> = Range::closed("patches.patch", 1, 16).in_unit("pixels");
/// Patch model: dictionary size Q.
pub const PATCH_ATOMS: Range<usize> = Range::closed("patches.atoms", 2, 8192);
/// Patch model: the grid side (also at most the side of the map of patch positions).
pub const PATCH_GRID: Range<usize> = Range::closed("patches.grid", 1, 8);
/// Patch model: the width of the optional hidden layer.
pub const PATCH_HIDDEN: Range<usize> = Range::closed("patches.hidden", 1, 4096);
/// Patch model: the whitening regularizer ε.
pub const PATCH_WHITENING: Range<f64> = Range::closed("patches.whitening", 0.0, 100.0);
/// Patch geometry: patches drawn per size (the neighbour search is quadratic in them).
pub const GEOMETRY_PATCHES: Range<usize> = Range::closed("patches", 100, 10_000);
/// Patch geometry: Levina–Bickel's neighbours.
pub const GEOMETRY_K: Range<usize> = Range::closed("k", 3, 100);
/// Patch geometry: the whitening regularizer ε.
pub const GEOMETRY_WHITENING: Range<f64> = Range::closed("whitening", 0.0, 100.0);
/// Patch and scattering models: the encodings of a run's training and test images are held
/// in memory.
pub const MAX_ENCODING_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Scattering: scales J (also 2^J at most the image's shorter side).
pub const SCATTERING_SCALES: Range<usize> = Range::closed("scattering.scales", 1, 5);
/// Scattering: angles L.
pub const SCATTERING_ANGLES: Range<usize> = Range::closed("scattering.angles", 1, 16);
/// Scattering: the hybrid CNN's width.
pub const SCATTERING_HIDDEN: Range<usize> = Range::closed("scattering.hidden", 1, 512);

// Studies.

/// Member runs of one study.
pub const MAX_STUDY_MEMBERS: usize = 16;

// Bound panels.

/// Confidence parameter of every bound.
pub const DELTA: Range<f64> = Range::open_below("delta", 0.0, 0.5);
/// Gradient steps of the PAC-Bayes posterior.
pub const PAC_BAYES_STEPS: Range<usize> = Range::closed("pac_bayes.steps", 1, 200_000);
/// Monte-Carlo draws of the PAC-Bayes certificate.
pub const PAC_BAYES_SAMPLES: Range<usize> = Range::closed("pac_bayes.samples", 100, 1_000_000);
/// Step size of the PAC-Bayes posterior.
pub const PAC_BAYES_LEARNING_RATE: Range<f64> =
    Range::open_below("pac_bayes.learning_rate", 0.0, 0.1);
/// Initial standard deviation of the PAC-Bayes posterior.
pub const PAC_BAYES_INITIAL_STD: Range<f64> = Range::open_below("pac_bayes.initial_std", 0.0, 0.3);

// Invariance probes.

/// Test images of a probe.
pub const PROBE_IMAGES: Range<usize> = Range::closed("n_images", 2, 10_000);
/// Parameter values of one sweep.
pub const SWEEP_POINTS: Range<usize> = Range::closed("points", 1, 361);
/// Parameter values of all sweeps of a probe together.
pub const MAX_PROBE_POINTS: usize = 2_000;

// Lie-generator discovery.

/// Test images of a Lie discovery.
pub const LIE_IMAGES: Range<usize> = Range::closed("n_images", 2, 10_000);
/// Finite-difference step along each generator.
pub const LIE_STEP: Range<f64> = Range::open_below("step", 0.0, 4.0).in_unit("pixels");

// Learned symmetries.

/// Generator steps of L_θ.
pub const SYMMETRY_STEPS: Range<usize> = Range::closed("steps", 1, 100_000);
/// Images per step of L_θ.
pub const SYMMETRY_BATCH_SIZE: Range<usize> = Range::closed("batch_size", 2, 512);
/// Step size of L_θ and D.
pub const SYMMETRY_LEARNING_RATE: Range<f64> = Range::closed("learning_rate", 1e-6, 0.1);
/// Discriminator steps per generator step.
pub const DISCRIMINATOR_STEPS: Range<usize> = Range::closed("discriminator_steps", 1, 10);
/// Every weight of the objective's terms (named per field).
pub const TERM_WEIGHT: Range<f64> = Range::closed("weight", 0.0, 1e3);
/// τ, the least change L must make.
pub const MIN_CHANGE: Range<f64> = Range::closed("min_change", 0.0, 1.0);
/// q, the fraction of pooled pixels over which that change is measured.
pub const CHANGE_FRACTION: Range<f64> = Range::open_below("change_fraction", 0.0, 1.0);
/// Self-training rounds of the discovered splitter.
pub const SPLITTER_ROUNDS: Range<usize> = Range::closed("splitter_rounds", 1, 10);
/// Regression steps of the basin test (0: off).
pub const BASIN_STEPS: Range<usize> = Range::closed("basin_steps", 0, 100_000);
/// Steps between stored sample grids.
pub const SAMPLE_EVERY: Range<usize> = Range::closed("sample_every", 1, 100_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_accept_their_ends_and_say_why_they_refuse() {
        assert_eq!(EPOCHS.check(1), Ok(1));
        assert_eq!(EPOCHS.check(1000), Ok(1000));
        assert_eq!(
            EPOCHS.check(0),
            Err("epochs must be in [1, 1000], got 0".into())
        );
        assert_eq!(LEARNING_RATE.check(10.0), Ok(10.0));
        assert_eq!(
            LEARNING_RATE.check(0.0),
            Err("learning_rate must be in (0, 10], got 0".into())
        );
        assert!(LEARNING_RATE.check(f64::NAN).is_err());
        assert!(LEARNING_RATE.check(f64::INFINITY).is_err());
        assert_eq!(
            AUGMENT_TRANSLATION.up_to(14.0).check(15.0),
            Err("augmentation.translation must be in [0, 14] pixels, got 15".into())
        );
        assert_eq!(
            TERM_WEIGHT.named("involution_weight").check(-1.0),
            Err("involution_weight must be in [0, 1000], got -1".into())
        );
        assert_eq!(LIE_STEP.check(4.0), Ok(4.0));
        assert!(LIE_STEP.check(0.0).is_err());
    }
}
