//! int8/uint8 PRELU against the interpreter's default kernels (slopes per element, per
//! channel, per feature and one for all), Keras's PReLU as the converter writes it, and the
//! circuit's per-element tables.

use super::interpreter_tests::{quantized, reference_python, Builder, Case, Kind};
use super::layer_norm_tests::none_differ_from_the_default_kernels;
use super::mock_check::MockCheck;
use super::ptq_tests::agrees_with_the_interpreter;
use super::*;
use crate::qgraph::StepKind;

/// PRELU of an input of `shape` by a slope tensor of `slope_shape` whose stored values sweep
/// the whole 8-bit range (negative slopes included), at the scales given.
fn prelu_graph(
    kind: Kind,
    shape: &[usize],
    slope_shape: &[usize],
    (s_in, s_alpha, s_out): (f32, f32, f32),
) -> TfGraph {
    let mut b = Builder::new(kind, 41);
    let x = b.act("input", shape, s_in, -7);
    let n: usize = slope_shape.iter().product();
    let slopes: Vec<i64> = (0..n as i64).map(|i| (i * 97 + 30) % 256 - 128).collect();
    let alpha = b.act_constant("alpha", slope_shape, (s_alpha, 3), &slopes);
    let y = b.act("prelu", shape, s_out, 11);
    b.op(TfOpKind::Prelu, &[x, alpha], y);
    b.graph("prelu", y)
}

#[test]
fn prelu_with_a_slope_of_any_shape_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut cases = vec![];
    let mut seed = 140;
    for kind in [Kind::U8, Kind::I8PerTensor] {
        for (shape, slope_shape, scales, what) in [
            (
                vec![1, 6, 5, 4],
                vec![6, 5, 4],
                (0.05, 0.004, 0.04),
                "one slope per element",
            ),
            (
                vec![1, 6, 5, 4],
                vec![1, 1, 4],
                (0.05, 0.004, 0.04),
                "one slope per channel",
            ),
            (
                vec![1, 6, 5, 4],
                vec![4],
                (0.05, 0.02, 0.03),
                "per channel, rank 1",
            ),
            (
                vec![1, 6, 5, 4],
                vec![1, 1, 1],
                (0.05, 0.004, 0.01),
                "one slope, saturating",
            ),
            (
                vec![1, 6, 5, 4],
                vec![5, 1],
                (0.1, 0.01, 0.2),
                "one slope per column",
            ),
            (
                vec![1, 10],
                vec![10],
                (0.05, 0.004, 0.04),
                "after a Dense layer",
            ),
            (
                vec![1, 8, 6],
                vec![8, 6],
                (0.03, 0.008, 0.05),
                "over tokens",
            ),
        ] {
            seed += 1;
            cases.push(Case::new(
                &format!("PRELU {what}: {shape:?} by {slope_shape:?}"),
                kind,
                prelu_graph(kind, &shape, &slope_shape, scales),
                seed,
            ));
        }
    }
    none_differ_from_the_default_kernels(&python, "prelu", &cases);
}

/// Keras's PReLU after convolutions and a Dense layer (`keras_prelu_int8.tflite`: slopes per
/// element, per channel and per unit), against both of the interpreter's kernel sets.
#[test]
fn a_tensorflow_quantized_model_with_prelu_agrees_with_the_interpreter() {
    agrees_with_the_interpreter("keras_prelu_int8.tflite");
}

/// The circuit accepts the evaluator's values, and rejects a PRELU output one step off and an
/// element mapped by another element's table (both with every later step recomputed): the tag
/// of each element's row is fixed by its position.
#[test]
fn a_prelu_circuit_rejects_an_element_mapped_by_another_elements_table() {
    let (check, honest) = MockCheck::new("keras_prelu_int8.tflite", 12);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let (step, tables) = check
        .q
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::Lookups(t) => Some((s, t)),
            _ => None,
        })
        .expect("a PRELU step");
    assert!(tables.tables.len() > 1, "one slope for every element");
    let (x, y) = (&honest[step.inputs[0]], &honest[step.output]);
    let wrong = check.corrupted(&honest, step.output, 0);
    assert!(!check.accepts(&wrong), "a PRELU output one off is accepted");
    // An element whose output another slope's table would change.
    let (o, other) = (0..x.len())
        .find_map(|o| {
            let mut outputs = tables.tables.iter().filter_map(|t| t.apply(x[o]));
            outputs.find(|&v| v != y[o]).map(|v| (o, v))
        })
        .expect("an element some other table maps differently");
    let swapped = check.shifted(&honest, step.output, o, other - y[o]);
    assert!(
        !check.accepts(&swapped),
        "element {o} mapped by another element's table is accepted"
    );
}

#[test]
fn a_prelu_whose_slope_is_computed_or_of_another_type_is_refused() {
    let mut g = prelu_graph(Kind::I8PerTensor, &[1, 4, 4, 2], &[2], (0.05, 0.004, 0.04));
    let alpha = g.ops[0].inputs[1].unwrap();
    g.tensors[alpha].dtype = TfType::U8;
    let err = lower(&g).unwrap_err().to_string();
    assert!(
        err.contains("PRELU") && err.contains("slope is U8"),
        "{err}"
    );

    let mut g = prelu_graph(Kind::I8PerTensor, &[1, 4, 4, 2], &[2], (0.05, 0.004, 0.04));
    g.tensors[alpha].data = None;
    let err = lower(&g).unwrap_err().to_string();
    let expected = err.contains("PRELU") || err.contains("alpha");
    assert!(expected, "{err}");
}

/// A float model's PRELU with one slope per channel goes through the ONNX mapping as PRelu.
#[test]
fn a_float_prelu_per_channel_is_the_identity_above_zero_and_the_slope_below() {
    let mut b = Builder::new(Kind::I8PerTensor, 3);
    let x = b.float_act("input", &[1, 3, 2, 2]);
    let alpha = b.float_constant("alpha", &[1, 1, 2], &[0.25, -0.5]);
    let y = b.float_act("prelu", &[1, 3, 2, 2]);
    b.op(TfOpKind::Prelu, &[x, alpha], y);
    let g = b.graph("prelu", y);
    let Loaded::Float(m) = lower(&g).unwrap() else {
        panic!("a float model lowered as quantized")
    };
    // NHWC [1, 3, 2, 2]: channel c of element i is i % 2. The model's input is NCHW.
    let nhwc: Vec<f32> = (0..12).map(|i| i as f32 - 6.0).collect();
    let input = super::interpreter_tests::nchw_order(&nhwc, &[1, 3, 2, 2]);
    let got = m.eval_float(&input).unwrap()[m.output].data.clone();
    let want: Vec<f32> = nhwc
        .iter()
        .enumerate()
        .map(|(i, &v)| if v >= 0.0 { v } else { v * [0.25, -0.5][i % 2] })
        .collect();
    assert_eq!(
        got,
        super::interpreter_tests::nchw_order(&want, &[1, 3, 2, 2])
    );
}

#[test]
fn a_prelu_step_is_made_of_one_table_per_distinct_slope() {
    let q = quantized(&prelu_graph(
        Kind::I8PerTensor,
        &[1, 6, 5, 4],
        &[1, 1, 4],
        (0.05, 0.004, 0.04),
    ));
    let StepKind::Lookups(t) = &q.steps[0].kind else {
        panic!("PRELU lowered to {:?}", q.steps[0].kind)
    };
    assert_eq!(t.tables.len(), 4);
    // Our layout is NCHW: channel c holds 30 elements in a row.
    let want: Vec<u32> = (0..4).flat_map(|c| [c; 30]).collect();
    assert_eq!(t.table_of, want);
}
