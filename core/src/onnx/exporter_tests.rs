//! What PyTorch's exporters write around the operators (found by exporting torchvision models
//! and common idioms with torch 2.15): initializers shared through `Identity` nodes, arithmetic
//! on constants, masks and class tokens computed from shapes, weights in an external data file.

use super::tests::{init, int, int64s, ints, load, node, run};
use super::*;

/// The TorchScript exporter keeps one copy of equal initializers and gives every other user an
/// `Identity` of it (torchvision's ResNet-18 has 16, DenseNet-121 245); a Linear's weight may
/// also reach MatMul through a Transpose.
#[test]
fn weights_behind_identity_and_transpose_nodes_are_constants() {
    let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [3, 2] as stored: out x in
    let nodes = vec![
        node("Identity", &["w_shared"], "w", vec![]),
        node("Transpose", &["w"], "wt", vec![ints("perm", &[1, 0])]),
        node("Identity", &["b_shared"], "b", vec![]),
        node("MatMul", &["x", "wt"], "m", vec![]),
        node("Add", &["m", "b"], "y", vec![]),
    ];
    let inits = vec![
        init("w_shared", &[3, 2], &w),
        init("b_shared", &[3], &[0.5, 0.0, -1.0]),
    ];
    let m = load(&[1, 2], nodes, inits).unwrap();
    let (shape, y) = run(&m, &[1.0, -1.0]);
    assert_eq!(shape, [1, 3]);
    assert_eq!(y, vec![1.0 - 2.0 + 0.5, 3.0 - 4.0, 5.0 - 6.0 - 1.0]);
}

/// `x * (1 / d ** 0.5)` with `d` a constant (attention's scale as `x.size(-1) ** 0.5`): a Pow
/// and a Reciprocal of constants, folded; `torch.triu(ones)` is a Trilu of a constant.
#[test]
fn arithmetic_and_triangles_of_constants_are_folded() {
    let nodes = vec![
        node("Pow", &["d", "half"], "root", vec![]),
        node("Reciprocal", &["root"], "scale", vec![]),
        node("Mul", &["x", "scale"], "scaled", vec![]),
        node("Trilu", &["ones", "one"], "upper", vec![int("upper", 1)]),
        node("Trilu", &["ones"], "lower", vec![int("upper", 0)]),
        node("Sub", &["upper", "lower"], "band", vec![]),
        node("Add", &["scaled", "band"], "y", vec![]),
    ];
    let inits = vec![
        init("d", &[], &[16.0]),
        init("half", &[], &[0.5]),
        init("ones", &[3, 3], &[1.0; 9]),
        int64s("one", &[], &[1]),
    ];
    let m = load(&[1, 3, 3], nodes, inits).unwrap();
    let x: Vec<f32> = (0..9).map(|i| i as f32).collect();
    let (shape, y) = run(&m, &x);
    assert_eq!(shape, [1, 3, 3]);
    // Strictly above the diagonal (k = 1) minus on and below it.
    let band = [-1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0];
    let want: Vec<f32> = x.iter().zip(band).map(|(v, b)| v / 4.0 + b).collect();
    assert_eq!(y, want);
}

/// `cls.expand(x.shape[0], -1, -1)`: the target `[B, -1, -1]` becomes `[B, 1, 1]` through
/// `Where(Equal(t, -1), ones, t)` and expands the constant class token.
#[test]
fn a_class_token_expanded_to_the_batch_is_a_constant() {
    let nodes = vec![
        node("Equal", &["target", "minus1"], "is_free", vec![]),
        node("Where", &["is_free", "ones", "target"], "dims", vec![]),
        node("Expand", &["cls", "dims"], "tokens", vec![]),
        node("Add", &["x", "tokens"], "y", vec![]),
    ];
    let inits = vec![
        int64s("target", &[3], &[1, -1, -1]),
        int64s("minus1", &[], &[-1]),
        int64s("ones", &[3], &[1, 1, 1]),
        init("cls", &[1, 1, 3], &[0.25, -0.5, 2.0]),
    ];
    let m = load(&[1, 2, 3], nodes, inits).unwrap();
    let (shape, y) = run(&m, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(shape, [1, 2, 3]);
    assert_eq!(y, vec![1.25, 1.5, 5.0, 4.25, 4.5, 8.0]);
}

/// A constant folded from constants may not grow past 2^20 elements beyond its largest input
/// (an Expand to a huge shape), while a weight keeps its size through Identity.
#[test]
fn folding_bounds_what_a_constant_can_grow_to() {
    let nodes = vec![
        node("Expand", &["c", "dims"], "big", vec![]),
        node("Add", &["x", "big"], "y", vec![]),
    ];
    let inits = vec![
        init("c", &[1], &[1.0]),
        int64s("dims", &[2], &[1 << 11, 1 << 10]),
    ];
    let err = load(&[1, 4], nodes, inits).err().unwrap().to_string();
    assert!(err.contains("2^20"), "{err}");
}

/// `nn.AdaptiveAvgPool1d(1)` exports as a GlobalAveragePool of a `[N, C, L]` tensor.
#[test]
fn global_average_pool_of_a_sequence_averages_its_length() {
    let nodes = vec![node("GlobalAveragePool", &["x"], "y", vec![])];
    let m = load(&[1, 2, 4], nodes, vec![]).unwrap();
    let (shape, y) = run(&m, &[1.0, 2.0, 3.0, 6.0, -4.0, 0.0, 0.0, 0.0]);
    assert_eq!(shape, [1, 2, 1]);
    assert_eq!(y, vec![3.0, -1.0]);
}

/// A model file of `nodes` over input `x` of `dims`, writing `y`, opset 17.
fn model_file(dims: &[i64], nodes: Vec<NodeProto>, initializer: Vec<pb::TensorProto>) -> Vec<u8> {
    graph_file(pb::GraphProto {
        node: nodes,
        initializer,
        input: vec![super::tests::value("x", dims)],
        output: vec![super::tests::value("y", &[])],
        ..Default::default()
    })
}

/// A model file holding `graph`, opset 17.
fn graph_file(graph: pb::GraphProto) -> Vec<u8> {
    use prost::Message;
    let model = pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(graph),
        ..Default::default()
    };
    model.encode_to_vec()
}

/// A classifier exported with its class index (`logits.argmax(1)`): the scores are the proven
/// output, the ArgMax left outside the proof; an ArgMax whose indices feed another node is
/// refused by name.
#[test]
fn a_final_argmax_leaves_the_scores_as_the_output_and_any_other_is_refused() {
    let w = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    let classifier = vec![
        node("Gemm", &["x", "w"], "scores", vec![int("transB", 1)]),
        node("ArgMax", &["scores"], "y", vec![int("axis", 1)]),
    ];
    let bytes = model_file(&[1, 2], classifier, vec![init("w", &[3, 2], &w)]);
    let m = load_onnx_bytes(&bytes, "argmax", "argmax.onnx").unwrap();
    let (shape, y) = run(&m, &[2.0, -1.0]);
    assert_eq!((shape, y), (vec![1, 3], vec![2.0, -1.0, 1.0]));

    let inner = vec![
        node("ArgMax", &["x"], "i", vec![int("axis", 1)]),
        node("Add", &["x", "i"], "y", vec![]),
    ];
    let err = load_onnx_bytes(&model_file(&[1, 2], inner, vec![]), "m", "m.onnx").unwrap_err();
    assert!(err.to_string().contains("ArgMax"), "{err}");
}

/// A model file whose graph is `y = x · W` with `W` (2×2) in an external data file at
/// `location`, `offset` bytes in, declaring `length`.
fn external_model(location: &str, offset: u64, length: Option<u64>) -> Vec<u8> {
    let mut w = init("w", &[2, 2], &[]);
    w.data_location = Some(1);
    let mut entries = vec![("location", location.to_string())];
    entries.push(("offset", offset.to_string()));
    if let Some(n) = length {
        entries.push(("length", n.to_string()));
    }
    w.external_data = entries
        .into_iter()
        .map(|(key, value)| pb::StringStringEntryProto {
            key: key.into(),
            value,
        })
        .collect();
    model_file(
        &[1, 2],
        vec![node("MatMul", &["x", "w"], "y", vec![])],
        vec![w],
    )
}

/// `torch.onnx.export`'s default (the dynamo exporter) writes weights to `MODEL.onnx.data`:
/// read from the model's directory, and only from there, and only the declared bytes.
#[test]
fn weights_in_an_external_data_file_are_read_from_the_model_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = [0.0f32, 9.0, 1.0, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(dir.path().join("model.onnx.data"), &data).unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    // W = [[1, 2], [3, 4]] after two floats of padding.
    let good = write("good.onnx", external_model("model.onnx.data", 8, Some(16)));
    let m = load_onnx(&good).unwrap();
    let (shape, y) = run(&m, &[1.0, -1.0]);
    assert_eq!((shape, y), (vec![1, 2], vec![-2.0, -2.0]));
    // The same file through the loader of any model file.
    assert!(crate::loader::load_model(&good).is_ok());
    // Without the length, the declared shape's bytes.
    let implicit = write("implicit.onnx", external_model("model.onnx.data", 8, None));
    assert_eq!(
        run(&load_onnx(&implicit).unwrap(), &[1.0, -1.0]).1,
        [-2.0, -2.0]
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), &data).unwrap();
    let escape = format!(
        "../{}/secret",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    let absolute = outside.path().join("secret").display().to_string();
    for (name, model, why) in [
        (
            "escape.onnx",
            external_model(&escape, 0, Some(16)),
            "relative path",
        ),
        (
            "absolute.onnx",
            external_model(&absolute, 0, Some(16)),
            "relative path",
        ),
        (
            "missing.onnx",
            external_model("gone.data", 0, Some(16)),
            "missing",
        ),
        (
            "long.onnx",
            external_model("model.onnx.data", 0, Some(24)),
            "24 bytes",
        ),
        (
            "past.onnx",
            external_model("model.onnx.data", 16, Some(16)),
            "24-byte file",
        ),
        (
            "empty.onnx",
            external_model("", 0, Some(16)),
            "relative path",
        ),
    ] {
        let path = write(name, model);
        let Err(err) = load_onnx(&path) else {
            panic!("{name} loaded")
        };
        let err = err.to_string();
        assert!(err.contains(why), "{name}: {err}");
    }
    // Bytes alone (no file, so no directory) name what is missing.
    let err = load_onnx_bytes(&external_model("model.onnx.data", 8, Some(16)), "m", "m")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("external data"), "{err}");
}

/// `nn.InstanceNorm2d(affine=True)`: each channel normalised over its own positions, then its
/// scale and bias; `nn.GroupNorm` exports as this over `[N, G, -1]` with unit scale.
#[test]
fn instance_normalization_normalises_each_channel_over_its_positions() {
    let nodes = vec![node(
        "InstanceNormalization",
        &["x", "scale", "bias"],
        "y",
        vec![super::tests::float("epsilon", 0.0)],
    )];
    let inits = vec![
        init("scale", &[2], &[2.0, 1.0]),
        init("bias", &[2], &[0.0, -1.0]),
    ];
    let m = load(&[1, 2, 2, 2], nodes, inits).unwrap();
    // Channel 0: 1, 3, 1, 3 (mean 2, std 1); channel 1: 0, 0, 4, 4 (mean 2, std 2).
    let (shape, y) = run(&m, &[1.0, 3.0, 1.0, 3.0, 0.0, 0.0, 4.0, 4.0]);
    assert_eq!(shape, [1, 2, 2, 2]);
    let want = [-2.0, 2.0, -2.0, 2.0, -2.0, -2.0, 0.0, 0.0];
    for (got, want) in y.iter().zip(want) {
        assert!((got - want).abs() < 1e-3, "{y:?}");
    }
    // A sequence `[N, C, L]`, without affine parameters.
    let nodes = vec![node(
        "InstanceNormalization",
        &["x", "one", "zero"],
        "y",
        vec![],
    )];
    let inits = vec![
        init("one", &[2], &[1.0, 1.0]),
        init("zero", &[2], &[0.0, 0.0]),
    ];
    let m = load(&[1, 2, 2], nodes, inits).unwrap();
    let (shape, y) = run(&m, &[1.0, 3.0, 5.0, 5.0]);
    assert_eq!(shape, [1, 2, 2]);
    assert!((y[0] + 1.0).abs() < 1e-2 && (y[1] - 1.0).abs() < 1e-2 && y[2].abs() < 1e-2);
}

/// `torch.cat([cls, x], dim=1)` with a learned class token: the constant becomes a tensor of
/// its own (weight 0 over copies of one input value, its bias the token) and is concatenated.
#[test]
fn a_learned_constant_concatenated_with_activations_is_its_own_tensor() {
    let nodes = vec![node("Concat", &["cls", "x"], "y", vec![int("axis", 1)])];
    let inits = vec![init("cls", &[1, 1, 2], &[0.5, -3.0])];
    let m = load(&[1, 2, 2], nodes, inits).unwrap();
    let (shape, y) = run(&m, &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(shape, [1, 3, 2]);
    assert_eq!(y, vec![0.5, -3.0, 1.0, 2.0, 3.0, 4.0]);
}

/// `nn.MultiheadAttention` exported by TorchScript computes a head size with `Mod` of
/// constants: the divisor's sign by default (Python's `%`), the dividend's with `fmod=1`.
#[test]
fn remainders_of_constants_are_folded_with_either_sign_rule() {
    for (fmod, want) in [(0, [1.0, 2.0, -2.0]), (1, [1.0, -1.0, 1.0])] {
        let nodes = vec![
            node("Mod", &["a", "d"], "r", vec![int("fmod", fmod)]),
            node("Add", &["x", "r"], "y", vec![]),
        ];
        let inits = vec![
            init("a", &[3], &[7.0, -7.0, 7.0]),
            init("d", &[3], &[3.0, 3.0, -3.0]),
        ];
        let m = load(&[1, 3], nodes, inits).unwrap();
        assert_eq!(run(&m, &[0.0, 0.0, 0.0]).1, want, "fmod={fmod}");
    }
    let nodes = vec![
        node("Mod", &["a", "z"], "r", vec![]),
        node("Add", &["x", "r"], "y", vec![]),
    ];
    let inits = vec![init("a", &[1], &[7.0]), init("z", &[1], &[0.0])];
    let err = load(&[1, 1], nodes, inits).err().unwrap().to_string();
    assert!(err.contains("division by zero"), "{err}");
}

/// A Slice of a constant to "the end", as exporters write it (`ends = 2^63 - 1`, which an f64
/// holds only approximately): `nn.MultiheadAttention`'s packed projection cut into Q, K, V.
#[test]
fn a_slice_of_a_constant_to_the_end_is_folded() {
    let nodes = vec![
        node("Slice", &["w", "start", "end", "axis"], "tail", vec![]),
        node("Add", &["x", "tail"], "y", vec![]),
    ];
    let inits = vec![
        init("w", &[4], &[1.0, 2.0, 3.0, 4.0]),
        int64s("start", &[1], &[2]),
        int64s("end", &[1], &[i64::MAX]),
        int64s("axis", &[1], &[0]),
    ];
    let m = load(&[1, 2], nodes, inits).unwrap();
    assert_eq!(run(&m, &[0.5, 0.5]).1, [3.5, 4.5]);
}

/// Compiles `model` with the default options on `calibration`, checks that the circuit accepts
/// the honest witness of `x` (MockProver), and returns the proven output as floats.
pub(crate) fn proven_output(
    model: &crate::ir::Model,
    calibration: &[Vec<f32>],
    x: &[f32],
) -> Vec<f32> {
    use crate::prove::{compile, CompileOptions};
    let compiled = compile(model, calibration, &CompileOptions::default()).unwrap();
    let (input, values) = compiled.witness(x).unwrap();
    let out = values[compiled.graph.output].clone();
    crate::test_fixtures::mock_compiled(&compiled, &input, values).unwrap();
    let q = compiled.graph.dequantize_output(&out);
    q.iter().map(|&v| v as f32).collect()
}

pub(crate) fn seeded_rows(n: usize, len: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|s| {
            (0..len)
                .map(|i| ((s * 7 + i * 13) as f32 * 0.61).sin() * 2.0)
                .collect()
        })
        .collect()
}

/// A post-norm transformer's last block feeds a LayerNorm into the final one, whose mean is
/// then 0 on every input: the mean's range is float noise, and its negation must not take a
/// scale tens of bits finer than the values it is subtracted from.
#[test]
fn a_layer_norm_of_a_layer_norm_quantizes_and_stays_close() {
    let nodes = vec![
        node(
            "LayerNormalization",
            &["x", "g1"],
            "n1",
            vec![int("axis", -1)],
        ),
        node(
            "LayerNormalization",
            &["n1", "g2"],
            "y",
            vec![int("axis", -1)],
        ),
    ];
    let inits = vec![init("g1", &[4], &[1.0; 4]), init("g2", &[4], &[1.0; 4])];
    let m = load(&[1, 2, 4], nodes, inits).unwrap();
    let calibration = seeded_rows(16, 8);
    let x = [0.3, -1.2, 2.0, 0.1, 1.0, 1.5, -0.5, -2.0];
    let want = run(&m, &x).1;
    let got = proven_output(&m, &calibration, &x);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 0.02, "{got:?} vs {want:?}");
    }
}

/// ConvNeXt scales each block's branch by a learned layer scale initialised to 1e-6 before the
/// residual Add: the branch's scale lies more bits below the output's than one division spans,
/// so it is rounded first, and the sum stays the residual to within the output's resolution
/// (2^-8 here).
#[test]
fn a_residual_branch_far_finer_than_the_sum_is_rounded_before_the_add() {
    let nodes = vec![
        node("Mul", &["x", "gamma"], "branch", vec![]),
        node("Add", &["x", "branch"], "y", vec![]),
    ];
    let m = load(&[1, 8], nodes, vec![init("gamma", &[8], &[1e-6; 8])]).unwrap();
    let calibration = seeded_rows(16, 8);
    let x = [0.3, -1.2, 2.0, 0.1, 1.0, 1.5, -0.5, -2.0];
    let got = proven_output(&m, &calibration, &x);
    for (g, w) in got.iter().zip(&x) {
        assert!((g - w).abs() < 0.005, "{got:?} vs {x:?}");
    }
}

/// A Concat of tensors whose scales lie further apart than one rescale spans: the finer one is
/// rounded to the coarser scale in several steps (its values vanish there, as they do beside
/// the other operand in floating point at that resolution).
#[test]
fn a_concat_of_tensors_far_apart_in_scale_rounds_the_finer_in_steps() {
    let nodes = vec![
        node("Mul", &["x", "tiny"], "small", vec![]),
        node("Concat", &["x", "small"], "y", vec![int("axis", 1)]),
    ];
    let m = load(&[1, 8], nodes, vec![init("tiny", &[], &[1e-9])]).unwrap();
    let calibration = seeded_rows(16, 8);
    let x = [0.3, -1.2, 2.0, 0.1, 1.0, 1.5, -0.5, -2.0];
    let got = proven_output(&m, &calibration, &x);
    for (g, w) in got.iter().zip(x.iter().chain(&[0.0; 8])) {
        assert!((g - w).abs() < 0.005, "{got:?}");
    }
}

/// A model whose output is partly its own input (a Concat of the input with features): the
/// passed-through values are copied by a step of their own, so the circuit can expose them
/// (before, synthesis failed on the input's cells at the output).
#[test]
fn an_output_holding_the_input_itself_is_proven() {
    let nodes = vec![
        node("Relu", &["x"], "r", vec![]),
        node("Concat", &["x", "r"], "y", vec![int("axis", 1)]),
    ];
    let m = load(&[1, 8], nodes, vec![]).unwrap();
    let x = [0.3, -1.2, 2.0, 0.1, 1.0, 1.5, -0.5, -2.0];
    let got = proven_output(&m, &seeded_rows(16, 8), &x);
    let want = run(&m, &x).1;
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 0.005, "{got:?} vs {want:?}");
    }
}

/// One channel a hundred times smaller than the other, scaled back up later: at the 12 bits
/// the table's cost allows, the output misses the float model's by more than 1% of its range,
/// so compiling with the default options widens the activations until it does not.
#[test]
fn compile_widens_the_activations_when_the_default_width_misses_the_float_model() {
    use crate::prove::{compile, CompileOptions};
    let nodes = vec![
        node("Mul", &["x", "down"], "a", vec![]),
        node("Relu", &["a"], "r", vec![]),
        node("Mul", &["r", "up"], "y", vec![]),
    ];
    let inits = vec![
        init("down", &[2], &[1.0, 0.01]),
        init("up", &[2], &[1.0, 100.0]),
    ];
    let m = load(&[1, 2], nodes, inits).unwrap();
    let calibration = seeded_rows(16, 2);
    let range = calibration
        .iter()
        .flat_map(|x| run(&m, x).1)
        .fold(0f32, |r, v| r.max(v.abs())) as f64;
    let narrow = CompileOptions {
        act_bits: Some(12),
        ..CompileOptions::default()
    };
    let narrow = compile(&m, &calibration, &narrow).unwrap();
    assert!(
        narrow.max_abs_error > 0.01 * range,
        "{}",
        narrow.max_abs_error
    );
    let chosen = compile(&m, &calibration, &CompileOptions::default()).unwrap();
    assert!(chosen.graph.act_bits > 12);
    assert!(
        chosen.max_abs_error <= 0.01 * range,
        "{}",
        chosen.max_abs_error
    );
}

/// Arithmetic with a scalar or a per-channel constant (GELU's pieces, a preprocessing's
/// `x * 2 - 1`, a per-channel offset) holds each constant once: hidden weights commit what the
/// model holds, not one copy for every element of the activation it is broadcast over (a
/// ConvNeXt stage's GELU committed 6 M copies and no segment could hold it).
#[test]
fn broadcast_constants_are_committed_once_not_once_per_element() {
    let nodes = vec![
        node("Mul", &["x", "two"], "m", vec![]),
        node("Sub", &["m", "one"], "s", vec![]),
        node("Add", &["s", "per_channel"], "y", vec![]),
    ];
    let inits = vec![
        init("two", &[], &[2.0]),
        init("one", &[], &[1.0]),
        init("per_channel", &[1, 3, 1, 1], &[0.5, -0.25, 1.0]),
    ];
    let m = load(&[1, 3, 8, 8], nodes, inits).unwrap();
    let calibration = seeded_rows(8, 192);
    let compiled =
        crate::prove::compile(&m, &calibration, &crate::prove::CompileOptions::default()).unwrap();
    let committed: usize = crate::commitment::param_tensors(&compiled.graph)
        .iter()
        .map(|t| t.values.len())
        .sum();
    // The scale and its zero offset, the scalar, the three channel values.
    assert!(
        committed <= 6,
        "{committed} values committed for 192 elements"
    );
    let x = &calibration[3];
    let proven = proven_output(&m, &calibration, x);
    let offsets = [0.5, -0.25, 1.0];
    for (i, (&p, &v)) in proven.iter().zip(x).enumerate() {
        let want = v * 2.0 - 1.0 + offsets[i / 64];
        assert!((p - want).abs() < 0.01, "element {i}: {p} vs {want}");
    }
}

/// Constant nodes in every numeric form opset 12 allows: a scalar `value_float` factor, a
/// `value_floats` bias, a `value_ints` reshape target and a `value_int` exponent; a string
/// constant is refused by name.
#[test]
fn constant_nodes_of_every_numeric_attribute_form_are_read() {
    let attr = |name: &str, f: fn(&mut pb::AttributeProto)| {
        let mut a = pb::AttributeProto {
            name: name.into(),
            ..Default::default()
        };
        f(&mut a);
        a
    };
    let nodes = vec![
        node(
            "Constant",
            &[],
            "k",
            vec![attr("value_float", |a| a.f = 0.5)],
        ),
        node(
            "Constant",
            &[],
            "b",
            vec![attr("value_floats", |a| {
                a.floats = vec![1.0, 2.0, 3.0, 4.0]
            })],
        ),
        node(
            "Constant",
            &[],
            "to",
            vec![attr("value_ints", |a| a.ints = vec![1, 2, 2])],
        ),
        node("Constant", &[], "p", vec![attr("value_int", |a| a.i = 2)]),
        node("Mul", &["x", "k"], "half", vec![]),
        node("Add", &["half", "b"], "shifted", vec![]),
        node("Pow", &["shifted", "p"], "squared", vec![]),
        node("Reshape", &["squared", "to"], "y", vec![]),
    ];
    let m = load(&[1, 4], nodes, vec![]).unwrap();
    let (shape, y) = run(&m, &[2.0, 0.0, -2.0, 4.0]);
    assert_eq!((shape, y), (vec![1, 2, 2], vec![4.0, 4.0, 4.0, 36.0]));
    let text = vec![
        node(
            "Constant",
            &[],
            "s",
            vec![attr("value_string", |a| a.s = b"x".to_vec())],
        ),
        node("Add", &["x", "s"], "y", vec![]),
    ];
    let err = load(&[1, 4], text, vec![]).unwrap_err().to_string();
    assert!(
        err.contains("Constant") && err.contains("value_string"),
        "{err}"
    );
}

/// A graph with two outputs or two inputs is refused before anything is mapped, naming them.
#[test]
fn several_outputs_or_inputs_are_refused_by_name() {
    let mut graph = pb::GraphProto {
        node: vec![
            node("Relu", &["x"], "y", vec![]),
            node("Sigmoid", &["x"], "aux", vec![]),
        ],
        input: vec![super::tests::value("x", &[1, 2])],
        output: vec![
            super::tests::value("y", &[]),
            super::tests::value("aux", &[]),
        ],
        ..Default::default()
    };
    let err = Loader::load(&graph, "two", 17).unwrap_err().to_string();
    assert!(err.contains("found 2") && err.contains("\"aux\""), "{err}");
    graph.output.pop();
    graph.input.push(super::tests::value("mask", &[1, 2]));
    // An input no node reads is no part of the proof; one a node reads is.
    Loader::load(&graph, "two", 17).unwrap();
    graph.node[1].input[0] = "mask".into();
    let err = Loader::load(&graph, "two", 17).unwrap_err().to_string();
    assert!(err.contains("found 2") && err.contains("\"mask\""), "{err}");
}

/// An input declared `[batch, sequence, 4]` as exporters with dynamic axes write it: the batch
/// is 1, the sequence needs a value by name (`--dim sequence=N`); a name the input does not have
/// and a batch other than 1 are refused.
#[test]
fn symbolic_input_dimensions_take_values_by_name() {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    let mut x = super::tests::value("x", &[]);
    let dims = ["batch", "sequence"].map(|p| Dimension {
        value: Some(Value::DimParam(p.into())),
        ..Default::default()
    });
    let fixed = Dimension {
        value: Some(Value::DimValue(4)),
        ..Default::default()
    };
    if let Some(pb::type_proto::Value::TensorType(t)) =
        x.r#type.as_mut().and_then(|t| t.value.as_mut())
    {
        t.shape = Some(pb::TensorShapeProto {
            dim: vec![dims[0].clone(), dims[1].clone(), fixed],
        });
    }
    let graph = pb::GraphProto {
        node: vec![node("Relu", &["x"], "y", vec![])],
        input: vec![x],
        output: vec![super::tests::value("y", &[])],
        ..Default::default()
    };
    let load = |dims: &[(&str, usize)]| {
        let choices = OnnxChoices {
            dims: dims.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
            ..Default::default()
        };
        Loader::load_with(&graph, "dynamic", 17, &choices)
    };
    let err = load(&[]).unwrap_err().to_string();
    assert!(
        err.contains("'sequence'") && err.contains("--dim sequence=N"),
        "{err}"
    );
    let m = load(&[("sequence", 3)]).unwrap();
    assert_eq!(m.shapes[m.input], [1, 3, 4]);
    assert_eq!(
        load(&[("sequence", 3), ("batch", 1)]).unwrap().shapes[0],
        [1, 3, 4]
    );
    let err = load(&[("sequence", 3), ("seq", 2)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no dimension named 'seq'") && err.contains("sequence"),
        "{err}"
    );
    let err = load(&[("sequence", 3), ("batch", 2)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("'batch'"), "{err}");
}

/// A HuggingFace-style export reads `attention_mask` and `position_ids` beside its input: held
/// constant by name (ones, a range), they fold into the model like any constant; without them
/// the model is refused naming the inputs and the flag, and a name no input has is refused.
#[test]
fn inputs_besides_the_proven_one_are_held_constant_by_name() {
    let graph = pb::GraphProto {
        node: vec![
            node("Cast", &["attention_mask"], "mask", vec![int("to", 1)]),
            node("Mul", &["x", "mask"], "kept", vec![]),
            node("Cast", &["position_ids"], "pos", vec![int("to", 1)]),
            node("Add", &["kept", "pos"], "y", vec![]),
        ],
        input: vec![
            super::tests::value("x", &[1, 4]),
            super::tests::value("attention_mask", &[1, 4]),
            super::tests::value("position_ids", &[1, 4]),
        ],
        output: vec![super::tests::value("y", &[])],
        ..Default::default()
    };
    let load = |constants: &[(&str, InputFill)]| {
        let choices = OnnxChoices {
            constants: constants.iter().map(|&(n, f)| (n.to_string(), f)).collect(),
            ..Default::default()
        };
        Loader::load_with(&graph, "hf", 17, &choices)
    };
    let err = load(&[]).unwrap_err().to_string();
    assert!(
        err.contains("\"attention_mask\"") && err.contains("--constant-input"),
        "{err}"
    );
    let m = load(&[
        ("attention_mask", InputFill::Ones),
        ("position_ids", InputFill::Range),
    ])
    .unwrap();
    assert_eq!(run(&m, &[0.5, -1.0, 2.0, 0.0]).1, [0.5, 0.0, 4.0, 3.0]);
    let m = load(&[
        ("attention_mask", InputFill::Zeros),
        ("position_ids", InputFill::Zeros),
    ])
    .unwrap();
    assert_eq!(run(&m, &[1.0, 2.0, 3.0, 4.0]).1, [0.0; 4]);
    let err = load(&[("mask", InputFill::Ones)]).unwrap_err().to_string();
    assert!(err.contains("no graph input is named 'mask'"), "{err}");
    assert_eq!("range".parse::<InputFill>(), Ok(InputFill::Range));
    assert!("twos".parse::<InputFill>().is_err());
}

/// A language model exported with its key/value cache has several outputs: the one to prove is
/// chosen by name (`--output-tensor`), or any tensor inside the graph; only the nodes it needs
/// are loaded, so another output's operators (mapped or not) and inputs (here `past`, which
/// only the cache reads) do not matter. A name that is an input, or that no node writes, is
/// refused naming the graph's outputs.
#[test]
fn the_output_to_prove_is_chosen_by_name_and_only_its_nodes_are_loaded() {
    let graph = pb::GraphProto {
        node: vec![
            node("Relu", &["x"], "hidden", vec![]),
            node("Sigmoid", &["hidden"], "logits", vec![]),
            node(
                "Concat",
                &["past", "hidden"],
                "joined",
                vec![int("axis", 1)],
            ),
            node("NonZero", &["joined"], "present", vec![]),
        ],
        input: vec![
            super::tests::value("x", &[1, 2]),
            super::tests::value("past", &[1, 2]),
        ],
        output: vec![
            super::tests::value("logits", &[]),
            super::tests::value("present", &[]),
        ],
        ..Default::default()
    };
    let bytes = graph_file(graph);
    let load = |output: Option<&str>| {
        let choices = OnnxChoices {
            output: output.map(str::to_string),
            ..Default::default()
        };
        load_onnx_in(&bytes, "cached", "cached.onnx", None, &choices)
    };
    let err = load(None).unwrap_err().to_string();
    assert!(
        err.contains("\"present\"") && err.contains("--output-tensor NAME"),
        "{err}"
    );
    let m = load(Some("logits")).unwrap();
    assert_eq!(m.nodes.len(), 2, "only Relu and Sigmoid: {:?}", m.nodes);
    let (shape, y) = run(&m, &[-1.0, 0.0]);
    assert_eq!(shape, [1, 2]);
    assert_eq!(y, [0.5, 0.5]);
    let m = load(Some("hidden")).unwrap();
    assert_eq!(run(&m, &[-1.0, 3.0]).1, [0.0, 3.0]);
    // The cache, chosen, needs its own input.
    let err = load(Some("present")).unwrap_err().to_string();
    assert!(
        err.contains("\"past\"") && err.contains("--constant-input"),
        "{err}"
    );
    for (name, why) in [("x", "a graph input"), ("nope", "no node writes it")] {
        let err = load(Some(name)).unwrap_err().to_string();
        assert!(
            err.contains(&format!("'{name}'")) && err.contains(why) && err.contains("\"logits\""),
            "{err}"
        );
    }
}
