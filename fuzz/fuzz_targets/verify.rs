//! The whole verify path. Input layout: a little-endian u16 `n`, then `n` bytes of verifier
//! key, then the proof bundle (all remaining bytes). When the key parses, `verify` runs on the
//! bundle bytes. Any result is fine (forged or garbled proofs must be rejected, not panic).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zkinfer_core::fuzz_targets::verify(data));
