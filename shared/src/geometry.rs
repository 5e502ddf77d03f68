//! The types of patch geometry (`../shared/SCIENCE.md` §4): per patch size, the PCA spectrum
//! of the patches, raw and whitened, and their intrinsic dimension by TwoNN and Levina–Bickel.

use serde::{Deserialize, Serialize};

use crate::analysis::DatasetJob;

/// Intrinsic-dimension estimates of one point set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntrinsicDimension {
    /// Distinct points the estimates use.
    pub points: usize,
    /// TwoNN's estimate (Facco et al. 2017).
    pub two_nn: Option<f64>,
    /// Levina–Bickel's estimate with `k` neighbours.
    pub levina_bickel: Option<f64>,
    /// Neighbours of the Levina–Bickel estimate.
    pub k: usize,
}

/// The geometry of one patch size's patches, raw and whitened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatchGeometry {
    /// Patch side p.
    pub patch: usize,
    /// Patches sampled.
    pub sampled: usize,
    /// PCA spectrum of the raw (normalized-pixel) patches, largest first.
    pub spectrum: Vec<f64>,
    /// PCA spectrum of the whitened patches W(x − μ), W = (Σ + εI)^{-1/2}.
    pub whitened_spectrum: Vec<f64>,
    /// Components explaining 90 % of the raw variance.
    pub components_90: usize,
    /// Intrinsic dimension of the raw patches.
    pub raw: IntrinsicDimension,
    /// Intrinsic dimension of the whitened patches.
    pub whitened: IntrinsicDimension,
}

/// What `POST /api/datasets/{name}/geometry` measures (every field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct GeometryQuery {
    /// Smallest patch side.
    pub min_patch: usize,
    /// Largest patch side.
    pub max_patch: usize,
    /// Patches drawn per side.
    pub patches: usize,
    /// Training images (the first ones, all if there are fewer) the patches are drawn from.
    pub images: usize,
    /// Whitening regularizer ε.
    pub whitening: f64,
    /// Levina–Bickel's neighbours.
    pub k: usize,
    /// Seed of the draws.
    pub seed: u64,
}

/// `GET /api/datasets/{name}/geometry/{job}`: a patch-geometry job, one entry per patch size
/// once done.
pub type GeometryJob = DatasetJob<GeometryQuery, Vec<PatchGeometry>>;

impl Default for GeometryQuery {
    fn default() -> Self {
        Self {
            min_patch: 3,
            max_patch: 9,
            patches: 4000,
            images: 10_000,
            whitening: 1e-3,
            k: 10,
            seed: 1,
        }
    }
}
