//! The data-set analyses repository (patch geometry): one stored job per data set, kind and
//! request, so the same measurement asked again is answered from the store.

use memlab_shared::analysis::DatasetJob;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::sql::{DbError, from_json, json, now, parse_status};

/// What a data-set analysis computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// PCA spectra and intrinsic dimension of patches, per patch size.
    Geometry,
}

impl DatasetKind {
    /// Every kind.
    pub const ALL: [Self; 1] = [Self::Geometry];

    /// The kind stored as `text` in the `kind` column.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Geometry => "geometry",
        }
    }
}

fn job_from_row<R: DeserializeOwned, T: DeserializeOwned>(
    row: &SqliteRow,
) -> Result<DatasetJob<R, T>, DbError> {
    Ok(DatasetJob {
        id: row.try_get("id")?,
        dataset: row.try_get("dataset")?,
        status: parse_status(row.try_get("status")?),
        request: serde_json::from_str(row.try_get("request")?)?,
        progress: row.try_get("progress")?,
        stage: row.try_get("stage")?,
        error: row.try_get("error")?,
        result: from_json(row.try_get("result")?)?,
        requested_at: row.try_get("requested_at")?,
    })
}

/// Job `id` of `kind` on `dataset`, if there is one.
pub async fn get<R: DeserializeOwned, T: DeserializeOwned>(
    pool: &SqlitePool,
    dataset: &str,
    kind: DatasetKind,
    id: i64,
) -> Result<Option<DatasetJob<R, T>>, DbError> {
    let row = sqlx::query("SELECT * FROM dataset_jobs WHERE id = ? AND dataset = ? AND kind = ?")
        .bind(id)
        .bind(dataset)
        .bind(kind.as_str())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(job_from_row).transpose()
}

/// The job of `kind` on `dataset` for `request`: the stored one when it is queued, running or
/// done; else (new, or failed before) queued now. Returns its id.
pub async fn queue(
    pool: &SqlitePool,
    dataset: &str,
    kind: DatasetKind,
    request: &impl Serialize,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO dataset_jobs (dataset, kind, request, status, progress, stage, requested_at)
         VALUES (?, ?, ?, 'queued', 0, 'queued', ?)
         ON CONFLICT (dataset, kind, request) DO UPDATE SET status = 'queued', progress = 0,
           stage = 'queued', error = NULL, result = NULL, requested_at = excluded.requested_at,
           finished_at = NULL
         WHERE dataset_jobs.status NOT IN ('queued', 'running', 'done')
         RETURNING id",
    )
    .bind(dataset)
    .bind(kind.as_str())
    .bind(json(request)?)
    .bind(now())
    .fetch_optional(pool)
    .await?;
    if let Some(row) = row {
        return Ok(row.try_get("id")?);
    }
    // Kept as it was (queued, running or done): its id.
    let row =
        sqlx::query("SELECT id FROM dataset_jobs WHERE dataset = ? AND kind = ? AND request = ?")
            .bind(dataset)
            .bind(kind.as_str())
            .bind(json(request)?)
            .fetch_one(pool)
            .await?;
    Ok(row.try_get("id")?)
}

/// A data-set analysis a runner has claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The job's id.
    pub id: i64,
    /// The data set.
    pub dataset: String,
    /// What is computed.
    pub kind: DatasetKind,
    /// The request, as stored.
    pub request: String,
}

/// Claims the longest-queued job: it becomes running (one claimer wins).
pub async fn claim_next(pool: &SqlitePool) -> Result<Option<Claimed>, DbError> {
    let row = sqlx::query(
        "UPDATE dataset_jobs SET status = 'running', stage = 'starting', progress = 0
         WHERE id = (SELECT id FROM dataset_jobs WHERE status = 'queued'
                     ORDER BY requested_at, id LIMIT 1)
         RETURNING id, dataset, kind, request",
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    Ok(DatasetKind::parse(&kind).map(|kind| Claimed {
        id: row.try_get("id").unwrap_or_default(),
        dataset: row.try_get("dataset").unwrap_or_default(),
        kind,
        request: row.try_get("request").unwrap_or_default(),
    }))
}

/// Records the progress of running job `id`.
pub async fn set_progress(
    pool: &SqlitePool,
    id: i64,
    progress: f64,
    stage: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE dataset_jobs SET progress = ?, stage = ? WHERE id = ?")
        .bind(progress)
        .bind(stage)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Stores the result of job `id`.
pub async fn set_done(pool: &SqlitePool, id: i64, result: &impl Serialize) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE dataset_jobs SET status = 'done', progress = 1, stage = 'done', result = ?,
         finished_at = ? WHERE id = ?",
    )
    .bind(json(result)?)
    .bind(now())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that job `id` failed.
pub async fn set_failed(pool: &SqlitePool, id: i64, error: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE dataset_jobs SET status = 'failed', stage = 'failed', error = ?, finished_at = ?
         WHERE id = ?",
    )
    .bind(error)
    .bind(now())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// At start-up: jobs a stopped server left running are queued again.
pub async fn requeue_unfinished(pool: &SqlitePool) -> Result<u64, DbError> {
    let result = sqlx::query(
        "UPDATE dataset_jobs SET status = 'queued', stage = 'queued', progress = 0
         WHERE status = 'running'",
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_shared::api::JobStatus;

    #[test]
    fn kinds_round_trip_through_their_column() {
        for kind in DatasetKind::ALL {
            assert_eq!(DatasetKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DatasetKind::parse("nope"), None);
    }

    #[tokio::test]
    async fn one_job_per_request_claimed_once_and_failed_ones_queued_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = crate::connect(dir.path()).await.expect("connect");
        let geometry = DatasetKind::Geometry;
        let first = queue(&pool, "mnist", geometry, &1).await.expect("queue");
        let other = queue(&pool, "mnist", geometry, &2).await.expect("queue");
        let elsewhere = queue(&pool, "toy", geometry, &1).await.expect("queue");
        assert_ne!(first, other);
        assert_ne!(first, elsewhere);
        // The same request again: the same job.
        assert_eq!(
            queue(&pool, "mnist", geometry, &1).await.expect("queue"),
            first
        );

        let claimed = claim_next(&pool).await.expect("claim").expect("a job");
        assert_eq!((claimed.id, claimed.dataset.as_str()), (first, "mnist"));
        assert_eq!(claimed.request, "1");
        set_progress(&pool, first, 0.5, "p = 3")
            .await
            .expect("progress");
        let job: DatasetJob<i64, Vec<u8>> = get(&pool, "mnist", geometry, first)
            .await
            .expect("get")
            .expect("job");
        assert_eq!(
            (job.status, job.progress, job.stage.as_str()),
            (JobStatus::Running, 0.5, "p = 3")
        );
        // Running: asking again neither restarts nor duplicates it.
        assert_eq!(
            queue(&pool, "mnist", geometry, &1).await.expect("queue"),
            first
        );
        set_done(&pool, first, &vec![7u8]).await.expect("done");
        let job: DatasetJob<i64, Vec<u8>> = get(&pool, "mnist", geometry, first)
            .await
            .expect("get")
            .expect("job");
        assert_eq!((job.status, job.result), (JobStatus::Done, Some(vec![7])));
        // A job is found under its own data set only.
        let missing: Option<DatasetJob<i64, Vec<u8>>> =
            get(&pool, "toy", geometry, first).await.expect("get");
        assert!(missing.is_none());

        let second = claim_next(&pool).await.expect("claim").expect("a job");
        assert_eq!(second.id, other);
        set_failed(&pool, other, "broken").await.expect("failed");
        // Failed: asked again, the same job is queued again.
        assert_eq!(
            queue(&pool, "mnist", geometry, &2).await.expect("queue"),
            other
        );
        // The next two claims are the other two jobs (the failed one queued again may come
        // first: both were queued within the same second).
        let mut claimed = Vec::new();
        for _ in 0..2 {
            claimed.push(claim_next(&pool).await.expect("claim").expect("a job").id);
        }
        claimed.sort_unstable();
        assert_eq!(claimed, vec![other, elsewhere]);
        assert!(claim_next(&pool).await.expect("claim").is_none());
        // A stopped server leaves them running: queued again at the next start.
        assert_eq!(requeue_unfinished(&pool).await.expect("requeue"), 2);
        assert!(claim_next(&pool).await.expect("claim").is_some());
    }
}
