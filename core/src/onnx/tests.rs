//! The loader's mapping of each operator, checked on hand-written graphs.

use super::*;
use pb::tensor_shape_proto::{dimension, Dimension};
use pb::{AttributeProto, GraphProto, TensorShapeProto, TypeProto, ValueInfoProto};

pub(crate) fn init(name: &str, dims: &[i64], values: &[f32]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

pub(crate) fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        ..Default::default()
    }
}

pub(crate) fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i,
        ..Default::default()
    }
}

pub(crate) fn string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

pub(crate) fn float(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f,
        ..Default::default()
    }
}

pub(crate) fn node(
    op: &str,
    inputs: &[&str],
    output: &str,
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: format!("{op}_node"),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

pub(crate) fn value(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| Dimension {
            value: Some(dimension::Value::DimValue(d)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An int8 or uint8 constant, stored as raw bytes as onnxruntime writes them.
pub(crate) fn stored(
    name: &str,
    dims: &[i64],
    data_type: DataType,
    values: &[i64],
) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: data_type as i32,
        raw_data: values.iter().map(|&v| v as u8).collect(),
        ..Default::default()
    }
}

/// A graph of `nodes` reading input `x` of `dims` and producing `y`.
pub(crate) fn graph_of(
    dims: &[i64],
    nodes: Vec<NodeProto>,
    inits: Vec<pb::TensorProto>,
) -> GraphProto {
    GraphProto {
        node: nodes,
        initializer: inits,
        input: vec![value("x", dims)],
        output: vec![value("y", &[])],
        ..Default::default()
    }
}

/// A quantized graph rewritten into the network it simulates and loaded, evaluated on `x`.
pub(crate) fn run_simulated(mut g: GraphProto, x: &[f32]) -> Vec<f32> {
    qdq::simulated_network(&mut g).unwrap();
    let m = Loader::load(&g, "quantized", 13).unwrap();
    m.eval_float(x).unwrap()[m.output].data.clone()
}

/// Why a quantized graph is refused, by its rewrite or its loading.
pub(crate) fn simulated_refusal(mut g: GraphProto) -> String {
    qdq::simulated_network(&mut g)
        .and_then(|()| Loader::load(&g, "quantized", 13))
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

/// A graph reading input `x` of `dims` and producing `y`.
pub(crate) fn load(
    dims: &[i64],
    nodes: Vec<NodeProto>,
    inits: Vec<pb::TensorProto>,
) -> Result<Model> {
    let graph = GraphProto {
        node: nodes,
        initializer: inits,
        input: vec![value("x", dims)],
        output: vec![value("y", &[])],
        ..Default::default()
    };
    Loader::load(&graph, "test", 13)
}

pub(crate) fn run(model: &Model, x: &[f32]) -> (Vec<usize>, Vec<f32>) {
    let out = &model.eval_float(x).unwrap()[model.output];
    (out.shape.clone(), out.data.clone())
}

fn one_to(n: usize) -> Vec<f32> {
    (1..=n).map(|v| v as f32).collect()
}

#[test]
fn depthwise_conv_with_stride_two_and_tf_same_padding() {
    // MobileNet's Conv1/downsampling layers: 3x3, stride 2, pads only bottom/right.
    // Channel 0: a box sum; channel 1: the centre tap, plus a bias of 0.5.
    let mut w = vec![1.0; 9];
    w.extend([0., 0., 0., 0., 1., 0., 0., 0., 0.]);
    let conv = node(
        "Conv",
        &["x", "w", "b"],
        "y",
        vec![
            int("group", 2),
            ints("kernel_shape", &[3, 3]),
            ints("pads", &[0, 0, 1, 1]),
            ints("strides", &[2, 2]),
        ],
    );
    let model = load(
        &[1, 2, 4, 4],
        vec![conv],
        vec![init("w", &[2, 1, 3, 3], &w), init("b", &[2], &[0.0, 0.5])],
    )
    .unwrap();
    // Channel 0 holds 1..16 row-major; channel 1 holds -1..-16.
    let mut x = one_to(16);
    x.extend(one_to(16).iter().map(|v| -v));
    let (shape, y) = run(&model, &x);
    assert_eq!(shape, vec![1, 2, 2, 2]);
    // Windows at rows/cols {0,1,2} and {2,3,(pad)}: 1+2+3+5+6+7+9+10+11 = 54,
    // 3+4+7+8+11+12 = 45, 9+10+11+13+14+15 = 72, 11+12+15+16 = 54. Centres: 6, 8, 14, 16.
    assert_eq!(y, vec![54., 45., 72., 54., -5.5, -7.5, -13.5, -15.5]);
}

#[test]
fn clip_with_bounds_as_inputs_and_as_attributes() {
    let x = [-8.0, -0.5, 0.0, 3.0, 6.0, 7.5];
    // Opset 11+: min and max are (constant) inputs; ReLU6.
    let relu6 = load(
        &[1, 6],
        vec![node("Clip", &["x", "lo", "hi"], "y", vec![])],
        vec![init("lo", &[], &[0.0]), init("hi", &[], &[6.0])],
    )
    .unwrap();
    assert_eq!(run(&relu6, &x).1, vec![0., 0., 0., 3., 6., 6.]);
    // Only a max: the min input is left empty.
    let max_only = load(
        &[1, 6],
        vec![node("Clip", &["x", "", "hi"], "y", vec![])],
        vec![init("hi", &[1], &[1.0])],
    )
    .unwrap();
    assert_eq!(run(&max_only, &x).1, vec![-8., -0.5, 0., 1., 1., 1.]);
    // Opset 6: attributes.
    let attrs = vec![
        AttributeProto {
            name: "min".into(),
            f: -1.0,
            ..Default::default()
        },
        AttributeProto {
            name: "max".into(),
            f: 2.0,
            ..Default::default()
        },
    ];
    let old = load(&[1, 6], vec![node("Clip", &["x"], "y", attrs)], vec![]).unwrap();
    assert_eq!(run(&old, &x).1, vec![-1., -0.5, 0., 2., 2., 2.]);
}

#[test]
fn global_average_pool_averages_each_channel() {
    let model = load(
        &[1, 2, 2, 3],
        vec![node("GlobalAveragePool", &["x"], "y", vec![])],
        vec![],
    )
    .unwrap();
    let (shape, y) = run(&model, &one_to(12));
    assert_eq!(shape, vec![1, 2, 1, 1]);
    // (1+...+6)/6 and (7+...+12)/6.
    assert_eq!(y, vec![3.5, 9.5]);
}

#[test]
fn prelu_division_log_softmax_log_and_sqrt_compute_what_onnx_defines() {
    let close = |got: &[f32], want: &[f32]| {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    };
    // PRelu with one slope per channel of [1, 2, 1, 2].
    let m = load(
        &[1, 2, 1, 2],
        vec![node("PRelu", &["x", "s"], "y", vec![])],
        vec![init("s", &[2, 1, 1], &[0.5, -2.0])],
    )
    .unwrap();
    close(&run(&m, &[-2., 3., -1., 4.]).1, &[-1., 3., 2., 4.]);
    // One slope per element over the last two axes (Keras's PReLU default), broadcast over
    // the channels, and one per column.
    let m = load(
        &[1, 2, 1, 2],
        vec![node("PRelu", &["x", "s"], "y", vec![])],
        vec![init("s", &[1, 2], &[0.5, -2.0])],
    )
    .unwrap();
    close(&run(&m, &[-2., 3., -1., 4.]).1, &[-1., 3., -0.5, 4.]);
    let m = load(
        &[1, 2, 1, 2],
        vec![node("PRelu", &["x", "s"], "y", vec![])],
        vec![init("s", &[2, 1, 2], &[0.5, -2.0, 0.25, 3.0])],
    )
    .unwrap();
    close(&run(&m, &[-2., -3., -4., 4.]).1, &[-1., 6., -1., 4.]);
    // A slope that does not broadcast is refused.
    let err = load(
        &[1, 2, 1, 2],
        vec![node("PRelu", &["x", "s"], "y", vec![])],
        vec![init("s", &[3], &[0.5, -2.0, 1.0])],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("PRelu"), "{err}");
    // A scalar slope is the LeakyRelu table.
    let m = load(
        &[1, 3],
        vec![node("PRelu", &["x", "s"], "y", vec![])],
        vec![init("s", &[1], &[0.1])],
    )
    .unwrap();
    assert!(matches!(m.nodes[0].op, Op::Unary(_)));
    close(&run(&m, &[-2., 0., 5.]).1, &[-0.2, 0., 5.]);
    // x / softplus(x)-like divisor: a computed tensor broadcast over the dividend.
    let m = load(
        &[1, 2],
        vec![
            node("Exp", &["x"], "e", vec![]),
            node("Div", &["x", "e"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    let x: [f32; 2] = [1.0, -0.5];
    close(&run(&m, &x).1, &[1.0 / 1f32.exp(), -0.5 / (-0.5f32).exp()]);
    // LogSoftmax over the last axis, Log and Sqrt.
    let m = load(
        &[1, 3],
        vec![node("LogSoftmax", &["x"], "y", vec![])],
        vec![],
    )
    .unwrap();
    let x = [1.0f32, 2.0, 4.0];
    let lse = x.iter().map(|v| v.exp()).sum::<f32>().ln();
    close(&run(&m, &x).1, &[1.0 - lse, 2.0 - lse, 4.0 - lse]);
    let m = load(
        &[1, 2],
        vec![
            node("Sqrt", &["x"], "r", vec![]),
            node("Log", &["r"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    close(&run(&m, &[4., 9.]).1, &[2f32.ln(), 3f32.ln()]);
}

#[test]
fn flatten_keeps_the_values_in_order() {
    let model = load(
        &[1, 2, 1, 2],
        vec![node("Flatten", &["x"], "y", vec![int("axis", 1)])],
        vec![],
    )
    .unwrap();
    assert_eq!(
        run(&model, &[4., 3., 2., 1.]),
        (vec![1, 4], vec![4., 3., 2., 1.])
    );
}

#[test]
fn gemm_with_and_without_transposed_weights() {
    // y = x·W + b with W [3, 2] (Keras' Logits layer: no transB), and the same through
    // transB=1 with W stored [2, 3], alpha 2 and beta 0.5.
    let x = [1.0, 2.0, 3.0];
    let plain = load(
        &[1, 3],
        vec![node("Gemm", &["x", "w", "b"], "y", vec![])],
        vec![
            init("w", &[3, 2], &[1., 0., 0., 1., 1., -1.]),
            init("b", &[2], &[10., 20.]),
        ],
    )
    .unwrap();
    // [1+0+3, 0+2-3] + [10, 20]
    assert_eq!(run(&plain, &x), (vec![1, 2], vec![14., 19.]));
    let attrs = vec![
        int("transB", 1),
        AttributeProto {
            name: "alpha".into(),
            f: 2.0,
            ..Default::default()
        },
        AttributeProto {
            name: "beta".into(),
            f: 0.5,
            ..Default::default()
        },
    ];
    let transposed = load(
        &[1, 3],
        vec![node("Gemm", &["x", "w", "b"], "y", attrs)],
        vec![
            init("w", &[2, 3], &[1., 0., 1., 0., 1., -1.]),
            init("b", &[1, 2], &[10., 20.]),
        ],
    )
    .unwrap();
    // alpha·x·Wᵀ + beta·b = 2·[4, -1] + 0.5·[10, 20]
    assert_eq!(run(&transposed, &x).1, vec![8. + 5., -2. + 10.]);
}

#[test]
fn residual_add_of_two_computed_tensors() {
    // y = x + relu(x): MobileNet's inverted-residual shortcut.
    let model = load(
        &[1, 4],
        vec![
            node("Relu", &["x"], "r", vec![]),
            node("Add", &["x", "r"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    assert_eq!(run(&model, &[-2., -0.5, 1., 3.]).1, vec![-2., -0.5, 2., 6.]);
}

#[test]
fn malformed_nodes_are_typed_errors() {
    let unsupported_op = |r: Result<Model>| match r {
        Err(Error::UnsupportedOp { op, node, detail }) => format!("{op} {node}{detail}"),
        other => panic!("expected UnsupportedOp, got {other:?}"),
    };
    // Bounds computed from the input, and bounds that are not scalars.
    let e = unsupported_op(load(
        &[1, 2],
        vec![node("Clip", &["x", "x"], "y", vec![])],
        vec![],
    ));
    assert!(e.contains("must be a constant"), "{e}");
    let e = unsupported_op(load(
        &[1, 2],
        vec![node("Clip", &["x", "lo"], "y", vec![])],
        vec![init("lo", &[2], &[0., 1.])],
    ));
    assert!(e.contains("scalars"), "{e}");
    // An operator we do not map, named with its node.
    let e = unsupported_op(load(
        &[1, 2],
        vec![node("Hardmax", &["x"], "y", vec![])],
        vec![],
    ));
    assert_eq!(e, "Hardmax Hardmax_node");
    let e = unsupported_op(load(
        &[1, 1, 3],
        vec![node("Gemm", &["x", "w"], "y", vec![])],
        vec![init("w", &[3, 2], &[0.; 6])],
    ));
    assert!(e.contains("takes a matrix"), "{e}");
    // transA of [1, 3] is [3, 1]: rows of one value for weights that take three.
    let r = load(
        &[1, 3],
        vec![node("Gemm", &["x", "w"], "y", vec![int("transA", 1)])],
        vec![init("w", &[3, 2], &[0.; 6])],
    );
    assert!(
        matches!(&r, Err(Error::InvalidModel(m)) if m.contains("rows of 3 values")),
        "{r:?}"
    );
    // A group that does not divide the channels; a weight whose size lies about its shape.
    let conv = |group| node("Conv", &["x", "w"], "y", vec![int("group", group)]);
    let r = load(
        &[1, 3, 2, 2],
        vec![conv(2)],
        vec![init("w", &[2, 1, 1, 1], &[1., 1.])],
    );
    assert!(matches!(r, Err(Error::InvalidModel(_))), "{r:?}");
    let r = load(
        &[1, 2, 2, 2],
        vec![conv(2)],
        vec![init("w", &[2, 1, 1, 1], &[1.])],
    );
    assert!(matches!(r, Err(Error::MalformedModel { .. })), "{r:?}");
    // GlobalAveragePool of a 2-D tensor; Reshape to a size that does not fit.
    let e = unsupported_op(load(
        &[1, 4],
        vec![node("GlobalAveragePool", &["x"], "y", vec![])],
        vec![],
    ));
    assert!(e.contains("input shape"), "{e}");
    let r = load(
        &[1, 4],
        vec![node("Reshape", &["x", "s"], "y", vec![])],
        vec![init("s", &[2], &[3., -1.])],
    );
    assert!(matches!(r, Err(Error::UnsupportedOp { .. })), "{r:?}");
}

/// `x` of `dims` reshaped to `to` (a graph input has batch 1; the node under test may not).
fn reshaped(to: &[i64], next: NodeProto) -> (Vec<NodeProto>, pb::TensorProto) {
    let to_f: Vec<f32> = to.iter().map(|&d| d as f32).collect();
    let mut next = next;
    next.input[0] = "x2".into();
    (
        vec![node("Reshape", &["x", "to"], "x2", vec![]), next],
        init("to", &[to.len() as i64], &to_f),
    )
}

#[test]
fn gemm_multiplies_every_row_and_transposes_a_when_asked() {
    // A = [[1, 2, 3], [4, 5, 6]] (transA: given as its transpose), B = [3, 2], C per row.
    let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    let (nodes, to) = reshaped(
        &[3, 2],
        node("Gemm", &["x", "b", "c"], "y", vec![int("transA", 1)]),
    );
    let model = load(
        &[1, 6],
        nodes,
        vec![
            to,
            init("b", &[3, 2], &b),
            init("c", &[2, 1], &[10.0, 20.0]),
        ],
    )
    .unwrap();
    // x = A^T row-major: [[1, 4], [2, 5], [3, 6]].
    let (shape, y) = run(&model, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(shape, vec![2, 2]);
    // Row 1: [1 + 3, 2 + 3] + 10; row 2: [4 + 6, 5 + 6] + 20.
    assert_eq!(y, vec![14.0, 15.0, 30.0, 31.0]);
}

#[test]
fn same_auto_padding_keeps_the_size_and_puts_the_odd_pad_where_onnx_says() {
    // A 2x2 box sum over 3x3, stride 1: one row and column of padding, at the end (UPPER) or
    // the start (LOWER).
    for (mode, want) in [
        ("SAME_UPPER", [12., 16., 9., 24., 28., 15., 15., 17., 9.]),
        ("SAME_LOWER", [1., 3., 5., 5., 12., 16., 11., 24., 28.]),
    ] {
        let mut attrs = vec![ints("kernel_shape", &[2, 2])];
        attrs.push(AttributeProto {
            name: "auto_pad".into(),
            s: mode.as_bytes().to_vec(),
            ..Default::default()
        });
        let conv = node("Conv", &["x", "w"], "y", attrs);
        let model = load(
            &[1, 1, 3, 3],
            vec![conv],
            vec![init("w", &[1, 1, 2, 2], &[1.0; 4])],
        )
        .unwrap();
        let (shape, y) = run(&model, &one_to(9));
        assert_eq!(shape, vec![1, 1, 3, 3], "{mode}");
        assert_eq!(y, want.to_vec(), "{mode}");
    }
}

#[test]
fn pad_with_a_nonzero_constant_fills_only_the_border() {
    let pad = node("Pad", &["x", "pads", "value"], "y", vec![]);
    let model = load(
        &[1, 2],
        vec![pad],
        vec![
            init("pads", &[4], &[0.0, 1.0, 0.0, 2.0]),
            init("value", &[], &[-1.5]),
        ],
    )
    .unwrap();
    let (shape, y) = run(&model, &[3.0, 4.0]);
    assert_eq!(shape, vec![1, 5]);
    assert_eq!(y, vec![-1.5, 3.0, 4.0, -1.5, -1.5]);
}

#[test]
fn softmax_and_reductions_over_a_middle_axis_move_it_last_and_back() {
    // [1, 3, 2]: three classes (axis 1) at each of two positions, {0, 1, 2} and {1, 1, 2}.
    let x = [0.0, 1.0, 1.0, 1.0, 2.0, 2.0];
    let softmax = load(
        &[1, 3, 2],
        vec![node("Softmax", &["x"], "y", vec![int("axis", 1)])],
        vec![],
    )
    .unwrap();
    let (shape, y) = run(&softmax, &x);
    assert_eq!(shape, vec![1, 3, 2]);
    let e = |v: f32| v.exp();
    let (s0, s1) = (e(0.0) + e(1.0) + e(2.0), 2.0 * e(1.0) + e(2.0));
    let want = [
        e(0.0) / s0,
        e(1.0) / s1,
        e(1.0) / s0,
        e(1.0) / s1,
        e(2.0) / s0,
        e(2.0) / s1,
    ];
    for (g, w) in y.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{y:?}");
    }
    let mean = load(
        &[1, 3, 2],
        vec![node(
            "ReduceMean",
            &["x"],
            "y",
            vec![ints("axes", &[1]), int("keepdims", 0)],
        )],
        vec![],
    )
    .unwrap();
    let (shape, y) = run(&mean, &x);
    assert_eq!(shape, vec![1, 2]);
    assert_eq!(y, vec![1.0, 4.0 / 3.0]);
}

#[test]
fn hostile_conv_transpose_and_auto_pad_attributes_are_typed_errors() {
    let unsupported_or_invalid = |r: Result<Model>| {
        assert!(
            matches!(
                r,
                Err(Error::UnsupportedOp { .. }) | Err(Error::InvalidModel(_))
            ),
            "{r:?}"
        )
    };
    let w = init("w", &[2, 1, 2, 2], &[1.0; 8]);
    for attrs in [
        vec![int("group", 1 << 40)],
        vec![ints("output_shape", &[i64::MIN, 3])],
        vec![ints("output_shape", &[i64::MAX, 3])],
        vec![ints("strides", &[0, 1])],
        vec![ints("pads", &[-1, 0, 0, 0])],
    ] {
        let node = node("ConvTranspose", &["x", "w"], "y", attrs);
        unsupported_or_invalid(load(&[1, 2, 3, 3], vec![node], vec![w.clone()]));
    }
    // SAME padding with extreme strides and dilations: the padding arithmetic saturates (no
    // overflow); a huge stride gives the one window ONNX defines, a huge dilation windows that
    // read only padding.
    let same = AttributeProto {
        name: "auto_pad".into(),
        s: b"SAME_UPPER".to_vec(),
        ..Default::default()
    };
    let conv = |name: &str, v: i64| {
        let attrs = vec![
            same.clone(),
            ints("kernel_shape", &[2, 2]),
            ints(name, &[v, v]),
        ];
        let conv = node("Conv", &["x", "w"], "y", attrs);
        load(
            &[1, 1, 3, 3],
            vec![conv],
            vec![init("w", &[1, 1, 2, 2], &[1.0; 4])],
        )
    };
    let (shape, y) = run(&conv("strides", i64::MAX).unwrap(), &one_to(9));
    assert_eq!((shape, y), (vec![1, 1, 1, 1], vec![12.0]));
    let (shape, y) = run(&conv("dilations", 1 << 62).unwrap(), &one_to(9));
    assert_eq!((shape, y), (vec![1, 1, 3, 3], vec![0.0; 9]));
}

pub(crate) fn int64s(name: &str, dims: &[i64], values: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

/// PyTorch's `x.view(x.size(0), -1)`: Shape, Gather, Unsqueeze, Concat, then Reshape; and a
/// TensorFlow-style `Shape → Slice → Concat` with arithmetic on the sizes. Both fold into
/// constant reshape targets.
#[test]
fn shape_arithmetic_is_folded_into_constant_reshape_targets() {
    let mut unsqueeze = node("Unsqueeze", &["n", "axes0"], "n1", vec![]);
    unsqueeze.name = "unsqueeze".into();
    let mut gather = node("Gather", &["s", "zero"], "n", vec![int("axis", 0)]);
    gather.name = "gather".into();
    let nodes = vec![
        node("Relu", &["x"], "r", vec![]),
        node("Shape", &["r"], "s", vec![]),
        gather,
        unsqueeze,
        node("Concat", &["n1", "minus1"], "shape", vec![int("axis", 0)]),
        node("Reshape", &["r", "shape"], "y", vec![]),
    ];
    let inits = vec![
        int64s("zero", &[], &[0]),
        int64s("minus1", &[1], &[-1]),
        int64s("axes0", &[1], &[0]),
    ];
    let m = load(&[1, 2, 3, 4], nodes, inits).unwrap();
    let x: Vec<f32> = (0..24).map(|i| i as f32 - 12.0).collect();
    let (shape, values) = run(&m, &x);
    assert_eq!(shape, [1, 24]);
    assert_eq!(values, x.iter().map(|v| v.max(0.0)).collect::<Vec<_>>());

    // [1, 2, 3, 4] -> [1, 2, 12]: the last two sizes sliced off and multiplied.
    let nodes = vec![
        node("Shape", &["x"], "s", vec![]),
        node("Slice", &["s", "zero1", "two1"], "head", vec![]),
        node("Slice", &["s", "two1", "four1"], "tail", vec![]),
        node("ReduceProd", &["tail"], "p", vec![]),
        node("Concat", &["head", "p"], "shape", vec![int("axis", 0)]),
        node("Reshape", &["x", "shape"], "y", vec![]),
    ];
    let inits = vec![
        int64s("zero1", &[1], &[0]),
        int64s("two1", &[1], &[2]),
        int64s("four1", &[1], &[4]),
    ];
    // The Shape of a constant is its shape (tf2onnx reshapes by an initializer's).
    let by_constant = vec![
        node("Shape", &["like"], "s", vec![]),
        node("Reshape", &["x", "s"], "y", vec![]),
    ];
    let m = load(
        &[1, 2, 3, 4],
        by_constant,
        vec![init("like", &[1, 2, 12], &[0.0; 24])],
    )
    .unwrap();
    assert_eq!(run(&m, &x).0, [1, 2, 12]);
    // ReduceProd of constants folds (tf2onnx counts a LayerNorm's elements so).
    let m = load(&[1, 2, 3, 4], nodes.clone(), inits.clone()).unwrap();
    assert_eq!(run(&m, &x).0, [1, 2, 12]);
    // So do ReduceSum, ReduceMax and ReduceMin, over given axes, keeping them or not.
    let mut summed = nodes.clone();
    summed[3] = node(
        "ReduceSum",
        &["tail"],
        "p",
        vec![ints("axes", &[0]), int("keepdims", 1)],
    );
    // [1, 3, 2, 2] -> [1, 3, 2 + 2].
    let m = load(&[1, 3, 2, 2], summed, inits.clone()).unwrap();
    assert_eq!(run(&m, &[0.0; 12]).0, [1, 3, 4]);
    for (op, dims, want) in [
        ("ReduceMax", [1, 2, 4, 3], 4),
        ("ReduceMin", [1, 2, 3, 4], 3),
    ] {
        let mut n = nodes.clone();
        n[3] = node(op, &["tail"], "p", vec![int("keepdims", 0)]);
        // A rank-0 extreme, concatenated as one more size after a Unsqueeze.
        n.insert(4, node("Unsqueeze", &["p", "zero1"], "p1", vec![]));
        n[5] = node(
            "Concat",
            &["head", "p1", "one1"],
            "shape2",
            vec![int("axis", 0)],
        );
        n[6] = node("Reshape", &["x", "shape2"], "y", vec![]);
        n.truncate(7);
        let mut i = inits.clone();
        i.push(int64s("one1", &[1], &[-1]));
        let m = load(&dims, n, i).unwrap();
        assert_eq!(run(&m, &[0.0; 24]).0[2], want, "{op}");
    }
    let mut nodes = nodes;
    nodes[3] = node("Mul", &["t0", "t1"], "p", vec![]);
    nodes.insert(3, node("Slice", &["tail", "zero1", "one1"], "t0", vec![]));
    nodes.insert(4, node("Slice", &["tail", "one1", "two1"], "t1", vec![]));
    let mut inits = inits;
    inits.push(int64s("one1", &[1], &[1]));
    let m = load(&[1, 2, 3, 4], nodes, inits).unwrap();
    let (shape, values) = run(&m, &x);
    assert_eq!(shape, [1, 2, 12]);
    assert_eq!(values, x);
}

/// Shape arithmetic on activations is not folded, and says so; a folded division by zero and
/// an oversized ConstantOfShape are typed errors.
#[test]
fn shape_operators_on_activations_and_hostile_constants_are_typed_errors() {
    let err = load(&[1, 4], vec![node("Not", &["x"], "y", vec![])], vec![])
        .err()
        .unwrap()
        .to_string();
    // Not of a float activation: a boolean operator over a tensor that may hold fractions.
    assert!(err.contains("Not") && err.contains("non-integers"), "{err}");
    // A product over an activation is not shape arithmetic either.
    let err = load(
        &[1, 4],
        vec![node("ReduceProd", &["x"], "y", vec![])],
        vec![],
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("ReduceProd"), "{err}");
    let div = vec![
        node("Div", &["a", "z"], "d", vec![]),
        node("Reshape", &["x", "d"], "y", vec![]),
    ];
    let inits = vec![int64s("a", &[1], &[4]), int64s("z", &[1], &[0])];
    let err = load(&[1, 4], div, inits).err().unwrap().to_string();
    assert!(err.contains("division by zero"), "{err}");
    let huge = vec![
        node("ConstantOfShape", &["dims"], "c", vec![]),
        node("Reshape", &["x", "c"], "y", vec![]),
    ];
    let inits = vec![int64s("dims", &[2], &[1 << 20, 1 << 20])];
    let err = load(&[1, 4], huge, inits).err().unwrap().to_string();
    assert!(err.contains("2^20"), "{err}");
}

/// A Keras LayerNormalization as tf2onnx writes it: the features viewed as `[1, 1, n, 1]`, their
/// mean and the mean of the centred squares (ReduceSumSquare over a constant count) feeding a
/// BatchNormalization as its statistics, the learned scale and offset after it. The float
/// evaluation is the definition, and the compiled circuit accepts its witness.
#[test]
fn a_batch_normalization_of_computed_statistics_is_the_layer_norm_tf2onnx_writes() {
    let n = 6usize;
    let nodes = vec![
        node("Reshape", &["x", "view"], "v", vec![]),
        node(
            "ReduceMean",
            &["v"],
            "mean",
            vec![ints("axes", &[0, 2, 3]), int("keepdims", 1)],
        ),
        node("Sub", &["v", "mean"], "d", vec![]),
        node(
            "ReduceSumSquare",
            &["d"],
            "ss",
            vec![ints("axes", &[0, 2, 3]), int("keepdims", 0)],
        ),
        node("Squeeze", &["mean", "axes"], "m", vec![]),
        node("Div", &["ss", "count"], "var", vec![]),
        node(
            "BatchNormalization",
            &["v", "one", "zero", "m", "var"],
            "bn",
            vec![float("epsilon", 1e-3)],
        ),
        node("Reshape", &["bn", "back"], "r", vec![]),
        node("Mul", &["r", "gamma"], "g", vec![]),
        node("Add", &["g", "beta"], "y", vec![]),
    ];
    let gamma: Vec<f32> = (0..n).map(|i| 0.5 + i as f32 / 4.0).collect();
    let beta: Vec<f32> = (0..n).map(|i| i as f32 / 10.0 - 0.2).collect();
    let inits = vec![
        int64s("view", &[4], &[1, 1, n as i64, 1]),
        int64s("back", &[2], &[1, n as i64]),
        int64s("axes", &[3], &[0, 2, 3]),
        init("count", &[], &[n as f32]),
        init("one", &[1], &[1.0]),
        init("zero", &[1], &[0.0]),
        init("gamma", &[n as i64], &gamma),
        init("beta", &[n as i64], &beta),
    ];
    let m = load(&[1, n as i64], nodes, inits).unwrap();
    let x = [0.3f32, -1.2, 2.0, 0.7, -0.4, 1.1];
    let mean = x.iter().sum::<f32>() / n as f32;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n as f32;
    let want: Vec<f32> = (0..n)
        .map(|i| (x[i] - mean) / (var + 1e-3).sqrt() * gamma[i] + beta[i])
        .collect();
    let (shape, got) = run(&m, &x);
    assert_eq!(shape, [1, n]);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
    }
    let calibration = vec![x.to_vec(), x.iter().map(|v| -v).collect()];
    let compiled = crate::prove::compile(&m, &calibration, &Default::default()).unwrap();
    let (input, values) = compiled.witness(&x).unwrap();
    crate::test_fixtures::mock_compiled(&compiled, &input, values.clone()).unwrap();
    let proven = compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]);
    for (p, w) in proven.iter().zip(&want) {
        assert!((*p as f32 - w).abs() < 0.02, "{proven:?} vs {want:?}");
    }
    // A BatchNormalization with one statistic computed and the other a constant is refused by
    // name rather than guessed.
    let nodes = vec![
        node(
            "ReduceMean",
            &["x"],
            "mean",
            vec![ints("axes", &[1]), int("keepdims", 0)],
        ),
        node(
            "BatchNormalization",
            &["x", "one", "zero", "mean", "one"],
            "y",
            vec![],
        ),
    ];
    let inits = vec![init("one", &[1], &[1.0]), init("zero", &[1], &[0.0])];
    let err = load(&[1, 1], nodes, inits).err().unwrap().to_string();
    assert!(
        err.contains("constant variance beside a computed one"),
        "{err}"
    );
}
