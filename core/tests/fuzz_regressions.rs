//! Inputs the fuzzers (fuzz/) once crashed the parsers with: each must now be a plain error.

use std::path::PathBuf;

fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no regression inputs in {}", dir.display());
    out
}

#[test]
fn malformed_g2_points_in_a_verifier_key_are_errors() {
    for (name, bytes) in regressions("verifier_key") {
        assert!(
            zkinfer_core::VerifierKey::from_bytes(&bytes).is_err(),
            "{name}"
        );
    }
    for (name, bytes) in regressions("verify") {
        // u16 little-endian key length, the key, then the bundle (the `verify` fuzz target).
        let n = u16::from_le_bytes([bytes[0], bytes[1]]) as usize;
        let key = &bytes[2..(2 + n).min(bytes.len())];
        assert!(
            zkinfer_core::VerifierKey::from_bytes(key).is_err(),
            "{name}"
        );
    }
}

#[test]
fn zero_pooling_kernel_in_an_onnx_model_is_an_error() {
    for (name, bytes) in regressions("onnx") {
        assert!(
            zkinfer_core::onnx::load_onnx_bytes(&bytes, "fuzz", &name).is_err(),
            "{name}"
        );
    }
}
