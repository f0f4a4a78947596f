//! `tflite::parse` (flatbuffer verification + zkinfer's `TfGraph` import) on arbitrary bytes,
//! then, when it parses, `tflite::lower` to the float IR or the TFLite-exact `QGraph` (shape
//! checks, NHWC→NCHW transposes, requantization parameters) — what `loader::load_model` does
//! for a `.tflite` file. Any result is fine, a panic is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zkinfer_core::fuzz_targets::tflite(data));
