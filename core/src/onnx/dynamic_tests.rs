use super::*;
use crate::onnx::qdq::simulated_network;
use crate::onnx::tests::{
    graph_of as graph, init, node, run_simulated as run, simulated_refusal as refusal,
    stored as bytes,
};

/// `DynamicQuantizeLinear(x) -> (xq, xs, xz)`.
fn dynamic_quantization(x: &str) -> NodeProto {
    NodeProto {
        op_type: "DynamicQuantizeLinear".into(),
        name: format!("{x}_quantization"),
        input: vec![x.into()],
        output: vec![format!("{x}q"), format!("{x}s"), format!("{x}z")],
        ..Default::default()
    }
}

/// onnxruntime's chain around `kernel` (reading `xq`, `w`, `xz`, `wz`, writing `acc`): the
/// Cast of `acc` to float times `xs · ws`, written to `y`.
fn chain(kernel: NodeProto) -> Vec<NodeProto> {
    vec![
        dynamic_quantization("x"),
        node("Mul", &["xs", "ws"], "scales", vec![]),
        kernel,
        node(
            "Cast",
            &["acc"],
            "accf",
            vec![crate::onnx::tests::int("to", 1)],
        ),
        node("Mul", &["accf", "scales"], "y", vec![]),
    ]
}

#[test]
fn a_matmul_integer_chain_is_the_matmul_of_the_activation_and_the_dequantized_weight() {
    // Per output column: scales 0.5, 1, 2 and zero points 0, 1, -1, so that
    // w = [[1, 2, 0], [-2, 0, 2]].
    let kernel = node("MatMulInteger", &["xq", "w", "xz", "wz"], "acc", vec![]);
    let inits = vec![
        bytes("w", &[2, 3], DataType::Int8, &[2, 3, -1, -4, 1, 0]),
        init("ws", &[3], &[0.5, 1.0, 2.0]),
        bytes("wz", &[3], DataType::Int8, &[0, 1, -1]),
    ];
    let mut g = graph(&[1, 2], chain(kernel), inits);
    let y = run(g.clone(), &[1.0, 10.0]);
    assert_eq!(y, vec![1.0 - 20.0, 2.0, 20.0]);
    // Nothing of the integer chain is left.
    simulated_network(&mut g).unwrap();
    let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(ops, ["MatMul"]);
}

#[test]
fn a_conv_integer_chain_is_the_convolution_with_the_dequantized_weight() {
    // Two 1x1 output channels over one input channel, uint8 weights with zero point 128, scale
    // 0.25: w = [2, -1].
    let kernel = node("ConvInteger", &["xq", "w", "xz", "wz"], "acc", vec![]);
    let inits = vec![
        bytes("w", &[2, 1, 1, 1], DataType::Uint8, &[136, 124]),
        init("ws", &[], &[0.25]),
        bytes("wz", &[], DataType::Uint8, &[128]),
    ];
    let y = run(graph(&[1, 1, 1, 2], chain(kernel), inits), &[3.0, -1.5]);
    assert_eq!(y, vec![6.0, -3.0, -3.0, 1.5]);
}

#[test]
fn a_quantized_table_read_by_a_gather_is_a_gather_of_its_float_rows() {
    // uint8 table, scale 0.5, zero point 128: rows [1, -1] and [0, 2].
    let nodes = vec![
        node("Gather", &["table", "ids"], "rows_q", vec![]),
        node("DequantizeLinear", &["rows_q", "s", "z"], "rows", vec![]),
        node("Add", &["rows", "x"], "y", vec![]),
    ];
    let inits = vec![
        bytes("table", &[2, 2], DataType::Uint8, &[130, 126, 128, 132]),
        init("s", &[], &[0.5]),
        bytes("z", &[], DataType::Uint8, &[128]),
        pb::TensorProto {
            name: "ids".into(),
            dims: vec![1, 2],
            data_type: DataType::Int64 as i32,
            int64_data: vec![1, 0],
            ..Default::default()
        },
    ];
    let y = run(graph(&[1, 2, 2], nodes, inits), &[0.0; 4]);
    assert_eq!(y, vec![0.0, 2.0, 1.0, -1.0]);
}

#[test]
fn dynamic_quantization_other_than_onnxruntimes_chains_is_refused_naming_the_node() {
    let inits = || {
        vec![
            bytes("w", &[2, 2], DataType::Int8, &[1, 2, 3, 4]),
            init("ws", &[], &[0.5]),
            bytes("wz", &[], DataType::Int8, &[0]),
        ]
    };
    // A kernel over an input no DynamicQuantizeLinear wrote.
    let lone = vec![node("MatMulInteger", &["x", "w", "xz", "wz"], "y", vec![])];
    let err = refusal(graph(&[1, 2], lone, inits()));
    assert!(
        err.contains("MatMulInteger") && err.contains("DynamicQuantizeLinear"),
        "{err}"
    );
    // The int32 product read as it is, not through the Cast and the scales.
    let mut raw = chain(node(
        "MatMulInteger",
        &["xq", "w", "xz", "wz"],
        "acc",
        vec![],
    ));
    raw.truncate(3);
    raw.push(node("Identity", &["acc"], "y", vec![]));
    let err = refusal(graph(&[1, 2], raw, inits()));
    assert!(err.contains("Cast to float"), "{err}");
    // The quantized activation also read by another node.
    let mut shared = chain(node(
        "MatMulInteger",
        &["xq", "w", "xz", "wz"],
        "acc",
        vec![],
    ));
    shared.push(node("Identity", &["xq"], "leak", vec![]));
    let err = refusal(graph(&[1, 2], shared, inits()));
    assert!(
        err.contains("DynamicQuantizeLinear") && err.contains("Identity"),
        "{err}"
    );
    // A convolution's output scaled per channel by a vector (it would scale its last axis).
    let conv = chain(node(
        "ConvInteger",
        &["xq", "w4", "xz", "wz"],
        "acc",
        vec![],
    ));
    let conv_inits = vec![
        bytes("w4", &[2, 1, 1, 1], DataType::Int8, &[1, 2]),
        init("ws", &[2], &[0.5, 0.25]),
        bytes("wz", &[2], DataType::Int8, &[0, 0]),
    ];
    let err = refusal(graph(&[1, 1, 1, 2], conv, conv_inits));
    assert!(err.contains("more than one number"), "{err}");
}

#[test]
fn a_table_quantized_per_axis_is_refused_before_its_rows_are_read() {
    let nodes = vec![
        node("Gather", &["table", "ids"], "rows_q", vec![]),
        node("DequantizeLinear", &["rows_q", "s", "z"], "y", vec![]),
    ];
    let inits = vec![
        bytes("table", &[2, 2], DataType::Uint8, &[130, 126, 128, 132]),
        init("s", &[2], &[0.5, 0.25]),
        bytes("z", &[2], DataType::Uint8, &[128, 128]),
        pb::TensorProto {
            name: "ids".into(),
            dims: vec![1],
            data_type: DataType::Int64 as i32,
            int64_data: vec![1],
            ..Default::default()
        },
    ];
    let err = refusal(graph(&[1, 2], nodes, inits));
    assert!(err.contains("per axis"), "{err}");
}
