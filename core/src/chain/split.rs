//! Splitting a graph into segments: where a cut may go, which tensors live across it, and
//! each segment's own graph (reading the tensors live across the cut before it from its one
//! linked input, with a [`StepKind::Slice`] each when there are several, and gathering those
//! live across the cut after it into its one linked output with a [`StepKind::Concat`]).

use crate::circuit::{TensorVisibility, Visibility};
use crate::error::{Error, Result};
use crate::qgraph::{QGraph, QStep, QTensor, QTensorId, StepKind};

/// One piece of a cut graph: its own graph, and where its tensors came from.
#[derive(Clone, Debug)]
pub struct Segment {
    pub graph: QGraph,
    /// `sources[i]` lists the original graph's tensors whose values, one after another, are the
    /// segment's tensor `i` (one tensor, except for a linked input or output gathering several).
    pub sources: Vec<Vec<QTensorId>>,
    /// The segment's steps that are the original graph's (the others read its linked input
    /// apart and gather its linked output).
    pub own_steps: std::ops::Range<usize>,
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
pub(super) fn piece(graph: &QGraph, from: usize, to: usize, index: usize) -> Result<Segment> {
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
    let first_own = steps.len();
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
    let own_steps = first_own..steps.len();
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
    Ok(Segment {
        graph,
        sources,
        own_steps,
    })
}

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
