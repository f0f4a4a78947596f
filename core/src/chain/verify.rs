//! Verifying a chain: every segment's proof against its key, and every link (equal link
//! commitments on both sides of each cut); then a chain bundle against a chain key.

use super::files::{ChainBundle, ChainKey};
use crate::bundle::ProofBundle;
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;
use crate::verify::Verified;

/// Verifies one segment's proof against its key, whose linked input or output is then bound
/// to nothing: the link commitments it returns mean something only once compared with the
/// neighbouring segments' ([`verify_chain`] does). For tests and diagnostics; never accept a
/// claim on this alone.
pub fn verify_segment(key: &VerifierKey, bundle: &ProofBundle) -> Result<Verified> {
    crate::verify::verify_any_bundle(key, bundle)
}

/// Verifies a chain of segment proofs: the keys must form a chain (one k, one setup, fixed
/// weights, matching links: `check.rs`), every proof must verify against its key, and
/// every link must hold: segment i's output link commitment must equal segment i+1's input
/// link commitment. Returns the chain's result: the last segment's output, with the input side
/// (hash) of the first, and the whole chain's visibility.
pub fn verify_chain(keys: &[VerifierKey], bundles: &[ProofBundle]) -> Result<Verified> {
    if keys.is_empty() || keys.len() != bundles.len() {
        return Err(Error::Rejected(format!(
            "a chain of {} keys and {} proofs",
            keys.len(),
            bundles.len()
        )));
    }
    let visibility = super::check::check_chain_keys(keys)?;
    // With hidden weights, each segment's proof shows its own commitment.
    let mut commitments = Vec::new();
    // One pairing check for the whole chain: every key has the same KZG points (checked).
    let mut batch: crate::verify::PairingBatch<'_> = None;
    let mut first: Option<Verified> = None;
    let mut last: Option<Verified> = None;
    for (i, (key, bundle)) in keys.iter().zip(bundles).enumerate() {
        let verified = crate::verify::verify_bundle_deferred(key, bundle, &mut batch)
            .map_err(|e| Error::Rejected(format!("segment {i}: {e}")))?;
        if let Some(prev) = &last {
            match (&prev.output_link, &verified.input_link) {
                (Some(out), Some(inp)) if out == inp => {}
                _ => {
                    return Err(Error::Rejected(format!(
                        "link {}→{i}: segment {i}'s input is not the activation segment {} \
                         committed to",
                        i - 1,
                        i - 1
                    )))
                }
            }
        }
        if visibility.hidden_weights() {
            let c = verified
                .model_commitment
                .as_deref()
                .and_then(crate::poseidon::from_hex)
                .ok_or_else(|| {
                    Error::Rejected(format!(
                        "segment {i}: hides its weights but shows no commitment"
                    ))
                })?;
            commitments.push(c);
        }
        if first.is_none() {
            first = Some(verified.clone());
        }
        last = Some(verified);
    }
    if !crate::verify::check_pairings(batch) {
        // Some proof does not open: name it, checking each on its own (only on this path).
        for (i, (key, bundle)) in keys.iter().zip(bundles).enumerate() {
            verify_segment(key, bundle)
                .map_err(|e| Error::Rejected(format!("segment {i}: {e}")))?;
        }
        return Err(Error::Rejected(
            "the chain's proofs do not verify together".into(),
        ));
    }
    // The chain's result: the output side from the last segment, the input side from the first.
    let (first, mut verified) = (first.expect("non-empty"), last.expect("non-empty"));
    verified.visibility = visibility;
    verified.input_hash = first.input_hash;
    verified.input_link = first.input_link;
    verified.model_commitment = visibility
        .hidden_weights()
        .then(|| crate::poseidon::to_hex(&crate::commitment::chain_commitment(&commitments)));
    Ok(verified)
}

/// Verifies a chain bundle against a chain key: the bundle must name this chain, and every
/// segment's proof and every link must check ([`verify_chain`]). The result
/// speaks for the whole chain: its model id is the chain id, its input the first segment's,
/// its output the last segment's.
pub fn verify_chain_bundle(key: &ChainKey, bundle: &ChainBundle) -> Result<Verified> {
    if bundle.chain_id != key.chain_id {
        return Err(Error::Rejected(format!(
            "the proofs are for chain {}, but the trusted key is chain {}",
            bundle.chain_id, key.chain_id
        )));
    }
    let mut verified = verify_chain(&key.keys, &bundle.bundles)?;
    verified.model_id = key.chain_id.clone();
    Ok(verified)
}

/// Parses both files and verifies the chain.
pub fn verify_chain_bytes(key_bytes: &[u8], bundle_bytes: &[u8]) -> Result<Verified> {
    verify_chain_bundle(
        &ChainKey::from_bytes(key_bytes)?,
        &ChainBundle::from_bytes(bundle_bytes)?,
    )
}
