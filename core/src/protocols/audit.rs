//! Sampled audits of served predictions. A consumer holding N signed receipts asks for proofs of
//! a random sample of them; one receipt without a valid matching proof is proof of cheating,
//! because the provider signed it.
//!
//! Sample size: if at least a fraction `f` of the N receipts were cheated (T = ⌈f·N⌉ of them),
//! a uniform sample of n receipts without replacement misses all of them with probability
//! C(N−T, n) / C(N, n). [`sample_size`] is the smallest n making that at most 1 − confidence.

use super::receipt::{check_proof, check_proof_signature, SignedReceipt};
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

/// Probability that `n` receipts drawn without replacement from `total` miss all `bad` ones.
pub fn miss_probability(total: usize, bad: usize, n: usize) -> f64 {
    if bad == 0 {
        return 1.0;
    }
    let mut p = 1.0;
    for i in 0..n {
        if total - i <= bad {
            return 0.0;
        }
        p *= (total - bad - i) as f64 / (total - i) as f64;
    }
    p
}

/// The smallest sample that detects a cheated fraction of at least `detect_fraction` of
/// `total` receipts with probability at least `confidence`.
pub fn sample_size(total: usize, detect_fraction: f64, confidence: f64) -> Result<usize> {
    if !(detect_fraction > 0.0 && detect_fraction <= 1.0) {
        return Err(Error::InvalidInput(format!(
            "the detection fraction must be in (0, 1], got {detect_fraction}"
        )));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::InvalidInput(format!(
            "the confidence must be in (0, 1), got {confidence}"
        )));
    }
    if total == 0 {
        return Ok(0);
    }
    let bad = ((detect_fraction * total as f64).ceil() as usize).clamp(1, total);
    Ok((0..=total)
        .find(|&n| miss_probability(total, bad, n) <= 1.0 - confidence)
        .unwrap_or(total))
}

/// What the provider answered when asked for a receipt's proof.
#[derive(Clone, Debug)]
pub enum Served {
    /// A bundle, with the provider's signature on it (the `x-zkinfer-proof-signature` header)
    /// if it sent one.
    Proof {
        bundle: Vec<u8>,
        signature: Option<String>,
    },
    /// An answer that is not a proof (an HTTP error status and its message).
    Refused(String),
    /// No answer at all (network failure, timeout): the auditor cannot tell whose fault it is.
    Unreachable(String),
}

/// How a sampled receipt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// The provider served (and signed) a proof that does not back its signed receipt:
    /// evidence anyone can re-check.
    InvalidProof,
    /// The provider answered without a proof, or with a proof it did not sign: it failed the
    /// audit, but a third party has only the signed receipt and the auditor's word.
    NoProof,
    /// The provider could not be reached: inconclusive, not evidence.
    Unreachable,
}

/// Evidence against a provider: a receipt it signed, and what it served for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Evidence {
    pub failure: Failure,
    pub signed_receipt: SignedReceipt,
    /// The bundle served for the receipt, hex.
    pub proof_hex: Option<String>,
    /// The provider's signature on that bundle, hex.
    pub proof_signature: Option<String>,
    /// What the provider (or the network) answered instead of a proof.
    pub provider_answer: Option<String>,
    pub reason: String,
}

/// The outcome of an audit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditReport {
    pub model_id: String,
    pub model_commitment: Option<String>,
    pub provider_key: String,
    pub receipts: usize,
    pub detect_fraction: f64,
    pub confidence: f64,
    pub sample_size: usize,
    /// The sampling seed (hex): anyone can re-derive the sampled receipts from it.
    pub seed: String,
    pub sampled: Vec<String>,
    pub verified: usize,
    /// "honest" (every sampled receipt has a valid, matching proof), "caught" (some receipt has
    /// none), or "inconclusive" (the provider could not be reached for some, and none failed).
    pub verdict: String,
    pub evidence: Vec<Evidence>,
}

impl AuditReport {
    pub fn verdict_of(evidence: &[Evidence]) -> &'static str {
        if evidence.iter().any(|e| e.failure != Failure::Unreachable) {
            "caught"
        } else if evidence.is_empty() {
            "honest"
        } else {
            "inconclusive"
        }
    }
}

/// Checks the audit's own inputs before judging anyone: the receipt is the provider's and for
/// this model, and the commitment is given when the weights are hidden.
fn check_premises(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    signed: &SignedReceipt,
) -> Result<Option<String>> {
    // A segment's key proves nothing on its own: an audit with it would find every served
    // proof "invalid" and blame an honest provider for the auditor's wrong key.
    crate::verify::require_whole_model(key)?;
    signed.check_signature(Some(provider))?;
    if signed.receipt.model_id != key.model_id {
        return Err(Error::InvalidInput(format!(
            "receipt {} is for model {}, the key is model {}",
            signed.receipt.receipt_id, signed.receipt.model_id, key.model_id
        )));
    }
    crate::verify::expected_commitment(key, commitment)
}

/// Checks one sampled receipt against what the provider served: `Ok(())` if a valid proof
/// backs it, `Ok(Err(evidence))` if not; `Err` if the audit's own inputs are wrong (a receipt
/// the provider never signed, another model, a missing commitment): that blames nobody.
pub fn check_receipt(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    signed: &SignedReceipt,
    served: Served,
) -> Result<std::result::Result<(), Evidence>> {
    let commitment = check_premises(key, provider, commitment, signed)?;
    let id = &signed.receipt.receipt_id;
    let evidence = |failure, proof: Option<(&[u8], Option<String>)>, answer, reason| Evidence {
        failure,
        signed_receipt: signed.clone(),
        proof_hex: proof.as_ref().map(|(b, _)| hex::encode(b)),
        proof_signature: proof.and_then(|(_, s)| s),
        provider_answer: answer,
        reason,
    };
    Ok(match served {
        Served::Unreachable(e) => Err(evidence(
            Failure::Unreachable,
            None,
            Some(e.clone()),
            format!("the provider could not be reached: {e}"),
        )),
        Served::Refused(answer) => Err(evidence(
            Failure::NoProof,
            None,
            Some(answer.clone()),
            format!("no proof was served for a signed receipt: {answer}"),
        )),
        Served::Proof { bundle, signature } => {
            let signed_by_provider = signature
                .as_deref()
                .map(|s| check_proof_signature(provider, id, &bundle, s));
            match (check_proof(key, commitment.as_deref(), &signed.receipt, &bundle), signed_by_provider) {
                (Ok(()), _) => Ok(()),
                (Err(e), Some(Ok(()))) => Err(evidence(
                    Failure::InvalidProof,
                    Some((&bundle, signature)),
                    None,
                    e.to_string(),
                )),
                (Err(e), _) => Err(evidence(
                    Failure::NoProof,
                    Some((&bundle, signature)),
                    None,
                    format!("the served proof is not signed by the provider, and it does not back the receipt: {e}"),
                )),
            }
        }
    })
}

/// Re-checks evidence as a third party, with public material only. Ok(statement) says what the
/// evidence establishes; Err says why it does not hold (altered, for another model, or a proof
/// that does back its receipt).
pub fn recheck(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    evidence: &Evidence,
) -> Result<String> {
    let signed = &evidence.signed_receipt;
    let commitment = check_premises(key, provider, commitment, signed)?;
    let id = &signed.receipt.receipt_id;
    match evidence.failure {
        Failure::InvalidProof => {
            let (Some(h), Some(sig)) = (&evidence.proof_hex, &evidence.proof_signature) else {
                return Err(Error::Rejected(format!(
                    "receipt {id}: invalid-proof evidence without a provider-signed proof"
                )));
            };
            let bytes =
                hex::decode(h).map_err(|_| Error::malformed("evidence", "the proof is not hex"))?;
            check_proof_signature(provider, id, &bytes, sig)?;
            match check_proof(key, commitment.as_deref(), &signed.receipt, &bytes) {
                Ok(()) => Err(Error::Rejected(format!(
                    "the attached proof does back receipt {id}: this is not evidence of cheating"
                ))),
                Err(e) => Ok(format!(
                    "the provider signed receipt {id} and signed the proof it served for it, and that proof does not back the receipt: {e}"
                )),
            }
        }
        Failure::NoProof => Ok(format!(
            "the provider signed receipt {id}; that it then served no valid signed proof rests on the auditor's word (answer: {})",
            evidence.provider_answer.as_deref().unwrap_or("an unsigned proof")
        )),
        Failure::Unreachable => Err(Error::Rejected(format!(
            "receipt {id}: the provider was unreachable, which is not evidence of cheating"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Auditing with a segment's key (one part of a chain) is the auditor's mistake: an error
    /// that blames nobody, not evidence against the provider, whatever it served.
    #[test]
    fn an_audit_with_a_segment_key_blames_nobody() {
        let chain = crate::test_fixtures::tiny_chain();
        let key = &chain.keys[1];
        let provider = crate::protocols::receipt::ProviderKey::generate();
        let signed = provider.sign(crate::protocols::receipt::Receipt {
            receipt_id: "00".repeat(16),
            model_id: key.model_id.clone(),
            model_commitment: None,
            input_hash: "0x0".into(),
            output: vec![],
            output_frac_bits: 0,
            issued_unix_ms: 0,
        });
        let served = Served::Proof {
            bundle: chain.bundles[1].to_bytes(),
            signature: None,
        };
        let provider_key =
            crate::protocols::receipt::parse_public_key(&provider.public_hex()).unwrap();
        let outcome = check_receipt(key, &provider_key, None, &signed, served);
        let err = outcome.expect_err("a segment key must not produce evidence");
        assert!(matches!(err, Error::SegmentKey { .. }), "{err}");
    }

    #[test]
    fn sample_sizes_follow_the_hypergeometric_bound() {
        // With replacement the classic bound is ln(0.05)/ln(0.95) ≈ 59; without replacement
        // from a finite pool fewer suffice.
        let n = sample_size(10_000, 0.05, 0.95).unwrap();
        assert!((55..=59).contains(&n), "{n}");
        assert!(miss_probability(10_000, 500, n) <= 0.05);
        assert!(miss_probability(10_000, 500, n - 1) > 0.05);
        // One bad receipt among 20 needs 19 draws for 95%.
        assert_eq!(sample_size(20, 0.05, 0.95).unwrap(), 19);
        assert_eq!(sample_size(0, 0.05, 0.95).unwrap(), 0);
        // Higher confidence or a smaller fraction needs more.
        assert!(sample_size(1000, 0.05, 0.99).unwrap() > sample_size(1000, 0.05, 0.95).unwrap());
        assert!(sample_size(1000, 0.01, 0.95).unwrap() > sample_size(1000, 0.05, 0.95).unwrap());
        assert!(sample_size(100, 0.0, 0.95).is_err());
        assert!(sample_size(100, 0.1, 1.0).is_err());
        assert!(sample_size(100, 0.1, 0.0).is_err());
    }
}
