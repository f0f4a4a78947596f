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

/// TFLite's TRANSPOSE_CONV by its definition (the reference kernel's scatter): input pixel
/// `(iy, ix)` adds `x·filter[o, ky, kx, i]` to output `(iy·s - pad + ky, ix·s - pad + kx)` where
/// that is inside the declared output, then the bias and, when `relu`, a ReLU.
#[allow(clippy::too_many_arguments)]
fn scattered(
    x: &[f32],
    [h, w, cin]: [usize; 3],
    filter: &[f32],
    [cout, kh, kw]: [usize; 3],
    bias: &[f32],
    stride: usize,
    [oh, ow]: [usize; 2],
    pad: usize,
    relu: bool,
) -> Vec<f32> {
    let mut out = vec![0f32; oh * ow * cout];
    for (iy, ix, ky, kx, o, i) in every_index(h, w, kh, kw, cout, cin) {
        let (oy, ox) = (
            (iy * stride + ky) as i64 - pad as i64,
            (ix * stride + kx) as i64 - pad as i64,
        );
        if (0..oh as i64).contains(&oy) && (0..ow as i64).contains(&ox) {
            out[(oy as usize * ow + ox as usize) * cout + o] +=
                x[(iy * w + ix) * cin + i] * filter[((o * kh + ky) * kw + kx) * cin + i];
        }
    }
    for (j, v) in out.iter_mut().enumerate() {
        *v += bias[j % cout];
        if relu {
            *v = v.max(0.0);
        }
    }
    out
}

/// Every `(a, b, c, d, e, f)` below the given bounds, in row-major order.
fn every_index(
    a: usize,
    b: usize,
    c: usize,
    d: usize,
    e: usize,
    f: usize,
) -> impl Iterator<Item = (usize, usize, usize, usize, usize, usize)> {
    let n = a * b * c * d * e * f;
    (0..n).map(move |j| {
        (
            j / (b * c * d * e * f),
            j / (c * d * e * f) % b,
            j / (d * e * f) % c,
            j / (e * f) % d,
            j / f % e,
            j % f,
        )
    })
}

/// A float model's TRANSPOSE_CONV (Conv2DTranspose) goes through the ONNX mapping as
/// ConvTranspose and computes TFLite's scatter: "same" with odd and even kernels (the odd
/// padding at the end), "valid", a declared output past the scatter, and one without a bias or
/// an activation. The leading pads are TFLite's (`ComputePaddingHeightWidth` with the output
/// in the input's role), worked out by hand.
#[test]
fn a_float_transpose_conv_is_tflites_scatter() {
    for (padding, stride, kernel, (h, w), (oh, ow), pad, bias_and_relu) in [
        // steps 4, total 3·2 + 3 - 8 = 1: none before.
        (Padding::Same, 2, 3, (4, 3), (8, 6), 0, true),
        // total 3·2 + 4 - 8 = 2: one before.
        (Padding::Same, 2, 4, (4, 3), (8, 6), 1, true),
        // steps 3, total 2·3 + 5 - 9 = 2: one before.
        (Padding::Same, 3, 5, (3, 3), (9, 9), 1, false),
        (Padding::Valid, 1, 3, (4, 3), (6, 5), 0, true),
        // 8 is past the scatter's 7: the last row and column are the bias alone.
        (Padding::Valid, 2, 3, (3, 3), (8, 8), 0, true),
    ] {
        let (cin, cout) = (3, 2);
        let filter = seeded(cout * kernel * kernel * cin, 11);
        let bias = if bias_and_relu {
            seeded(cout, 12)
        } else {
            vec![0.0; cout]
        };
        let shape = [1, oh as i32, ow as i32, cout as i32];
        let mut g = TfGraph {
            name: "transpose_conv".into(),
            tensors: vec![
                TfTensor {
                    name: "output_shape".into(),
                    shape: vec![4],
                    dtype: TfType::I32,
                    quant: None,
                    data: Some(shape.iter().flat_map(|v| v.to_le_bytes()).collect()),
                },
                float_tensor("filter", &[cout, kernel, kernel, cin], Some(&filter)),
                float_tensor("x", &[1, h, w, cin], None),
                float_tensor("bias", &[cout], Some(&bias)),
                float_tensor("y", &[1, oh, ow, cout], None),
            ],
            ops: vec![op(
                TfOpKind::TransposeConv {
                    padding,
                    stride: [stride; 2],
                    act: if bias_and_relu {
                        FusedActivation::Relu
                    } else {
                        FusedActivation::None
                    },
                },
                &[0, 1, 2, 3],
                4,
            )],
            input: 2,
            output: 4,
        };
        if !bias_and_relu {
            g.ops[0].inputs[3] = None;
        }
        let what = format!("{padding:?} stride {stride} kernel {kernel} to {oh}x{ow}");
        let Loaded::Float(m) = lower(&g).unwrap() else {
            panic!("{what}: a float graph lowers to the float IR")
        };
        let x = seeded(h * w * cin, 13);
        let want = scattered(
            &x,
            [h, w, cin],
            &filter,
            [cout, kernel, kernel],
            &bias,
            stride,
            [oh, ow],
            pad,
            bias_and_relu,
        );
        // The model's input and 4-D output are NCHW.
        let got = output(&m, &nchw_of(&x, [h, w, cin]));
        let worst = got
            .iter()
            .zip(nchw_of(&want, [oh, ow, cout]))
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max);
        assert_eq!(got.len(), want.len(), "{what}");
        assert!(worst < 1e-5, "{what}: off by {worst}");
    }
}

fn nchw_of(v: &[f32], [h, w, c]: [usize; 3]) -> Vec<f32> {
    (0..v.len())
        .map(|j| v[(j % (h * w)) * c + j / (h * w)])
        .collect()
}
