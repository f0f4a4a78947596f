//! Planning a chain: where to cut a graph so that every segment fits the prover's memory
//! budget, all at one k.

use super::split::{cut_points, piece, segment_visibility};
use crate::circuit::Visibility;
use crate::error::{Error, Result};
use crate::qgraph::{QGraph, StepKind};

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
                StepKind::Linear(_)
                | StepKind::Max { .. }
                | StepKind::Reshape
                | StepKind::QuantizedAdd(_)
                | StepKind::QuantizedSub(_)
                | StepKind::Gather { .. }
                | StepKind::QuantizedMul(_)
                | StepKind::Lookup(_)
                | StepKind::Product(_) => own.next().cloned().unwrap_or_default(),
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
