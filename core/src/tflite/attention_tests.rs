//! Attention's int8 and uint8 operators against the TFLite interpreter, and their circuits:
//! SOFTMAX in the middle of a model against the interpreter's reference kernels (`BUILTIN_REF`:
//! the fixed-point kernel zkinfer proves, the one TFLite Micro runs; the default x86 kernel
//! computes the same softmax in float with a table of exponentials, and how often it differs is
//! reported, not required), and BATCH_MATMUL against the default kernels.

use super::interpreter_tests::{
    assert_none_differ, compare, interpreter_outputs_with, nchw_order, public_circuit, quantized,
    reference_python, Builder, Case, Kind,
};
use super::*;
use crate::qgraph::StepKind;

/// SOFTMAX of `shape` (NHWC) at `scale` with `beta`, then a RESHAPE to one row, so the softmax
/// is not the model's last operator (a final one is left outside the proof).
fn softmax_then_reshape(kind: Kind, shape: &[usize], scale: f32, zp: i64, beta: f32) -> TfGraph {
    let mut b = Builder::new(kind, 31);
    let x = b.act("input", shape, scale, zp);
    let probs = b.act("probs", shape, 1.0 / 256.0, -128);
    b.op(
        TfOpKind::Softmax {
            beta: crate::ops::unary::Param::new(beta),
        },
        &[x],
        probs,
    );
    let n: usize = shape.iter().product();
    let target = b.ints("shape", &[2], &[1, n as i32]);
    let flat = b.act("flat", &[1, n], 1.0 / 256.0, -128);
    b.op(TfOpKind::Reshape, &[probs, target], flat);
    b.graph("softmax", flat)
}

/// Scales and betas that reach every part of the kernel: differences cut off below
/// `diff_min` (0.3, 0.5), rows dominated by one value, and near-uniform rows (0.02).
fn cases() -> Vec<Case> {
    let mut cases = vec![];
    let mut seed = 40;
    for kind in [Kind::U8, Kind::I8PerTensor] {
        for (scale, beta, zp) in [
            (0.1, 1.0, 3),
            (1.0 / 16.0, 1.0, -20),
            (0.3, 0.5, 0),
            (0.02, 1.0, 7),
        ] {
            seed += 1;
            let graph = softmax_then_reshape(kind, &[1, 3, 10], scale, zp, beta);
            cases.push(Case::new(
                &format!("SOFTMAX of 3x10, scale {scale}, beta {beta}"),
                kind,
                graph,
                seed,
            ));
        }
        seed += 1;
        // 4-D: TFLite's last axis is our channel axis, rows strided by H·W.
        let graph = softmax_then_reshape(kind, &[1, 2, 3, 8], 0.125, 0, 1.0);
        cases.push(Case::new(
            "SOFTMAX over the channels of 2x3x8",
            kind,
            graph,
            seed,
        ));
    }
    cases
}

#[test]
fn softmax_in_a_model_matches_the_interpreters_reference_kernel() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases = cases();
    let reference = interpreter_outputs_with(&python, "softmax-ref", &cases, "BUILTIN_REF");
    let optimized = interpreter_outputs_with(
        &python,
        "softmax-opt",
        &cases,
        "BUILTIN_WITHOUT_DEFAULT_DELEGATES",
    );
    let counts =
        cases
            .iter()
            .zip(&reference)
            .zip(&optimized)
            .map(|((case, reference), optimized)| {
                let q = quantized(&case.graph);
                assert!(
                    q.steps
                        .iter()
                        .any(|s| matches!(s.kind, StepKind::ByteSoftmax(_))),
                    "{}: the softmax is proven",
                    case.name
                );
                let (compared, differing, _) = compare(case, reference);
                (compared, differing, compare(case, optimized).1)
            });
    assert_none_differ(
        "model | quantization | values | differing from the reference kernel | from the default kernel",
        &cases,
        counts,
    );
}

#[test]
fn a_softmax_circuit_proves_its_rows_and_rejects_another_output() {
    use crate::circuit::{plan_layout, Visibility};
    use halo2_proofs::dev::MockProver;
    use std::sync::Arc;

    // int8, 2x3x8 over the channels: strided rows, one dominated by its max.
    let graph = softmax_then_reshape(Kind::I8PerTensor, &[1, 2, 3, 8], 0.125, 0, 1.0);
    let q = Arc::new(quantized(&graph));
    let plan = plan_layout(&q, None, Visibility::PUBLIC);
    assert!(plan.shape.byte_softmax && plan.arith_rows > 0);
    let stored: Vec<i64> = (0..48).map(|i| ((i * 37) % 200) as i64 - 100).collect();
    let input = nchw_order(&stored, &[1, 2, 3, 8]);
    let values = q.evaluate(&input).unwrap();
    let accepts = |values: Vec<Vec<i64>>| {
        let circuit = public_circuit(&plan.shape, &q, &values);
        let instance = circuit.instance(&input, &values[q.output]).unwrap();
        MockProver::run(plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    };
    assert!(accepts(values.clone()), "the honest witness is rejected");
    // One probability one step off, in the softmax's output and the model's.
    let at = q
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::ByteSoftmax(_)))
        .unwrap();
    let softmax = q.steps[at].output;
    let mut wrong = values.clone();
    let i = (0..wrong[softmax].len())
        .find(|&i| wrong[softmax][i] < 255)
        .unwrap();
    wrong[softmax][i] += 1;
    let mut terms = Vec::new();
    for step in &q.steps[at + 1..] {
        wrong[step.output] = q.evaluate_step(step, &wrong, &mut terms).unwrap();
    }
    assert!(!accepts(wrong), "a probability one step off is accepted");
}

/// The arithmetic chip in a real proof (key generation, proving, verification). About 80 s at
/// k = 18 on two cores, so left out of the suite (the MockProver tests above check the same
/// constraints): `cargo test --release -p zkinfer-core --lib a_real_proof_of_a_softmax --
/// --ignored`.
#[test]
#[ignore]
fn a_real_proof_of_a_softmax_verifies() {
    use crate::circuit::testing::real_proof_verifies_with;
    use crate::circuit::{plan_layout, Visibility};
    use std::sync::Arc;

    let graph = softmax_then_reshape(Kind::U8, &[1, 2, 5], 0.1, 3, 1.0);
    let q = Arc::new(quantized(&graph));
    let plan = plan_layout(&q, None, Visibility::PUBLIC);
    let input: Vec<i64> = vec![-40, 7, 100, 3, -128, 0, 0, 1, 2, 90];
    let values = q.evaluate(&input).unwrap();
    let circuit = public_circuit(&plan.shape, &q, &values);
    let instance = circuit.instance(&input, &values[q.output]).unwrap();
    assert!(real_proof_verifies_with(
        plan.k,
        5,
        &circuit,
        &circuit,
        &[&instance]
    ));
}

/// BATCH_MATMUL of the input with itself as attention spells it: `X·Xᵀ` by `adj_y` (3-D), by an
/// explicit TRANSPOSE (4-D, as Keras's MultiHeadAttention converts), and `Xᵀ·X` by `adj_x`.
fn matmul_cases() -> Vec<Case> {
    let mut cases = vec![];
    let mut seed = 60;
    let matmul = |adj_x: bool, adj_y: bool| TfOpKind::BatchMatMul { adj_x, adj_y };
    // TFLite's quantized BATCH_MATMUL is int8 only.
    let kind = Kind::I8PerTensor;
    seed += 1;
    let mut b = Builder::new(kind, seed);
    let x = b.act("input", &[1, 4, 6], 1.0 / 16.0, 3);
    let y = b.act("scores", &[1, 4, 4], 0.25, -4);
    b.op(matmul(false, true), &[x, x], y);
    cases.push(Case::new(
        "BATCH_MATMUL X·Xᵀ (adj_y)",
        kind,
        b.graph("mm", y),
        seed,
    ));

    seed += 1;
    let mut b = Builder::new(kind, seed);
    let x = b.act("input", &[1, 2, 4, 6], 1.0 / 16.0, -7);
    let perm = b.ints("perm", &[4], &[0, 1, 3, 2]);
    let t = b.act("xt", &[1, 2, 6, 4], 1.0 / 16.0, -7);
    b.op(TfOpKind::Transpose, &[x, perm], t);
    let y = b.act("scores", &[1, 2, 4, 4], 0.5, 10);
    b.op(matmul(false, false), &[x, t], y);
    cases.push(Case::new(
        "TRANSPOSE + BATCH_MATMUL, 2 heads",
        kind,
        b.graph("mm4", y),
        seed,
    ));

    seed += 1;
    let mut b = Builder::new(kind, seed);
    let x = b.act("input", &[1, 2, 4, 6], 1.0 / 8.0, 0);
    let y = b.act("gram", &[1, 2, 6, 6], 0.5, -2);
    b.op(matmul(true, false), &[x, x], y);
    cases.push(Case::new(
        "BATCH_MATMUL Xᵀ·X (adj_x), 2 heads",
        kind,
        b.graph("mmx", y),
        seed,
    ));
    cases
}

#[test]
fn batch_matmul_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases = matmul_cases();
    let reference = interpreter_outputs_with(
        &python,
        "matmul",
        &cases,
        "BUILTIN_WITHOUT_DEFAULT_DELEGATES",
    );
    let counts = cases
        .iter()
        .zip(&reference)
        .map(|(case, reference)| compare(case, reference));
    assert_none_differ(
        "model | quantization | values | differing | differing with gemmlowp's ties",
        &cases,
        counts,
    );
}

/// int8 self-attention over 2 heads of 4 tokens: scores `X·Xᵀ`, their softmax, the weighted
/// values `P·X`.
fn int8_attention() -> TfGraph {
    let mut b = Builder::new(Kind::I8PerTensor, 70);
    let x = b.act("input", &[1, 2, 4, 6], 1.0 / 16.0, -3);
    let scores = b.act("scores", &[1, 2, 4, 4], 0.25, 5);
    b.op(
        TfOpKind::BatchMatMul {
            adj_x: false,
            adj_y: true,
        },
        &[x, x],
        scores,
    );
    let probs = b.act("probs", &[1, 2, 4, 4], 1.0 / 256.0, -128);
    b.op(
        TfOpKind::Softmax {
            beta: crate::ops::unary::Param::new(1.0),
        },
        &[scores],
        probs,
    );
    let out = b.act("attended", &[1, 2, 4, 6], 1.0 / 16.0, 0);
    b.op(
        TfOpKind::BatchMatMul {
            adj_x: false,
            adj_y: false,
        },
        &[probs, x],
        out,
    );
    b.graph("attention", out)
}

#[test]
fn an_int8_attention_circuit_proves_its_values_and_rejects_another_output() {
    use crate::circuit::{plan_layout, Visibility};
    use halo2_proofs::dev::MockProver;
    use std::sync::Arc;

    let graph = int8_attention();
    let q = Arc::new(quantized(&graph));
    let plan = plan_layout(&q, None, Visibility::PUBLIC);
    assert!(plan.shape.byte_softmax && plan.shape.matmul && plan.shape.ties_up);
    let stored: Vec<i64> = (0..48).map(|i| ((i * 53) % 160) as i64 - 80).collect();
    let input = nchw_order(&stored, &[1, 2, 4, 6]);
    let values = q.evaluate(&input).unwrap();
    let accepts = |values: &[Vec<i64>]| {
        let circuit = public_circuit(&plan.shape, &q, values);
        let instance = circuit.instance(&input, &values[q.output]).unwrap();
        MockProver::run(plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    };
    assert!(accepts(&values), "the honest witness is rejected");
    // The scores' product one step off (recomputed downstream), and the output one off.
    let first = q
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::MatMul(_)))
        .unwrap();
    let mut wrong = values.clone();
    wrong[q.steps[first].output][3] += 1;
    let mut terms = Vec::new();
    for step in &q.steps[first + 1..] {
        wrong[step.output] = q.evaluate_step(step, &wrong, &mut terms).unwrap();
    }
    assert!(!accepts(&wrong), "a score one step off is accepted");
    let mut wrong = values.clone();
    wrong[q.output][0] += 1;
    assert!(!accepts(&wrong), "an output one step off is accepted");
}

#[test]
fn a_uint8_batch_matmul_is_refused_as_tflite_refuses_it() {
    let mut b = Builder::new(Kind::U8, 1);
    let x = b.act("input", &[1, 4, 6], 1.0 / 16.0, 3);
    let y = b.act("scores", &[1, 4, 4], 0.25, -4);
    b.op(
        TfOpKind::BatchMatMul {
            adj_x: false,
            adj_y: true,
        },
        &[x, x],
        y,
    );
    let err = lower(&b.graph("mm", y)).unwrap_err().to_string();
    assert!(
        err.contains("BATCH_MATMUL") && err.contains("int8"),
        "{err}"
    );
}
