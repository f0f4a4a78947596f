//! Dividing one Conv or Dense step by its output channels, for a step too large for any
//! segment on its own.
//!
//! Why: a chain cuts between steps, so its smallest segment is one step. A classifier's last
//! layer can outgrow the memory budget by itself (MobileNet v2's 1×1 convolution to 1001
//! classes has 1.28 M weights; with hidden weights each costs a pack row and about two rows of
//! the Poseidon chip, 42.8 GiB at k = 22). Its output channels are independent: channel c
//! reads every input but only its own weights, bias and requantization. So the step becomes
//! several steps, each computing a contiguous block of channels from the same input, followed
//! by a [`StepKind::Concat`] that lays the blocks one after another into the original output
//! tensor. With batch 1, NCHW's channel blocks (and a Dense row's outputs) are contiguous, so
//! the concatenation is exactly the original tensor and every later step reads it unchanged.
//! The integers are the same ones the undivided step computes (a test checks the evaluation),
//! and the blocks can land in different segments, the input and the finished blocks crossing
//! the cut in the link column like any other live tensors.

use crate::ops::gather::Pick;
use crate::qgraph::{Linear, LinearKernel, QGraph, QStep, QTensor, Rounding, StepKind};

/// A step that can be divided by its output channels, and how many weights it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Divisible {
    pub channels: usize,
    pub weights: usize,
}

/// Whether `step` is divisible: a batch-1 Conv with one group, or a Dense step (over one row
/// or several: a sequence's tokens), with at least two output channels.
pub(super) fn divisible(graph: &QGraph, step: &QStep) -> Option<Divisible> {
    let StepKind::Linear(lin) = &step.kind else {
        return None;
    };
    match &lin.kernel {
        LinearKernel::Conv {
            geometry,
            out_shape,
            weight,
            ..
        } => (geometry.group == 1 && out_shape.len() == 4 && out_shape[0] == 1).then_some(
            Divisible {
                channels: out_shape[1],
                weights: weight.len(),
            },
        ),
        LinearKernel::Dense { n_out, weight, .. } => (*n_out > 0
            && graph.tensors[step.output].len().is_multiple_of(*n_out))
        .then_some(Divisible {
            channels: *n_out,
            weights: weight.len(),
        }),
        LinearKernel::PoolSum { .. }
        | LinearKernel::Elementwise { .. }
        | LinearKernel::Taps { .. } => None,
    }
    .filter(|d| d.channels >= 2)
}

/// `graph` with step `index` replaced by `parts` steps over contiguous blocks of its output
/// channels and their concatenation; None when the step is not divisible so (see
/// [`divisible`]; a requantization whose per-channel data does not follow the
/// channels is kept whole too).
pub(super) fn divide_step(graph: &QGraph, index: usize, parts: usize) -> Option<QGraph> {
    let step = graph.steps.get(index)?;
    let channels = divisible(graph, step)?.channels;
    if parts < 2 || parts > channels {
        return None;
    }
    let StepKind::Linear(lin) = &step.kind else {
        return None;
    };
    let per_channel_outputs = graph.tensors[step.output].len() / channels;
    // A Dense step over several rows: its outputs are row-major, so a block of channels is
    // not contiguous, and a gather (not a concatenation) puts the blocks back in place.
    let dense_rows = matches!(lin.kernel, LinearKernel::Dense { .. }) && per_channel_outputs > 1;
    // Part p's channels.
    let block = |p: usize| (p * channels / parts, (p + 1) * channels / parts);
    let mut out = graph.clone();
    let mut new_steps = Vec::with_capacity(parts + 1);
    let mut blocks = Vec::with_capacity(parts);
    for p in 0..parts {
        let (c0, c1) = block(p);
        let kernel = channel_block_kernel(&lin.kernel, channels, c0, c1)?;
        let rounding = if dense_rows {
            row_block_rounding(&lin.rescale.rounding, channels, per_channel_outputs, c0, c1)?
        } else {
            channel_block_rounding(&lin.rescale.rounding, channels, per_channel_outputs, c0, c1)?
        };
        let mut tensor: QTensor = graph.tensors[step.output].clone();
        tensor.name = format!("{} [channels {c0}..{c1}]", tensor.name);
        match (dense_rows, tensor.shape.len()) {
            (true, rank) if rank >= 2 && tensor.shape[rank - 1] == channels => {
                tensor.shape[rank - 1] = c1 - c0
            }
            (false, 4 | 2) => tensor.shape[1] = c1 - c0,
            _ => return None,
        }
        let id = out.tensors.len();
        out.tensors.push(tensor);
        blocks.push(id);
        new_steps.push(QStep {
            name: format!("{} [channels {c0}..{c1}]", step.name),
            kind: StepKind::Linear(Linear {
                kernel,
                rescale: crate::qgraph::Rescale {
                    rounding,
                    act: lin.rescale.act,
                },
            }),
            inputs: step.inputs.clone(),
            output: id,
        });
    }
    let kind = if dense_rows {
        // Output `r·C + c` is block p's element `r·(c1 - c0) + c - c0`.
        let mut picks = Vec::with_capacity(per_channel_outputs * channels);
        for r in 0..per_channel_outputs {
            for p in 0..parts {
                let (c0, c1) = block(p);
                for c in c0..c1 {
                    picks.push(Pick::Input {
                        slot: u32::try_from(p).ok()?,
                        index: u32::try_from(r * (c1 - c0) + c - c0).ok()?,
                    });
                }
            }
        }
        StepKind::Gather { picks }
    } else {
        StepKind::Concat
    };
    new_steps.push(QStep {
        name: format!("{} [channel blocks concatenated]", step.name),
        kind,
        inputs: blocks,
        output: step.output,
    });
    out.steps.splice(index..=index, new_steps);
    Some(out)
}

fn channel_block_kernel(
    kernel: &LinearKernel,
    channels: usize,
    c0: usize,
    c1: usize,
) -> Option<LinearKernel> {
    let slice = |v: &[i64]| -> Option<Vec<i64>> {
        v.len().is_multiple_of(channels).then(|| {
            let per = v.len() / channels;
            v[c0 * per..c1 * per].to_vec()
        })
    };
    Some(match kernel {
        LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            weight,
            bias,
        } => {
            let mut geometry = geometry.clone();
            geometry.out_channels = c1 - c0;
            let mut out_shape = out_shape.clone();
            out_shape[1] = c1 - c0;
            LinearKernel::Conv {
                geometry,
                in_shape: in_shape.clone(),
                out_shape,
                weight: slice(weight)?,
                bias: slice(bias)?,
            }
        }
        LinearKernel::Dense {
            n_in, weight, bias, ..
        } => LinearKernel::Dense {
            n_in: *n_in,
            n_out: c1 - c0,
            weight: slice(weight)?,
            bias: slice(bias)?,
        },
        LinearKernel::PoolSum { .. }
        | LinearKernel::Elementwise { .. }
        | LinearKernel::Taps { .. } => return None,
    })
}

/// The rounding of channels `c0..c1` of a Dense step over `rows` rows (row-major outputs):
/// per-output divisors picked row by row, a per-tensor multiplier kept (per-channel fixed-point
/// roundings of several rows are kept whole).
fn row_block_rounding(
    rounding: &Rounding,
    channels: usize,
    rows: usize,
    c0: usize,
    c1: usize,
) -> Option<Rounding> {
    let pick = |d: &[u64]| -> Vec<u64> {
        (0..rows)
            .flat_map(|r| d[r * channels + c0..r * channels + c1].iter().copied())
            .collect()
    };
    block_rounding(rounding, channels * rows, &pick, None)
}

/// The rounding of channels `c0..c1`: per-output divisors sliced, per-channel multipliers
/// sliced (a per-tensor one kept).
fn channel_block_rounding(
    rounding: &Rounding,
    channels: usize,
    per_channel_outputs: usize,
    c0: usize,
    c1: usize,
) -> Option<Rounding> {
    let pick = |d: &[u64]| d[c0 * per_channel_outputs..c1 * per_channel_outputs].to_vec();
    let multipliers = (channels, per_channel_outputs, c0, c1);
    block_rounding(
        rounding,
        channels * per_channel_outputs,
        &pick,
        Some(multipliers),
    )
}

/// A block's rounding: per-output divisors (`outputs` of them) through `pick`, a per-tensor
/// divisor or multiplier kept; per-channel multipliers sliced when `multipliers` says how
/// (channels, outputs per channel, the block's channels), else the rounding is kept whole.
fn block_rounding(
    rounding: &Rounding,
    outputs: usize,
    pick: &dyn Fn(&[u64]) -> Vec<u64>,
    multipliers: Option<(usize, usize, usize, usize)>,
) -> Option<Rounding> {
    let divisors = |d: &[u64]| -> Option<Vec<u64>> {
        match d.len() {
            1 => Some(d.to_vec()),
            n if n == outputs => Some(pick(d)),
            _ => None,
        }
    };
    Some(match rounding {
        Rounding::HalfUp { divisors: d } => Rounding::HalfUp {
            divisors: divisors(d)?,
        },
        Rounding::HalfAwayFromZero {
            divisors: d,
            zero_point,
        } => Rounding::HalfAwayFromZero {
            divisors: divisors(d)?,
            zero_point: *zero_point,
        },
        Rounding::FixedPoint(fp) => {
            let mut fp = fp.clone();
            if fp.multipliers.len() != 1 {
                let (channels, per_channel, c0, c1) = multipliers?;
                if fp.multipliers.len() != channels || fp.inner.max(1) != per_channel {
                    return None;
                }
                fp.multipliers = fp.multipliers[c0..c1].to_vec();
            }
            Rounding::FixedPoint(fp)
        }
    })
}

#[cfg(all(test, feature = "prover"))]
mod tests {
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
                for parts in [2, 3, channels] {
                    let divided = divide_step(&graph, i, parts)
                        .unwrap_or_else(|| panic!("{}: step {i} not divided", graph.name));
                    assert_eq!(divided.steps.len(), graph.steps.len() + parts);
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
        let mut b = ModelBuilder::new("rows", "x", vec![1, 5, 6]).unwrap();
        let weight = (0..42)
            .map(|i| ((i * 13 % 17) as f32 - 8.0) / 8.0)
            .collect();
        let dense = Dense {
            weight: Tensor::new(vec![7, 6], weight),
            bias: (0..7).map(|o| o as f32 / 4.0 - 0.5).collect(),
        };
        let y = b.add("proj", Op::Dense(dense), vec![0], "y", None).unwrap();
        let r = b.add("relu", Op::Relu, vec![y], "r", None).unwrap();
        let model = b.finish(r).unwrap();
        let calibration: Vec<Vec<f32>> = (0..4)
            .map(|s| {
                (0..30)
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

    #[test]
    fn pools_elementwise_steps_and_grouped_convolutions_are_not_divided() {
        let graph = keras_int8();
        for (i, step) in graph.steps.iter().enumerate() {
            let grouped_or_other = match &step.kind {
                StepKind::Linear(Linear {
                    kernel: LinearKernel::Conv { geometry, .. },
                    ..
                }) => geometry.group != 1,
                StepKind::Linear(Linear {
                    kernel: LinearKernel::Dense { .. },
                    ..
                }) => false,
                _ => true,
            };
            if grouped_or_other {
                assert!(divide_step(&graph, i, 2).is_none(), "step {i} was divided");
            }
        }
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
}
