//! Browser tests of the JS-facing API, run by
//!     scripts/make-wasm-fixtures.sh && wasm-pack test --headless --chrome verifier-wasm
//! The fixtures are embedded with include_bytes!: without them this file is compiled out
//! (build.rs) and tests/fixtures_present.rs fails, naming the script (native `cargo test` skips
//! it: it is wasm32-only).
// The threaded build has its own tests (threads.rs, in a worker); these are the single build's.
#![cfg(all(
    target_arch = "wasm32",
    not(feature = "threads"),
    zkinfer_wasm_fixtures
))]

mod common;

use common::{
    assert_hashed_input_and_commitment, assert_rejected, bundle, digit_7, digit_7_salt, get,
    now_ms, numbers, CHAIN_KEY, CHAIN_PROOF, GPT_INPUT, GPT_KEY, GPT_PROOF, KEY, OTHER_KEY, PROOF,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use zkinfer_core::ProofBundle;
use zkinfer_verifier::{inspect_bundle, Verifier};

wasm_bindgen_test_configure!(run_in_browser);

fn verifier() -> Verifier {
    Verifier::new(KEY).unwrap_or_else(|_| panic!("fixture key rejected"))
}

#[wasm_bindgen_test]
fn valid_proof_verifies() {
    let t0 = now_ms();
    let v = verifier();
    let t1 = now_ms();
    let result = v.verify(PROOF);
    let t2 = now_ms();
    // A second verification with the same Verifier (the per-proof cost a page pays).
    let again = v.verify(PROOF);
    let t3 = now_ms();
    console_log!(
        "zkinfer-verifier timing: key load {:.0} ms, first verify {:.0} ms, second verify {:.0} ms",
        t1 - t0,
        t2 - t1,
        t3 - t2
    );

    assert_eq!(
        get(&result, "valid").as_bool(),
        Some(true),
        "rejected: {:?}",
        get(&result, "reason").as_string()
    );
    assert!(get(&result, "reason").is_null());
    assert_eq!(get(&again, "valid").as_bool(), Some(true));
    assert_eq!(get(&result, "modelId").as_string(), Some(v.model_id()));

    let b = bundle();
    let raw: Vec<i64> = numbers(&get(&result, "outputRaw"))
        .iter()
        .map(|&x| x as i64)
        .collect();
    assert_eq!(
        raw, b.header.output.values,
        "outputRaw differs from the bundle's output"
    );
    assert_eq!(
        numbers(&get(&result, "output")),
        b.header.output.dequantized()
    );
    assert_hashed_input_and_commitment(&v, &result);
    let shape: Vec<usize> = numbers(&get(&result, "outputShape"))
        .iter()
        .map(|&x| x as usize)
        .collect();
    assert_eq!(shape, b.header.output.shape);
    assert_eq!(get(&result, "predictedClass").as_f64(), Some(7.0));
    let label = get(&result, "predictedLabel");
    assert!(label.is_null() || label.is_string());
}

#[wasm_bindgen_test]
fn key_getters_and_header() {
    let v = verifier();
    assert_eq!(v.model_id().len(), 64);
    assert_eq!(v.model_id(), bundle().header.model_id);
    assert!(!v.model_name().is_empty());
    assert!(v.k() >= 1);
    let h = v.header().unwrap_or_else(|_| panic!("header() threw"));
    assert_eq!(get(&h, "modelId").as_string(), Some(v.model_id()));
    assert_eq!(get(&h, "modelName").as_string(), Some(v.model_name()));
    assert_eq!(get(&h, "k").as_f64(), Some(v.k() as f64));
    let input_shape = numbers(&get(&get(&h, "input"), "shape"));
    assert_eq!(input_shape.iter().product::<f64>(), 784.0);
    assert!(get(&get(&h, "output"), "fracBits").as_f64().is_some());
    let labels = get(&h, "labels");
    assert!(labels.is_null() || js_sys::Array::is_array(&labels));
    assert!(get(&h, "srs").is_string());
}

#[wasm_bindgen_test]
fn tampered_proof_byte_is_rejected() {
    let v = verifier();
    let mut b = bundle();
    let mid = b.proof.len() / 2;
    b.proof[mid] ^= 0x01;
    assert_rejected(&v.verify(&b.to_bytes()), "tampered proof byte");
}

#[wasm_bindgen_test]
fn changed_output_value_is_rejected() {
    let v = verifier();
    let mut b = bundle();
    let top = b.header.output.values.iter().copied().max().unwrap_or(0);
    b.header.output.values[8] = top + 1; // claim the digit is an 8
    assert_rejected(&v.verify(&b.to_bytes()), "changed output value");
}

#[wasm_bindgen_test]
fn changed_input_hash_or_commitment_is_rejected() {
    let v = verifier();
    // The proof reused for another input: that input's hash.
    let mut other = digit_7();
    other[300] = 1.0 - other[300];
    let mut b = bundle();
    b.header.input_hash = Some(
        v.input_hash(&other, Some(digit_7_salt()))
            .unwrap_or_else(|_| panic!("inputHash threw")),
    );
    assert_rejected(&v.verify(&b.to_bytes()), "another input's hash");
    // The hash is salted: without the salt inputHash throws, and another salt is another hash
    // (so no one without the consumer's salt can test a guessed input against the proof).
    assert!(v.input_hash(&digit_7(), None).is_err());
    let salt = digit_7_salt();
    let flipped = if salt.ends_with('0') { "1" } else { "0" };
    let other_salt = format!("{}{flipped}", &salt[..salt.len() - 1]);
    let with_other_salt = v
        .input_hash(&digit_7(), Some(other_salt))
        .unwrap_or_else(|_| panic!("inputHash threw"));
    assert_ne!(Some(with_other_salt), bundle().header.input_hash);
    // Another model commitment (the same architecture with other weights).
    let mut b = bundle();
    let c = b.header.model_commitment.clone().unwrap();
    let last = if c.ends_with('0') { "1" } else { "0" };
    b.header.model_commitment = Some(format!("{}{last}", &c[..c.len() - 1]));
    assert_rejected(&v.verify(&b.to_bytes()), "another model commitment");
    // Input values next to a hashed input.
    let mut b = bundle();
    b.header.input.values = vec![0; 784];
    assert_rejected(&v.verify(&b.to_bytes()), "input values for a hashed input");
    // inputHash refuses an input of the wrong size.
    assert!(v.input_hash(&[0.5; 3], Some(digit_7_salt())).is_err());
}

#[wasm_bindgen_test]
fn proof_against_other_models_key_is_rejected() {
    let other = Verifier::new(OTHER_KEY).unwrap_or_else(|_| panic!("other key rejected"));
    assert_ne!(other.model_id(), verifier().model_id());
    let result = other.verify(PROOF);
    assert_rejected(&result, "other model's key");
    assert_eq!(get(&result, "modelId").as_string(), Some(other.model_id()));
    // A bundle relabelled with the other model's id still fails.
    let mut b = bundle();
    b.header.model_id = other.model_id();
    assert_rejected(
        &other.verify(&b.to_bytes()),
        "other model's key, relabelled bundle",
    );
    // ... and with the scales relabelled too, so that only the SNARK can tell.
    let h = other.header().unwrap_or_else(|_| panic!("header() threw"));
    let frac = |t: &str| get(&get(&h, t), "fracBits").as_f64().expect("fracBits") as i32;
    b.header.input.frac_bits = frac("input");
    b.header.output.frac_bits = frac("output");
    let reason = assert_rejected(
        &other.verify(&b.to_bytes()),
        "other model's key, relabelled bundle and scales",
    );
    // The SNARK check itself rejects it (the other circuit reads the proof differently, so the
    // failure may surface while decoding the transcript).
    assert!(
        reason.contains("does not verify") || reason.contains("proof bytes are malformed"),
        "{reason}"
    );
}

#[wasm_bindgen_test]
fn malformed_key_is_an_error_not_a_trap() {
    for bad in [
        &b""[..],
        b"garbage",
        &KEY[..KEY.len() / 2],
        &KEY[..KEY.len() - 1],
        PROOF,
    ] {
        let err = match Verifier::new(bad) {
            Ok(_) => panic!("malformed key accepted"),
            Err(e) => JsValue::from(e),
        };
        let msg = get(&err, "message").as_string().unwrap_or_default();
        assert!(msg.contains("verifier key"), "unexpected message: {msg}");
    }
    // The module is still usable after the errors.
    assert_eq!(
        get(&verifier().verify(PROOF), "valid").as_bool(),
        Some(true)
    );
}

#[wasm_bindgen_test]
fn truncated_bundle_is_rejected_not_a_trap() {
    let v = verifier();
    for n in [0, 7, 12, 100, PROOF.len() / 2, PROOF.len() - 1] {
        assert_rejected(
            &v.verify(&PROOF[..n]),
            &format!("bundle truncated to {n} bytes"),
        );
        let err = match inspect_bundle(&PROOF[..n]) {
            Ok(_) => panic!("inspectBundle accepted a truncated bundle"),
            Err(e) => JsValue::from(e),
        };
        assert!(get(&err, "message")
            .as_string()
            .unwrap_or_default()
            .contains("proof bundle"));
    }
    assert_rejected(&v.verify(b"definitely not a bundle"), "garbage bundle");
    assert_rejected(&v.verify(KEY), "a key passed as a bundle");
    assert_eq!(get(&v.verify(PROOF), "valid").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn inspect_bundle_reports_the_header() {
    let info = inspect_bundle(PROOF).unwrap_or_else(|_| panic!("inspectBundle threw"));
    let b = bundle();
    assert_eq!(
        get(&info, "modelId").as_string(),
        Some(b.header.model_id.clone())
    );
    assert_eq!(
        get(&info, "proofSystem").as_string(),
        Some(b.header.proof_system.clone())
    );
    let shape: Vec<usize> = numbers(&get(&get(&info, "input"), "shape"))
        .iter()
        .map(|&x| x as usize)
        .collect();
    assert_eq!(shape, b.header.input.shape);
    let values: Vec<i64> = numbers(&get(&get(&info, "output"), "values"))
        .iter()
        .map(|&x| x as i64)
        .collect();
    assert_eq!(values, b.header.output.values);
    assert_eq!(
        get(&info, "proofBytes").as_f64(),
        Some(b.proof.len() as f64)
    );
}

/// A model proven as a chain of two segments verifies in the browser through the same
/// `Verifier`, with every link checked; a changed byte in either segment is rejected.
#[wasm_bindgen_test]
fn chain_bundle_verifies_and_a_tampered_segment_is_rejected() {
    let t0 = now_ms();
    let v = Verifier::new(CHAIN_KEY).unwrap_or_else(|_| panic!("chain key rejected"));
    let t1 = now_ms();
    let result = v.verify(CHAIN_PROOF);
    let t2 = now_ms();
    console_log!(
        "zkinfer-verifier chain timing: key load {:.0} ms, verify (2 segments) {:.0} ms",
        t1 - t0,
        t2 - t1
    );
    assert_eq!(
        get(&result, "valid").as_bool(),
        Some(true),
        "{:?}",
        get(&result, "reason")
    );
    assert_eq!(get(&result, "predictedClass").as_f64(), Some(7.0));
    let h = v.header().unwrap_or_else(|_| panic!("header() threw"));
    assert_eq!(get(&h, "segments").as_f64(), Some(2.0));
    let chain = zkinfer_core::chain::ChainBundle::from_bytes(CHAIN_PROOF).unwrap();
    for segment in 0..2 {
        let mut b = chain.clone();
        let p = &mut b.bundles[segment].proof;
        let mid = p.len() / 2;
        p[mid] ^= 1;
        let reason = assert_rejected(&v.verify(&b.to_bytes()), "tampered segment");
        assert!(reason.contains(&format!("segment {segment}")), "{reason}");
    }
}

/// The verifier compiled to WebAssembly quantizes a consumer's input exactly as the native
/// prover does, for every input type (uint8, int8 with zero points 0 and -128, power-of-two
/// float): the known answers the core tests hold the prover to. This is the quantization
/// `inputHash` and the page's input check run on.
#[wasm_bindgen_test]
fn webassembly_quantizes_every_input_type_to_the_provers_known_answers() {
    use zkinfer_core::verifier_key::TensorSpec;
    for case in zkinfer_core::input_vectors::input_cases() {
        let spec = TensorSpec {
            shape: vec![1, case.values.len()],
            frac_bits: case.frac_bits,
            affine: case.affine,
        };
        let x: Vec<f32> = case.values.iter().map(|v| v.0).collect();
        let expected: Vec<i64> = case.values.iter().map(|v| v.1).collect();
        assert_eq!(
            spec.quantize(&x, case.act_bits).unwrap(),
            expected,
            "{}",
            case.name
        );
    }
}

/// A rehearsal runs a whole verification on a made-up proof and changes nothing: the real proof
/// still verifies afterwards, a tampered one is still rejected, and a chain key rehearses too.
#[wasm_bindgen_test]
fn a_rehearsal_leaves_the_verifier_as_it_was() {
    let v = verifier();
    v.rehearse();
    assert_eq!(get(&v.verify(PROOF), "valid").as_bool(), Some(true));
    let mut bad = PROOF.to_vec();
    let at = bad.len() - 40;
    bad[at] ^= 1;
    assert_rejected(&v.verify(&bad), "a tampered proof after a rehearsal");
    let chain = Verifier::new(CHAIN_KEY).unwrap_or_else(|_| panic!("chain key rejected"));
    chain.rehearse();
    assert_eq!(
        get(&chain.verify(CHAIN_PROOF), "valid").as_bool(),
        Some(true)
    );
}

#[wasm_bindgen_test]
fn a_transformer_proof_verifies_for_its_token_ids_and_tampering_is_rejected() {
    let v = Verifier::new(GPT_KEY).unwrap_or_else(|_| panic!("transformer key rejected"));
    let t0 = now_ms();
    let result = v.verify(GPT_PROOF);
    console_log!(
        "zkinfer-verifier timing: transformer verify {:.0} ms",
        now_ms() - t0
    );
    assert_eq!(
        get(&result, "valid").as_bool(),
        Some(true),
        "rejected: {:?}",
        get(&result, "reason").as_string()
    );
    let input = js_sys::JSON::parse(GPT_INPUT).expect("gpt.input.json parses");
    let ids: Vec<f32> = numbers(&js_sys::Array::from(&get(&input, "input_data")).get(0))
        .iter()
        .map(|&x| x as f32)
        .collect();
    let salt = get(&input, "input_salt")
        .as_string()
        .expect("an input_salt");
    // The key binds the whole tokenizer: these rules, and its labels as the vocabulary.
    let header = v.header().unwrap_or_else(|_| panic!("header threw"));
    let text = get(&header, "text");
    assert_eq!(get(&text, "context").as_f64(), Some(ids.len() as f64));
    assert_eq!(get(&text, "lowercase").as_bool(), Some(true));
    assert_eq!(
        get(&text, "pad").as_f64(),
        Some(0.0),
        "the padding token is the space"
    );
    let b = ProofBundle::from_bytes(GPT_PROOF).expect("the fixture parses");
    let hash = v
        .input_hash(&ids, Some(salt.clone()))
        .unwrap_or_else(|_| panic!("inputHash threw"));
    assert_eq!(
        Some(hash),
        b.header.input_hash,
        "the proof is for these ids"
    );
    // The bundled character-level GPT: the key names its outputs with its vocabulary, so the
    // proven next token comes with its character.
    let next = get(&result, "predictedLabel").as_string();
    assert_eq!(
        next.as_deref().map(|c| c.chars().count()),
        Some(1),
        "the proven next character: {next:?}"
    );
    let mut other = ids.clone();
    other[7] += 1.0;
    let other_hash = v
        .input_hash(&other, Some(salt))
        .unwrap_or_else(|_| panic!("inputHash threw"));
    assert_ne!(Some(other_hash), b.header.input_hash, "another sequence");
    let mut tampered = b.clone();
    let middle = tampered.proof.len() / 2;
    tampered.proof[middle] ^= 1;
    assert_rejected(
        &v.verify(&tampered.to_bytes()),
        "tampered transformer proof",
    );
    let mut tampered = b;
    tampered.header.output.values[0] += 1;
    assert_rejected(&v.verify(&tampered.to_bytes()), "changed logit");
}
