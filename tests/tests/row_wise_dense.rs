//! A dense layer applied to every row of its input (ONNX MatMul of a `[1, T, K]` sequence by a
//! constant `[K, N]`, or Gemm of an `[M, K]` matrix, as token-wise layers are): its float
//! evaluation is each row times the weights, and its circuit, with public and with hidden
//! weights, accepts the honest witness and rejects a corrupted output in a row other than the
//! first (each row reads its own inputs, not the first row's).

use halo2_proofs::dev::MockProver;
use zkinfer_core::circuit::{Visibility, WeightVisibility};
use zkinfer_core::ir::{Dense, ModelBuilder, Op};
use zkinfer_core::prove::{compile, CompileOptions};
use zkinfer_core::qgraph::{LinearKernel, StepKind};
use zkinfer_core::tensor::Tensor;

/// `[1, 3, 4]` rows through a `4 -> 2` layer, then ReLU.
fn token_wise_model() -> zkinfer_core::ir::Model {
    let mut b = ModelBuilder::new("rows", "x", vec![1, 3, 4]).unwrap();
    let dense = Dense {
        weight: Tensor::new(
            vec![2, 4],
            vec![0.5, -0.25, 1.0, 0.0, -1.0, 0.75, 0.5, 0.25],
        ),
        bias: vec![0.125, -0.5],
    };
    let y = b.add("proj", Op::Dense(dense), vec![0], "y", None).unwrap();
    let r = b.add("relu", Op::Relu, vec![y], "r", None).unwrap();
    b.finish(r).unwrap()
}

/// MockProver's verdict on `compiled`'s circuit with `values` and public output `out`.
fn verify(
    compiled: &zkinfer_core::prove::Compiled,
    input: &[i64],
    values: Vec<Vec<i64>>,
    out: &[i64],
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let circuit = compiled.circuit(Some(values));
    let instance = circuit.instance(input, out).unwrap();
    MockProver::run(compiled.plan.k, &circuit, vec![instance])
        .unwrap()
        .verify()
}

/// The output tensor of the graph's Dense step.
fn dense_output(graph: &zkinfer_core::qgraph::QGraph) -> usize {
    let step = graph
        .steps
        .iter()
        .find(|s| {
            matches!(&s.kind, StepKind::Linear(l) if matches!(l.kernel, LinearKernel::Dense { .. }))
        })
        .expect("the dense step");
    step.output
}

#[test]
fn each_row_is_multiplied_by_the_weights() {
    let model = token_wise_model();
    let x: Vec<f32> = (0..12).map(|v| v as f32 - 4.0).collect();
    let values = model.eval_float(&x).unwrap();
    let y = &values[1];
    assert_eq!(y.shape, vec![1, 3, 2]);
    let expected: Vec<f32> = x
        .chunks(4)
        .flat_map(|row| {
            let a = 0.5 * row[0] - 0.25 * row[1] + row[2] + 0.125;
            let b = -row[0] + 0.75 * row[1] + 0.5 * row[2] + 0.25 * row[3] - 0.5;
            [a, b]
        })
        .collect();
    assert_eq!(y.data, expected);
}

#[test]
fn a_row_wise_layer_is_proven_row_by_row_with_public_and_hidden_weights() {
    let model = token_wise_model();
    let calibration: Vec<Vec<f32>> = (0..8)
        .map(|s| {
            (0..12)
                .map(|i| ((i * 7 + s * 3) % 11) as f32 / 4.0 - 1.0)
                .collect()
        })
        .collect();
    let hidden_weights = Visibility {
        weights: WeightVisibility::Hidden,
        ..Visibility::PUBLIC
    };
    for visibility in [Visibility::PUBLIC, hidden_weights] {
        let opts = CompileOptions {
            visibility,
            ..Default::default()
        };
        let compiled = compile(&model, &calibration, &opts).unwrap();
        let (input, values) = compiled.witness(&calibration[0]).unwrap();
        // The quantized rows track the float rows (each row read from its own inputs).
        let float = &model.eval_float(&calibration[0]).unwrap()[model.output];
        let quantized = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
        for (q, f) in quantized.iter().zip(&float.data) {
            assert!(
                (q - *f as f64).abs() < 0.05,
                "{quantized:?} vs {:?}",
                float.data
            );
        }
        let out = values[compiled.graph.output].clone();
        let run = |values: Vec<Vec<i64>>, out: &[i64]| verify(&compiled, &input, values, out);
        run(values.clone(), &out)
            .unwrap_or_else(|e| panic!("{visibility:?}: honest witness rejected: {e:?}"));
        // The dense step's output in the last row, its ReLU left as it was.
        let dense_out = dense_output(&compiled.graph);
        let mut corrupt = values.clone();
        let last = corrupt[dense_out].len() - 1;
        corrupt[dense_out][last] += 1;
        assert!(
            run(corrupt, &out).is_err(),
            "{visibility:?}: a corrupted last-row output is accepted"
        );
    }
}

/// `[1, 8, 16]` rows through a `16 -> 12` layer, then ReLU: eight positions and more weights
/// than outputs, where the randomized check with several weight lanes is the short layout.
fn sequence_model() -> zkinfer_core::ir::Model {
    let mut b = ModelBuilder::new("sequence", "x", vec![1, 8, 16]).unwrap();
    let weight: Vec<f32> = (0..12 * 16)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) / 16.0)
        .collect();
    let dense = Dense {
        weight: Tensor::new(vec![12, 16], weight),
        bias: (0..12).map(|o| o as f32 / 8.0 - 0.75).collect(),
    };
    let y = b.add("proj", Op::Dense(dense), vec![0], "y", None).unwrap();
    let r = b.add("relu", Op::Relu, vec![y], "r", None).unwrap();
    b.finish(r).unwrap()
}

/// The same layer laid out with the randomized check over its rows and four weight lanes (the
/// planner offers it; forced here whatever it picks): with public and with hidden weights the
/// honest witness is accepted and a corrupted output in any row is rejected.
#[test]
fn a_row_wise_layer_through_the_randomized_check_over_weight_lanes() {
    let model = sequence_model();
    let calibration: Vec<Vec<f32>> = (0..8)
        .map(|s| {
            (0..128)
                .map(|i| ((i * 7 + s * 3) % 13) as f32 / 4.0 - 1.5)
                .collect()
        })
        .collect();
    let hidden_weights = Visibility {
        weights: WeightVisibility::Hidden,
        ..Visibility::PUBLIC
    };
    for visibility in [Visibility::PUBLIC, hidden_weights] {
        let opts = CompileOptions {
            visibility,
            ..Default::default()
        };
        let mut compiled = compile(&model, &calibration, &opts).unwrap();
        let plans = zkinfer_core::circuit::layout_candidates(&compiled.graph, Some(4), visibility);
        compiled.plan = plans
            .into_iter()
            .find(|p| p.shape.dense_freivalds && p.shape.weight_lanes == 4)
            .expect("a layout with the check over four lanes");
        assert!(compiled.plan.weight_rows > 0, "{}", compiled.plan);
        let (input, values) = compiled.witness(&calibration[0]).unwrap();
        let out = values[compiled.graph.output].clone();
        let run = |values: Vec<Vec<i64>>, out: &[i64]| verify(&compiled, &input, values, out);
        run(values.clone(), &out)
            .unwrap_or_else(|e| panic!("{visibility:?}: honest witness rejected: {e:?}"));
        let dense_out = dense_output(&compiled.graph);
        // An output of the first row, of a middle row's last feature and of the last row.
        for at in [0, 12 * 4 - 1, 12 * 8 - 1] {
            let mut corrupt = values.clone();
            corrupt[dense_out][at] += 1;
            assert!(
                run(corrupt, &out).is_err(),
                "{visibility:?}: a corrupted output {at} is accepted"
            );
        }
    }
}
