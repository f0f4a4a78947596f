//! The ONNX form of float TFLite graphs: the same function as the direct lowering on the float
//! fixtures, and the transformer operators' TFLite semantics on hand-built graphs.

use super::super::*;
use crate::ops::unary::Param;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

fn fixture(name: &str) -> TfGraph {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/tflite-ptq")
        .join(name);
    let bytes = std::fs::read(path).unwrap();
    parse(&bytes, name, name).unwrap()
}

fn through_onnx(g: &TfGraph) -> Result<Model> {
    let graph = super::graph_of(g, FinalSoftmax::Outside)?;
    crate::onnx::load_graph(&graph, &g.name, super::OPSET)
}

fn seeded(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn output(m: &Model, x: &[f32]) -> Vec<f32> {
    m.eval_float(x).unwrap()[m.output].data.clone()
}

#[test]
fn the_onnx_form_of_each_float_fixture_computes_what_the_direct_lowering_does() {
    // Convolutions, strided slices, SPLIT/SPLIT_V, UNPACK/PACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
    // GATHER and CONCATENATION, each read the other way.
    for name in [
        "op_strided_slice_float.tflite",
        "op_split_concat_float.tflite",
        "op_unpack_pack_float.tflite",
        "op_space_depth_gather_float.tflite",
    ] {
        let g = fixture(name);
        let direct = float::lower(&g, FinalSoftmax::Outside).unwrap();
        let onnx = through_onnx(&g).unwrap();
        assert_eq!(
            direct.shapes[direct.input], onnx.shapes[onnx.input],
            "{name}"
        );
        for seed in 0..3 {
            let x = seeded(g.tensors[g.input].len(), seed);
            let (a, b) = (output(&direct, &x), output(&onnx, &x));
            assert_eq!(a.len(), b.len(), "{name}");
            let worst = a
                .iter()
                .zip(&b)
                .map(|(p, q)| (p - q).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "{name}: the two lowerings differ by {worst}");
        }
    }
}

#[test]
fn an_operator_without_an_onnx_form_is_refused_by_name() {
    // The float16 MobileNetV3 block resizes (RESIZE_NEAREST_NEIGHBOR), which only the direct
    // lowering takes.
    let g = dequantize::widen_weights(&fixture("keras_mbv3_float16.tflite")).unwrap();
    let err = through_onnx(&g).unwrap_err().to_string();
    assert!(err.contains("RESIZE_NEAREST_NEIGHBOR"), "{err}");
}

fn float_tensor(name: &str, shape: &[usize], data: Option<&[f32]>) -> TfTensor {
    TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::F32,
        quant: None,
        data: data.map(|d| d.iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

fn op(kind: TfOpKind, inputs: &[usize], output: usize) -> TfOp {
    TfOp {
        kind,
        inputs: inputs.iter().map(|&i| Some(i)).collect(),
        outputs: vec![output],
    }
}

/// `a · b` for row-major `[n, k]` and `[k, m]`.
fn matmul(a: &[f32], b: &[f32], n: usize, k: usize, m: usize) -> Vec<f32> {
    (0..n * m)
        .map(|o| (0..k).map(|i| a[o / m * k + i] * b[i * m + o % m]).sum())
        .collect()
}

fn transposed(a: &[f32], n: usize, m: usize) -> Vec<f32> {
    (0..n * m).map(|o| a[(o % n) * m + o / n]).collect()
}

#[test]
fn batch_matmul_transposes_the_operands_its_flags_name_and_softmax_divide_and_squared_difference_follow_tflite(
) {
    // x [1, 3, 4]; g = x·xᵀ (adj_y) [1, 3, 3]; h = gᵀ·x (adj_x) [1, 3, 4];
    // s = softmax(0.5·h) over the last axis (in the middle: more follows);
    // d = (s - x)²; y = d / c for a constant c over the last axis.
    let c = [2.0f32, 4.0, 0.5, 1.0];
    let g = TfGraph {
        name: "transformer_ops".into(),
        tensors: vec![
            float_tensor("x", &[1, 3, 4], None),
            float_tensor("g", &[1, 3, 3], None),
            float_tensor("h", &[1, 3, 4], None),
            float_tensor("s", &[1, 3, 4], None),
            float_tensor("d", &[1, 3, 4], None),
            float_tensor("c", &[4], Some(&c)),
            float_tensor("y", &[1, 3, 4], None),
        ],
        ops: vec![
            op(
                TfOpKind::BatchMatMul {
                    adj_x: false,
                    adj_y: true,
                },
                &[0, 0],
                1,
            ),
            op(
                TfOpKind::BatchMatMul {
                    adj_x: true,
                    adj_y: false,
                },
                &[1, 0],
                2,
            ),
            op(
                TfOpKind::Softmax {
                    beta: Param::new(0.5),
                },
                &[2],
                3,
            ),
            op(TfOpKind::SquaredDifference, &[3, 0], 4),
            op(
                TfOpKind::Div {
                    act: FusedActivation::None,
                },
                &[4, 5],
                6,
            ),
        ],
        input: 0,
        output: 6,
    };
    let Loaded::Float(m) = lower(&g).unwrap() else {
        panic!("a float graph lowers to the float IR")
    };
    let x = seeded(12, 7);
    let gram = matmul(&x, &transposed(&x, 3, 4), 3, 4, 3);
    let h = matmul(&transposed(&gram, 3, 3), &x, 3, 3, 4);
    let mut want = Vec::new();
    for (r, row) in h.chunks(4).enumerate() {
        let top = row.iter().fold(f32::MIN, |a, &v| a.max(0.5 * v));
        let e: Vec<f32> = row.iter().map(|&v| (0.5 * v - top).exp()).collect();
        let sum: f32 = e.iter().sum();
        for (j, e) in e.iter().enumerate() {
            let d = e / sum - x[r * 4 + j];
            want.push(d * d / c[j]);
        }
    }
    let got = output(&m, &x);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-5, "{got:?} vs {want:?}");
}

/// DIV by a computed tensor (a sequence model's row norm) has no int8 lowering: refused by
/// name. (SQUARED_DIFFERENCE, once refused here too, is proven since the twenty-first session.)
#[test]
fn transformer_operators_in_an_int8_model_are_refused_by_name() {
    let mut g = fixture("op_tanh_int8.tflite");
    let x = g.ops[0].inputs[0];
    g.ops[0].kind = TfOpKind::Div {
        act: FusedActivation::None,
    };
    g.ops[0].inputs = vec![x, x];
    let err = lower(&g).err().unwrap().to_string();
    assert!(err.contains("DIV"), "{err}");
}
