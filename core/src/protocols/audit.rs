//! Sampled audits of served predictions. A consumer holding N signed receipts asks for proofs of
//! a random sample of them; one receipt without a valid matching proof is proof of cheating,
//! because the provider signed it.
//!
//! Sample size: if at least a fraction `f` of the N receipts were cheated (T = ⌈f·N⌉ of them),
//! a uniform sample of n receipts without replacement misses all of them with probability
//! C(N−T, n) / C(N, n). [`sample_size`] is the smallest n making that at most 1 − confidence.

use super::receipt::{check_proof, SignedReceipt};
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
    if !(0.0..1.0).contains(&confidence) {
        return Err(Error::InvalidInput(format!(
            "the confidence must be in [0, 1), got {confidence}"
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

/// Evidence against a provider: a receipt it signed, and the proof it served for it (None if it
/// served none), with the reason the proof does not back the receipt.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Evidence {
    pub signed_receipt: SignedReceipt,
    /// The bundle served for the receipt, hex; None when the provider gave no proof.
    pub proof_hex: Option<String>,
    /// What the provider answered instead of a proof, when it gave none.
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
    /// "honest" (every sampled receipt has a valid, matching proof) or "caught".
    pub verdict: String,
    pub evidence: Vec<Evidence>,
}

/// Checks one sampled receipt against what the provider answered: `Ok(())` if a valid proof
/// backs it, otherwise the evidence.
pub fn check_receipt(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    signed: &SignedReceipt,
    served: std::result::Result<Vec<u8>, String>,
) -> std::result::Result<(), Evidence> {
    let evidence = |proof: Option<&[u8]>, answer: Option<String>, reason: String| Evidence {
        signed_receipt: signed.clone(),
        proof_hex: proof.map(hex::encode),
        provider_answer: answer,
        reason,
    };
    if let Err(e) = signed.check_signature(Some(provider)) {
        // Not evidence against the provider: it never signed this.
        return Err(evidence(None, None, format!("unusable receipt: {e}")));
    }
    match served {
        Err(answer) => Err(evidence(
            None,
            Some(answer.clone()),
            format!("no proof was served for a signed receipt: {answer}"),
        )),
        Ok(bytes) => check_proof(key, commitment, &signed.receipt, &bytes)
            .map_err(|e| evidence(Some(&bytes), None, e.to_string())),
    }
}

/// Re-checks evidence as a third party: Ok(reason) confirms it (the receipt is genuinely signed
/// by `provider` and the attached proof, if any, does not back it); Err says why the evidence
/// does not hold. A missing proof can only be confirmed as "the provider signed this receipt and
/// no proof is attached": whether the provider refused is the auditor's word.
pub fn recheck(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    evidence: &Evidence,
) -> Result<String> {
    evidence.signed_receipt.check_signature(Some(provider))?;
    match &evidence.proof_hex {
        None => Ok(format!(
            "receipt {} is signed by the provider and no proof is attached (provider answered: {})",
            evidence.signed_receipt.receipt.receipt_id,
            evidence.provider_answer.as_deref().unwrap_or("nothing")
        )),
        Some(h) => {
            let bytes =
                hex::decode(h).map_err(|_| Error::malformed("evidence", "the proof is not hex"))?;
            match check_proof(key, commitment, &evidence.signed_receipt.receipt, &bytes) {
                Ok(()) => Err(Error::Rejected(format!(
                    "the attached proof does back receipt {}: this is not evidence of cheating",
                    evidence.signed_receipt.receipt.receipt_id
                ))),
                Err(e) => Ok(format!(
                    "receipt {} is signed by the provider and the attached proof does not back it: {e}",
                    evidence.signed_receipt.receipt.receipt_id
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
