//! Float islands inside integer models (DEQUANTIZE, float elementwise kernels, QUANTIZE: what
//! TensorFlow's converter writes for a layer without an integer kernel) against the
//! interpreter's default kernels, and their circuit.

use super::interpreter_tests::{nchw_order, quantized, reference_python, Builder, Case, Kind};
use super::layer_norm_tests::none_differ_from_the_default_kernels;
use super::mock_check::MockCheck;
use super::*;
use crate::ops::unary::{Param, UnaryFn};
use crate::qgraph::StepKind;

const SHAPE: [usize; 3] = [1, 8, 32];

/// An 8-bit input, DEQUANTIZE, `kernels` in float, QUANTIZE to `(scale, zp)`; then, when
/// `classifier`, a FULLY_CONNECTED (so the graph has a fixed-point requantization).
fn island_graph(
    kind: Kind,
    input: (f32, i64),
    kernels: &[TfOpKind],
    output: (f32, i64),
    classifier: bool,
) -> TfGraph {
    let mut b = Builder::new(kind, 17);
    let x = b.act("input", &SHAPE, input.0, input.1);
    let mut f = b.float_act("dequantized", &SHAPE);
    b.op(TfOpKind::Dequantize, &[x], f);
    for (i, k) in kernels.iter().enumerate() {
        let g = b.float_act(&format!("float{i}"), &SHAPE);
        b.op(k.clone(), &[f], g);
        f = g;
    }
    let y = b.act("quantized", &SHAPE, output.0, output.1);
    b.op(TfOpKind::Quantize, &[f], y);
    if classifier {
        let logits = b.fully_connected("logits", y, 4, 0.5, 0);
        return b.graph("island", logits);
    }
    b.graph("island", y)
}

/// An island's name, input quantization, float kernels and output quantization.
type Island = (&'static str, (f32, i64), Vec<TfOpKind>, (f32, i64));

fn unary(f: UnaryFn) -> TfOpKind {
    TfOpKind::Unary(f)
}

/// The islands the converter writes for Keras's ELU, and others of every supported kernel:
/// LOG of a zero (−inf) and RSQRT of a negative (NaN) quantize as x86's cast of an
/// out-of-range value and the int32 sum with the zero point give (int8 at zero point -128:
/// the largest value).
fn cases() -> Vec<Case> {
    let elu = unary(UnaryFn::Elu {
        alpha: Param::new(1.0),
    });
    let leaky = unary(UnaryFn::LeakyRelu {
        alpha: Param::new(0.1),
    });
    let rsqrt = unary(UnaryFn::InverseSqrt {
        epsilon: Param::new(0.0),
    });
    let relu6 = TfOpKind::Activation(FusedActivation::Relu6);
    let relu = TfOpKind::Activation(FusedActivation::Relu);
    let relu1 = TfOpKind::Activation(FusedActivation::ReluN1To1);
    let islands: Vec<Island> = vec![
        ("ELU", (0.05, -7), vec![elu.clone()], (0.03, 20)),
        ("ELU", (0.2, 40), vec![elu], (0.1, -90)),
        ("EXP", (0.02, 0), vec![unary(UnaryFn::Exp)], (0.03, -128)),
        (
            "ABS, LOG",
            (0.05, 3),
            vec![unary(UnaryFn::Abs), unary(UnaryFn::Log)],
            (0.04, 60),
        ),
        (
            "SQRT of ABS",
            (0.1, 0),
            vec![unary(UnaryFn::Abs), unary(UnaryFn::Sqrt)],
            (0.02, -128),
        ),
        ("RSQRT", (0.1, -20), vec![rsqrt], (0.05, -128)),
        ("SQUARE", (0.05, 9), vec![TfOpKind::Square], (0.08, -128)),
        (
            "SQUARE of ABS, SQRT",
            (0.2, -30),
            vec![unary(UnaryFn::Abs), TfOpKind::Square, unary(UnaryFn::Sqrt)],
            (0.1, -128),
        ),
        (
            "SIN, COS",
            (0.03, 5),
            vec![unary(UnaryFn::Sin), unary(UnaryFn::Cos)],
            (1.0 / 128.0, 0),
        ),
        (
            "RELU6, LEAKY_RELU",
            (0.05, 0),
            vec![relu6.clone(), leaky],
            (0.03, 0),
        ),
        // NaN through the RELUs: RELU and RELU_N1_TO_1 keep it, RELU6 makes it 0.
        (
            "SQRT, RELU",
            (0.05, 0),
            vec![unary(UnaryFn::Sqrt), relu],
            (0.02, -128),
        ),
        (
            "LOG, RELU_N1_TO_1",
            (0.05, 0),
            vec![unary(UnaryFn::Log), relu1],
            (1.0 / 128.0, -128),
        ),
        (
            "SQRT, RELU6",
            (0.05, 0),
            vec![unary(UnaryFn::Sqrt), relu6],
            (0.03, -128),
        ),
    ];
    let mut cases = vec![];
    let mut seed = 300;
    for kind in [Kind::I8PerTensor, Kind::U8] {
        for (what, input, kernels, output) in &islands {
            seed += 1;
            cases.push(Case::new(
                &format!("DEQUANTIZE, {what}, QUANTIZE"),
                kind,
                island_graph(kind, *input, kernels, *output, false),
                seed,
            ));
        }
    }
    cases
}

/// An 8-bit input, DEQUANTIZE, `kind` of the float value and a float constant of
/// `constant_shape` holding `constant` everywhere (first when `constant_first`), QUANTIZE.
fn island_with_constant(
    kind: Kind,
    op: TfOpKind,
    (constant, constant_shape, constant_first): (f32, &[usize], bool),
    input: (f32, i64),
    output: (f32, i64),
) -> TfGraph {
    let mut b = Builder::new(kind, 18);
    let x = b.act("input", &SHAPE, input.0, input.1);
    let f = b.float_act("dequantized", &SHAPE);
    b.op(TfOpKind::Dequantize, &[x], f);
    let n: usize = constant_shape.iter().product();
    let c = b.float_constant("constant", constant_shape, &vec![constant; n]);
    let g = b.float_act("combined", &SHAPE);
    let inputs = if constant_first { [c, f] } else { [f, c] };
    b.op(op, &inputs, g);
    let y = b.act("quantized", &SHAPE, output.0, output.1);
    b.op(TfOpKind::Quantize, &[g], y);
    b.graph("island_with_constant", y)
}

/// Islands of arithmetic with a constant (GroupNormalization's mean is a SUM divided by a
/// constant count), against the interpreter: each operator, the constant on either side, a
/// scalar and a full-shape constant, fused activations, a division by zero.
fn cases_with_constants() -> Vec<Case> {
    let none = FusedActivation::None;
    let relu = FusedActivation::Relu;
    let scalar: &[usize] = &[];
    let full: &[usize] = &SHAPE;
    let islands = [
        (
            "DIV by a count",
            TfOpKind::Div { act: none },
            (288.0, full, false),
            (0.9, -20),
            (0.004, 3),
        ),
        (
            "DIV of a constant",
            TfOpKind::Div { act: relu },
            (1.5, scalar, true),
            (0.05, 0),
            (0.1, -128),
        ),
        (
            "DIV by zero",
            TfOpKind::Div { act: none },
            (0.0, scalar, false),
            (0.05, 0),
            (0.1, 0),
        ),
        (
            "MUL",
            TfOpKind::Mul { act: none },
            (-0.37, scalar, false),
            (0.05, 9),
            (0.03, 1),
        ),
        (
            "ADD",
            TfOpKind::Add {
                act: FusedActivation::Relu6,
            },
            (0.8, full, true),
            (0.05, 9),
            (0.03, -128),
        ),
        (
            "SUB",
            TfOpKind::Sub { act: none },
            (2.0, scalar, true),
            (0.05, 9),
            (0.04, 5),
        ),
    ];
    let mut cases = vec![];
    let mut seed = 400;
    for kind in [Kind::I8PerTensor, Kind::U8] {
        for (what, op, constant, input, output) in &islands {
            seed += 1;
            let g = island_with_constant(kind, op.clone(), *constant, *input, *output);
            cases.push(Case::new(
                &format!("DEQUANTIZE, {what}, QUANTIZE"),
                kind,
                g,
                seed,
            ));
        }
    }
    cases
}

/// Each case lowers to one table step, and its values are the interpreter's.
fn islands_are_one_table_the_interpreter_agrees_with(cases: &[Case], tag: &str) {
    for case in cases {
        let q = quantized(&case.graph);
        assert!(
            matches!(q.steps[..], [ref s] if matches!(s.kind, StepKind::Lookup(_))),
            "{}: one table step",
            case.name
        );
    }
    let Some(python) = reference_python() else {
        return;
    };
    none_differ_from_the_default_kernels(&python, tag, cases);
}

#[test]
fn float_islands_of_arithmetic_with_a_constant_match_the_interpreter() {
    islands_are_one_table_the_interpreter_agrees_with(
        &cases_with_constants(),
        "float-island-constants",
    );
}

#[test]
fn an_island_divided_by_a_constant_that_varies_is_refused_by_name() {
    let mut g = island_with_constant(
        Kind::I8PerTensor,
        TfOpKind::Div {
            act: FusedActivation::None,
        },
        (2.0, &SHAPE, false),
        (0.05, 0),
        (0.05, 0),
    );
    let c = g.tensors.iter().position(|t| t.name == "constant").unwrap();
    let data = g.tensors[c].data.as_mut().unwrap();
    data[..4].copy_from_slice(&3.0f32.to_le_bytes());
    let err = lower(&g).unwrap_err().to_string();
    assert!(
        err.contains("DIV") && err.contains("more than one value"),
        "{err}"
    );
    // One value, but a shape TFLite would not broadcast to the island's [1, 8, 32].
    let g = island_with_constant(
        Kind::I8PerTensor,
        TfOpKind::Mul {
            act: FusedActivation::None,
        },
        (2.0, &[5], false),
        (0.05, 0),
        (0.05, 0),
    );
    let err = lower(&g).unwrap_err().to_string();
    assert!(err.contains("MUL") && err.contains("broadcast"), "{err}");
}

#[test]
fn float_islands_match_the_interpreter() {
    islands_are_one_table_the_interpreter_agrees_with(&cases(), "float-island");
}

#[test]
fn an_island_with_an_operator_it_cannot_tabulate_is_refused_by_name() {
    let g = island_graph(
        Kind::I8PerTensor,
        (0.05, 0),
        &[unary(UnaryFn::Tanh)],
        (0.05, 0),
        false,
    );
    let err = lower(&g).unwrap_err().to_string();
    assert!(
        err.contains("TANH") && err.contains("float island"),
        "{err}"
    );
}

/// The island's table step in a circuit: the honest witness is accepted, an island output one
/// step off (the classifier recomputed from it) is rejected.
#[test]
fn a_float_islands_circuit_rejects_an_output_one_step_off() {
    let elu = unary(UnaryFn::Elu {
        alpha: Param::new(1.0),
    });
    let g = island_graph(Kind::I8PerTensor, (0.05, -7), &[elu], (0.03, 20), true);
    let q = std::sync::Arc::new(quantized(&g));
    // Centred by the input's zero point (-7).
    let centred: Vec<i64> = (0..256)
        .map(|i| ((i * 97) % 256) as i64 - 128 + 7)
        .collect();
    let (check, values) = MockCheck::of_graph(q, nchw_order(&centred, &SHAPE));
    assert!(check.accepts(&values), "the honest witness is rejected");
    let step = check
        .q
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::Lookup(_)))
        .unwrap();
    // Entries on ELU's curve (a negative input, its output well inside the range), one step
    // off either way: only the table can tell.
    let (island, x) = (step.output, step.inputs[0]);
    let curved = (0..values[x].len())
        .find(|&i| values[x][i] < -40 && values[island][i] > -100)
        .expect("an input on the curve");
    for delta in [1, -1] {
        let wrong = check.shifted(&values, island, curved, delta);
        assert!(
            !check.accepts(&wrong),
            "an island output {delta:+} on the curve is accepted"
        );
    }
}

/// SQUARE in a float model (through the ONNX mapping, as `Mul(x, x)`) is each value times
/// itself.
#[test]
fn a_float_models_square_is_each_value_times_itself() {
    let mut b = Builder::new(Kind::I8PerTensor, 1);
    let x = b.float_act("input", &[1, 4]);
    let y = b.float_act("square", &[1, 4]);
    b.op(TfOpKind::Square, &[x], y);
    let Loaded::Float(m) = lower(&b.graph("float_square", y)).unwrap() else {
        panic!("a float graph lowers to the float IR")
    };
    let out = m.eval_float(&[1.5, -2.0, 0.0, 3.0]).unwrap()[m.output]
        .data
        .clone();
    assert_eq!(out, vec![2.25, 4.0, 0.0, 9.0]);
}
