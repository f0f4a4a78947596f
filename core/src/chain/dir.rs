//! A chain on disk: the directory `zkinfer compile` writes for a model proven as a chain of
//! segments, and what reads it back (the whole model, the chain's commitment).

use crate::error::{Error, Result};
use crate::prove::{write_staged, Compiled, ModelDir, Timings, SUMMARY_FILE, VERIFIER_KEY_FILE};
use crate::srs::SrsSource;
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A model proven as a chain of segments, on disk: the whole model's `compiled.bin` (it
/// quantizes inputs and evaluates every tensor), the chain key file as `verifier-key`, where the
/// model is cut (`chain.json`), and one model directory per segment, `segment-<i>/`.
pub struct ChainDir {
    pub dir: PathBuf,
}

pub const CHAIN_FILE: &str = "chain.json";

/// Where a chain's model is cut (after these steps of the whole graph).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct ChainManifest {
    pub(super) cuts: Vec<usize>,
}

/// Whether `dir` holds a chain (its `verifier-key` is a chain key file).
pub fn is_chain_dir(dir: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(dir.join(VERIFIER_KEY_FILE))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|_| super::is_chain_key(&magic))
}

impl ChainDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ChainDir { dir: dir.into() }
    }

    pub fn segment_dir(&self, i: usize) -> ModelDir {
        ModelDir::new(self.dir.join(format!("segment-{i}")))
    }

    /// Generates every segment's verifier key and writes the chain directory, staged like
    /// [`ModelDir::write`] so that nothing half-written is left behind.
    pub fn write(
        &self,
        whole: &Compiled,
        cuts: &[usize],
        segments: &[(super::Segment, Compiled)],
        srs: &SrsSource,
        summary: &str,
    ) -> Result<Timings> {
        write_staged(&self.dir, |staging| {
            let top = ModelDir::new(staging);
            top.write_compiled(whole)?;
            let manifest = serde_json::to_vec(&ChainManifest {
                cuts: cuts.to_vec(),
            })
            .map_err(|e| Error::Synthesis(e.to_string()))?;
            crate::fsutil::write_atomic(&top.path(CHAIN_FILE), &manifest)?;
            let chain = ChainDir::new(staging);
            let mut timings = Timings::default();
            let mut keys = Vec::with_capacity(segments.len());
            for (i, (_, compiled)) in segments.iter().enumerate() {
                let dir = chain.segment_dir(i);
                std::fs::create_dir(&dir.dir).map_err(|e| Error::io(&dir.dir, e))?;
                let text = format!("segment {i} of {}\n{summary}", segments.len());
                // No proving key on disk: at ImageNet scale each is gigabytes (5.2 GB per
                // MobileNet segment, 41 GB for the chain), and `prove` needs one at a time, so
                // it generates each again (about a fifth of that segment's proving time).
                let t = dir.write_files(compiled, srs, &text, false)?;
                timings.params += t.params;
                timings.keygen += t.keygen;
                keys.push(dir.read(VERIFIER_KEY_FILE)?);
            }
            let chain_key = super::ChainKey::file_bytes(&whole.graph.name, &keys);
            crate::fsutil::write_atomic(&top.path(VERIFIER_KEY_FILE), &chain_key)?;
            let summary = format!(
                "{summary}proven as a chain of {} segments at k={}\nchain id (SHA-256 of \
                 verifier-key): {}\n",
                segments.len(),
                segments.first().map_or(0, |(_, c)| c.plan.k),
                crate::verifier_key::model_id(&chain_key)
            );
            crate::fsutil::write_atomic(&top.path(SUMMARY_FILE), summary.as_bytes())?;
            Ok(timings)
        })
    }

    /// The chain's model commitment when its weights are hidden: every segment's commitment
    /// (from its compiled model and salt) combined in order
    /// ([`crate::commitment::chain_commitment`]); None with fixed weights.
    pub fn commitment(&self) -> Result<Option<Fr>> {
        let top = ModelDir::new(&self.dir);
        let chain_key = super::ChainKey::from_bytes(&top.read(VERIFIER_KEY_FILE)?)?;
        let mut commitments = Vec::with_capacity(chain_key.keys.len());
        for i in 0..chain_key.keys.len() {
            match self.segment_dir(i).compiled()?.commitment() {
                Some(c) => commitments.push(c),
                None => return Ok(None),
            }
        }
        Ok(Some(crate::commitment::chain_commitment(&commitments)))
    }

    /// The whole model (quantizes the input, evaluates every tensor).
    pub fn whole(&self) -> Result<Compiled> {
        ModelDir::new(&self.dir).compiled()
    }
}
