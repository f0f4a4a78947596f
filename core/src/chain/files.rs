//! Files of a model proven as a chain of segments (see [`super`]): the chain key (every
//! segment's verifier key file, in order) and the chain bundle (every segment's proof bundle, in
//! order). Both use the framing of the single-model files, with their own magic bytes, so a
//! reader tells the two kinds apart and neither parses as the other.
//!
//! The chain's identity is the SHA-256 of its key file, as a model id is of a verifier key file;
//! a chain bundle names the chain it proves.

use crate::bundle::{ProofBundle, PublicTensor};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::verifier_key::{model_id, VerifierKey};
use serde::{Deserialize, Serialize};

pub const KEY_MAGIC: &[u8; 8] = b"ZKINF-CK";
pub const BUNDLE_MAGIC: &[u8; 8] = b"ZKINF-CB";
pub const VERSION: u32 = 1;
/// More segments than any model needs; bounds the work a malformed file can ask for.
pub const MAX_SEGMENTS: usize = 256;
const MAX_HEADER: usize = 1 << 20;
const MAX_SECTION: usize = 1 << 30;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ChainKeyHeader {
    model_name: String,
    segments: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ChainBundleHeader {
    chain_id: String,
    segments: usize,
}

/// The verifier keys of a chain's segments.
#[derive(Clone, Debug)]
pub struct ChainKey {
    /// SHA-256 of the chain key file: the identity a consumer pins.
    pub chain_id: String,
    pub model_name: String,
    pub keys: Vec<VerifierKey>,
}

/// Whether `bytes` begin like a chain key file (as opposed to a single model's verifier key).
pub fn is_chain_key(bytes: &[u8]) -> bool {
    bytes.starts_with(KEY_MAGIC)
}

/// Whether `bytes` begin like a chain bundle file.
pub fn is_chain_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(BUNDLE_MAGIC)
}

/// The `n` per-segment sections that follow a chain file's header, each parsed by `parse`;
/// the file must end after them.
fn segment_sections<T>(
    mut r: Reader<'_>,
    what: &'static str,
    n: usize,
    parse: impl Fn(&[u8], &[T]) -> Result<T>,
) -> Result<Vec<T>> {
    if n == 0 || n > MAX_SEGMENTS {
        return Err(Error::malformed(
            what,
            format!("{n} segments (a chain has 1 to {MAX_SEGMENTS})"),
        ));
    }
    let mut parsed = Vec::with_capacity(n);
    for i in 0..n {
        let item = parse(r.section(MAX_SECTION)?, &parsed)
            .map_err(|e| Error::malformed(what, format!("segment {i}: {e}")))?;
        parsed.push(item);
    }
    r.finish()?;
    Ok(parsed)
}

impl ChainKey {
    /// The chain key file holding `key_files` (each a verifier key file), in chain order.
    pub fn file_bytes(model_name: &str, key_files: &[Vec<u8>]) -> Vec<u8> {
        let mut w = Writer::new(KEY_MAGIC, VERSION);
        w.json(&ChainKeyHeader {
            model_name: model_name.to_string(),
            segments: key_files.len(),
        });
        for k in key_files {
            w.section(k);
        }
        w.bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "chain key";
        let mut r = Reader::open(bytes, WHAT, KEY_MAGIC, VERSION)?;
        let header: ChainKeyHeader = r.json(MAX_HEADER)?;
        // The segments share one setup: its points are decoded once, from the first key.
        let keys = segment_sections(r, WHAT, header.segments, |bytes, earlier| {
            VerifierKey::from_bytes_sharing_setup(bytes, earlier.first())
        })?;
        // One k, one setup, fixed weights, links whose sides agree ([`super::check`]).
        super::check::check_chain_keys(&keys)?;
        Ok(ChainKey {
            chain_id: model_id(bytes),
            model_name: header.model_name,
            keys,
        })
    }
}

impl ChainKey {
    /// The tokenizer a text model's chain key binds: segment 0's prompt rules with the last
    /// segment's labels as the vocabulary (checked together when the key is read).
    pub fn tokenizer(&self) -> Option<crate::text_input::Tokenizer> {
        let rules = self.keys.first()?.header.text?;
        let vocabulary = self.keys.last()?.header.labels.as_ref()?;
        crate::text_input::Tokenizer::from_key(vocabulary, rules).ok()
    }

    /// What the chain's proofs reveal: the first segment's input, the last segment's output,
    /// the weights of every segment (fixed: a chain key with hidden weights does not load).
    pub fn visibility(&self) -> crate::circuit::Visibility {
        use crate::circuit::{TensorVisibility, Visibility, WeightVisibility};
        let vis = |i: usize| self.keys.get(i).map(|k| k.header.shape.visibility);
        let (first, last) = (vis(0), vis(self.keys.len().wrapping_sub(1)));
        Visibility {
            weights: if self
                .keys
                .iter()
                .any(|k| k.header.shape.visibility.hidden_weights())
            {
                WeightVisibility::Hidden
            } else {
                WeightVisibility::Fixed
            },
            input: first.map_or(TensorVisibility::Hidden, |v| v.input),
            output: last.map_or(TensorVisibility::Hidden, |v| v.output),
        }
    }
}

/// The proofs of a chain's segments, for one input.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainBundle {
    /// The chain key's id these proofs were made for.
    pub chain_id: String,
    pub bundles: Vec<ProofBundle>,
}

impl ChainBundle {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(BUNDLE_MAGIC, VERSION);
        w.json(&ChainBundleHeader {
            chain_id: self.chain_id.clone(),
            segments: self.bundles.len(),
        });
        for b in &self.bundles {
            w.section(&b.to_bytes());
        }
        w.bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "chain bundle";
        let mut r = Reader::open(bytes, WHAT, BUNDLE_MAGIC, VERSION)?;
        let header: ChainBundleHeader = r.json(MAX_HEADER)?;
        let bundles = segment_sections(r, WHAT, header.segments, |bytes, _| {
            ProofBundle::from_bytes(bytes)
        })?;
        Ok(ChainBundle {
            chain_id: header.chain_id,
            bundles,
        })
    }

    /// The chain's public input: the first segment's.
    pub fn input(&self) -> Option<&PublicTensor> {
        self.bundles.first().map(|b| &b.header.input)
    }
}
