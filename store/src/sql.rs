//! The SQLite database: opening it (embedded migrations applied), its one error type, and the
//! column encodings every repository shares (job status as text, JSON columns).

use std::path::Path;
use std::str::FromStr;

use memlab_shared::api::JobStatus;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

/// The migrations in `store/migrations`, compiled into the binary.
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

pub(crate) fn status_text(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Done => "done",
        JobStatus::Failed => "failed",
        JobStatus::Interrupted => "interrupted",
    }
}

pub(crate) fn parse_status(text: &str) -> JobStatus {
    match text {
        "queued" => JobStatus::Queued,
        "running" => JobStatus::Running,
        "done" => JobStatus::Done,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Interrupted,
    }
}

pub(crate) fn json<T: Serialize>(value: &T) -> Result<String, DbError> {
    Ok(serde_json::to_string(value)?)
}

pub(crate) fn from_json<T: DeserializeOwned>(text: Option<String>) -> Result<Option<T>, DbError> {
    Ok(match text {
        Some(text) => Some(serde_json::from_str(&text)?),
        None => None,
    })
}
