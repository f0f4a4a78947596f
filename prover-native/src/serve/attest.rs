//! Accuracy attestations on request. A consumer posts a labelled test set
//! (`{"inputs": [[...]], "labels": [...]}`) to `POST /api/models/{id}/attestations`, optionally
//! with `?sample_seed=S&tolerance=T&confidence=C` for the sampled variant; the server proves the
//! required items in the background and `GET /api/attestations/{job}` serves the attestation
//! once done, which the consumer re-verifies with `zkinfer attest-accuracy` (docs/protocols.md).
//!
//! One attestation runs at a time (another request gets 429), next to the prediction proofs.
//! Finished attestations are files under `DATA_DIR/attestations/`; a job cut short by a restart
//! is gone (it answers 404) and is simply requested again.

use super::models::Model;
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use zkinfer_core::protocols::accuracy::{self, Coverage, Dataset};

#[derive(Clone, Debug)]
pub enum JobState {
    Proving { done: usize, total: usize },
    Failed(String),
}

pub struct Attestations {
    dir: PathBuf,
    jobs: Mutex<HashMap<String, JobState>>,
}

/// Why a job was not started.
pub enum Refused {
    Busy,
    BadRequest(String),
}

impl Attestations {
    pub fn open(data_dir: &std::path::Path) -> Result<Arc<Attestations>> {
        let dir = data_dir.join("attestations");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Arc::new(Attestations {
            dir,
            jobs: Mutex::default(),
        }))
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, JobState>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks the request and starts proving; returns (job id, dataset SHA-256, items to prove).
    pub fn start(
        self: &Arc<Self>,
        model: Arc<Model>,
        body: &[u8],
        coverage: Coverage,
    ) -> std::result::Result<(String, String, usize), Refused> {
        // (The protocol's report holds one proof bundle per item, which a chain is not.)
        let super::models::Proving::Circuit(_) = &model.proving else {
            return Err(Refused::BadRequest(format!(
                "model {} is proven as a chain of {} segments, and accuracy attestations are \
                 made for models proven as one circuit only",
                model.id,
                model.segments()
            )));
        };
        let (dataset, sha) =
            Dataset::parse(body).map_err(|e| Refused::BadRequest(e.to_string()))?;
        let indices = coverage
            .indices(dataset.inputs.len(), &sha)
            .map_err(|e| Refused::BadRequest(e.to_string()))?;
        // Every item must fit the model before any proving starts.
        for &i in &indices {
            model
                .compiled()
                .graph
                .quantize_input(&dataset.inputs[i])
                .map_err(|e| Refused::BadRequest(format!("test item {i}: {e}")))?;
        }
        let id = super::store::new_id();
        {
            let mut jobs = self.lock();
            if jobs.values().any(|j| matches!(j, JobState::Proving { .. })) {
                return Err(Refused::Busy);
            }
            jobs.insert(
                id.clone(),
                JobState::Proving {
                    done: 0,
                    total: indices.len(),
                },
            );
        }
        let (me, job, sha2) = (self.clone(), id.clone(), sha.clone());
        let total = indices.len();
        let spawned = std::thread::Builder::new()
            .name("zkinfer-attestation".into())
            .spawn(move || {
                let progress = |done: usize, total: usize| {
                    me.lock()
                        .insert(job.clone(), JobState::Proving { done, total });
                };
                let attested = match &model.proving {
                    super::models::Proving::Circuit(prover) => {
                        accuracy::attest(prover, &dataset, &sha2, coverage, progress)
                            .map_err(|e| e.to_string())
                    }
                    super::models::Proving::Chain { .. } => Err("a chain was refused".into()),
                };
                let outcome = attested
                    .and_then(|a| serde_json::to_vec(&a).map_err(|e| e.to_string()))
                    .and_then(|bytes| {
                        zkinfer_core::fsutil::write_atomic(&me.path(&job), &bytes)
                            .map_err(|e| e.to_string())
                    });
                match outcome {
                    Ok(()) => {
                        tracing::info!(attestation = %job, "attestation done");
                        me.lock().remove(&job);
                    }
                    Err(e) => {
                        tracing::warn!(attestation = %job, "attestation failed: {e}");
                        me.lock().insert(job.clone(), JobState::Failed(e));
                    }
                }
            });
        if let Err(e) = spawned {
            self.lock().remove(&id);
            return Err(Refused::BadRequest(format!("cannot start a thread: {e}")));
        }
        Ok((id, sha, total))
    }

    /// The job's state, or the finished attestation's bytes.
    pub fn get(&self, id: &str) -> Option<std::result::Result<Vec<u8>, JobState>> {
        if let Some(state) = self.lock().get(id).cloned() {
            return Some(Err(state));
        }
        std::fs::read(self.path(id)).ok().map(Ok)
    }
}
