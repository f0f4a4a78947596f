//! What transformer exports add to a CNN's operators: LayerNormalization (opset 17) composed of
//! core operators, Pow by a constant exponent (the decomposed LayerNorm's `Pow(x, 2)`, the tanh
//! GELU's `Pow(x, 3)`), binary operators on two computed tensors of different shapes (numpy
//! broadcasting), Where with a constant condition, and attention masks: a constant that puts
//! `-10000` (or `-inf`, or any value at most [`MASKED_AT_MOST`]) on some scores before a
//! Softmax over the last axis is proven as a masked softmax, not as an addition (a range of
//! 10^4 in the scores would leave no bits for the scores themselves).

use super::*;
use crate::ops::unary::Param;

/// An additive mask value at or below this removes the score from its softmax: `e^-1000` is 0
/// in `f32` and `f64` alike, so float evaluators give those entries weight 0 exactly.
pub(super) const MASKED_AT_MOST: f64 = -1000.0;

/// Scores whose Softmax skips some entries: the scores and, per element of their shape, whether
/// it is masked.
#[derive(Clone, Debug)]
pub(in crate::onnx) struct MaskedScores {
    pub(in crate::onnx) scores: TensorId,
    pub(in crate::onnx) masked: Vec<bool>,
}

/// The numpy broadcast of two shapes, when there is one.
pub(in crate::onnx) fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| {
        let off = r - s.len();
        if i < off {
            1
        } else {
            s[i - off]
        }
    };
    (0..r)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `t` broadcast to `shape` (a copy proven by wiring), or `t` itself when it has that shape.
pub(super) fn expand_to(
    b: &mut ModelBuilder,
    node: &NodeProto,
    t: TensorId,
    shape: &[usize],
    part: &str,
) -> Result<TensorId> {
    if b.shape(t) == shape {
        return Ok(t);
    }
    let g = maps::expand(b.shape(t), shape).map_err(|e| unsupported(node, e))?;
    emit_part(b, node, part, Op::Gather(g), vec![t], None)
}

/// Two computed operands of a binary node broadcast to their common shape (the smaller one
/// repeated by a gather; a mean subtracted from every feature).
pub(in crate::onnx) fn broadcast_pair(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    y: TensorId,
) -> Result<(TensorId, TensorId)> {
    let (sx, sy) = (b.shape(x).to_vec(), b.shape(y).to_vec());
    let shape = broadcast_shape(&sx, &sy).ok_or_else(|| {
        unsupported(
            node,
            format!("operand shapes {sx:?} and {sy:?} do not broadcast"),
        )
    })?;
    let x = expand_to(b, node, x, &shape, "lhs-broadcast")?;
    let y = expand_to(b, node, y, &shape, "rhs-broadcast")?;
    Ok((x, y))
}

/// `x` broadcast to its shape combined with a constant operand's `c` (a copy proven by
/// wiring): a `[1, 16, 1]` activation times a `[32]` vector is `[1, 16, 32]`. `x` itself when
/// the constant broadcasts over it.
pub(in crate::onnx) fn widen_for_constant(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    c: &[usize],
) -> Result<TensorId> {
    let sx = b.shape(x).to_vec();
    let shape = broadcast_shape(&sx, c).ok_or_else(|| {
        unsupported(
            node,
            format!("a constant of shape {c:?} does not broadcast with {sx:?}"),
        )
    })?;
    expand_to(b, node, x, &shape, "broadcast")
}

/// `a / √(v + ε)` (or `1/√(v + ε)`) found by the loader's fusion pass: one `1/√(v + ε)`
/// table, then, with a dividend, a broadcast product.
pub(in crate::onnx) fn divide_by_root(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    inv: crate::onnx::fuse::InverseSqrt,
) -> Result<()> {
    let computed = |l: &Loader, name: &str| {
        l.tensors
            .get(name)
            .copied()
            .ok_or_else(|| unsupported(node, format!("input '{name}' must be computed")))
    };
    if let (Some(mean), Some(dividend)) = (&inv.mean_square, &inv.dividend) {
        let a = computed(l, dividend)?;
        return divide_by_mean_square_root(l, b, node, a, mean, inv.epsilon);
    }
    let v = computed(l, &inv.v)?;
    let f = UnaryFn::InverseSqrt {
        epsilon: Param::new(inv.epsilon),
    };
    let Some(dividend) = inv.dividend else {
        emit(l, b, node, Op::Unary(f), vec![v], None)?;
        return Ok(());
    };
    // 1/√(v + ε) written as a division of a constant (LLaMA's RMSNorm: `torch.rsqrt`).
    if let Some(c) = l.consts.get(&dividend) {
        let c = scalar_of(node, c, "a constant dividend")?;
        return function_times(l, b, node, v, f, c);
    }
    let a = computed(l, &dividend)?;
    times_function_of(l, b, node, a, (v, f))
}

/// `x^p` for a constant scalar `p`: 1 is `x`, 2 and 3 are products, ½ is Sqrt, -1 is
/// Reciprocal, -½ is `1/√x`.
pub(super) fn pow(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let p = match l.constant(node, 1)? {
        Some(c) if c.values.len() == 1 => c.values[0],
        Some(c) => {
            return Err(unsupported(
                node,
                format!("an exponent of shape {:?} (a scalar only)", c.shape),
            ))
        }
        None => return Err(unsupported(node, "a missing exponent")),
    };
    let unary = |f| Op::Unary(f);
    match p {
        1.0 => emit(l, b, node, Op::Reshape, vec![x], Some(b.shape(x).to_vec()))?,
        2.0 => emit(l, b, node, Op::Mul, vec![x, x], None)?,
        3.0 => {
            let sq = emit_part(b, node, "square", Op::Mul, vec![x, x], None)?;
            emit(l, b, node, Op::Mul, vec![sq, x], None)?
        }
        0.5 => emit(l, b, node, unary(UnaryFn::Sqrt), vec![x], None)?,
        -1.0 => emit(l, b, node, unary(UnaryFn::Reciprocal), vec![x], None)?,
        -0.5 => {
            let f = UnaryFn::InverseSqrt {
                epsilon: Param::new(0.0),
            };
            emit(l, b, node, unary(f), vec![x], None)?
        }
        _ => {
            return Err(unsupported(
                node,
                format!("exponent {p} (1, 2, 3, 1/2, -1 and -1/2 are mapped)"),
            ))
        }
    };
    Ok(())
}

/// Where the Softmax that alone reads `out` normalises the last axis, directly or through
/// Adds of constants that alone read it (further masks): the node's output is then a mask's
/// candidate.
fn feeds_last_axis_softmax(l: &Loader, out: &str, rank: usize) -> bool {
    // A bound on the Adds followed (a hostile graph may loop).
    const MOST_ADDS: usize = 8;
    let mut out = out;
    for _ in 0..=MOST_ADDS {
        if l.consumers.get(out) != Some(&1) {
            return false;
        }
        if let Some(&axis) = l.softmax_axes.get(out) {
            let axis = if axis < 0 { axis + rank as i64 } else { axis };
            return axis == rank as i64 - 1;
        }
        match l.add_operands.get(out) {
            Some((sum, other)) if l.consts.contains_key(other) => out = sum,
            _ => return false,
        }
    }
    false
}

/// Add of a constant (input `constant` of the node) to scores already masked: the constant's
/// entries at most [`MASKED_AT_MOST`] mask theirs too, its other values are added to the
/// scores, and the sum is recorded as masked scores in turn. A row left with no score is
/// refused (its softmax is undefined).
pub(in crate::onnx) fn add_to_masked(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    prior: MaskedScores,
    constant: usize,
) -> Result<()> {
    let c = l
        .constant(node, constant)?
        .ok_or_else(|| unsupported(node, "masked attention scores plus a computed tensor"))?
        .clone();
    let shape = b.shape(prior.scores).to_vec();
    let idx = crate::tensor::broadcast_indices(&c.shape, &shape).ok_or_else(|| {
        unsupported(
            node,
            format!(
                "an attention mask of shape {:?} does not broadcast to the scores' {shape:?}",
                c.shape
            ),
        )
    })?;
    let mut masked = prior.masked;
    let mut added = vec![0f64; masked.len()];
    for (o, &i) in idx.iter().enumerate() {
        let v = c.values[i];
        if v <= MASKED_AT_MOST {
            masked[o] = true;
        } else if !masked[o] {
            added[o] = v;
        }
    }
    let len = shape.last().copied().unwrap_or(1).max(1);
    if let Some(row) = masked.chunks(len).position(|r| r.iter().all(|&m| m)) {
        return Err(unsupported(
            node,
            format!("row {row} of the attention masks masks every score"),
        ));
    }
    let scores = plus_unmasked(b, node, prior.scores, shape, &added)?;
    l.masked_scores
        .insert(out_name(node), MaskedScores { scores, masked });
    Ok(())
}

/// Records `scores` with the given additive constant (broadcast to the scores' shape) as
/// masked scores of the node's output when it feeds a last-axis Softmax and some entries are
/// masked; any unmasked non-zero values of the constant are added first. Ok(false) when the
/// node is an ordinary addition.
pub(in crate::onnx) fn record_mask(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    scores: TensorId,
    constant: &Const,
) -> Result<bool> {
    let shape = b.shape(scores).to_vec();
    let out = out_name(node);
    if !feeds_last_axis_softmax(l, &out, shape.len()) {
        return Ok(false);
    }
    let Some(idx) = crate::tensor::broadcast_indices(&constant.shape, &shape) else {
        return Ok(false);
    };
    let mut added: Vec<f64> = idx.iter().map(|&i| constant.values[i]).collect();
    if !added.iter().any(|&v| v <= MASKED_AT_MOST) {
        return Ok(false);
    }
    let len = *shape.last().unwrap_or(&1);
    // A row masked everywhere by one value is shifted, not masked (softmax ignores a shift).
    let mut masked = vec![false; added.len()];
    for (row, values) in added.chunks_mut(len.max(1)).enumerate() {
        let all = values.iter().all(|&v| v <= MASKED_AT_MOST);
        if all {
            if values.iter().any(|&v| v != values[0]) {
                return Err(unsupported(
                    node,
                    format!("row {row} of the attention mask masks every score, unequally"),
                ));
            }
            values.fill(0.0);
            continue;
        }
        for (j, v) in values.iter_mut().enumerate() {
            if *v <= MASKED_AT_MOST {
                masked[row * len + j] = true;
                *v = 0.0;
            }
        }
    }
    let scores = plus_unmasked(b, node, scores, shape, &added)?;
    l.masked_scores.insert(out, MaskedScores { scores, masked });
    Ok(true)
}

/// `scores` plus what a mask adds to its unmasked entries (`added`, zero where masked): the
/// scores themselves when it adds nothing.
fn plus_unmasked(
    b: &mut ModelBuilder,
    node: &NodeProto,
    scores: TensorId,
    shape: Vec<usize>,
    added: &[f64],
) -> Result<TensorId> {
    if added.iter().all(|&v| v == 0.0) {
        return Ok(scores);
    }
    if added.iter().any(|v| !v.is_finite()) {
        return Err(unsupported(
            node,
            "a non-finite value in the attention mask",
        ));
    }
    let c = Tensor::new(shape, added.iter().map(|&v| v as f32).collect());
    emit_part(
        b,
        node,
        "bias",
        Op::Add(AddOperand::Constant(c)),
        vec![scores],
        None,
    )
}

/// Where(condition, a, b) with a constant condition: each element picks `a` or `b` (a gather
/// over the computed operands); a constant operand's values are added where they are picked
/// (a zero pick plus a constant), or, before a last-axis Softmax, mask the scores when they are
/// at most [`MASKED_AT_MOST`].
pub(super) fn where_(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let computed = |i: usize| node.input.get(i).is_some_and(|n| l.tensors.contains_key(n));
    if computed(0) {
        return Err(unsupported(
            node,
            "a computed condition (only a constant one)",
        ));
    }
    let cond = l
        .constant(node, 0)?
        .ok_or_else(|| unsupported(node, "a missing condition"))?
        .clone();
    let operand = |l: &Loader, i: usize| -> Result<(Option<TensorId>, Option<Const>)> {
        match node.input.get(i).and_then(|n| l.consts.get(n)) {
            Some(c) => Ok((None, Some(c.clone()))),
            None => Ok((Some(l.tensor(node, i)?), None)),
        }
    };
    let (ta, ca) = operand(l, 1)?;
    let (tb, cb) = operand(l, 2)?;
    let shape_of = |t: Option<TensorId>, c: &Option<Const>, b: &ModelBuilder| -> Vec<usize> {
        t.map(|t| b.shape(t).to_vec())
            .unwrap_or_else(|| c.as_ref().map(|c| c.shape.clone()).unwrap_or_default())
    };
    let (sa, sb) = (shape_of(ta, &ca, b), shape_of(tb, &cb, b));
    let shape = broadcast_shape(&cond.shape, &sa)
        .and_then(|s| broadcast_shape(&s, &sb))
        .ok_or_else(|| {
            unsupported(
                node,
                format!(
                    "shapes {:?}, {sa:?} and {sb:?} do not broadcast",
                    cond.shape
                ),
            )
        })?;
    let bad_shape = |e: &str| unsupported(node, format!("{e} does not broadcast to {shape:?}"));
    let ic = crate::tensor::broadcast_indices(&cond.shape, &shape)
        .ok_or_else(|| bad_shape("the condition"))?;
    let ia = crate::tensor::broadcast_indices(&sa, &shape).ok_or_else(|| bad_shape("input 1"))?;
    let ib = crate::tensor::broadcast_indices(&sb, &shape).ok_or_else(|| bad_shape("input 2"))?;
    let take_a: Vec<bool> = ic.iter().map(|&i| cond.values[i] != 0.0).collect();
    let inputs: Vec<TensorId> = ta.into_iter().chain(tb).collect();
    if inputs.is_empty() {
        return Err(unsupported(node, "no computed operand"));
    }
    let slot_b = u32::from(ta.is_some());
    let mut constant = vec![0f64; take_a.len()];
    let picks: Vec<Pick> = (0..take_a.len())
        .map(|o| {
            let (t, c, idx, slot) = if take_a[o] {
                (ta, &ca, &ia, 0)
            } else {
                (tb, &cb, &ib, slot_b)
            };
            match (t, c) {
                (Some(_), _) => Pick::Input {
                    slot,
                    index: idx[o] as u32,
                },
                (None, c) => {
                    constant[o] = c.as_ref().map_or(0.0, |c| c.values[idx[o]]);
                    Pick::Zero
                }
            }
        })
        .collect();
    if picks.len() > u32::MAX as usize {
        return Err(unsupported(node, format!("output shape {shape:?}")));
    }
    let gather = Gather {
        movement: Movement::Gather,
        shape: shape.clone(),
        picks,
    };
    let picked = emit_part(b, node, "picked", Op::Gather(gather), inputs, None)?;
    if constant.iter().all(|&v| v == 0.0) {
        emit(l, b, node, Op::Reshape, vec![picked], Some(shape))?;
        return Ok(());
    }
    let fill = Const {
        shape: shape.clone(),
        values: constant,
        integer: false,
    };
    if record_mask(l, b, node, picked, &fill)? {
        return Ok(());
    }
    if fill.values.iter().any(|v| !v.is_finite()) {
        return Err(unsupported(node, "a non-finite constant operand"));
    }
    emit(
        l,
        b,
        node,
        Op::Add(AddOperand::Constant(fill.to_tensor())),
        vec![picked],
        None,
    )?;
    Ok(())
}

/// Gather of a constant table `E` (`[V, d]`, axis 0) at computed indices: token ids into an
/// embedding. Composed of core operators so that the row selection is proven: per id, a dense
/// step computes `id - v` for every row `v` and the NearZero table turns it into the one-hot
/// vector (exactly 1 at the id, since both are integers), and a dense layer with `Eᵀ` as its
/// weights (hidden behind the commitment like any other) picks the row. An id outside
/// `[0, V)`, or not an integer, matches no row and embeds to zeros (ONNX calls such indices
/// an error; negative ids, which ONNX counts from the end, are not taken).
pub(super) fn embedding(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let table = match l
        .consts
        .get(node.input.first().map(String::as_str).unwrap_or_default())
    {
        Some(c) => c.clone(),
        None => {
            return Err(unsupported(
                node,
                "a computed tensor at computed indices (only a constant table)",
            ))
        }
    };
    if attr_int(node, "axis", 0) != 0 || table.shape.len() != 2 {
        return Err(unsupported(
            node,
            format!(
                "an embedding table of shape {:?} gathered on axis {} (a [rows, width] table on axis 0)",
                table.shape,
                attr_int(node, "axis", 0)
            ),
        ));
    }
    let (rows, width) = (table.shape[0], table.shape[1]);
    if rows == 0 || width == 0 || table.values.iter().any(|v| !v.is_finite()) {
        return Err(unsupported(node, "an empty or non-finite embedding table"));
    }
    let ids = l.tensor(node, 1)?;
    let id_shape = b.shape(ids).to_vec();
    let n: usize = id_shape.iter().product();
    let column = emit_part(b, node, "ids", Op::Reshape, vec![ids], Some(vec![n, 1]))?;
    let minus_row = Dense {
        weight: Tensor::new(vec![rows, 1], vec![1.0; rows]),
        bias: (0..rows).map(|v| -(v as f32)).collect(),
    };
    let offsets = emit_part(
        b,
        node,
        "id-minus-row",
        Op::Dense(minus_row),
        vec![column],
        None,
    )?;
    let one_hot = Op::Unary(UnaryFn::NearZero);
    let one_hot = emit_part(b, node, "one-hot", one_hot, vec![offsets], None)?;
    // The one-hot rows times E: MatMul by a constant, a dense layer with Eᵀ as its weights.
    let (pick, inputs) = crate::onnx::matmul_by_constant(node, one_hot, &table)?;
    let picked = emit_part(b, node, "rows", pick, inputs, None)?;
    let mut out_shape = id_shape;
    out_shape.push(width);
    emit(l, b, node, Op::Reshape, vec![picked], Some(out_shape))?;
    Ok(())
}

#[cfg(test)]
#[path = "transformer_tests.rs"]
mod tests;
