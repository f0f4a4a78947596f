//! Softmax and log-softmax over rows, composed of core operators, for every front end (ONNX's
//! Softmax and LogSoftmax, a float TFLite model's final SOFTMAX when it is proven):
//! `m = max(x)`, `d = x - m` (an elementwise add of the spread `-m`), `e = exp(d)`,
//! `s = Σ e`, `r = 1/s` (a table), `y = e·r` (a product); log-softmax ends `d - log s`.
//! Every step is a core operator, so the quantizer gives each intermediate its own scale from
//! calibration. The normaliser `s` lies in `[1, L]` for `L` classes: at B activation bits its
//! relative precision is about `L/2^B` where it is smallest, which bounds the output's error.

use super::{AddOperand, Conv, ModelBuilder, Op, PoolKind, TensorId, Window2d};
use crate::error::{Error, Result};
use crate::ops::gather::{maps, Gather, Movement, Pick};
use crate::ops::pool::Pool;
use crate::ops::unary::UnaryFn;

/// Which of the two functions. Only the softmax takes a mask: a masked score's logarithm
/// would be -inf, so a masked log-softmax is not a value any front end can ask for.
pub enum SoftmaxKind {
    Softmax { mask: Option<RowMask> },
    LogSoftmax,
}

/// Entries of the rows that take no part (an attention mask's): `fill` is what the maximum
/// reads (each masked score replaced by an unmasked one of its row, so it cannot raise the
/// maximum), `zeros` what the sum reads (each masked exponential a proven zero). Both are
/// gathers over the `[1, rows, 1, len]` view: wiring, no rows.
pub struct RowMask {
    pub fill: Vec<Pick>,
    pub zeros: Vec<Pick>,
}

/// The softmax of each row of `view`, a `[1, rows, 1, len]` tensor, as tensors named
/// `{name}/{part}`; the result has `view`'s shape.
pub fn softmax_rows(
    b: &mut ModelBuilder,
    name: &str,
    view: TensorId,
    kind: SoftmaxKind,
) -> Result<TensorId> {
    let shape = b.shape(view).to_vec();
    let [1, _, 1, len] = shape[..] else {
        return Err(Error::InvalidModel(format!(
            "'{name}': a softmax's rows are a [1, rows, 1, len] view, not {shape:?}"
        )));
    };
    let part = |b: &mut ModelBuilder, part: &str, op: Op, inputs: Vec<TensorId>| {
        let full = format!("{name}/{part}");
        b.add(full.clone(), op, inputs, full, None)
    };
    let gather = |picks: Vec<Pick>| {
        Op::Gather(Gather {
            movement: Movement::Gather,
            shape: shape.clone(),
            picks,
        })
    };
    let (fill, zeros, log) = match kind {
        SoftmaxKind::Softmax {
            mask: Some(RowMask { fill, zeros }),
        } => (Some(fill), Some(zeros), false),
        SoftmaxKind::Softmax { mask: None } => (None, None, false),
        SoftmaxKind::LogSoftmax => (None, None, true),
    };
    let v = match fill {
        Some(fill) => part(b, "unmasked-fill", gather(fill), vec![view])?,
        None => view,
    };
    let m = part(b, "max", row_pool(PoolKind::Max, len), vec![v])?;
    let neg_m = negate(b, &format!("{name}/neg-max"), m)?;
    let spread = |b: &mut ModelBuilder, t: TensorId, what: &str| -> Result<TensorId> {
        let g = maps::expand(b.shape(t), &shape)
            .map_err(|e| Error::InvalidModel(format!("'{name}': {e}")))?;
        let full = format!("{name}/{what}");
        b.add(full.clone(), Op::Gather(g), vec![t], full, None)
    };
    let neg_m = spread(b, neg_m, "max-spread")?;
    let d = part(b, "shifted", Op::Add(AddOperand::Tensor), vec![v, neg_m])?;
    let e = part(b, "exp", Op::Unary(UnaryFn::Exp), vec![d])?;
    let e = match zeros {
        Some(zeros) => part(b, "masked-exp", gather(zeros), vec![e])?,
        None => e,
    };
    let s = part(b, "sum", row_pool(PoolKind::Sum, len), vec![e])?;
    if log {
        let log_s = part(b, "log-sum", Op::Unary(UnaryFn::Log), vec![s])?;
        let neg = negate(b, &format!("{name}/neg-log-sum"), log_s)?;
        let neg = spread(b, neg, "log-sum-spread")?;
        part(
            b,
            "log-normalised",
            Op::Add(AddOperand::Tensor),
            vec![d, neg],
        )
    } else {
        let r = part(b, "reciprocal", Op::Unary(UnaryFn::Reciprocal), vec![s])?;
        let r = spread(b, r, "reciprocal-spread")?;
        part(b, "normalised", Op::Mul, vec![e, r])
    }
}

/// A pooling over each row of a `[1, rows, 1, len]` tensor.
pub fn row_pool(kind: PoolKind, len: usize) -> Op {
    Op::Pool(Pool {
        kind,
        window: Window2d {
            kernel: [1, len],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        },
    })
}

/// `-x` as a depthwise 1×1 convolution of weight −1, as tensors named `{name}-view`, `{name}`
/// and `{name}-shape`.
pub fn negate(b: &mut ModelBuilder, name: &str, x: TensorId) -> Result<TensorId> {
    let shape = b.shape(x).to_vec();
    let n: usize = shape.iter().product();
    let view_name = format!("{name}-view");
    let view = b.add(
        view_name.clone(),
        Op::Reshape,
        vec![x],
        view_name,
        Some(vec![1, n, 1, 1]),
    )?;
    let conv = Conv::depthwise_1x1(vec![-1.0; n], vec![0.0; n]);
    let y = b.add(name, Op::Conv(conv), vec![view], name, None)?;
    let shape_name = format!("{name}-shape");
    b.add(
        shape_name.clone(),
        Op::Reshape,
        vec![y],
        shape_name,
        Some(shape),
    )
}
