//! The life cycle of an analysis: of a finished experiment (bound panel, probes, learned
//! symmetry: one stored job per experiment and kind) or of a data set (patch geometry: one per
//! data set and request), with its request and, once done, result.

use serde::{Deserialize, Serialize};

use crate::api::JobStatus;

/// `GET /api/experiments/{id}/<analysis>`: the job and, once done, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalysisJob<R, T> {
    /// The experiment.
    pub experiment_id: i64,
    /// Where the job is.
    pub status: JobStatus,
    /// What was asked.
    pub request: R,
    /// Fraction done, in `[0, 1]`.
    pub progress: f64,
    /// What it is doing now.
    pub stage: String,
    /// Set when failed or interrupted.
    pub error: Option<String>,
    /// Set when done.
    pub result: Option<T>,
    /// When it was requested, seconds since the Unix epoch.
    pub requested_at: i64,
}

/// `GET /api/datasets/{name}/<analysis>/{job}`: a data set's analysis and, once done, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetJob<R, T> {
    /// The job's id.
    pub id: i64,
    /// The data set.
    pub dataset: String,
    /// Where the job is.
    pub status: JobStatus,
    /// What was asked.
    pub request: R,
    /// Fraction done, in `[0, 1]`.
    pub progress: f64,
    /// What it is doing now.
    pub stage: String,
    /// Set when failed or interrupted.
    pub error: Option<String>,
    /// Set when done.
    pub result: Option<T>,
    /// When it was requested, seconds since the Unix epoch.
    pub requested_at: i64,
}
