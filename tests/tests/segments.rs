//! A model proven as a chain of segments linked by commitments to the cut activation: the chain
//! verifies (its proofs' pairing checks batched into one), its output is the whole model's, and
//! a link whose activation commitment was changed, or a segment proven from another activation,
//! or a changed value of the packed public input, is rejected. The real chain of the MobileNet
//! prefix is a benchmark (`--ignored`); the suite's real chains are the tiny residual chain of
//! core/src/segment/tests.rs and the CLI's chain of the bundled MNIST example, made and checked
//! end to end in `prover-native/tests/cli.rs`.

mod common;

use common::*;
use zkinfer_core::circuit::LinkBlinding;
use zkinfer_core::circuit::ModelConfig;
use zkinfer_core::prove::{CompileOptions, Witness};
use zkinfer_core::qgraph::StepKind;
use zkinfer_core::segment::prover::{compile_segments, prove_segments_with, SegmentKeys};
use zkinfer_core::segment::verify_chain;
use zkinfer_core::VerifierKey;

/// The whole uint8 MobileNet v2 under TFLite's integer semantics (None, with a message, when the
/// data set is absent).
fn mobilenet_uint8() -> Option<zkinfer_core::qgraph::QGraph> {
    match zkinfer_core::tflite::lower(&mobilenet_tflite()?).unwrap() {
        zkinfer_core::tflite::Loaded::Quantized(g) => Some(g),
        _ => panic!("the uint8 model lowered to a float graph"),
    }
}

/// A cut inside a residual block carries both live tensors (the skip operand and the branch)
/// through one link: the segments, run one after another from the linked values, give the
/// whole model's output.
#[test]
fn a_cut_inside_a_residual_block_carries_every_live_tensor() {
    use zkinfer_core::segment::{live_after, split};
    let Some(g) = mobilenet_uint8() else {
        return;
    };
    let add = g
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::QuantizedAdd(_)))
        .unwrap();
    // After the block's expansion: its input (the ADD's skip operand) and the expansion's
    // output are live.
    let cut = add - 3;
    let live = live_after(&g, cut);
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(live.contains(&g.steps[add].inputs[0]) || live.contains(&g.steps[add].inputs[1]));
    let segments = split(&g, &[cut, add - 1]).unwrap();
    assert_eq!(segments.len(), 3);
    let input: Vec<i64> = (0..g.input_tensor().len())
        .map(|i| (i as i64 * 37) % 256 - 128)
        .collect();
    let whole = g.evaluate(&input).unwrap();
    let mut carried = input;
    for s in &segments {
        let values = s.graph.evaluate(&carried).unwrap();
        assert_eq!(
            values,
            s.values(&whole),
            "segment values are the whole model's"
        );
        carried = values[s.graph.output].clone();
    }
    assert_eq!(carried, whole[g.output]);
    // The link after the cut is both tensors, one after the other.
    let link: usize = live.iter().map(|&t| g.tensors[t].len()).sum();
    assert_eq!(segments[1].graph.input_tensor().len(), link);
}

/// The whole MobileNet v2 planned into segments under the default 20 GiB budget: every
/// segment's estimated prover peak fits at the chain's shared k and the segments chain from the
/// model's input to its output. Under a budget no single step fits, the planner names the step.
#[test]
fn mobilenet_is_planned_into_segments_within_a_memory_budget() {
    use zkinfer_core::circuit::{plan_layout, plan_layout_at, Visibility};
    use zkinfer_core::segment::{plan_cuts, segment_visibility, split};
    let Some(g) = mobilenet_uint8() else {
        return;
    };
    let vis = Visibility::PUBLIC;
    let budget = zkinfer_core::prove::DEFAULT_MEMORY_BUDGET;
    let cuts = plan_cuts(&g, None, vis, budget).unwrap();
    let segments = split(&g, &cuts).unwrap();
    let n = segments.len();
    assert!(n > 1);
    let segment_vis = |i: usize| segment_visibility(vis, i == 0, i + 1 == n);
    let k = (0..n)
        .map(|i| plan_layout(&segments[i].graph, None, segment_vis(i)).k)
        .max()
        .unwrap();
    for (i, s) in segments.iter().enumerate() {
        let plan = plan_layout_at(&s.graph, None, segment_vis(i), k).unwrap();
        assert!(plan.estimated_peak_bytes <= budget, "segment {i}: {plan}");
        eprintln!("segment {i}: {} steps, {plan}", s.graph.steps.len());
    }
    assert_eq!(segments[0].sources[0], vec![g.input]);
    assert_eq!(*segments[n - 1].sources.last().unwrap(), vec![g.output]);
    eprintln!("{n} segments at k={k} under {} GiB", budget >> 30);
    let err = plan_cuts(&g, None, vis, 2 << 30).unwrap_err().to_string();
    assert!(err.contains("memory budget"), "{err}");
    assert!(err.contains("step 'MobilenetV2/"), "{err}");

    // With the CLI's defaults but fixed weights, the first segment also hashes the salted
    // input: under a tighter budget the stem convolution alone fits at k = 20, not at the k = 21
    // the 112x112 layers need, so the planner divides it by output channels, and the chain fits.
    use zkinfer_core::chain::plan_chain;
    use zkinfer_core::circuit::{TensorVisibility, WeightVisibility};
    let salted = Visibility {
        weights: WeightVisibility::Fixed,
        ..Visibility::SERVED
    };
    assert_eq!(salted.input, TensorVisibility::Salted);
    // Undivided, the planner names the stem and the k it does not fit at. (Under 20 GiB it fits
    // undivided since the log-derivative lookups cut each segment's estimate; 17 GiB keeps the
    // stem too large, as 20 GiB did before.)
    let salted_budget = 17u64 << 30;
    let err = plan_cuts(&g, None, salted, salted_budget)
        .unwrap_err()
        .to_string();
    assert!(err.contains("step 'MobilenetV2/Conv/"), "{err}");
    assert!(err.contains("at k = 21, the k of step"), "{err}");
    assert!(err.contains("`--input-visibility packed`"), "{err}");
    let (divided, cuts) = plan_chain(&g, None, salted, salted_budget).unwrap();
    assert!(divided.steps.len() > g.steps.len(), "nothing was divided");
    assert_eq!(split(&divided, &cuts).unwrap().len(), cuts.len() + 1);
    // Under 20 GiB the salted chain needs no division.
    let (undivided, _) = plan_chain(&g, None, salted, budget).unwrap();
    assert_eq!(undivided.steps.len(), g.steps.len());
    // With hidden weights (the default) the commitment's columns made the 112x112 layers too
    // large at any cutting. Their convolutions now take the randomized check with the weights
    // as copies of the committed cells, and a segment whose every weight is in such a
    // convolution drops the dot chip's advice weight columns: the default compile fits.
    let served = Visibility::SERVED;
    let (graph, cuts) = plan_chain(&g, None, served, budget).unwrap();
    // Each segment as `zkinfer compile` lays it out: at the chain's k, within the budget.
    let opts = zkinfer_core::prove::CompileOptions {
        visibility: served,
        ..Default::default()
    };
    let segments = zkinfer_core::segment::prover::compile_segments(&graph, &cuts, &opts).unwrap();
    let (n, k) = (segments.len(), segments[0].1.plan.k);
    assert!(n > 1);
    let plans: Vec<_> = segments.into_iter().map(|(_, c)| c.plan).collect();
    for (i, plan) in plans.iter().enumerate() {
        assert!(
            plan.k == k && plan.estimated_peak_bytes <= budget,
            "segment {i}: {plan}"
        );
    }
    assert!(plans.iter().any(|p| p.shape.checked_weights_only));
    eprintln!(
        "hidden weights: {n} segments at k={k} under {} GiB",
        budget >> 30
    );
    // Under a budget below the 112x112 layers' needs with the commitment: refused, naming a
    // step and the way out.
    let err = plan_chain(&g, None, served, 17 << 30)
        .unwrap_err()
        .to_string();
    assert!(err.contains("step 'MobilenetV2/"), "{err}");
    assert!(err.contains("`--weights fixed`"), "{err}");
}

/// A benchmark, not part of the suite (two key generations and three proofs at k = 19, about
/// 12 minutes on 2 cores; BENCHMARKS.md): a real two-segment chain of the first MobileNet
/// blocks (16×16) cut inside the residual block, so the link holds two tensors; the pointwise
/// convolutions are proven by the randomized check, and every requantization by the fixed-point
/// chip. The chain verifies with the whole model's output; a flipped proof byte, a changed input
/// or output value, a segment proven from another image's activations, and a changed link
/// commitment are rejected. The suite checks the same at a small k on the tiny residual chain
/// (core/src/segment/tests.rs) and proves this prefix as one circuit (tflite_proof.rs).
#[test]
#[ignore = "benchmark: run with --ignored (BENCHMARKS.md)"]
fn truncated_mobilenet_chain_cut_inside_a_residual_block_verifies() {
    use zkinfer_core::circuit::Visibility;
    use zkinfer_core::segment::live_after;
    use zkinfer_core::tflite::{lower, Loaded};
    let (Some(imagenet), Some(full)) = (imagenet_dir(), mobilenet_tflite()) else {
        return;
    };
    let Loaded::Quantized(graph) = lower(&full.truncated(10, 16, 16).unwrap()).unwrap() else {
        panic!("quantized")
    };
    let add = graph
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::QuantizedAdd(_)))
        .unwrap();
    let cut = add - 1;
    assert_eq!(live_after(&graph, cut).len(), 2);
    let opts = CompileOptions {
        visibility: Visibility::PUBLIC_PACKED_INPUT,
        ..CompileOptions::default()
    };
    let segments = compile_segments(&graph, &[cut], &opts).unwrap();
    assert!(segments[0].1.plan.shape.freivalds, "{}", segments[0].1.plan);
    let mut material = Vec::new();
    for (_, compiled) in &segments {
        let params = srs().load(compiled.plan.k).unwrap();
        let (pk, key_bytes) = compiled.keygen(&params, "dev").unwrap();
        material.push((params, pk, VerifierKey::from_bytes(&key_bytes).unwrap()));
    }
    let keys: Vec<SegmentKeys<'_>> = material
        .iter()
        .map(|(params, pk, key)| SegmentKeys { params, pk, key })
        .collect();
    let vks: Vec<VerifierKey> = material.iter().map(|m| m.2.clone()).collect();
    let blinding = LinkBlinding::for_chain(segments.len(), &mut rand::rngs::OsRng);
    let prove = |name: &str| {
        let x = tflite_dev_pixels(&graph, &imagenet, name, 16);
        let q_in = graph.quantize_input(&x).unwrap();
        let chain = prove_segments_with(&graph, &segments, &keys, &q_in, None, &blinding).unwrap();
        (chain, graph.evaluate(&q_in).unwrap()[graph.output].clone())
    };
    let (chain, output) = prove("n01440764_tench.JPEG");
    let verified = verify_chain(&vks, &chain).unwrap();
    assert_eq!(verified.output.values, output);
    // Tampering with either real proof under TFLite's fixed-point arithmetic is rejected: a
    // flipped proof byte, a changed public output, a changed public input.
    for i in 0..2 {
        let mut b = chain.clone();
        let middle = b[i].proof.len() / 2;
        b[i].proof[middle] ^= 1;
        let err = verify_chain(&vks, &b).unwrap_err().to_string();
        assert!(err.contains(&format!("segment {i}")), "flipped byte: {err}");
    }
    let mut b = chain.clone();
    b[1].header.output.values[11] += 1;
    assert!(verify_chain(&vks, &b).is_err(), "changed output");
    // The packed input is in the bundle value by value, and every value is bound by the proof.
    let x = tflite_dev_pixels(&graph, &imagenet, "n01440764_tench.JPEG", 16);
    assert_eq!(
        chain[0].header.input.values,
        graph.quantize_input(&x).unwrap()
    );
    for (i, delta) in [(0, 1), (300, -1), (767, 2)] {
        let mut b = chain.clone();
        b[0].header.input.values[i] += delta;
        let err = verify_chain(&vks, &b).unwrap_err().to_string();
        assert!(err.contains("segment 0"), "input value {i} changed: {err}");
    }
    // The cut activations are not in the bundles, only their commitment, inside the proofs;
    // both sides commit alike, and the chain's own input is not linked.
    assert!(chain[0].header.output.values.is_empty() && chain[0].header.output_hash.is_none());
    let first = zkinfer_core::segment::verify_segment(&vks[0], &chain[0]).unwrap();
    let second = zkinfer_core::segment::verify_segment(&vks[1], &chain[1]).unwrap();
    assert!(first.output_link.is_some() && first.input_link.is_none());
    assert_eq!(second.input_link, first.output_link);
    assert_eq!(verified.input_link, None);
    // Missing, reordered or no segments.
    assert!(verify_chain(&vks, &chain[..1]).is_err());
    assert!(verify_chain(&[vks[1].clone(), vks[0].clone()], &chain).is_err());
    assert!(verify_chain(&[], &[]).is_err());
    // Segment 1 proven (validly) from another image's activations does not link.
    let x = tflite_dev_pixels(&graph, &imagenet, "n01484850_great_white_shark.JPEG", 16);
    let whole = graph.evaluate(&graph.quantize_input(&x).unwrap()).unwrap();
    let (segment, compiled) = &segments[1];
    let v = segment.values(&whole);
    let (params, pk, key) = &material[1];
    // With the chain's own link blinding: only the activations differ.
    let other = compiled
        .prove_segment_witness(
            params,
            pk,
            key,
            Witness::of_segment(v, None),
            blinding[1].clone(),
        )
        .unwrap();
    zkinfer_core::segment::verify_segment(key, &other).unwrap();
    let err = verify_chain(&vks, &[chain[0].clone(), other.clone()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("link"), "{err}");
    // Segment 0's output link commitment changed to the one the other proof carries: the links
    // match, but segment 0's proof no longer verifies.
    let (_, out_column) = ModelConfig::link_columns(&vks[0].header.shape);
    let (in_column, _) = ModelConfig::link_columns(&vks[1].header.shape);
    let (at, from) = (out_column.unwrap() * 32, in_column.unwrap() * 32);
    let mut changed = vec![chain[0].clone(), other.clone()];
    let commitment = changed[1].proof[from..from + 32].to_vec();
    changed[0].proof[at..at + 32].copy_from_slice(&commitment);
    let err = verify_chain(&vks, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 0"), "{err}");
    // And the other way: the other proof's input link changed to segment 0's output
    // commitment: the links match, but that proof no longer verifies.
    let mut changed = vec![chain[0].clone(), other];
    let commitment = chain[0].proof[at..at + 32].to_vec();
    changed[1].proof[from..from + 32].copy_from_slice(&commitment);
    let err = verify_chain(&vks, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 1"), "{err}");
}
