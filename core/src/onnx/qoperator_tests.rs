use crate::onnx::tests::{
    graph_of as graph, init, ints, node, run_simulated as run, simulated_refusal as refusal,
    stored as bytes,
};
use tract_onnx::pb::tensor_proto::DataType;

#[test]
fn a_quantized_average_pool_and_concat_are_their_float_operators_clipped_to_the_output_grid() {
    // x enters the int8 grid of scale 0.5 (range [-64, 63.5]); a 2-wide average pool, then a
    // concatenation with a stored int8 constant (scale 0.25: [4, -8] -> [1, -2]) on an output
    // grid of scale 1, zero point 0: [-128, 127].
    let nodes = vec![
        node("QuantizeLinear", &["x", "s", "z"], "xq", vec![]),
        node(
            "QLinearAveragePool",
            &["xq", "s", "z", "s", "z"],
            "pooled",
            vec![ints("kernel_shape", &[1, 2]), ints("strides", &[1, 2])],
        ),
        node(
            "QLinearConcat",
            &["one", "z", "pooled", "s", "z", "c", "quarter", "z"],
            "yq",
            vec![crate::onnx::tests::int("axis", 3)],
        ),
        node("DequantizeLinear", &["yq", "one", "z"], "y", vec![]),
    ];
    let inits = vec![
        init("s", &[], &[0.5]),
        init("one", &[], &[1.0]),
        init("quarter", &[], &[0.25]),
        bytes("z", &[], DataType::Int8, &[0]),
        bytes("c", &[1, 1, 1, 2], DataType::Int8, &[4, -8]),
    ];
    let y = run(
        graph(&[1, 1, 1, 4], nodes, inits),
        &[100.0, 20.0, -3.0, 1.0],
    );
    // x is clipped to 63.5 on entry: the means are 41.75 and -1.
    assert_eq!(y, vec![41.75, -1.0, 1.0, -2.0]);
}

#[test]
fn a_quantized_concat_without_a_grid_per_operand_is_refused() {
    let nodes = vec![
        node("QuantizeLinear", &["x", "s", "z"], "xq", vec![]),
        node("QLinearConcat", &["s", "z", "xq", "s"], "yq", vec![]),
        node("DequantizeLinear", &["yq", "s", "z"], "y", vec![]),
    ];
    let inits = vec![
        init("s", &[], &[0.5]),
        bytes("z", &[], DataType::Int8, &[0]),
    ];
    let err = refusal(graph(&[1, 2], nodes, inits));
    assert!(
        err.contains("QLinearConcat") && err.contains("4 inputs"),
        "{err}"
    );
}
