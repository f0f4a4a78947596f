//! Reductions (ReduceMean/Sum/Max, GlobalMaxPool, GlobalAveragePool), Softmax composed of core
//! operators, and 1-D convolution and pooling as 2-D windows of height one.

use super::*;
pub(super) use crate::ir::softmax::row_pool;
use crate::ir::softmax::{softmax_rows, RowMask, SoftmaxKind};

/// The reduced axes as the trailing one or two axes of a batch-1 tensor: the view `[1, P, h, w]`
/// whose spatial window they are (global pooling as exporters write it). None otherwise.
fn trailing_view(shape: &[usize], axes: &[usize]) -> Option<Vec<usize>> {
    let r = shape.len();
    let k = axes.len();
    let trailing = (1..=2).contains(&k) && r > k && axes.iter().all(|&a| a >= r - k);
    if !trailing || shape[0] != 1 {
        return None;
    }
    let p: usize = shape[1..r - k].iter().product();
    Some(if k == 1 {
        vec![1, p, 1, shape[r - 1]]
    } else {
        vec![1, p, shape[r - 2], shape[r - 1]]
    })
}

/// Where a composed node's last tensor goes: the node's own output, or an intermediate tensor
/// named after a part (a reduction that another operator then finishes, as ReduceL2's root).
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    Output,
    Part(&'a str),
}

impl Target<'_> {
    /// Adds the node's last tensor where this target says.
    pub(super) fn emit(
        self,
        l: &mut Loader,
        b: &mut ModelBuilder,
        node: &NodeProto,
        op: Op,
        inputs: Vec<TensorId>,
        reshape_to: Option<Vec<usize>>,
    ) -> Result<TensorId> {
        match self {
            Target::Output => emit(l, b, node, op, inputs, reshape_to),
            Target::Part(part) => emit_part(b, node, part, op, inputs, reshape_to),
        }
    }
}

/// Reduces `axes` (sorted, distinct) of the node's input with a pooling window over a view:
/// the trailing axes directly, any others after a transpose that puts the kept axes first and
/// the reduced ones last (`[1, kept, 1, reduced]`; a copy the circuit proves by wiring alone).
#[allow(clippy::too_many_arguments)]
pub(super) fn reduce_over(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    kind: PoolKind,
    axes: Vec<usize>,
    keepdims: bool,
    target: Target,
) -> Result<TensorId> {
    let shape = b.shape(x).to_vec();
    if axes.is_empty() || axes.iter().any(|&a| a >= shape.len()) {
        return Err(unsupported(
            node,
            format!("reducing axes {axes:?} of {shape:?}"),
        ));
    }
    let (source, view) = match trailing_view(&shape, &axes) {
        Some(view) => (x, view),
        None => {
            let kept = (0..shape.len()).filter(|d| !axes.contains(d));
            let perm: Vec<i64> = kept.chain(axes.iter().copied()).map(|d| d as i64).collect();
            let g = maps::transpose(&shape, Some(&perm)).map_err(|e| unsupported(node, e))?;
            let moved = emit_part(b, node, "axes-last", Op::Gather(g), vec![x], None)?;
            let reduced: usize = axes.iter().map(|&a| shape[a]).product();
            let kept: usize = shape.iter().product::<usize>() / reduced.max(1);
            (moved, vec![1, kept, 1, reduced])
        }
    };
    let viewed = if b.shape(source) != view.as_slice() {
        emit_part(
            b,
            node,
            "view",
            Op::Reshape,
            vec![source],
            Some(view.clone()),
        )?
    } else {
        source
    };
    let pool = Pool {
        kind,
        window: Window2d {
            kernel: [view[2], view[3]],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        },
    };
    let out: Vec<usize> = (0..shape.len())
        .filter_map(|d| match (axes.contains(&d), keepdims) {
            (false, _) => Some(shape[d]),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    if out == vec![1, view[1], 1, 1] {
        target.emit(l, b, node, Op::Pool(pool), vec![viewed], None)
    } else {
        let pooled = emit_part(b, node, "pool", Op::Pool(pool), vec![viewed], None)?;
        target.emit(l, b, node, Op::Reshape, vec![pooled], Some(out))
    }
}

pub(super) fn reduce_mean(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(
        l,
        b,
        node,
        PoolKind::Average {
            count_include_pad: false,
        },
    )
}

pub(super) fn reduce_sum(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(l, b, node, PoolKind::Sum)
}

/// ReduceSumSquare: the input's square (a product) summed over the axes. tf2onnx writes a
/// Keras LayerNormalization's variance so.
pub(super) fn reduce_sum_square(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let square = emit_part(b, node, "square", Op::Mul, vec![x, x], None)?;
    reduce_of(l, b, node, square, PoolKind::Sum, Target::Output)?;
    Ok(())
}

pub(super) fn reduce_max(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(l, b, node, PoolKind::Max)
}

/// ReduceMean/ReduceSum/ReduceMax: axes as an attribute (before opset 18) or an input.
pub(super) fn reduce(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    kind: PoolKind,
) -> Result<()> {
    let x = l.tensor(node, 0)?;
    reduce_of(l, b, node, x, kind, Target::Output)?;
    Ok(())
}

/// [`reduce`] of `x`, the node's input or a tensor computed from it (ReduceSumSquare's square),
/// to `target`.
pub(super) fn reduce_of(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    kind: PoolKind,
    target: Target,
) -> Result<TensorId> {
    let rank = b.shape(x).len();
    let axes: Vec<usize> = match ints_attr_or_input(l, node, "axes", 1)? {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|&a| maps::axis_index(a, rank))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| unsupported(node, e))?,
        _ if attr_int(node, "noop_with_empty_axes", 0) != 0 => {
            if let Target::Output = target {
                l.tensors.insert(out_name(node), x);
            }
            return Ok(x);
        }
        _ => (0..rank).collect(),
    };
    let mut axes = axes;
    axes.sort_unstable();
    axes.dedup();
    let keepdims = attr_int(node, "keepdims", 1) != 0;
    reduce_over(l, b, node, x, kind, axes, keepdims, target)
}

/// Softmax over the last axis (opset 13's default), or for older opsets over everything from
/// `axis` on (their flatten-to-2-D semantics), proven step by step:
/// `m = max(x)`, `e = exp(x - m)` (an elementwise add fused with the Exp table), `s = Σ e`,
/// `r = 1/s` (a table), `y = e·r` (a product). Every step is a core operator, so the quantizer
/// gives each intermediate its own scale from calibration. The normaliser `s` lies in
/// `[1, L]` for `L` classes: at B activation bits its relative precision is about `L/2^B`
/// where it is smallest, which bounds the output's error (fine for tens of classes; a
/// vocabulary-sized softmax needs the exact-division chip the transformer issue plans).
///
/// Over an axis with others after it (opset 13 on, e.g. the channels of a segmentation map), the
/// axis is first moved last by a transpose and moved back after: copies the circuit proves by
/// wiring alone.
pub(super) fn softmax(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    // Scores an attention mask removes entries of (only ever over the last axis, so never
    // moved): each masked score is replaced by an unmasked one of its row before the maximum
    // and the shift (so it cannot raise the maximum), and its exponential by a proven zero
    // before the sum and the normalisation. Both are gathers: wiring, no rows.
    let mask = node
        .input
        .first()
        .and_then(|n| l.masked_scores.get(n))
        .cloned();
    if mask.is_some() && node.op_type == "LogSoftmax" {
        return Err(unsupported(node, "masked scores (their logarithm is -inf)"));
    }
    let mut x = match &mask {
        Some(m) => m.scores,
        None => l.tensor(node, 0)?,
    };
    let original = b.shape(x).to_vec();
    let rank = original.len();
    let opset13 = l.opset >= 13;
    let default_axis = if opset13 { -1 } else { 1 };
    let mut axis = maps::axis_index(attr_int(node, "axis", default_axis), rank)
        .map_err(|e| unsupported(node, e))?;
    // The permutation that moved the axis last, when one was needed.
    let mut moved: Option<Vec<i64>> = None;
    if opset13 && original[axis + 1..].iter().any(|&d| d != 1) {
        let perm: Vec<i64> = (0..rank)
            .filter(|&d| d != axis)
            .chain([axis])
            .map(|d| d as i64)
            .collect();
        let g = maps::transpose(&original, Some(&perm)).map_err(|e| unsupported(node, e))?;
        x = emit_part(b, node, "axis-last", Op::Gather(g), vec![x], None)?;
        axis = rank - 1;
        moved = Some(perm);
    }
    let shape = b.shape(x).to_vec();
    // Ends the composition: `y` in the (possibly transposed) shape, back to the node's own.
    let finish = |l: &mut Loader, b: &mut ModelBuilder, y: TensorId| -> Result<()> {
        match &moved {
            None => emit(l, b, node, Op::Reshape, vec![y], Some(shape.clone())).map(|_| ()),
            Some(perm) => {
                let y = emit_part(b, node, "rows", Op::Reshape, vec![y], Some(shape.clone()))?;
                let mut inverse = vec![0i64; rank];
                for (i, &p) in perm.iter().enumerate() {
                    inverse[p as usize] = i as i64;
                }
                let g = maps::transpose(&shape, Some(&inverse));
                movement(l, b, node, vec![y], g).map(|_| ())
            }
        }
    };
    let len: usize = shape[axis..].iter().product();
    let rows: usize = shape[..axis].iter().product();
    let v = emit_part(
        b,
        node,
        "view",
        Op::Reshape,
        vec![x],
        Some(vec![1, rows, 1, len]),
    )?;
    // A masked LogSoftmax was refused above.
    let kind = if node.op_type == "LogSoftmax" {
        SoftmaxKind::LogSoftmax
    } else {
        let mask = match &mask {
            Some(m) => Some(RowMask {
                fill: unmasked_fill(node, &m.masked, len)?,
                zeros: masked_zeros(&m.masked),
            }),
            None => None,
        };
        SoftmaxKind::Softmax { mask }
    };
    let y = softmax_rows(b, &node_name(node), v, kind)?;
    finish(l, b, y)
}

/// For each score of a `[rows, len]` mask, the score the maximum reads: itself, or for a
/// masked one the first unmasked score of its row.
fn unmasked_fill(node: &NodeProto, masked: &[bool], len: usize) -> Result<Vec<Pick>> {
    let mut fill = Vec::with_capacity(masked.len());
    for (r, row) in masked.chunks(len.max(1)).enumerate() {
        let kept = row.iter().position(|&masked| !masked).ok_or_else(|| {
            unsupported(node, format!("row {r} of the scores is masked everywhere"))
        })?;
        fill.extend((0..len).map(|c| Pick::Input {
            slot: 0,
            index: (r * len + if row[c] { kept } else { c }) as u32,
        }));
    }
    Ok(fill)
}

/// Each exponential as it is, or a proven zero where its score is masked.
fn masked_zeros(masked: &[bool]) -> Vec<Pick> {
    masked
        .iter()
        .enumerate()
        .map(|(i, &masked)| {
            if masked {
                Pick::Zero
            } else {
                Pick::Input {
                    slot: 0,
                    index: i as u32,
                }
            }
        })
        .collect()
}

pub(super) fn global_max_pool(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
) -> Result<()> {
    global_pool(l, b, node, PoolKind::Max)
}

/// GlobalAveragePool of any `[N, C, ...]` map (1-D as `nn.AdaptiveAvgPool1d(1)` exports it,
/// 2-D, 3-D).
pub(super) fn global_average_pool(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
) -> Result<()> {
    let average = PoolKind::Average {
        count_include_pad: false,
    };
    global_pool(l, b, node, average)
}

/// A global pool: `kind` over every axis after the channels, kept as 1s.
fn global_pool(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    kind: PoolKind,
) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x);
    if shape.len() < 3 {
        return Err(unsupported(node, format!("input shape {shape:?}")));
    }
    let rank = shape.len();
    reduce_over(
        l,
        b,
        node,
        x,
        kind,
        (2..rank).collect(),
        true,
        Target::Output,
    )?;
    Ok(())
}

/// ONNX's 1-D window attributes as a 2-D window of height 1 over `[1, C, 1, L]`.
/// `length` is the input's extent along the window (for `auto_pad=SAME_*`).
pub(super) fn window_1d(node: &NodeProto, k: usize, length: usize) -> Result<Window2d> {
    let one = |name: &str| -> Result<usize> {
        match attr_ints(node, name) {
            None => Ok(1),
            Some(v) if v.len() == 1 && v[0] >= 1 => Ok(v[0] as usize),
            Some(v) => Err(unsupported(node, format!("{name}={v:?}"))),
        }
    };
    let pads = match attr_ints(node, "pads") {
        None => [0; 4],
        Some(p) if p.len() == 2 && p.iter().all(|&v| (0..1 << 20).contains(&v)) => {
            [0, p[0] as usize, 0, p[1] as usize]
        }
        Some(p) => return Err(unsupported(node, format!("pads={p:?}"))),
    };
    if attr_int(node, "ceil_mode", 0) != 0 {
        return Err(unsupported(node, "ceil_mode=1 on a 1-D window"));
    }
    let mut w = Window2d {
        kernel: [1, k],
        stride: [1, one("strides")?],
        pads,
        dilation: [1, one("dilations")?],
    };
    crate::onnx::auto_pad(node, &mut w, &[length], &[1])?;
    Ok(w)
}

/// 1-D Conv (weight `[O, I/g, k]` over `[1, C, L]`): a 2-D convolution of height 1.
pub(in crate::onnx) fn conv_1d(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    w: &Const,
    bias: Vec<f32>,
    group: usize,
) -> Result<()> {
    let shape = b.shape(x).to_vec();
    if shape.len() != 3 {
        return Err(unsupported(node, format!("a 1-D convolution of {shape:?}")));
    }
    let window = window_1d(node, w.shape[2], shape[2])?;
    let mut weight = w.to_tensor();
    weight.shape = vec![w.shape[0], w.shape[1], 1, w.shape[2]];
    let conv = Conv {
        weight,
        bias,
        window,
        group,
    };
    through_height_one(l, b, node, x, Op::Conv(conv))
}

/// 1-D MaxPool/AveragePool over `[1, C, L]`.
pub(in crate::onnx) fn pool_1d(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    kind: PoolKind,
) -> Result<()> {
    let k = match attr_ints(node, "kernel_shape") {
        Some(v) if v.len() == 1 && v[0] >= 1 => v[0] as usize,
        v => return Err(unsupported(node, format!("kernel_shape={v:?}"))),
    };
    let length = match b.shape(x) {
        [_, _, l] => *l,
        s => return Err(unsupported(node, format!("a 1-D window over {s:?}"))),
    };
    let window = window_1d(node, k, length)?;
    through_height_one(l, b, node, x, Op::Pool(Pool { kind, window }))
}

/// A 2-D operator applied to `[1, C, L]` as `[1, C, 1, L]`, its `[1, C', 1, L']` output read
/// back as `[1, C', L']`.
pub(super) fn through_height_one(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    op: Op,
) -> Result<()> {
    in_height_one(l, b, node, x, |b, viewed| {
        emit_part(b, node, "2d", op, vec![viewed], None)
    })
}

/// [`through_height_one`] for a chain of 2-D operators: `build` adds them on the
/// `[1, C, 1, L]` view and returns the last one's output.
pub(super) fn in_height_one(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    build: impl FnOnce(&mut ModelBuilder, TensorId) -> Result<TensorId>,
) -> Result<()> {
    let shape = b.shape(x).to_vec();
    if shape.len() != 3 {
        return Err(unsupported(node, format!("a 1-D window over {shape:?}")));
    }
    let view = Some(vec![1, shape[1], 1, shape[2]]);
    let viewed = emit_part(b, node, "view", Op::Reshape, vec![x], view)?;
    let y = build(b, viewed)?;
    let ys = b.shape(y).to_vec();
    emit(
        l,
        b,
        node,
        Op::Reshape,
        vec![y],
        Some(vec![1, ys[1], ys[3]]),
    )?;
    Ok(())
}
