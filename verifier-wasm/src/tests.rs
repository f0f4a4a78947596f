//! Native tests of the plain-Rust layer. They read the fixtures written by
//! `scripts/make-wasm-fixtures.sh` at run time and skip (with a message) when they are absent.

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

struct Fixtures {
    key: Vec<u8>,
    proof: Vec<u8>,
    other_key: Vec<u8>,
    /// The input JSON the proof is for, with the salt the demo drew for it.
    input: String,
}

fn fixtures() -> Option<Fixtures> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures");
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    match (
        read("verifier-key"),
        read("digit_7.proof"),
        read("other-verifier-key"),
        read("digit_7.input.json").and_then(|b| String::from_utf8(b).ok()),
    ) {
        (Some(key), Some(proof), Some(other_key), Some(input)) => Some(Fixtures {
            key,
            proof,
            other_key,
            input,
        }),
        _ => {
            skip_missing_fixtures(&dir);
            None
        }
    }
}

/// Says the fixtures are missing; a run that requires them (.ci/run sets
/// ZKINFER_REQUIRE_TEST_DATA) fails here instead of passing silently.
fn skip_missing_fixtures(dir: &std::path::Path) {
    let required = std::env::var_os("ZKINFER_REQUIRE_TEST_DATA").is_some_and(|v| v != "0");
    let message = format!(
        "fixtures missing in {}; run scripts/make-wasm-fixtures.sh",
        dir.display()
    );
    assert!(!required, "{message}");
    eprintln!("SKIPPED: {message}");
}

macro_rules! fixtures_or_skip {
    () => {
        match fixtures() {
            Some(f) => f,
            None => return,
        }
    };
}

fn bundle(f: &Fixtures) -> ProofBundle {
    ProofBundle::from_bytes(&f.proof).expect("fixture bundle parses")
}

fn assert_rejected(outcome: &VerifyOutcome, what: &str) {
    assert!(!outcome.valid, "{what}: accepted");
    let reason = outcome.reason.as_deref().unwrap_or("");
    assert!(!reason.is_empty(), "{what}: rejected without a reason");
    assert!(
        outcome.output.is_empty()
            && outcome.output_raw.is_empty()
            && outcome.predicted_class.is_none()
    );
}

#[test]
fn key_header_is_reported() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).expect("fixture key loads");
    let info = key_info(&key);
    assert_eq!(info.model_id, zkinfer_core::verifier_key::model_id(&f.key));
    assert_eq!(info.model_id.len(), 64);
    assert!(!info.model_name.is_empty());
    assert!(info.k >= 1 && info.k <= 26);
    assert_eq!(info.input.shape.iter().product::<usize>(), 28 * 28);
    assert_eq!(info.output.shape.iter().product::<usize>(), 10);
    if let Some(labels) = &info.labels {
        assert_eq!(labels.len(), 10);
    }
    // A digit model takes no RGB image: its key names no image preprocessing.
    assert_eq!(info.image, None);
    // Nor a tokenizer: it reads pixels, not a prompt.
    assert_eq!(info.text, None);
    // The fixtures are made with the development parameters: recognized by value.
    assert_eq!(
        info.setup_digest,
        zkinfer_core::setup::DEVELOPMENT_SETUP_DIGEST
    );
    assert!(info.development_setup);
    let other = key_info(&load_key(&f.other_key).expect("other key loads"));
    assert_ne!(
        other.model_id, info.model_id,
        "the two fixture keys must be different models"
    );
}

#[test]
fn valid_proof_verifies_and_reports_the_bundle_output() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    let b = bundle(&f);
    let out = verify_bytes(&key, &f.proof);
    assert!(out.valid, "rejected: {:?}", out.reason);
    assert_eq!(out.reason, None);
    assert_eq!(out.model_id, key.model_id);
    // Valid, and flagged: under the development setup it proves nothing against a forger.
    assert_eq!(out.setup_digest, Some(key.setup_digest.clone()));
    assert!(out.development_setup);
    assert_eq!(out.output_raw, b.header.output.values);
    assert_eq!(out.output, b.header.output.dequantized());
    assert_eq!(out.output_shape, b.header.output.shape);
    assert_eq!(out.input, b.header.input.dequantized());
    assert_eq!(out.input_shape, b.header.input.shape);
    // Served model: input hashed, weights committed.
    assert_eq!(out.input_hash, b.header.input_hash);
    assert!(out.input_hash.is_some());
    assert_eq!(out.model_commitment, b.header.model_commitment);
    assert!(out.model_commitment.is_some());
    let digit: serde_json::Value = serde_json::from_str(&f.input).unwrap();
    let x: Vec<f32> = digit["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    // The input hash is salted: only the salt the consumer kept gives the proof's hash.
    let salt = digit["input_salt"].as_str().unwrap();
    assert_eq!(input_hash_of(&key, &x, Some(salt)).ok(), out.input_hash);
    let err = input_hash_of(&key, &x, None).unwrap_err();
    assert!(err.contains("salt"), "{err}");
    let other_salt = format!(
        "{}{}",
        &salt[..salt.len() - 1],
        if salt.ends_with('0') { '1' } else { '0' }
    );
    assert_ne!(
        input_hash_of(&key, &x, Some(&other_salt)).ok(),
        out.input_hash
    );
    assert!(input_hash_of(&key, &x, Some("0x12")).is_err());
    let argmax = (0..out.output.len()).fold(0, |best, i| {
        if out.output[i] > out.output[best] {
            i
        } else {
            best
        }
    });
    assert_eq!(out.predicted_class, Some(argmax));
    // The fixture is the demo's held-out '7', which the bundled model classifies correctly.
    assert_eq!(out.predicted_class, Some(7));
    if let Some(labels) = &key.header.labels {
        assert_eq!(
            out.predicted_label.as_deref(),
            labels.get(7).map(String::as_str)
        );
    }
}

#[test]
fn tampered_proof_byte_is_rejected() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    let mut b = bundle(&f);
    let mid = b.proof.len() / 2;
    b.proof[mid] ^= 0x01;
    assert_rejected(&verify_bytes(&key, &b.to_bytes()), "flipped proof byte");
}

#[test]
fn changed_output_value_is_rejected() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    let mut b = bundle(&f);
    // Claim a different digit: raise class 8 above the real winner (stays inside the value range).
    let top = *b.header.output.values.iter().max().unwrap();
    b.header.output.values[8] = top + 1;
    let out = verify_bytes(&key, &b.to_bytes());
    assert_rejected(&out, "changed output");
    // A one-unit nudge is caught too.
    let mut b = bundle(&f);
    b.header.output.values[0] += 1;
    assert_rejected(&verify_bytes(&key, &b.to_bytes()), "output nudged by one");
}

#[test]
fn changed_input_value_is_rejected() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    let mut b = bundle(&f);
    // The fixture's input is hashed: another input is another hash.
    let h = b
        .header
        .input_hash
        .clone()
        .expect("the served fixture hashes its input");
    let last = if h.ends_with('0') { "1" } else { "0" };
    b.header.input_hash = Some(format!("{}{last}", &h[..h.len() - 1]));
    assert_rejected(&verify_bytes(&key, &b.to_bytes()), "changed input hash");
    let mut b = bundle(&f);
    b.header.input.values = vec![0; 784];
    assert_rejected(
        &verify_bytes(&key, &b.to_bytes()),
        "values for a hashed input",
    );
}

#[test]
fn proof_against_another_models_key_is_rejected() {
    let f = fixtures_or_skip!();
    let other = load_key(&f.other_key).unwrap();
    let out = verify_bytes(&other, &f.proof);
    assert_rejected(&out, "other model's key");
    assert_eq!(out.model_id, other.model_id);
    // Even if the bundle lies about which model it is for, the SNARK (or the shape check) fails.
    let mut b = bundle(&f);
    b.header.model_id = other.model_id.clone();
    assert_rejected(
        &verify_bytes(&other, &b.to_bytes()),
        "other model's key, relabelled bundle",
    );
    // ... and with the scales relabelled too, so that only the SNARK can tell.
    b.header.input.frac_bits = other.header.input.frac_bits;
    b.header.output.frac_bits = other.header.output.frac_bits;
    let out = verify_bytes(&other, &b.to_bytes());
    assert_rejected(&out, "other model's key, relabelled bundle and scales");
    let reason = out.reason.unwrap();
    assert!(
        reason.contains("does not verify") || reason.contains("proof bytes are malformed"),
        "{reason}"
    );
}

#[test]
fn malformed_keys_are_errors() {
    let f = fixtures_or_skip!();
    for bad in [
        &b""[..],
        b"not a key",
        b"ZKINF-VK",
        b"ZKINF-PF\x01\x00\x00\x00",
    ] {
        assert!(load_key(bad).is_err());
    }
    // A bundle is not a key.
    assert!(load_key(&f.proof).unwrap_err().contains("verifier key"));
    // Every truncation fails cleanly.
    for n in 0..f.key.len() {
        let e = load_key(&f.key[..n]).expect_err("truncated key accepted");
        assert!(!e.is_empty());
    }
    let mut longer = f.key.clone();
    longer.push(0);
    assert!(load_key(&longer).is_err());
}

#[test]
fn corrupted_keys_never_panic() {
    let f = fixtures_or_skip!();
    // Flip bytes across the whole key (header, KZG points, halo2 key). Each result must be an
    // error or a key with a different model id; a panic would be a trap in the browser.
    let step = 13;
    for i in (0..f.key.len()).step_by(step) {
        let mut k = f.key.clone();
        k[i] ^= 0x01;
        let r = catch_unwind(AssertUnwindSafe(|| load_key(&k)));
        match r {
            Err(_) => panic!("load_key panicked on a key with byte {i} flipped"),
            Ok(Ok(key)) => assert_ne!(key.model_id, zkinfer_core::verifier_key::model_id(&f.key)),
            Ok(Err(_)) => {}
        }
    }
}

#[test]
fn truncated_or_padded_bundles_are_rejected() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    for n in 0..f.proof.len() {
        let bytes = &f.proof[..n];
        assert!(
            inspect_bundle_bytes(bytes).is_err(),
            "truncated bundle ({n} bytes) parsed"
        );
        assert_rejected(&verify_bytes(&key, bytes), "truncated bundle");
    }
    let mut padded = f.proof.clone();
    padded.push(0);
    assert_rejected(&verify_bytes(&key, &padded), "padded bundle");
    // Extra bytes appended to the proof itself (inside its section).
    let mut b = bundle(&f);
    b.proof.extend_from_slice(&[0u8; 32]);
    assert_rejected(
        &verify_bytes(&key, &b.to_bytes()),
        "proof with trailing bytes",
    );
    assert_rejected(&verify_bytes(&key, &f.key), "a key passed as a bundle");
}

#[test]
fn corrupted_bundles_are_rejected_without_panicking() {
    let f = fixtures_or_skip!();
    let key = load_key(&f.key).unwrap();
    // Every byte of the framing and JSON header, then a sample of the proof bytes.
    let header_end = f.proof.len() - bundle(&f).proof.len();
    let positions: Vec<usize> = (0..header_end)
        .step_by(7)
        .chain((header_end..f.proof.len()).step_by(41))
        .collect();
    for i in positions {
        let mut bytes = f.proof.clone();
        bytes[i] ^= 0x01;
        let out = catch_unwind(AssertUnwindSafe(|| verify_bytes(&key, &bytes)))
            .unwrap_or_else(|_| panic!("verify panicked on a bundle with byte {i} flipped"));
        assert_rejected(&out, &format!("bundle with byte {i} flipped"));
    }
}

#[test]
fn inspect_reports_the_bundle_header() {
    let f = fixtures_or_skip!();
    let b = bundle(&f);
    let info = inspect_bundle_bytes(&f.proof).unwrap();
    assert_eq!(info.model_id, b.header.model_id);
    assert_eq!(info.model_id, zkinfer_core::verifier_key::model_id(&f.key));
    assert_eq!(info.proof_system, zkinfer_core::bundle::PROOF_SYSTEM);
    assert_eq!(info.input.shape, b.header.input.shape);
    assert_eq!(info.output.shape, b.header.output.shape);
    assert_eq!(info.output.values, b.header.output.values);
    assert_eq!(info.output.dequantized, b.header.output.dequantized());
    assert_eq!(info.proof_bytes, b.proof.len());
    assert_eq!(info.segments, 1);
    assert!(inspect_bundle_bytes(b"garbage")
        .unwrap_err()
        .contains("proof bundle"));
}

/// The chain fixtures (the MNIST model cut into two segments), or None with a message.
fn chain_fixtures() -> Option<(Vec<u8>, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures");
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let found = read("chain-key").zip(read("chain-digit_7.proof"));
    if found.is_none() {
        skip_missing_fixtures(&dir);
    }
    found
}

#[test]
fn chain_key_verifies_its_chain_bundle_and_rejects_tampering() {
    let Some((key_bytes, proof)) = chain_fixtures() else {
        return;
    };
    let key = TrustedKey::load(&key_bytes).expect("chain key loads");
    let info = key.info();
    assert_eq!(info.segments, 2);
    assert_eq!(info.model_id, key.id());
    assert_eq!(info.input.shape.iter().product::<usize>(), 784);
    assert_eq!(info.output.shape.iter().product::<usize>(), 10);
    assert_eq!(info.visibility.input, "packed");
    assert_eq!(info.visibility.output, "public");

    let ok = key.verify(&proof);
    assert!(ok.valid, "{:?}", ok.reason);
    assert_eq!(ok.predicted_class, Some(7));
    assert_eq!(
        ok.input.len(),
        784,
        "the chain's public input is the first segment's"
    );

    // What a page reads before verifying: the chain id, the first segment's input, the last
    // segment's output, every segment's proof bytes.
    let chain = ChainBundle::from_bytes(&proof).unwrap();
    let seen = inspect_bundle_bytes(&proof).unwrap();
    assert_eq!((seen.segments, seen.model_id.as_str()), (2, key.id()));
    assert_eq!(seen.input.values, chain.bundles[0].header.input.values);
    assert_eq!(seen.output.values, chain.bundles[1].header.output.values);
    let proofs: usize = chain.bundles.iter().map(|b| b.proof.len()).sum();
    assert_eq!(seen.proof_bytes, proofs);
    // A chain bundle with no segment, or cut short, is an error, not a panic.
    let empty = ChainBundle {
        chain_id: chain.chain_id.clone(),
        bundles: vec![],
    };
    assert!(inspect_bundle_bytes(&empty.to_bytes()).is_err());
    for cut in [8, 40, proof.len() - 1] {
        assert!(inspect_bundle_bytes(&proof[..cut]).is_err());
    }

    // A changed value of the packed public input.
    let mut b = chain.clone();
    b.bundles[0].header.input.values[400] += 1;
    let out = key.verify(&b.to_bytes());
    assert!(!out.valid);
    assert!(out.reason.unwrap().contains("segment 0"));
    // A flipped byte anywhere in either segment's proof.
    for segment in 0..2 {
        let mut b = chain.clone();
        let p = &mut b.bundles[segment].proof;
        let mid = p.len() / 2;
        p[mid] ^= 1;
        let out = key.verify(&b.to_bytes());
        assert!(!out.valid);
        assert!(out.reason.unwrap().contains(&format!("segment {segment}")));
    }
    // Both segments carry the same link commitment (column 0 of each: the first's output,
    // the second's input). Replaced in either by another valid point of the same proof, the
    // proof no longer verifies.
    let (p0, p1) = (&chain.bundles[0].proof, &chain.bundles[1].proof);
    assert_eq!(p0[..32], p1[..32]);
    for segment in 0..2 {
        let mut b = chain.clone();
        let p = &mut b.bundles[segment].proof;
        let other: Vec<u8> = p[32..64].to_vec();
        p[..32].copy_from_slice(&other);
        assert!(!key.verify(&b.to_bytes()).valid);
    }
    // Segments swapped, one dropped, another chain's id, garbage: invalid with a reason.
    let mut b = chain.clone();
    b.bundles.swap(0, 1);
    assert!(!key.verify(&b.to_bytes()).valid);
    let mut b = chain.clone();
    b.bundles.pop();
    assert!(!key.verify(&b.to_bytes()).valid);
    let mut b = chain.clone();
    b.chain_id = "00".repeat(32);
    let out = key.verify(&b.to_bytes());
    assert!(out.reason.unwrap().contains("chain"));
    for cut in [0, 8, 20, proof.len() / 2, proof.len() - 1] {
        assert!(!key.verify(&proof[..cut]).valid);
    }
    // A single model's bundle against the chain key, and the chain bundle against a segment key.
    let segment = ChainKey::from_bytes(&key_bytes).unwrap().keys[0].clone();
    assert!(!verify_bytes(&segment, &proof).valid);
    // A segment's own proof against its key alone: refused (its link cells would be free).
    let chain_bundle = ChainBundle::from_bytes(&proof).unwrap();
    let alone = verify_bytes(&segment, &chain_bundle.bundles[0].to_bytes());
    assert!(!alone.valid);
    assert!(alone.reason.unwrap().contains("segment of a chain"));
    assert!(!key.verify(&chain.bundles[0].to_bytes()).valid);
    // Malformed chain keys are errors, not panics.
    for cut in [8, 12, 40, key_bytes.len() - 1] {
        assert!(TrustedKey::load(&key_bytes[..cut]).is_err());
    }
}
