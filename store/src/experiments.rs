//! The experiments repository: training runs, their job status, curves, metrics and resume
//! points.

use memlab_shared::api::{EpochMetrics, Experiment, ExperimentConfig, FinalMetrics, JobStatus};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::artifacts::ModelCard;
use crate::sql::{DbError, from_json, json, now, parse_status, status_text};

pub(crate) fn experiment_from_row(row: &SqliteRow) -> Result<Experiment, DbError> {
    let config: ExperimentConfig = serde_json::from_str(row.try_get("config")?)?;
    let curves: Vec<EpochMetrics> = serde_json::from_str(row.try_get("curves")?)?;
    let metrics: Option<FinalMetrics> = from_json(row.try_get("metrics")?)?;
    let class_names: Vec<String> = serde_json::from_str(row.try_get("class_names")?)?;
    Ok(Experiment {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        config,
        status: parse_status(row.try_get("status")?),
        created_at: row.try_get("created_at")?,
        curves,
        metrics,
        progress: None,
        error: row.try_get("error")?,
        model: from_json(row.try_get("model")?)?,
        input: from_json(row.try_get("input")?)?,
        class_names,
        study_id: row.try_get("study_id")?,
        resumed_from_epoch: row
            .try_get::<Option<i64>, _>("resumed_from_epoch")?
            .map(|epochs| epochs as usize),
    })
}

/// Stores a new experiment with `status` (queued, or running for `memlab train`); returns its id.
pub async fn insert(
    pool: &SqlitePool,
    name: &str,
    config: &ExperimentConfig,
    status: JobStatus,
    is_demo: bool,
) -> Result<i64, DbError> {
    let result = sqlx::query(
        "INSERT INTO experiments (name, config, status, created_at, is_demo) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(name)
    .bind(json(config)?)
    .bind(status_text(status))
    .bind(now())
    .bind(is_demo)
    .execute(pool)
    .await?;
    Ok(result.last_insert_rowid())
}

/// All experiments, newest first.
pub async fn list(pool: &SqlitePool) -> Result<Vec<Experiment>, DbError> {
    let rows = sqlx::query("SELECT * FROM experiments ORDER BY id DESC")
        .fetch_all(pool)
        .await?;
    rows.iter().map(experiment_from_row).collect()
}

/// One experiment, if it exists.
pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<Experiment>, DbError> {
    let row = sqlx::query("SELECT * FROM experiments WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(experiment_from_row).transpose()
}

/// The id of the hosted demo experiment named `name`, if one was created.
pub async fn demo_id(pool: &SqlitePool, name: &str) -> Result<Option<i64>, DbError> {
    let row = sqlx::query(
        "SELECT id FROM experiments WHERE is_demo = 1 AND name = ? ORDER BY id LIMIT 1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("id")?),
        None => None,
    })
}

/// The ids of every hosted demo experiment.
pub async fn demo_ids(pool: &SqlitePool) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT id FROM experiments WHERE is_demo = 1 ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
}

/// Whether experiment `id` is one of the hosted demos.
pub async fn is_demo(pool: &SqlitePool, id: i64) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT is_demo FROM experiments WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<bool, _>("is_demo")?,
        None => false,
    })
}

/// Marks the oldest queued experiment running and returns it.
pub async fn claim_next(pool: &SqlitePool) -> Result<Option<Experiment>, DbError> {
    let row = sqlx::query(
        "UPDATE experiments SET status = 'running', started_at = ?, curves = '[]'
         WHERE id = (SELECT id FROM experiments WHERE status = 'queued' ORDER BY id LIMIT 1)
         RETURNING *",
    )
    .bind(now())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(experiment_from_row).transpose()
}

/// Replaces the stored per-epoch curves of a running experiment.
pub async fn set_curves(
    pool: &SqlitePool,
    id: i64,
    curves: &[EpochMetrics],
) -> Result<(), DbError> {
    sqlx::query("UPDATE experiments SET curves = ? WHERE id = ?")
        .bind(json(&curves)?)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a finished run.
pub async fn set_done(
    pool: &SqlitePool,
    id: i64,
    curves: &[EpochMetrics],
    metrics: &FinalMetrics,
    card: &ModelCard,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE experiments SET status = 'done', finished_at = ?, curves = ?, metrics = ?,
         model = ?, input = ?, class_names = ?, error = NULL WHERE id = ?",
    )
    .bind(now())
    .bind(json(&curves)?)
    .bind(json(metrics)?)
    .bind(json(&card.model)?)
    .bind(json(&card.input)?)
    .bind(json(&card.class_names)?)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed run.
pub async fn set_failed(pool: &SqlitePool, id: i64, error: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE experiments SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
    )
    .bind(now())
    .bind(error)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks experiment `id` interrupted (the server shut down; it checkpointed first).
pub async fn set_interrupted(pool: &SqlitePool, id: i64, message: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE experiments SET status = 'interrupted', error = ? WHERE id = ?")
        .bind(message)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// At start-up: runs left `running` by a stopped server become `interrupted`.
pub async fn mark_interrupted(pool: &SqlitePool) -> Result<u64, DbError> {
    let result = sqlx::query(
        "UPDATE experiments SET status = 'interrupted',
         error = 'the server stopped while this run was training' WHERE status = 'running'",
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Records that experiment `id` goes on from a checkpoint of `epochs` finished epochs (`None`:
/// from the start after all), with their curves.
pub async fn set_resumed(
    pool: &SqlitePool,
    id: i64,
    epochs: Option<usize>,
    curves: &[EpochMetrics],
) -> Result<(), DbError> {
    sqlx::query("UPDATE experiments SET resumed_from_epoch = ?, curves = ? WHERE id = ?")
        .bind(epochs.map(|epochs| epochs as i64))
        .bind(json(&curves)?)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ids of the interrupted runs (to resume those with a checkpoint at start-up).
pub async fn interrupted_ids(pool: &SqlitePool) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT id FROM experiments WHERE status = 'interrupted' ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| row.try_get("id").map_err(DbError::from))
        .collect()
}

/// Queues experiment `id` again if it failed or was interrupted; returns whether it did.
pub async fn requeue_unfinished(pool: &SqlitePool, id: i64) -> Result<bool, DbError> {
    let result = sqlx::query(
        "UPDATE experiments SET status = 'queued', error = NULL, curves = '[]'
         WHERE id = ? AND status IN ('failed', 'interrupted')",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() > 0)
}
