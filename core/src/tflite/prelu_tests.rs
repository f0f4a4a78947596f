//! int8/uint8 PRELU against the interpreter's default kernels (slopes per element, per
//! channel, per feature and one for all), Keras's PReLU as the converter writes it, by hand,
//! and its circuit.

use super::interpreter_tests::{evaluate, quantized, reference_python, Builder, Case, Kind};
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

/// The circuit accepts the evaluator's values, and rejects (every later step recomputed) a
/// PRELU output one step off, and a slope side one step off: the product of an element below
/// zero by its own slope, which only the product's rows can tell.
#[test]
fn a_prelu_circuit_rejects_a_wrong_output_and_a_wrong_product_by_the_slope() {
    let (check, honest) = MockCheck::new("keras_prelu_int8.tflite", 12);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let step = check
        .q
        .steps
        .iter()
        .find(|s| s.name.ends_with("/slope side"))
        .expect("a PRELU's slope side");
    assert!(matches!(step.kind, StepKind::QuantizedMul(_)));
    // An element below zero: its slope side is not the centred zero.
    let below = honest[step.inputs[0]]
        .iter()
        .position(|&v| v < 0)
        .expect("an element below zero");
    let prelu = check
        .q
        .steps
        .iter()
        .position(|s| s.name.ends_with("/slope side"))
        .unwrap()
        + 1;
    for (tensor, what) in [
        (step.output, "a slope side"),
        (check.q.steps[prelu].output, "a PRELU output"),
    ] {
        let wrong = check.corrupted(&honest, tensor, below);
        assert!(!check.accepts(&wrong), "{what} one off is accepted");
    }
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
    let out = g.output;
    g.tensors[out].dtype = TfType::U8;
    g.tensors[out].quant.as_mut().unwrap().zero_points[0] = 139;
    let err = lower(&g).unwrap_err().to_string();
    assert!(err.contains("PRELU") && err.contains("output U8"), "{err}");

    let mut g = prelu_graph(Kind::I8PerTensor, &[1, 4, 4, 2], &[2], (0.05, 0.004, 0.04));
    g.tensors[alpha].data = None;
    let err = lower(&g).unwrap_err().to_string();
    assert!(err.contains("PRELU") && err.contains("computes"), "{err}");
}

/// A float model's PRELU goes through the ONNX mapping as PRelu: with one slope per channel,
/// and with Keras's default of one per element (`[H, W, C]`).
#[test]
fn a_float_prelu_is_the_identity_above_zero_and_the_slope_below() {
    let per_channel = [0.25, -0.5];
    let per_element: Vec<f32> = (0..12).map(|i| i as f32 / 8.0 - 0.7).collect();
    for (slope_shape, slopes) in [
        (vec![1, 1, 2], &per_channel[..]),
        (vec![3, 2, 2], &per_element[..]),
    ] {
        let mut b = Builder::new(Kind::I8PerTensor, 3);
        let x = b.float_act("input", &[1, 3, 2, 2]);
        let alpha = b.float_constant("alpha", &slope_shape, slopes);
        let y = b.float_act("prelu", &[1, 3, 2, 2]);
        b.op(TfOpKind::Prelu, &[x, alpha], y);
        let g = b.graph("prelu", y);
        let Loaded::Float(m) = lower(&g).unwrap() else {
            panic!("a float model lowered as quantized")
        };
        // NHWC element i reads slope i % len (the slope's shape ends the input's). The model's
        // input and output are NCHW.
        let nhwc: Vec<f32> = (0..12).map(|i| i as f32 - 6.0).collect();
        let input = super::interpreter_tests::nchw_order(&nhwc, &[1, 3, 2, 2]);
        let got = m.eval_float(&input).unwrap()[m.output].data.clone();
        let want: Vec<f32> = nhwc
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v >= 0.0 {
                    v
                } else {
                    v * slopes[i % slopes.len()]
                }
            })
            .collect();
        let want = super::interpreter_tests::nchw_order(&want, &[1, 3, 2, 2]);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-6, "slope {slope_shape:?}: {got:?} vs {want:?}");
    }
}

/// PRELU by hand: input scale 0.5, output scale 0.25 (the identity side doubles), slope scale
/// 0.1 (the slope side multiplies `x·alpha` by 0.2), zero points 0, int8 saturation.
#[test]
fn prelu_is_the_kernels_arithmetic() {
    let mut b = Builder::new(Kind::I8PerTensor, 1);
    let x = b.act("input", &[1, 8], 0.5, 0);
    let slopes = [5, 5, 5, 5, 1, 1, -100, -100];
    let alpha = b.act_constant("alpha", &[8], (0.1, 0), &slopes);
    let y = b.act("prelu", &[1, 8], 0.25, 0);
    b.op(TfOpKind::Prelu, &[x, alpha], y);
    let g = b.graph("prelu", y);
    let got = evaluate(&quantized(&g), &g, &[10, 100, 0, -10, -3, -2, -128, -1]);
    // 10·2; 100·2 saturates; 0; -10·5·0.2; -3·0.2 = -0.6 rounds away from zero to -1; -2·0.2 =
    // -0.4 is -1 by gemmlowp's double rounding (the high product rounds -1.6 to -2, the shift by
    // 2 rounds -0.5 away from zero); -128·-100·0.2 saturates upwards; -1·-100·0.2 = 20.
    assert_eq!(got, vec![20, 127, 0, -10, -1, -1, 127, 20]);
}

/// Keras's default slope, one per element of `[H, W, C]`: our element `(c, h, w)` (NCHW) is
/// multiplied by the slope TFLite stores at `(h, w, c)`.
#[test]
fn each_element_is_multiplied_by_its_own_slope() {
    let (s_in, s_alpha, s_out) = (0.05f32, 0.004f32, 0.04f32);
    let g = prelu_graph(
        Kind::I8PerTensor,
        &[1, 6, 5, 4],
        &[6, 5, 4],
        (s_in, s_alpha, s_out),
    );
    let alpha = &g.tensors[g.ops[0].inputs[1].unwrap()];
    let stored = alpha.int_data().unwrap();
    let slope = crate::qgraph::QuantizedMultiplier::from_real((s_in * s_alpha / s_out) as f64);
    // Every element at the most negative input: stored -128, centred -121 (zero point -7).
    let input = vec![-128; 120];
    let got = evaluate(&quantized(&g), &g, &input);
    for (i, &y) in got.iter().enumerate() {
        // `evaluate` answers in TFLite's NHWC order: element i reads slope i.
        let a = stored[i] - 3;
        let want = (slope.apply(-121 * a).unwrap() + 11).clamp(-128, 127);
        assert_eq!(y, want, "element {i} with slope {a}");
    }
}

/// A PRELU's slopes are parameters of the graph (committed when the weights are hidden), not
/// entries of the key's lookup table: the default compile takes it, and its table holds two
/// 8-bit functions however many slopes there are.
#[test]
fn a_prelu_compiles_with_hidden_weights_and_its_slopes_are_not_in_the_table() {
    let q = quantized(&prelu_graph(
        Kind::I8PerTensor,
        &[1, 4, 4, 2],
        &[4, 4, 2],
        (0.05, 0.004, 0.04),
    ));
    let lookups = crate::circuit::table::TableSpec::of(&q).lookups;
    assert_eq!(lookups.len(), 2, "the identity side and min(x, 0)");
    let slopes_as_parameters = q.steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Linear(l) if l.params().is_some_and(|(_, bias)| bias.len() == 32))
    });
    assert!(slopes_as_parameters, "the slopes are parameters");
    let hidden = crate::prove::CompileOptions {
        visibility: crate::circuit::Visibility::SERVED,
        ..Default::default()
    };
    let compiled = crate::prove::compile_quantized(q, &hidden);
    assert!(compiled.is_ok(), "{:?}", compiled.err());
}

/// Scales whose requantization would overflow the interpreter's int32 arithmetic (a multiplier
/// of 2^40) are refused before any table is made, and a multiplier that large gives `None`, not
/// a shift past 64 bits, for any input but 0.
#[test]
fn a_prelu_whose_requantization_overflows_is_refused() {
    let g = prelu_graph(Kind::I8PerTensor, &[1, 4, 4, 2], &[2], (1e6, 0.004, 1e-6));
    let err = lower(&g).unwrap_err().to_string();
    assert!(err.contains("PRELU") && err.contains("overflows"), "{err}");
    let huge = crate::qgraph::QuantizedMultiplier::from_real(2f64.powi(40));
    assert_eq!(huge.apply(0), Some(0));
    assert_eq!(huge.apply(1), None);
    assert_eq!(huge.apply(-255), None);
}
