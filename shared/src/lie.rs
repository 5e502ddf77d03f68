//! Types of Lie-generator discovery (`../shared/SCIENCE.md` §3): which directions of the
//! 6-dimensional affine algebra of the image plane a model's features are invariant to, found
//! as the generalized eigenvectors of the features' and the images' sensitivity (LieGG-style).

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisJob;

/// Names of the canonical generators, in coefficient order: translations along x and y,
/// rotation, isotropic scaling, stretch (x out, y in) and shear.
pub const CANONICAL: [&str; 6] = [
    "translation x",
    "translation y",
    "rotation",
    "scaling",
    "stretch",
    "shear",
];

/// `POST /api/experiments/{id}/lie` (every field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LieRequest {
    /// Test images (a seeded subset); 500 when absent.
    #[serde(default)]
    pub n_images: Option<usize>,
    /// Finite-difference step: the RMS displacement of a pixel, in pixels; 0.5 when absent.
    #[serde(default)]
    pub step: Option<f64>,
}

/// One generalized eigenvector: a generator and how much the features move along it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LieGenerator {
    /// Squared feature change per squared image change along this direction (divided by the
    /// features' spread): 0 for an exact symmetry.
    pub sensitivity: f64,
    /// Unit coefficients on the canonical generators (each normalized to move pixels by an RMS
    /// of one pixel per unit).
    pub coefficients: Vec<f64>,
    /// |cosine| with each canonical generator (the coefficients' absolute values).
    pub cosines: Vec<f64>,
    /// The canonical generator it is closest to.
    pub closest: String,
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LieReport {
    /// Test images used.
    pub n_images: usize,
    /// The finite-difference step used.
    pub step: f64,
    /// The canonical generators' own sensitivities, in [`CANONICAL`] order.
    pub canonical_sensitivity: Vec<f64>,
    /// The generalized eigenvectors, most invariant first.
    pub generators: Vec<LieGenerator>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// The device it ran on.
    pub device: String,
}

/// `GET /api/experiments/{id}/lie`: the job and, once done, its report.
pub type LieJob = AnalysisJob<LieRequest, LieReport>;
