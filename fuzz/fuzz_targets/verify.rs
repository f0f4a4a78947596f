//! The whole verify path. Input layout: a little-endian u16 `n`, then `n` bytes of verifier
//! key, then the proof bundle (all remaining bytes). When the key parses, `verify` runs on the
//! bundle bytes. Any result is fine (forged or garbled proofs must be rejected, not panic).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let n = u16::from_le_bytes([data[0], data[1]]) as usize;
    let rest = &data[2..];
    if n > rest.len() {
        return;
    }
    let (key_bytes, bundle_bytes) = rest.split_at(n);
    if let Ok(key) = zkinfer_core::VerifierKey::from_bytes(key_bytes) {
        let _ = zkinfer_core::verify(&key, bundle_bytes);
    }
});
