//! Every committed input of every fuzz target (the seed corpora in fuzz/corpus/<target>/ and
//! the fixed crashes in fuzz/regressions/<target>/) replayed through the code the target runs
//! (`zkinfer_core::fuzz_targets`), on every `cargo test`: no second build with nightly and
//! sanitizers, and a regression that panics again fails here. The coverage-guided search for
//! new inputs is `fuzz/run-all.sh` (fuzz/README.md).

use std::path::PathBuf;
use zkinfer_core::fuzz_targets;

/// Every file under fuzz/{corpus,regressions}/<target>/, sorted, with its path.
fn committed_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for kind in ["corpus", "regressions"] {
        let dir = fuzz.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no committed inputs for fuzz target {target}"
    );
    out
}

/// Runs `run` on every committed input of `target`, naming the input that panics.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let inputs = committed_inputs(target);
    for (name, bytes) in &inputs {
        if std::panic::catch_unwind(|| run(bytes)).is_err() {
            panic!("fuzz target {target} panics on {name}");
        }
    }
    inputs.len()
}

#[test]
fn every_committed_bundle_input_parses_or_errs() {
    replay("bundle", fuzz_targets::bundle);
}

#[test]
fn every_committed_verifier_key_input_parses_or_errs() {
    replay("verifier_key", fuzz_targets::verifier_key);
}

#[test]
fn every_committed_verify_input_verifies_or_errs() {
    replay("verify", fuzz_targets::verify);
}

#[test]
fn every_committed_onnx_input_loads_or_errs() {
    replay("onnx", fuzz_targets::onnx);
}

#[test]
fn every_committed_tflite_input_parses_and_lowers_or_errs() {
    replay("tflite", fuzz_targets::tflite);
}

#[test]
fn every_committed_input_json_input_parses_or_errs() {
    replay("input_json", fuzz_targets::input_json);
}

#[test]
fn every_committed_setup_file_input_is_read_and_checked_or_errs() {
    replay("setup_file", fuzz_targets::setup_file);
}

/// The replay must run what the fuzzers run: every target has a replay above.
#[test]
fn every_fuzz_target_is_replayed() {
    let targets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    let source = include_str!("fuzz_corpora.rs");
    for e in std::fs::read_dir(&targets).unwrap() {
        let name = e.unwrap().path();
        let stem = name.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            source.contains(&format!("replay(\"{stem}\", fuzz_targets::{stem})")),
            "fuzz target {stem} has no replay in core/tests/fuzz_corpora.rs"
        );
    }
}

/// The `verify` seed `key_digit_7_halo2_lookups` (a key and its bundle, `u16le(n) ‖ key ‖
/// bundle`) was compiled and proven (2026-12-02) before compiles switched to the log-derivative
/// lookup argument: a key keeps the argument it was made with (its shape has no
/// `log_derivative_lookups` flag, so its pinned constraint system is halo2's own), and its
/// proofs keep verifying. The seeds `key_digit_7` and `bundle/digit_7.proof` are of today's
/// format.
#[test]
fn a_key_and_proof_made_before_the_log_derivative_argument_still_verify() {
    let (key, today) = earlier_seed_verifies("key_digit_7_halo2_lookups");
    assert!(!key.header.shape.log_derivative_lookups);
    assert!(today.header.shape.log_derivative_lookups);
}

/// The `verify` seed `name` (a key and its bundle, `u16le(n) ‖ key ‖ bundle`) made before
/// today's format: its proof verifies under its key, not under today's key (the `verifier_key`
/// seed), and not once a byte of it is flipped. Returns its key and today's.
fn earlier_seed_verifies(name: &str) -> (zkinfer_core::VerifierKey, zkinfer_core::VerifierKey) {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let seed = std::fs::read(fuzz.join("verify").join(name)).unwrap();
    let n = u16::from_le_bytes([seed[0], seed[1]]) as usize;
    let (key_bytes, bundle) = seed[2..].split_at(n);
    let key = zkinfer_core::VerifierKey::from_bytes(key_bytes).unwrap();
    zkinfer_core::verify(&key, bundle).expect("the earlier proof verifies");
    let today = std::fs::read(fuzz.join("verifier_key/verifier-key")).unwrap();
    let today = zkinfer_core::VerifierKey::from_bytes(&today).unwrap();
    assert!(zkinfer_core::verify(&today, bundle).is_err());
    let mut tampered = bundle.to_vec();
    let last = tampered.len() - 40;
    tampered[last] ^= 1;
    assert!(zkinfer_core::verify(&key, &tampered).is_err());
    (key, today)
}

/// The `verify` seed `key_digit_7_direct_hidden` is the served MNIST example's key and proof
/// from before convolutions with hidden weights took the randomized check (2026-12-06): its
/// shape has hidden weights and no `freivalds` flag, and its proofs keep verifying; they do not
/// verify against today's key.
#[test]
fn a_served_key_and_proof_made_before_hidden_weights_took_the_check_still_verify() {
    let (key, today) = earlier_seed_verifies("key_digit_7_direct_hidden");
    assert!(key.header.shape.visibility.hidden_weights() && !key.header.shape.freivalds);
    assert!(today.header.shape.freivalds);
}

/// The `verify` seed `key_digit_7_unpaired_poseidon` is the served MNIST example's key and
/// proof from before the Poseidon chip laid two partial rounds on a row (2026-12-06): its shape
/// has no `poseidon_paired_rounds` flag, so its key configures the chip as it was, and its
/// proofs keep verifying; they do not verify against today's key.
#[test]
fn a_served_key_and_proof_made_before_paired_poseidon_rounds_still_verify() {
    let (key, today) = earlier_seed_verifies("key_digit_7_unpaired_poseidon");
    assert!(key.header.shape.visibility.hidden_weights());
    assert!(!key.header.shape.poseidon_paired_rounds);
    assert!(today.header.shape.poseidon_paired_rounds);
}
