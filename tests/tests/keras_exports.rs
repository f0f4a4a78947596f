//! Keras models converted by tf2onnx (`scripts/make_keras_exports.py`: tensorflow-cpu 2.15,
//! tf2onnx 1.17, opset 13; TensorFlow's outputs in `examples/keras-exports/expected.json`), as
//! a TensorFlow user brings them: an NHWC input behind a Transpose, BatchNormalization folded and
//! a LayerNormalization written as statistics feeding a BatchNormalization (ReduceMean,
//! ReduceSumSquare, the element count as a ReduceProd of a Shape), Conv1D as Unsqueeze, Conv and
//! Squeeze, Dense as MatMul, swish, squeeze-and-excite, nearest and bilinear upsampling,
//! Conv2DTranspose, softmax heads, a MultiHeadAttention encoder block (its output projection an
//! Einsum) and int32 token ids through an Embedding.
//! Each loads, its float evaluation matches TensorFlow's, it compiles with the default options
//! into a circuit that accepts its witness and rejects a changed output, and its proven output
//! is TensorFlow's within 0.02 on every value (absolute, at these unit-scale outputs) with the
//! same top class.

mod common;

use common::exports::{check_export, expected, float_matches, floats};

#[test]
fn keras_models_converted_by_tf2onnx_load_match_tensorflow_and_prove() {
    let expected = expected("keras-exports");
    let models = [
        "k1_cnn.onnx",
        "k2_layernorm_mlp.onnx",
        "k3_conv1d.onnx",
        "k4_encoder.onnx",
        "k5_token_embedding.onnx",
        "k6_decoder.onnx",
    ];
    for name in models {
        let case = &expected[name];
        let (_, proven) = check_export("keras-exports", name, case);
        let want = floats(&case["output"]);
        let err = proven
            .iter()
            .zip(&want)
            .map(|(&p, &w)| (p - w as f64).abs())
            .fold(0f64, f64::max);
        let top = |v: &[f64]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        let want64: Vec<f64> = want.iter().map(|&w| w as f64).collect();
        println!("{name}: proven output within {err:.5} of TensorFlow's");
        assert!(err < 0.02, "{name}: proven output off by {err}");
        assert_eq!(top(&proven), top(&want64), "{name}: top class");
    }
}

/// Keras's own applications, converted by `scripts/probe_keras_applications.py DIR` (tens of MB
/// each, so not fixtures): each loads, its float evaluation matches TensorFlow's within 1e-4
/// (relative), and it quantizes and lays out with the default options (a model over the single
/// circuit's budget is reported, as `zkinfer compile` would then chain it). Run with
/// `ZKINFER_KERAS_APPLICATIONS=DIR cargo test --release -p zkinfer-tests --test keras_exports --
/// --ignored --nocapture`; BENCHMARKS.md records what it printed.
#[test]
#[ignore = "a probe of large models: needs ZKINFER_KERAS_APPLICATIONS=DIR"]
fn keras_applications_load_match_tensorflow_and_quantize() {
    use zkinfer_core::prove::{compile, CompileOptions};
    let dir = std::path::PathBuf::from(
        std::env::var_os("ZKINFER_KERAS_APPLICATIONS").expect("ZKINFER_KERAS_APPLICATIONS=DIR"),
    );
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut failed = vec![];
    for (name, case) in expected.as_object().unwrap() {
        let m = match zkinfer_core::onnx::load_onnx(dir.join(name)) {
            Ok(m) => m,
            Err(e) => {
                println!("{name}: refused: {e}");
                failed.push(name.clone());
                continue;
            }
        };
        let x = float_matches(name, &m, case);
        // Calibrated on the pixel input and its complement.
        let complement: Vec<f32> = x.iter().map(|v| 255.0 - v).collect();
        match compile(&m, &[x.clone(), complement], &CompileOptions::default()) {
            Ok(c) => println!(
                "{name}: {} nodes, float matches; {}-bit activations, one circuit at k = {}",
                m.nodes.len(),
                c.graph.act_bits,
                c.plan.k
            ),
            Err(e) => println!("{name}: {} nodes, float matches; {e}", m.nodes.len()),
        }
    }
    assert!(failed.is_empty(), "refused: {failed:?}");
}
