//! A layer normalization's int8 operators against the TFLite interpreter, as TensorFlow's
//! converter writes Keras's LayerNormalization: MEAN over the last axis, SQUARED_DIFFERENCE of
//! the input and its broadcast mean, the variance's MEAN, ADD of ε, RSQRT, then MULs by γ, by
//! the input and by the mean, SUB from β and ADD. Each operator alone, the whole block, and the
//! block's circuit.

use super::interpreter_tests::{
    assert_none_differ, compare, interpreter_outputs_with, nchw_order, public_circuit, quantized,
    reference_python, Builder, Case, Kind,
};
use super::*;
use crate::qgraph::StepKind;

const NONE: FusedActivation = FusedActivation::None;
const KIND: Kind = Kind::I8PerTensor;

/// Every case's outputs equal the interpreter's default kernels' (the table printed, the
/// differing counted and required to be 0).
pub(super) fn none_differ_from_the_default_kernels(python: &str, tag: &str, cases: &[Case]) {
    let reference =
        interpreter_outputs_with(python, tag, cases, "BUILTIN_WITHOUT_DEFAULT_DELEGATES");
    let counts = cases.iter().zip(&reference).map(|(case, reference)| {
        let (compared, differing, _) = compare(case, reference);
        (compared, differing, 0)
    });
    assert_none_differ(
        "model | quantization | values | differing | -",
        cases,
        counts,
    );
}

/// MEAN over the last axis of `x` (quantized as the output `q`), kept as a dimension of 1.
fn mean_of_last_axis(b: &mut Builder, x: usize, shape: &[usize], q: (f32, i64)) -> usize {
    let axes = b.ints("axes", &[1], &[-1]);
    let mut out_shape = shape.to_vec();
    *out_shape.last_mut().unwrap() = 1;
    let y = b.act("mean", &out_shape, q.0, q.1);
    b.op(TfOpKind::Mean { keep_dims: true }, &[x, axes], y);
    y
}

/// Keras's LayerNormalization over the last axis of `x` (`shape`, quantized as `xq`) with
/// scales of the kind TensorFlow's calibration gives each tensor of it.
fn layer_norm(b: &mut Builder, x: usize, shape: &[usize], seed: i64) -> usize {
    let depth = *shape.last().unwrap();
    let mut row_shape = shape.to_vec();
    *row_shape.last_mut().unwrap() = 1;
    let mean = mean_of_last_axis(b, x, shape, (0.0056, -12));
    let sq = b.act("squared_difference", shape, 0.0527, -128);
    b.op(TfOpKind::SquaredDifference, &[x, mean], sq);
    let var = mean_of_last_axis(b, sq, shape, (0.0084, -128));
    // ε = 1e-6 as the converter stores it: a scalar at a tiny scale.
    let eps = b.int8_constant("epsilon", &[], (5.88e-9, -43), &[127]);
    let var_eps = b.act("var_eps", &row_shape, 0.0084, -128);
    b.op(TfOpKind::Add { act: NONE }, &[var, eps], var_eps);
    let rsqrt = b.act("rsqrt", &row_shape, 0.0077, -128);
    b.op(
        TfOpKind::Unary(crate::ops::unary::UnaryFn::InverseSqrt {
            epsilon: crate::ops::unary::Param::new(0.0),
        }),
        &[var_eps],
        rsqrt,
    );
    let gamma_values: Vec<i64> = (0..depth as i64)
        .map(|i| (i * 37 + seed * 11) % 200 - 72)
        .collect();
    let gamma = b.int8_constant("gamma", &[depth], (0.0039, -128), &gamma_values);
    let scale = b.act("scale", shape, 0.0077, -128);
    b.op(TfOpKind::Mul { act: NONE }, &[rsqrt, gamma], scale);
    let scaled_x = b.act("scaled_x", shape, 0.028, -5);
    b.op(TfOpKind::Mul { act: NONE }, &[x, scale], scaled_x);
    let scaled_mean = b.act("scaled_mean", shape, 0.0084, -1);
    b.op(TfOpKind::Mul { act: NONE }, &[mean, scale], scaled_mean);
    let beta_values: Vec<i64> = (0..depth as i64)
        .map(|i| (i * 53 + seed * 7) % 255 - 128)
        .collect();
    let beta = b.int8_constant("beta", &[depth], (0.0016, 0), &beta_values);
    let shift = b.act("shift", shape, 0.0078, 10);
    b.op(TfOpKind::Sub { act: NONE }, &[beta, scaled_mean], shift);
    let y = b.act("normalized", shape, 0.0255, -3);
    b.op(TfOpKind::Add { act: NONE }, &[scaled_x, shift], y);
    y
}

fn layer_norm_graph(shape: &[usize], seed: u64) -> TfGraph {
    let mut b = Builder::new(KIND, seed);
    let x = b.act("input", shape, 0.0279, -15);
    let y = layer_norm(&mut b, x, shape, seed as i64);
    b.graph("layer_norm", y)
}

/// RSQRT over every stored value at or above the input's zero point (the interpreter refuses
/// the others), at scales where the outputs saturate and where they spread.
fn rsqrt_cases() -> Vec<Case> {
    let mut cases = vec![];
    for (seed, (s_in, zp_in, s_out, zp_out)) in [
        (0.0084f32, -128i64, 0.0077f32, -128i64),
        (0.05, -20, 0.02, -100),
        (1e-4, -128, 0.5, -128),
        (2.0, -128, 0.004, -128),
        (0.3, 90, 0.01, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut b = Builder::new(KIND, 70 + seed as u64);
        let x = b.act("input", &[1, 4, 64], s_in, zp_in);
        let y = b.act("rsqrt", &[1, 4, 64], s_out, zp_out);
        b.op(
            TfOpKind::Unary(crate::ops::unary::UnaryFn::InverseSqrt {
                epsilon: crate::ops::unary::Param::new(0.0),
            }),
            &[x],
            y,
        );
        let mut case = Case::new(
            &format!("RSQRT {s_in} -> {s_out}"),
            KIND,
            b.graph("rsqrt", y),
            80 + seed as u64,
        );
        let span = 128 - zp_in;
        let every: Vec<i64> = (0..256).map(|i| zp_in + i % span).collect();
        case.inputs = std::iter::once(every)
            .chain(
                case.inputs
                    .iter()
                    .map(|v| v.iter().map(|&s| s.max(zp_in)).collect()),
            )
            .collect();
        cases.push(case);
    }
    cases
}

#[test]
fn rsqrt_matches_the_interpreter_on_every_value_it_accepts() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases = rsqrt_cases();
    none_differ_from_the_default_kernels(&python, "rsqrt", &cases);
}

#[test]
fn rsqrt_reads_an_input_below_its_zero_point_as_the_largest_output() {
    let f = lut::rsqrt(lut::Quant {
        in_scale: 0.01,
        in_zp: -20,
        out_scale: 0.01,
        out_zp: 0,
        out_min: -128,
        out_max: 127,
    });
    assert_eq!(f(-21), 127);
    assert_eq!(f(-128), 127);
    assert_eq!(f(-20), 127, "zero: the kernel's largest output");
    // 1/√(0.01·100) = 1 -> 100 steps of 0.01.
    assert_eq!(f(80), 100);
}

/// MEAN over the last axis in ranks 2 to 4, kept and dropped, with the input's quantization
/// and another; SQUARED_DIFFERENCE of a tensor and its mean in both orders, and of a tensor
/// and a constant row.
fn mean_and_squared_difference_cases() -> Vec<Case> {
    let mut cases = vec![];
    let mut seed = 90;
    let mut add = |name: &str, kind: Kind, graph: TfGraph, seed: u64| {
        cases.push(Case::new(name, kind, graph, seed));
    };
    for (shape, q, keep) in [
        (vec![1, 8, 16], (0.0056, -12), true),
        (vec![1, 8, 16], (0.0279, -15), true),
        (vec![1, 8, 16], (0.01, 4), false),
        (vec![1, 16], (0.0056, -12), true),
        (vec![1, 2, 3, 8], (0.02, 5), true),
    ] {
        seed += 1;
        let mut b = Builder::new(KIND, seed);
        let x = b.act("input", &shape, 0.0279, -15);
        let axes = b.ints("axes", &[1], &[shape.len() as i32 - 1]);
        let mut out_shape = shape.clone();
        if keep {
            *out_shape.last_mut().unwrap() = 1;
        } else {
            out_shape.pop();
        }
        let y = b.act("mean", &out_shape, q.0, q.1);
        b.op(TfOpKind::Mean { keep_dims: keep }, &[x, axes], y);
        let name = format!(
            "MEAN over the last axis of {shape:?}, keep {keep}, scale {}",
            q.0
        );
        add(&name, KIND, b.graph("mean", y), seed);
    }
    // Other axes: each output's elements copied into a row first (GlobalAveragePooling1D's
    // MEAN over the tokens; over H, over W, over all three of a 4-D tensor), in both types.
    for kind in [Kind::U8, KIND] {
        for (shape, axes, keep) in [
            (vec![1, 16, 32], vec![1], false),
            (vec![1, 16, 32], vec![1], true),
            (vec![1, 4, 5, 6], vec![1], false),
            (vec![1, 4, 5, 6], vec![2], true),
            (vec![1, 4, 5, 6], vec![1, 2, 3], true),
            (vec![1, 4, 5, 6], vec![2, 3], false),
        ] {
            seed += 1;
            let mut b = Builder::new(kind, seed);
            let x = b.act("input", &shape, 0.0279, -15);
            let spelled: Vec<i32> = axes.iter().map(|&a| a as i32).collect();
            let axes_t = b.ints("axes", &[axes.len()], &spelled);
            let out_shape = super::movement::reduced_shape(&shape, &axes, keep);
            let y = b.act("mean", &out_shape, 0.011, 3);
            b.op(TfOpKind::Mean { keep_dims: keep }, &[x, axes_t], y);
            let name = format!("MEAN over axes {axes:?} of {shape:?}, keep {keep}");
            add(&name, kind, b.graph("mean", y), seed);
        }
    }
    for (swapped, shape) in [
        (false, vec![1, 8, 16]),
        (true, vec![1, 8, 16]),
        (false, vec![1, 2, 3, 8]),
    ] {
        seed += 1;
        let mut b = Builder::new(KIND, seed);
        let x = b.act("input", &shape, 0.0279, -15);
        let mean = mean_of_last_axis(&mut b, x, &shape, (0.0056, -12));
        let sq = b.act("squared_difference", &shape, 0.0527, -128);
        let inputs = if swapped { [mean, x] } else { [x, mean] };
        b.op(TfOpKind::SquaredDifference, &inputs, sq);
        let name =
            format!("SQUARED_DIFFERENCE with a broadcast mean of {shape:?}, swapped {swapped}");
        add(&name, KIND, b.graph("squared_difference", sq), seed);
    }
    seed += 1;
    let mut b = Builder::new(KIND, seed);
    let x = b.act("input", &[1, 4, 8], 0.05, 3);
    let values: Vec<i64> = (0..8).map(|i| i * 30 - 110).collect();
    let row = b.int8_constant("row", &[8], (0.02, -7), &values);
    let sq = b.act("squared_difference", &[1, 4, 8], 0.1, -128);
    b.op(TfOpKind::SquaredDifference, &[x, row], sq);
    add(
        "SQUARED_DIFFERENCE with a constant row",
        KIND,
        b.graph("sq_const", sq),
        seed,
    );
    cases
}

#[test]
fn mean_over_any_axes_and_squared_difference_match_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases = mean_and_squared_difference_cases();
    none_differ_from_the_default_kernels(&python, "mean-sqdiff", &cases);
}

#[test]
fn a_layer_norm_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let cases: Vec<Case> = [(vec![1, 8, 16], 101), (vec![1, 5, 24], 102)]
        .into_iter()
        .map(|(shape, seed)| {
            Case::new(
                &format!("layer norm over {shape:?}"),
                KIND,
                layer_norm_graph(&shape, seed),
                seed,
            )
        })
        .collect();
    none_differ_from_the_default_kernels(&python, "layer-norm", &cases);
}

#[test]
fn a_layer_norm_circuit_accepts_its_witness_and_rejects_a_value_one_step_off() {
    use crate::circuit::{plan_layout, Visibility};
    use halo2_proofs::dev::MockProver;
    use std::sync::Arc;

    let shape = [1, 3, 8];
    let q = Arc::new(quantized(&layer_norm_graph(&shape, 7)));
    let plan = plan_layout(&q, None, Visibility::PUBLIC);
    let stored: Vec<i64> = (0..24).map(|i| ((i * 71) % 250) as i64 - 125).collect();
    let input = nchw_order(&stored, &shape);
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
    // One value one step off in the output of each kind of step the block adds, the rest of
    // the model recomputed from it.
    let off_by_one = |is_kind: &dyn Fn(&StepKind) -> bool, what: &str| {
        let at = q.steps.iter().position(|s| is_kind(&s.kind)).unwrap();
        let out = q.steps[at].output;
        let mut wrong = values.clone();
        wrong[out][1] += if wrong[out][1] < 100 { 1 } else { -1 };
        let mut terms = Vec::new();
        for step in &q.steps[at + 1..] {
            wrong[step.output] = q.evaluate_step(step, &wrong, &mut terms).unwrap();
        }
        assert!(!accepts(&wrong), "{what} one step off is accepted");
    };
    off_by_one(&|k| matches!(k, StepKind::Linear(_)), "a row's mean");
    off_by_one(
        &|k| matches!(k, StepKind::SquaredDifference(_)),
        "a squared difference",
    );
    off_by_one(&|k| matches!(k, StepKind::Lookup(_)), "an ε sum or a RSQRT");
    off_by_one(&|k| matches!(k, StepKind::QuantizedMul(_)), "a product");
}

/// A dynamic batch's Dense layers reshape `[1, T, D]` tokens to `[T, D]` rows and back: such a
/// tensor inside the model loads (its first dimension counts rows), while the model's own input
/// and output must still have batch 1.
#[test]
fn rows_may_lead_a_tensor_inside_the_model_but_not_its_input_or_output() {
    let tanh = || TfOpKind::Unary(crate::ops::unary::UnaryFn::Tanh);
    let mut b = Builder::new(KIND, 5);
    let x = b.act("input", &[1, 4, 8], 0.05, 0);
    let rows_shape = b.ints("rows_shape", &[2], &[4, 8]);
    let rows = b.act("rows", &[4, 8], 0.05, 0);
    b.op(TfOpKind::Reshape, &[x, rows_shape], rows);
    let y = b.act("tanh", &[4, 8], 1.0 / 128.0, 0);
    b.op(tanh(), &[rows], y);
    let back_shape = b.ints("back_shape", &[3], &[1, 4, 8]);
    let back = b.act("tokens", &[1, 4, 8], 1.0 / 128.0, 0);
    b.op(TfOpKind::Reshape, &[y, back_shape], back);
    let inner = b.graph("rows", back);
    let q = quantized::lower(&inner, FinalSoftmax::Outside).unwrap();
    let input: Vec<i64> = (0..32).map(|i| i * 7 - 100).collect();
    let out = q.evaluate(&input).unwrap()[q.output].clone();
    assert_eq!(out.len(), 32);

    for (shape, output) in [(vec![2, 8], false), (vec![1, 16], true)] {
        let mut b = Builder::new(KIND, 6);
        let x = b.act("input", &shape, 0.05, 0);
        let target = if output { vec![2, 8] } else { shape.clone() };
        let scale = if output { 0.05 } else { 1.0 / 128.0 };
        let y = b.act("y", &target, scale, 0);
        if output {
            let s = b.ints("shape", &[2], &[2, 8]);
            b.op(TfOpKind::Reshape, &[x, s], y);
        } else {
            b.op(tanh(), &[x], y);
        }
        let err = quantized::lower(&b.graph("batch", y), FinalSoftmax::Outside).unwrap_err();
        assert!(err.to_string().contains("batch size 1"), "{err}");
    }
}

/// Structured fuzzing of the int8 lowerings: the converted encoder, ViT, ConvNeXt, causal,
/// keyword-spotting, ELU-island, decoder, PReLU and extrema models and the SUM, TILE and ARG_MAX
/// fixtures with an activation's shape, a quantization, a constant int32 operand
/// (axes, shapes, permutations) or an operator's input changed at random. Lowering and, when
/// that succeeds, evaluating must return errors, never panic.
#[test]
fn mutated_int8_models_lower_to_an_error_or_a_graph_never_a_panic() {
    use rand::{Rng, SeedableRng};
    let models = [
        "keras_encoder_int8.tflite",
        "keras_vit_int8.tflite",
        "keras_convnext_int8.tflite",
        "keras_causal_int8.tflite",
        // REDUCE_MAX, a float island, TRANSPOSE_CONV, PRELU.
        "keras_kws_int8.tflite",
        "keras_elu_int8.tflite",
        "keras_decoder_int8.tflite",
        "keras_prelu_int8.tflite",
        // MAXIMUM, MINIMUM, PAD of a sequence.
        "keras_extrema_int8.tflite",
        // SUM (its search for an exact multiplier), TILE, a final ARG_MAX.
        "op_sum_hw_int8.tflite",
        "op_tile_int8.tflite",
        "op_argmax_int8.tflite",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tflite-ptq");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let (mut lowered, mut refused) = (0, 0);
    for model in models {
        let bytes = std::fs::read(dir.join(model)).unwrap();
        let original = parse(&bytes, model, model).unwrap();
        for _ in 0..1000 {
            let mut g = original.clone();
            for _ in 0..rng.gen_range(1..=3) {
                let t = rng.gen_range(0..g.tensors.len());
                match rng.gen_range(0..4) {
                    0 if g.tensors[t].data.is_none() => {
                        let tensor = &mut g.tensors[t];
                        if !tensor.shape.is_empty() {
                            let d = rng.gen_range(0..tensor.shape.len());
                            tensor.shape[d] = rng.gen_range(0..=40);
                        }
                    }
                    1 => {
                        if let Some(q) = &mut g.tensors[t].quant {
                            let choices = [0.0, -1.0, f32::NAN, f32::INFINITY, 1e-30, 1e30, 0.01];
                            if let Some(s) = q.scales.first_mut() {
                                *s = choices[rng.gen_range(0..choices.len())];
                            }
                            if let Some(z) = q.zero_points.first_mut() {
                                *z = rng.gen_range(-300..=300);
                            }
                        }
                    }
                    2 if g.tensors[t].dtype == TfType::I32 => {
                        if let Some(data) = &mut g.tensors[t].data {
                            for chunk in data.chunks_mut(4) {
                                let v: i32 = rng.gen_range(-6..=40);
                                chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
                            }
                        }
                    }
                    _ => {
                        let n = g.ops.len();
                        let op = &mut g.ops[rng.gen_range(0..n)];
                        if !op.inputs.is_empty() {
                            let k = rng.gen_range(0..op.inputs.len());
                            op.inputs[k] = Some(t);
                        }
                    }
                }
            }
            let outcome = std::panic::catch_unwind(|| match lower(&g) {
                Ok(Loaded::Quantized(q)) => {
                    let input = vec![0i64; q.input_tensor().len()];
                    let _ = q.evaluate(&input);
                    true
                }
                Ok(_) => true,
                Err(_) => false,
            });
            match outcome {
                Ok(true) => lowered += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("{model}: a mutated graph panicked"),
            }
        }
    }
    eprintln!("{lowered} mutants lowered, {refused} refused");
    assert!(refused > 0 && lowered > 0);
}

/// A squared difference's square takes four lanes of one dot row: a forced dot width below 4
/// is refused by name before any planning, and 4 is accepted.
#[test]
fn a_layer_norm_needs_a_dot_width_of_four() {
    use crate::prove::{compile_quantized, CompileOptions};
    let q = quantized(&layer_norm_graph(&[1, 3, 8], 7));
    for width in [1, 2, 3] {
        let opts = CompileOptions {
            dot_width: Some(width),
            ..CompileOptions::default()
        };
        let err = compile_quantized(q.clone(), &opts).unwrap_err().to_string();
        assert!(err.contains("dot width of 4"), "{err}");
    }
    let opts = CompileOptions {
        dot_width: Some(4),
        ..CompileOptions::default()
    };
    compile_quantized(q, &opts).expect("4 lanes are enough");
}

/// A squared difference far larger than its output's scale was calibrated for: its quotient
/// would leave the fixed-point chip's 16-bit domain, so the witness is refused by name (the
/// step and the value) before any proving, not left to fail inside the prover.
#[test]
fn a_squared_difference_beyond_the_proven_domain_is_refused_before_proving() {
    let mut b = Builder::new(KIND, 3);
    let shape = [1, 4, 8];
    let x = b.act("input", &shape, 0.05, 0);
    let mean = mean_of_last_axis(&mut b, x, &shape, (0.05, 0));
    let sq = b.act("squared_difference", &shape, 1e-5, -128);
    b.op(TfOpKind::SquaredDifference, &[x, mean], sq);
    let q = quantized(&b.graph("tiny_scale", sq));
    let spread: Vec<i64> = (0..32)
        .map(|i| if i % 2 == 0 { 127 } else { -128 })
        .collect();
    let err = q.evaluate(&spread).unwrap_err().to_string();
    assert!(err.contains("squared_difference"), "{err}");
    // A constant input has no difference at all: it evaluates.
    assert!(q.evaluate(&[5; 32]).is_ok());
}
