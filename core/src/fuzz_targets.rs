//! What each fuzz target (fuzz/fuzz_targets/) feeds its bytes to, in one place, so that the
//! coverage-guided fuzzers and the replay of their committed corpora in `cargo test`
//! (core/tests/fuzz_corpora.rs) run exactly the same code. Every function here must return for
//! any input: an `Err` inside is fine, a panic is a bug.
//!
//! Not part of the product's API.

/// `ProofBundle::from_bytes` on arbitrary bytes.
pub fn bundle(data: &[u8]) {
    let _ = crate::ProofBundle::from_bytes(data);
}

/// `VerifierKey::from_bytes` on arbitrary bytes (header JSON, KZG points, halo2 key).
pub fn verifier_key(data: &[u8]) {
    let _ = crate::VerifierKey::from_bytes(data);
}

/// The whole verify path. Layout: a little-endian u16 `n`, then `n` bytes of verifier key,
/// then the proof bundle (all remaining bytes). When the key parses, `verify` runs on the
/// bundle bytes.
pub fn verify(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let n = u16::from_le_bytes([data[0], data[1]]) as usize;
    let rest = &data[2..];
    if n > rest.len() {
        return;
    }
    let (key_bytes, bundle_bytes) = rest.split_at(n);
    if let Ok(key) = crate::VerifierKey::from_bytes(key_bytes) {
        let _ = crate::verify(&key, bundle_bytes);
    }
}

/// `onnx::load_onnx_bytes` (tract-onnx protobuf decoding and zkinfer's graph import).
#[cfg(feature = "prover")]
pub fn onnx(data: &[u8]) {
    let _ = crate::onnx::load_onnx_bytes(data, "fuzz", "fuzz");
}

/// `tflite::parse` (flatbuffer verification and the `TfGraph` import) and, when it parses,
/// `tflite::lower` to the float IR or the TFLite-exact graph: what loading a `.tflite` does.
#[cfg(feature = "prover")]
pub fn tflite(data: &[u8]) {
    if let Ok(graph) = crate::tflite::parse(data, "fuzz", "fuzz") {
        let _ = crate::tflite::lower(&graph);
    }
}

/// `input::parse_samples` with an MNIST-sized input (784 values), and the input salt, on UTF-8
/// text; other bytes are skipped.
#[cfg(feature = "prover")]
pub fn input_json(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = crate::input::parse_samples(s, 784);
        let _ = crate::input::parse_input_salt(s);
    }
}

/// A setup file (`.ptau` or halo2 parameters) read from memory: headers, then for every k the
/// bytes can hold (at most 6), `srs::read_checked` (the powers and their checks, the Lagrange
/// basis when there is one, with its check): what `--params FILE` and `zkinfer setup-digest` do.
#[cfg(feature = "prover")]
pub fn setup_file(data: &[u8]) {
    use crate::srs::{file::SetupFile, read_checked};
    let Ok(mut setup) =
        SetupFile::from_reader(std::io::Cursor::new(data), data.len() as u64, "fuzz")
    else {
        return;
    };
    for k in 1..=setup.format.max_k().min(6) {
        let _ = read_checked(&mut setup, k);
    }
}
