//! int8/uint8 MAXIMUM, MINIMUM and PAD of any axes against the interpreter's default kernels,
//! and MINIMUM's circuit.

use super::interpreter_tests::{nchw_order, quantized, reference_python, Builder, Case, Kind};
use super::layer_norm_tests::none_differ_from_the_default_kernels;
use super::mock_check::MockCheck;
use super::*;
use crate::qgraph::StepKind;

const NONE: FusedActivation = FusedActivation::None;

/// The input, and a second tensor of the same quantization computed from it (the input times
/// -0.9, saturating), for an operator of two tensors.
fn input_and_its_product(b: &mut Builder, shape: &[usize]) -> (usize, usize) {
    let x = b.act("input", shape, 0.05, -7);
    let c = b.act_constant("factor", &[], (0.01, 0), &[-90]);
    let y = b.act("product", shape, 0.05, -7);
    b.op(TfOpKind::Mul { act: NONE }, &[x, c], y);
    (x, y)
}

enum Other {
    /// The product of the input, of its shape.
    Product,
    /// The product's mean over the channels, kept as an axis of one (broadcast).
    ChannelMean,
    /// A constant scalar of stored value `v`.
    Scalar(i64),
    /// A constant with one value per channel.
    PerChannel,
    /// A constant with one value per element, without the batch axis.
    PerElement,
}

fn extremum_graph(kind: Kind, maximum: bool, shape: &[usize], other: &Other) -> TfGraph {
    let mut b = Builder::new(kind, 17);
    let (x, y) = input_and_its_product(&mut b, shape);
    let channels = *shape.last().unwrap();
    let second = match other {
        Other::Product => y,
        Other::ChannelMean => {
            let axes = b.ints("axes", &[1], &[-1]);
            let mut mean_shape = shape.to_vec();
            *mean_shape.last_mut().unwrap() = 1;
            let m = b.act("mean", &mean_shape, 0.05, -7);
            b.op(TfOpKind::Mean { keep_dims: true }, &[y, axes], m);
            m
        }
        Other::Scalar(v) => b.act_constant("bound", &[], (0.05, -7), &[*v]),
        Other::PerElement => {
            let n: usize = shape[1..].iter().product();
            let values: Vec<i64> = (0..n as i64).map(|i| i * 53 % 250 - 125).collect();
            b.act_constant("bounds", &shape[1..], (0.05, -7), &values)
        }
        Other::PerChannel => {
            let values: Vec<i64> = (0..channels as i64).map(|c| c * 37 % 200 - 100).collect();
            b.act_constant("bounds", &[channels], (0.05, -7), &values)
        }
    };
    let out = b.act("extremum", shape, 0.05, -7);
    b.op(TfOpKind::Extremum { maximum }, &[x, second], out);
    b.graph("extremum", out)
}

#[test]
fn maximum_and_minimum_match_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut cases = vec![];
    let mut seed = 200;
    for kind in [Kind::U8, Kind::I8PerTensor] {
        for maximum in [true, false] {
            for (shape, other, what) in [
                (vec![1, 6, 5, 4], Other::Product, "of two tensors"),
                (
                    vec![1, 6, 5, 4],
                    Other::ChannelMean,
                    "broadcast over the channels",
                ),
                (vec![1, 6, 5, 4], Other::Scalar(60), "by a scalar"),
                (
                    vec![1, 6, 5, 4],
                    Other::PerChannel,
                    "by a constant per channel",
                ),
                (vec![1, 8, 6], Other::Product, "of two sequences"),
                (
                    vec![1, 8, 6],
                    Other::PerElement,
                    "by a constant per element of a sequence",
                ),
            ] {
                seed += 1;
                let name = if maximum { "MAXIMUM" } else { "MINIMUM" };
                cases.push(Case::new(
                    &format!("{name} {what}, {shape:?}"),
                    kind,
                    extremum_graph(kind, maximum, &shape, &other),
                    seed,
                ));
            }
        }
    }
    none_differ_from_the_default_kernels(&python, "extremum", &cases);
}

fn pad_graph(kind: Kind, shape: &[usize], pairs: &[i32]) -> TfGraph {
    let mut b = Builder::new(kind, 23);
    let x = b.act("input", shape, 0.05, -7);
    let pads = b.ints("paddings", &[shape.len(), 2], pairs);
    let out_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &n)| n + (pairs[2 * d] + pairs[2 * d + 1]) as usize)
        .collect();
    let y = b.act("padded", &out_shape, 0.05, -7);
    b.op(TfOpKind::Pad, &[x, pads], y);
    b.graph("pad", y)
}

#[test]
fn pad_of_any_axes_matches_the_interpreter() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut cases = vec![];
    let mut seed = 230;
    for kind in [Kind::U8, Kind::I8PerTensor] {
        for (shape, pairs, what) in [
            (
                vec![1, 10, 4],
                vec![0, 0, 2, 0, 0, 0],
                "a causal Conv1D's time axis",
            ),
            (vec![1, 10, 4], vec![0, 0, 1, 3, 2, 1], "time and features"),
            (
                vec![1, 4, 3, 2],
                vec![0, 0, 1, 0, 0, 2, 3, 1],
                "height, width and channels",
            ),
            (vec![1, 12], vec![0, 0, 3, 4], "a row"),
        ] {
            seed += 1;
            cases.push(Case::new(
                &format!("PAD of {what}: {shape:?} by {pairs:?}"),
                kind,
                pad_graph(kind, &shape, &pairs),
                seed,
            ));
        }
    }
    none_differ_from_the_default_kernels(&python, "pad", &cases);
}

#[test]
fn extrema_of_operands_with_different_zero_points_are_refused() {
    let mut g = extremum_graph(Kind::I8PerTensor, true, &[1, 4, 4, 2], &Other::Product);
    let out = g.output;
    g.tensors[out].quant.as_mut().unwrap().zero_points[0] = 3;
    let err = lower(&g).unwrap_err().to_string();
    assert!(
        err.contains("MAXIMUM") && err.contains("zero points"),
        "{err}"
    );
}

/// The circuit accepts the evaluator's values and rejects a minimum or a maximum one step off
/// (the classifier after it recomputed), and a negated pair's maximum one step off.
#[test]
fn an_extremum_circuit_rejects_a_value_one_step_off() {
    for maximum in [true, false] {
        let shape = [1, 3, 2, 4];
        let mut b = Builder::new(Kind::I8PerTensor, 29);
        let (x, y) = input_and_its_product(&mut b, &shape);
        let m = b.act("extremum", &shape, 0.05, -7);
        b.op(TfOpKind::Extremum { maximum }, &[x, y], m);
        let logits = b.fully_connected("logits", m, 3, 0.5, 0);
        let q = std::sync::Arc::new(quantized(&b.graph("extremum", logits)));
        let centred: Vec<i64> = (0..24).map(|i| ((i * 53) % 230) as i64 - 115).collect();
        let (check, values) = MockCheck::of_graph(q, nchw_order(&centred, &shape));
        assert!(check.accepts(&values), "the honest witness is rejected");
        let maxima: Vec<usize> = check
            .q
            .steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Max { .. }))
            .map(|s| s.output)
            .collect();
        assert_eq!(maxima.len(), 1);
        let output = check
            .q
            .steps
            .iter()
            .find(|s| s.name == "extremum")
            .unwrap()
            .output;
        for tensor in [maxima[0], output] {
            for (index, step) in [(0, 1), (5, -1)] {
                let wrong = check.shifted(&values, tensor, index, step);
                assert!(
                    !check.accepts(&wrong),
                    "maximum {maximum}: {step:+} at {index} of tensor {tensor} is accepted"
                );
            }
        }
    }
}

/// Keras's Maximum and Minimum layers, a hard_sigmoid and causal Conv1Ds as the converter
/// writes them (`keras_extrema_int8.tflite`: MAXIMUM and MINIMUM of two tensors, MINIMUM by a
/// scalar, PADs of the time axis) against both of the interpreter's kernel sets.
#[test]
fn a_tensorflow_quantized_model_with_extrema_and_causal_convolutions_agrees_with_the_interpreter() {
    super::ptq_tests::agrees_with_the_interpreter("keras_extrema_int8.tflite");
}

/// Its circuit accepts the evaluator's values and rejects the MINIMUM of two tensors one step
/// off (every later step recomputed).
#[test]
fn the_extrema_models_circuit_rejects_a_minimum_one_step_off() {
    let (check, honest) = MockCheck::new("keras_extrema_int8.tflite", 4);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    // The MINIMUM of two tensors is the only step reading a maximum of negated pairs.
    let negated_max = check
        .q
        .steps
        .iter()
        .position(|s| s.name.ends_with("/negated"))
        .expect("a minimum of two tensors");
    let minimum = check.q.steps[negated_max + 1].output;
    let wrong = check.corrupted(&honest, minimum, 3);
    assert!(!check.accepts(&wrong), "a minimum one step off is accepted");
}
