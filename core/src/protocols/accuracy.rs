//! Accuracy attestation. The consumer commits to a labelled test set (the SHA-256 of its file)
//! and hands it over; the provider proves an inference for every item, or for a sample the
//! consumer's seed selects, with its committed model; the attestation (one file) holds those
//! proofs. Anyone with the test set and the model's verifier key (and published commitment)
//! re-verifies every proof, ties each to its test item, and computes the accuracy from the
//! proven outputs and the labels.
//!
//! Sampled variant: with n items drawn uniformly, the sample accuracy is within `tolerance` of
//! the full-set accuracy with probability at least `confidence` when
//! n ≥ ln(2/(1−confidence)) / (2·tolerance²) (Hoeffding; capped at the set size).

use crate::bundle::ProofBundle;
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;
use serde::{Deserialize, Serialize};

/// A labelled test set: `{"inputs": [[...], ...], "labels": [class, ...]}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dataset {
    pub inputs: Vec<Vec<f32>>,
    pub labels: Vec<usize>,
}

impl Dataset {
    /// Parses the file; the commitment to it is the SHA-256 of these exact bytes.
    pub fn parse(bytes: &[u8]) -> Result<(Dataset, String)> {
        let d: Dataset = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed("test set", e.to_string()))?;
        if d.inputs.len() != d.labels.len() || d.inputs.is_empty() {
            return Err(Error::malformed(
                "test set",
                format!("{} inputs and {} labels", d.inputs.len(), d.labels.len()),
            ));
        }
        Ok((d, super::sha256_hex(bytes)))
    }
}

/// Hoeffding sample size for estimating an accuracy within `tolerance` at `confidence`.
pub fn sample_size(total: usize, tolerance: f64, confidence: f64) -> Result<usize> {
    let open_unit = |x: f64| x > 0.0 && x < 1.0;
    if !(open_unit(tolerance) && open_unit(confidence)) {
        return Err(Error::InvalidInput(format!(
            "tolerance and confidence must be in (0, 1), got {tolerance} and {confidence}"
        )));
    }
    let n = ((2.0 / (1.0 - confidence)).ln() / (2.0 * tolerance * tolerance)).ceil() as usize;
    Ok(n.min(total))
}

/// Which items the provider must prove.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Coverage {
    All,
    /// A sample chosen by the consumer's seed (hex), sized for the tolerance and confidence.
    Sampled {
        seed: String,
        tolerance: f64,
        confidence: f64,
    },
}

impl Coverage {
    /// The test-set indices this coverage requires, for the committed set `dataset_sha256`.
    pub fn indices(&self, total: usize, dataset_sha256: &str) -> Result<Vec<usize>> {
        match self {
            Coverage::All => Ok((0..total).collect()),
            Coverage::Sampled {
                seed,
                tolerance,
                confidence,
            } => {
                let n = sample_size(total, *tolerance, *confidence)?;
                let material = format!("zkinfer accuracy sample\0{dataset_sha256}\0{seed}");
                Ok(super::sample_indices(total, n, material.as_bytes()))
            }
        }
    }
}

/// The attestation file: the provider's proofs for the committed test set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attestation {
    pub dataset_sha256: String,
    pub model_id: String,
    pub model_commitment: Option<String>,
    pub coverage: Coverage,
    /// (test-set index, proof bundle hex), in index order.
    pub proofs: Vec<(usize, String)>,
}

/// What re-verifying an attestation establishes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccuracyReport {
    pub dataset_sha256: String,
    pub model_id: String,
    pub model_commitment: Option<String>,
    pub items: usize,
    pub proven: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// For a sampled attestation: the full-set accuracy lies within this of `accuracy` with
    /// probability `confidence`.
    pub tolerance: Option<f64>,
    pub confidence: Option<f64>,
}

/// Re-verifies `attestation` against the test set and the model: it must cover exactly what the
/// consumer asked for (`expected`: every item, or the sample of its seed, tolerance and
/// confidence; never a coverage the provider chose), and every required item must have a valid
/// proof, for that item's input, with the published model commitment.
pub fn verify_attestation(
    key: &VerifierKey,
    published_commitment: Option<&str>,
    dataset: &Dataset,
    dataset_sha256: &str,
    expected: &Coverage,
    attestation: &Attestation,
) -> Result<AccuracyReport> {
    let reject = |m: String| Err(Error::Rejected(m));
    if &attestation.coverage != expected {
        return reject(format!(
            "the attestation covers {:?}, but {:?} was asked for",
            attestation.coverage, expected
        ));
    }
    if attestation.dataset_sha256 != dataset_sha256 {
        return reject(format!(
            "the attestation is for test set {}, this one is {dataset_sha256}",
            attestation.dataset_sha256
        ));
    }
    if attestation.model_id != key.model_id {
        return reject(format!(
            "the attestation is for model {}, the key is model {}",
            attestation.model_id, key.model_id
        ));
    }
    let vis = key.header.shape.visibility;
    if !vis.output.carries_values() {
        return reject("accuracy needs the model's output to be public".into());
    }
    let commitment = crate::verify::expected_commitment(key, published_commitment)?;
    let item_salt = crate::commitment::public_item_salt(vis.input);
    let required = attestation
        .coverage
        .indices(dataset.inputs.len(), dataset_sha256)?;
    let given: Vec<usize> = attestation.proofs.iter().map(|(i, _)| *i).collect();
    if given != required {
        return reject(format!(
            "the attestation proves items {} but the test set and coverage require {}",
            summarize(&given),
            summarize(&required)
        ));
    }
    let mut correct = 0;
    for (index, proof_hex) in &attestation.proofs {
        let item = |m: String| Error::Rejected(format!("item {index}: {m}"));
        let bytes = hex::decode(proof_hex).map_err(|_| item("the proof is not hex".into()))?;
        let bundle = ProofBundle::from_bytes(&bytes).map_err(|e| item(e.to_string()))?;
        let verified =
            crate::verify::verify_bundle(key, &bundle).map_err(|e| item(e.to_string()))?;
        if verified.model_commitment != commitment {
            return Err(item(format!(
                "proven with the model committed as {}, not {}",
                verified.model_commitment.as_deref().unwrap_or("-"),
                commitment.as_deref().unwrap_or("-")
            )));
        }
        match crate::verify::proves_input(key, &bundle, &dataset.inputs[*index], item_salt)? {
            Some(true) => {}
            Some(false) => {
                return Err(item(
                    "the proof is for another input than the test item".into(),
                ))
            }
            None => {
                return Err(item(
                    "the model's input is hidden, so a proof cannot be tied to a test item".into(),
                ))
            }
        }
        correct += (verified.predicted_class == Some(dataset.labels[*index])) as usize;
    }
    let proven = attestation.proofs.len();
    let (tolerance, confidence) = match &attestation.coverage {
        Coverage::All => (None, None),
        Coverage::Sampled {
            tolerance,
            confidence,
            ..
        } => (Some(*tolerance), Some(*confidence)),
    };
    Ok(AccuracyReport {
        dataset_sha256: dataset_sha256.to_string(),
        model_id: key.model_id.clone(),
        model_commitment: commitment,
        items: dataset.inputs.len(),
        proven,
        correct,
        accuracy: if proven == 0 {
            0.0
        } else {
            correct as f64 / proven as f64
        },
        tolerance,
        confidence,
    })
}

/// The provider's side: proves every item `coverage` requires with its committed model.
/// `progress(done, total)` is called after each proof.
pub fn attest(
    prover: &crate::prove::Prover,
    dataset: &Dataset,
    dataset_sha256: &str,
    coverage: Coverage,
    mut progress: impl FnMut(usize, usize),
) -> Result<Attestation> {
    let indices = coverage.indices(dataset.inputs.len(), dataset_sha256)?;
    let expected_len = prover.compiled.graph.input_tensor().len();
    // Bad items fail here, before any proof is made.
    for &i in &indices {
        if dataset.inputs[i].len() != expected_len {
            return Err(Error::InvalidInput(format!(
                "test item {i} has {} values, the model takes {expected_len}",
                dataset.inputs[i].len()
            )));
        }
        prover.compiled.graph.quantize_input(&dataset.inputs[i])?;
    }
    let item_salt = crate::commitment::public_item_salt(prover.compiled.visibility().input);
    let mut proofs = Vec::with_capacity(indices.len());
    for (done, &i) in indices.iter().enumerate() {
        let bundle = prover.prove(&dataset.inputs[i], item_salt)?;
        proofs.push((i, hex::encode(bundle.to_bytes())));
        progress(done + 1, indices.len());
    }
    Ok(Attestation {
        dataset_sha256: dataset_sha256.to_string(),
        model_id: prover.model_id().to_string(),
        model_commitment: prover
            .compiled
            .commitment()
            .map(|c| crate::poseidon::to_hex(&c)),
        coverage,
        proofs,
    })
}

fn summarize(v: &[usize]) -> String {
    if v.len() <= 8 {
        format!("{v:?}")
    } else {
        format!("{:?}... ({} items)", &v[..8], v.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hoeffding_sizes() {
        // ln(40)/(2·0.05²) = 737.8
        assert_eq!(sample_size(10_000, 0.05, 0.95).unwrap(), 738);
        assert_eq!(sample_size(100, 0.05, 0.95).unwrap(), 100);
        assert!(sample_size(100, 0.0, 0.95).is_err());
        let c = Coverage::Sampled {
            seed: "01".into(),
            tolerance: 0.2,
            confidence: 0.9,
        };
        // ln(20)/(2·0.04) = 37.4
        let idx = c.indices(1000, "abc").unwrap();
        assert_eq!(idx.len(), 38);
        assert_eq!(idx, c.indices(1000, "abc").unwrap());
        assert_ne!(idx, c.indices(1000, "abd").unwrap());
    }
}
