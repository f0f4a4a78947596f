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

/// `lut::prelu` by hand: input scale 0.5, output scale 0.25 (the identity side doubles), slope
/// scale 0.1 (the slope side multiplies `x·alpha` by 0.2), zero points 0, int8 saturation.
#[test]
fn a_prelu_table_is_the_kernels_arithmetic() {
    let q = super::lut::Quant {
        in_scale: 0.5,
        in_zp: 0,
        out_scale: 0.25,
        out_zp: 0,
        out_min: -128,
        out_max: 127,
    };
    let slope_half = super::lut::prelu(q, 0.1, 5);
    assert_eq!(slope_half(10), 20, "the identity side, doubled");
    assert_eq!(slope_half(100), 127, "saturated");
    assert_eq!(slope_half(0), 0);
    assert_eq!(slope_half(-10), -10, "-10·5·0.2");
    let slope_tenth = super::lut::prelu(q, 0.1, 1);
    assert_eq!(slope_tenth(-3), -1, "-0.6 rounds away from zero");
    // -0.4 is -1 by gemmlowp's double rounding: the high product rounds -2·0.8 = -1.6 to -2,
    // then the shift by 2 rounds -0.5 away from zero.
    assert_eq!(slope_tenth(-2), -1, "double rounding");
    assert_eq!(slope_tenth(-1), 0, "-0.8 rounds to -1, then -0.25 to 0");
    let negative = super::lut::prelu(q, 0.1, -100);
    assert_eq!(negative(-128), 127, "-128·-100·0.2 saturates upwards");
    assert_eq!(negative(-1), 20);
}

/// Keras's default slope, one per element of `[H, W, C]`: our element `(c, h, w)` (NCHW) reads
/// the slope TFLite stores at `(h, w, c)`.
#[test]
fn each_element_reads_the_table_of_its_own_slope() {
    let g = prelu_graph(
        Kind::I8PerTensor,
        &[1, 6, 5, 4],
        &[6, 5, 4],
        (0.05, 0.004, 0.04),
    );
    let q = quantized(&g);
    let StepKind::Lookups(t) = &q.steps[0].kind else {
        panic!("PRELU lowered to {:?}", q.steps[0].kind)
    };
    let alpha = &g.tensors[g.ops[0].inputs[1].unwrap()];
    let stored = alpha.int_data().unwrap();
    let quant = super::lut::Quant::of(&g.tensors[g.input], &g.tensors[g.output]).unwrap();
    for (o, &table) in t.table_of.iter().enumerate() {
        let (c, h, w) = (o / 30, o / 5 % 6, o % 5);
        // The slope's zero point is 3 (`prelu_graph`).
        let a = stored[(h * 5 + w) * 4 + c] - 3;
        let want = crate::ops::lookup::ByteLookup::from_stored(
            -128,
            quant.in_zp,
            quant.out_zp,
            super::lut::prelu(quant, 0.004, a),
        );
        assert_eq!(t.tables[table as usize], want, "element {o}");
    }
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

/// A PRELU's slopes are in its tables, which the verifying key holds: with hidden weights (the
/// default) compile refuses it by name, before any key work, and points to `--weights fixed`.
#[test]
fn a_prelu_is_refused_with_hidden_weights_and_compiles_with_fixed_ones() {
    let q = quantized(&prelu_graph(
        Kind::I8PerTensor,
        &[1, 4, 4, 2],
        &[4, 4, 2],
        (0.05, 0.004, 0.04),
    ));
    let hidden = crate::prove::CompileOptions {
        visibility: crate::circuit::Visibility::SERVED,
        ..Default::default()
    };
    let Err(err) = crate::prove::compile_quantized(q.clone(), &hidden) else {
        panic!("a PRELU compiled with hidden weights")
    };
    let err = err.to_string();
    assert!(
        err.contains("PRELU") && err.contains("--weights fixed"),
        "{err}"
    );
    let fixed = crate::prove::CompileOptions {
        visibility: crate::circuit::Visibility::PUBLIC,
        ..Default::default()
    };
    let compiled = crate::prove::compile_quantized(q, &fixed);
    assert!(compiled.is_ok(), "{:?}", compiled.err());
}
