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

use common::exports::{check_export, expected, floats};

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
