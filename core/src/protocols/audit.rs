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
    /// The provider says it is still proving it (and the auditor stopped waiting).
    Pending(String),
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
    /// The provider could not be reached, before the receipt's proof deadline (or for a receipt
    /// without one): inconclusive, not evidence.
    Unreachable,
    /// The provider was still proving it when the auditor stopped waiting, before the
    /// receipt's proof deadline: inconclusive, not evidence.
    Pending,
    /// The receipt's signed proof deadline passed and no valid signed proof was served: no
    /// answer, an error, or an unsigned proof. The provider promised a proof by then in the
    /// receipt it signed; dropping the connection does not excuse it, and it can refute this
    /// only by serving that proof, which anyone holding the receipt can ask it for.
    Overdue,
}

impl Failure {
    /// Whether this failure blames the provider (the others are inconclusive).
    pub fn is_evidence(self) -> bool {
        match self {
            Failure::InvalidProof | Failure::NoProof | Failure::Overdue => true,
            Failure::Unreachable | Failure::Pending => false,
        }
    }
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
        if evidence.iter().any(|e| e.failure.is_evidence()) {
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

/// Whether the receipt's signed proof deadline has passed at `now_unix_ms`.
pub fn is_overdue(signed: &SignedReceipt, now_unix_ms: u64) -> bool {
    signed
        .receipt
        .proof_deadline_unix_ms
        .is_some_and(|deadline| now_unix_ms >= deadline)
}

/// Checks one sampled receipt against what the provider served at `now_unix_ms`: `Ok(())` if a
/// valid proof backs it, `Ok(Err(evidence))` if not; `Err` if the audit's own inputs are wrong
/// (a receipt the provider never signed, another model, a missing commitment): that blames
/// nobody. Past the receipt's proof deadline, anything but a proof the provider signed is
/// [`Failure::Overdue`].
pub fn check_receipt(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    signed: &SignedReceipt,
    served: Served,
    now_unix_ms: u64,
) -> Result<std::result::Result<(), Evidence>> {
    let commitment = check_premises(key, provider, commitment, signed)?;
    let overdue = is_overdue(signed, now_unix_ms);
    let deadline = signed.receipt.proof_deadline_unix_ms.unwrap_or(0);
    let late = |what: String| {
        format!("{what}, after the proof deadline the provider signed ({deadline} ms Unix time)")
    };
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
        Served::Unreachable(e) if overdue => Err(evidence(
            Failure::Overdue,
            None,
            Some(e.clone()),
            late(format!("no proof: the provider could not be reached ({e})")),
        )),
        Served::Unreachable(e) => Err(evidence(
            Failure::Unreachable,
            None,
            Some(e.clone()),
            format!("the provider could not be reached: {e}"),
        )),
        Served::Pending(answer) | Served::Refused(answer) if overdue => Err(evidence(
            Failure::Overdue,
            None,
            Some(answer.clone()),
            late(format!("no proof was served: {answer}")),
        )),
        // Before its deadline, a proof still being made is no fault; without a deadline the
        // auditor's patience is the only one there is.
        Served::Pending(answer) if signed.receipt.proof_deadline_unix_ms.is_some() => {
            Err(evidence(
                Failure::Pending,
                None,
                Some(answer.clone()),
                format!("the provider is still proving it, before its proof deadline: {answer}"),
            ))
        }
        Served::Pending(answer) | Served::Refused(answer) => Err(evidence(
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
                (Err(e), _) if overdue => Err(evidence(
                    Failure::Overdue,
                    Some((&bundle, signature)),
                    None,
                    late(format!("only a proof the provider did not sign, which does not back the receipt: {e}")),
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

/// Re-checks evidence as a third party, with public material only, at `now_unix_ms`, and, for
/// overdue evidence, with what the provider serves for the receipt now (`served_now`, when the
/// third party asked it). Ok(statement) says what the evidence establishes; Err says why it
/// does not hold (altered, for another model, a proof that does back its receipt, a deadline
/// not yet passed, or a provider that now serves the proof).
pub fn recheck(
    key: &VerifierKey,
    provider: &VerifyingKey,
    commitment: Option<&str>,
    evidence: &Evidence,
    now_unix_ms: u64,
    served_now: Option<Served>,
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
        Failure::Unreachable | Failure::Pending => Err(Error::Rejected(format!(
            "receipt {id}: the provider was unreachable or still proving before the deadline, \
             which is not evidence of cheating"
        ))),
        Failure::Overdue => {
            let Some(deadline) = signed.receipt.proof_deadline_unix_ms else {
                return Err(Error::Rejected(format!(
                    "receipt {id}: overdue evidence for a receipt without a proof deadline"
                )));
            };
            if now_unix_ms < deadline {
                return Err(Error::Rejected(format!(
                    "receipt {id}: its proof deadline ({deadline} ms Unix time) has not passed"
                )));
            }
            let promise = format!(
                "the provider signed receipt {id} promising a valid signed proof from \
                 {deadline} ms Unix time on, which has passed"
            );
            match served_now {
                None => Ok(format!(
                    "{promise}; the auditor reports none by then ({}). The provider can refute this only by serving that proof: ask it (audit-recheck --server)",
                    evidence.provider_answer.as_deref().unwrap_or("an unsigned proof")
                )),
                Some(served) => {
                    match check_receipt(key, provider, commitment.as_deref(), signed, served, now_unix_ms)? {
                        Ok(()) => Err(Error::Rejected(format!(
                            "receipt {id}: the provider now serves a valid signed proof for it, so this is not evidence of cheating (at most of a late proof)"
                        ))),
                        Err(now) => Ok(format!("{promise}, and asked now it still serves none: {}", now.reason)),
                    }
                }
            }
        }
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
            proof_deadline_unix_ms: None,
        });
        let served = Served::Proof {
            bundle: chain.bundles[1].to_bytes(),
            signature: None,
        };
        let provider_key =
            crate::protocols::receipt::parse_public_key(&provider.public_hex()).unwrap();
        let outcome = check_receipt(key, &provider_key, None, &signed, served, 0);
        let err = outcome.expect_err("a segment key must not produce evidence");
        assert!(matches!(err, Error::SegmentKey { .. }), "{err}");
    }

    /// A whole model's key (the tiny graph, fixed weights) and a provider's receipt for it,
    /// with a proof deadline at `deadline` ms.
    fn whole_model_receipt(
        deadline: Option<u64>,
    ) -> (
        VerifierKey,
        crate::protocols::receipt::ProviderKey,
        VerifyingKey,
        SignedReceipt,
    ) {
        let opts = crate::prove::CompileOptions {
            visibility: crate::circuit::Visibility::PUBLIC,
            ..Default::default()
        };
        let compiled =
            crate::prove::compile_quantized(crate::test_fixtures::tiny_graph(), &opts).unwrap();
        let params = crate::test_fixtures::params(compiled.plan.k, crate::srs::DEV_SEED);
        let key =
            VerifierKey::from_bytes(&compiled.verifier_key_bytes(&params, "dev").unwrap()).unwrap();
        let provider = crate::protocols::receipt::ProviderKey::generate();
        let signed = provider.sign(crate::protocols::receipt::Receipt {
            receipt_id: "ab".repeat(16),
            model_id: key.model_id.clone(),
            model_commitment: None,
            input_hash: "0x0".into(),
            output: vec![1, 2, 3, 4],
            output_frac_bits: 0,
            issued_unix_ms: 1_000,
            proof_deadline_unix_ms: deadline,
        });
        let public = crate::protocols::receipt::parse_public_key(&provider.public_hex()).unwrap();
        (key, provider, public, signed)
    }

    /// A provider that drops the connection (or answers with an error, or an unsigned proof)
    /// for a receipt it cannot back is caught once the deadline it signed has passed, and a
    /// third party re-checks that; before the deadline it is only inconclusive.
    #[test]
    fn no_proof_past_the_signed_deadline_is_evidence_whatever_the_network_did() {
        let (key, provider, public, signed) = whole_model_receipt(Some(60_000));
        let dropped = || Served::Unreachable("connection reset".into());
        let judge = |served, now| {
            check_receipt(&key, &public, None, &signed, served, now)
                .unwrap()
                .expect_err("no proof backs the receipt")
        };
        // Before the deadline: the network may be at fault, and a proof may still be coming.
        let early = judge(dropped(), 59_999);
        assert_eq!(early.failure, Failure::Unreachable);
        assert_eq!(
            AuditReport::verdict_of(std::slice::from_ref(&early)),
            "inconclusive"
        );
        let proving = judge(Served::Pending("queued".into()), 59_999);
        assert_eq!(proving.failure, Failure::Pending);
        assert_eq!(AuditReport::verdict_of(&[early, proving]), "inconclusive");
        assert_eq!(
            judge(Served::Pending("queued".into()), 60_000).failure,
            Failure::Overdue
        );
        // From the deadline on: a broken promise, whatever the answer.
        for served in [
            dropped(),
            Served::Refused("HTTP 503".into()),
            Served::Proof {
                bundle: vec![1, 2, 3],
                signature: None,
            },
        ] {
            let late = judge(served, 60_000);
            assert_eq!(late.failure, Failure::Overdue, "{}", late.reason);
            assert!(late.reason.contains("proof deadline"), "{}", late.reason);
            assert_eq!(
                AuditReport::verdict_of(std::slice::from_ref(&late)),
                "caught"
            );
        }
        // A signed but invalid proof stays the stronger evidence.
        let bundle = vec![9u8; 10];
        let signature = Some(provider.sign_proof(&signed.receipt.receipt_id, &bundle));
        let invalid = judge(Served::Proof { bundle, signature }, 60_000);
        assert_eq!(invalid.failure, Failure::InvalidProof);

        // A third party: the evidence holds after the deadline (the provider may be asked, and
        // still serving nothing confirms it); not before it; not for a moved deadline.
        let late = judge(dropped(), 61_000);
        let statement = recheck(&key, &public, None, &late, 70_000, None).unwrap();
        assert!(
            statement.contains("can refute this only by serving that proof"),
            "{statement}"
        );
        let asked = recheck(&key, &public, None, &late, 70_000, Some(dropped())).unwrap();
        assert!(asked.contains("still serves none"), "{asked}");
        let too_soon = recheck(&key, &public, None, &late, 59_000, None).unwrap_err();
        assert!(
            too_soon.to_string().contains("has not passed"),
            "{too_soon}"
        );
        let mut moved = late.clone();
        moved.signed_receipt.receipt.proof_deadline_unix_ms = Some(1);
        assert!(recheck(&key, &public, None, &moved, 70_000, None).is_err());

        // A receipt without a deadline: a dropped connection is never more than inconclusive.
        let (key, _, public, signed) = whole_model_receipt(None);
        let outcome = check_receipt(&key, &public, None, &signed, dropped(), u64::MAX).unwrap();
        assert_eq!(outcome.unwrap_err().failure, Failure::Unreachable);
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
