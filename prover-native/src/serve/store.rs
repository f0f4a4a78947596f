//! Receipts and proof bundles on disk, under the data directory:
//! `receipts/ID.json` (one per accepted prediction) and `proofs/ID.proof` (the bundle once
//! proven). Every file is written atomically; a receipt is written when a prediction is
//! accepted and rewritten when its proof finishes or fails, the bundle always before its receipt
//! says `done`. On startup, receipts still pending (the process died while they were queued or
//! proving) are rewritten as failed ("interrupted"), so nothing is lost or left ambiguous.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use zkinfer_core::fsutil::write_atomic;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Accepted with `--prove on-request`: proven only once someone asks for the proof.
    Unproven,
    Queued,
    Proving,
    Done,
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Receipt {
    pub id: String,
    pub model_id: String,
    /// The input as received (floats, flattened); emptied once the proof is stored, when
    /// nothing needs it any more.
    pub input: Vec<f32>,
    /// The consumer's input salt (hex), for a salted or hidden input: given with the input, or
    /// drawn here and answered to the consumer only. Dropped with the input once proven.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_salt: Option<String>,
    /// The integer model's output, dequantized: what the proof will show.
    pub output: Vec<f64>,
    pub predicted_class: usize,
    pub predicted_label: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_unix_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_unix_ms: Option<u64>,
    /// The model that computed the answer, if not `model_id` (only with --tamper-for-tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// The provider-signed receipt given to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<zkinfer_core::protocols::receipt::SignedReceipt>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A new random 128-bit receipt id, lowercase hex.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Receipt ids are exactly 32 lowercase hex digits; anything else is never a file name.
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub const INTERRUPTED: &str =
    "interrupted: the server stopped before this proof was finished; predict again";

pub struct Store {
    receipts: PathBuf,
    proofs: PathBuf,
    /// Held for the life of the store: one server per data directory.
    _lock: File,
}

#[derive(Debug, Default)]
pub struct Recovery {
    pub done: usize,
    pub failed: usize,
    pub interrupted: usize,
    pub unreadable: usize,
}

impl Store {
    pub fn open(dir: &Path) -> Result<(Store, Recovery)> {
        let receipts = dir.join("receipts");
        let proofs = dir.join("proofs");
        for d in [&receipts, &proofs] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        let lock_path = dir.join("lock");
        let lock = File::create(&lock_path)
            .with_context(|| format!("creating {}", lock_path.display()))?;
        // SAFETY: flock on a file descriptor we own; no memory is shared with the call.
        if unsafe {
            libc::flock(
                std::os::fd::AsRawFd::as_raw_fd(&lock),
                libc::LOCK_EX | libc::LOCK_NB,
            )
        } != 0
        {
            bail!(
                "the data directory {} is in use by another zkinfer server",
                dir.display()
            );
        }
        let store = Store {
            receipts,
            proofs,
            _lock: lock,
        };
        let recovery = store.recover()?;
        Ok((store, recovery))
    }

    fn receipt_path(&self, id: &str) -> PathBuf {
        self.receipts.join(format!("{id}.json"))
    }

    fn proof_path(&self, id: &str) -> PathBuf {
        self.proofs.join(format!("{id}.proof"))
    }

    /// Marks receipts left pending by a previous process as failed; removes leftover temp files.
    fn recover(&self) -> Result<Recovery> {
        let mut r = Recovery::default();
        for d in [&self.receipts, &self.proofs] {
            for e in std::fs::read_dir(d).with_context(|| format!("reading {}", d.display()))? {
                let path = e?.path();
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if name.starts_with('.') && name.contains(".tmp-") {
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                if d != &self.receipts {
                    continue;
                }
                let Some(id) = name.strip_suffix(".json").filter(|id| valid_id(id)) else {
                    continue;
                };
                match self.load(id) {
                    Ok(Some(mut rec)) => match rec.status {
                        Status::Done if self.proof_path(id).is_file() => r.done += 1,
                        Status::Failed => r.failed += 1,
                        // Never queued: still provable on request after a restart.
                        Status::Unproven => {}
                        status => {
                            rec.error = Some(if status == Status::Done {
                                "the proof file is missing from the data directory".into()
                            } else {
                                INTERRUPTED.into()
                            });
                            rec.status = Status::Failed;
                            rec.finished_unix_ms = Some(now_ms());
                            self.save(&rec)?;
                            r.interrupted += 1;
                        }
                    },
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!("skipping unreadable receipt {}: {e:#}", path.display());
                        r.unreadable += 1;
                    }
                }
            }
        }
        Ok(r)
    }

    pub fn save(&self, rec: &Receipt) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(rec)?;
        write_atomic(&self.receipt_path(&rec.id), &bytes)?;
        Ok(())
    }

    /// Forgets a receipt that was never queued.
    pub fn remove(&self, id: &str) {
        let _ = std::fs::remove_file(self.receipt_path(id));
    }

    pub fn load(&self, id: &str) -> Result<Option<Receipt>> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.receipt_path(id);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("parsing {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn proof(&self, id: &str) -> Result<Vec<u8>> {
        let path = self.proof_path(id);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// Stores the bundle, then marks the receipt done and forgets its input and salt: the
    /// proof is what is served from then on, and an input at rest is an input to leak.
    pub fn complete(&self, rec: &mut Receipt, bundle: &[u8]) -> Result<()> {
        write_atomic(&self.proof_path(&rec.id), bundle)?;
        rec.input = Vec::new();
        rec.input_salt = None;
        rec.status = Status::Done;
        rec.error = None;
        rec.finished_unix_ms = Some(now_ms());
        self.save(rec)
    }

    pub fn fail(&self, rec: &mut Receipt, error: String) -> Result<()> {
        rec.status = Status::Failed;
        rec.error = Some(error);
        rec.finished_unix_ms = Some(now_ms());
        self.save(rec)
    }
}
