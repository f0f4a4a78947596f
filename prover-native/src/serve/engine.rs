//! Proofs on a job engine over PostgreSQL (`--database`), so that any number of worker
//! processes on any machines share one server's proving work.
//!
//! The jobs are apalis's (its Postgres backend: workers heartbeat; a worker that stops
//! heartbeating, killed or cut off, has its jobs re-enqueued by the living workers; every
//! take is `FOR UPDATE SKIP LOCKED`). Everything else lives in this module's own tables, in the
//! `zkinfer` schema of the same database:
//! - `receipts`: one row per accepted prediction, the receipt as JSON beside its status;
//! - `tasks`: the proof tasks of a receipt not proven yet (one per chain segment, else one:
//!   the witness and link blinding, [`ProofTask`]); deleted once proven;
//! - `segment_proofs`: the proofs of a chain's segments until the last one is made;
//! - `proofs`: the served bundle.
//!
//! One job per task, in a queue per model (`zkinfer-proof-MODEL_ID`), so a worker only takes
//! the jobs of models it loaded. Whoever proves a receipt's last task assembles its bundle in
//! the same transaction that stores that task's proof, under a lock on the receipt's row: a
//! bundle is assembled once, and a receipt says `done` only when its bundle is stored.

use super::queue::Pending;
use super::store::{now_ms, Receipt, Status};
use anyhow::{Context, Result};
use apalis::prelude::TaskBuilder;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;
use std::time::Duration;
use zkinfer_core::prove::ProofTask;

/// One proof task to make: `segment` of `segments` of `receipt`'s proof, by `model`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProveJob {
    pub receipt: String,
    pub model: String,
    pub segment: i32,
    pub segments: i32,
}

/// The apalis queue of a model's proof jobs.
pub fn queue_name(model_id: &str) -> String {
    format!("zkinfer-proof-{model_id}")
}

/// How often a job may be started: a job whose workers died this many times (killed, or out
/// of memory on every machine that took it) fails its receipt instead of taking a fourth.
pub const MAX_ATTEMPTS: usize = 3;

/// Serializes schema creation and capacity checks between processes (an advisory-lock key).
const SCHEMA_LOCK: i64 = 0x7a6b_696e_6665_7201;
const ENQUEUE_LOCK: i64 = 0x7a6b_696e_6665_7202;

const SCHEMA: &[&str] = &[
    "CREATE SCHEMA IF NOT EXISTS zkinfer",
    "CREATE TABLE IF NOT EXISTS zkinfer.receipts (
        id text PRIMARY KEY,
        model_id text NOT NULL,
        status text NOT NULL,
        created_ms bigint NOT NULL,
        body jsonb NOT NULL)",
    "CREATE INDEX IF NOT EXISTS receipts_pending ON zkinfer.receipts (created_ms)
        WHERE status IN ('queued', 'proving')",
    "CREATE TABLE IF NOT EXISTS zkinfer.tasks (
        receipt text NOT NULL REFERENCES zkinfer.receipts (id) ON DELETE CASCADE,
        segment integer NOT NULL,
        task bytea NOT NULL,
        PRIMARY KEY (receipt, segment))",
    "CREATE TABLE IF NOT EXISTS zkinfer.segment_proofs (
        receipt text NOT NULL REFERENCES zkinfer.receipts (id) ON DELETE CASCADE,
        segment integer NOT NULL,
        bundle bytea NOT NULL,
        PRIMARY KEY (receipt, segment))",
    "CREATE TABLE IF NOT EXISTS zkinfer.proofs (
        receipt text PRIMARY KEY REFERENCES zkinfer.receipts (id) ON DELETE CASCADE,
        bundle bytea NOT NULL)",
];

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Unproven => "unproven",
        Status::Queued => "queued",
        Status::Proving => "proving",
        Status::Done => "done",
        Status::Failed => "failed",
    }
}

pub struct Database {
    pub pool: PgPool,
    /// Most receipts queued or proving at once (`--queue-size`).
    capacity: usize,
}

/// Where a receipt's proof is.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    Pending { proven: usize, proving: bool },
    Done,
    Failed(String),
}

/// What became of a proven task.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// More tasks of the receipt are still to be proven.
    Partial,
    /// The receipt's bundle is stored: it is done.
    Done,
    /// The receipt was no longer waiting for it (failed meanwhile, or proven twice).
    Stale,
}

impl Database {
    /// Connects and creates the job tables if they are missing (apalis's and this module's).
    pub async fn open(url: &str, capacity: usize) -> Result<Database> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .with_context(|| format!("connecting to the database {}", redact(url)))?;
        apalis_postgres::PostgresStorage::setup(&pool)
            .await
            .context("creating the job engine's tables (apalis)")?;
        // One process at a time (servers and workers start together). A session lock taken
        // before the transaction: `IF NOT EXISTS` checks the catalog as of the transaction's
        // start, which a lock taken inside it would not refresh.
        let mut conn = pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *conn)
            .await?;
        let created = create_tables(&mut conn).await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *conn)
            .await?;
        created.context("creating zkinfer's tables")?;
        Ok(Database { pool, capacity })
    }

    /// Writes a receipt (inserted, or replacing the stored one).
    pub async fn save(&self, rec: &Receipt) -> Result<()> {
        sqlx::query(
            "INSERT INTO zkinfer.receipts (id, model_id, status, created_ms, body)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET status = $3, body = $5",
        )
        .bind(&rec.id)
        .bind(&rec.model_id)
        .bind(status_str(rec.status))
        .bind(rec.created_unix_ms as i64)
        .bind(sqlx::types::Json(rec))
        .execute(&self.pool)
        .await
        .context("saving a receipt")?;
        Ok(())
    }

    pub async fn load(&self, id: &str) -> Result<Option<Receipt>> {
        let rec: Option<sqlx::types::Json<Receipt>> =
            sqlx::query_scalar("SELECT body FROM zkinfer.receipts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a receipt")?;
        Ok(rec.map(|r| r.0))
    }

    /// Forgets a receipt that was never queued.
    pub async fn remove(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM zkinfer.receipts WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn proof(&self, id: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT bundle FROM zkinfer.proofs WHERE receipt = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading a proof")?
            .with_context(|| format!("receipt {id} says done but its proof is not stored"))?;
        Ok(row.try_get("bundle")?)
    }

    /// (queued, proving) receipts.
    pub async fn load_counts(&self) -> Result<(usize, usize)> {
        let row = sqlx::query(
            "SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
                    count(*) FILTER (WHERE status = 'proving') AS proving
             FROM zkinfer.receipts WHERE status IN ('queued', 'proving')",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |c: &str| -> Result<usize> { Ok(row.try_get::<i64, _>(c)? as usize) };
        Ok((n("queued")?, n("proving")?))
    }

    pub async fn is_full(&self) -> Result<bool> {
        let (q, p) = self.load_counts().await?;
        Ok(q + p >= self.capacity)
    }

    /// Where a pending receipt is: queued (behind how many earlier receipts) or proving.
    pub async fn status(&self, id: &str) -> Result<Option<Pending>> {
        let row = sqlx::query(
            "SELECT r.status,
                    (SELECT count(*) FROM zkinfer.receipts q
                      WHERE q.status = 'queued' AND (q.created_ms, q.id) <= (r.created_ms, r.id))
                      AS position
             FROM zkinfer.receipts r WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let status: String = row.try_get("status")?;
        Ok(match status.as_str() {
            "queued" => Some(Pending::Queued {
                position: row.try_get::<i64, _>("position")? as usize,
            }),
            "proving" => Some(Pending::Proving),
            _ => None,
        })
    }

    /// How far a receipt's proof is (for `zkinfer prove --database`).
    pub async fn progress(&self, id: &str) -> Result<Progress> {
        let rec = self
            .load(id)
            .await?
            .with_context(|| format!("receipt {id} is not in the database"))?;
        Ok(match rec.status {
            Status::Done => Progress::Done,
            Status::Failed => {
                Progress::Failed(rec.error.unwrap_or_else(|| "proving failed".into()))
            }
            status => {
                let proven: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM zkinfer.segment_proofs WHERE receipt = $1",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                Progress::Pending {
                    proven: proven as usize,
                    proving: status == Status::Proving,
                }
            }
        })
    }

    /// Queues a saved receipt's proof tasks, one job each, in one transaction; `None` (and
    /// nothing queued) when `--queue-size` receipts are already waiting or proving.
    pub async fn enqueue(
        &self,
        rec: &Receipt,
        model_id: &str,
        tasks: Vec<ProofTask>,
    ) -> Result<Option<usize>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ENQUEUE_LOCK)
            .execute(&mut *tx)
            .await?;
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM zkinfer.receipts
             WHERE status IN ('queued', 'proving') AND id <> $1",
        )
        .bind(&rec.id)
        .fetch_one(&mut *tx)
        .await?;
        if waiting as usize >= self.capacity {
            return Ok(None);
        }
        let segments = tasks.len() as i32;
        let mut jobs = Vec::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO zkinfer.tasks (receipt, segment, task) VALUES ($1, $2, $3)
                 ON CONFLICT (receipt, segment) DO UPDATE SET task = $3",
            )
            .bind(&rec.id)
            .bind(i as i32)
            .bind(task.to_bytes())
            .execute(&mut *tx)
            .await
            .context("storing a proof task")?;
            let job = ProveJob {
                receipt: rec.id.clone(),
                model: model_id.to_string(),
                segment: i as i32,
                segments,
            };
            jobs.push(
                TaskBuilder::new(serde_json::to_vec(&job)?)
                    .max_attempts(MAX_ATTEMPTS)
                    .build(),
            );
        }
        apalis_postgres::queries::push_tasks(&mut *tx, &queue_name(model_id), jobs)
            .await
            .context("queueing proof jobs")?;
        sqlx::query("UPDATE zkinfer.receipts SET status = 'queued', body = $2 WHERE id = $1")
            .bind(&rec.id)
            .bind(sqlx::types::Json(Receipt {
                status: Status::Queued,
                ..rec.clone()
            }))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(waiting as usize + 1))
    }

    /// A worker starts a job: the receipt is marked proving and the job's task read; `None`
    /// when there is nothing to do (the receipt failed, or the task was already proven).
    pub async fn start(&self, job: &ProveJob) -> Result<Option<ProofTask>> {
        let mut tx = self.pool.begin().await?;
        let Some(mut rec) = locked_receipt(&mut tx, &job.receipt).await? else {
            return Ok(None);
        };
        if !matches!(rec.status, Status::Queued | Status::Proving) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT task FROM zkinfer.tasks WHERE receipt = $1 AND segment = $2")
            .bind(&job.receipt)
            .bind(job.segment)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = row.try_get("task")?;
        let task = ProofTask::from_bytes(&bytes)
            .with_context(|| format!("receipt {}: its proof task", job.receipt))?;
        if rec.status == Status::Queued {
            rec.status = Status::Proving;
            write_receipt(&mut tx, &rec).await?;
        }
        tx.commit().await?;
        Ok(Some(task))
    }

    /// Stores a task's proof; the last of a receipt's tasks also stores its bundle, made by
    /// `assemble` from every task's proof in order, and marks the receipt done (its input and
    /// salt forgotten, as the file store does).
    pub async fn finish(
        &self,
        job: &ProveJob,
        bundle: Vec<u8>,
        assemble: impl FnOnce(Vec<Vec<u8>>) -> Result<Vec<u8>>,
    ) -> Result<Finished> {
        let mut tx = self.pool.begin().await?;
        let Some(mut rec) = locked_receipt(&mut tx, &job.receipt).await? else {
            return Ok(Finished::Stale);
        };
        if !matches!(rec.status, Status::Queued | Status::Proving) {
            return Ok(Finished::Stale);
        }
        sqlx::query(
            "INSERT INTO zkinfer.segment_proofs (receipt, segment, bundle) VALUES ($1, $2, $3)
             ON CONFLICT (receipt, segment) DO NOTHING",
        )
        .bind(&job.receipt)
        .bind(job.segment)
        .bind(&bundle)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM zkinfer.tasks WHERE receipt = $1 AND segment = $2")
            .bind(&job.receipt)
            .bind(job.segment)
            .execute(&mut *tx)
            .await?;
        let parts: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT bundle FROM zkinfer.segment_proofs WHERE receipt = $1 ORDER BY segment",
        )
        .bind(&job.receipt)
        .fetch_all(&mut *tx)
        .await?;
        if parts.len() < job.segments as usize {
            tx.commit().await?;
            return Ok(Finished::Partial);
        }
        let whole = assemble(parts)?;
        sqlx::query(
            "INSERT INTO zkinfer.proofs (receipt, bundle) VALUES ($1, $2)
             ON CONFLICT (receipt) DO UPDATE SET bundle = $2",
        )
        .bind(&job.receipt)
        .bind(&whole)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM zkinfer.segment_proofs WHERE receipt = $1")
            .bind(&job.receipt)
            .execute(&mut *tx)
            .await?;
        rec.input = Vec::new();
        rec.input_salt = None;
        rec.status = Status::Done;
        rec.error = None;
        rec.finished_unix_ms = Some(now_ms());
        write_receipt(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(Finished::Done)
    }

    /// Fails a receipt: its remaining tasks and partial proofs are dropped (their jobs then
    /// find nothing to do).
    pub async fn fail(&self, receipt: &str, error: String) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let Some(mut rec) = locked_receipt(&mut tx, receipt).await? else {
            return Ok(());
        };
        if matches!(rec.status, Status::Done | Status::Failed) {
            return Ok(());
        }
        let drop_tasks = "DELETE FROM zkinfer.tasks WHERE receipt = $1";
        let drop_parts = "DELETE FROM zkinfer.segment_proofs WHERE receipt = $1";
        for statement in [drop_tasks, drop_parts] {
            sqlx::query(statement)
                .bind(receipt)
                .execute(&mut *tx)
                .await?;
        }
        rec.status = Status::Failed;
        rec.error = Some(error);
        rec.finished_unix_ms = Some(now_ms());
        write_receipt(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn create_tables(conn: &mut sqlx::PgConnection) -> Result<()> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    for statement in SCHEMA {
        sqlx::query(*statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn locked_receipt(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: &str,
) -> Result<Option<Receipt>> {
    let rec: Option<sqlx::types::Json<Receipt>> =
        sqlx::query_scalar("SELECT body FROM zkinfer.receipts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .context("reading a receipt")?;
    Ok(rec.map(|r| r.0))
}

async fn write_receipt(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    rec: &Receipt,
) -> Result<()> {
    sqlx::query("UPDATE zkinfer.receipts SET status = $2, body = $3 WHERE id = $1")
        .bind(&rec.id)
        .bind(status_str(rec.status))
        .bind(sqlx::types::Json(rec))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((user, host)) => {
                let user = user.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_database_url_is_shown_without_its_password() {
        assert_eq!(
            redact("postgres://zk:secret@db.example:5432/jobs"),
            "postgres://zk@db.example:5432/jobs"
        );
        assert_eq!(redact("postgres://db/jobs"), "postgres://db/jobs");
    }
}
