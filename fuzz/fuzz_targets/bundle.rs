//! `ProofBundle::from_bytes` on arbitrary bytes: any result is fine, a panic is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zkinfer_core::fuzz_targets::bundle(data));
