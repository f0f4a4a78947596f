//! A model proven as a chain of segments linked by commitments to the cut activation: the chain
//! verifies, its output is the whole model's, and a link whose activation commitment was
//! changed, or a segment proven from another activation, is rejected.

mod common;

use common::*;
use zkinfer_core::circuit::{ModelConfig, TensorVisibility};
use zkinfer_core::prove::CompileOptions;
use zkinfer_core::qgraph::StepKind;
use zkinfer_core::segment::prover::{compile_segments, prove_segments, SegmentKeys};
use zkinfer_core::segment::{cut_points, verify_chain};
use zkinfer_core::VerifierKey;

#[test]
fn segment_chain_verifies_and_a_changed_link_is_rejected() {
    let whole = &mnist_compiled().graph;
    let cuts = cut_points(whole);
    assert!(!cuts.is_empty());
    let cut = cuts[cuts.len() / 2];
    let segments = compile_segments(whole, &[cut], &CompileOptions::default()).unwrap();
    assert_eq!(segments.len(), 2);
    assert_eq!(
        segments[0].1.plan.k, segments[1].1.plan.k,
        "a chain shares one k"
    );

    let mut material = Vec::new();
    for (_, compiled) in &segments {
        let params = srs().load(compiled.plan.k).unwrap();
        let (pk, key_bytes) = compiled.keygen(&params, "dev").unwrap();
        let key = VerifierKey::from_bytes(&key_bytes).unwrap();
        material.push((params, pk, key));
    }
    let keys: Vec<SegmentKeys<'_>> = material
        .iter()
        .map(|(params, pk, key)| SegmentKeys { params, pk, key })
        .collect();
    let vks: Vec<VerifierKey> = material.iter().map(|m| m.2.clone()).collect();

    let prove = |digit| {
        let (q_in, values) = mnist_compiled().witness(&mnist_digit(digit)).unwrap();
        let chain = prove_segments(whole, &segments, &keys, &q_in).unwrap();
        (chain, values[whole.output].clone())
    };
    let (chain, output) = prove(3);
    let verified = verify_chain(&vks, &chain).unwrap();
    assert_eq!(
        verified.output.values, output,
        "the chain's output is the model's"
    );
    // The cut activation is not in the bundles, only its commitment, inside the proofs.
    assert!(chain[0].header.output.values.is_empty());
    assert!(chain[0].header.output_hash.is_none());
    let first = zkinfer_core::verify::verify_bundle(&vks[0], &chain[0]).unwrap();
    assert!(first.output_link.is_some() && first.input_link.is_none());
    let second = zkinfer_core::verify::verify_bundle(&vks[1], &chain[1]).unwrap();
    assert_eq!(
        second.input_link, first.output_link,
        "the two sides commit alike"
    );
    assert_eq!(
        verified.input_link, None,
        "the chain's own input is not linked"
    );

    // A valid proof of segment 1 made from another activation (digit 7's) does not link.
    let (other, _) = prove(7);
    verify_chain(&vks, &other).unwrap();
    let spliced = vec![chain[0].clone(), other[1].clone()];
    let err = verify_chain(&vks, &spliced).unwrap_err().to_string();
    assert!(err.contains("link"), "{err}");
    // Changing the activation commitment at the link, in either proof, to the other chain's:
    // the links then match, but the changed proof no longer verifies.
    let (_, out_column) = ModelConfig::link_columns(&vks[0].header.shape);
    let (in_column, _) = ModelConfig::link_columns(&vks[1].header.shape);
    let point = |c: usize| c * 32..c * 32 + 32;
    let mut changed = vec![chain[0].clone(), other[1].clone()];
    let at = point(out_column.unwrap());
    changed[0].proof[at.clone()].copy_from_slice(&other[0].proof[at]);
    let err = verify_chain(&vks, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 0"), "{err}");
    let mut changed = vec![chain[0].clone(), other[1].clone()];
    let at = point(in_column.unwrap());
    changed[1].proof[at.clone()].copy_from_slice(&chain[1].proof[at]);
    let err = verify_chain(&vks, &changed).unwrap_err().to_string();
    assert!(err.contains("segment 1"), "{err}");
    // Missing, reordered or extra segments.
    assert!(verify_chain(&vks, &chain[..1]).is_err());
    assert!(verify_chain(&[vks[1].clone(), vks[0].clone()], &chain).is_err());
    assert!(verify_chain(&[], &[]).is_err());
    // A whole-model key is not a chain position: its input and output are not linked.
    assert_eq!(
        vks[0].header.shape.visibility.output,
        TensorVisibility::Linked
    );
}

/// The whole uint8 MobileNet v2 under TFLite's integer semantics (None, with a message, when the
/// data set is absent).
fn mobilenet_uint8() -> Option<zkinfer_core::qgraph::QGraph> {
    match zkinfer_core::tflite::lower(&mobilenet_tflite()?).unwrap() {
        zkinfer_core::tflite::Loaded::Quantized(g) => Some(g),
        _ => panic!("the uint8 model lowered to a float graph"),
    }
}

/// MobileNet's residual blocks: no cut inside a block whose input an ADD still needs.
#[test]
fn mobilenet_cuts_fall_between_blocks() {
    let Some(g) = mobilenet_uint8() else {
        return;
    };
    let cuts = cut_points(&g);
    for (i, s) in g.steps.iter().enumerate() {
        if let StepKind::QuantizedAdd(_) = s.kind {
            // The block's input (the ADD's skip operand) is live from its producer to the ADD.
            let producer = |t| g.steps.iter().position(|st| st.output == t).unwrap();
            let from = producer(s.inputs[0]).min(producer(s.inputs[1]));
            assert!(
                cuts.iter().all(|&c| c <= from || c >= i),
                "a cut inside the residual block ending at step {i}"
            );
            assert!(cuts.contains(&i) || i + 1 == g.steps.len());
        }
    }
    assert!(cuts.len() >= 10, "{cuts:?}");
}

/// The whole MobileNet v2 planned into segments: under a budget that admits its largest block,
/// every segment's estimated prover peak fits at the chain's shared k and the segments chain
/// from the model's input to its output. Under the default 20 GiB no cutting fits yet (a
/// residual block cannot be cut, and the largest needs k=21 at about 45 GiB), and the planner
/// names the block in the way.
#[test]
fn mobilenet_is_planned_into_segments_within_a_memory_budget() {
    use zkinfer_core::circuit::{plan_layout, plan_layout_at, Visibility};
    use zkinfer_core::segment::{plan_cuts, segment_visibility, split};
    let Some(g) = mobilenet_uint8() else {
        return;
    };
    let vis = Visibility::PUBLIC;
    let budget = 48u64 << 30;
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
    assert_eq!(segments[0].tensors[0], g.input);
    assert_eq!(*segments[n - 1].tensors.last().unwrap(), g.output);
    eprintln!("{n} segments at k={k} under {} GiB", budget >> 30);
    let default = zkinfer_core::prove::DEFAULT_MEMORY_BUDGET;
    let err = plan_cuts(&g, None, vis, default).unwrap_err().to_string();
    assert!(err.contains("memory budget"), "{err}");
    assert!(err.contains("block ending at step 'MobilenetV2/"), "{err}");
}
