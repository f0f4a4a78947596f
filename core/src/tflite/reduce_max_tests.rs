//! int8/uint8 REDUCE_MAX (GlobalMaxPooling1D/2D and any axes) and int8 ELU against the
//! interpreter's default kernels, and REDUCE_MAX's circuit.

use super::interpreter_tests::{nchw_order, quantized, reference_python, Builder, Case, Kind};
use super::layer_norm_tests::none_differ_from_the_default_kernels;
use super::mock_check::MockCheck;
use super::*;
use crate::ops::unary::{Param, UnaryFn};
use crate::qgraph::StepKind;

/// REDUCE_MAX of a `shape` input over `axes` (the output quantized as the input, as the
/// converter writes it).
fn reduce_max_graph(kind: Kind, shape: &[usize], axes: &[i32], keep_dims: bool) -> TfGraph {
    let mut b = Builder::new(kind, 61);
    let x = b.act("input", shape, 0.05, -7);
    let rank = shape.len() as i32;
    let normalised: Vec<usize> = axes.iter().map(|&a| ((a + rank) % rank) as usize).collect();
    let out_shape = super::movement::reduced_shape(shape, &normalised, keep_dims);
    let axes = b.ints("axes", &[axes.len()], axes);
    let y = b.act("max", &out_shape, 0.05, -7);
    b.op(TfOpKind::ReduceMax { keep_dims }, &[x, axes], y);
    b.graph("reduce_max", y)
}

#[test]
fn reduce_max_over_any_axes_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut cases = vec![];
    let mut seed = 70;
    for kind in [Kind::U8, Kind::I8PerTensor] {
        for (shape, axes, keep_dims, what) in [
            (vec![1, 6, 5, 4], vec![1, 2], false, "GlobalMaxPooling2D"),
            (vec![1, 6, 5, 4], vec![2, 1], true, "over H and W, kept"),
            (vec![1, 12, 8], vec![1], false, "GlobalMaxPooling1D"),
            (vec![1, 3, 10], vec![-1], true, "over the last axis"),
            (vec![1, 3, 4, 5], vec![3], false, "over the channels"),
            (vec![1, 3, 4, 5], vec![1, 2, 3], false, "over everything"),
            (vec![1, 6, 5, 4], vec![1], true, "over H, kept"),
            (vec![1, 6, 5, 4], vec![2], true, "over W, kept"),
        ] {
            seed += 1;
            cases.push(Case::new(
                &format!("REDUCE_MAX {what} of {shape:?}"),
                kind,
                reduce_max_graph(kind, &shape, &axes, keep_dims),
                seed,
            ));
        }
    }
    none_differ_from_the_default_kernels(&python, "reduce-max", &cases);
}

#[test]
fn int8_elu_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases: Vec<Case> = [
        (0.05, -7, 0.03, 20),
        (0.2, 40, 0.1, -90),
        (0.01, 0, 0.01, 0),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (s_in, zp_in, s_out, zp_out))| {
        let mut b = Builder::new(Kind::I8PerTensor, 80 + i as u64);
        let x = b.act("input", &[1, 8, 32], s_in, zp_in);
        let y = b.act("elu", &[1, 8, 32], s_out, zp_out);
        let elu = UnaryFn::Elu {
            alpha: Param::new(1.0),
        };
        b.op(TfOpKind::Unary(elu), &[x], y);
        Case::new(
            &format!("ELU from scale {s_in} to {s_out}"),
            Kind::I8PerTensor,
            b.graph("elu", y),
            90 + i as u64,
        )
    })
    .collect();
    none_differ_from_the_default_kernels(&python, "elu", &cases);
}

#[test]
fn a_uint8_elu_is_refused_as_the_interpreter_refuses_it() {
    let mut b = Builder::new(Kind::U8, 5);
    let x = b.act("input", &[1, 4, 4], 0.05, 0);
    let y = b.act("elu", &[1, 4, 4], 0.05, 0);
    let elu = UnaryFn::Elu {
        alpha: Param::new(1.0),
    };
    b.op(TfOpKind::Unary(elu), &[x], y);
    let err = lower(&b.graph("elu", y)).unwrap_err().to_string();
    assert!(err.contains("ELU") && err.contains("uint8"), "{err}");
}

#[test]
fn a_reduce_max_whose_output_is_quantized_otherwise_is_refused() {
    let mut g = reduce_max_graph(Kind::I8PerTensor, &[1, 4, 6], &[1], false);
    let out = g.output;
    g.tensors[out].quant.as_mut().unwrap().scales[0] = 0.1;
    let err = lower(&g).unwrap_err().to_string();
    let expected = err.contains("REDUCE_MAX") && err.contains("quantized unlike its input");
    assert!(expected, "{err}");
}

/// GlobalMaxPooling2D then a classifier: the circuit accepts the evaluator's values and rejects
/// a maximum one step off (the classifier recomputed from it), which only the max chip can tell.
#[test]
fn a_reduce_max_circuit_rejects_a_maximum_one_step_off() {
    // Over H and W (in place in our layout), and over the channels (gathered into rows).
    for (axes, out_shape) in [(vec![1, 2], vec![1, 4]), (vec![3], vec![1, 5, 3])] {
        rejects_a_maximum_one_step_off(&axes, &out_shape);
    }
}

fn rejects_a_maximum_one_step_off(axes: &[i32], out_shape: &[usize]) {
    let mut b = Builder::new(Kind::I8PerTensor, 9);
    let shape = [1, 5, 3, 4];
    let x = b.act("input", &shape, 0.05, -7);
    let axes = b.ints("axes", &[axes.len()], axes);
    let m = b.act("max", out_shape, 0.05, -7);
    b.op(TfOpKind::ReduceMax { keep_dims: false }, &[x, axes], m);
    let y = b.fully_connected("logits", m, 3, 0.5, 0);
    let q = std::sync::Arc::new(quantized(&b.graph("gmp", y)));
    let centred: Vec<i64> = (0..60).map(|i| ((i * 53) % 230) as i64 - 115).collect();
    let (check, values) = MockCheck::of_graph(q, nchw_order(&centred, &shape));
    assert!(check.accepts(&values), "the honest witness is rejected");
    let max = check
        .q
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::Max { .. }))
        .unwrap()
        .output;
    for (index, step) in [(0, 1), (2, -1)] {
        let wrong = check.shifted(&values, max, index, step);
        assert!(
            !check.accepts(&wrong),
            "a maximum {step:+} at {index} is accepted"
        );
    }
}

/// A float model's REDUCE_MAX (the same graph with float activations) goes through the ONNX
/// mapping as a ReduceMax and computes each row's maximum.
#[test]
fn a_float_reduce_max_is_each_rows_maximum() {
    let mut g = reduce_max_graph(Kind::I8PerTensor, &[1, 6, 4], &[1], false);
    for t in g.tensors.iter_mut().filter(|t| t.dtype == TfType::I8) {
        t.dtype = TfType::F32;
        t.quant = None;
    }
    let Loaded::Float(m) = lower(&g).unwrap() else {
        panic!("a float model lowered as quantized")
    };
    let input: Vec<f32> = (0..24).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
    let got = m.eval_float(&input).unwrap()[m.output].data.clone();
    // [1, 6, 4] over the 6 steps: channel c's maximum of input[t * 4 + c].
    let want: Vec<f32> = (0..4)
        .map(|c| (0..6).map(|t| input[t * 4 + c]).fold(f32::MIN, f32::max))
        .collect();
    assert_eq!(got, want);
}
