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
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Bounds,
        Self::Probes,
        Self::SymmetryFromPhi,
        Self::SymmetryFromLabels,
        Self::Lie,
    ];

    /// The kind stored as `text` in the `kind` column.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

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

/// An analysis a runner has claimed: whose, which kind, and what was asked (the stored JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The experiment analysed.
    pub experiment_id: i64,
    /// What is computed.
    pub kind: AnalysisKind,
    /// The request, as stored.
    pub request: String,
}

/// Claims the longest-queued analysis of one of `kinds`: it becomes running (one claimer
/// wins: the update is one statement).
pub async fn claim_next(
    pool: &SqlitePool,
    kinds: &[AnalysisKind],
) -> Result<Option<Claimed>, DbError> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let marks = vec!["?"; kinds.len()].join(", ");
    let sql = format!(
        "UPDATE analysis_jobs SET status = 'running', stage = 'starting', progress = 0
         WHERE rowid = (SELECT rowid FROM analysis_jobs WHERE status = 'queued'
                        AND kind IN ({marks}) ORDER BY requested_at, rowid LIMIT 1)
         RETURNING experiment_id, kind, request"
    );
    // Only the placeholders are built: every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for kind in kinds {
        query = query.bind(kind.as_str());
    }
    let Some(row) = query.fetch_optional(pool).await? else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    let experiment_id: i64 = row.try_get("experiment_id")?;
    let request: String = row.try_get("request")?;
    Ok(AnalysisKind::parse(&kind).map(|kind| Claimed {
        experiment_id,
        kind,
        request,
    }))
}

/// At start-up: analyses a stopped server left queued or running are queued again (from the
/// start: an analysis keeps no checkpoint), so the runner computes them after all.
pub async fn requeue_unfinished(pool: &SqlitePool) -> Result<u64, DbError> {
    let result = sqlx::query(
        "UPDATE analysis_jobs SET status = 'queued', stage = 'queued', progress = 0,
         result = NULL WHERE status IN ('queued', 'running')",
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_shared::api::{ExperimentConfig, JobStatus, ModelKind, OptimizerKind};

    #[test]
    fn kinds_round_trip_through_their_column() {
        for kind in AnalysisKind::ALL {
            assert_eq!(AnalysisKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AnalysisKind::parse("nope"), None);
    }

    #[tokio::test]
    async fn claims_in_queue_order_once_and_by_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = crate::connect(dir.path()).await.expect("connect");
        let config = ExperimentConfig {
            name: None,
            dataset: "toy".into(),
            model: ModelKind::Mlp,
            n_train: None,
            epochs: 1,
            seed: 1,
            learning_rate: 0.01,
            batch_size: 8,
            optimizer: OptimizerKind::Adam,
            randomization: Default::default(),
            stop_at_train_accuracy: None,
            augmentation: Default::default(),
            patches: Default::default(),
            scattering: Default::default(),
        };
        let mut ids = Vec::new();
        for name in ["a", "b"] {
            let id = crate::experiments::insert(&pool, name, &config, JobStatus::Done, false)
                .await
                .expect("insert");
            ids.push(id);
        }
        assert!(
            queue(&pool, ids[0], AnalysisKind::Probes, &1)
                .await
                .expect("q")
        );
        assert!(
            queue(&pool, ids[1], AnalysisKind::Probes, &2)
                .await
                .expect("q")
        );
        assert!(
            queue(&pool, ids[1], AnalysisKind::Bounds, &3)
                .await
                .expect("q")
        );
        // Queued already: a second request changes nothing.
        assert!(
            !queue(&pool, ids[1], AnalysisKind::Bounds, &4)
                .await
                .expect("q")
        );
        let bounds = claim_next(&pool, &[AnalysisKind::Bounds])
            .await
            .expect("claim");
        assert_eq!(
            bounds,
            Some(Claimed {
                experiment_id: ids[1],
                kind: AnalysisKind::Bounds,
                request: "3".into()
            })
        );
        let probes = [AnalysisKind::Probes, AnalysisKind::Lie];
        let first = claim_next(&pool, &probes).await.expect("claim");
        assert_eq!(first.map(|c| c.experiment_id), Some(ids[0]));
        let second = claim_next(&pool, &probes).await.expect("claim");
        assert_eq!(second.map(|c| c.experiment_id), Some(ids[1]));
        assert_eq!(claim_next(&pool, &probes).await.expect("claim"), None);
        // A restart queues the claimed (running) ones again.
        assert_eq!(requeue_unfinished(&pool).await.expect("requeue"), 3);
        let job: AnalysisJob<i64, i64> = get(&pool, ids[0], AnalysisKind::Probes)
            .await
            .expect("get")
            .expect("stored");
        assert_eq!(job.status, JobStatus::Queued);
    }
}
