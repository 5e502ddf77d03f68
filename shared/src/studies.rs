//! Types of studies (`/api/studies`): a grid of training runs that differ in one variable
//! (label corruption for randomization tests, training-set size for N-sweeps, data
//! augmentation), each followed by its bound panel (and, for augmentation, its invariance probe),
//! so test error, every bound and invariance can be compared across that variable.

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisJob;
use crate::api::{Augmentation, Experiment, ExperimentConfig, InputRandomization, JobStatus};
use crate::bounds::{BoundPanel, BoundRequest};
use crate::lie::{LieReport, LieRequest};
use crate::probes::{ProbeReport, ProbeRequest};
use crate::transform::TransformKind;

/// What varies across the runs of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StudyKind {
    /// Zhang et al. (2017): label corruption p over a grid, plus optional input randomizations.
    Randomization,
    /// The same architecture on n training examples, over a grid of n.
    SampleSize,
    /// The same run without and with data augmentations, each probed for invariance.
    Augmentation,
    /// Whitened-patch ablation: the whitening regularizer ε over a grid, with ε = 0 and no
    /// whitening as extra points (Thiry et al. 2021's table).
    PatchWhitening,
    /// Whitened-patch ablation: the dictionary size Q over a grid (k stays 0.4 Q).
    PatchAtoms,
    /// Whitened-patch ablation: the atoms marked per patch, k, over a grid.
    PatchNeighbors,
    /// Whitened-patch ablation: the patch side p over a grid.
    PatchSize,
}

impl StudyKind {
    /// The name stored and sent in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Randomization => "randomization",
            Self::SampleSize => "sample_size",
            Self::Augmentation => "augmentation",
            Self::PatchWhitening => "patch_whitening",
            Self::PatchAtoms => "patch_atoms",
            Self::PatchNeighbors => "patch_neighbors",
            Self::PatchSize => "patch_size",
        }
    }

    /// Whether the study varies a setting of the whitened-patch model.
    pub fn is_patch_ablation(self) -> bool {
        matches!(
            self,
            Self::PatchWhitening | Self::PatchAtoms | Self::PatchNeighbors | Self::PatchSize
        )
    }

    /// The varied variable as people read it, and whether it is shown on a log axis.
    pub fn variable(self) -> (&'static str, bool) {
        match self {
            Self::Randomization => ("label corruption p", false),
            Self::SampleSize => ("training examples n", true),
            Self::Augmentation => ("augmentation", false),
            Self::PatchWhitening => ("whitening ε", true),
            Self::PatchAtoms => ("dictionary atoms Q", true),
            Self::PatchNeighbors => ("atoms marked per patch k", false),
            Self::PatchSize => ("patch side p", false),
        }
    }
}

/// What `POST /api/studies` accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StudyRequest {
    /// A name for people; defaults to a description of the grid.
    #[serde(default)]
    pub name: Option<String>,
    /// What varies.
    pub kind: StudyKind,
    /// The run every member starts from (its `n_train`, `randomization` and `name` are set by
    /// the study for each member).
    pub base: ExperimentConfig,
    /// Randomization studies: the label-corruption grid (default 0, 0.5, 1).
    #[serde(default)]
    pub label_corruptions: Vec<f64>,
    /// Randomization studies: extra members with true labels and these input randomizations.
    #[serde(default)]
    pub input_variants: Vec<InputRandomization>,
    /// Sample-size studies: the grid of n (default 500, 1000, 2000, 5000, 10 000, all).
    #[serde(default)]
    pub sizes: Vec<usize>,
    /// Augmentation studies: one member per augmentation, next to one without (default:
    /// rotations up to ±30°).
    #[serde(default)]
    pub augmentations: Vec<Augmentation>,
    /// Patch ablations: the grid of the varied setting (ε, Q, k or p; defaults: ε 1e-3 … 10,
    /// Q 64 … 512, k 0.1 … 0.6 Q, p 3 … 7).
    #[serde(default)]
    pub values: Vec<f64>,
    /// Compute each member's bound panel when it finishes training (default true).
    #[serde(default)]
    pub bounds: Option<bool>,
    /// Also optimize a PAC-Bayes posterior in each member's panel (slow); none when absent.
    #[serde(default)]
    pub pac_bayes: Option<crate::bounds::PacBayesRequest>,
}

/// One run of a study.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StudyMember {
    /// The value of the varied variable (p, or n).
    pub value: f64,
    /// How people read this member, e.g. `p = 0.5`, `n = 2000`, `shuffled pixels`.
    pub label: String,
    /// Whether the member is on the study's main curve (input variants are extra points).
    pub on_grid: bool,
    /// The training run.
    pub experiment: Experiment,
    /// Its bound panel job, once requested (spelled out, not `BoundJob`, so its schema is
    /// named after both type parameters).
    pub bounds: Option<AnalysisJob<BoundRequest, BoundPanel>>,
    /// Its invariance probe, once requested (augmentation studies).
    #[serde(default)]
    pub probes: Option<AnalysisJob<ProbeRequest, ProbeReport>>,
    /// Its Lie-generator discovery, once requested (augmentation studies).
    #[serde(default)]
    pub lie: Option<AnalysisJob<LieRequest, LieReport>>,
}

/// What an augmentation study found for one transform: mean consistency over the probe's
/// sweep with an augmentation that includes the transform, and without augmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvarianceComparison {
    /// The augmented member's label.
    pub member: String,
    /// The transform probed.
    pub transform: TransformKind,
    /// Mean consistency of the augmented model.
    pub with_augmentation: f64,
    /// Mean consistency of the model trained without augmentation.
    pub without_augmentation: f64,
}

impl InvarianceComparison {
    /// The finding in words, e.g. "rotation: mean consistency 0.81 with rotation ±30° against
    /// 0.55 without — augmentation made the model more invariant (+0.26)."
    pub fn sentence(&self) -> String {
        let difference = self.with_augmentation - self.without_augmentation;
        let verdict = if difference > 0.0 {
            "more invariant"
        } else if difference < 0.0 {
            "less invariant"
        } else {
            "no more invariant"
        };
        format!(
            "{}: mean consistency {:.3} with {} against {:.3} without: augmentation made the model {verdict} ({difference:+.3}).",
            self.transform.label(),
            self.with_augmentation,
            self.member,
            self.without_augmentation,
        )
    }
}

/// A study as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Study {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// What varies.
    pub kind: StudyKind,
    /// What was asked.
    pub request: StudyRequest,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// Queued or running while any member trains or computes bounds; done when all did; failed
    /// when a member failed.
    pub status: JobStatus,
    /// Fraction of the work done, in `[0, 1]`.
    pub progress: f64,
    /// The runs, in grid order.
    pub members: Vec<StudyMember>,
    /// Augmentation studies: each augmented member against the plain one, for each transform
    /// its augmentation includes (once both are probed).
    #[serde(default)]
    pub comparisons: Vec<InvarianceComparison>,
}
