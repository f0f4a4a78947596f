//! Proving workers of the job engine ([`super::engine`]): `zkinfer worker`, and `zkinfer
//! serve --database` with `--workers` above 0. One apalis worker per loaded model takes that
//! model's jobs; a semaphore shared by all of them bounds how many proofs this process makes at
//! once (a job is only taken from the database when a permit is free, so a busy process leaves
//! the jobs to the others). Proofs run on blocking threads, so heartbeats go on meanwhile.

use super::engine::{queue_name, Database, Finished, ProveJob, MAX_ATTEMPTS};
use super::models::{Model, Registry};
use anyhow::{Context, Result};
use apalis::prelude::{
    Attempt, BackendExt, BoxDynError, Data, Strategy, WorkerBuilder, WorkerContext,
};
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct WorkerOptions {
    /// Proofs made at once by this process.
    pub concurrency: usize,
    /// A worker that has not heartbeat for 3 intervals is taken for dead and its jobs are
    /// re-enqueued.
    pub heartbeat: Duration,
    /// Names this process's workers in the database (unique per process).
    pub name: String,
}

struct Shared {
    db: Arc<Database>,
    models: Vec<Arc<Model>>,
}

/// Runs the workers until the process stops (a job in flight when it does is re-enqueued by
/// the other workers once this process's heartbeats stop).
pub async fn run(db: Arc<Database>, registry: &Registry, opts: WorkerOptions) -> Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let ctx = Arc::new(Shared {
        db: db.clone(),
        models: registry.models.clone(),
    });
    let mut running = tokio::task::JoinSet::new();
    for model in &registry.models {
        let config = Config::default()
            .queue(queue_name(&model.id))
            .batch_size(1)
            .heartbeat_interval(opts.heartbeat)
            .missed_heartbeats(3);
        // Woken at once by the insert notification of a new job (LISTEN/NOTIFY), and every
        // second anyway: a job re-enqueued from a dead worker is an update, not an insert.
        let wake = Strategy::new()
            .stream(Pubsub::new(db.pool.clone(), queue_name(&model.id)))
            .interval(Duration::from_secs(1));
        let storage = PostgresStorage::<ProveJob>::new(&db.pool)
            .with_config(config)
            .poll_with_strategy(wake);
        let name = format!("{}-{}", opts.name, &model.id[..model.id.len().min(12)]);
        let worker = WorkerBuilder::new(name)
            .backend(storage)
            .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
                permits.clone(),
            ))
            .data(ctx.clone())
            .build(prove_job);
        running.spawn(async move { worker.run().await });
        tracing::info!(model = %model.id, worker = %opts.name, "taking proof jobs");
    }
    while let Some(ended) = running.join_next().await {
        ended
            .context("a proving worker stopped")?
            .map_err(|e| anyhow::anyhow!("a proving worker stopped: {e}"))?;
    }
    Ok(())
}

async fn prove_job(
    job: ProveJob,
    ctx: Data<Arc<Shared>>,
    attempt: Attempt,
    worker: WorkerContext,
) -> Result<(), BoxDynError> {
    let tries = attempt.current();
    match prove_one(&job, &ctx, tries, &worker).await {
        Ok(()) => Ok(()),
        Err(e) => {
            // The job fails (the database was unreachable, say) and apalis tries it again
            // until its last attempt; after that nothing would, so the receipt says why.
            tracing::warn!(receipt = %job.receipt, attempt = tries, "proof job failed: {e:#}");
            if tries >= MAX_ATTEMPTS {
                let said = format!("proving failed: {e:#}");
                if let Err(e2) = ctx.db.fail(&job.receipt, said).await {
                    tracing::error!(receipt = %job.receipt, "cannot fail the receipt: {e2:#}");
                }
            }
            Err(e.into())
        }
    }
}

async fn prove_one(
    job: &ProveJob,
    ctx: &Shared,
    attempt: usize,
    worker: &WorkerContext,
) -> anyhow::Result<()> {
    let db = &ctx.db;
    let Some(model) = ctx.models.iter().find(|m| m.id == job.model).cloned() else {
        // Cannot happen: the queue is per model.
        anyhow::bail!("model {} is not loaded here", job.model);
    };
    if attempt > MAX_ATTEMPTS {
        db.fail(
            &job.receipt,
            format!(
                "proving failed: the workers proving segment {} stopped {} times (killed, or \
                 out of memory)",
                job.segment + 1,
                attempt - 1
            ),
        )
        .await?;
        return Ok(());
    }
    let Some(task) = db.start(job).await? else {
        tracing::info!(receipt = %job.receipt, segment = job.segment + 1, "nothing left to prove");
        return Ok(());
    };
    tracing::info!(
        receipt = %job.receipt,
        model = %job.model,
        segment = job.segment + 1,
        of = job.segments,
        attempt = attempt,
        worker = %worker.name(),
        "proving"
    );
    let t = Instant::now();
    let m = model.clone();
    let proven =
        tokio::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(|| m.prove_task(task))))
            .await;
    let bundle = match proven {
        Ok(Ok(Ok(bundle))) => bundle,
        Ok(Ok(Err(e))) => {
            tracing::warn!(receipt = %job.receipt, "proving failed: {e}");
            db.fail(&job.receipt, format!("proving failed: {e}"))
                .await?;
            return Ok(());
        }
        Ok(Err(_)) | Err(_) => {
            tracing::warn!(receipt = %job.receipt, "the prover panicked");
            db.fail(&job.receipt, "proving failed: the prover panicked".into())
                .await?;
            return Ok(());
        }
    };
    let seconds = t.elapsed().as_secs_f64();
    let finished = db
        .finish(job, bundle, |parts| Ok(model.assemble(parts)?))
        .await;
    match finished {
        Ok(Finished::Done) => {
            tracing::info!(receipt = %job.receipt, seconds, "proof done")
        }
        Ok(Finished::Partial) => tracing::info!(
            receipt = %job.receipt,
            segment = job.segment + 1,
            of = job.segments,
            seconds,
            "segment proof stored"
        ),
        Ok(Finished::Stale) => {
            tracing::info!(receipt = %job.receipt, "the receipt no longer waits for this proof")
        }
        Err(e) => {
            // A bundle that cannot be assembled will not assemble on a retry either.
            tracing::error!(receipt = %job.receipt, "cannot store the proof: {e:#}");
            db.fail(&job.receipt, format!("proving failed: {e:#}"))
                .await?;
        }
    }
    Ok(())
}

/// This process's name among the workers: host and process id.
pub fn process_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "zkinfer".into());
    format!("{host}-{}", std::process::id())
}
