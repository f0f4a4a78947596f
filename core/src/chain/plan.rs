//! Planning a chain: where to cut a graph so that every segment fits the prover's memory
//! budget, all at one k.

use super::split::{cut_points, piece, segment_visibility};
use crate::circuit::Visibility;
use crate::error::{Error, Result};
use crate::qgraph::QGraph;
use std::borrow::Cow;

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
    match plan(graph, width, visibility, budget, &mut Layouts::new())? {
        Planned::Cuts(cuts) => Ok(cuts),
        Planned::Obstacle(o) => Err(o.error(graph, budget, visibility)),
    }
}

/// Plans a chain as [`plan_cuts`] does, first dividing any Conv (grouped ones by whole groups)
/// or Dense step too large for a segment of its own, or too large at the k the other segments
/// need, by its output channels ([`super::divide`]), in halves until every piece
/// fits. Returns the graph the cuts refer to: `graph` itself (borrowed, nothing divided), or
/// the divided graph, which computes the same integers (the chain's compiled model holds it).
pub fn plan_chain<'g>(
    graph: &'g QGraph,
    width: Option<usize>,
    visibility: Visibility,
    budget: u64,
) -> Result<(Cow<'g, QGraph>, Vec<usize>)> {
    let mut graph = Cow::Borrowed(graph);
    // The largest estimate before the last division, its error, and the steps that division
    // made: a division that does not lower the estimate of a block among those steps (a
    // block's input and the blocks already made cross every cut between the blocks, so
    // dividing a step whose cost is its outputs, not its weights, only moves the obstacle) is
    // given up, and the obstacle reported as it was. An obstacle elsewhere is another step
    // as large (ResNet-18 has three 512×512×3×3 convolutions), divided in its turn.
    let mut last: Option<(u64, Error, std::ops::Range<usize>)> = None;
    // The last obstacle over the budget by itself. A block that fits on its own stops a chain
    // only because the segments cannot share one k; naming it ("alone needs 15.6 GiB" under a
    // 20 GiB budget) would mislead, so a failure names the last block that did not fit.
    let mut over_budget: Option<Error> = None;
    // Segment layouts outlive a division: a piece that does not touch the divided step has
    // the same steps and the same live tensors across its cuts (the blocks read what the step
    // read, the concatenation makes what it made).
    let mut layouts = Layouts::new();
    for _ in 0..MAX_DIVISIONS {
        let obstacle = match plan(&graph, width, visibility, budget, &mut layouts)? {
            Planned::Cuts(cuts) => return Ok((graph, cuts)),
            Planned::Obstacle(o) => o,
        };
        if let Some((before, error, made)) = last.take() {
            let on_made = obstacle.first < made.end && made.start <= obstacle.last;
            if on_made && obstacle.bytes >= before {
                return Err(over_budget.unwrap_or(error));
            }
        }
        let error = obstacle.error(&graph, budget, visibility);
        if obstacle.bytes > budget {
            over_budget = Some(obstacle.error(&graph, budget, visibility));
        }
        // The block's largest divisible step, by weights.
        let largest = (obstacle.first..=obstacle.last)
            .filter_map(|i| super::divide::divisible(&graph, &graph.steps[i]).map(|d| (i, d)))
            .max_by_key(|(_, d)| d.weights);
        let parts = 2;
        match largest.and_then(|(i, _)| Some((i, super::divide::divide_step(&graph, i, parts)?))) {
            Some((i, divided)) => {
                // The blocks (with their input slices, for a grouped convolution) and the
                // step that puts them back together.
                let made = divided.steps.len() + 1 - graph.steps.len();
                last = Some((obstacle.bytes, error, i..i + made));
                graph = Cow::Owned(divided);
            }
            None => return Err(over_budget.unwrap_or(error)),
        }
    }
    Err(Error::InvalidInput(format!(
        "no cutting of '{}' fits the memory budget of {:.2} GiB after dividing its steps {} \
         times",
        graph.name,
        gib(budget),
        MAX_DIVISIONS
    )))
}

/// How many times [`plan_chain`] divides a step in two before it gives up: enough for every
/// large layer of a deep network (GPT-2 small has 48 weight matrices and an embedding) to be
/// halved a few times.
const MAX_DIVISIONS: usize = 256;

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// What planning found: the cuts, or the block of steps between two neighbouring cut points
/// that no segment fits (`first..=last`, with its smallest estimate).
enum Planned {
    Cuts(Vec<usize>),
    Obstacle(Obstacle),
}

struct Obstacle {
    first: usize,
    last: usize,
    bytes: u64,
    /// When every block fits on its own but the chain's one k does not suit them all: that k,
    /// and the last step of the block that needs it (`bytes` is then the obstacle's at it).
    shared_k: Option<(u32, usize)>,
    /// The block's least estimate at a k of its own.
    alone: u64,
}

impl Obstacle {
    fn error(&self, graph: &QGraph, budget: u64, visibility: Visibility) -> Error {
        let hint = if visibility.hidden_weights() {
            " (hidden weights add the commitment's columns to every segment: `--weights fixed` \
             needs fewer, or raise --memory-budget)"
        } else if self.first == 0 && visibility.input.is_hashed() {
            " (the first segment also hashes the input, which adds the hash's columns: \
             `--input-visibility packed` needs fewer but makes the input public; or raise \
             --memory-budget)"
        } else {
            " (raise --memory-budget)"
        };
        let need = match self.shared_k {
            None => "alone needs about".to_string(),
            Some((k, by)) => format!(
                "needs about {:.1} GiB at k = {k}, the k of step '{}' (a chain's segments \
                 share one k); it alone needs about",
                gib(self.bytes),
                graph.steps[by].name
            ),
        };
        // A float model's activation width is the compiler's choice (TFLite's integer models
        // need 16 bits): a narrower one shrinks the table every segment holds.
        let fixed_point = crate::circuit::table::TableSpec::of(graph).sign;
        let bits = if graph.act_bits > 12 && !fixed_point {
            format!(
                "; or fewer --activation-bits than {} (a smaller table in every segment, at \
                 some cost in precision)",
                graph.act_bits
            )
        } else {
            String::new()
        };
        Error::InvalidInput(format!(
            "no cutting of '{}' fits the memory budget of {:.2} GiB: step '{}' {need} {:.1} \
             GiB{hint}{bits}",
            graph.name,
            gib(budget),
            graph.steps[self.last].name,
            gib(self.alone)
        ))
    }
}

/// (own k, estimated peak at that k) of every dot width's layout of a segment, by what its
/// first step reads and makes, what its last step makes, and its step count. A division
/// appends its blocks' tensors and leaves every other tensor's index as it was (the
/// concatenation makes the divided step's own output, from the blocks), so a key names the
/// same steps before and after it: a piece that spans the divided step has more steps, one that
/// starts or ends among its blocks or at the concatenation other tensors.
type Layouts = std::collections::HashMap<(Vec<usize>, usize, usize, usize), Vec<(u32, u64)>>;

fn plan(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
    budget: u64,
    memo: &mut Layouts,
) -> Result<Planned> {
    let last = graph.steps.len() - 1;
    let ends: Vec<usize> = cut_points(graph).into_iter().chain([last]).collect();
    // (own k, estimated peak at that k) of every dot width's layout of the segment after cut
    // `start` (None: the model's start) through `end`; memoised, since every chain k asks again
    // (and every planning after a division).
    let lengths = crate::circuit::dot_lengths(graph);
    let mut layouts = |start: Option<usize>, end: usize| -> Result<Vec<(u32, u64)>> {
        let from = start.map_or(0, |s| s + 1);
        let first = &graph.steps[from];
        let key = (
            first.inputs.clone(),
            first.output,
            graph.steps[end].output,
            end + 1 - from,
        );
        if let Some(v) = memo.get(&key) {
            return Ok(Vec::clone(v));
        }
        let segment = piece(graph, from, end + 1, 0)?;
        let vis = segment_visibility(visibility, start.is_none(), end == last);
        // The piece's own steps are the graph's; the link slices before them and the
        // concatenation after them lay out no dot products.
        let counts: Vec<Vec<(usize, usize)>> = (0..segment.graph.steps.len())
            .map(|i| {
                if segment.own_steps.contains(&i) {
                    lengths[from + i - segment.own_steps.start].clone()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let v: Vec<(u32, u64)> =
            crate::circuit::layout_candidates_with(&segment.graph, &counts, width, vis)
                .iter()
                .map(|p| (p.k, p.estimated_peak_bytes))
                .collect();
        memo.insert(key, v.clone());
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
        // The furthest end the previous start reached. A segment from a later start to it is
        // usually within the budget too; when it is, so is every shorter one (a longer
        // segment is no smaller), and only the ends beyond it need laying out. Laying out
        // each start's segments from its first end on instead costs a layout per step of
        // every segment for every start: quadratic in the steps a segment holds (GPT-2's
        // layers at 17 bits, 82 steps a segment, planned in 26 minutes that way).
        let mut reached: Option<usize> = None;
        for from in std::iter::once(None).chain((0..ends.len()).map(Some)) {
            let (count, start) = match from {
                None => (0, None),
                Some(f) => match best[f] {
                    Some((c, _)) if ends[f] < last => (c, Some(ends[f])),
                    _ => continue,
                },
            };
            let first = from.map_or(0, |f| f + 1);
            let mut end = first;
            if let Some(r) = reached.filter(|&r| r > first) {
                if fits(layouts(start, ends[r])?) {
                    end = r + 1;
                }
            }
            while end < ends.len() && fits(layouts(start, ends[end])?) {
                end += 1;
            }
            // Every end in first..end fits after `start`.
            for b in &mut best[first..end] {
                if b.is_none_or(|(c, _)| count + 1 < c) {
                    *b = Some((count + 1, from));
                }
            }
            reached = end.checked_sub(1).filter(|&r| r >= first).or(reached);
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
        return Ok(Planned::Cuts(cuts));
    }
    // Say which block between two neighbouring cut points is the obstacle: one that does not
    // fit at any k of its own, else one that does not fit at the k another block needs.
    let mut blocks = Vec::with_capacity(ends.len());
    for (j, &end) in ends.iter().enumerate() {
        let start = j.checked_sub(1).map(|i| ends[i]);
        blocks.push((start.map_or(0, |s| s + 1), end, layouts(start, end)?));
    }
    let least = |layouts: &[(u32, u64)]| layouts.iter().map(|&(_, b)| b).min().unwrap_or(0);
    let mut worst = Obstacle {
        first: 0,
        last: 0,
        bytes: 0,
        shared_k: None,
        alone: 0,
    };
    for (first, last, layouts) in &blocks {
        let bytes = least(layouts);
        if bytes > worst.bytes {
            worst = Obstacle {
                first: *first,
                last: *last,
                bytes,
                shared_k: None,
                alone: bytes,
            };
        }
    }
    if worst.bytes <= budget {
        // The k every block can reach within the budget, and who needs the largest.
        let (k, by) = blocks
            .iter()
            .filter_map(|(_, last, layouts)| {
                let k = layouts
                    .iter()
                    .filter(|&&(_, b)| b <= budget)
                    .map(|&(k, _)| k)
                    .min()?;
                Some((k, *last))
            })
            .max()
            .unwrap_or((MAX_CHAIN_K, 0));
        for (first, last, layouts) in &blocks {
            let at_k = layouts
                .iter()
                .filter(|&&(own, _)| own <= k)
                .map(|&(own, b)| crate::circuit::estimate_at_k(b, own, k))
                .min()
                .unwrap_or(u64::MAX);
            if at_k > budget && (worst.shared_k.is_none() || at_k > worst.bytes) {
                worst = Obstacle {
                    first: *first,
                    last: *last,
                    bytes: at_k,
                    shared_k: Some((k, by)),
                    alone: least(layouts),
                };
            }
        }
    }
    Ok(Planned::Obstacle(worst))
}

/// The range of k a planned chain may take.
const MIN_CHAIN_K: u32 = 10;
const MAX_CHAIN_K: u32 = 26;
