//! A setup file (snarkjs `.ptau` or halo2 KZG parameters) from arbitrary bytes: its headers,
//! powers, Lagrange basis and their checks. Any result is fine, a panic is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zkinfer_core::fuzz_targets::setup_file(data));
