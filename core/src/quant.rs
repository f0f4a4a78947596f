//! Fixed-point quantization: calibrate value ranges on sample inputs, choose a power-of-two scale
//! per tensor so that every quotient fits the circuit's lookup domain with headroom, and lower
//! the float IR to the integer [`QGraph`].
//!
//! The driver here plans which activations fuse into the linear step before them, fixes the
//! scales the calibrated ranges allow, and for each node hands a [`LowerCtx`] to the operator's
//! own lowering (`core/src/ops/<op>/quant.rs`), which picks the step, quantizes the weights and
//! chooses the output scale; the driver then adds the step and its output tensor to the graph.

use crate::error::{Error, Result};
use crate::ir::{Model, Op, PoolKind, TensorId};
use crate::ops::quant_context::{Fused, InputStep, LowerCtx, Lowered};
use crate::ops::unary::UnaryFn;
use crate::ops::{conv, dense, elementwise, gather, matmul, mul, pool, unary};
use crate::qgraph::{Activation, Linear, QGraph, QStep, QTensor, Rescale, StepKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QuantOptions {
    /// B: bits of the activation/lookup domain.
    pub act_bits: u32,
    /// Bits for quantized weights (their magnitude bound), before the divisor limit applies.
    pub weight_bits: u32,
    /// Calibrated ranges are multiplied by this before choosing scales, so inputs somewhat
    /// outside the calibration set still fit.
    pub headroom: f32,
}

impl Default for QuantOptions {
    fn default() -> Self {
        QuantOptions {
            act_bits: 12,
            weight_bits: 16,
            headroom: 2.0,
        }
    }
}

/// Largest |value| of every IR tensor over the calibration samples.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub max_abs: Vec<f32>,
    pub samples: usize,
}

impl Calibration {
    pub fn run(model: &Model, samples: &[Vec<f32>]) -> Result<Self> {
        if samples.is_empty() {
            return Err(Error::Quantization(
                "calibration needs at least one sample".into(),
            ));
        }
        // An inverse root's value at a variance of exactly 0 (a constant row: a class token
        // still at its zero initialisation) is `1/√ε`, ~10^6, and only ever scales that row's
        // centred values, which are 0. Sized by it, the table's scale would leave every other
        // row a few bits: it is sized by the other rows (by all when every variance is 0), and
        // at 0 the table gives the end of its domain, times 0 all the same.
        let inverse_roots: Vec<(TensorId, TensorId)> = model
            .nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Unary(UnaryFn::InverseSqrt { .. })))
            .map(|n| (n.inputs[0], n.output))
            .collect();
        let mut max_abs = vec![0f32; model.shapes.len()];
        let mut beside_zero = vec![0f32; inverse_roots.len()];
        for (i, s) in samples.iter().enumerate() {
            let values = model
                .eval_float(s)
                .map_err(|e| Error::Quantization(format!("calibration sample {i}: {e}")))?;
            for (m, t) in max_abs.iter_mut().zip(&values) {
                let v = t.max_abs();
                if !v.is_finite() {
                    return Err(Error::Quantization(format!(
                        "calibration sample {i} produces non-finite values"
                    )));
                }
                *m = m.max(v);
            }
            for (m, &(v, r)) in beside_zero.iter_mut().zip(&inverse_roots) {
                let (v, r) = (&values[v].data, &values[r].data);
                *m = v
                    .iter()
                    .zip(r)
                    .filter(|(&v, _)| v != 0.0)
                    .fold(*m, |m, (_, &r)| m.max(r.abs()));
            }
        }
        for (&m, &(_, r)) in beside_zero.iter().zip(&inverse_roots) {
            if m > 0.0 {
                max_abs[r] = m;
            }
        }
        Ok(Calibration {
            max_abs,
            samples: samples.len(),
        })
    }
}

/// The number of token ids a model's input indexes, when its input is token ids: the input
/// reaches (through reshapes) the offsets of a one-hot embedding ([`UnaryFn::NearZero`] of a
/// dense layer's `id - v`, one output per id `v`). The smallest, when several do.
pub fn token_vocabulary(model: &Model) -> Option<usize> {
    one_hot_embeddings(model)
        .into_iter()
        .filter(|e| e.ids.last() == Some(&model.input))
        .map(|e| e.vocabulary)
        .min()
}

/// A one-hot embedding's ids: [`UnaryFn::NearZero`] of a dense layer's offsets `id - v`, one
/// per id `v` of the vocabulary.
struct OneHotIds {
    vocabulary: usize,
    /// The offsets' tensor.
    offsets: TensorId,
    /// The ids the offsets are taken of, then each tensor they are a reshape of, back to the
    /// first that is not.
    ids: Vec<TensorId>,
}

fn one_hot_embeddings(model: &Model) -> Vec<OneHotIds> {
    let producer = |t: TensorId| model.nodes.iter().find(|n| n.output == t);
    model
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Unary(UnaryFn::NearZero)))
        .filter_map(|n| {
            let offsets = producer(*n.inputs.first()?)?;
            let Op::Dense(dense) = &offsets.op else {
                return None;
            };
            let mut ids = vec![*offsets.inputs.first()?];
            while let Some(p) = producer(ids[ids.len() - 1]).filter(|p| matches!(p.op, Op::Reshape))
            {
                ids.push(p.inputs[0]);
            }
            Some(OneHotIds {
                vocabulary: dense.out_features(),
                offsets: offsets.output,
                ids,
            })
        })
        .collect()
}

/// A fixed-seed generator of uniform floats in `(0, 1)`.
fn seeded_uniform() -> impl FnMut() -> f32 {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }
}

/// Calibration inputs for a model given none: for a model whose input is token ids
/// ([`token_vocabulary`]), 16 sequences of ids uniform below the vocabulary; else
/// [`synthetic_calibration`]. Uniform floats would be ids of 0 for an embedding, and noise for
/// the positions and masks computed from them.
pub fn synthetic_calibration_for(model: &Model) -> Vec<Vec<f32>> {
    let len = model.input_len();
    let Some(vocabulary) = token_vocabulary(model).filter(|&v| v > 0) else {
        return synthetic_calibration(len);
    };
    let mut uniform = seeded_uniform();
    (0..16)
        .map(|_| {
            (0..len)
                .map(|_| ((uniform() * vocabulary as f32) as usize).min(vocabulary - 1) as f32)
                .collect()
        })
        .collect()
}

/// Calibration inputs for a model given none: 8 uniform in `[0, 1)` (pixels scaled to unit
/// range) and 8 standard normal (standardised inputs), from a fixed seed. With the default
/// headroom the input then accepts values within about ±8, and typical inputs of either kind
/// stay inside every intermediate range. Real samples calibrate better.
pub fn synthetic_calibration(len: usize) -> Vec<Vec<f32>> {
    let mut uniform = seeded_uniform();
    let mut samples: Vec<Vec<f32>> = (0..8)
        .map(|_| (0..len).map(|_| uniform()).collect())
        .collect();
    samples.extend((0..8).map(|_| {
        (0..len)
            .map(|_| {
                // Box-Muller.
                let (u, v) = (uniform(), uniform());
                (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
            })
            .collect()
    }));
    samples
}

/// A step of the lowered graph before scales are fixed: which IR node(s) it covers.
struct Plan {
    node: usize,
    /// Index of a Relu/Clip node fused into this linear step.
    fused_act: Option<usize>,
}

/// Token ids index a vocabulary the model states itself (an embedding's one-hot dense has one
/// row per token), so every id below its size must quantize exactly, whatever the calibration
/// samples held: the ids' range, along the reshapes they come through, and that of the
/// offsets `id - v` are raised to the vocabulary's. Those tensors are returned marked: their
/// range is known, not sampled, so they take no headroom (GPT-2's 50,257 ids then fit 17-bit
/// activations, which a headroom of 2 would refuse).
fn with_vocabulary_ranges(model: &Model, cal: &Calibration) -> (Calibration, Vec<bool>) {
    let mut cal = cal.clone();
    let mut known = vec![false; cal.max_abs.len()];
    for embedding in one_hot_embeddings(model) {
        let top = embedding.vocabulary.saturating_sub(1) as f32;
        for t in std::iter::once(embedding.offsets).chain(embedding.ids) {
            if let Some(r) = cal.max_abs.get_mut(t) {
                // Beyond the vocabulary only when the samples held no token ids: headroom then.
                known[t] = *r <= top;
                *r = r.max(top);
            }
        }
    }
    (cal, known)
}

/// Rows scaled by a power of two ([`UnaryFn::RowScale`] times the row, through the spread
/// that repeats each row's scale) have magnitudes below 1 by construction, and so do their
/// squares: their range is known, `(2^(B-1) - 1)/2^(B-1)`, at which the scaled row is the exact
/// product of the row's integers by the scale's (a shift of 0) and fills the domain. Sampled,
/// with headroom, it would lose a bit to rounding. The scale times `√ε` (a constant product of
/// it) and that product's square, the epsilon under the scale, are at most 1: known too, so a
/// row below the epsilon that no calibration input had still fits.
fn with_row_scaled_ranges(model: &Model, cal: &mut Calibration, known: &mut [bool], b: u32) {
    let below_one = ((1u64 << (b - 1)) - 1) as f32 / (1u64 << (b - 1)) as f32;
    let mut producer = vec![None; cal.max_abs.len()];
    for n in &model.nodes {
        producer[n.output] = Some(n);
    }
    // The tensor `t` is a copy or view of (Gather, Reshape).
    let source = |mut t: TensorId| {
        while let Some(p) = producer[t].filter(|p| matches!(p.op, Op::Gather(_) | Op::Reshape)) {
            t = p.inputs[0];
        }
        t
    };
    let is_row_scale = |t: TensorId| {
        producer[source(t)].is_some_and(|p| matches!(p.op, Op::Unary(UnaryFn::RowScale { .. })))
    };
    let (mut scaled, mut rooted) = (
        vec![false; cal.max_abs.len()],
        vec![false; cal.max_abs.len()],
    );
    for n in &model.nodes {
        let mut bound = |range: f32| {
            cal.max_abs[n.output] = range;
            known[n.output] = true;
        };
        match &n.op {
            Op::Mul if n.inputs.len() == 2 => {
                // A row times its scale (the scale second, as normalize.rs writes it).
                let (x, y) = (n.inputs[0], n.inputs[1]);
                if is_row_scale(y) || (x == y && scaled[x]) {
                    scaled[n.output] = true;
                    bound(below_one);
                } else if x == y && rooted[source(x)] {
                    bound(1.0);
                }
            }
            Op::Conv(c) if c.weight.data.len() == 1 && is_row_scale(n.inputs[0]) => {
                // √ε·s <= 1 whatever the row (its scale never exceeds 1/√ε).
                let root = c.weight.data[0];
                if root > 0.0 && root <= 1.0 && c.bias.iter().all(|&v| v == 0.0) {
                    rooted[n.output] = true;
                    bound(1.0);
                }
            }
            _ => {}
        }
    }
}

/// Lowers `model` to a quantized graph.
pub fn quantize(model: &Model, cal: &Calibration, opts: &QuantOptions) -> Result<QGraph> {
    if !(8..=20).contains(&opts.act_bits) {
        return Err(Error::Quantization(format!(
            "act_bits {} must be within 8..=20",
            opts.act_bits
        )));
    }
    if !(opts.headroom.is_finite() && opts.headroom >= 1.0) {
        return Err(Error::Quantization(format!(
            "headroom {} must be >= 1",
            opts.headroom
        )));
    }
    let (mut cal, mut known_range) = with_vocabulary_ranges(model, cal);
    with_row_scaled_ranges(model, &mut cal, &mut known_range, opts.act_bits);
    let vocabulary_sized = known_range;
    let cal = &cal;
    let consumers = model.consumer_counts();
    // Fuse an activation (Relu, Clip, a function) into the linear op that feeds it when nothing
    // else reads the pre-activation.
    let mut plans = vec![];
    let mut fused = vec![false; model.nodes.len()];
    for (i, node) in model.nodes.iter().enumerate() {
        if fused[i] {
            continue;
        }
        let linear = takes_activation(&node.op);
        let mut fused_act = None;
        if linear && consumers[node.output] == 1 && node.output != model.output {
            if let Some(j) = model
                .nodes
                .iter()
                .position(|n| n.inputs.contains(&node.output))
            {
                if activation_of(&model.nodes[j].op).is_some() {
                    fused[j] = true;
                    fused_act = Some(j);
                }
            }
        }
        plans.push(Plan { node: i, fused_act });
    }

    let b = opts.act_bits;
    let limit = ((1i64 << (b - 1)) - 1) as f64;
    // The scale of a tensor of this range: headroom for sampled ranges, none for a known one.
    let frac_of = |range: f32, known: bool| -> i32 {
        let headroom = if known { 1.0 } else { opts.headroom };
        let r = (range * headroom) as f64;
        if r <= 0.0 {
            return b as i32 - 2;
        }
        ((limit / r).log2().floor() as i32).clamp(-16, 40)
    };
    let known = |t: TensorId| vocabulary_sized.get(t).copied().unwrap_or(false);

    let mut g = QGraph {
        name: model.name.clone(),
        act_bits: b,
        tensors: vec![],
        input: 0,
        output: 0,
        steps: vec![],
    };
    // IR tensor -> quantized tensor
    let mut map: Vec<Option<usize>> = vec![None; model.shapes.len()];
    let new_tensor = |g: &mut QGraph, t: TensorId, frac: i32| -> usize {
        g.tensors.push(QTensor {
            name: model.tensor_names[t].clone(),
            shape: model.shapes[t].clone(),
            frac_bits: frac,
            affine: None,
        });
        g.tensors.len() - 1
    };
    g.input = new_tensor(
        &mut g,
        model.input,
        frac_of(cal.max_abs[model.input], known(model.input)),
    );
    map[model.input] = Some(g.input);
    // Per quantized tensor: whether it holds the input's own integers, moved by reshapes and
    // picks (whose cells in the circuit are the input's).
    let mut moved_input = vec![true];

    for plan in &plans {
        let node = &model.nodes[plan.node];
        let out_ir = plan
            .fused_act
            .map_or(node.output, |j| model.nodes[j].output);
        let mut ins: Vec<usize> = node
            .inputs
            .iter()
            .map(|&t| map[t].expect("topological order"))
            .collect();
        let in_fracs: Vec<i32> = ins.iter().map(|&t| g.tensors[t].frac_bits).collect();
        let f_in = in_fracs[0];
        let n_out: usize = model.shapes[out_ir].iter().product();
        let fused = plan
            .fused_act
            .and_then(|j| activation_of(&model.nodes[j].op))
            .unwrap_or(Fused::Identity);
        // Range of the pre-activation quotient (and of the output, for activations that keep
        // the scale). A function's output gets its own scale, from its own range.
        let (range, range_known) = if matches!(fused, Fused::Function(_)) {
            (cal.max_abs[node.output], known(node.output))
        } else {
            (
                cal.max_abs[node.output].max(cal.max_abs[out_ir]),
                known(node.output) && known(out_ir),
            )
        };
        let step_name = match plan.fused_act {
            Some(j) => format!("{}+{}", node.name, model.nodes[j].name),
            None => node.name.clone(),
        };
        let cx = LowerCtx {
            node: &node.name,
            step: &step_name,
            act_bits: b,
            weight_bits: opts.weight_bits,
            f_in,
            in_fracs: &in_fracs,
            in_shapes: node.inputs.iter().map(|&t| &model.shapes[t][..]).collect(),
            out_shape: &model.shapes[node.output],
            n_out,
            range_frac: frac_of(range, range_known),
            out_frac: frac_of(cal.max_abs[out_ir], known(out_ir)),
            fused,
        };

        // Each operator's lowering lives in its folder (core/src/ops/<op>/quant.rs); every
        // operator is named here, so a new one cannot be left without a lowering.
        let mut lowered = match &node.op {
            Op::Conv(c) => conv::lower(c, &cx)?,
            Op::Dense(d) => dense::lower(d, &cx)?,
            Op::Add(operand) => elementwise::lower_add(operand, &cx)?,
            Op::Relu => elementwise::lower_relu(&cx),
            Op::Clip(c) => elementwise::lower_clip(c, &cx),
            Op::Pool(p) => pool::lower(p, &cx)?,
            // The same integers under another shape, at the input's scale.
            Op::Reshape => Lowered::new(StepKind::Reshape, f_in),
            Op::Unary(func) => unary::lower(*func, &cx),
            Op::Gather(m) => gather::lower(m, &cx)?,
            Op::Mul => mul::lower(&cx)?,
            Op::MatMul => matmul::lower(&cx)?,
        };
        // A one-hot position is exact only while the ids and their offsets keep whole-number
        // resolution: refuse a domain too small for the vocabulary rather than pick wrong rows.
        if let StepKind::Linear(l) = &lowered.kind {
            if let Activation::Table(t) = l.rescale.act {
                if t.func == crate::ops::unary::UnaryFn::NearZero && (t.in_frac < 0 || f_in < 0) {
                    return Err(Error::Quantization(format!(
                        "node '{}': token ids up to {:.0} (times the headroom) need whole-number \
                         resolution, which {b}-bit activations do not leave; raise the \
                         activation bits",
                        node.name, cal.max_abs[node.inputs[0]]
                    )));
                }
            }
        }
        // A model whose output is partly its input moved (a Concat of the input with features):
        // those cells would be the public input's own, which no output exposure copies. Such
        // inputs pass through an identity step first, so every output is computed.
        let moves = matches!(lowered.kind, StepKind::Reshape | StepKind::Gather { .. });
        if out_ir == model.output && moves {
            for (slot, &t) in ins.iter().enumerate() {
                if moved_input[t] && !lowered.input_steps.iter().any(|s| s.slot == slot) {
                    let n = g.tensors[t].shape.iter().product();
                    let frac = g.tensors[t].frac_bits;
                    let names = (&format!("input{slot}")[..], &format!("copy{slot}")[..]);
                    lowered.input_steps.push(InputStep::half_up(
                        &node.name,
                        (slot, n),
                        (frac, 0),
                        names,
                    ));
                }
            }
        }
        // Inputs the step reads at another scale: each rescaled by its own step first.
        for s in lowered.input_steps {
            g.tensors.push(QTensor {
                name: s.tensor,
                shape: g.tensors[ins[s.slot]].shape.clone(),
                frac_bits: s.frac,
                affine: None,
            });
            let rescaled = g.tensors.len() - 1;
            moved_input.push(false);
            g.steps.push(QStep {
                name: s.step,
                kind: s.kind,
                inputs: vec![ins[s.slot]],
                output: rescaled,
            });
            ins[s.slot] = rescaled;
        }
        // A function's table leaves its output at the function's own scale.
        let f_out = match &lowered.kind {
            StepKind::Linear(Linear {
                rescale:
                    Rescale {
                        act: Activation::Table(t),
                        ..
                    },
                ..
            }) => t.out_frac,
            _ => lowered.out_frac,
        };
        let out = new_tensor(&mut g, out_ir, f_out);
        map[out_ir] = Some(out);
        moved_input.push(moves && ins.iter().any(|&t| moved_input[t]));
        g.steps.push(QStep {
            name: step_name,
            kind: lowered.kind,
            inputs: ins,
            output: out,
        });
    }
    g.output = map[model.output]
        .ok_or_else(|| Error::InvalidModel("the output is not computed".into()))?;
    Ok(g)
}

/// Whether `op` is lowered to a linear step whose rounding can apply a following activation.
/// Every operator is named, so that a new one is placed deliberately.
fn takes_activation(op: &Op) -> bool {
    match op {
        Op::Conv(_) | Op::Dense(_) | Op::Add(_) => true,
        Op::Pool(p) => match p.kind {
            PoolKind::Average { .. } | PoolKind::Sum => true,
            PoolKind::Max => false,
        },
        Op::Relu
        | Op::Clip(_)
        | Op::Reshape
        | Op::Unary(_)
        | Op::Gather(_)
        | Op::Mul
        | Op::MatMul => false,
    }
}

/// `op` as an activation fused into the linear step before it; None for an operator that is
/// no activation. Every operator is named, so that a new one is placed deliberately.
fn activation_of(op: &Op) -> Option<Fused> {
    match op {
        Op::Relu => Some(Fused::Relu),
        Op::Clip(c) => Some(Fused::Clip(*c)),
        Op::Unary(func) => Some(Fused::Function(*func)),
        Op::Conv(_)
        | Op::Dense(_)
        | Op::Add(_)
        | Op::Pool(_)
        | Op::Reshape
        | Op::Gather(_)
        | Op::Mul
        | Op::MatMul => None,
    }
}

/// How far the quantized model's output is from the float model's on one input.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QuantError {
    pub max_abs_error: f64,
    pub float_output: Vec<f32>,
    pub quantized_output: Vec<f64>,
}

pub fn compare(model: &Model, graph: &QGraph, input: &[f32]) -> Result<QuantError> {
    let float = model.eval_float(input)?;
    let float_out = float[model.output].data.clone();
    let q_in = graph.quantize_input(input)?;
    let q = graph.evaluate(&q_in)?;
    let deq = graph.dequantize_output(&q[graph.output]);
    let max_abs_error = float_out
        .iter()
        .zip(&deq)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    Ok(QuantError {
        max_abs_error,
        float_output: float_out,
        quantized_output: deq,
    })
}

#[cfg(test)]
#[path = "quant_tests.rs"]
mod tests;
