//! The SQLite store (sqlx): experiments and their job status, analyses of finished runs (bound
//! panels, probes, …) and studies, created by embedded migrations.

use std::path::Path;
use std::str::FromStr;

use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::{EpochMetrics, Experiment, ExperimentConfig, FinalMetrics, JobStatus};
use memlab_shared::bounds::BoundJob;
use memlab_shared::studies::{StudyKind, StudyRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
use sqlx::{Row, SqlitePool};

use crate::analysis_kind::AnalysisKind;
use crate::artifacts::ModelCard;

/// The migrations in `server/migrations`, compiled into the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Store failures (always server faults, never user errors).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite or the connection pool failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A JSON column did not decode.
    #[error("database JSON column: {0}")]
    Json(#[from] serde_json::Error),
}

/// Opens (creating if needed) `<data_dir>/memlab.sqlite` and applies the migrations.
pub async fn connect(data_dir: &Path) -> Result<SqlitePool, DbError> {
    let options = SqliteConnectOptions::from_str("sqlite://memlab.sqlite")?
        .filename(data_dir.join("memlab.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0)
}

fn status_text(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Done => "done",
        JobStatus::Failed => "failed",
        JobStatus::Interrupted => "interrupted",
    }
}

fn parse_status(text: &str) -> JobStatus {
    match text {
        "queued" => JobStatus::Queued,
        "running" => JobStatus::Running,
        "done" => JobStatus::Done,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Interrupted,
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, DbError> {
    Ok(serde_json::to_string(value)?)
}

fn from_json<T: DeserializeOwned>(text: Option<String>) -> Result<Option<T>, DbError> {
    Ok(match text {
        Some(text) => Some(serde_json::from_str(&text)?),
        None => None,
    })
}

fn experiment_from_row(row: &SqliteRow) -> Result<Experiment, DbError> {
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
pub async fn analysis<R: DeserializeOwned, T: DeserializeOwned>(
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
    analysis(pool, id, AnalysisKind::Bounds).await
}

/// Queues a `kind` analysis of experiment `id`, replacing a finished one; returns `false` (and
/// changes nothing) while one is queued or running.
pub async fn queue_analysis(
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
pub async fn set_analysis_progress(
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
pub async fn set_analysis_partial(
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
pub async fn set_analysis_done(
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
pub async fn set_analysis_failed(
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
pub async fn mark_analyses_interrupted(pool: &SqlitePool) -> Result<u64, DbError> {
    let result = sqlx::query(
        "UPDATE analysis_jobs SET status = 'interrupted', stage = 'interrupted',
         error = 'the server stopped before this analysis was finished; request it again'
         WHERE status IN ('queued', 'running')",
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// A stored study, without its members.
#[derive(Debug, Clone)]
pub struct StudyRow {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// What varies.
    pub kind: StudyKind,
    /// What was asked.
    pub request: StudyRequest,
    /// Creation time.
    pub created_at: i64,
}

fn study_from_row(row: &SqliteRow) -> Result<StudyRow, DbError> {
    let request: StudyRequest = serde_json::from_str(row.try_get("request")?)?;
    Ok(StudyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: request.kind,
        request,
        created_at: row.try_get("created_at")?,
    })
}

/// Stores a study and queues its member runs (in order), in one transaction; returns its id.
pub async fn insert_study(
    pool: &SqlitePool,
    name: &str,
    request: &StudyRequest,
    members: &[(String, ExperimentConfig)],
) -> Result<i64, DbError> {
    let mut transaction = pool.begin().await?;
    let kind = request.kind.as_str();
    let id =
        sqlx::query("INSERT INTO studies (name, kind, request, created_at) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(kind)
            .bind(json(request)?)
            .bind(now())
            .execute(&mut *transaction)
            .await?
            .last_insert_rowid();
    for (member_name, config) in members {
        sqlx::query(
            "INSERT INTO experiments (name, config, status, created_at, is_demo, study_id)
             VALUES (?, ?, 'queued', ?, 0, ?)",
        )
        .bind(member_name)
        .bind(json(config)?)
        .bind(now())
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(id)
}

/// All studies, newest first.
pub async fn list_studies(pool: &SqlitePool) -> Result<Vec<StudyRow>, DbError> {
    let rows = sqlx::query("SELECT * FROM studies ORDER BY id DESC")
        .fetch_all(pool)
        .await?;
    rows.iter().map(study_from_row).collect()
}

/// One study, if it exists.
pub async fn get_study(pool: &SqlitePool, id: i64) -> Result<Option<StudyRow>, DbError> {
    let row = sqlx::query("SELECT * FROM studies WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(study_from_row).transpose()
}

/// The runs of study `id`, in the order they were queued.
pub async fn study_experiments(pool: &SqlitePool, id: i64) -> Result<Vec<Experiment>, DbError> {
    let rows = sqlx::query("SELECT * FROM experiments WHERE study_id = ? ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(experiment_from_row).collect()
}
