//! Types of the JSON API, shared by the server (which answers) and the browser (which asks).

use serde::{Deserialize, Serialize};

use crate::model::ClassifierConfig;
use crate::preprocess::InputSpec;

/// The body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A short machine-readable kind, e.g. `invalid_input`, `not_found`.
    pub error: String,
    /// A sentence for a person saying what was wrong and how to fix it.
    pub detail: String,
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `"ok"` when the server answers.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// The device training runs on, e.g. `flex (CPU)`.
    pub training_device: String,
    /// Whether the server refuses new experiments (hosted demo).
    pub read_only: bool,
}

/// Which architecture an experiment trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ModelKind {
    /// Two hidden layers of 256 ReLU units.
    Mlp,
    /// A LeNet-5 style CNN.
    Lenet,
    /// Whitened patches, a fixed k-nearest-atom encoding, a linear head (Thiry et al. 2021);
    /// its settings are [`ExperimentConfig::patches`].
    Patches,
    /// The order-2 scattering transform, then a linear classifier or a small CNN (Oyallon et
    /// al. 2017); its settings are [`ExperimentConfig::scattering`].
    Scattering,
}

impl ModelKind {
    /// The name people read (`MLP`, `LeNet`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Mlp => "MLP",
            Self::Lenet => "LeNet",
            Self::Patches => "Patches",
            Self::Scattering => "Scattering",
        }
    }
}

/// Which optimizer trains the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OptimizerKind {
    /// Adam with β = (0.9, 0.999), ε = 1e-8.
    Adam,
    /// Plain stochastic gradient descent.
    Sgd,
}

/// What `POST /api/experiments` accepts: everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// A name for people; defaults to `<model> on <dataset>`.
    #[serde(default)]
    pub name: Option<String>,
    /// Data set name as listed by `GET /api/datasets`.
    pub dataset: String,
    /// Architecture.
    pub model: ModelKind,
    /// Number of training examples used (the first ones of the training split); all if absent.
    #[serde(default)]
    pub n_train: Option<usize>,
    /// Passes over the training examples.
    pub epochs: usize,
    /// Seed of weight initialization and shuffling: the same seed reproduces the run.
    pub seed: u64,
    /// Step size.
    pub learning_rate: f64,
    /// Examples per step.
    pub batch_size: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Randomization test applied to the data (Zhang et al. 2017); none by default.
    #[serde(default)]
    pub randomization: Randomization,
    /// Stop after the first epoch whose training accuracy reaches this value (`epochs` is then
    /// a cap); train all epochs when absent.
    #[serde(default)]
    pub stop_at_train_accuracy: Option<f64>,
    /// Random transforms of each training image each time it is drawn; none by default.
    #[serde(default)]
    pub augmentation: Augmentation,
    /// The whitened-patch model's settings (model `patches` only).
    #[serde(default)]
    pub patches: PatchSettings,
    /// The scattering network's settings (model `scattering` only).
    #[serde(default)]
    pub scattering: ScatteringSettings,
}

/// A scattering network: Kymatio's order-2 scattering transform (J scales, L angles), each of
/// its channels standardized by statistics of the first `calibration_images` training images,
/// then a linear classifier or the "hybrid" small CNN. Only the layers after the transform
/// train.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ScatteringSettings {
    /// Scales J (2^J at most the image's side).
    pub scales: usize,
    /// Angles L.
    pub angles: usize,
    /// How many of the first training images the standardization statistics come from. Bounds
    /// on the model are about the other training images only.
    pub calibration_images: usize,
    /// Width of the hybrid CNN's two 3×3 convolutions; `null`: a linear classifier.
    pub hidden: Option<usize>,
}

impl Default for ScatteringSettings {
    fn default() -> Self {
        Self {
            scales: 2,
            angles: 8,
            calibration_images: 1000,
            hidden: None,
        }
    }
}

impl ScatteringSettings {
    /// A short description, e.g. `J = 2, L = 8 (81 channels), linear classifier, standardized
    /// by the first 1000 training images`.
    pub fn describe(&self) -> String {
        let head = match self.hidden {
            Some(width) => format!("hybrid CNN of width {width}"),
            None => "linear classifier".to_owned(),
        };
        format!(
            "J = {}, L = {} ({} channels), {head}, standardized by the first {} training images",
            self.scales,
            self.angles,
            crate::scattering::filters::channel_count(self.scales, self.angles),
            self.calibration_images,
        )
    }
}

/// The whitened-patch model (Thiry, Arbel, Belilovsky & Oyallon 2021): p×p patches, ZCA
/// whitening (Σ + εI)^{-1/2}, Q atoms drawn from the first `dictionary_images` training images,
/// each patch marked by its k nearest atoms (and its negative's), marks averaged over a grid,
/// then a linear head. Only the head trains.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PatchSettings {
    /// Patch side p.
    pub patch: usize,
    /// Dictionary size Q.
    pub atoms: usize,
    /// Atoms marked per patch, k; 0.4 Q (the authors' choice) when absent.
    pub neighbors: Option<usize>,
    /// The marks are averaged over `grid × grid` regions of the image.
    pub grid: usize,
    /// The whitening regularizer ε (on normalized pixels); `null`: no whitening.
    pub whitening: Option<f64>,
    /// How many of the first training images the whitening and the atoms come from. Bounds on
    /// the model are about the other training images only.
    pub dictionary_images: usize,
    /// Width of one hidden ReLU layer before the head; `null`: a linear head.
    pub hidden: Option<usize>,
}

impl Default for PatchSettings {
    fn default() -> Self {
        Self {
            patch: 5,
            atoms: 256,
            neighbors: None,
            grid: 2,
            whitening: Some(1e-3),
            dictionary_images: 1000,
            hidden: None,
        }
    }
}

impl PatchSettings {
    /// k: `neighbors`, or 0.4 Q rounded (at least 1).
    pub fn neighbors(&self) -> usize {
        self.neighbors
            .unwrap_or_else(|| ((self.atoms as f64 * 0.4).round() as usize).max(1))
    }

    /// A short description, e.g. `p = 5, Q = 256, k = 102, grid 2×2, ZCA ε = 0.001, dictionary
    /// from the first 1000 training images`.
    pub fn describe(&self) -> String {
        let whitening = match self.whitening {
            Some(epsilon) => format!("ZCA ε = {epsilon}"),
            None => "no whitening".to_owned(),
        };
        let head = match self.hidden {
            Some(width) => format!(", hidden layer of {width}"),
            None => String::new(),
        };
        format!(
            "p = {}, Q = {}, k = {}, grid {g}×{g}, {whitening}, dictionary from the first {} \
             training images{head}",
            self.patch,
            self.atoms,
            self.neighbors(),
            self.dictionary_images,
            g = self.grid,
        )
    }
}

/// Data augmentation: every time a training image is drawn, it is moved by a random affine map
/// (rotation, zoom, translation, about the centre, zero fill) and possibly mirrored, with the
/// transforms of [`crate::transform`]; test images are never augmented.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Augmentation {
    /// Rotation by an angle uniform in `[−r, r]` degrees.
    #[serde(default)]
    pub rotation: f64,
    /// Translation by offsets uniform in `[−t, t]` pixels on each axis.
    #[serde(default)]
    pub translation: f64,
    /// Zoom by a factor uniform in `[1 − s, 1 + s]`.
    #[serde(default)]
    pub scale: f64,
    /// Mirror left–right with probability 1/2.
    #[serde(default)]
    pub horizontal_flip: bool,
}

impl Augmentation {
    /// Whether training images are used as they are.
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// A short description, e.g. `rotation ±30°, translation ±2 px`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.rotation > 0.0 {
            parts.push(format!("rotation ±{}°", self.rotation));
        }
        if self.translation > 0.0 {
            parts.push(format!("translation ±{} px", self.translation));
        }
        if self.scale > 0.0 {
            parts.push(format!(
                "scale ×[{}, {}]",
                1.0 - self.scale,
                1.0 + self.scale
            ));
        }
        if self.horizontal_flip {
            parts.push("horizontal flips".to_owned());
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// What a randomization test does to the inputs (Zhang, Bengio, Hardt, Recht & Vinyals 2017).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InputRandomization {
    /// The real images.
    #[default]
    None,
    /// One random permutation of pixel positions, the same for every image (train and test).
    ShuffledPixels,
    /// A different random permutation of pixel positions for each image.
    RandomPixels,
    /// Gaussian noise with the training images' per-channel mean and standard deviation
    /// (clipped to the pixel range and stored as 8-bit values).
    Gaussian,
}

/// A randomization test: corrupted labels and/or randomized inputs, drawn from the run's seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Randomization {
    /// Probability p that a training label is replaced by a uniformly random class (which may
    /// equal the true one); 1 gives fully random labels. Test labels stay true.
    #[serde(default)]
    pub label_corruption: f64,
    /// What happens to the inputs (training and test).
    #[serde(default)]
    pub inputs: InputRandomization,
}

impl Randomization {
    /// Whether the data are left as they are.
    pub fn is_none(&self) -> bool {
        self.label_corruption == 0.0 && self.inputs == InputRandomization::None
    }
}

/// Life cycle of a training job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting in the queue.
    Queued,
    /// Training now.
    Running,
    /// Finished; metrics and weights are stored.
    Done,
    /// Stopped by an error (see `error`).
    Failed,
    /// The server stopped while it was running.
    Interrupted,
}

/// Loss and accuracy of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's training steps.
    pub train_loss: f64,
    /// Training accuracy over the epoch's steps (while the weights moved).
    pub train_accuracy: f64,
    /// Cross-entropy on the whole test split after the epoch.
    pub test_loss: f64,
    /// Accuracy on the whole test split after the epoch.
    pub test_accuracy: f64,
    /// Training throughput over the epoch.
    pub images_per_second: f64,
    /// Optimizer steps taken since the start of the run, at the end of this epoch.
    #[serde(default)]
    pub steps: usize,
}

/// Final numbers of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinalMetrics {
    /// Cross-entropy over the training examples with the final weights.
    pub train_loss: f64,
    /// Accuracy over the training examples with the final weights.
    pub train_accuracy: f64,
    /// Cross-entropy over the test split.
    pub test_loss: f64,
    /// Accuracy over the test split.
    pub test_accuracy: f64,
    /// Number of trainable parameters.
    pub n_parameters: usize,
    /// Wall time of training, in seconds.
    pub train_seconds: f64,
    /// Epochs actually run (fewer than asked when `stop_at_train_accuracy` was reached).
    #[serde(default)]
    pub epochs_run: usize,
    /// Optimizer steps after which the training accuracy target was reached (the end of the
    /// first epoch reaching it), if it was.
    #[serde(default)]
    pub fitted_at_step: Option<usize>,
}

/// Live progress of a running job, as streamed over SSE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    /// 1-based current epoch.
    pub epoch: usize,
    /// Number of epochs.
    pub epochs: usize,
    /// Steps done in this epoch.
    pub step: usize,
    /// Steps in one epoch.
    pub steps_per_epoch: usize,
    /// Mean loss so far in this epoch.
    pub loss: f64,
    /// Accuracy so far in this epoch.
    pub accuracy: f64,
    /// Throughput so far in this epoch.
    pub images_per_second: f64,
    /// Fraction of the whole run done, in `[0, 1]`.
    pub fraction: f64,
}

/// One experiment as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Experiment {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// What was asked for.
    pub config: ExperimentConfig,
    /// Where the job is.
    pub status: JobStatus,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// Per-epoch curves (grows while training).
    pub curves: Vec<EpochMetrics>,
    /// Set when done.
    pub metrics: Option<FinalMetrics>,
    /// Set while running.
    pub progress: Option<Progress>,
    /// Set when failed or interrupted.
    pub error: Option<String>,
    /// The model the weights belong to (architecture and sizes).
    pub model: Option<ClassifierConfig>,
    /// The input the model expects.
    pub input: Option<InputSpec>,
    /// Class names, index = label.
    pub class_names: Vec<String>,
    /// The study this run belongs to, if any.
    #[serde(default)]
    pub study_id: Option<i64>,
    /// Epochs finished before the run last went on from its checkpoint (after a stop), if it
    /// ever did.
    #[serde(default)]
    pub resumed_from_epoch: Option<usize>,
}

/// A server-sent event on `GET /api/experiments/{id}/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TrainingEvent {
    /// Status changed (queued, running, done, failed, interrupted).
    Status {
        /// The new status.
        status: JobStatus,
        /// Error message for failed or interrupted jobs.
        error: Option<String>,
    },
    /// A batch of steps finished.
    Progress(Progress),
    /// An epoch finished.
    Epoch(EpochMetrics),
}

/// One data set in `GET /api/datasets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetInfo {
    /// Name used in URLs and configs.
    pub name: String,
    /// Where it comes from, for people.
    pub description: String,
    /// The input size and normalization models trained on it use.
    pub input: InputSpec,
    /// Class names, index = label.
    pub class_names: Vec<String>,
    /// Examples in the training split.
    pub n_train: usize,
    /// Examples in the test split.
    pub n_test: usize,
}

/// Answer of `POST /api/images`: an image published for share links, stored content-addressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedImage {
    /// SHA-256 of the stored PNG, lowercase hex: `GET /api/images/{id}` serves it, and probe
    /// links name it as `image={id}`.
    pub id: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the stored PNG, bytes.
    pub bytes: usize,
}

/// Whether `text` has the form of a [`PublishedImage::id`] (64 lowercase hex digits).
pub fn is_image_id(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// Answer of `POST /api/experiments/{id}/predict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prediction {
    /// Softmax probabilities, index = class.
    pub probabilities: Vec<f32>,
    /// Raw logits, index = class.
    pub logits: Vec<f32>,
    /// Index of the largest probability.
    pub predicted: usize,
    /// Class names, index = class.
    pub class_names: Vec<String>,
}

/// Index of the largest value (the first one on ties); 0 for an empty slice.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (index, value) in values.iter().enumerate() {
        if *value > values[best] {
            best = index;
        }
    }
    best
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|logit| (logit - max).exp()).collect();
    let total: f32 = exps.iter().sum();
    exps.iter().map(|value| value / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_known_answer() {
        let probabilities = softmax(&[0.0, (2.0f32).ln()]);
        assert!((probabilities[0] - 1.0 / 3.0).abs() < 1e-6);
        assert!((probabilities[1] - 2.0 / 3.0).abs() < 1e-6);
        let large = softmax(&[1000.0, 1000.0]);
        assert!((large[0] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn patch_settings_default_to_the_authors_k_and_read_from_partial_json() {
        let settings: PatchSettings =
            serde_json::from_str(r#"{"atoms": 64, "whitening": null}"#).expect("partial settings");
        assert_eq!(settings.neighbors(), 26); // round(0.4 · 64)
        assert_eq!(settings.patch, PatchSettings::default().patch);
        assert_eq!(settings.whitening, None);
        assert!(
            settings
                .describe()
                .starts_with("p = 5, Q = 64, k = 26, grid 2×2, no whitening"),
            "{}",
            settings.describe()
        );
        assert!(serde_json::from_str::<PatchSettings>(r#"{"kernel": 3}"#).is_err());
    }

    #[test]
    fn argmax_takes_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[]), 0);
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let json = r#"{"dataset":"mnist","model":"lenet","epochs":1,"seed":1,
            "learning_rate":0.001,"batch_size":64,"optimizer":"adam","typo":1}"#;
        assert!(serde_json::from_str::<ExperimentConfig>(json).is_err());
    }
}
