//! Tests of dividing a step by its output channels ([`super`]).

use super::*;
use crate::circuit::{plan_layout, ModelCircuit, Visibility};
use crate::qgraph::QTensorId;
use halo2_proofs::dev::MockProver;
use std::sync::Arc;

/// TensorFlow's own int8 network (per-channel requantization, 1×1 and 3×3 convolutions,
/// a Dense head), as the TFLite loader lowers it.
fn keras_int8() -> QGraph {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/tflite-ptq/keras_mbv3_int8.tflite");
    match crate::tflite::load_tflite(path).unwrap() {
        crate::tflite::Loaded::Quantized(q) => q,
        crate::tflite::Loaded::Float(_) => panic!("a quantized model lowered as float"),
    }
}

/// An input: every stored value of a TFLite model's input type in turn, or the fixture
/// graphs' own input.
fn an_input(graph: &QGraph, seed: i64) -> Vec<i64> {
    let Some(a) = graph.input_tensor().affine else {
        return graph
            .quantize_input(&crate::test_fixtures::tiny_input())
            .unwrap();
    };
    let n = graph.input_tensor().len() as i64;
    (0..n)
        .map(|i| a.q_min - a.zero_point + (i * 37 + seed * 11) % (a.q_max - a.q_min + 1))
        .collect()
}

/// Every tensor of the original graph, in the divided graph's evaluation.
fn originals(graph: &QGraph, values: &[Vec<i64>]) -> Vec<Vec<i64>> {
    values[..graph.tensors.len()].to_vec()
}

#[test]
fn a_divided_step_computes_the_same_integers_as_the_whole_step() {
    for graph in [crate::test_fixtures::tiny_graph(), keras_int8()] {
        let input = an_input(&graph, 1);
        let whole = graph.evaluate(&input).unwrap();
        let steps: Vec<usize> = (0..graph.steps.len())
            .filter(|&i| divisible(&graph, &graph.steps[i]).is_some())
            .collect();
        assert!(steps.len() >= 2, "{}: too few Conv/Dense steps", graph.name);
        for &i in &steps {
            let channels = divisible(&graph, &graph.steps[i]).unwrap().channels;
            // A grouped convolution's blocks each read a slice of the input.
            let steps_a_block = if is_grouped(&graph.steps[i]) { 2 } else { 1 };
            for parts in [2, 3, channels] {
                let divided = divide_step(&graph, i, parts)
                    .unwrap_or_else(|| panic!("{}: step {i} not divided", graph.name));
                assert_eq!(
                    divided.steps.len(),
                    graph.steps.len() + steps_a_block * parts
                );
                let values = divided.evaluate(&input).unwrap();
                assert_eq!(
                    originals(&graph, &values),
                    whole,
                    "{}: step {i} in {parts} parts",
                    graph.name
                );
            }
            assert!(divide_step(&graph, i, channels + 1).is_none());
            assert!(divide_step(&graph, i, 1).is_none());
        }
    }
}

/// The circuit of `divided` accepts its honest values on `input` and rejects them with
/// element `at` of step `block`'s output off by one, the steps from `rest` on recomputed.
fn proves_and_rejects_a_corrupted_block(
    divided: QGraph,
    input: &[i64],
    block: usize,
    rest: usize,
    at: usize,
) {
    let divided = Arc::new(divided);
    let plan = plan_layout(&divided, Some(4), Visibility::PUBLIC);
    let honest = divided.evaluate(input).unwrap();
    let accepts = |values: &[Vec<i64>]| {
        let circuit = ModelCircuit {
            shape: plan.shape.clone(),
            graph: divided.clone(),
            values: Some(Arc::new(values.to_vec())),
            salt: Default::default(),
            input_salt: None,
            link_blinding: Default::default(),
        };
        let instance = circuit.instance(input, &values[divided.output]).unwrap();
        MockProver::run(plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    };
    assert!(accepts(&honest), "the honest witness is rejected");
    let block: QTensorId = divided.steps[block].output;
    let mut values = honest.clone();
    values[block][at] += 1;
    let mut terms = Vec::new();
    for s in &divided.steps[rest..] {
        values[s.output] = divided.evaluate_step(s, &values, &mut terms).unwrap();
    }
    assert!(!accepts(&values), "a corrupted channel block is accepted");
}

/// `[1, 5, 6]` rows through a `6 -> 7` Dense layer and a ReLU, quantized with the
/// defaults: a token-wise layer whose channel blocks interleave in its output.
fn token_rows_graph() -> QGraph {
    use crate::ir::{Dense, ModelBuilder, Op};
    use crate::tensor::Tensor;
    let b = ModelBuilder::new("rows", "x", vec![1, 5, 6]).unwrap();
    let weight = (0..42)
        .map(|i| ((i * 13 % 17) as f32 - 8.0) / 8.0)
        .collect();
    let dense = Dense {
        weight: Tensor::new(vec![7, 6], weight),
        bias: (0..7).map(|o| o as f32 / 4.0 - 0.5).collect(),
    };
    one_layer_and_a_relu(b, "proj", Op::Dense(dense), 30)
}

/// `layer` on the builder's input, then a ReLU, quantized with the defaults on seeded
/// calibration rows of `len` values.
fn one_layer_and_a_relu(
    mut b: crate::ir::ModelBuilder,
    name: &str,
    layer: crate::ir::Op,
    len: usize,
) -> QGraph {
    use crate::ir::Op;
    let y = b.add(name, layer, vec![0], "y", None).unwrap();
    let r = b.add("relu", Op::Relu, vec![y], "r", None).unwrap();
    let model = b.finish(r).unwrap();
    let calibration: Vec<Vec<f32>> = (0..4)
        .map(|s| {
            (0..len)
                .map(|i| ((i * 7 + s) % 11) as f32 / 3.0 - 1.5)
                .collect()
        })
        .collect();
    crate::prove::compile(&model, &calibration, &Default::default())
        .unwrap()
        .graph
}

/// A Dense step over several rows divides too: its blocks, put back in place by a gather,
/// give the undivided integers, and the divided graph's circuit proves them and rejects a
/// corrupted block.
#[test]
fn a_dense_step_over_rows_divides_into_interleaved_blocks() {
    let graph = token_rows_graph();
    let i = graph
        .steps
        .iter()
        .position(|s| divisible(&graph, s).is_some())
        .expect("the Dense step is divisible");
    let x: Vec<f32> = (0..30).map(|i| ((i * 5) % 9) as f32 / 3.0 - 1.0).collect();
    let input = graph.quantize_input(&x).unwrap();
    let whole = graph.evaluate(&input).unwrap();
    for parts in [2, 3, 7] {
        let divided = divide_step(&graph, i, parts).unwrap();
        assert!(matches!(
            divided.steps[i + parts].kind,
            StepKind::Gather { .. }
        ));
        let values = divided.evaluate(&input).unwrap();
        assert_eq!(originals(&graph, &values), whole, "{parts} parts");
    }
    // Three blocks (steps i..i+3), then the gather: the second block corrupted.
    let divided = divide_step(&graph, i, 3).unwrap();
    proves_and_rejects_a_corrupted_block(divided, &input, i + 1, i + 3, 4);
}

/// Whether `step` is a grouped (or depthwise) convolution.
fn is_grouped(step: &QStep) -> bool {
    matches!(&step.kind, StepKind::Linear(Linear {
        kernel: LinearKernel::Conv { geometry, .. },
        ..
    }) if geometry.group > 1)
}

#[test]
fn pools_and_elementwise_steps_are_not_divided_and_grouped_convolutions_are() {
    let graph = keras_int8();
    let mut grouped = 0;
    for (i, step) in graph.steps.iter().enumerate() {
        let linear_kernel = matches!(
            &step.kind,
            StepKind::Linear(Linear {
                kernel: LinearKernel::Conv { .. } | LinearKernel::Dense { .. },
                ..
            })
        );
        if !linear_kernel {
            assert!(divide_step(&graph, i, 2).is_none(), "step {i} was divided");
        }
        if is_grouped(step) {
            assert!(
                divide_step(&graph, i, 2).is_some(),
                "step {i} was not divided"
            );
            grouped += 1;
        }
    }
    assert!(grouped >= 2, "only {grouped} depthwise convolutions");
}

/// `[1, 4, 5, 5]` through a 3×3 depthwise convolution (4 groups, 2 outputs each, padding
/// 1) and a ReLU, quantized with the defaults.
fn depthwise_graph() -> QGraph {
    use crate::ir::{Conv, ModelBuilder, Op};
    use crate::ops::window::Window2d;
    use crate::tensor::Tensor;
    let b = ModelBuilder::new("depthwise", "x", vec![1, 4, 5, 5]).unwrap();
    let weight = (0..72).map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0).collect();
    let conv = Conv {
        weight: Tensor::new(vec![8, 1, 3, 3], weight),
        bias: (0..8).map(|o| o as f32 / 8.0 - 0.4).collect(),
        window: Window2d {
            kernel: [3, 3],
            stride: [1, 1],
            pads: [1; 4],
            dilation: [1, 1],
        },
        group: 4,
    };
    one_layer_and_a_relu(b, "dw", Op::Conv(conv), 100)
}

/// A depthwise convolution divides by whole groups: each block reads its groups' input
/// channels through a slice, the blocks concatenated give the undivided integers, and the
/// divided graph's circuit proves them and rejects a corrupted block.
#[test]
fn a_depthwise_convolution_divides_by_groups_reading_slices_of_its_input() {
    let graph = depthwise_graph();
    let i = graph
        .steps
        .iter()
        .position(is_grouped)
        .expect("a grouped convolution");
    assert_eq!(divisible(&graph, &graph.steps[i]).unwrap().channels, 4);
    let x: Vec<f32> = (0..100).map(|i| ((i * 5) % 9) as f32 / 3.0 - 1.0).collect();
    let input = graph.quantize_input(&x).unwrap();
    let whole = graph.evaluate(&input).unwrap();
    for parts in [2, 3, 4] {
        let divided = divide_step(&graph, i, parts).unwrap();
        let slices = divided.steps[i..i + 2 * parts]
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Slice { .. }))
            .count();
        assert_eq!(slices, parts);
        let values = divided.evaluate(&input).unwrap();
        assert_eq!(originals(&graph, &values), whole, "{parts} parts");
    }
    assert!(divide_step(&graph, i, 5).is_none());
    // Slice, block, slice, block (steps i..i+4), then the concatenation: the second block
    // corrupted.
    let divided = divide_step(&graph, i, 2).unwrap();
    proves_and_rejects_a_corrupted_block(divided, &input, i + 3, i + 4, 1);
}

/// The circuit of a graph with a divided step proves its values, and rejects a witness in
/// which one channel block's output is off by one (everything after it recomputed).
#[test]
fn the_circuit_of_a_divided_graph_proves_it_and_rejects_a_corrupted_block() {
    let graph = crate::test_fixtures::tiny_graph();
    let divided = divide_step(&graph, 0, 2).unwrap();
    let input = an_input(&divided, 2);
    proves_and_rejects_a_corrupted_block(divided, &input, 1, 2, 0);
}

/// Hidden weights, and the largest budget under which plain planning (no division) finds
/// no cutting of `graph` at dot width 4, by bisection.
fn hidden_and_the_largest_budget_plain_planning_misses(graph: &QGraph) -> (Visibility, u64) {
    let vis = Visibility {
        weights: crate::circuit::WeightVisibility::Hidden,
        ..Visibility::PUBLIC
    };
    let fits = |budget: u64| crate::chain::plan_cuts(graph, Some(4), vis, budget).is_ok();
    let (mut lo, mut hi) = (1u64, 1u64 << 40);
    assert!(fits(hi));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (vis, lo)
}

/// A budget just under what the wide fixture needs with hidden weights: plain planning
/// names its wide step, the chain's planning divides that step, and the divided graph
/// computes the same integers.
#[test]
fn a_chain_plan_divides_a_step_too_large_for_any_segment() {
    use crate::chain::{plan_chain, plan_cuts};
    let graph = crate::test_fixtures::wide_graph();
    let (vis, lo) = hidden_and_the_largest_budget_plain_planning_misses(&graph);
    let err = plan_cuts(&graph, Some(4), vis, lo).unwrap_err().to_string();
    assert!(
        err.contains("step 'wide") && err.contains("alone needs"),
        "{err}"
    );
    assert!(err.contains("--weights fixed"), "{err}");
    let (divided, cuts) = plan_chain(&graph, Some(4), vis, lo).unwrap();
    assert!(
        divided.steps.len() > graph.steps.len(),
        "nothing was divided"
    );
    assert!(!cuts.is_empty());
    let input = an_input(&graph, 3);
    assert_eq!(
        originals(&graph, &divided.evaluate(&input).unwrap()),
        graph.evaluate(&input).unwrap()
    );
    // The divided chain proves and verifies, with the undivided graph's output.
    let chain = crate::test_fixtures::build_chain_at(divided.into_owned(), &cuts, vis);
    let verified = crate::chain::verify_chain(&chain.keys, &chain.bundles).unwrap();
    let whole = graph.evaluate(&input).unwrap();
    assert_eq!(verified.output.values, whole[graph.output]);
    // Where dividing cannot help (a budget below any circuit), the obstacle is named.
    let err = plan_chain(&graph, Some(4), vis, 1 << 20)
        .unwrap_err()
        .to_string();
    assert!(err.contains("alone needs"), "{err}");
}

/// Layers alike: once one is divided the obstacle is another, as large as the first was,
/// and it is divided in its turn rather than taken for a division that did not help.
#[test]
fn a_chain_plan_divides_each_step_too_large_not_only_the_first() {
    use crate::chain::{plan_chain, plan_cuts};
    let graph = crate::test_fixtures::twin_wide_graph();
    let (vis, lo) = hidden_and_the_largest_budget_plain_planning_misses(&graph);
    let (divided, cuts) = plan_chain(&graph, Some(4), vis, lo).unwrap();
    // The layouts kept across divisions give the plan a fresh planning of the divided
    // graph gives.
    assert_eq!(plan_cuts(&divided, Some(4), vis, lo).unwrap(), cuts);
    // More than one layer divided, each into blocks.
    let divided_layers: std::collections::BTreeSet<&str> = divided
        .steps
        .iter()
        .filter_map(|s| s.name.split_once(" [channels").map(|(layer, _)| layer))
        .collect();
    assert!(divided_layers.len() >= 2, "{divided_layers:?}");
    let input = an_input(&graph, 3);
    assert_eq!(
        originals(&graph, &divided.evaluate(&input).unwrap()),
        graph.evaluate(&input).unwrap()
    );
}

/// A token embedding (an ONNX `Gather` of a 40 × 7 table, folded into a lookup with fixed
/// weights) divides by channels: each block looks its channels up in its own table, the gather
/// puts them back, the integers are the undivided ones, and the divided graph's circuit rejects
/// a corrupted block.
#[test]
fn a_token_embedding_divides_by_channels_into_tables_of_their_own() {
    use crate::onnx::tests::{init, int, load, node};
    let table: Vec<f32> = (0..40 * 7)
        .map(|i| ((i * 29 + 3) % 97) as f32 / 30.0 - 1.5)
        .collect();
    let model = load(
        &[1, 4],
        vec![node("Gather", &["wte", "x"], "y", vec![int("axis", 0)])],
        vec![init("wte", &[40, 7], &table)],
    )
    .unwrap();
    let calibration: Vec<Vec<f32>> = (0..8)
        .map(|s| (0..4).map(|i| ((s * 5 + i * 3) % 40) as f32).collect())
        .collect();
    let graph = crate::prove::compile(&model, &calibration, &Default::default())
        .unwrap()
        .graph;
    let i = graph
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::Embedding(_)))
        .expect("the embedding is a lookup");
    assert_eq!(divisible(&graph, &graph.steps[i]).unwrap().channels, 7);
    let input = graph.quantize_input(&[39.0, 0.0, 17.0, 17.0]).unwrap();
    let whole = graph.evaluate(&input).unwrap();
    for parts in [2, 3, 7] {
        let divided = divide_step(&graph, i, parts).unwrap();
        assert_eq!(divided.steps.len(), graph.steps.len() + parts);
        let values = divided.evaluate(&input).unwrap();
        assert_eq!(originals(&graph, &values), whole, "{parts} parts");
    }
    let divided = divide_step(&graph, i, 3).unwrap();
    proves_and_rejects_a_corrupted_block(divided, &input, i + 1, i + 3, 2);
}
