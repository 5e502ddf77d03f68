//! The analyses repository: one stored job per finished experiment and kind (bound panel,
//! probes, learned symmetries, Lie discovery) with its request, progress, partial and final
//! result.

use memlab_shared::analysis::AnalysisJob;
use memlab_shared::bounds::BoundJob;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::sql::{DbError, from_json, json, now, parse_status};

/// What an analysis computes; one stored job per experiment and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisKind {
    /// The generalization-bound panel.
    Bounds,
    /// Invariance probes under classical transforms.
    Probes,
    /// A learned symmetry L_θ keeping the model's features.
    SymmetryFromPhi,
    /// A learned symmetry L_θ keeping the true label.
    SymmetryFromLabels,
    /// Lie-generator discovery in the affine algebra.
    Lie,
}

impl AnalysisKind {
    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounds => "bounds",
            Self::Probes => "probes",
            Self::SymmetryFromPhi => "symmetry_from_phi",
            Self::SymmetryFromLabels => "symmetry_from_labels",
            Self::Lie => "lie",
        }
    }

    /// What people call it, in log lines and messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bounds => "bound panel",
            Self::Probes => "invariance probe",
            Self::SymmetryFromPhi | Self::SymmetryFromLabels => "learned symmetry",
            Self::Lie => "Lie-generator discovery",
        }
    }
}

fn analysis_from_row<R: DeserializeOwned, T: DeserializeOwned>(
    row: &SqliteRow,
) -> Result<AnalysisJob<R, T>, DbError> {
    Ok(AnalysisJob {
        experiment_id: row.try_get("experiment_id")?,
        status: parse_status(row.try_get("status")?),
        request: serde_json::from_str(row.try_get("request")?)?,
        progress: row.try_get("progress")?,
        stage: row.try_get("stage")?,
        error: row.try_get("error")?,
        result: from_json(row.try_get("result")?)?,
        requested_at: row.try_get("requested_at")?,
    })
}

/// The `kind` analysis of experiment `id`, if one was ever requested.
pub async fn get<R: DeserializeOwned, T: DeserializeOwned>(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
) -> Result<Option<AnalysisJob<R, T>>, DbError> {
    let row = sqlx::query("SELECT * FROM analysis_jobs WHERE experiment_id = ? AND kind = ?")
        .bind(id)
        .bind(kind.as_str())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(analysis_from_row).transpose()
}

/// The bound job of experiment `id`, if one was ever requested.
pub async fn bound_job(pool: &SqlitePool, id: i64) -> Result<Option<BoundJob>, DbError> {
    get(pool, id, AnalysisKind::Bounds).await
}

/// Queues a `kind` analysis of experiment `id`, replacing a finished one; returns `false` (and
/// changes nothing) while one is queued or running.
pub async fn queue(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
    request: &impl Serialize,
) -> Result<bool, DbError> {
    let result = sqlx::query(
        "INSERT INTO analysis_jobs (experiment_id, kind, status, request, progress, stage,
           requested_at)
         VALUES (?, ?, 'queued', ?, 0, 'queued', ?)
         ON CONFLICT (experiment_id, kind) DO UPDATE SET status = 'queued',
           request = excluded.request, progress = 0, stage = 'queued', error = NULL,
           result = NULL, requested_at = excluded.requested_at, finished_at = NULL
         WHERE analysis_jobs.status NOT IN ('queued', 'running')",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(json(request)?)
    .bind(now())
    .execute(pool)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Records the progress of a running analysis.
pub async fn set_progress(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
    progress: f64,
    stage: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE analysis_jobs SET status = 'running', progress = ?, stage = ?
         WHERE experiment_id = ? AND kind = ?",
    )
    .bind(progress)
    .bind(stage)
    .bind(id)
    .bind(kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the result so far of a running analysis (shown while it runs).
pub async fn set_partial(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
    result: &impl Serialize,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE analysis_jobs SET result = ? WHERE experiment_id = ? AND kind = ?
         AND status IN ('queued', 'running')",
    )
    .bind(json(result)?)
    .bind(id)
    .bind(kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the result of a finished analysis.
pub async fn set_done(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
    result: &impl Serialize,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE analysis_jobs SET status = 'done', progress = 1, stage = 'done', result = ?,
         finished_at = ? WHERE experiment_id = ? AND kind = ?",
    )
    .bind(json(result)?)
    .bind(now())
    .bind(id)
    .bind(kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed analysis.
pub async fn set_failed(
    pool: &SqlitePool,
    id: i64,
    kind: AnalysisKind,
    error: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE analysis_jobs SET status = 'failed', stage = 'failed', error = ?, finished_at = ?
         WHERE experiment_id = ? AND kind = ?",
    )
    .bind(error)
    .bind(now())
    .bind(id)
    .bind(kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// At start-up: analyses a stopped server left queued or running become `interrupted`.
pub async fn mark_interrupted(pool: &SqlitePool) -> Result<u64, DbError> {
    let result = sqlx::query(
        "UPDATE analysis_jobs SET status = 'interrupted', stage = 'interrupted',
         error = 'the server stopped before this analysis was finished; request it again'
         WHERE status IN ('queued', 'running')",
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
