//! Where receipts, proof jobs and proofs live: the embedded default (files under the data
//! directory and this process's own bounded queue: one process, nothing to install) or the
//! job engine over PostgreSQL (`--database`: any number of worker processes). The routes see
//! one interface.

use super::engine::Database;
use super::queue::{Job, Pending, Queue};
use super::store::{Receipt, Store};
use anyhow::Result;
use std::sync::Arc;

pub enum Jobs {
    Local {
        store: Arc<Store>,
        queue: Arc<Queue>,
    },
    Database(Arc<Database>),
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Runs a call of the file store on `arg` off the async threads (the store does file I/O).
async fn on_store<A: Send + 'static, T: Send + 'static>(
    store: &Arc<Store>,
    arg: A,
    f: impl FnOnce(&Store, A) -> Result<T> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    blocking(move || f(&store, arg)).await
}

impl Jobs {
    pub async fn save(&self, rec: &Receipt) -> Result<()> {
        match self {
            Jobs::Local { store, .. } => on_store(store, rec.clone(), |s, r| s.save(&r)).await,
            Jobs::Database(db) => db.save(rec).await,
        }
    }

    pub async fn load(&self, id: &str) -> Result<Option<Receipt>> {
        match self {
            Jobs::Local { store, .. } => on_store(store, id.to_string(), |s, id| s.load(&id)).await,
            Jobs::Database(db) => db.load(id).await,
        }
    }

    /// Forgets a receipt that was never queued.
    pub async fn remove(&self, id: &str) -> Result<()> {
        match self {
            Jobs::Local { store, .. } => {
                on_store(store, id.to_string(), |s, id| {
                    s.remove(&id);
                    Ok(())
                })
                .await
            }
            Jobs::Database(db) => db.remove(id).await,
        }
    }

    pub async fn proof(&self, id: &str) -> Result<Vec<u8>> {
        match self {
            Jobs::Local { store, .. } => {
                on_store(store, id.to_string(), |s, id| s.proof(&id)).await
            }
            Jobs::Database(db) => db.proof(id).await,
        }
    }

    pub async fn is_full(&self) -> Result<bool> {
        match self {
            Jobs::Local { queue, .. } => Ok(queue.is_full()),
            Jobs::Database(db) => db.is_full().await,
        }
    }

    /// Where a receipt still waiting for its proof is; `None` once it is not.
    pub async fn status(&self, id: &str) -> Result<Option<Pending>> {
        match self {
            Jobs::Local { queue, .. } => Ok(queue.status(id)),
            Jobs::Database(db) => db.status(id).await,
        }
    }

    /// (waiting, proving) counts.
    pub async fn load_counts(&self) -> Result<(usize, usize)> {
        match self {
            Jobs::Local { queue, .. } => Ok(queue.load()),
            Jobs::Database(db) => db.load_counts().await,
        }
    }

    /// Queues a saved receipt's proof: its position, or `None` when the queue is full.
    pub async fn push(&self, job: Job) -> Result<Option<usize>> {
        match self {
            Jobs::Local { queue, .. } => Ok(queue.push(job).ok()),
            Jobs::Database(db) => {
                anyhow::ensure!(
                    job.edit.is_none(),
                    "--tamper-for-tests does not run with --database"
                );
                let Job {
                    receipt,
                    model,
                    witness,
                    ..
                } = job;
                let m = model.clone();
                let tasks = blocking(move || Ok(m.tasks(witness)?)).await?;
                db.enqueue(&receipt, &model.id, tasks).await
            }
        }
    }
}
