//! The bounded proving queue: a fixed number of worker threads take accepted predictions in
//! order and prove them. The queue holds at most `capacity` waiting jobs; `push` refuses more,
//! so memory stays bounded under any load.

use super::models::Model;
use super::store::{Receipt, Store};
use super::tamper::BundleEdit;
use std::collections::{HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// An accepted prediction waiting for its proof.
pub struct Job {
    pub receipt: Receipt,
    pub model: Arc<Model>,
    /// The quantized input, every tensor's values (computed when the request was accepted) and
    /// the consumer's input salt.
    pub witness: zkinfer_core::prove::Witness,
    /// Only with --tamper-for-tests: how to falsify the finished bundle.
    pub edit: Option<BundleEdit>,
}

/// Where a pending receipt is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Waiting; 1 means next in line.
    Queued {
        position: usize,
    },
    Proving,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<Job>,
    proving: HashSet<String>,
}

pub struct Queue {
    state: Mutex<State>,
    ready: Condvar,
    capacity: usize,
    timeout: Duration,
    store: Arc<Store>,
}

impl Queue {
    /// Starts `workers` proving threads.
    pub fn start(
        store: Arc<Store>,
        capacity: usize,
        workers: usize,
        timeout: Duration,
    ) -> std::io::Result<Arc<Queue>> {
        let q = Arc::new(Queue {
            state: Mutex::default(),
            ready: Condvar::new(),
            capacity,
            timeout,
            store,
        });
        for n in 0..workers {
            let q = q.clone();
            std::thread::Builder::new()
                .name(format!("zkinfer-worker-{n}"))
                .spawn(move || q.work(n))?;
        }
        Ok(q)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State inconsistent (single-step updates).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_full(&self) -> bool {
        self.lock().waiting.len() >= self.capacity
    }

    /// Queues a job, returning its position; gives the job back when the queue is full.
    pub fn push(&self, job: Job) -> Result<usize, Box<Job>> {
        let mut s = self.lock();
        // Asked twice (a proof requested on demand by two clients): one proof.
        if s.proving.contains(&job.receipt.id) {
            return Ok(0);
        }
        if let Some(i) = s
            .waiting
            .iter()
            .position(|j| j.receipt.id == job.receipt.id)
        {
            return Ok(i + 1);
        }
        if s.waiting.len() >= self.capacity {
            return Err(Box::new(job));
        }
        s.waiting.push_back(job);
        let position = s.waiting.len();
        drop(s);
        self.ready.notify_one();
        Ok(position)
    }

    pub fn status(&self, id: &str) -> Option<Pending> {
        let s = self.lock();
        if s.proving.contains(id) {
            return Some(Pending::Proving);
        }
        s.waiting
            .iter()
            .position(|j| j.receipt.id == id)
            .map(|i| Pending::Queued { position: i + 1 })
    }

    /// (waiting, proving) counts.
    pub fn load(&self) -> (usize, usize) {
        let s = self.lock();
        (s.waiting.len(), s.proving.len())
    }

    fn next(&self) -> Job {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.waiting.pop_front() {
                s.proving.insert(job.receipt.id.clone());
                return job;
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn work(&self, worker: usize) {
        loop {
            let Job {
                mut receipt,
                model,
                witness,
                edit,
            } = self.next();
            let id = receipt.id.clone();
            tracing::info!(receipt = %id, model = %model.id, worker, "proving");
            let t = Instant::now();
            let (tx, rx) = mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name(format!("zkinfer-proof-{worker}"))
                .spawn(move || {
                    let r = catch_unwind(AssertUnwindSafe(|| model.prove(witness)));
                    let _ = tx.send(r);
                });
            let mut abandoned = None;
            let outcome = match spawned {
                Err(e) => Err(format!("proving failed: cannot start a thread: {e}")),
                Ok(handle) => match rx.recv_timeout(self.timeout) {
                    Ok(Ok(Ok(mut proof))) => {
                        if let Some(edit) = &edit {
                            proof.apply(edit);
                        }
                        Ok(proof.to_bytes())
                    }
                    Ok(Ok(Err(e))) => Err(format!("proving failed: {e}")),
                    Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                        Err("proving failed: the prover panicked".to_string())
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        abandoned = Some(handle);
                        Err(format!(
                            "proving timed out after {:.1} s (--proof-timeout)",
                            self.timeout.as_secs_f64()
                        ))
                    }
                },
            };
            let secs = t.elapsed().as_secs_f64();
            let saved = match &outcome {
                Ok(bundle) => {
                    tracing::info!(receipt = %id, seconds = secs, bytes = bundle.len(), "proof done");
                    self.store.complete(&mut receipt, bundle)
                }
                Err(e) => {
                    tracing::warn!(receipt = %id, seconds = secs, "{e}");
                    self.store.fail(&mut receipt, e.clone())
                }
            };
            if let Err(e) = saved {
                tracing::error!(receipt = %id, "cannot store the result: {e:#}");
            }
            self.lock().proving.remove(&id);
            if let Some(handle) = abandoned {
                // Halo2 cannot be cancelled: let the abandoned proof finish before the next job
                // so at most `workers` proofs ever run at once.
                let _ = handle.join();
                tracing::info!(receipt = %id, "abandoned proof stopped");
            }
        }
    }
}
