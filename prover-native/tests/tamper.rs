//! `zkinfer serve --tamper-for-tests`: each mode really serves a lie, and each lie is caught by a
//! client that pins the model id: the bundle fails native verification against the pinned key
//! or, for `prediction`, the valid proof contradicts the answer given at once. The browser test
//! relies on these modes to show the page refusing lies; if a mode silently became honest (a
//! no-op), the page would pass for the wrong reason, so this test also shows each forged bundle
//! is one edit away from a valid proof (the tampering is the only thing wrong with it).

mod common;

use common::{compile_mnist, digit, Resp, Server};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use zkinfer_core::bundle::ProofBundle;
use zkinfer_core::prove::ModelDir;
use zkinfer_core::verifier_key::model_id;
use zkinfer_core::VerifierKey;

struct Model {
    id: String,
    key: VerifierKey,
}

fn load(dir: &Path) -> Model {
    let bytes = std::fs::read(dir.join("verifier-key")).unwrap();
    Model {
        id: model_id(&bytes),
        key: VerifierKey::from_bytes(&bytes).unwrap(),
    }
}

/// The honest integer output of `dir`'s model for a bundled digit.
fn honest_output(dir: &Path, d: u8) -> Vec<i64> {
    let compiled = ModelDir::new(dir).compiled().unwrap();
    let text = String::from_utf8(digit(d)).unwrap();
    let x = zkinfer_core::input::parse_single(&text, 784).unwrap();
    let (_, values) = compiled.witness(&x).unwrap();
    values[compiled.graph.output].clone()
}

fn argmax(v: &[i64]) -> usize {
    zkinfer_core::tensor::argmax(&v.iter().map(|&x| x as f64).collect::<Vec<_>>())
}

/// Predicts `d` with model `id` and waits for the served bundle.
fn predict_and_fetch(srv: &Server, id: &str, d: u8) -> (Value, ProofBundle, Vec<u8>) {
    let p = srv.post(&format!("/api/models/{id}/predict"), &digit(d));
    assert_eq!(p.status, 200, "{}", String::from_utf8_lossy(&p.body));
    let p = p.json();
    let r: Resp = srv.wait_proof(p["receipt"].as_str().unwrap());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let bundle = ProofBundle::from_bytes(&r.body).expect("the served bundle parses");
    (p, bundle, r.body)
}

fn served_key(srv: &Server, id: &str) -> Vec<u8> {
    let r = srv.get(&format!("/api/models/{id}/verifier-key"));
    assert_eq!(r.status, 200);
    r.body
}

fn rejection(key: &VerifierKey, bytes: &[u8]) -> String {
    match zkinfer_core::verify(key, bytes) {
        Ok(v) => panic!("a tampered bundle verified: {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn log_text(srv: &Server) -> String {
    std::fs::read_to_string(&srv.log).unwrap_or_default()
}

#[test]
fn tamper_modes_serve_lies_that_fail_verification() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    compile_mnist(&dir_a, None);
    compile_mnist(&dir_b, Some(20));
    let (a, b) = (load(&dir_a), load(&dir_b));
    assert_ne!(a.id, b.id, "the two compilations must be different models");
    let zkinfer = env!("CARGO_BIN_EXE_zkinfer");

    // --help says what it is; bad uses are refused before serving anything.
    let o = Command::new(zkinfer)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for s in [
        "--tamper-for-tests",
        "DANGEROUS, FOR TESTS ONLY",
        "other-model-relabelled",
        "other-model-key",
    ] {
        assert!(help.contains(s), "serve --help lacks {s:?}:\n{help}");
    }
    let o = Command::new(zkinfer)
        .arg("serve")
        .arg(&dir_a)
        .args(["--addr", "127.0.0.1:0", "--tamper-for-tests", "other-model"])
        .arg("--data-dir")
        .arg(tmp.path().join("refused"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("needs at least two served models"), "{e}");
    let o = Command::new(zkinfer)
        .arg("serve")
        .arg(&dir_a)
        .args(["--tamper-for-tests", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "an unknown mode is a usage error");

    // output: the claimed output (in the prediction and the bundle) is not the model's, and the
    // proof does not verify; with the honest output put back, the very same proof does.
    let srv = Server::start(
        &dir_a,
        &tmp.path().join("data-output"),
        tmp.path().join("output.log"),
        &["--tamper-for-tests", "output"],
    );
    assert!(log_text(&srv).contains("DANGER: --tamper-for-tests output"));
    assert_eq!(model_id(&served_key(&srv, &a.id)), a.id);
    let honest = honest_output(&dir_a, 3);
    assert_eq!(argmax(&honest), 3);
    let (p, mut bundle, bytes) = predict_and_fetch(&srv, &a.id, 3);
    assert_eq!(bundle.header.model_id, a.id);
    let lie = bundle.header.output.values.clone();
    assert_ne!(lie, honest);
    assert_eq!(
        p["predicted_class"].as_u64().unwrap() as usize,
        argmax(&lie)
    );
    assert_ne!(argmax(&lie), 3, "the lie must change the predicted class");
    let claimed: Vec<f64> = serde_json::from_value(p["output"].clone()).unwrap();
    assert_eq!(
        claimed,
        bundle.header.output.dequantized(),
        "the prediction tells the same lie"
    );
    let e = rejection(&a.key, &bytes);
    assert!(e.contains("does not verify"), "{e}");
    bundle.header.output.values = honest;
    zkinfer_core::verify(&a.key, &bundle.to_bytes()).expect("the untampered proof verifies");
    srv.kill();

    // prediction: the answer given at once is not the model's; the proof is honest and says so.
    let srv = Server::start(
        &dir_a,
        &tmp.path().join("data-prediction"),
        tmp.path().join("prediction.log"),
        &["--tamper-for-tests", "prediction"],
    );
    assert!(log_text(&srv).contains("DANGER: --tamper-for-tests prediction"));
    let (p, _, bytes) = predict_and_fetch(&srv, &a.id, 3);
    let v = zkinfer_core::verify(&a.key, &bytes).expect("the proof itself is honest");
    assert_eq!(v.predicted_class, Some(3));
    assert_ne!(
        p["predicted_class"].as_u64().unwrap() as usize,
        v.predicted_class.unwrap(),
        "the answer given at once contradicts the proof"
    );
    srv.kill();

    // The other-model modes, each serving A and B and asked about A.
    let start = |mode: &str| {
        let srv = Server::start_many(
            &[&dir_a, &dir_b],
            &tmp.path().join(format!("data-{mode}")),
            tmp.path().join(format!("{mode}.log")),
            &["--tamper-for-tests", mode],
        );
        assert!(log_text(&srv).contains(&format!("DANGER: --tamper-for-tests {mode}")));
        srv
    };

    // other-model: B's proof, named as B's.
    let srv = start("other-model");
    assert_eq!(model_id(&served_key(&srv, &a.id)), a.id);
    let (p, bundle, bytes) = predict_and_fetch(&srv, &a.id, 5);
    assert_eq!(bundle.header.model_id, b.id);
    let e = rejection(&a.key, &bytes);
    assert!(
        e.contains(&format!("the proof is for model {}", b.id)),
        "{e}"
    );
    let v = zkinfer_core::verify(&b.key, &bytes).expect("it is a genuine proof for model B");
    assert_eq!(
        v.predicted_class.unwrap() as u64,
        p["predicted_class"].as_u64().unwrap()
    );
    srv.kill();

    // other-model-relabelled: B's proof claiming to be A's; only the SNARK can tell.
    let srv = start("other-model-relabelled");
    let (_, mut bundle, bytes) = predict_and_fetch(&srv, &a.id, 5);
    assert_eq!(bundle.header.model_id, a.id);
    // Same network, same scales: nothing in the header gives it away.
    assert_eq!(bundle.header.input.frac_bits, a.key.header.input.frac_bits);
    assert_eq!(
        bundle.header.output.frac_bits,
        a.key.header.output.frac_bits
    );
    // B's proof read with A's key: which check fails first depends on the proof's random bytes
    // (a scalar of B's read where A's key expects a point decompresses about half the time;
    // if all do, A's reading ends before B's proof does). Every one is the proof's own.
    let e = rejection(&a.key, &bytes);
    assert!(
        e.contains("proof does not verify")
            || e.contains("proof bytes are malformed")
            || e.contains("bytes follow the proof"),
        "the header matches, so the rejection must come from the proof: {e}"
    );
    bundle.header.model_id = b.id.clone();
    zkinfer_core::verify(&b.key, &bundle.to_bytes()).expect("relabelled back, it verifies for B");
    srv.kill();

    // other-model-key: B's key served as A's, with B's proof; it verifies against the served key,
    // so only the pin (the key's SHA-256 must be A's id) refuses it.
    let srv = start("other-model-key");
    let key = served_key(&srv, &a.id);
    assert_eq!(model_id(&key), b.id, "B's key is served for A");
    let (_, _, bytes) = predict_and_fetch(&srv, &a.id, 5);
    let served = VerifierKey::from_bytes(&key).unwrap();
    zkinfer_core::verify(&served, &bytes).expect("it verifies against the key the server chose");
    assert!(rejection(&a.key, &bytes).contains("is for model"));
    let (key_file, proof_file) = (tmp.path().join("served-key"), tmp.path().join("b.proof"));
    std::fs::write(&key_file, &key).unwrap();
    std::fs::write(&proof_file, &bytes).unwrap();
    let o = Command::new(zkinfer)
        .arg("verify")
        .args([&key_file, &proof_file])
        .args(["--model-id", &a.id])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not the pinned model"));
    srv.kill();
}
