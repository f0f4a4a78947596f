//! int8 and uint8 SOFTMAX in the middle of a model, against the TFLite interpreter's reference
//! kernels (`BUILTIN_REF`: the fixed-point kernel zkinfer proves, the one TFLite Micro runs), and
//! its circuit. The interpreter's default x86 kernel computes the same softmax in float with a
//! table of exponentials; how often it differs is reported, not required.

use super::interpreter_tests::{
    compare, interpreter_outputs_with, nchw_order, public_circuit, quantized, reference_python,
    Builder, Case, Kind,
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
    let mut table = String::from(
        "| model | quantization | values | differing from the reference kernel | from the default kernel |\n|---|---|---|---|---|\n",
    );
    let mut wrong = vec![];
    for ((case, reference), optimized) in cases.iter().zip(&reference).zip(&optimized) {
        let q = quantized(&case.graph);
        assert!(
            q.steps
                .iter()
                .any(|s| matches!(s.kind, StepKind::ByteSoftmax(_))),
            "{}: the softmax is proven",
            case.name
        );
        let (compared, differing, _) = compare(case, reference);
        let (_, from_default, _) = compare(case, optimized);
        table += &format!(
            "| {} | {} | {compared} | {differing} | {from_default} |\n",
            case.name,
            case.kind.label()
        );
        if differing > 0 {
            wrong.push(format!("{} ({})", case.name, case.kind.label()));
        }
    }
    eprintln!("{table}");
    assert!(
        wrong.is_empty(),
        "differ from the reference kernel: {wrong:?}\n{table}"
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
