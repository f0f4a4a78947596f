use crate::ir::Op;
use crate::onnx::tests::{init, load, node, run};
use crate::ops::unary::UnaryFn;

const X: [f32; 6] = [-3.0, -1.0, -0.25, 0.0, 0.5, 2.0];

fn gelu(x: f32, tanh_approximation: bool) -> f32 {
    UnaryFn::Gelu { tanh_approximation }.eval_f32(x)
}

fn ops(model: &crate::ir::Model) -> Vec<Op> {
    model.nodes.iter().map(|n| n.op.clone()).collect()
}

fn scalar(name: &str, v: f32) -> crate::onnx::pb::TensorProto {
    init(name, &[], &[v])
}

fn is_one_gelu(model: &crate::ir::Model, tanh: bool) -> bool {
    matches!(
        &ops(model)[..],
        [Op::Unary(UnaryFn::Gelu { tanh_approximation })] if *tanh_approximation == tanh
    )
}

fn check(model: &crate::ir::Model, tanh: bool) {
    let want: Vec<f32> = X.iter().map(|&x| gelu(x, tanh)).collect();
    for (g, w) in run(model, &X).1.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{g} vs {w}");
    }
}

#[test]
fn gelu_as_torch_exports_it_below_opset_20_is_one_table() {
    let model = load(
        &[1, 6],
        vec![
            node("Div", &["x", "sqrt2"], "d", vec![]),
            node("Erf", &["d"], "e", vec![]),
            node("Add", &["e", "one"], "a", vec![]),
            node("Mul", &["x", "a"], "m", vec![]),
            node("Mul", &["m", "half"], "y", vec![]),
        ],
        vec![
            scalar("sqrt2", std::f32::consts::SQRT_2),
            scalar("one", 1.0),
            scalar("half", 0.5),
        ],
    )
    .unwrap();
    assert!(is_one_gelu(&model, false), "{:?}", ops(&model));
    check(&model, false);
}

/// A `Constant` node holding one scalar, as TorchScript writes GELU's constants.
fn constant_node(output: &str, v: f32) -> crate::onnx::pb::NodeProto {
    let value = crate::onnx::pb::AttributeProto {
        name: "value".into(),
        t: Some(scalar(output, v)),
        ..Default::default()
    };
    node("Constant", &[], output, vec![value])
}

#[test]
fn gelu_with_its_constants_in_constant_nodes_is_one_table() {
    // torchvision's ConvNeXt, exported by TorchScript: the same five nodes, their scalars
    // written by Constant nodes before them rather than as initializers.
    let model = load(
        &[1, 6],
        vec![
            constant_node("sqrt2", std::f32::consts::SQRT_2),
            node("Div", &["x", "sqrt2"], "d", vec![]),
            node("Erf", &["d"], "e", vec![]),
            constant_node("one", 1.0),
            node("Add", &["e", "one"], "a", vec![]),
            node("Mul", &["x", "a"], "m", vec![]),
            constant_node("half", 0.5),
            node("Mul", &["m", "half"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    assert!(is_one_gelu(&model, false), "{:?}", ops(&model));
    check(&model, false);
}

#[test]
fn gelu_as_hugging_face_writes_it_is_one_table() {
    // x * 0.5 * (1.0 + erf(x / sqrt(2))), the half taken first.
    let model = load(
        &[1, 6],
        vec![
            node("Mul", &["x", "half"], "h", vec![]),
            node("Mul", &["x", "inv_sqrt2"], "d", vec![]),
            node("Erf", &["d"], "e", vec![]),
            node("Add", &["one", "e"], "a", vec![]),
            node("Mul", &["h", "a"], "y", vec![]),
        ],
        vec![
            scalar("half", 0.5),
            scalar("inv_sqrt2", std::f32::consts::FRAC_1_SQRT_2),
            scalar("one", 1.0),
        ],
    )
    .unwrap();
    assert!(is_one_gelu(&model, false), "{:?}", ops(&model));
    check(&model, false);
}

#[test]
fn the_tanh_approximation_of_gpt2_is_one_table() {
    // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
    let model = load(
        &[1, 6],
        vec![
            node("Mul", &["half", "x"], "h", vec![]),
            node("Pow", &["x", "three"], "cube", vec![]),
            node("Mul", &["c", "cube"], "cc", vec![]),
            node("Add", &["x", "cc"], "inner", vec![]),
            node("Mul", &["k", "inner"], "scaled", vec![]),
            node("Tanh", &["scaled"], "t", vec![]),
            node("Add", &["one", "t"], "a", vec![]),
            node("Mul", &["h", "a"], "y", vec![]),
        ],
        vec![
            scalar("half", 0.5),
            scalar("three", 3.0),
            scalar("c", 0.044715),
            scalar("k", (2.0f32 / std::f32::consts::PI).sqrt()),
            scalar("one", 1.0),
        ],
    )
    .unwrap();
    assert!(is_one_gelu(&model, true), "{:?}", ops(&model));
    check(&model, true);
}

#[test]
fn a_look_alike_or_a_shared_intermediate_is_left_as_written() {
    let nodes = |plus: &str| {
        vec![
            node("Div", &["x", "sqrt2"], "d", vec![]),
            node("Erf", &["d"], "e", vec![]),
            node("Add", &["e", plus], "a", vec![]),
            node("Mul", &["x", "a"], "m", vec![]),
            node("Mul", &["m", "half"], "g", vec![]),
            node("Relu", &["g"], "y", vec![]),
        ]
    };
    let inits = || {
        vec![
            scalar("sqrt2", std::f32::consts::SQRT_2),
            scalar("one", 1.0),
            scalar("two", 2.0),
            scalar("half", 0.5),
        ]
    };
    // 0.5·x·(2 + erf(x/√2)) is not GELU.
    let model = load(&[1, 6], nodes("two"), inits()).unwrap();
    assert!(ops(&model).len() > 2, "{:?}", ops(&model));
    let want: Vec<f32> = X
        .iter()
        .map(|&x| (0.5 * x * (2.0 + libm::erff(x / std::f32::consts::SQRT_2))).max(0.0))
        .collect();
    for (g, w) in run(&model, &X).1.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{g} vs {w}");
    }
    // The Erf's output read outside the pattern: nothing fused, the value still there.
    let mut shared = nodes("one");
    shared.pop();
    shared.push(node("Add", &["g", "e"], "y", vec![]));
    let model = load(&[1, 6], shared, inits()).unwrap();
    assert!(
        ops(&model)
            .iter()
            .any(|op| matches!(op, Op::Unary(UnaryFn::Erf))),
        "{:?}",
        ops(&model)
    );
    let want: Vec<f32> = X
        .iter()
        .map(|&x| gelu(x, false) + libm::erff(x / std::f32::consts::SQRT_2))
        .collect();
    for (g, w) in run(&model, &X).1.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{g} vs {w}");
    }
}

#[test]
fn silu_is_one_table_without_its_sigmoid() {
    let model = load(
        &[1, 6],
        vec![
            node("Sigmoid", &["x"], "s", vec![]),
            node("Mul", &["x", "s"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    assert!(
        matches!(&ops(&model)[..], [Op::Unary(UnaryFn::Silu)]),
        "{:?}",
        ops(&model)
    );
}
