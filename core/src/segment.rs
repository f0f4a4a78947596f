//! Segments: a graph too large for one circuit is cut into consecutive pieces, each proven by its
//! own circuit. The cut tensor is linked by commitment, at the cost of a few rows: a segment
//! holds its output in rows 0.. of an advice column that halo2 does not blind (copy-constrained
//! to the output cells), the next segment holds its input in rows 0.. of such a column (its
//! cells feed the first step), both follow it with the same `LINK_BLINDING_ROWS` random values
//! ([`crate::circuit::LinkBlinding`], drawn by the chain's prover for each cut), and every
//! segment has the same k. The columns are then equal, so their KZG commitments are, which
//! each proof carries; the verifier accepts the chain only if every pair is equal. Since KZG
//! commitments are binding, the chain proves the whole model on the first input; since the
//! shared rows are random and outnumber what the two proofs reveal of the column (its
//! commitment and one evaluation each), the link reveals nothing about the cut activations.
//!
//! A cut may go after any step. The tensors live across it (made at or before the cut, read
//! after it: at a block boundary of MobileNet v2 just the block's output, inside a residual
//! block also the skip operand) fill the link column one after another, in tensor order; the
//! segment after the cut reads each back with a [`StepKind::Slice`], the segment before it
//! gathers them with a [`StepKind::Concat`].

use crate::bundle::ProofBundle;
use crate::circuit::{TensorVisibility, Visibility};
use crate::error::{Error, Result};
use crate::qgraph::{QGraph, QStep, QTensor, QTensorId, StepKind};
use crate::verifier_key::VerifierKey;
use crate::verify::Verified;

/// One piece of a cut graph: its own graph, and where its tensors came from.
#[derive(Clone, Debug)]
pub struct Segment {
    pub graph: QGraph,
    /// `sources[i]` lists the original graph's tensors whose values, one after another, are the
    /// segment's tensor `i` (one tensor, except for a linked input or output gathering several).
    pub sources: Vec<Vec<QTensorId>>,
}

impl Segment {
    /// The segment's tensor values, taken from the whole graph's evaluation.
    pub fn values(&self, whole: &[Vec<i64>]) -> Vec<Vec<i64>> {
        self.sources
            .iter()
            .map(|src| src.iter().flat_map(|&t| whole[t].iter().copied()).collect())
            .collect()
    }
}

/// The tensors live across a cut after step `i`: made at or before it (or the graph's input),
/// read by a later step. In tensor order.
pub fn live_after(graph: &QGraph, i: usize) -> Vec<QTensorId> {
    let mut last_use = vec![None; graph.tensors.len()];
    for (j, s) in graph.steps.iter().enumerate() {
        for &t in &s.inputs {
            last_use[t] = Some(j);
        }
    }
    let mut producer = vec![None; graph.tensors.len()];
    for (j, s) in graph.steps.iter().enumerate() {
        producer[s.output] = Some(j);
    }
    (0..graph.tensors.len())
        .filter(|&t| {
            let made_before = t == graph.input || producer[t].is_some_and(|p| p <= i);
            made_before && last_use[t].is_some_and(|u| u > i)
        })
        .collect()
}

/// Steps after which a cut is possible: every step but the last.
pub fn cut_points(graph: &QGraph) -> Vec<usize> {
    (0..graph.steps.len().saturating_sub(1)).collect()
}

/// Cuts `graph` after each step in `cuts` (ascending, each a [`cut_points`] entry).
pub fn split(graph: &QGraph, cuts: &[usize]) -> Result<Vec<Segment>> {
    if cuts.iter().any(|&c| c + 1 >= graph.steps.len()) {
        return Err(Error::InvalidInput(
            "cannot cut after the last step, or after a step the graph does not have".into(),
        ));
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

/// Segment number `index`: steps `from..to` of `graph`, reading the tensors live across the cut
/// before `from` (the model's input when `from` is 0) and ending with those live across the cut
/// after `to - 1` (the model's output at the end).
fn piece(graph: &QGraph, from: usize, to: usize, index: usize) -> Result<Segment> {
    let inputs = match from {
        0 => vec![graph.input],
        _ => live_after(graph, from - 1),
    };
    let outputs = if to == graph.steps.len() {
        vec![graph.output]
    } else {
        live_after(graph, to - 1)
    };
    let gathered = |ids: &[QTensorId], name: &str| QTensor {
        name: format!("{name}@{index}"),
        shape: vec![ids.iter().map(|&t| graph.tensors[t].len()).sum()],
        ..graph.tensors[ids[0]].clone()
    };
    let mut tensors = Vec::new();
    let mut sources = Vec::new();
    let mut steps = Vec::new();
    let mut position = std::collections::HashMap::new();
    match inputs.as_slice() {
        [] => return Err(Error::InvalidInput("a segment without input".into())),
        [single] => {
            tensors.push(graph.tensors[*single].clone());
            sources.push(vec![*single]);
            position.insert(*single, 0);
        }
        several => {
            tensors.push(gathered(several, "link-in"));
            sources.push(several.to_vec());
            let mut start = 0;
            for &t in several {
                position.insert(t, tensors.len());
                steps.push(QStep {
                    name: format!("{}@link", graph.tensors[t].name),
                    kind: StepKind::Slice { start },
                    inputs: vec![0],
                    output: tensors.len(),
                });
                start += graph.tensors[t].len();
                tensors.push(graph.tensors[t].clone());
                sources.push(vec![t]);
            }
        }
    }
    let find =
        |position: &std::collections::HashMap<QTensorId, usize>, t: QTensorId, name: &str| {
            position.get(&t).copied().ok_or_else(|| {
                Error::InvalidInput(format!(
                    "step '{name}' reads a tensor from before its segment"
                ))
            })
        };
    for s in &graph.steps[from..to] {
        let mut step = s.clone();
        for t in step.inputs.iter_mut() {
            *t = find(&position, *t, &s.name)?;
        }
        position.insert(s.output, tensors.len());
        step.output = tensors.len();
        tensors.push(graph.tensors[s.output].clone());
        sources.push(vec![s.output]);
        steps.push(step);
    }
    let last = graph.steps[to - 1].name.as_str();
    let output = match outputs.as_slice() {
        [] => {
            return Err(Error::InvalidInput(format!(
                "nothing after step '{last}' is used"
            )))
        }
        [single] => find(&position, *single, last)?,
        several => {
            let inputs = several
                .iter()
                .map(|&t| find(&position, t, last))
                .collect::<Result<Vec<_>>>()?;
            steps.push(QStep {
                name: format!("{last}@link"),
                kind: StepKind::Concat,
                inputs,
                output: tensors.len(),
            });
            tensors.push(gathered(several, "link-out"));
            sources.push(several.to_vec());
            tensors.len() - 1
        }
    };
    let graph = QGraph {
        name: format!("{}#{index}", graph.name),
        act_bits: graph.act_bits,
        tensors,
        input: 0,
        output,
        steps,
    };
    Ok(Segment { graph, sources })
}

/// Plans where to cut `graph` so that every segment's estimated prover peak stays within
/// `budget` bytes. Every segment of a chain shares one k (see the module doc), so for each
/// candidate chain k a shortest-path search over the cut points finds the fewest segments that
/// fit at that k; the plan proving the fewest rows in all (segments × 2^k) wins, then the one
/// with fewer segments. Errors when no cutting fits.
pub fn plan_cuts(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
    budget: u64,
) -> Result<Vec<usize>> {
    let last = graph.steps.len() - 1;
    let ends: Vec<usize> = cut_points(graph).into_iter().chain([last]).collect();
    // (own k, estimated peak at that k) of every dot width's layout of the segment after cut
    // `start` (None: the model's start) through `end`; memoised, since every chain k asks again.
    let mut memo = std::collections::HashMap::new();
    let lengths = crate::circuit::dot_lengths(graph);
    let mut layouts = |start: Option<usize>, end: usize| -> Result<Vec<(u32, u64)>> {
        if let Some(v) = memo.get(&(start, end)) {
            return Ok(Vec::clone(v));
        }
        let from = start.map_or(0, |s| s + 1);
        let segment = piece(graph, from, end + 1, 0)?;
        let vis = segment_visibility(visibility, start.is_none(), end == last);
        // The piece's own steps are the graph's, between the link slices and concatenation.
        let mut own = lengths[from..=end].iter();
        let counts: Vec<Vec<(usize, usize)>> = segment
            .graph
            .steps
            .iter()
            .map(|s| match s.kind {
                StepKind::Slice { .. } | StepKind::Concat => Vec::new(),
                _ => own.next().cloned().unwrap_or_default(),
            })
            .collect();
        let v: Vec<(u32, u64)> =
            crate::circuit::layout_candidates_with(&segment.graph, &counts, width, vis)
                .iter()
                .map(|p| (p.k, p.estimated_peak_bytes))
                .collect();
        memo.insert((start, end), v.clone());
        Ok(v)
    };
    let mut chosen: Option<(u64, Vec<usize>)> = None;
    for chain_k in (MIN_CHAIN_K..=MAX_CHAIN_K).rev() {
        // Some dot width lays the segment out within 2^chain_k rows and the budget.
        let fits = |candidates: Vec<(u32, u64)>| {
            candidates.iter().any(|&(k, bytes)| {
                k <= chain_k && crate::circuit::estimate_at_k(bytes, k, chain_k) <= budget
            })
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
            for j in from.map_or(0, |f| f + 1)..ends.len() {
                if !fits(layouts(start, ends[j])?) {
                    // A longer segment is no smaller.
                    break;
                }
                if best[j].is_none_or(|(c, _)| count + 1 < c) {
                    best[j] = Some((count + 1, from));
                }
            }
        }
        let Some((count, mut at)) = best[ends.len() - 1] else {
            continue;
        };
        let rows = (count as u64) << chain_k;
        if chosen.as_ref().is_some_and(|(r, _)| *r <= rows) {
            continue;
        }
        let mut cuts = Vec::new();
        while let Some(f) = at {
            cuts.push(ends[f]);
            at = best[f].expect("on the path").1;
        }
        cuts.reverse();
        chosen = Some((rows, cuts));
    }
    if let Some((_, cuts)) = chosen {
        return Ok(cuts);
    }
    // Say which block between two neighbouring cut points is the obstacle.
    let mut worst = (0u64, 0usize);
    for (j, &end) in ends.iter().enumerate() {
        let start = j.checked_sub(1).map(|i| ends[i]);
        let least = layouts(start, end)?
            .iter()
            .map(|&(_, b)| b)
            .min()
            .unwrap_or(0);
        if least > worst.0 {
            worst = (least, end);
        }
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    Err(Error::InvalidInput(format!(
        "no cutting of '{}' fits the memory budget of {:.2} GiB: step '{}' alone needs about \
         {:.1} GiB",
        graph.name,
        gib(budget),
        graph.steps[worst.1].name,
        gib(worst.0)
    )))
}

/// The range of k a planned chain may take.
const MIN_CHAIN_K: u32 = 10;
const MAX_CHAIN_K: u32 = 26;

/// The visibility of a segment: the chain's own input on the first, its own output on the
/// last, and linked activations at every cut.
pub fn segment_visibility(whole: Visibility, first: bool, last: bool) -> Visibility {
    let at_cut = TensorVisibility::Linked;
    Visibility {
        weights: whole.weights,
        input: if first { whole.input } else { at_cut },
        output: if last { whole.output } else { at_cut },
    }
}

/// Verifies one segment's proof against its key, whose linked input or output is then bound
/// to nothing: the link commitments it returns mean something only once compared with the
/// neighbouring segments' ([`verify_chain`] does). For tests and diagnostics; never accept a
/// claim on this alone.
pub fn verify_segment(key: &VerifierKey, bundle: &ProofBundle) -> Result<Verified> {
    crate::verify::verify_any_bundle(key, bundle)
}

/// Verifies a chain of segment proofs: the keys must form a chain (one k, one setup, fixed
/// weights, matching links: `chain_check`), every proof must verify against its key, and
/// every link must hold: segment i's output link commitment must equal segment i+1's input
/// link commitment. Returns the chain's result: the last segment's output, with the input side
/// (hash) of the first, and the whole chain's visibility.
pub fn verify_chain(keys: &[VerifierKey], bundles: &[ProofBundle]) -> Result<Verified> {
    if keys.is_empty() || keys.len() != bundles.len() {
        return Err(Error::Rejected(format!(
            "a chain of {} keys and {} proofs",
            keys.len(),
            bundles.len()
        )));
    }
    let visibility = crate::chain_check::check_chain_keys(keys)?;
    // With hidden weights, each segment's proof shows its own commitment.
    let mut commitments = Vec::new();
    // One pairing check for the whole chain: every key has the same KZG points (checked).
    let mut batch: crate::verify::PairingBatch<'_> = None;
    let mut first: Option<Verified> = None;
    let mut last: Option<Verified> = None;
    for (i, (key, bundle)) in keys.iter().zip(bundles).enumerate() {
        let verified = crate::verify::verify_bundle_deferred(key, bundle, &mut batch)
            .map_err(|e| Error::Rejected(format!("segment {i}: {e}")))?;
        if let Some(prev) = &last {
            match (&prev.output_link, &verified.input_link) {
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
        if visibility.hidden_weights() {
            let c = verified
                .model_commitment
                .as_deref()
                .and_then(crate::poseidon::from_hex)
                .ok_or_else(|| {
                    Error::Rejected(format!(
                        "segment {i}: hides its weights but shows no commitment"
                    ))
                })?;
            commitments.push(c);
        }
        if first.is_none() {
            first = Some(verified.clone());
        }
        last = Some(verified);
    }
    if !crate::verify::check_pairings(batch) {
        // Some proof does not open: name it, checking each on its own (only on this path).
        for (i, (key, bundle)) in keys.iter().zip(bundles).enumerate() {
            verify_segment(key, bundle)
                .map_err(|e| Error::Rejected(format!("segment {i}: {e}")))?;
        }
        return Err(Error::Rejected(
            "the chain's proofs do not verify together".into(),
        ));
    }
    // The chain's result: the output side from the last segment, the input side from the first.
    let (first, mut verified) = (first.expect("non-empty"), last.expect("non-empty"));
    verified.visibility = visibility;
    verified.input_hash = first.input_hash;
    verified.input_link = first.input_link;
    verified.model_commitment = visibility
        .hidden_weights()
        .then(|| crate::poseidon::to_hex(&crate::commitment::chain_commitment(&commitments)));
    Ok(verified)
}

/// The prover's side of a chain: compile every segment, prove them in order.
#[cfg(feature = "prover")]
pub mod prover {
    use super::*;
    use crate::circuit::LinkBlinding;
    use crate::prove::{compile_quantized, CompileOptions, Compiled, Witness};
    use halo2_proofs::plonk::ProvingKey;
    use halo2_proofs::poly::kzg::commitment::ParamsKZG;
    use halo2curves::bn256::{Bn256, Fr, G1Affine};

    /// Plans every segment of `graph` cut after `cuts`, with linked activations at the cuts,
    /// all at the k of the largest.
    pub fn compile_segments(
        graph: &QGraph,
        cuts: &[usize],
        opts: &CompileOptions,
    ) -> Result<Vec<(Segment, Compiled)>> {
        let segments = split(graph, cuts)?;
        let n = segments.len();
        let mut compiled = segments
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let opts = CompileOptions {
                    visibility: segment_visibility(opts.visibility, i == 0, i + 1 == n),
                    // Class labels name the last segment's output only.
                    labels: opts.labels.clone().filter(|_| i + 1 == n),
                    // The segment's own cheapest plan may be over the budget where another
                    // dot width is not: the budget is checked on the plan at the chain's k.
                    memory_budget: Some(u64::MAX),
                    ..opts.clone()
                };
                let compiled = compile_quantized(s.graph.clone(), &opts)?;
                Ok((s, compiled))
            })
            .collect::<Result<Vec<_>>>()?;
        // At the chain's k, each segment takes the dot width with the smallest prover peak.
        let k = compiled.iter().map(|(_, c)| c.plan.k).max().unwrap_or(0);
        for (s, c) in &mut compiled {
            let vis = c.plan.shape.visibility;
            c.plan = crate::circuit::plan_layout_at(&s.graph, opts.dot_width, vis, k)
                .expect("the segment's own plan fits its own k, so one fits the chain's");
            crate::prove::check_budget(&c.plan, opts)?;
        }
        Ok(compiled)
    }

    /// One segment's proving material.
    pub struct SegmentKeys<'a> {
        pub params: &'a ParamsKZG<Bn256>,
        pub pk: &'a ProvingKey<G1Affine>,
        pub key: &'a VerifierKey,
    }

    /// Proves the chain on the whole graph's quantized input `q_in` (its hash salted with
    /// `input_salt` if the chain's input is salted), its links blinded with fresh random values.
    pub fn prove_segments(
        whole: &QGraph,
        segments: &[(Segment, Compiled)],
        keys: &[SegmentKeys<'_>],
        q_in: &[i64],
        input_salt: Option<Fr>,
    ) -> Result<Vec<ProofBundle>> {
        let blinding = LinkBlinding::for_chain(segments.len(), &mut rand::rngs::OsRng);
        prove_segments_with(whole, segments, keys, q_in, input_salt, &blinding)
    }

    /// Proves the chain with the given link blinding, one per segment
    /// ([`LinkBlinding::for_chain`]).
    pub fn prove_segments_with(
        whole: &QGraph,
        segments: &[(Segment, Compiled)],
        keys: &[SegmentKeys<'_>],
        q_in: &[i64],
        input_salt: Option<Fr>,
        blinding: &[LinkBlinding],
    ) -> Result<Vec<ProofBundle>> {
        if keys.len() != segments.len() || blinding.len() != segments.len() {
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
            .zip(blinding)
            .enumerate()
            .map(|(i, (((segment, compiled), k), blinding))| {
                let v = segment.values(&values);
                let witness = Witness::of_segment(v, input_salt.filter(|_| i == 0));
                compiled.prove_segment_witness(k.params, k.pk, k.key, witness, blinding.clone())
            })
            .collect()
    }
}

#[cfg(all(test, feature = "prover"))]
mod tests;
