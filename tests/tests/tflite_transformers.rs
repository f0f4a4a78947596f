//! Transformers as TensorFlow's converter writes them to float TFLite
//! (`scripts/make_tflite_transformers.py`, tensorflow-cpu 2.15; the interpreter's outputs in
//! `examples/tflite-transformers/expected.json`): a vision transformer (patches by a strided
//! convolution, LayerNormalization as MEAN, SQUARED_DIFFERENCE and RSQRT, attention as
//! FULLY_CONNECTED over the tokens, TRANSPOSE, BATCH_MATMUL and a SOFTMAX in the middle, GELU) and
//! a causal sequence model (an additive constant mask before the SOFTMAX, ABS, DIV by a computed
//! norm). Each loads through the TFLite loader's ONNX mapping, its float evaluation matches the
//! interpreter's, it compiles with the default options into a circuit that accepts its witness
//! and rejects a changed output, and its proven output is the interpreter's within 0.05 of the
//! logits' range with the same top class.

mod common;

use common::exports::{check_export, expected, floats};

#[test]
fn float_tflite_transformers_load_match_the_interpreter_and_prove() {
    let expected = expected("tflite-transformers");
    for name in ["vit_float.tflite", "sequence_float.tflite"] {
        let case = &expected[name];
        let (_, proven) = check_export("tflite-transformers", name, case);
        let want: Vec<f64> = floats(&case["output"]).iter().map(|&w| w as f64).collect();
        let range = want.iter().fold(0f64, |m, w| m.max(w.abs()));
        let err = proven
            .iter()
            .zip(&want)
            .map(|(p, w)| (p - w).abs())
            .fold(0f64, f64::max);
        let top = |v: &[f64]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        println!("{name}: proven output within {err:.5} of the interpreter's (range {range:.3})");
        assert!(err < 0.05 * range, "{name}: proven output off by {err}");
        assert_eq!(top(&proven), top(&want), "{name}: top class");
    }
}
