//! Segments: a graph too large for one circuit is cut into consecutive pieces, each proven by its
//! own circuit. The piece's cut tensor is hashed on both sides: a segment's proof makes the
//! Poseidon hash of its output public, the next segment's proof makes the hash of its input
//! public, and the verifier accepts the chain only if every such pair is equal. So the chain
//! proves the whole model on the first input, and no intermediate activation is revealed beyond
//! its hash.
//!
//! A cut goes after a step whose output is the only tensor later steps still need (true at
//! every block boundary of MobileNet v2, residual connections included).

use crate::bundle::ProofBundle;
use crate::circuit::{TensorVisibility, Visibility};
use crate::error::{Error, Result};
use crate::qgraph::{QGraph, QTensorId};
use crate::verifier_key::VerifierKey;
use crate::verify::Verified;

/// One piece of a cut graph: its own graph, and where its tensors came from.
#[derive(Clone, Debug)]
pub struct Segment {
    pub graph: QGraph,
    /// `tensors[i]` is the original graph's id of the segment's tensor `i`.
    pub tensors: Vec<QTensorId>,
}

impl Segment {
    /// The segment's tensor values, taken from the whole graph's evaluation.
    pub fn values(&self, whole: &[Vec<i64>]) -> Vec<Vec<i64>> {
        self.tensors.iter().map(|&t| whole[t].clone()).collect()
    }
}

/// Steps after which a cut is possible: the step's output is the only tensor a later step reads.
pub fn cut_points(graph: &QGraph) -> Vec<usize> {
    let n = graph.steps.len();
    // The last step reading each tensor.
    let mut last_use = vec![None; graph.tensors.len()];
    for (i, s) in graph.steps.iter().enumerate() {
        for &t in &s.inputs {
            last_use[t] = Some(i);
        }
    }
    let mut producer = vec![None; graph.tensors.len()];
    for (i, s) in graph.steps.iter().enumerate() {
        producer[s.output] = Some(i);
    }
    (0..n.saturating_sub(1))
        .filter(|&i| {
            let out = graph.steps[i].output;
            // Every tensor live across the cut (made at or before i, read after i) is `out`.
            (0..graph.tensors.len()).all(|t| {
                let made_before = t == graph.input || producer[t].is_some_and(|p| p <= i);
                let read_after = last_use[t].is_some_and(|u| u > i);
                !(made_before && read_after) || t == out
            }) && last_use[out].is_some_and(|u| u > i)
        })
        .collect()
}

/// Cuts `graph` after each step in `cuts` (ascending, each a [`cut_points`] entry).
pub fn split(graph: &QGraph, cuts: &[usize]) -> Result<Vec<Segment>> {
    let allowed = cut_points(graph);
    if let Some(c) = cuts.iter().find(|c| !allowed.contains(c)) {
        return Err(Error::InvalidInput(format!(
            "cannot cut after step {c}: more than one tensor crosses it, or it is the last step"
        )));
    }
    if cuts.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::InvalidInput("cuts must be ascending".into()));
    }
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c + 1));
    bounds.push(graph.steps.len());
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| piece(graph, w[0], w[1], i))
        .collect()
}

/// Segment number `index`: steps `from..to` of `graph`, reading the tensor made just before
/// `from` (the model's input when `from` is 0).
fn piece(graph: &QGraph, from: usize, to: usize, index: usize) -> Result<Segment> {
    let input = if from == 0 {
        graph.input
    } else {
        graph.steps[from - 1].output
    };
    let mut tensors = vec![input];
    let mut position = std::collections::HashMap::from([(input, 0usize)]);
    let mut steps = Vec::new();
    for s in &graph.steps[from..to] {
        let mut step = s.clone();
        for t in step.inputs.iter_mut() {
            *t = *position.get(t).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "step '{}' reads a tensor from before its segment",
                    s.name
                ))
            })?;
        }
        position.insert(s.output, tensors.len());
        step.output = tensors.len();
        tensors.push(s.output);
        steps.push(step);
    }
    let graph = QGraph {
        name: format!("{}#{index}", graph.name),
        act_bits: graph.act_bits,
        tensors: tensors.iter().map(|&t| graph.tensors[t].clone()).collect(),
        input: 0,
        output: tensors.len() - 1,
        steps,
    };
    Ok(Segment { graph, tensors })
}

/// Plans where to cut `graph` so that every segment's estimated prover peak stays within
/// `budget` bytes, with as few segments as possible. Hashing a cut tensor costs rows in
/// proportion to its size, so a longer segment ending at a narrow tensor can fit where a
/// shorter one ending at a wide tensor does not: a shortest-path search over the cut points
/// finds the fewest segments. Errors when no cutting fits.
pub fn plan_cuts(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
    budget: u64,
) -> Result<Vec<usize>> {
    let last = graph.steps.len() - 1;
    let ends: Vec<usize> = cut_points(graph).into_iter().chain([last]).collect();
    // The estimate of the segment after cut `start` (None: the model's start) through `end`,
    // with its own output visibility replaced by `output` when given.
    let estimate = |start: Option<usize>, end: usize, output: Option<TensorVisibility>| {
        let segment = piece(graph, start.map_or(0, |s| s + 1), end + 1, 0)?;
        let mut vis = segment_visibility(visibility, start.is_none(), end == last);
        if let Some(o) = output {
            vis.output = o;
        }
        Ok::<u64, Error>(
            crate::circuit::plan_layout(&segment.graph, width, vis).estimated_peak_bytes,
        )
    };
    // best[j]: (segments, previous end) of the best chain ending at ends[j].
    let mut best: Vec<Option<(usize, Option<usize>)>> = vec![None; ends.len()];
    for from in std::iter::once(None).chain((0..ends.len()).map(Some)) {
        let (count, start) = match from {
            None => (0, None),
            Some(f) => match best[f] {
                Some((c, _)) if ends[f] < last => (c, Some(ends[f])),
                _ => continue,
            },
        };
        let first_end = from.map_or(0, |f| f + 1);
        for j in first_end..ends.len() {
            if estimate(start, ends[j], None)? <= budget {
                if best[j].is_none_or(|(c, _)| count + 1 < c) {
                    best[j] = Some((count + 1, from));
                }
            } else if estimate(start, ends[j], Some(TensorVisibility::Hidden))? > budget {
                // Even without hashing its output this segment is too big; longer ones are too.
                break;
            }
        }
    }
    let mut cuts = Vec::new();
    let mut at = best[ends.len() - 1]
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "no cutting of '{}' fits the memory budget of {:.1} GiB: a block between two cut \
             points is too large on its own",
                graph.name,
                budget as f64 / (1u64 << 30) as f64
            ))
        })?
        .1;
    while let Some(f) = at {
        cuts.push(ends[f]);
        at = best[f].expect("on the path").1;
    }
    cuts.reverse();
    Ok(cuts)
}

/// The visibility of a segment: the chain's own input on the first, its own output on the
/// last, and hashed activations at every cut.
pub fn segment_visibility(whole: Visibility, first: bool, last: bool) -> Visibility {
    let at_cut = TensorVisibility::Hashed;
    Visibility {
        weights: whole.weights,
        input: if first { whole.input } else { at_cut },
        output: if last { whole.output } else { at_cut },
    }
}

/// Verifies a chain of segment proofs: every proof against its key, and every link: segment
/// i's output hash must equal segment i+1's input hash. Returns the last segment's result,
/// whose output is the chain's output.
pub fn verify_chain(keys: &[VerifierKey], bundles: &[ProofBundle]) -> Result<Verified> {
    if keys.is_empty() || keys.len() != bundles.len() {
        return Err(Error::Rejected(format!(
            "a chain of {} keys and {} proofs",
            keys.len(),
            bundles.len()
        )));
    }
    let mut last = None;
    for (i, (key, bundle)) in keys.iter().zip(bundles).enumerate() {
        let verified = crate::verify::verify_bundle(key, bundle)
            .map_err(|e| Error::Rejected(format!("segment {i}: {e}")))?;
        if let Some(prev) = &last {
            let prev: &Verified = prev;
            match (&prev.output_hash, &verified.input_hash) {
                (Some(out), Some(inp)) if out == inp => {}
                _ => {
                    return Err(Error::Rejected(format!(
                        "link {}→{i}: segment {i}'s input is not the activation segment {} \
                         committed to",
                        i - 1,
                        i - 1
                    )))
                }
            }
        }
        last = Some(verified);
    }
    Ok(last.expect("non-empty"))
}

/// The prover's side of a chain: compile every segment, prove them in order.
#[cfg(feature = "prover")]
pub mod prover {
    use super::*;
    use crate::prove::{compile_quantized, CompileOptions, Compiled};
    use halo2_proofs::plonk::ProvingKey;
    use halo2_proofs::poly::kzg::commitment::ParamsKZG;
    use halo2curves::bn256::{Bn256, G1Affine};

    /// Plans every segment of `graph` cut after `cuts`, with hashed activations at the cuts.
    pub fn compile_segments(
        graph: &QGraph,
        cuts: &[usize],
        opts: &CompileOptions,
    ) -> Result<Vec<(Segment, Compiled)>> {
        let segments = split(graph, cuts)?;
        let n = segments.len();
        segments
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let opts = CompileOptions {
                    visibility: segment_visibility(opts.visibility, i == 0, i + 1 == n),
                    ..opts.clone()
                };
                let compiled = compile_quantized(s.graph.clone(), &opts)?;
                Ok((s, compiled))
            })
            .collect()
    }

    /// One segment's proving material.
    pub struct SegmentKeys<'a> {
        pub params: &'a ParamsKZG<Bn256>,
        pub pk: &'a ProvingKey<G1Affine>,
        pub key: &'a VerifierKey,
    }

    /// Proves the chain on the whole graph's quantized input `q_in`.
    pub fn prove_segments(
        whole: &QGraph,
        segments: &[(Segment, Compiled)],
        keys: &[SegmentKeys<'_>],
        q_in: &[i64],
    ) -> Result<Vec<ProofBundle>> {
        if keys.len() != segments.len() {
            return Err(Error::InvalidInput(format!(
                "{} keys for {} segments",
                keys.len(),
                segments.len()
            )));
        }
        let values = whole.evaluate(q_in)?;
        segments
            .iter()
            .zip(keys)
            .map(|((segment, compiled), k)| {
                let v = segment.values(&values);
                compiled.prove_witness(k.params, k.pk, k.key, v[0].clone(), v)
            })
            .collect()
    }
}
