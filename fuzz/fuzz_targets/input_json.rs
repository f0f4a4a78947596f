//! `input::parse_samples` with an MNIST-sized input (784 values) on arbitrary UTF-8:
//! any result is fine, a panic is a bug. Non-UTF-8 inputs are skipped.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zkinfer_core::fuzz_targets::input_json(data));
