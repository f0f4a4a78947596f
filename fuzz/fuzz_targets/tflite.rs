//! `tflite::parse` (flatbuffer verification + zkinfer's `TfGraph` import) on arbitrary bytes,
//! then, when it parses, `tflite::lower` to the float IR or the TFLite-exact `QGraph` (shape
//! checks, NHWC→NCHW transposes, requantization parameters) — what `loader::load_model` does
//! for a `.tflite` file. Any result is fine, a panic is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;
use zkinfer_core::tflite;

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = tflite::parse(data, "fuzz", "fuzz") {
        let _ = tflite::lower(&graph);
    }
});
