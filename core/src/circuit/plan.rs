//! Layout planning: the dot width and k that fit a model ([`plan_layout`], [`plan_layout_at`],
//! [`layout_candidates`]), the rows each chip needs ([`rows_needed`], [`hashing_rows`],
//! [`dot_lengths`]) and an estimate of the prover's peak memory ([`estimate_prover_bytes`]).
//! The row counts here must match what [`super::ModelCircuit`]'s layout assigns.

use super::dot::DotConfig;
use super::matmul::MatMulDims;
use super::pointwise::{CheckLayout, PointwiseDims};
use super::poseidon::PoseidonConfig;
use super::table::TableSpec;
use super::{
    public_len, CircuitShape, ModelConfig, TensorVisibility, Visibility, LINK_BLINDING_ROWS,
};
use crate::ops::gather::Gather;
use crate::qgraph::{Linear, QGraph, QStep, Rounding, StepKind};
use halo2_proofs::plonk::{ConstraintSystem, LookupArgument};
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

/// The chosen layout of a model: shape, k and what it costs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayoutPlan {
    pub shape: CircuitShape,
    pub k: u32,
    pub dot_rows: usize,
    pub max_rows: usize,
    /// Rows of the pointwise chip's weight dots (the randomized check's `W·(X·r)`).
    #[serde(default)]
    pub weight_rows: usize,
    /// Rows of the pack and Poseidon chips (hidden weights, hashed tensors).
    #[serde(default)]
    pub pack_rows: usize,
    #[serde(default)]
    pub hash_rows: usize,
    pub table_rows: usize,
    /// Rows of the embedding chip's table (0 without token embeddings).
    #[serde(default)]
    pub embedding_table_rows: usize,
    /// Rows of the arithmetic chip (TFLite int8 softmax steps; 0 without).
    #[serde(default)]
    pub arith_rows: usize,
    pub instance_len: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    /// The polynomials a proof commits for the lookups (3 per lookup with halo2's argument,
    /// one per lookup and one per table with the log-derivative argument).
    #[serde(default)]
    pub lookup_polynomials: usize,
    pub usable_rows: usize,
    /// The prover's estimated peak memory (see [`estimate_prover_bytes`]).
    #[serde(default)]
    pub estimated_peak_bytes: u64,
}

/// An estimate of the prover's peak memory for a circuit of 2^k rows. This halo2 keeps each
/// advice and fixed column's values and coefficients, and evaluates the quotient one coset of
/// the extended domain at a time, so a column costs about three polynomials (of 2^k field
/// elements) and nothing is held on the whole extended domain. Each lookup (permuted columns,
/// product) and each column in the permutation argument (its sigma polynomial, its share of the
/// grand products, the copy map during key generation) costs about seven. Peak bytes are then a
/// constant (the process, the KZG parameters of small k) plus a multiple of those columns: a
/// least-squares line through peaks measured by the bench, m3_cifar at k=18 (2.42 GiB; 23
/// advice, 22 fixed, 4 lookups, 20 permuted columns) and a full-size MobileNet segment at k=21
/// (15.36 GiB; 23 advice, 20 fixed, 7 lookups, 13 permuted), rounded up 10%. A line through the
/// small circuits alone (the previous fit) over-estimated the k=21 segments by about 20%, and
/// so planned MobileNet as 8 segments where 5 fit.
///
/// The log-derivative argument's polynomials (multiplicities, inverses, running sum) are
/// committed and kept as advice columns are, so they count three each; it has nothing like the
/// permuted columns.
pub fn estimate_prover_bytes(
    k: u32,
    advice: usize,
    fixed: usize,
    lookups: LookupCost,
    permuted: usize,
) -> u64 {
    let (lookups, lookup_polynomials) = match lookups {
        LookupCost::Permutation(n) => (n, 0),
        LookupCost::LogDerivative(polynomials) => (0, polynomials),
    };
    let columns =
        3.0 * (advice + fixed + lookup_polynomials) as f64 + 7.0 * (lookups + permuted) as f64;
    ESTIMATE_CONSTANT + (1.1 * 0.9 * columns * 32.0 * (1u64 << k) as f64) as u64
}

/// What a circuit's lookups cost the prover: halo2's permutation argument (how many lookups)
/// or the log-derivative one (how many polynomials it commits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupCost {
    Permutation(usize),
    LogDerivative(usize),
}

impl LookupCost {
    pub fn of(cs: &ConstraintSystem<Fr>) -> Self {
        match cs.lookup_argument() {
            LookupArgument::Permutation => LookupCost::Permutation(cs.lookups().len()),
            LookupArgument::LogDerivative => LookupCost::LogDerivative(cs.lookup_polynomials()),
        }
    }
}

/// The part of [`estimate_prover_bytes`] that does not grow with the domain.
const ESTIMATE_CONSTANT: u64 = (1.1 * 0.29 * (1u64 << 30) as f64) as u64;

/// [`estimate_prover_bytes`] of the same columns at `to_k` rows instead of `from_k`.
pub fn estimate_at_k(bytes: u64, from_k: u32, to_k: u32) -> u64 {
    let scaling = bytes.saturating_sub(ESTIMATE_CONSTANT);
    let scaled = if to_k >= from_k {
        scaling.saturating_mul(1 << (to_k - from_k))
    } else {
        scaling >> (from_k - to_k)
    };
    ESTIMATE_CONSTANT + scaled
}

impl LayoutPlan {
    /// The same layout at a larger `k` (every segment of a chain shares one k, so that equal
    /// link columns have equal commitments). No-op when `k` is not larger.
    pub fn raise_k(&mut self, k: u32) {
        if k <= self.k {
            return;
        }
        let reserved = (1usize << self.k) - self.usable_rows;
        self.estimated_peak_bytes = estimate_at_k(self.estimated_peak_bytes, self.k, k);
        self.usable_rows = (1usize << k) - reserved;
        self.k = k;
    }
}

impl std::fmt::Display for LayoutPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "k={} ({} usable rows), dot width {}, activation bits {}, columns: {} advice + {} fixed + 1 instance, \
             rows used: {} linear, {} max-pool, {} pointwise weights, {} pack, {} Poseidon, {} lookup table, {} lookups, \
             {}{}estimated prover peak {:.1} GiB",
            self.k,
            self.usable_rows,
            self.shape.dot_width,
            self.shape.act_bits,
            self.advice_columns,
            self.fixed_columns,
            self.dot_rows,
            self.max_rows,
            self.weight_rows,
            self.pack_rows,
            self.hash_rows,
            self.table_rows,
            self.lookups,
            if self.embedding_table_rows > 0 {
                format!("{} embedding table rows, ", self.embedding_table_rows)
            } else {
                String::new()
            },
            if self.arith_rows > 0 {
                format!("{} arithmetic (softmax), ", self.arith_rows)
            } else {
                String::new()
            },
            self.estimated_peak_bytes as f64 / GIB
        )
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// Rows needed by the linear and max-pool steps for a given dot width, and by the pointwise
/// chip's weight dots. `term_counts[i]` counts step i's dot products by length (length,
/// how many); with the shape's `freivalds`, the convolutions the randomized check takes
/// (any window with `conv_freivalds`) take [`PointwiseDims::rows`] instead.
fn rows_needed(
    graph: &QGraph,
    term_counts: &[Vec<(usize, usize)>],
    width: usize,
    shape: &CircuitShape,
) -> (usize, usize, usize) {
    let (mut dot, mut max, mut weight) = (0, 0, 0);
    for (s, counts) in graph.steps.iter().zip(term_counts) {
        match &s.kind {
            StepKind::Linear(lin) if shape.freivalds => {
                let n = graph.tensors[s.output].len();
                match PointwiseDims::of(lin, n, check_layout(shape)) {
                    Some(dims) => {
                        dot += dims.rows(width);
                        weight += dims.weight_rows();
                    }
                    None => dot += direct_rows(counts, width),
                }
            }
            StepKind::Max {
                window,
                in_shape,
                out_shape,
            } => {
                let n: usize = graph.tensors[s.output].len();
                max += (0..n)
                    .map(|o| QStep::max_window(window, in_shape, out_shape, o).len())
                    .sum::<usize>();
            }
            StepKind::Embedding(t) => {
                // A row per token and chunk of `width - 1` values; a width without room for a
                // value cannot hold the step (the planner leaves such widths out).
                let tokens = graph.tensors[s.inputs[0]].len();
                dot = dot.saturating_add(match width.checked_sub(1).filter(|&v| v > 0) {
                    Some(per_row) => tokens.saturating_mul(t.chunks(per_row)),
                    None => usize::MAX / 4,
                });
            }
            // The row max in the max chip (the rest is the arithmetic chip's, [`arith_rows`]).
            StepKind::ByteSoftmax(_) => max += graph.tensors[s.output].len(),
            StepKind::MatMul(p) => {
                let dims = MatMulDims {
                    m: p.shape.m,
                    k: p.shape.k,
                    n: p.shape.n,
                };
                dot += p.shape.items.len() * dims.rows(width);
            }
            StepKind::Linear(_)
            | StepKind::QuantizedAdd(_)
            | StepKind::QuantizedSub(_)
            | StepKind::QuantizedMul(_)
            | StepKind::SquaredDifference(_)
            | StepKind::Lookup(_)
            | StepKind::Product(_)
            | StepKind::Gather { .. }
            | StepKind::Reshape
            | StepKind::Slice { .. }
            | StepKind::Concat => dot += direct_rows(counts, width),
        }
    }
    (dot, max, weight)
}

/// Rows of the arithmetic chip: TFLite softmax steps' per-element and per-row operations.
pub fn arith_rows(graph: &QGraph) -> usize {
    use super::steps::softmax::{ROWS_PER_ELEMENT, ROWS_PER_ROW};
    graph
        .steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::ByteSoftmax(t) => {
                let n = graph.tensors[s.output].len();
                n * ROWS_PER_ELEMENT + t.rows(n) * ROWS_PER_ROW
            }
            StepKind::Linear(_)
            | StepKind::Max { .. }
            | StepKind::Reshape
            | StepKind::Slice { .. }
            | StepKind::Concat
            | StepKind::QuantizedAdd(_)
            | StepKind::QuantizedSub(_)
            | StepKind::Gather { .. }
            | StepKind::Product(_)
            | StepKind::Lookup(_)
            | StepKind::QuantizedMul(_)
            | StepKind::SquaredDifference(_)
            | StepKind::MatMul(_)
            | StepKind::Embedding(_) => 0,
        })
        .sum()
}

/// Rows of a step's dot products, counted by length, at dot `width`.
fn direct_rows(counts: &[(usize, usize)], width: usize) -> usize {
    counts
        .iter()
        .map(|&(n, times)| times * DotConfig::rows_for(n, width))
        .sum()
}

/// What a shape proves by the randomized check.
fn check_layout(shape: &CircuitShape) -> CheckLayout {
    CheckLayout {
        width: shape.dot_width,
        any_window: shape.conv_freivalds,
        dense: shape.dense_freivalds,
        bias_row: shape.visibility.hidden_weights(),
        weight_lanes: shape.weight_lanes,
    }
}

/// The linear steps of `graph` with their output lengths.
fn linear_steps(graph: &QGraph) -> impl Iterator<Item = (&Linear, usize)> {
    graph
        .steps
        .iter()
        .filter_map(|s| linear(&s.kind).map(|lin| (lin, graph.tensors[s.output].len())))
}

/// Which steps the randomized check can take at dot `width` with `weight_lanes` (where it takes
/// fewer rows than direct dot products): some 1×1 convolution, some other convolution (the
/// shape's `conv_freivalds`), some Dense step over several rows (`dense_freivalds`).
fn freivalds_kinds(
    graph: &QGraph,
    width: usize,
    weight_lanes: usize,
    hidden: bool,
) -> (bool, bool, bool) {
    let layout = |any_window, dense| CheckLayout {
        width,
        any_window,
        dense,
        bias_row: hidden,
        weight_lanes,
    };
    let (mut unit, mut any_window, mut dense) = (false, false, false);
    for (lin, n) in linear_steps(graph) {
        if PointwiseDims::of(lin, n, layout(false, false)).is_some() {
            unit = true;
        } else if PointwiseDims::of(lin, n, layout(true, false)).is_some() {
            any_window = true;
        } else if PointwiseDims::of(lin, n, layout(false, true)).is_some() {
            dense = true;
        }
    }
    (unit, any_window, dense)
}

/// Whether some step the check takes at dot `width` with one weight lane would take fewer rows
/// with `width` lanes: its weight dot is longer than its other rows, or the check takes it
/// only then (a layer over few positions with many weights).
fn lanes_help(graph: &QGraph, width: usize, hidden: bool) -> bool {
    let layout = |weight_lanes| CheckLayout {
        width,
        any_window: true,
        dense: true,
        bias_row: hidden,
        weight_lanes,
    };
    width > 1
        && linear_steps(graph).any(|(lin, n)| match PointwiseDims::of(lin, n, layout(1)) {
            Some(dims) => dims.weight_rows() > dims.rows(width),
            None => PointwiseDims::of(lin, n, layout(width)).is_some(),
        })
}

/// Whether every step with parameters (what hidden weights commit) is a step the randomized
/// check takes under `layout`, as the layout decides it ([`PointwiseDims::of`]): then no dot
/// product multiplies by a hidden weight.
fn every_param_step_is_checked(graph: &QGraph, layout: CheckLayout) -> bool {
    linear_steps(graph)
        .all(|(lin, n)| lin.params().is_none() || PointwiseDims::of(lin, n, layout).is_some())
}

/// A linear step's kernel and rescale; None for every other kind (only linear steps have
/// parameters, convolutions, roundings).
fn linear(kind: &StepKind) -> Option<&Linear> {
    match kind {
        StepKind::Linear(lin) => Some(lin),
        StepKind::Max { .. }
        | StepKind::Reshape
        | StepKind::Slice { .. }
        | StepKind::Concat
        | StepKind::QuantizedAdd(_)
        | StepKind::QuantizedSub(_)
        | StepKind::Gather { .. }
        | StepKind::QuantizedMul(_)
        | StepKind::SquaredDifference(_)
        | StepKind::Lookup(_)
        | StepKind::ByteSoftmax(_)
        | StepKind::Product(_)
        | StepKind::MatMul(_)
        | StepKind::Embedding(_) => None,
    }
}

/// Rows of the pack and Poseidon chips under `vis`, with the Poseidon chip every compile lays
/// out (two partial rounds a row).
pub fn hashing_rows(graph: &QGraph, vis: Visibility) -> (usize, usize) {
    use crate::commitment::{packed_len, param_tensors};
    const PAIRED: bool = true;
    let b = graph.act_bits;
    let (mut pack, mut hash) = (0, 0);
    let mut tensor = |v: TensorVisibility, n: usize| {
        // A salt takes one more row of the packed column and one more message.
        let salt = (v == TensorVisibility::Salted) as usize;
        match v {
            TensorVisibility::Hashed | TensorVisibility::Salted => {
                pack += n + salt;
                hash += PoseidonConfig::rows_for(salt + packed_len(n, b), PAIRED);
            }
            TensorVisibility::Hidden | TensorVisibility::Packed => pack += n,
            TensorVisibility::Public | TensorVisibility::Linked => {}
        }
    };
    tensor(vis.input, graph.input_tensor().len());
    tensor(vis.output, graph.output_tensor().len());
    if vis.hidden_weights() {
        let limbs: usize = param_tensors(graph)
            .iter()
            .map(|t| t.values.len() * t.limbs)
            .sum();
        pack += limbs + 1;
        hash += PoseidonConfig::rows_for(1 + packed_len(limbs, b), PAIRED);
    }
    (pack, hash)
}

/// Picks the dot width and the smallest k that fit the model, minimising an estimate of proving
/// work (columns times rows). `width` forces a dot width.
pub fn plan_layout(graph: &QGraph, width: Option<usize>, visibility: Visibility) -> LayoutPlan {
    let cost = |p: &LayoutPlan| {
        // `lookup_polynomials` is 3 per lookup with halo2's argument: the old weight.
        (p.advice_columns as f64 + p.fixed_columns as f64 / 2.0 + p.lookup_polynomials as f64)
            * (1u64 << p.k) as f64
    };
    layout_candidates(graph, width, visibility)
        .into_iter()
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
        .expect("at least one candidate")
}

/// The layout at a given `k` (a segment of a chain, whose k is the chain's) with the smallest
/// estimated prover peak, or None if the model needs more rows than 2^k at every dot width.
pub fn plan_layout_at(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
    k: u32,
) -> Option<LayoutPlan> {
    layout_candidates(graph, width, visibility)
        .into_iter()
        .filter(|p| p.k <= k)
        .map(|mut p| {
            p.raise_k(k);
            p
        })
        .min_by_key(|p| p.estimated_peak_bytes)
}

/// One layout per candidate dot width (only `width` if given), each at its smallest k; two where
/// convolutions other than 1×1 can take the randomized check (with and without it).
pub fn layout_candidates(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
) -> Vec<LayoutPlan> {
    layout_candidates_with(graph, &dot_lengths(graph), width, visibility)
}

/// Each step's dot products counted by length: (terms, how many), in order of length.
pub fn dot_lengths(graph: &QGraph) -> Vec<Vec<(usize, usize)>> {
    graph
        .steps
        .iter()
        .map(|s| {
            let mut counts = std::collections::BTreeMap::new();
            let n_out = graph.tensors[s.output].len();
            match &s.kind {
                StepKind::Linear(lin) => counts = lin.term_counts(n_out),
                // One single-term dot product per output.
                StepKind::Product(_) | StepKind::QuantizedMul(_) | StepKind::Lookup(_) => {
                    counts.insert(1, n_out);
                }
                StepKind::Gather { picks } => {
                    // Padding's proven zero: an empty dot product (one row), at most once per
                    // step.
                    if Gather::has_zeros(picks) {
                        counts.insert(0, 1);
                    }
                }
                StepKind::QuantizedAdd(_) | StepKind::QuantizedSub(_) => {
                    // Two input maps (one term each) and the sum (two terms) per output.
                    counts.insert(1, 2 * n_out);
                    counts.insert(2, n_out);
                }
                StepKind::SquaredDifference(_) => {
                    // Per output a map of the first input and the square's product row (one
                    // row each at every width); one map per element of the second input.
                    let n_second = s.inputs.get(1).map_or(0, |&t| graph.tensors[t].len());
                    counts.insert(1, 2 * n_out + n_second);
                }
                // Laid out by the matrix-product and embedding chips, counted by `rows_needed`.
                StepKind::MatMul(_)
                | StepKind::Embedding(_)
                | StepKind::ByteSoftmax(_)
                | StepKind::Max { .. }
                | StepKind::Reshape
                | StepKind::Slice { .. }
                | StepKind::Concat => {}
            }
            counts.into_iter().collect()
        })
        .collect()
}

/// [`layout_candidates`] with each step's [`dot_lengths`] given (a planner trying many pieces
/// of one graph counts them once).
pub fn layout_candidates_with(
    graph: &QGraph,
    term_counts: &[Vec<(usize, usize)>],
    width: Option<usize>,
    visibility: Visibility,
) -> Vec<LayoutPlan> {
    let b = graph.act_bits;
    let instance_len = public_len(visibility.input, graph.input_tensor().len(), b)
        + public_len(visibility.output, graph.output_tensor().len(), b)
        + visibility.hidden_weights() as usize;
    let (pack_rows, hash_rows) = hashing_rows(graph, visibility);
    // A linked tensor fills rows 0.. of its link column, its blinding rows the next ones.
    let linked = |v: TensorVisibility, n: usize| {
        if v == TensorVisibility::Linked {
            n + LINK_BLINDING_ROWS
        } else {
            0
        }
    };
    let link_rows = linked(visibility.input, graph.input_tensor().len())
        .max(linked(visibility.output, graph.output_tensor().len()));
    let spec = TableSpec::of(graph);
    let table_rows = spec.rows(graph.act_bits);
    let byte_softmax = graph
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::ByteSoftmax(_)));
    // A softmax's row max is proven by the max chip.
    let uses_max_pool = byte_softmax
        || graph
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Max { .. }));
    let arith_rows = arith_rows(graph);
    // TFLite ADD's input maps use the rescale chip only when it is there anyway (otherwise the
    // requantization chip's map rows).
    let roundings = || {
        graph
            .steps
            .iter()
            .filter_map(|s| linear(&s.kind).map(|lin| &lin.rescale.rounding))
    };
    let pads_with_zeros = graph
        .steps
        .iter()
        .any(|s| matches!(&s.kind, StepKind::Gather { picks } if Gather::has_zeros(picks)));
    let matmul = graph
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::MatMul(_)));
    let half_up_products = graph
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Product(_)));
    // TFLite's MUL reads its factors on product rows too, requantized by the fixed-point chip.
    let products = half_up_products
        || graph.steps.iter().any(|s| {
            matches!(
                s.kind,
                StepKind::QuantizedMul(_) | StepKind::SquaredDifference(_)
            )
        });
    // A matrix product's accumulators are rescaled half up too.
    let uses_rescale = pads_with_zeros
        || half_up_products
        || matmul
        || roundings().any(|r| match r {
            Rounding::HalfUp { .. } | Rounding::HalfAwayFromZero { .. } => true,
            Rounding::FixedPoint(_) => false,
        });
    let ties_up = roundings().any(|r| matches!(r, Rounding::FixedPoint(fp) if fp.ties_up))
        || graph.steps.iter().any(
            |s| matches!(&s.kind, StepKind::MatMul(p) if p.requant.is_some_and(|r| r.ties_up)),
        );
    let embedding_lookups = !super::embedding::embeddings(graph).is_empty();
    let raw_ties = roundings().any(|r| matches!(r, Rounding::HalfAwayFromZero { .. }));
    let candidates: Vec<usize> = match width {
        Some(w) => vec![w.max(1)],
        None => vec![4, 8, 9, 16, 32, 64],
    };
    let mut plans = Vec::with_capacity(candidates.len());
    // Per dot width, the layout with every convolution the randomized check can take, and,
    // when that includes any other than 1×1, the layout with 1×1 ones only; the same with and
    // without Dense steps over rows: the check saves rows but adds columns, so at a k the rows
    // do not set (a chain's segments, a model held up by its table) the second may be the
    // smaller.
    //
    // Each with one weight lane, and, where some step's weight dot would be shorter for it, with
    // as many as the dot width (two columns a lane).
    let hidden = visibility.hidden_weights();
    let variants = candidates.iter().flat_map(|&w| {
        let lanes = if lanes_help(graph, w, hidden) {
            vec![1, w]
        } else {
            vec![1]
        };
        lanes.into_iter().flat_map(move |l| {
            let (unit, any_window, dense) = freivalds_kinds(graph, w, l, hidden);
            // Every combination of the two optional kinds the graph has, each also without
            // (the windows first, as before Dense steps took the check: ties keep their plan).
            let windows = any_window.then_some(true).into_iter().chain([false]);
            windows.flat_map(move |conv| {
                [false]
                    .into_iter()
                    .chain(dense.then_some(true))
                    .map(move |dense_check| (w, l, unit || conv || dense_check, conv, dense_check))
            })
        })
    });
    for (w, weight_lanes, freivalds, conv_freivalds, dense_freivalds) in variants {
        // Lanes only where the layout has the check; an embedding row needs an id and a value.
        if (weight_lanes > 1 && !freivalds) || (embedding_lookups && w < 2) {
            continue;
        }
        let layout = CheckLayout {
            width: w,
            any_window: conv_freivalds,
            dense: dense_freivalds,
            bias_row: hidden,
            weight_lanes,
        };
        let checked_weights_only =
            hidden && freivalds && !products && every_param_step_is_checked(graph, layout);
        let shape = CircuitShape {
            dot_width: w,
            act_bits: graph.act_bits,
            visibility,
            fixed_point: spec.sign,
            freivalds,
            no_max_pool: !uses_max_pool,
            no_rescale: !uses_rescale,
            ties_up,
            raw_ties,
            products,
            matmul,
            log_derivative_lookups: true,
            conv_freivalds,
            checked_weights_only,
            dense_freivalds,
            weight_lanes,
            poseidon_paired_rounds: visibility.needs_hashing(),
            embedding_lookups,
            byte_softmax,
        };
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelConfig::configure(&mut cs, &shape);
        let (dot_rows, max_rows, weight_rows) = rows_needed(graph, term_counts, w, &shape);
        let embedding_table_rows = super::embedding::table_rows(graph, w.saturating_sub(1));
        let need = dot_rows
            .max(embedding_table_rows)
            .max(max_rows)
            .max(weight_rows)
            .max(table_rows)
            .max(instance_len)
            .max(pack_rows)
            .max(hash_rows)
            .max(link_rows)
            .max(arith_rows);
        let reserved = cs.blinding_factors() + 1;
        let mut k = 4;
        while (1usize << k) < need + reserved || (1usize << k) < cs.minimum_rows() {
            k += 1;
        }
        let plan = LayoutPlan {
            shape,
            k,
            dot_rows,
            max_rows,
            weight_rows,
            pack_rows,
            hash_rows,
            table_rows,
            embedding_table_rows,
            arith_rows,
            instance_len,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            lookups: cs.lookups().len(),
            lookup_polynomials: cs.lookup_polynomials(),
            usable_rows: (1usize << k) - reserved,
            estimated_peak_bytes: estimate_prover_bytes(
                k,
                cs.num_advice_columns(),
                cs.num_fixed_columns(),
                LookupCost::of(&cs),
                cs.permutation().get_columns().len(),
            ),
        };
        plans.push(plan);
    }
    plans
}
