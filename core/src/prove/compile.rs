//! Compiling a model: the options, the float and pre-quantized paths, and what makes a
//! quantized graph provable.

use super::*;

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Values for an ONNX input's symbolic dimensions (`--dim NAME=N`), its other inputs held
    /// constant (`--constant-input NAME=FILL`) and the tensor to prove (`--output-tensor NAME`), used
    /// where a model file is loaded ([`crate::build::compile_file`]).
    pub onnx: crate::onnx::OnnxChoices,
    /// Activation/lookup domain bits; chosen from the model size when None.
    pub act_bits: Option<u32>,
    /// Products per dot-product row; chosen by the planner when None.
    pub dot_width: Option<usize>,
    pub headroom: Option<f32>,
    /// Bits of the quantized weights (their magnitude bound before the divisor limit); 16 when
    /// None. Hidden weights are committed in limbs of `act_bits` bits, so weights no wider than
    /// the activations take one limb each instead of two: half the commitment's hashing.
    pub weight_bits: Option<u32>,
    pub labels: Option<Vec<String>>,
    /// What proofs reveal. [`Visibility::default`] is everything public;
    /// [`Visibility::SERVED`] is what the CLI compiles by default.
    pub visibility: Visibility,
    /// Salt of the model commitment (hidden weights); zero if None.
    pub salt: Option<Fr>,
    /// How image files become this model's input (`--image`); None: JSON inputs only.
    pub image: Option<crate::image_input::ImagePreprocess>,
    /// How a prompt becomes this model's token-id input (`--text`); None: no prompts. When no
    /// labels are given and the model has one output per token, the vocabulary names them.
    pub tokenizer: Option<crate::text_input::Tokenizer>,
    /// Refuse a layout whose estimated prover peak memory exceeds this many bytes
    /// ([`DEFAULT_MEMORY_BUDGET`] when None).
    pub memory_budget: Option<u64>,
    /// Whether a TFLite model's final SOFTMAX is proven (`--prove-softmax`) or its logits are the
    /// output (the default).
    pub final_softmax: crate::tflite::FinalSoftmax,
}

/// The prover's default memory budget: 20 GiB, leaving room on a 24 GiB machine.
pub const DEFAULT_MEMORY_BUDGET: u64 = 20 << 30;

/// How a compiled model is proven: as one circuit, or cut into a chain of segments linked by
/// commitments. Proving one circuit needs its whole layout in memory at once, so a model is
/// chained exactly when that estimated peak exceeds the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofShape {
    /// One circuit: its estimated prover peak fits the budget.
    Single,
    /// Segments that are each cut to fit `budget` bytes.
    Chain { budget: u64 },
}

impl ProofShape {
    /// The shape for a model whose single circuit's estimated prover peak is
    /// `estimated_peak_bytes`, under `memory_budget` bytes ([`DEFAULT_MEMORY_BUDGET`] when None).
    pub fn of(estimated_peak_bytes: u64, memory_budget: Option<u64>) -> ProofShape {
        let budget = memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
        if estimated_peak_bytes > budget {
            ProofShape::Chain { budget }
        } else {
            ProofShape::Single
        }
    }
}

/// A memory budget given in GiB (`zkinfer compile --memory-budget`), in bytes; None unless it is
/// a positive, finite number (a zero or negative budget fits no circuit, and NaN compares with
/// nothing).
pub fn memory_budget_from_gib(gib: f64) -> Option<u64> {
    (gib.is_finite() && gib > 0.0).then_some((gib * (1u64 << 30) as f64) as u64)
}

/// A forced dot width outside what a verifier key may hold, or a visibility no circuit has, is
/// refused before any work: a key made with it could never be read (`CircuitShape::validate`).
fn check_options(opts: &CompileOptions, input_shape: &[usize]) -> Result<()> {
    use crate::circuit::limits::MAX_DOT_WIDTH;
    opts.visibility.check()?;
    if let Some(why) = opts.image.and_then(|image| image.unfit_for(input_shape)) {
        return Err(Error::InvalidInput(why));
    }
    if let Some(b) = opts.weight_bits {
        if !(4..=16).contains(&b) {
            return Err(Error::InvalidInput(format!(
                "weight bits must be 4 to 16, not {b}"
            )));
        }
    }
    match opts.dot_width {
        Some(w) if !(1..=MAX_DOT_WIDTH).contains(&w) => Err(Error::UnsupportedShape {
            field: "dot_width",
            value: w.to_string(),
            limit: format!("a dot product has 1 to {MAX_DOT_WIDTH} lanes"),
        }),
        _ => Ok(()),
    }
}

/// Refuses, before any key work, a plan that could not be proven or whose key could not be read
/// back: its shape must be within every chip's limits (what `VerifierKey::from_bytes` checks)
/// and its estimated prover peak within the budget.
pub(crate) fn check_budget(plan: &LayoutPlan, opts: &CompileOptions) -> Result<()> {
    plan.shape.validate(plan.k)?;
    let budget = opts.memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
    if plan.estimated_peak_bytes > budget {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(Error::InvalidInput(format!(
            "the layout needs k={} ({} rows); proving it would take about {:.1} GiB, over the \
             memory budget of {:.1} GiB (`zkinfer compile` cuts such a model into a chain of \
             segments)",
            plan.k,
            plan.dot_rows.max(plan.max_rows).max(plan.table_rows),
            gib(plan.estimated_peak_bytes),
            gib(budget)
        )));
    }
    Ok(())
}

/// With fixed weights, a token embedding looked up in its table rather than a one-hot vector
/// times the table (the same integers for every id; hidden weights commit the table as the
/// composition's dense weights, so they keep it, as does a forced dot width of 1, which leaves
/// an embedding row no room for a value).
fn fold_embeddings(graph: QGraph, opts: &CompileOptions) -> QGraph {
    if opts.visibility.hidden_weights() || opts.dot_width.is_some_and(|w| w < 2) {
        return graph;
    }
    crate::ops::embedding::fold::fold_one_hot_embeddings(graph)
}

/// Smallest activation width we accept by default, and the largest the planner grows to.
const MIN_AUTO_ACT_BITS: u32 = 12;
const MAX_AUTO_ACT_BITS: u32 = 16;

pub fn compile(model: &Model, calibration: &[Vec<f32>], opts: &CompileOptions) -> Result<Compiled> {
    check_options(opts, model.input_shape())?;
    let cal = Calibration::run(model, calibration)?;
    let mut q = QuantOptions::default();
    if let Some(h) = opts.headroom {
        q.headroom = h;
    }
    if let Some(w) = opts.weight_bits {
        q.weight_bits = w;
    }
    let act_bits = match opts.act_bits {
        Some(b) => b,
        None => {
            // The table costs 2^B rows per function; take the widest B that does not make the
            // circuit taller than its linear layers already need.
            q.act_bits = MIN_AUTO_ACT_BITS;
            let g = fold_embeddings(quantize(model, &cal, &q)?, opts);
            let plan = plan_layout(&g, opts.dot_width, opts.visibility);
            let need = plan
                .dot_rows
                .max(plan.max_rows)
                .max(plan.weight_rows)
                .max(plan.instance_len)
                .max(plan.pack_rows)
                .max(plan.hash_rows);
            // Identity and ReLU, each clip, each function's table (at the narrowest width;
            // a wider one may split a shared table in two, never more).
            let n_fns = 2 + g.clips().len() + g.tables().len();
            let mut b = MIN_AUTO_ACT_BITS;
            while b < MAX_AUTO_ACT_BITS
                && (n_fns << (b + 1)) <= need.next_power_of_two().saturating_sub(16)
            {
                b += 1;
            }
            b
        }
    };
    q.act_bits = act_bits;
    let mut graph = quantize(model, &cal, &q)?;
    let mut quality = Quality::measure(model, &graph, calibration)?;
    // The width the table's cost allows may leave the output visibly off the float model's
    // (beyond ACCURACY_GOAL). Then, unless the user chose the width, wider ones are tried one
    // bit at a time (each bit doubles the tables): the first to meet the goal is kept, else the
    // most accurate if it at least halves the error. A correct model before a smaller circuit.
    if opts.act_bits.is_none() && !quality.meets_goal() {
        let mut best: Option<(QGraph, Quality)> = None;
        for b in act_bits + 1..=MAX_AUTO_ACT_BITS {
            q.act_bits = b;
            let Ok(wider) = quantize(model, &cal, &q) else {
                continue;
            };
            let Ok(measured) = Quality::measure(model, &wider, calibration) else {
                continue;
            };
            let met = measured.meets_goal();
            if best
                .as_ref()
                .is_none_or(|(_, b)| measured.max_abs_error < b.max_abs_error)
            {
                best = Some((wider, measured));
            }
            if met {
                break;
            }
        }
        if let Some((wider, measured)) = best {
            if measured.meets_goal() || measured.max_abs_error <= quality.max_abs_error / 2.0 {
                (graph, quality) = (wider, measured);
            }
        }
    }
    // Measured above on the composition, which takes any calibration value (random samples
    // are no token ids); the folded graph gives the same integers for every id.
    graph = fold_embeddings(graph, opts);
    let plan = plan_layout(&graph, opts.dot_width, opts.visibility);
    check_budget(&plan, opts)?;
    let Quality {
        max_abs_error,
        agree,
        ..
    } = quality;
    let labels = labels(&graph, opts)?;
    Ok(Compiled {
        graph,
        plan,
        labels,
        calibration_samples: calibration.len(),
        max_abs_error,
        argmax_agreement: agree as f64 / calibration.len() as f64,
        salt: opts.salt.unwrap_or(Fr::ZERO).to_repr(),
        image: opts.image,
        tokenizer: opts.tokenizer.clone(),
    })
}

/// The largest error, as a fraction of the float outputs' largest magnitude, that the default
/// activation width leaves before a wider one is tried.
const ACCURACY_GOAL: f64 = 0.01;

/// How close a quantized graph's outputs come to the float model's over the calibration
/// samples.
struct Quality {
    /// Largest |float output - quantized output|.
    max_abs_error: f64,
    /// Samples whose argmax agrees.
    agree: usize,
    /// Largest |float output|.
    float_max_abs: f64,
}

impl Quality {
    fn measure(model: &Model, graph: &QGraph, calibration: &[Vec<f32>]) -> Result<Quality> {
        let mut quality = Quality {
            max_abs_error: 0.0,
            agree: 0,
            float_max_abs: 0.0,
        };
        for (i, s) in calibration.iter().enumerate() {
            let e = crate::quant::compare(model, graph, s).map_err(|e| {
                Error::Quantization(format!(
                    "calibration sample {i} does not fit the chosen scales: {e}"
                ))
            })?;
            quality.max_abs_error = quality.max_abs_error.max(e.max_abs_error);
            let float: Vec<f64> = e.float_output.iter().map(|&v| v as f64).collect();
            quality.float_max_abs = float
                .iter()
                .fold(quality.float_max_abs, |m, v| m.max(v.abs()));
            if argmax(&float) == argmax(&e.quantized_output) {
                quality.agree += 1;
            }
        }
        Ok(quality)
    }

    /// Whether the largest error is within [`ACCURACY_GOAL`] of the largest float output.
    fn meets_goal(&self) -> bool {
        self.max_abs_error <= ACCURACY_GOAL * self.float_max_abs
    }
}

/// The compiled model's labels: those given, which must name every output, or a tokenizer's
/// vocabulary. A tokenizer is for a next-token model: its context fills the model's whole input,
/// and its vocabulary, one token per output, becomes the labels, which the verifier key binds;
/// so a consumer (the page) checks a server's tokenizer against the key (SECURITY.md).
fn labels(graph: &QGraph, opts: &CompileOptions) -> Result<Option<Vec<String>>> {
    let outputs = graph.output_tensor().len();
    if let Some(t) = &opts.tokenizer {
        if opts.labels.is_some() {
            return Err(Error::InvalidInput(
                "--labels with --tokenizer: a text model's labels are its vocabulary".into(),
            ));
        }
        if t.vocabulary.len() != outputs {
            return Err(Error::InvalidInput(format!(
                "the tokenizer's vocabulary has {} tokens but the model has {outputs} outputs: \
                 --tokenizer is for a model whose output is the next token's logits",
                t.vocabulary.len()
            )));
        }
        let inputs = graph.input_tensor().len();
        if t.context != inputs {
            return Err(Error::InvalidInput(format!(
                "the tokenizer's context is {} tokens but the model reads {inputs} input values \
                 (shape {:?})",
                t.context,
                graph.input_tensor().shape
            )));
        }
    }
    match (&opts.labels, &opts.tokenizer) {
        (Some(labels), _) if labels.len() != outputs => Err(Error::InvalidInput(format!(
            "{} labels for {outputs} outputs",
            labels.len()
        ))),
        (Some(labels), _) => Ok(Some(labels.clone())),
        (None, Some(t)) => Ok(Some(t.vocabulary.clone())),
        (None, None) => Ok(None),
    }
}

/// Plans a graph that is already quantized (a TFLite uint8/int8 model, with TFLite's exact
/// integer semantics) for proving. Refuses, before any key work, what the circuit cannot prove.
pub fn compile_quantized(graph: QGraph, opts: &CompileOptions) -> Result<Compiled> {
    check_options(opts, &graph.input_tensor().shape)?;
    check_provable(&graph)?;
    if let Some(s) = graph
        .steps
        .iter()
        .find(|s| matches!(s.kind, crate::qgraph::StepKind::Embedding(_)))
    {
        if opts.visibility.hidden_weights() {
            return Err(Error::InvalidModel(format!(
                "step '{}' looks its embedding up in a table the verifying key holds, which \
                 hidden weights cannot (compile the model with hidden weights from its source)",
                s.name
            )));
        }
        if opts.dot_width.is_some_and(|w| w < 2) {
            return Err(Error::InvalidInput(format!(
                "step '{}' looks its embedding up with an id and values on one dot row: it needs \
                 a dot width of 2 or more",
                s.name
            )));
        }
    }
    // A squared difference's square is four products on one dot row.
    if let Some(s) = graph
        .steps
        .iter()
        .find(|s| matches!(s.kind, crate::qgraph::StepKind::SquaredDifference(_)))
    {
        if opts.dot_width.is_some_and(|w| w < 4) {
            return Err(Error::InvalidInput(format!(
                "step '{}' squares a difference as four products on one dot row: it needs a dot \
                 width of 4 or more",
                s.name
            )));
        }
    }
    if let Some(b) = opts.act_bits {
        if b != graph.act_bits {
            return Err(Error::InvalidInput(format!(
                "this model is quantized by TFLite; its activation domain is {} bits, not {b}",
                graph.act_bits
            )));
        }
    }
    let labels = labels(&graph, opts)?;
    let plan = plan_layout(&graph, opts.dot_width, opts.visibility);
    check_budget(&plan, opts)?;
    Ok(Compiled {
        graph,
        plan,
        labels,
        calibration_samples: 0,
        max_abs_error: 0.0,
        argmax_agreement: 1.0,
        salt: opts.salt.unwrap_or(Fr::ZERO).to_repr(),
        image: opts.image,
        tokenizer: opts.tokenizer.clone(),
    })
}

/// Whether the circuit's chips can prove every step of `graph`: fixed-point requantization
/// needs the 16-bit domain and multipliers within the requantization chip's shifts, and clamps
/// after it.
pub fn check_provable(graph: &QGraph) -> Result<()> {
    use crate::circuit::requant::{RequantConfig, REQUANT_ACT_BITS};
    use crate::qgraph::{Activation, Rounding, StepKind};
    let refuse = |step: &str, why: String| {
        Err(Error::InvalidModel(format!(
            "step '{step}' cannot be proven: {why}"
        )))
    };
    for s in &graph.steps {
        if let StepKind::Linear(lin) = &s.kind {
            if let Activation::Table(t) = lin.rescale.act {
                if t.act_bits != graph.act_bits {
                    return refuse(
                        &s.name,
                        format!(
                            "its {} table is over {} bits, the graph's domain over {}",
                            t.func.name(),
                            t.act_bits,
                            graph.act_bits
                        ),
                    );
                }
            }
        }
        if let StepKind::Product(p) = &s.kind {
            let n_b = s
                .inputs
                .get(1)
                .and_then(|&t| graph.tensors.get(t))
                .map_or(0, |t| t.len());
            let n_out = graph.tensors.get(s.output).map_or(0, |t| t.len());
            if p.shift > graph.act_bits
                || p.second.len() != n_out
                || p.second.iter().any(|&j| j as usize >= n_b)
            {
                return refuse(
                    &s.name,
                    "its product's shift or broadcast does not fit its tensors".into(),
                );
            }
        }
        if let StepKind::MatMul(p) = &s.kind {
            let len =
                |t: Option<&usize>| t.and_then(|&t| graph.tensors.get(t)).map_or(0, |t| t.len());
            let (n_a, n_b) = (len(s.inputs.first()), len(s.inputs.get(1)));
            let n_out = len(Some(&s.output));
            let shape = &p.shape;
            let fits = shape.items.iter().all(|item| {
                item.a_offset as usize + shape.m * shape.k <= n_a
                    && item.b_offset as usize + shape.k * shape.n <= n_b
            });
            if p.shift > graph.act_bits || shape.outputs() != n_out || !fits {
                return refuse(
                    &s.name,
                    "its matrix product's shift or shape does not fit its tensors".into(),
                );
            }
        }
        if let StepKind::Gather { picks } = &s.kind {
            let ins: Vec<Vec<()>> = s
                .inputs
                .iter()
                .map(|&t| vec![(); graph.tensors.get(t).map_or(0, |t| t.len())])
                .collect();
            let ins: Vec<&[()]> = ins.iter().map(|v| v.as_slice()).collect();
            let n_out = graph.tensors.get(s.output).map_or(0, |t| t.len());
            if picks.len() != n_out || crate::ops::gather::pick_all(picks, &ins).is_none() {
                return refuse(&s.name, "its picks do not match its tensors".into());
            }
        }
        let multipliers: Vec<_> = match &s.kind {
            StepKind::Linear(lin) => match &lin.rescale.rounding {
                Rounding::FixedPoint(fp) => {
                    if !matches!(lin.rescale.act, Activation::Clip { .. }) {
                        return refuse(
                            &s.name,
                            "fixed-point requantization without a clamp".into(),
                        );
                    }
                    fp.multipliers.clone()
                }
                Rounding::HalfUp { .. } | Rounding::HalfAwayFromZero { .. } => continue,
            },
            // The inputs' multipliers are only ever applied inside their map tables (any shift
            // tabulates); the output's is the fixed-point chip's.
            StepKind::QuantizedAdd(add) | StepKind::QuantizedSub(add) => {
                vec![add.output_multiplier]
            }
            StepKind::QuantizedMul(mul) => vec![mul.multiplier],
            StepKind::SquaredDifference(sd) => vec![sd.output_multiplier],
            StepKind::ByteSoftmax(softmax) => {
                let len =
                    |t: Option<&usize>| t.and_then(|&t| graph.tensors.get(t)).map(|t| t.len());
                let n = len(s.inputs.first());
                if s.inputs.len() != 1
                    || n != len(Some(&s.output))
                    || !n.is_some_and(|n| softmax.fits(n))
                {
                    return refuse(&s.name, "its rows do not match its tensors".into());
                }
                if let Err(e) = softmax.check() {
                    return refuse(&s.name, e);
                }
                continue;
            }
            StepKind::Lookup(table) => {
                let (lo, hi) = graph.domain();
                if let Err(e) = table.check(lo, hi) {
                    return refuse(&s.name, e);
                }
                continue;
            }
            StepKind::Embedding(table) => {
                let (lo, hi) = graph.domain();
                if let Err(e) = table.check(lo, hi) {
                    return refuse(&s.name, e);
                }
                let len =
                    |t: Option<&usize>| t.and_then(|&t| graph.tensors.get(t)).map(|t| t.len());
                if s.inputs.len() != 1
                    || len(s.inputs.first()).map(|n| n * table.width) != len(Some(&s.output))
                {
                    return refuse(
                        &s.name,
                        "its embedding's rows do not fit its tensors".into(),
                    );
                }
                continue;
            }
            StepKind::Max { .. }
            | StepKind::Reshape
            | StepKind::Slice { .. }
            | StepKind::Concat
            | StepKind::Gather { .. }
            | StepKind::Product(_) => continue,
            StepKind::MatMul(p) => match &p.requant {
                Some(r) => vec![r.multiplier],
                None => continue,
            },
        };
        if graph.act_bits != REQUANT_ACT_BITS {
            return refuse(
                &s.name,
                format!(
                    "fixed-point requantization needs a {REQUANT_ACT_BITS}-bit activation domain, not {}",
                    graph.act_bits
                ),
            );
        }
        if let Some(m) = multipliers.iter().find(|m| !RequantConfig::supports(**m)) {
            return refuse(
                &s.name,
                format!("multiplier {m:?} is outside the chip's shifts"),
            );
        }
        // The quotient is proven in the 16-bit domain before the clamp, so a multiplier of 2^8
        // or more leaves it for every accumulator beyond ±128: no real input would prove. It is
        // what TFLite's converter writes for an output whose calibrated range was empty (a ReLU
        // its representative data never made positive gets a scale near 1e-8).
        if let Some(m) = multipliers.iter().find(|m| m.real() >= 256.0) {
            return refuse(
                &s.name,
                format!(
                    "its requantization multiplies by {:.3e}, so any accumulator beyond ±128 \
                     leaves the 16 bits proven before the clamp (an output scale that \
                     calibration left degenerate, e.g. a ReLU its representative data never \
                     made positive: convert with data that reaches it)",
                    m.real()
                ),
            );
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;

    /// A forced dot width that no verifier key may hold (1 to 256 lanes) is refused by name
    /// before any planning or key generation, on both compile paths.
    #[test]
    fn a_dot_width_beyond_the_chips_limits_is_refused_before_any_work() {
        let graph = crate::test_fixtures::tiny_graph();
        for width in [0, 257, 300] {
            let opts = CompileOptions {
                dot_width: Some(width),
                ..CompileOptions::default()
            };
            let err = compile_quantized(graph.clone(), &opts)
                .expect_err("refused")
                .to_string();
            assert!(err.contains("dot_width") && err.contains("256"), "{err}");
        }
        let opts = CompileOptions {
            dot_width: Some(256),
            ..CompileOptions::default()
        };
        compile_quantized(graph, &opts).expect("256 lanes are allowed");
    }
}

#[cfg(test)]
mod proof_shape_tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn a_model_within_the_budget_is_proven_as_one_circuit() {
        assert_eq!(ProofShape::of(3 * GIB, Some(4 * GIB)), ProofShape::Single);
        assert_eq!(ProofShape::of(4 * GIB, Some(4 * GIB)), ProofShape::Single);
    }

    #[test]
    fn a_model_over_the_budget_is_proven_as_a_chain() {
        assert_eq!(
            ProofShape::of(4 * GIB + 1, Some(4 * GIB)),
            ProofShape::Chain { budget: 4 * GIB }
        );
    }

    #[test]
    fn without_a_budget_the_default_budget_applies() {
        assert_eq!(
            ProofShape::of(DEFAULT_MEMORY_BUDGET, None),
            ProofShape::Single
        );
        assert_eq!(
            ProofShape::of(DEFAULT_MEMORY_BUDGET + 1, None),
            ProofShape::Chain {
                budget: DEFAULT_MEMORY_BUDGET
            }
        );
    }

    #[test]
    fn a_budget_in_gib_becomes_bytes() {
        assert_eq!(memory_budget_from_gib(20.0), Some(DEFAULT_MEMORY_BUDGET));
        assert_eq!(memory_budget_from_gib(0.5), Some(GIB / 2));
    }

    #[test]
    fn a_budget_that_is_not_a_positive_finite_number_is_refused() {
        for gib in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(memory_budget_from_gib(gib), None, "{gib}");
        }
    }
}
