//! Signed receipts: what a provider promises about one served prediction, signed with its ed25519
//! key so it cannot later deny it. A receipt names the model (id and commitment), the input (by
//! its Poseidon hash, the same hash a proof of a hashed-input model carries) and the output
//! integers. [`check_proof`] decides whether a proof bundle backs a receipt.

use crate::bundle::ProofBundle;
use crate::circuit::TensorVisibility;
use crate::commitment::tensor_hash;
use crate::error::{Error, Result};
use crate::poseidon;
use crate::verifier_key::VerifierKey;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

const DOMAIN: &[u8] = b"zkinfer receipt v1\0";
const PROOF_DOMAIN: &[u8] = b"zkinfer served proof v1\0";

/// What a provider signs when it serves a proof: the receipt id and the bundle's SHA-256. With
/// it, a bad proof is evidence a third party can check: the provider cannot deny serving it.
fn proof_signing_bytes(receipt_id: &str, bundle: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut bytes = PROOF_DOMAIN.to_vec();
    bytes.extend((receipt_id.len() as u64).to_le_bytes());
    bytes.extend(receipt_id.as_bytes());
    bytes.extend(Sha256::digest(bundle));
    bytes
}

/// Checks a provider's signature (hex) on a served proof.
pub fn check_proof_signature(
    provider: &VerifyingKey,
    receipt_id: &str,
    bundle: &[u8],
    signature_hex: &str,
) -> Result<()> {
    let sig: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Rejected("the proof signature is not 128 hex digits".into()))?;
    provider
        .verify(
            &proof_signing_bytes(receipt_id, bundle),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| {
            Error::Rejected(format!(
                "the proof served for receipt {receipt_id} is not signed by the provider"
            ))
        })
}

/// One served prediction, as the provider states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: String,
    /// SHA-256 of the verifier key.
    pub model_id: String,
    /// The published model commitment (hidden weights), 0x hex; None if the weights are in the key.
    pub model_commitment: Option<String>,
    /// Poseidon hash of the quantized input integers (0x hex).
    pub input_hash: String,
    /// The output integers the provider answered with.
    pub output: Vec<i64>,
    pub output_frac_bits: i32,
    pub issued_unix_ms: u64,
    /// The provider's promise: from this time on (Unix ms), a request for this receipt's proof
    /// is answered with a valid proof that the provider signs. Past it, no proof is a broken
    /// promise it signed ([`crate::protocols::audit::Failure::Overdue`]), whatever the network
    /// did. Receipts from before deadlines existed have none (and sign the same bytes as then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_deadline_unix_ms: Option<u64>,
}

impl Receipt {
    fn signing_bytes(&self) -> Vec<u8> {
        let mut bytes = DOMAIN.to_vec();
        // Field order is the struct's and every value is an integer or a string, so this
        // encoding is the same wherever the receipt is re-serialized.
        bytes.extend(serde_json::to_vec(self).expect("a receipt serializes"));
        bytes
    }
}

/// A receipt with the provider's public key and signature (both hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReceipt {
    pub receipt: Receipt,
    pub provider_key: String,
    pub signature: String,
}

/// A provider's signing key, kept in a file of 64 hex digits (the ed25519 seed).
pub struct ProviderKey {
    key: SigningKey,
}

impl ProviderKey {
    pub fn generate() -> Self {
        ProviderKey {
            key: SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
        }
    }

    /// Reads the key file, or creates it (mode 0600 on Unix) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        Error::malformed("provider signing key", "expected 64 hex digits")
                    })?;
                Ok(ProviderKey {
                    key: SigningKey::from_bytes(&bytes),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                crate::fsutil::write_atomic(path, hex::encode(key.key.to_bytes()).as_bytes())?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                }
                Ok(key)
            }
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The public key, hex: what the provider publishes next to its model commitment.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs a proof served for `receipt_id` (hex), for the `x-zkinfer-proof-signature` header.
    pub fn sign_proof(&self, receipt_id: &str, bundle: &[u8]) -> String {
        hex::encode(
            self.key
                .sign(&proof_signing_bytes(receipt_id, bundle))
                .to_bytes(),
        )
    }

    pub fn sign(&self, receipt: Receipt) -> SignedReceipt {
        let signature = self.key.sign(&receipt.signing_bytes());
        SignedReceipt {
            receipt,
            provider_key: self.public_hex(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Parses a hex ed25519 public key.
pub fn parse_public_key(hex_key: &str) -> Result<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "'{hex_key}' is not a 64-hex-digit ed25519 public key"
            ))
        })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| Error::InvalidInput(format!("'{hex_key}' is not an ed25519 public key")))
}

impl SignedReceipt {
    /// Checks the signature, and that the signer is `provider` when given.
    pub fn check_signature(&self, provider: Option<&VerifyingKey>) -> Result<()> {
        let signer = parse_public_key(&self.provider_key)?;
        if let Some(p) = provider {
            if p != &signer {
                return Err(Error::Rejected(format!(
                    "receipt {} is signed by {}, not by the provider's key {}",
                    self.receipt.receipt_id,
                    self.provider_key,
                    hex::encode(p.to_bytes())
                )));
            }
        }
        let sig: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Rejected("the receipt signature is not 128 hex digits".into()))?;
        signer
            .verify(&self.receipt.signing_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| {
                Error::Rejected(format!(
                    "receipt {}: the signature does not match its contents",
                    self.receipt.receipt_id
                ))
            })
    }
}

/// Whether `bundle_bytes` proves what `receipt` states, for the model of `key` committed as
/// `published_commitment` (required when the model's weights are hidden). Ok means: the proof
/// verifies, for this model and commitment, for this very input and output.
pub fn check_proof(
    key: &VerifierKey,
    published_commitment: Option<&str>,
    receipt: &Receipt,
    bundle_bytes: &[u8],
) -> Result<()> {
    let vis = key.header.shape.visibility;
    let act_bits = key.header.shape.act_bits;
    if receipt.model_id != key.model_id {
        return Err(Error::Rejected(format!(
            "the receipt names model {}, the audited model is {}",
            receipt.model_id, key.model_id
        )));
    }
    let bundle = ProofBundle::from_bytes(bundle_bytes)?;
    let verified = crate::verify::verify_bundle(key, &bundle)?;
    if let Some(published) = crate::verify::expected_commitment(key, published_commitment)? {
        if verified.model_commitment.as_deref() != Some(published.as_str()) {
            return Err(Error::Rejected(format!(
                "the proof was made with the model committed as {}, not the published {published}",
                verified.model_commitment.as_deref().unwrap_or("-")
            )));
        }
        if receipt.model_commitment.as_deref() != Some(published.as_str()) {
            return Err(Error::Rejected(
                "the receipt names another model commitment than the published one".into(),
            ));
        }
    }
    let input_hash = match vis.input {
        // A salted hash is the receipt's as it stands: only the consumer holds the salt.
        TensorVisibility::Hashed | TensorVisibility::Salted => {
            verified.input_hash.clone().unwrap_or_default()
        }
        TensorVisibility::Public | TensorVisibility::Packed => {
            poseidon::to_hex(&tensor_hash(&bundle.header.input.values, act_bits)?)
        }
        TensorVisibility::Hidden | TensorVisibility::Linked => {
            return Err(Error::Rejected(
                "the model's input is hidden, so no proof can be tied to the receipt's input"
                    .into(),
            ))
        }
    };
    if input_hash != receipt.input_hash {
        return Err(Error::Rejected(format!(
            "the proof is for another input (hash {input_hash}) than the receipt's ({})",
            receipt.input_hash
        )));
    }
    let output_matches = match vis.output {
        TensorVisibility::Public | TensorVisibility::Packed => {
            verified.output.values == receipt.output
        }
        TensorVisibility::Hashed => {
            verified.output_hash.as_deref()
                == Some(poseidon::to_hex(&tensor_hash(&receipt.output, act_bits)?).as_str())
        }
        TensorVisibility::Hidden | TensorVisibility::Linked | TensorVisibility::Salted => {
            return Err(Error::Rejected(
                "the model's output is hidden, so no proof can be tied to the receipt's output"
                    .into(),
            ))
        }
    };
    if !output_matches || receipt.output_frac_bits != key.header.output.frac_bits {
        return Err(Error::Rejected(
            "the proven output differs from the output the receipt promised".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            receipt_id: "ab".repeat(16),
            model_id: "cd".repeat(32),
            model_commitment: Some("0x01".into()),
            input_hash: "0x02".into(),
            output: vec![1, -2, 3],
            output_frac_bits: 5,
            issued_unix_ms: 1_700_000_000_000,
            proof_deadline_unix_ms: Some(1_700_000_600_000),
        }
    }

    #[test]
    fn signatures_verify_and_any_change_breaks_them() {
        let key = ProviderKey::generate();
        let signed = key.sign(receipt());
        signed.check_signature(None).unwrap();
        let pk = parse_public_key(&key.public_hex()).unwrap();
        signed.check_signature(Some(&pk)).unwrap();
        // Round trip through JSON keeps it valid.
        let back: SignedReceipt =
            serde_json::from_str(&serde_json::to_string(&signed).unwrap()).unwrap();
        back.check_signature(Some(&pk)).unwrap();
        let mut changed = signed.clone();
        changed.receipt.output[0] += 1;
        assert!(changed.check_signature(Some(&pk)).is_err());
        let mut changed = signed.clone();
        changed.receipt.model_commitment = None;
        assert!(changed.check_signature(None).is_err());
        // The proof deadline is signed: neither moved nor removed.
        let mut later = signed.clone();
        later.receipt.proof_deadline_unix_ms = Some(1_700_000_600_001);
        assert!(later.check_signature(Some(&pk)).is_err());
        let mut none = signed.clone();
        none.receipt.proof_deadline_unix_ms = None;
        assert!(none.check_signature(Some(&pk)).is_err());
        // A receipt signed without a deadline (before they existed) still verifies.
        let old = key.sign(Receipt {
            proof_deadline_unix_ms: None,
            ..receipt()
        });
        let json = serde_json::to_string(&old).unwrap();
        assert!(!json.contains("deadline"));
        let back: SignedReceipt = serde_json::from_str(&json).unwrap();
        back.check_signature(Some(&pk)).unwrap();
        // Another provider's key.
        let other = ProviderKey::generate();
        let other_pk = parse_public_key(&other.public_hex()).unwrap();
        assert!(signed.check_signature(Some(&other_pk)).is_err());
        let mut forged = other.sign(receipt());
        forged.provider_key = key.public_hex();
        assert!(forged.check_signature(Some(&pk)).is_err());
        let mut garbage = signed;
        garbage.signature = "zz".into();
        assert!(garbage.check_signature(None).is_err());
        // Served proofs: bound to the receipt id and every byte of the bundle.
        let sig = key.sign_proof("r1", b"bundle");
        check_proof_signature(&pk, "r1", b"bundle", &sig).unwrap();
        assert!(check_proof_signature(&pk, "r2", b"bundle", &sig).is_err());
        assert!(check_proof_signature(&pk, "r1", b"bundlf", &sig).is_err());
        assert!(check_proof_signature(&other_pk, "r1", b"bundle", &sig).is_err());
        assert!(check_proof_signature(&pk, "r1", b"bundle", "00").is_err());
    }

    #[test]
    fn key_files_round_trip() {
        let dir = std::env::temp_dir().join(format!("zkinfer-pk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("provider.key");
        let _ = std::fs::remove_file(&path);
        let a = ProviderKey::load_or_create(&path).unwrap();
        let b = ProviderKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex());
        std::fs::write(&path, "nonsense").unwrap();
        assert!(ProviderKey::load_or_create(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
