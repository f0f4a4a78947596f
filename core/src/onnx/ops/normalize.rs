//! Normalizations over rows: LayerNormalization (opset 17), RMSNormalization (opset 23) and
//! InstanceNormalization (with it, PyTorch's GroupNorm), composed of core operators.
//!
//! Each row is scaled by a power of two before its variance is taken ([`scaled_rows`]): one
//! fixed-point scale serves every row of a tensor, so a row whose values are orders of
//! magnitude below the largest row's would otherwise keep a few bits, and its square none
//! (its variance rounds to 0 and its `1/√(v + ε)` to the table's end: a normalised output far
//! out of range, or a clamped one). Normalization does not depend on a row's scale, so the
//! float model is the same function.

use super::*;
use crate::ops::unary::Param;

/// LayerNormalization: over the axes from `axis` on, `(x - mean)·(var + ε)^-½·scale + bias`.
/// Composed as a mean pool, the centred values, their square (a product), a mean pool of it,
/// one `1/√(v + ε)` table, a broadcast product and the per-feature affine.
pub(super) fn layer_norm(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    normalize(l, b, node, Norm::Layer)
}

/// InstanceNormalization: over the axes after the channels of `[N, C, ...]`,
/// `(x - mean)·(var + ε)^-½·scale[c] + bias[c]`, the same composition with a per-channel affine.
/// PyTorch exports `nn.InstanceNorm2d` as it, and `nn.GroupNorm` as a Reshape to `[N, G, -1]`,
/// an InstanceNormalization of unit scale, a Reshape back and the per-channel affine.
pub(super) fn instance_norm(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    normalize(l, b, node, Norm::Instance)
}

/// Which normalization [`normalize`] composes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Norm {
    /// Over the axes from `axis` on, centred, a scale and bias per normalised feature.
    Layer,
    /// The same without the centring (and without the optional statistics outputs).
    Rms,
    /// Over the axes after the channels, centred, a scale and bias per channel.
    Instance,
}

/// RMSNormalization (opset 23): `x·(mean(x²) + ε)^-½·scale`, LayerNormalization without the
/// centring (LLaMA-style models).
pub(super) fn rms_norm(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    normalize(l, b, node, Norm::Rms)
}

fn normalize(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto, norm: Norm) -> Result<()> {
    let centre = norm != Norm::Rms;
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let axis = if norm == Norm::Instance {
        if shape.len() < 3 {
            return Err(unsupported(node, format!("input shape {shape:?}")));
        }
        2
    } else {
        maps::axis_index(attr_int(node, "axis", -1), shape.len())
            .map_err(|e| unsupported(node, e))?
    };
    let epsilon = attr_float(node, "epsilon", 1e-5);
    if !(epsilon.is_finite() && epsilon >= 0.0) {
        return Err(unsupported(node, format!("epsilon {epsilon}")));
    }
    let len: usize = shape[axis..].iter().product();
    let rows: usize = shape[..axis].iter().product();
    // One scale and bias per normalised feature, or (instance) per channel.
    let params = if norm == Norm::Instance {
        shape[1]
    } else {
        len
    };
    let constant = |l: &Loader, i: usize, default: f64| -> Result<Vec<f32>> {
        match l.constant(node, i)? {
            None => Ok(vec![default as f32; params]),
            Some(c) if c.values.len() == params => Ok(c.values.iter().map(|&v| v as f32).collect()),
            Some(c) if c.values.len() == 1 => Ok(vec![c.values[0] as f32; params]),
            Some(c) => Err(unsupported(
                node,
                format!("input {i} of shape {:?} for {params} parameters", c.shape),
            )),
        }
    };
    let (scale, bias) = (constant(l, 1, 1.0)?, constant(l, 2, 0.0)?);
    let view = vec![1, rows, 1, len];
    let v = emit_part(b, node, "view", Op::Reshape, vec![x], Some(view.clone()))?;
    let row_mean = row_pool(
        PoolKind::Average {
            count_include_pad: false,
        },
        len,
    );
    let (centred, mean) = if centre {
        let mean = emit_part(b, node, "mean", row_mean, vec![v], None)?;
        let neg_mean = negate(b, node, mean, "neg-mean")?;
        let neg_mean = expand_to(b, node, neg_mean, &view, "mean-spread")?;
        let add = Op::Add(AddOperand::Tensor);
        let centred = emit_part(b, node, "centred", add, vec![v, neg_mean], None)?;
        (centred, Some(mean))
    } else {
        (v, None)
    };
    let normalised = normalised_rows(b, node, centred, &view, epsilon)?;
    let normed = normalised.values;
    // The optional Mean and InvStdDev outputs: the statistics, of the input's shape with the
    // normalised axes kept as 1.
    let stats_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if i < axis { d } else { 1 })
        .collect();
    // LayerNormalization's optional outputs are Mean and InvStdDev; RMSNormalization's only
    // output is Y. InvStdDev is the scaled rows' inverse root times the rows' scale, made only
    // when it is asked for.
    let wanted = |i: usize| {
        norm == Norm::Layer && node.output.get(i).is_some_and(|n: &String| !n.is_empty())
    };
    let inv_std = if wanted(2) {
        let product = Op::Mul;
        // The scale first: a product whose second factor is a row scale is a scaled row, below
        // 1 (the quantizer's known range), which this one is not.
        let scales = vec![normalised.scale, normalised.inverse_root];
        Some(emit_part(
            b,
            node,
            "inverse-std-unscaled",
            product,
            scales,
            None,
        )?)
    } else {
        None
    };
    let stats = [(mean, "mean-output"), (inv_std, "inverse-std-output")];
    for (i, (stat, part)) in stats.into_iter().enumerate() {
        let Some(stat) = stat else { continue };
        if let Some(name) = node.output.get(i + 1).filter(|_| wanted(i + 1)) {
            let reshape = Op::Reshape;
            let t = emit_part(
                b,
                node,
                part,
                reshape,
                vec![stat],
                Some(stats_shape.clone()),
            )?;
            l.tensors.insert(name.clone(), t);
        }
    }
    let identity = scale.iter().all(|&s| s == 1.0) && bias.iter().all(|&v| v == 0.0);
    if norm == Norm::Instance {
        let y = if identity {
            normed
        } else {
            let back = Some(shape.clone());
            let back = emit_part(b, node, "back", Op::Reshape, vec![normed], back)?;
            affine_part(b, node, back, Some(1), &scale, &bias)?
        };
        emit(l, b, node, Op::Reshape, vec![y], Some(shape))?;
        return Ok(());
    }
    let rows_by_len = vec![rows, len];
    let normed = emit_part(
        b,
        node,
        "rows",
        Op::Reshape,
        vec![normed],
        Some(rows_by_len),
    )?;
    let y = if identity {
        normed
    } else {
        affine_part(b, node, normed, Some(1), &scale, &bias)?
    };
    emit(l, b, node, Op::Reshape, vec![y], Some(shape))?;
    Ok(())
}

/// `a / √(mean(a²) + ε)` as an export decomposes a normalization (`a` the centred values of a
/// layer norm, or the input of an RMS norm written with a division), the mean by the
/// `ReduceMean` `mean`: over the last axis (kept), rows scaled as [`normalize`] does; over
/// other axes, the square, the mean and a `1/√(v + ε)` table as written.
pub(in crate::onnx) fn divide_by_mean_square_root(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    a: TensorId,
    mean: &NodeProto,
    epsilon: f32,
) -> Result<()> {
    let shape = b.shape(a).to_vec();
    let rank = shape.len();
    let axes = ints_attr_or_input(l, mean, "axes", 1)?;
    let last = matches!(&axes, Some(axes) if axes.len() == 1
        && maps::axis_index(axes[0], rank).is_ok_and(|axis| axis + 1 == rank));
    let keepdims = attr_int(mean, "keepdims", 1) != 0;
    if !(last && keepdims) {
        let square = emit_part(b, node, "square", Op::Mul, vec![a, a], None)?;
        let average = PoolKind::Average {
            count_include_pad: false,
        };
        let v = reduce_of(l, b, mean, square, average, Target::Part("mean-square"))?;
        let f = UnaryFn::InverseSqrt {
            epsilon: Param::new(epsilon),
        };
        return times_function_of(l, b, node, a, (v, f));
    }
    let len = shape[rank - 1];
    let rows: usize = shape[..rank - 1].iter().product();
    let view = vec![1, rows, 1, len];
    let v = emit_part(b, node, "view", Op::Reshape, vec![a], Some(view.clone()))?;
    let normed = normalised_rows(b, node, v, &view, epsilon)?.values;
    emit(l, b, node, Op::Reshape, vec![normed], Some(shape))?;
    Ok(())
}

/// The rows of a `[1, rows, 1, len]` view normalized, `x/√(mean(x²) + ε)` each, with what
/// made them.
struct NormalisedRows {
    values: TensorId,
    /// `1/√(s²·(mean(x²) + ε))` per row, `[1, rows, 1, 1]`.
    inverse_root: TensorId,
    /// Each row's scale `s` ([`ScaledRows::scale`]).
    scale: TensorId,
}

/// `x/√(mean(x²) + ε)` over each row of the view `x`: the rows scaled ([`scaled_rows`]), the
/// mean of their squares plus `ε·s²`, one `1/√v` table, a broadcast product. The scale cancels:
/// `s·x/√(s²·mean(x²) + s²·ε)`.
fn normalised_rows(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    view: &[usize],
    epsilon: f32,
) -> Result<NormalisedRows> {
    let scaled = scaled_rows(b, node, x, view, epsilon)?;
    let values = scaled.values;
    let square = emit_part(b, node, "square", Op::Mul, vec![values, values], None)?;
    let row_mean = row_pool(
        PoolKind::Average {
            count_include_pad: false,
        },
        view[3],
    );
    let var = emit_part(b, node, "variance", row_mean, vec![square], None)?;
    let var = match scaled.epsilon {
        Some(eps) => {
            let add = Op::Add(AddOperand::Tensor);
            emit_part(b, node, "variance+epsilon", add, vec![var, eps], None)?
        }
        None => var,
    };
    let inv = Op::Unary(UnaryFn::InverseSqrt {
        epsilon: Param::new(0.0),
    });
    let inverse_root = emit_part(b, node, "inverse-std", inv, vec![var], None)?;
    let spread = expand_to(b, node, inverse_root, view, "inverse-std-spread")?;
    let values = emit_part(b, node, "normalised", Op::Mul, vec![values, spread], None)?;
    Ok(NormalisedRows {
        values,
        inverse_root,
        scale: scaled.scale,
    })
}

/// A view's rows, each scaled by a power of two ([`UnaryFn::RowScale`] of its largest
/// magnitude), with the scale and the epsilon under it.
struct ScaledRows {
    /// The rows, `[1, rows, 1, len]`: each row's largest magnitude in `[½, 1)`.
    values: TensorId,
    /// Each row's scale `s`, `[1, rows, 1, 1]`.
    scale: TensorId,
    /// `ε·s²` per row (at most 1), `[1, rows, 1, 1]`; None when `ε` is 0.
    epsilon: Option<TensorId>,
}

/// `x` (a `[1, rows, 1, len]` view) with each row times `s = 2^-e`, where the row's largest
/// magnitude (or `√ε`, when larger) is `m·2^e`, `m ∈ [½, 1)`: the largest magnitude by a max
/// pool over the row and its negation, `s` by a table of it whose outputs are exact powers of
/// two, the product exact. A row with every value 0 stays 0. (A value at the very end of the
/// domain, `-2^(B-1)`, has no negation in it: the witness then reports it out of the proven
/// range, as any value beyond the calibrated range times the headroom.)
fn scaled_rows(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    view: &[usize],
    epsilon: f32,
) -> Result<ScaledRows> {
    let (rows, len) = (view[1], view[3]);
    // The largest magnitude as the max of each row beside its negation: a product by -1 (one
    // weight) and a copy, where an absolute value would take a table of 2^B rows.
    let single = Some(vec![1, 1, rows * len, 1]);
    let flat = emit_part(b, node, "row-view", Op::Reshape, vec![x], single)?;
    let times = Op::Conv(Conv::depthwise_1x1(vec![-1.0], vec![0.0]));
    let negated = emit_part(b, node, "negated", times, vec![flat], None)?;
    let back = Some(view.to_vec());
    let negated = emit_part(b, node, "negated-rows", Op::Reshape, vec![negated], back)?;
    let both = maps::concat(&[view, view], 3).map_err(|e| unsupported(node, e))?;
    let both = emit_part(b, node, "signed", Op::Gather(both), vec![x, negated], None)?;
    let row_max = row_pool(PoolKind::Max, 2 * len);
    let largest = emit_part(b, node, "largest", row_max, vec![both], None)?;
    let epsilon = Param::new(epsilon);
    let scale = Op::Unary(UnaryFn::RowScale { epsilon });
    let scale = emit_part(b, node, "row-scale", scale, vec![largest], None)?;
    let spread = expand_to(b, node, scale, view, "row-scale-spread")?;
    let values = emit_part(b, node, "scaled", Op::Mul, vec![x, spread], None)?;
    // `ε·s² = (√ε·s)²`: `√ε·s` is at most 1 (`s <= 1/√ε`), a constant times each row's scale
    // (one weight, on a single-channel view), then its square.
    let epsilon = if epsilon.get() > 0.0 {
        let root = (epsilon.get() as f64).sqrt() as f32;
        let single = vec![1, 1, rows, 1];
        let viewed = emit_part(
            b,
            node,
            "row-scale-view",
            Op::Reshape,
            vec![scale],
            Some(single),
        )?;
        let times = Op::Conv(Conv::depthwise_1x1(vec![root], vec![0.0]));
        let rooted = emit_part(b, node, "row-root-epsilon", times, vec![viewed], None)?;
        let back = Some(vec![1, rows, 1, 1]);
        let rooted = emit_part(
            b,
            node,
            "row-root-epsilon-rows",
            Op::Reshape,
            vec![rooted],
            back,
        )?;
        let square = vec![rooted, rooted];
        Some(emit_part(b, node, "row-epsilon", Op::Mul, square, None)?)
    } else {
        None
    };
    Ok(ScaledRows {
        values,
        scale,
        epsilon,
    })
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
