//! Trustless retrieval. A responder commits to a collection of documents (model inputs) with a
//! Merkle root over their SHA-256 hashes. A requester sends a classifier (a compiled model: its
//! verifier key) and a target class; the responder returns every document it says the
//! classifier puts in that class, each with its Merkle path and a proof of inference. The
//! requester checks that each returned document is in the committed collection and that the
//! classifier really gives it the target class.
//!
//! What that cannot show: that nothing was left out. A responder can omit matching documents.
//! The mitigation (the paper's) is a second round. Only after it holds the response does the
//! requester pick a random seed; the seed selects documents that were *not* returned, and the
//! responder must prove, for each, membership and that the classifier does not give it the
//! target class ([`spot_check`], a separate [`SpotChecks`] answer). Had the responder known the
//! seed while answering, it could have omitted exactly the matches the seed would not pick.
//! If a fraction of the non-returned documents are omitted matches, `s` spot checks miss all of
//! them with probability at most (1 − fraction)^s.

use crate::bundle::ProofBundle;
use crate::error::{Error, Result};
use crate::verifier_key::VerifierKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A collection file: `{"documents": [[...], ...]}`, each document one model input.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Collection {
    pub documents: Vec<Vec<f32>>,
}

/// SHA-256 of a document: its values as little-endian f32 bytes.
pub fn document_hash(doc: &[f32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"zkinfer document v1\0");
    h.update((doc.len() as u64).to_le_bytes());
    for v in doc {
        h.update(v.to_le_bytes());
    }
    h.finalize().into()
}

fn leaf(doc_hash: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0u8])
        .chain_update(doc_hash)
        .finalize()
        .into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([1u8])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The published root: the top node bound to the number of documents (pairing a lone node with
/// itself would otherwise give [a, b, c] and [a, b, c, c] the same top node).
fn root_of(top: &[u8; 32], len: usize) -> String {
    hex::encode(
        Sha256::new()
            .chain_update([2u8])
            .chain_update((len as u64).to_le_bytes())
            .chain_update(top)
            .finalize(),
    )
}

/// A Merkle tree over document hashes (leaves and inner nodes domain-separated; an odd node at
/// the end of a level is paired with itself).
pub struct MerkleTree {
    levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    pub fn new(documents: &[Vec<f32>]) -> Result<Self> {
        if documents.is_empty() {
            return Err(Error::InvalidInput("the collection is empty".into()));
        }
        let mut levels = vec![documents
            .iter()
            .map(|d| leaf(&document_hash(d)))
            .collect::<Vec<_>>()];
        while levels.last().expect("non-empty").len() > 1 {
            let below = levels.last().expect("non-empty");
            let above = below
                .chunks(2)
                .map(|pair| node(&pair[0], pair.get(1).unwrap_or(&pair[0])))
                .collect();
            levels.push(above);
        }
        Ok(MerkleTree { levels })
    }

    pub fn root_hex(&self) -> String {
        root_of(&self.levels.last().expect("non-empty")[0], self.len())
    }

    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sibling hashes from the leaf up.
    pub fn path(&self, index: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = level.get(i ^ 1).unwrap_or(&level[i]);
            out.push(hex::encode(sibling));
            i /= 2;
        }
        out
    }
}

/// Checks that `doc` is document `index` of a collection of `len` documents with root `root`.
pub fn check_membership(
    root: &str,
    len: usize,
    index: usize,
    doc: &[f32],
    path: &[String],
) -> Result<()> {
    if index >= len {
        return Err(Error::Rejected(format!(
            "index {index} is outside the collection of {len}"
        )));
    }
    let mut hash = leaf(&document_hash(doc));
    let (mut i, mut width) = (index, len);
    let mut siblings = path.iter();
    while width > 1 {
        let sibling: [u8; 32] = siblings
            .next()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Rejected(format!("document {index}: malformed Merkle path")))?;
        // A lone last node is paired with itself: its "sibling" must be itself.
        if i ^ 1 >= width && sibling != hash {
            return Err(Error::Rejected(format!(
                "document {index}: malformed Merkle path"
            )));
        }
        hash = if i % 2 == 0 {
            node(&hash, &sibling)
        } else {
            node(&sibling, &hash)
        };
        i /= 2;
        width = width.div_ceil(2);
    }
    if siblings.next().is_some() || root_of(&hash, len) != root {
        return Err(Error::Rejected(format!(
            "document {index} is not in the committed collection (its Merkle path does not lead to the root)"
        )));
    }
    Ok(())
}

/// One document with its membership path and a proof of the classifier's output on it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProvenDocument {
    pub index: usize,
    pub document: Vec<f32>,
    pub merkle_path: Vec<String>,
    pub proof_hex: String,
}

/// The responder's answer (round one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Response {
    pub root: String,
    pub documents_in_collection: usize,
    pub model_id: String,
    pub target_class: usize,
    /// Documents the classifier puts in the target class.
    pub matches: Vec<ProvenDocument>,
}

/// The responder's answer to the requester's spot-check seed (round two): non-returned documents
/// chosen by the seed, each proven not to match.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpotChecks {
    pub seed: String,
    pub documents: Vec<ProvenDocument>,
}

/// Indices of the spot checks: `count` documents not among `returned`, drawn from `seed`.
pub fn spot_check_indices(len: usize, returned: &[usize], seed: &str, count: usize) -> Vec<usize> {
    let rest: Vec<usize> = (0..len).filter(|i| !returned.contains(i)).collect();
    let material = format!("zkinfer retrieval spot checks\0{seed}");
    super::sample_indices(rest.len(), count, material.as_bytes())
        .into_iter()
        .map(|k| rest[k])
        .collect()
}

/// The classifier's proven class on a document, after checking the proof is for that document
/// and, for hidden weights, made with the committed classifier.
fn proven_class(
    key: &VerifierKey,
    commitment: Option<&str>,
    doc: &ProvenDocument,
) -> Result<usize> {
    let at = |m: String| Error::Rejected(format!("document {}: {m}", doc.index));
    let bytes = hex::decode(&doc.proof_hex).map_err(|_| at("the proof is not hex".into()))?;
    let bundle = ProofBundle::from_bytes(&bytes).map_err(|e| at(e.to_string()))?;
    let verified = crate::verify::verify_bundle(key, &bundle).map_err(|e| at(e.to_string()))?;
    if verified.model_commitment.as_deref() != commitment {
        return Err(at(format!(
            "the proof was made with the classifier committed as {}, not {}",
            verified.model_commitment.as_deref().unwrap_or("-"),
            commitment.unwrap_or("-")
        )));
    }
    match crate::verify::proves_input(
        key,
        &bundle,
        &doc.document,
        crate::commitment::public_item_salt(key.header.shape.visibility.input),
    )? {
        Some(true) => {}
        Some(false) => return Err(at("the proof is for another document".into())),
        None => return Err(at("the classifier's input is hidden".into())),
    }
    verified
        .predicted_class
        .ok_or_else(|| at("the classifier's output is not public".into()))
}

/// What the requester established.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RetrievalReport {
    pub root: String,
    pub target_class: usize,
    pub matches: Vec<usize>,
    pub spot_checked: Vec<usize>,
    /// For each omitted-match fraction f of non-returned documents, the spot checks would have
    /// caught it with probability ≥ 1 − (1 − f)^s; this is that bound at f = 10%.
    pub detection_at_10_percent: f64,
}

/// The requester's check of a response against the root it was given beforehand, its own
/// classifier key and target class, and of the spot checks answering its seed (if it asked for
/// `spot_check_count` of them).
pub fn verify_response(
    key: &VerifierKey,
    commitment: Option<&str>,
    root: &str,
    target_class: usize,
    response: &Response,
    spot: Option<(&SpotChecks, &str, usize)>,
) -> Result<RetrievalReport> {
    // With hidden weights the key fixes only the architecture: every proof must use the
    // classifier committed as `commitment`.
    let commitment = crate::verify::expected_commitment(key, commitment)?;
    let commitment = commitment.as_deref();
    if response.root != root {
        return Err(Error::Rejected(format!(
            "the response is for collection root {}, the committed root is {root}",
            response.root
        )));
    }
    if response.target_class != target_class || response.model_id != key.model_id {
        return Err(Error::Rejected("the response is for another query".into()));
    }
    let len = response.documents_in_collection;
    let mut returned = Vec::new();
    for doc in &response.matches {
        if returned.contains(&doc.index) {
            return Err(Error::Rejected(format!(
                "document {} is returned twice",
                doc.index
            )));
        }
        check_membership(root, len, doc.index, &doc.document, &doc.merkle_path)?;
        let class = proven_class(key, commitment, doc)?;
        if class != target_class {
            return Err(Error::Rejected(format!(
                "document {} was returned as a match, but the classifier gives it class {class}",
                doc.index
            )));
        }
        returned.push(doc.index);
    }
    let mut spot_checked = Vec::new();
    if let Some((checks, seed, spot_check_count)) = spot {
        if checks.seed != seed {
            return Err(Error::Rejected(format!(
                "the spot checks answer seed {}, not yours ({seed})",
                checks.seed
            )));
        }
        let required = spot_check_indices(len, &returned, seed, spot_check_count);
        let given: Vec<usize> = checks.documents.iter().map(|d| d.index).collect();
        if given != required {
            return Err(Error::Rejected(format!(
                "spot checks for documents {required:?} were required, the answer has {given:?}"
            )));
        }
        for doc in &checks.documents {
            check_membership(root, len, doc.index, &doc.document, &doc.merkle_path)?;
            let class = proven_class(key, commitment, doc)?;
            if class == target_class {
                return Err(Error::Rejected(format!(
                    "omission: spot-checked document {} is a match (class {class}) that was not returned",
                    doc.index
                )));
            }
        }
        spot_checked = given;
    }
    let s = spot_checked.len() as i32;
    Ok(RetrievalReport {
        root: root.to_string(),
        target_class,
        matches: returned,
        spot_checked,
        detection_at_10_percent: 1.0 - 0.9f64.powi(s),
    })
}

/// The responder's side, round one: classifies every document with the integer model and proves
/// the matches.
pub fn respond(
    prover: &crate::prove::Prover,
    collection: &Collection,
    target_class: usize,
) -> Result<Response> {
    let tree = MerkleTree::new(&collection.documents)?;
    let graph = &prover.compiled.graph;
    let mut matching = Vec::new();
    for (i, doc) in collection.documents.iter().enumerate() {
        let (_, values) = prover
            .compiled
            .witness(doc)
            .map_err(|e| Error::InvalidInput(format!("document {i}: {e}")))?;
        let out = graph.dequantize_output(&values[graph.output]);
        if crate::tensor::argmax(&out) == target_class {
            matching.push(i);
        }
    }
    let matches = matching
        .iter()
        .map(|&i| prove_document(prover, collection, &tree, i))
        .collect::<Result<Vec<_>>>()?;
    Ok(Response {
        root: tree.root_hex(),
        documents_in_collection: tree.len(),
        model_id: prover.model_id().to_string(),
        target_class,
        matches,
    })
}

fn prove_document(
    prover: &crate::prove::Prover,
    collection: &Collection,
    tree: &MerkleTree,
    i: usize,
) -> Result<ProvenDocument> {
    let item_salt = crate::commitment::public_item_salt(prover.compiled.visibility().input);
    let bundle = prover.prove(&collection.documents[i], item_salt)?;
    Ok(ProvenDocument {
        index: i,
        document: collection.documents[i].clone(),
        merkle_path: tree.path(i),
        proof_hex: hex::encode(bundle.to_bytes()),
    })
}

/// The responder's side, round two: proves the documents the requester's `seed` picks among
/// those `response` did not return.
pub fn spot_check(
    prover: &crate::prove::Prover,
    collection: &Collection,
    response: &Response,
    seed: &str,
    count: usize,
) -> Result<SpotChecks> {
    let tree = MerkleTree::new(&collection.documents)?;
    if tree.root_hex() != response.root {
        return Err(Error::InvalidInput(
            "the response is for another collection".into(),
        ));
    }
    let returned: Vec<usize> = response.matches.iter().map(|d| d.index).collect();
    let documents = spot_check_indices(tree.len(), &returned, seed, count)
        .into_iter()
        .map(|i| prove_document(prover, collection, &tree, i))
        .collect::<Result<Vec<_>>>()?;
    Ok(SpotChecks {
        seed: seed.to_string(),
        documents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_paths_verify_and_bind_document_and_position() {
        for n in [1usize, 2, 3, 5, 8, 13] {
            let docs: Vec<Vec<f32>> = (0..n).map(|i| vec![i as f32, 0.5]).collect();
            let tree = MerkleTree::new(&docs).unwrap();
            let root = tree.root_hex();
            for (i, d) in docs.iter().enumerate() {
                check_membership(&root, n, i, d, &tree.path(i)).unwrap();
                // Another document at this position, or this document at another position.
                assert!(check_membership(&root, n, i, &[99.0, 0.5], &tree.path(i)).is_err());
                if n > 1 {
                    let j = (i + 1) % n;
                    assert!(check_membership(&root, n, j, d, &tree.path(i)).is_err());
                }
            }
            assert!(check_membership(&root, n, n, &docs[0], &tree.path(0)).is_err());
        }
        // A collection with one more document has another root.
        let a: Vec<Vec<f32>> = (0..3).map(|i| vec![i as f32]).collect();
        let mut b = a.clone();
        b.push(vec![2.0]);
        assert_ne!(
            MerkleTree::new(&a).unwrap().root_hex(),
            MerkleTree::new(&b).unwrap().root_hex()
        );
    }

    #[test]
    fn spot_checks_avoid_returned_documents() {
        let s = spot_check_indices(10, &[1, 4], "seed", 3);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|i| ![1, 4].contains(i) && *i < 10));
        assert_eq!(s, spot_check_indices(10, &[1, 4], "seed", 3));
    }
}
