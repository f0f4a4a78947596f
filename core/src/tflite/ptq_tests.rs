//! Models written by TensorFlow's own post-training quantization (`scripts/make_tflite_ptq.py`,
//! committed under `examples/tflite-ptq/`) against the TFLite interpreter, bit for bit: every
//! single-operator model over all 256 int8 input values, and the MobileNetV3-style network
//! (HARD_SWISH, squeeze-and-excite MUL, LOGISTIC, TANH, SUB, CONCATENATION,
//! RESIZE_NEAREST_NEIGHBOR, both MEAN kernels) on seeded random inputs, with its int8 and its
//! float interface (QUANTIZE and DEQUANTIZE at the edges).
//!
//! Without `ZKINFER_TFLITE_PYTHON` the tests skip; `ZKINFER_REQUIRE_TFLITE_REFERENCE=1` (set by
//! `.ci/run`) turns the skip into a failure.

use super::interpreter_tests::{evaluate, nchw_order, nhwc_order, quantized, reference_python};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

pub(super) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/tflite-ptq")
        .join(name)
}

pub(super) fn graph(name: &str) -> TfGraph {
    let bytes = std::fs::read(example(name)).unwrap();
    parse(&bytes, name, name).unwrap()
}

/// The interpreter's proven output (the logits, or the output) for each input, as stored
/// integers in TFLite's order. Inputs are raw bytes of the model's input type, back to back.
fn reference(
    python: &str,
    model: &str,
    inputs: &[u8],
    count: usize,
    signed: bool,
) -> Vec<Vec<i64>> {
    let bytes = std::fs::read(example(model)).unwrap();
    reference_of(python, model, &bytes, inputs, count, signed)
}

/// [`reference`] for a model given by its bytes.
fn reference_of(
    python: &str,
    model: &str,
    bytes: &[u8],
    inputs: &[u8],
    count: usize,
    signed: bool,
) -> Vec<Vec<i64>> {
    reference_bytes(python, model, bytes, inputs, count)
        .iter()
        .map(|c| {
            c.iter()
                .map(|&b| if signed { b as i8 as i64 } else { b as i64 })
                .collect()
        })
        .collect()
}

/// The interpreter's raw output bytes for each input.
fn reference_bytes(
    python: &str,
    model: &str,
    bytes: &[u8],
    inputs: &[u8],
    count: usize,
) -> Vec<Vec<u8>> {
    reference_bytes_with(
        python,
        model,
        bytes,
        inputs,
        count,
        "BUILTIN_WITHOUT_DEFAULT_DELEGATES",
        FinalSoftmax::Outside,
    )
}

/// [`reference_bytes`] from the interpreter's `resolver` kernels (an `OpResolverType`); a final
/// SOFTMAX's output with [`FinalSoftmax::Proven`], else its input.
pub(super) fn reference_bytes_with(
    python: &str,
    model: &str,
    bytes: &[u8],
    inputs: &[u8],
    count: usize,
    resolver: &str,
    final_softmax: FinalSoftmax,
) -> Vec<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("zkinfer-ptq-{model}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, input, output) = (dir.join("model.tflite"), dir.join("in"), dir.join("out"));
    std::fs::write(&file, bytes).unwrap();
    std::fs::write(&input, inputs).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/tflite_reference.py");
    let status = std::process::Command::new(python)
        .env("ZKINFER_TFLITE_RESOLVER", resolver)
        .env(
            "ZKINFER_TFLITE_FINAL_SOFTMAX",
            match final_softmax {
                FinalSoftmax::Proven => "proven",
                FinalSoftmax::Outside => "outside",
            },
        )
        .arg(script)
        .arg(&file)
        .arg(&input)
        .arg(count.to_string())
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success(), "{model}: the TFLite reference run failed");
    let bytes = std::fs::read(&output).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(bytes.len() % count, 0);
    bytes
        .chunks(bytes.len() / count)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Stored int8 inputs: every value once (shuffled), the two extremes, and random ones.
pub(super) fn int8_inputs(len: usize, count: usize, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut inputs = vec![vec![-128; len], vec![127; len]];
    if len == 256 {
        let mut all: Vec<i64> = (-128..128).collect();
        for i in (1..all.len()).rev() {
            all.swap(i, rng.gen_range(0..=i));
        }
        inputs.push(all);
    }
    while inputs.len() < count {
        inputs.push((0..len).map(|_| rng.gen_range(-128..=127)).collect());
    }
    inputs
}

pub(super) fn as_bytes(inputs: &[Vec<i64>]) -> Vec<u8> {
    inputs.iter().flatten().map(|&v| v as i8 as u8).collect()
}

/// Values of ours that differ from the interpreter's, over all inputs.
fn differing(model: &str, inputs: &[Vec<i64>], reference: &[Vec<i64>]) -> usize {
    let g = graph(model);
    let q = quantized(&g);
    inputs
        .iter()
        .zip(reference)
        .map(|(input, want)| {
            let got = evaluate(&q, &g, input);
            assert_eq!(got.len(), want.len(), "{model}");
            got.iter().zip(want).filter(|(a, b)| a != b).count()
        })
        .sum()
}

#[test]
fn tensorflow_quantized_single_operators_match_the_interpreter_on_every_int8_value() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut wrong = vec![];
    for op in [
        "logistic",
        "tanh",
        "hard_swish",
        "leaky_relu",
        "relu6",
        "mul_const",
        "sub_const",
        "flatten_dense",
        "pad_maxpool",
        "sub_broadcast",
        "add_broadcast",
        "strided_slice",
        "split_concat",
        "unpack_pack",
        "space_depth_gather",
        "channel_constants",
        "tensor_constants",
        "resize_bilinear",
        "exp",
        "gelu",
        "gelu_tanh",
        "se_reshape",
        "grouped_conv",
        "abs",
        "sum_rows",
        "sum_hw",
        "tile",
        "argmax",
        "log_softmax",
    ] {
        let model = format!("op_{op}_int8.tflite");
        let inputs = int8_inputs(256, 8, 1);
        let want = reference(&python, &model, &as_bytes(&inputs), inputs.len(), true);
        let n = differing(&model, &inputs, &want);
        eprintln!(
            "{model}: {n} of {} values differ",
            want.iter().map(|w| w.len()).sum::<usize>()
        );
        if n > 0 {
            wrong.push(model);
        }
    }
    assert!(wrong.is_empty(), "differ from the interpreter: {wrong:?}");
}

/// A float model's outputs, ours (the float lowering evaluated) and the interpreter's, on
/// `count` seeded inputs uniform in [-1, 1), both in TFLite's order.
fn float_outputs(python: &str, model: &str, count: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
    let g = graph(model);
    let Loaded::Float(m) = lower(&g).unwrap() else {
        panic!("{model}: a float model lowered as quantized")
    };
    let input_shape = &g.tensors[g.input].shape;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let inputs: Vec<Vec<f32>> = (0..count)
        .map(|_| {
            (0..g.tensors[g.input].len())
                .map(|_| rng.gen_range(-1.0f32..1.0))
                .collect()
        })
        .collect();
    let bytes: Vec<u8> = inputs
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let file = std::fs::read(example(model)).unwrap();
    let want = reference_bytes(python, model, &file, &bytes, inputs.len());
    inputs
        .iter()
        .zip(&want)
        .map(|(x, want)| {
            let want: Vec<f32> = want
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            let out = m.eval_float(&nchw_order(x, input_shape)).unwrap()[m.output].clone();
            let ours = nhwc_order(&out.data, &g.tensors[g.output].shape);
            assert_eq!(ours.len(), want.len(), "{model}");
            (ours, want)
        })
        .collect()
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max)
}

/// The rearranging models (and the bilinear resizes) as float TFLite, through the float
/// lowering: our float evaluation equals the interpreter's up to float rounding (the
/// convolution before the copies sums in another order).
#[test]
fn tensorflow_float_rearranging_models_match_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    for op in [
        "strided_slice",
        "split_concat",
        "unpack_pack",
        "space_depth_gather",
        "resize_bilinear",
    ] {
        let model = format!("op_{op}_float.tflite");
        for (ours, want) in float_outputs(&python, &model, 3) {
            let worst = largest_difference(&ours, &want);
            assert!(worst < 1e-5, "{model}: differs by {worst}");
        }
    }
}

/// What TensorFlow writes when asked to optimize without a representative dataset: the
/// MobileNetV3-style network with float16 weights (each read through a DEQUANTIZE) and with
/// int8 weights (dynamic-range quantization). Both are float models to zkinfer, their weights
/// the float values they stand for. With float16 weights the interpreter computes in float32
/// as we do (they differ by 1e-7 of the logits' range); its dynamic-range kernels quantize the
/// activations to int8 on the fly, so they only approximate the float model (by 0.1% here):
/// within 1% of the logits' range, the same class.
#[test]
fn tensorflow_float16_and_dynamic_range_models_match_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    for (model, tolerance) in [
        ("keras_mbv3_float16.tflite", 1e-5),
        ("keras_mbv3_dynamic_range.tflite", 0.01),
    ] {
        for (ours, want) in float_outputs(&python, model, 8) {
            let range = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let worst = largest_difference(&ours, &want) / range;
            assert!(
                worst < tolerance,
                "{model}: differs by {worst} of the range"
            );
            assert_eq!(argmax(&ours), argmax(&want), "{model}: another class");
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

#[test]
fn a_tensorflow_quantized_mobilenet_v3_block_network_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let model = "keras_mbv3_int8.tflite";
    let g = graph(model);
    let len = g.tensors[g.input].len();
    let inputs = int8_inputs(len, 24, 2);
    let want = reference(&python, model, &as_bytes(&inputs), inputs.len(), true);
    assert_eq!(differing(model, &inputs, &want), 0, "{model}");
}

#[test]
fn its_float_interface_quantizes_the_input_as_the_interpreter_does() {
    let Some(python) = reference_python() else {
        return;
    };
    let model = "keras_mbv3_float_io.tflite";
    let g = graph(model);
    let q = quantized(&g);
    let input_t = &g.tensors[g.input];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // Values around and beyond the calibrated [-1, 1], and exact rounding ties of the input
    // scale.
    let scale = q.input_tensor().affine.expect("affine input").scale;
    let mut inputs: Vec<Vec<f32>> = (0..12)
        .map(|_| {
            (0..input_t.len())
                .map(|_| rng.gen_range(-1.3f32..1.3))
                .collect()
        })
        .collect();
    inputs.push(
        (0..input_t.len())
            .map(|i| (i as f32 - 96.0 + 0.5) * scale)
            .collect(),
    );
    let bytes: Vec<u8> = inputs
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    // The interpreter runs SOFTMAX in place when DEQUANTIZE follows it, so the logits are read
    // from a copy of the model whose output is the logits tensor itself.
    let logits = g.ops[g.ops.len() - 2].inputs[0].unwrap();
    let patched = with_output(&std::fs::read(example(model)).unwrap(), logits);
    let want = reference_of(&python, model, &patched, &bytes, inputs.len(), true);
    let affine = q.input_tensor().affine.expect("affine input");
    let zp_out = q.output_tensor().affine.expect("affine output").zero_point;
    for (x, want) in inputs.iter().zip(&want) {
        let centred: Vec<i64> = x.iter().map(|&v| affine.quantize_centred(v)).collect();
        let centred = nchw_order(&centred, &input_t.shape);
        let values = q.evaluate(&centred).unwrap();
        let got: Vec<i64> = values[q.output].iter().map(|v| v + zp_out).collect();
        let got = nhwc_order(&got, &[got.len()]);
        assert_eq!(&got, want, "{model}");
    }
}

/// A copy of TFLite `bytes` whose (single) subgraph output is tensor `tensor`: the output
/// vector's one entry is rewritten in place.
fn with_output(bytes: &[u8], tensor: usize) -> Vec<u8> {
    let model = tflite::root_as_model(bytes).unwrap();
    let outputs = model.subgraphs().unwrap().get(0).outputs().unwrap();
    assert_eq!(outputs.len(), 1);
    let offset = outputs.bytes().as_ptr() as usize - bytes.as_ptr() as usize;
    let mut out = bytes.to_vec();
    out[offset..offset + 4].copy_from_slice(&(tensor as i32).to_le_bytes());
    out
}

/// The circuit of the TensorFlow-quantized network proves the evaluator's values, and rejects a
/// witness with one corrupted cell of each new kind: a table lookup (HARD_SWISH, LOGISTIC), a
/// product of two tensors (squeeze-and-excite MUL), a subtraction (SUB).
pub(super) use super::mock_check::MockCheck;

impl MockCheck {
    /// The check of `model` on its seeded input, and the evaluator's (honest) values.
    pub(super) fn new(model: &str, seed: u64) -> (Self, Vec<Vec<i64>>) {
        Self::lowered(model, seed, FinalSoftmax::Outside)
    }

    /// [`MockCheck::new`] with the final SOFTMAX's fate chosen.
    pub(super) fn lowered(
        model: &str,
        seed: u64,
        final_softmax: FinalSoftmax,
    ) -> (Self, Vec<Vec<i64>>) {
        let g = graph(model);
        let q = match lower_with(&g, final_softmax).unwrap() {
            Loaded::Quantized(q) => std::sync::Arc::new(q),
            Loaded::Float(_) => panic!("{model}: a quantized model lowered as float"),
        };
        let input = int8_inputs(q.input_tensor().len(), 3, seed).pop().unwrap();
        let zp_in = q.input_tensor().affine.expect("affine").zero_point;
        let input: Vec<i64> = nchw_order(&input, &g.tensors[g.input].shape)
            .iter()
            .map(|v| v - zp_in)
            .collect();
        Self::of_graph(q, input)
    }
}

#[test]
fn its_circuit_proves_the_interpreters_values_and_rejects_a_corrupted_cell_of_each_new_step() {
    use crate::qgraph::StepKind;

    let (check, honest) = MockCheck::new("keras_mbv3_int8.tflite", 4);
    let q = check.q.clone();
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let first = |what: &str, is: &dyn Fn(&StepKind) -> bool| {
        q.steps
            .iter()
            .find(|s| is(&s.kind))
            .unwrap_or_else(|| panic!("the model has no {what} step"))
            .output
    };
    let lookup = first("lookup", &|k| matches!(k, StepKind::Lookup(_)));
    let product = first("product", &|k| matches!(k, StepKind::QuantizedMul(_)));
    let sub = first("subtraction", &|k| matches!(k, StepKind::QuantizedSub(_)));
    for (what, tensor) in [
        ("lookup", lookup),
        ("product", product),
        ("subtraction", sub),
    ] {
        let values = check.corrupted(&honest, tensor, 5);
        assert!(
            !check.accepts(&values),
            "a corrupted {what} output is accepted"
        );
    }
}

/// Per-channel constants made tensors of the graph (SUB, ADD) and a per-channel MUL: the
/// circuit proves the evaluator's values, and rejects a witness in which the materialized
/// constant or the per-channel product is one off (every later step recomputed).
#[test]
fn per_channel_constants_are_proven_and_a_corrupted_constant_is_rejected() {
    use crate::qgraph::{LinearKernel, StepKind};

    let (check, honest) = MockCheck::new("op_channel_constants_int8.tflite", 6);
    let q = check.q.clone();
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let output_of = |is: &dyn Fn(&LinearKernel) -> bool| {
        q.steps
            .iter()
            .find(|s| matches!(&s.kind, StepKind::Linear(l) if is(&l.kernel)))
            .expect("the step")
            .output
    };
    let constant = output_of(&|k| matches!(k, LinearKernel::Dense { n_in: 1, .. }));
    let product =
        output_of(&|k| matches!(k, LinearKernel::Conv { geometry, .. } if geometry.group > 1));
    for (what, tensor) in [("constant", constant), ("per-channel product", product)] {
        let values = check.corrupted(&honest, tensor, 1);
        assert!(!check.accepts(&values), "a corrupted {what} is accepted");
    }
}

/// MUL by constant tensors that are not per channel (a [1, H, W, 1] mask, an [H, W, C] scale):
/// each constant is made a tensor of the graph and multiplied as two tensors are. The circuit
/// proves the evaluator's values and rejects a witness in which a materialized constant or a
/// product is one off.
#[test]
fn constant_tensors_of_any_shape_are_multiplied_and_a_corrupted_one_is_rejected() {
    use crate::qgraph::{LinearKernel, StepKind};

    let (check, honest) = MockCheck::new("op_tensor_constants_int8.tflite", 6);
    let q = check.q.clone();
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let constants: Vec<_> = q
        .steps
        .iter()
        .filter(|s| {
            matches!(&s.kind, StepKind::Linear(l) if matches!(l.kernel, LinearKernel::Dense { n_in: 1, .. }))
        })
        .map(|s| s.output)
        .collect();
    let products: Vec<_> = q
        .steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::QuantizedMul(_)))
        .map(|s| s.output)
        .collect();
    assert_eq!(
        (constants.len(), products.len()),
        (2, 2),
        "two constants, two products"
    );
    for (what, tensor) in constants
        .iter()
        .map(|&t| ("constant", t))
        .chain(products.iter().map(|&t| ("product", t)))
    {
        let values = check.corrupted(&honest, tensor, 1);
        assert!(!check.accepts(&values), "a corrupted {what} is accepted");
    }
}

/// RESIZE_BILINEAR (half-pixel centres, then aligned corners): each output sums its own
/// neighbours with the interpreter's weights and rounds once. The circuit proves the
/// evaluator's values and rejects a witness in which either resize's output is one off.
#[test]
fn bilinear_resizes_are_proven_and_a_corrupted_interpolation_is_rejected() {
    use crate::qgraph::{LinearKernel, StepKind};

    let (check, honest) = MockCheck::new("op_resize_bilinear_int8.tflite", 6);
    let q = check.q.clone();
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let resizes: Vec<_> = q
        .steps
        .iter()
        .filter(|s| matches!(&s.kind, StepKind::Linear(l) if matches!(l.kernel, LinearKernel::Taps { .. })))
        .map(|s| s.output)
        .collect();
    assert_eq!(resizes.len(), 2, "two resizes");
    for tensor in resizes {
        let values = check.corrupted(&honest, tensor, 1);
        assert!(
            !check.accepts(&values),
            "a corrupted interpolation is accepted"
        );
    }
}

/// Keras's MultiHeadAttention as TensorFlow's post-training quantization writes it
/// (`keras_mha_int8.tflite`: FULLY_CONNECTED over the tokens, TRANSPOSE into heads,
/// BATCH_MATMUL, a SOFTMAX in the middle, BATCH_MATMUL, a classifier) against both of the
/// interpreter's kernel sets. zkinfer proves the reference kernel's SOFTMAX and the default
/// kernels' FULLY_CONNECTED and BATCH_MATMUL (ruy's ties), so neither interpreter run is the
/// proven function by construction: a logit could differ where the two softmax kernels differ
/// (default), and does where a product lands on a tie (reference: 109 of 640). On these
/// inputs every logit equals the default kernels'; the classes agree with both.
#[test]
fn a_tensorflow_quantized_attention_layer_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_mha_int8.tflite");
}

/// A pre-norm transformer encoder block as TensorFlow's post-training quantization writes it
/// (`keras_encoder_int8.tflite`: three Keras LayerNormalizations as MEAN over the last axis,
/// SQUARED_DIFFERENCE, MEAN, ADD, RSQRT, MUL, MUL, MUL, SUB, ADD; the attention of the test
/// above; a GELU MLP; residual ADDs) against both of the interpreter's kernel sets: every logit
/// equals the default kernels' on these inputs, every class agrees with both.
#[test]
fn a_tensorflow_quantized_encoder_block_agrees_with_the_interpreter() {
    let model = "keras_encoder_int8.tflite";
    let q = quantized(&graph(model));
    for (what, present) in [
        (
            "squared difference",
            q.steps
                .iter()
                .any(|s| matches!(s.kind, crate::qgraph::StepKind::SquaredDifference(_))),
        ),
        (
            "softmax",
            q.steps
                .iter()
                .any(|s| matches!(s.kind, crate::qgraph::StepKind::ByteSoftmax(_))),
        ),
    ] {
        assert!(present, "the encoder's {what} is proven");
    }
    agrees_with_the_interpreter(model);
}

/// The float ViT of `scripts/make_tflite_transformers.py` quantized to int8
/// (`keras_vit_int8.tflite`: patches by a strided CONV_2D, two encoder blocks with their layer
/// norms, attention and GELU MLPs, a final layer norm, GlobalAveragePooling1D as a MEAN over
/// the tokens; a dynamic batch, so the Dense layers' tokens are reshaped to `[T, D]` rows and
/// back) against both of the interpreter's kernel sets: every class agrees with both, every
/// logit with the default kernels'.
#[test]
fn a_tensorflow_quantized_vit_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_vit_int8.tflite");
}

/// A small ConvNeXt quantized to int8 (`keras_convnext_int8.tflite`: layer norms over the
/// channels of 4-D tensors, FULLY_CONNECTED over each pixel's channels as a 1×1 convolution, a
/// depthwise 7×7, GELU, global average pooling) against both of the interpreter's kernel sets:
/// every class agrees with both, every logit with the default kernels'.
#[test]
fn a_tensorflow_quantized_convnext_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_convnext_int8.tflite");
}

/// A causal sequence model quantized to int8 (`keras_causal_int8.tflite`: the causal mask as
/// an ADD of a constant before a SOFTMAX in the middle; its mask's scale is so large that the
/// input multiplier of the scores is below 2^-30, which only the ADD's map table applies)
/// against both of the interpreter's kernel sets: every class agrees with both, every logit
/// with the default kernels'.
#[test]
fn a_tensorflow_quantized_causal_sequence_model_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_causal_int8.tflite");
}

/// A 1-D keyword-spotting CNN (`keras_kws_int8.tflite`: Conv1D as CONV_2D between RESHAPEs,
/// MaxPooling1D, GlobalMaxPooling1D as REDUCE_MAX, a softmax classifier) against both of the
/// interpreter's kernel sets.
#[test]
fn a_tensorflow_quantized_keyword_spotting_cnn_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_kws_int8.tflite");
}

/// SeparableConv2D, BatchNormalization, ELU, GlobalMaxPooling2D (`keras_elu_int8.tflite`): the
/// converter leaves the ELU in float (DEQUANTIZE, ELU, QUANTIZE), proven as one table; every
/// logit equals the interpreter's.
#[test]
fn a_tensorflow_quantized_model_with_a_float_elu_agrees_with_the_interpreter() {
    let model = "keras_elu_int8.tflite";
    let q = quantized(&graph(model));
    assert!(q
        .steps
        .iter()
        .any(|s| matches!(s.kind, crate::qgraph::StepKind::Lookup(_))));
    let Some(python) = reference_python() else {
        return;
    };
    // The reference kernel set has no ELU: the default kernels only.
    let default = agreement_with(&python, model, "BUILTIN_WITHOUT_DEFAULT_DELEGATES");
    assert_eq!((default.logits, default.classes), (0, 0), "{default:?}");
    eprintln!("{model}: default kernels: {default:?}");
}

/// A convolutional autoencoder whose decoder upsamples by Conv2DTranspose
/// (`keras_decoder_int8.tflite`: TRANSPOSE_CONV with strides 2 and kernels 4 and 3 "same", and
/// a "valid" one, a skip CONCATENATION) against both of the interpreter's kernel sets: every
/// output value equal.
#[test]
fn a_tensorflow_quantized_decoder_with_transposed_convolutions_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_decoder_int8.tflite");
}

/// The decoder's circuit accepts its values and rejects a transposed convolution's output one
/// step off (every later step recomputed), which only that convolution's rows can tell.
#[test]
fn the_decoders_circuit_rejects_a_corrupted_transposed_convolution() {
    let (check, honest) = MockCheck::new("keras_decoder_int8.tflite", 10);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    // The first TRANSPOSE_CONV is the third step with a convolution kernel (after the two
    // encoder convolutions), reading its spread input.
    let transposed = check
        .q
        .steps
        .iter()
        .filter(|s| matches!(&s.kind, crate::qgraph::StepKind::Linear(l) if matches!(l.kernel, crate::qgraph::LinearKernel::Conv { .. })))
        .nth(2)
        .unwrap()
        .output;
    let values = check.corrupted(&honest, transposed, 17);
    assert!(
        !check.accepts(&values),
        "a corrupted transposed convolution output is accepted"
    );
}

/// Every class of `model` on 64 seeded inputs agrees with both of the interpreter's kernel sets
/// and every logit with its default kernels' (zkinfer proves the default kernels' products and
/// the reference kernel's SOFTMAX, so the reference run may differ where a product lands on a
/// tie); prints both counts.
pub(super) fn agrees_with_the_interpreter(model: &str) {
    let Some(python) = reference_python() else {
        return;
    };
    let [default, reference] = agreement_with_both_kernel_sets(&python, model);
    let report = format!("{model}: default kernels: {default:?}\nreference kernels: {reference:?}");
    assert_eq!(default.classes, 0, "{report}");
    assert_eq!(reference.classes, 0, "{report}");
    assert_eq!(default.logits, 0, "{report}");
    eprintln!("{report}");
}

/// How often our integer evaluation of an int8 model differs from the interpreter's.
#[derive(Debug)]
struct Agreement {
    /// Logits that differ, of `of`.
    logits: usize,
    of: usize,
    /// Inputs whose class (first maximum) differs.
    classes: usize,
}

/// [`Agreement`] of `model` on 64 seeded inputs with the interpreter's default kernels and
/// with its reference kernels (`BUILTIN_REF`), in that order.
fn agreement_with_both_kernel_sets(python: &str, model: &str) -> [Agreement; 2] {
    ["BUILTIN_WITHOUT_DEFAULT_DELEGATES", "BUILTIN_REF"]
        .map(|resolver| agreement_with(python, model, resolver))
}

/// [`Agreement`] of `model` on 64 seeded inputs with the interpreter's `resolver` kernels.
fn agreement_with(python: &str, model: &str, resolver: &str) -> Agreement {
    let g = graph(model);
    let q = quantized(&g);
    let len = g.tensors[g.input].len();
    let inputs = int8_inputs(len, 64, 5);
    let bytes = std::fs::read(example(model)).unwrap();
    let argmax = |v: &[i64]| {
        (0..v.len())
            .max_by_key(|&i| (v[i], std::cmp::Reverse(i)))
            .unwrap()
    };
    let want = reference_bytes_with(
        python,
        model,
        &bytes,
        &as_bytes(&inputs),
        inputs.len(),
        resolver,
        FinalSoftmax::Outside,
    );
    let mut agreement = Agreement {
        logits: 0,
        of: 0,
        classes: 0,
    };
    for (input, want) in inputs.iter().zip(want) {
        let want: Vec<i64> = want.into_iter().map(|b| b as i8 as i64).collect();
        let got = evaluate(&q, &g, input);
        agreement.of += got.len();
        agreement.logits += got.iter().zip(&want).filter(|(a, b)| a != b).count();
        agreement.classes += (argmax(&got) != argmax(&want)) as usize;
    }
    agreement
}

/// The TensorFlow-converted encoder block as one circuit (public weights, so the layout is the
/// operators' own): it accepts the evaluator's values, and rejects a squared difference one off
/// (every later step recomputed), which only that step's rows can tell.
#[test]
fn the_encoder_blocks_circuit_proves_its_values_and_rejects_a_corrupted_squared_difference() {
    use crate::qgraph::StepKind;

    let (check, honest) = MockCheck::new("keras_encoder_int8.tflite", 8);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let sq = check
        .q
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::SquaredDifference(_)))
        .unwrap()
        .output;
    let values = check.corrupted(&honest, sq, 9);
    assert!(
        !check.accepts(&values),
        "a corrupted squared difference is accepted"
    );
}

/// The ConvNeXt as one circuit: it accepts the evaluator's values and rejects a corrupted
/// channel mean (a layer norm over the channels of a 4-D tensor) and a corrupted per-pixel
/// FULLY_CONNECTED output (a 1×1 convolution), each one off with every later step recomputed.
#[test]
fn the_convnexts_circuit_proves_its_values_and_rejects_a_corrupted_mean_and_dense_output() {
    use crate::qgraph::{LinearKernel, StepKind};

    let (check, honest) = MockCheck::new("keras_convnext_int8.tflite", 9);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let first = |is: &dyn Fn(&LinearKernel) -> bool| {
        check
            .q
            .steps
            .iter()
            .find(|s| matches!(&s.kind, StepKind::Linear(l) if is(&l.kernel)))
            .unwrap()
            .output
    };
    // A channel mean: each pixel's channels gathered into a row, summed by a one-output row.
    let channel_mean = first(&|k| matches!(k, LinearKernel::Dense { n_out: 1, .. }));
    let per_pixel_dense = first(&|k| {
        matches!(k, LinearKernel::Conv { geometry, .. }
            if geometry.window.kernel == [1, 1] && geometry.group == 1 && geometry.out_channels > 1)
    });
    for (what, tensor) in [
        ("channel mean", channel_mean),
        ("per-pixel dense output", per_pixel_dense),
    ] {
        let values = check.corrupted(&honest, tensor, 3);
        assert!(!check.accepts(&values), "a corrupted {what} is accepted");
    }
}

/// The causal sequence model as one circuit: it accepts the evaluator's values and rejects a
/// corrupted masked score (the ADD of the constant mask, one off, every later step recomputed).
#[test]
fn the_causal_models_circuit_proves_its_values_and_rejects_a_corrupted_masked_score() {
    use crate::qgraph::StepKind;

    let (check, honest) = MockCheck::new("keras_causal_int8.tflite", 10);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    // The mask's ADD is the one whose output the softmax reads.
    let softmax = check
        .q
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::ByteSoftmax(_)))
        .unwrap();
    let masked = softmax.inputs[0];
    let producer = check.q.steps.iter().find(|s| s.output == masked).unwrap();
    assert!(
        matches!(producer.kind, StepKind::QuantizedAdd(_)),
        "the softmax reads the mask's ADD"
    );
    // One score one step down (the mask's output lies at the top of its range, so up could
    // leave it), every later step recomputed.
    let affine = check.q.tensors[masked].affine.unwrap();
    let lo = affine.q_min - affine.zero_point;
    let i = (0..honest[masked].len())
        .find(|&i| honest[masked][i] > lo)
        .unwrap();
    let values = check.shifted(&honest, masked, i, -1);
    assert!(
        !check.accepts(&values),
        "a corrupted masked score is accepted"
    );
}

/// A model of one 8-bit function and nothing else (a single TANH): its table's rows are the
/// fixed-point chip's, which the layout includes though no requantization needs it (the circuit
/// failed to synthesize); a corrupted output is rejected.
#[test]
fn a_model_of_one_table_function_alone_proves_and_rejects_a_corrupted_output() {
    let (check, honest) = MockCheck::new("op_tanh_int8.tflite", 11);
    assert!(check.plan.shape.fixed_point);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let output = check.q.output;
    let index = (0..honest[output].len())
        .find(|&i| honest[output][i].abs() < 100)
        .unwrap();
    let values = check.corrupted(&honest, output, index);
    assert!(
        !check.accepts(&values),
        "a corrupted TANH output is accepted"
    );
}
