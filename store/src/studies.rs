//! The studies repository: grids of runs, stored with their request, and their member
//! experiments.

use memlab_shared::api::Experiment;
use memlab_shared::api::ExperimentConfig;
use memlab_shared::studies::{StudyKind, StudyRequest};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::experiments::experiment_from_row;
use crate::sql::{DbError, json, now};

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
pub async fn insert(
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
pub async fn list(pool: &SqlitePool) -> Result<Vec<StudyRow>, DbError> {
    let rows = sqlx::query("SELECT * FROM studies ORDER BY id DESC")
        .fetch_all(pool)
        .await?;
    rows.iter().map(study_from_row).collect()
}

/// One study, if it exists.
pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<StudyRow>, DbError> {
    let row = sqlx::query("SELECT * FROM studies WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(study_from_row).transpose()
}

/// The runs of study `id`, in the order they were queued.
pub async fn members(pool: &SqlitePool, id: i64) -> Result<Vec<Experiment>, DbError> {
    let rows = sqlx::query("SELECT * FROM experiments WHERE study_id = ? ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(experiment_from_row).collect()
}
