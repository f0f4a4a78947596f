//! ONNX operators mapped onto the core operators of [`crate::ops`], one function each,
//! registered in [`MAPPED`] (the loader's supported list includes every name here). Per-channel
//! affine maps (BatchNormalization that follows no convolution, multiplication by a constant)
//! become depthwise 1×1 convolutions on a 4-D view of the tensor; BatchNormalization right after
//! a convolution or Gemm is folded into its weights.

use super::{attr_float, attr_int, attr_ints, attr_str, node_name, unsupported, Const, Loader};
use crate::error::Result;
use crate::ir::{AddOperand, Conv, Dense, ModelBuilder, Op, Pool, PoolKind, TensorId, Window2d};
use crate::ops::gather::{maps, Gather};
use crate::ops::unary::{Param, UnaryFn};
use crate::tensor::Tensor;
use tract_onnx::pb::NodeProto;

type Mapper = fn(&mut Loader, &mut ModelBuilder, &NodeProto) -> Result<()>;

/// Every ONNX operator mapped here, with its mapping.
pub(super) const MAPPED: &[(&str, Mapper)] = &[
    ("Sigmoid", unary),
    ("Tanh", unary),
    ("HardSigmoid", unary),
    ("HardSwish", unary),
    ("LeakyRelu", unary),
    ("Elu", unary),
    ("Exp", unary),
    ("Erf", unary),
    ("Softplus", unary),
    ("Softsign", unary),
    ("Abs", unary),
    ("Reciprocal", unary),
    ("Gelu", unary),
    ("BatchNormalization", batch_norm),
    ("Mul", mul),
    ("Div", div),
    ("Sub", sub),
    ("Concat", concat),
    ("Slice", slice),
    ("Split", split),
    ("Transpose", transpose),
    ("Squeeze", squeeze),
    ("Unsqueeze", unsqueeze),
    ("Pad", pad),
    ("Gather", gather),
    ("Resize", resize),
    ("Upsample", resize),
    ("ReduceMean", reduce_mean),
    ("ReduceSum", reduce_sum),
    ("ReduceMax", reduce_max),
    ("Softmax", softmax),
    ("Expand", expand),
    ("GlobalMaxPool", global_max_pool),
];

pub(super) fn mapper(op: &str) -> Option<Mapper> {
    MAPPED.iter().find(|(n, _)| *n == op).map(|(_, f)| *f)
}

fn out_name(node: &NodeProto) -> String {
    node.output.first().cloned().unwrap_or_default()
}

/// Adds the node's (first) output.
fn emit(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    op: Op,
    inputs: Vec<TensorId>,
    reshape_to: Option<Vec<usize>>,
) -> Result<TensorId> {
    let id = b.add(node_name(node), op, inputs, out_name(node), reshape_to)?;
    l.tensors.insert(out_name(node), id);
    Ok(id)
}

/// An intermediate tensor of a node lowered to several IR nodes.
fn emit_part(
    b: &mut ModelBuilder,
    node: &NodeProto,
    part: &str,
    op: Op,
    inputs: Vec<TensorId>,
    reshape_to: Option<Vec<usize>>,
) -> Result<TensorId> {
    let name = format!("{}/{part}", node_name(node));
    b.add(name.clone(), op, inputs, name, reshape_to)
}

/// A constant input's integer values (indices, axes, pads, shapes).
fn ints(c: &Const) -> Vec<i64> {
    c.values.iter().map(|&v| v as i64).collect()
}

/// An integer list given as an attribute (older opsets) or as constant input `i` (newer).
fn ints_attr_or_input(
    l: &Loader,
    node: &NodeProto,
    name: &str,
    i: usize,
) -> Result<Option<Vec<i64>>> {
    if let Some(v) = attr_ints(node, name) {
        return Ok(Some(v));
    }
    Ok(l.constant(node, i)?.map(ints))
}

pub(super) fn unary_fn(node: &NodeProto) -> Result<UnaryFn> {
    let param = |name: &str, default: f32| -> Result<Param> {
        let v = attr_float(node, name, default);
        if v.is_finite() {
            Ok(Param::new(v))
        } else {
            Err(unsupported(node, format!("{name}={v}")))
        }
    };
    Ok(match node.op_type.as_str() {
        "Sigmoid" => UnaryFn::Sigmoid,
        "Tanh" => UnaryFn::Tanh,
        "HardSigmoid" => UnaryFn::HardSigmoid {
            alpha: param("alpha", 0.2)?,
            beta: param("beta", 0.5)?,
        },
        "HardSwish" => UnaryFn::HardSwish,
        "LeakyRelu" => UnaryFn::LeakyRelu {
            alpha: param("alpha", 0.01)?,
        },
        "Elu" => UnaryFn::Elu {
            alpha: param("alpha", 1.0)?,
        },
        "Exp" => UnaryFn::Exp,
        "Erf" => UnaryFn::Erf,
        "Softplus" => UnaryFn::Softplus,
        "Softsign" => UnaryFn::Softsign,
        "Abs" => UnaryFn::Abs,
        "Reciprocal" => UnaryFn::Reciprocal,
        "Gelu" => match attr_str(node, "approximate").as_deref() {
            None | Some("none") => UnaryFn::Gelu {
                tanh_approximation: false,
            },
            Some("tanh") => UnaryFn::Gelu {
                tanh_approximation: true,
            },
            Some(other) => return Err(unsupported(node, format!("approximate={other}"))),
        },
        other => return Err(unsupported(node, format!("{other} is not a function"))),
    })
}

fn unary(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if l.fused_away.contains(&out_name(node)) {
        // Its one consumer, a Mul, becomes SiLU or HardSwish of this node's input.
        return Ok(());
    }
    let x = l.tensor(node, 0)?;
    emit(l, b, node, Op::Unary(unary_fn(node)?), vec![x], None)?;
    Ok(())
}

/// Which input of a binary node is a constant: (tensor input, constant) or None for two tensors.
fn tensor_and_constant<'a>(
    l: &'a Loader,
    node: &NodeProto,
) -> Result<(usize, Option<(usize, &'a Const)>)> {
    for (c, t) in [(1, 0), (0, 1)] {
        if let Some(k) = node.input.get(c).and_then(|n| l.consts.get(n)) {
            return Ok((t, Some((c, k))));
        }
    }
    Ok((0, None))
}

/// The axis a constant of shape `c` varies along when broadcast to `x` (numpy rules): None for
/// a scalar, an error when it varies along several.
fn varying_axis(node: &NodeProto, c: &[usize], x: &[usize]) -> Result<Option<usize>> {
    if c.len() > x.len() {
        return Err(unsupported(
            node,
            format!("constant {c:?} has more axes than {x:?}"),
        ));
    }
    let offset = x.len() - c.len();
    let mut axis = None;
    for (i, &d) in c.iter().enumerate() {
        if d == 1 {
            continue;
        }
        if d != x[offset + i] || axis.is_some() {
            return Err(unsupported(
                node,
                format!("a constant of shape {c:?} broadcast over {x:?} (only scalars or one varying axis)"),
            ));
        }
        axis = Some(offset + i);
    }
    Ok(axis)
}

/// `y = scale[c]·x + bias[c]` along `axis` of `x` (every element when `axis` is None and the
/// vectors have one entry): a depthwise 1×1 convolution over a 4-D view `[1, C, rest, 1]`.
fn channel_affine(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    axis: Option<usize>,
    scale: &[f32],
    bias: &[f32],
) -> Result<TensorId> {
    let shape = b.shape(x).to_vec();
    let n: usize = shape.iter().product();
    let (channels, view) = match axis {
        Some(a) if shape[..a].iter().all(|&d| d == 1) => {
            let rest: usize = shape[a + 1..].iter().product();
            (shape[a], vec![1, shape[a], rest, 1])
        }
        Some(a) => {
            return Err(unsupported(
                node,
                format!(
                    "a per-element constant along axis {a} of {shape:?} (leading axes must be 1)"
                ),
            ))
        }
        None => (n, vec![1, n, 1, 1]),
    };
    let expand = |v: &[f32]| -> Vec<f32> {
        if v.len() == 1 {
            vec![v[0]; channels]
        } else {
            v.to_vec()
        }
    };
    let (scale, bias) = (expand(scale), expand(bias));
    if scale.len() != channels || bias.len() != channels {
        return Err(unsupported(
            node,
            format!("{} parameters for {channels} channels", scale.len()),
        ));
    }
    if scale.iter().chain(&bias).any(|v| !v.is_finite()) {
        return Err(unsupported(node, "non-finite parameters"));
    }
    let viewed = if view != shape {
        emit_part(b, node, "view", Op::Reshape, vec![x], Some(view.clone()))?
    } else {
        x
    };
    let conv = Conv {
        weight: Tensor::new(vec![channels, 1, 1, 1], scale),
        bias,
        window: Window2d {
            kernel: [1, 1],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        },
        group: channels,
    };
    if view != shape {
        let y = emit_part(b, node, "affine", Op::Conv(conv), vec![viewed], None)?;
        emit(l, b, node, Op::Reshape, vec![y], Some(shape))
    } else {
        emit(l, b, node, Op::Conv(conv), vec![viewed], None)
    }
}

fn batch_norm(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if node.output.len() > 1 && node.output[1..].iter().any(|o| !o.is_empty()) {
        return Err(unsupported(
            node,
            "training outputs (running mean and variance)",
        ));
    }
    let x = l.tensor(node, 0)?;
    let param = |i: usize, what: &str| -> Result<Vec<f64>> {
        Ok(l.constant(node, i)?
            .ok_or_else(|| unsupported(node, format!("missing {what}")))?
            .values
            .clone())
    };
    let (gamma, beta, mean, var) = (
        param(1, "scale")?,
        param(2, "bias")?,
        param(3, "mean")?,
        param(4, "variance")?,
    );
    let eps = attr_float(node, "epsilon", 1e-5) as f64;
    let shape = b.shape(x).to_vec();
    let c = *shape
        .get(1)
        .ok_or_else(|| unsupported(node, format!("input shape {shape:?}")))?;
    if [&gamma, &beta, &mean, &var].iter().any(|v| v.len() != c) {
        return Err(unsupported(
            node,
            format!("parameters do not have {c} channels"),
        ));
    }
    // y = s·x + t per channel.
    let s: Vec<f64> = (0..c).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
    let t: Vec<f64> = (0..c).map(|i| beta[i] - mean[i] * s[i]).collect();
    if s.iter().chain(&t).any(|v| !v.is_finite()) {
        return Err(unsupported(node, "parameters give a non-finite scale"));
    }
    let x_name = &node.input[0];
    if l.consumers.get(x_name) == Some(&1) && !l.is_graph_output(x_name) {
        let folded = match b.producer_op_mut(x) {
            Some(Op::Conv(conv)) if conv.weight.shape[0] == c => {
                let per = conv.weight.data.len() / c;
                fold(&mut conv.weight.data, &mut conv.bias, per, &s, &t);
                true
            }
            Some(Op::Dense(Dense { weight, bias })) if weight.shape[0] == c && shape.len() == 2 => {
                let per = weight.shape[1];
                fold(&mut weight.data, bias, per, &s, &t);
                true
            }
            _ => false,
        };
        if folded {
            l.tensors.insert(out_name(node), x);
            return Ok(());
        }
    }
    let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<_>>();
    channel_affine(l, b, node, x, Some(1), &f32s(&s), &f32s(&t))?;
    Ok(())
}

/// Folds `y = s·(W·x + b) + t` into the weights and bias, `per` weights per output channel.
fn fold(weight: &mut [f32], bias: &mut [f32], per: usize, s: &[f64], t: &[f64]) {
    for (o, (&s, &t)) in s.iter().zip(t).enumerate() {
        for w in &mut weight[o * per..(o + 1) * per] {
            *w = (*w as f64 * s) as f32;
        }
        bias[o] = (bias[o] as f64 * s + t) as f32;
    }
}

fn mul(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if let Some((x, f)) = l.fused_mul.get(&out_name(node)).cloned() {
        let x = *l
            .tensors
            .get(&x)
            .ok_or_else(|| unsupported(node, "input not computed"))?;
        emit(l, b, node, Op::Unary(f), vec![x], None)?;
        return Ok(());
    }
    scale_by_constant(l, b, node, false)
}

fn div(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    scale_by_constant(l, b, node, true)
}

/// `x·c` or `x/c` for a constant `c`.
fn scale_by_constant(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    divide: bool,
) -> Result<()> {
    let (ti, constant) = tensor_and_constant(l, node)?;
    let Some((ci, c)) = constant else {
        if divide {
            return Err(unsupported(node, "a division by a computed tensor"));
        }
        // Two computed tensors: the full-shape one first, the other broadcast over it.
        let (a, b2) = (l.tensor(node, 0)?, l.tensor(node, 1)?);
        let (sa, sb) = (b.shape(a).to_vec(), b.shape(b2).to_vec());
        let inputs = if crate::ops::mul::broadcast(&sa, &sb).is_ok() {
            vec![a, b2]
        } else if crate::ops::mul::broadcast(&sb, &sa).is_ok() {
            vec![b2, a]
        } else {
            return Err(unsupported(
                node,
                format!("operand shapes {sa:?} and {sb:?} (one must broadcast to the other)"),
            ));
        };
        emit(l, b, node, Op::Mul, inputs, None)?;
        return Ok(());
    };
    if divide && ci == 0 {
        return Err(unsupported(node, "a constant divided by a tensor"));
    }
    let values: Vec<f32> = c
        .values
        .iter()
        .map(|&v| if divide { (1.0 / v) as f32 } else { v as f32 })
        .collect();
    let c_shape = c.shape.clone();
    let x = l.tensor(node, ti)?;
    let axis = varying_axis(node, &c_shape, b.shape(x))?;
    let zeros = vec![0.0; values.len()];
    channel_affine(l, b, node, x, axis, &values, &zeros)?;
    Ok(())
}

fn sub(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let (ti, constant) = tensor_and_constant(l, node)?;
    let x = l.tensor(node, ti)?;
    match constant {
        // x - c
        Some((1, c)) => {
            let neg = Tensor::new(
                c.shape.clone(),
                c.values.iter().map(|&v| -v as f32).collect(),
            );
            emit(
                l,
                b,
                node,
                Op::Add(AddOperand::Constant(neg)),
                vec![x],
                None,
            )?;
        }
        // c - x = (-1)·x + c
        Some((_, c)) => {
            let c = c.to_tensor();
            let negated = negate(b, node, x)?;
            emit(
                l,
                b,
                node,
                Op::Add(AddOperand::Constant(c)),
                vec![negated],
                None,
            )?;
        }
        // x - y = x + (-1)·y
        None => {
            let y = l.tensor(node, 1)?;
            let negated = negate(b, node, y)?;
            emit(
                l,
                b,
                node,
                Op::Add(AddOperand::Tensor),
                vec![x, negated],
                None,
            )?;
        }
    }
    Ok(())
}

/// `-x`, as an intermediate tensor of `node`.
fn negate(b: &mut ModelBuilder, node: &NodeProto, x: TensorId) -> Result<TensorId> {
    let shape = b.shape(x).to_vec();
    let n: usize = shape.iter().product();
    let view = b.add(
        format!("{}/neg-view", node_name(node)),
        Op::Reshape,
        vec![x],
        format!("{}/neg-view", node_name(node)),
        Some(vec![1, n, 1, 1]),
    )?;
    let conv = Conv {
        weight: Tensor::new(vec![n, 1, 1, 1], vec![-1.0; n]),
        bias: vec![0.0; n],
        window: Window2d {
            kernel: [1, 1],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        },
        group: n,
    };
    let y = emit_part(b, node, "neg", Op::Conv(conv), vec![view], None)?;
    emit_part(b, node, "neg-shape", Op::Reshape, vec![y], Some(shape))
}

fn movement(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    inputs: Vec<TensorId>,
    map: std::result::Result<Gather, String>,
) -> Result<TensorId> {
    let g = map.map_err(|e| unsupported(node, e))?;
    emit(l, b, node, Op::Gather(g), inputs, None)
}

fn concat(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let inputs: Vec<TensorId> = (0..node.input.len())
        .map(|i| l.tensor(node, i))
        .collect::<Result<_>>()?;
    let shapes: Vec<&[usize]> = inputs.iter().map(|&t| b.shape(t)).collect();
    let map = maps::concat(&shapes, attr_int(node, "axis", 0));
    movement(l, b, node, inputs, map)?;
    Ok(())
}

fn slice(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let (starts, ends, axes, steps) = if node.input.len() > 1 {
        let c = |i: usize| -> Result<Option<Vec<i64>>> { Ok(l.constant(node, i)?.map(ints)) };
        (
            c(1)?.ok_or_else(|| unsupported(node, "missing starts"))?,
            c(2)?.ok_or_else(|| unsupported(node, "missing ends"))?,
            c(3)?,
            c(4)?,
        )
    } else {
        (
            attr_ints(node, "starts").ok_or_else(|| unsupported(node, "missing starts"))?,
            attr_ints(node, "ends").ok_or_else(|| unsupported(node, "missing ends"))?,
            attr_ints(node, "axes"),
            None,
        )
    };
    let map = maps::slice(&shape, &starts, &ends, axes.as_deref(), steps.as_deref());
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

fn split(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let axis = maps::axis_index(attr_int(node, "axis", 0), shape.len())
        .map_err(|e| unsupported(node, e))?;
    let parts = node.output.len();
    let sizes: Vec<i64> = match ints_attr_or_input(l, node, "split", 1)? {
        Some(s) => s,
        None => {
            let n = attr_int(node, "num_outputs", parts as i64).max(1) as usize;
            let each = shape[axis].div_ceil(n) as i64;
            (0..n)
                .map(|i| each.min(shape[axis] as i64 - each * i as i64))
                .collect()
        }
    };
    if sizes.len() != parts || sizes.iter().any(|&s| s <= 0) {
        return Err(unsupported(
            node,
            format!("split sizes {sizes:?} for {parts} outputs"),
        ));
    }
    let mut start = 0i64;
    for (i, &size) in sizes.iter().enumerate() {
        let g = maps::slice(
            &shape,
            &[start],
            &[start + size],
            Some(&[axis as i64]),
            None,
        )
        .map_err(|e| unsupported(node, e))?;
        start += size;
        let name = node.output[i].clone();
        let id = b.add(
            format!("{}/{i}", node_name(node)),
            Op::Gather(g),
            vec![x],
            name.clone(),
            None,
        )?;
        l.tensors.insert(name, id);
    }
    if start != shape[axis] as i64 {
        return Err(unsupported(
            node,
            format!("split sizes {sizes:?} do not add up to {}", shape[axis]),
        ));
    }
    Ok(())
}

fn transpose(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let perm = attr_ints(node, "perm");
    let map = maps::transpose(b.shape(x), perm.as_deref());
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

fn squeeze(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let axes = match ints_attr_or_input(l, node, "axes", 1)? {
        Some(a) => a
            .iter()
            .map(|&a| maps::axis_index(a, shape.len()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| unsupported(node, e))?,
        None => (0..shape.len()).filter(|&d| shape[d] == 1).collect(),
    };
    if axes.iter().any(|&a| shape[a] != 1) {
        return Err(unsupported(
            node,
            format!("axes {axes:?} of {shape:?} are not 1"),
        ));
    }
    let to: Vec<usize> = (0..shape.len())
        .filter(|d| !axes.contains(d))
        .map(|d| shape[d])
        .collect();
    emit(l, b, node, Op::Reshape, vec![x], Some(to))?;
    Ok(())
}

fn unsqueeze(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let axes =
        ints_attr_or_input(l, node, "axes", 1)?.ok_or_else(|| unsupported(node, "missing axes"))?;
    let rank = shape.len() + axes.len();
    let mut axes: Vec<usize> = axes
        .iter()
        .map(|&a| maps::axis_index(a, rank))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| unsupported(node, e))?;
    axes.sort_unstable();
    axes.dedup();
    if axes.len() + shape.len() != rank {
        return Err(unsupported(node, "repeated axes"));
    }
    let mut dims = shape.iter();
    let to: Vec<usize> = (0..rank)
        .map(|d| {
            if axes.contains(&d) {
                1
            } else {
                *dims.next().expect("counted")
            }
        })
        .collect();
    emit(l, b, node, Op::Reshape, vec![x], Some(to))?;
    Ok(())
}

fn pad(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let mode = attr_str(node, "mode").unwrap_or_else(|| "constant".into());
    if mode != "constant" {
        return Err(unsupported(node, format!("mode={mode} (only constant)")));
    }
    let x = l.tensor(node, 0)?;
    let pads =
        ints_attr_or_input(l, node, "pads", 1)?.ok_or_else(|| unsupported(node, "missing pads"))?;
    let value = match l.constant(node, 2)? {
        Some(c) => c.values.first().copied().unwrap_or(0.0),
        None => attr_float(node, "value", 0.0) as f64,
    };
    if value != 0.0 {
        return Err(unsupported(
            node,
            format!("constant_value={value} (only 0)"),
        ));
    }
    if l.constant(node, 3)?.is_some() {
        return Err(unsupported(node, "the axes input"));
    }
    let map = maps::pad(b.shape(x), &pads);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

fn gather(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let indices = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "indices must be constant"))?;
    let (idx, idx_shape) = (ints(indices), indices.shape.clone());
    let x = l.tensor(node, 0)?;
    let map = maps::gather(b.shape(x), attr_int(node, "axis", 0), &idx, &idx_shape);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

fn resize(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let mode = attr_str(node, "mode").unwrap_or_else(|| "nearest".into());
    if mode != "nearest" {
        return Err(unsupported(
            node,
            format!("mode={mode} (only nearest is supported yet)"),
        ));
    }
    if attr_ints(node, "axes").is_some() {
        return Err(unsupported(node, "the axes attribute"));
    }
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    // Upsample and opset-10 Resize: (X, scales), asymmetric coordinates rounded down.
    let legacy = node.op_type == "Upsample" || node.input.len() == 2;
    let (scales_input, sizes_input) = if legacy { (1, usize::MAX) } else { (2, 3) };
    let non_empty = |c: Option<&Const>| c.filter(|c| !c.values.is_empty()).cloned();
    let scales = non_empty(l.constant(node, scales_input)?);
    let sizes = if legacy {
        None
    } else {
        non_empty(l.constant(node, sizes_input)?)
    };
    let (out, scales): (Vec<usize>, Vec<f64>) = match (scales, sizes) {
        (_, Some(sizes)) => {
            let out: Vec<usize> = sizes.values.iter().map(|&v| v as usize).collect();
            let s = out
                .iter()
                .zip(&shape)
                .map(|(&o, &i)| o as f64 / i as f64)
                .collect();
            (out, s)
        }
        (Some(scales), None) => {
            let out = scales
                .values
                .iter()
                .zip(&shape)
                .map(|(&s, &i)| (i as f64 * s).floor() as usize)
                .collect();
            (out, scales.values.clone())
        }
        (None, None) => return Err(unsupported(node, "neither scales nor sizes")),
    };
    let (coordinates, nearest) = if legacy {
        (maps::CoordinateMode::Asymmetric, maps::NearestMode::Floor)
    } else {
        let c =
            attr_str(node, "coordinate_transformation_mode").unwrap_or_else(|| "half_pixel".into());
        let n = attr_str(node, "nearest_mode").unwrap_or_else(|| "round_prefer_floor".into());
        (
            maps::CoordinateMode::parse(&c).map_err(|e| unsupported(node, e))?,
            maps::NearestMode::parse(&n).map_err(|e| unsupported(node, e))?,
        )
    };
    let map = maps::resize_nearest(&shape, &out, &scales, coordinates, nearest);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

/// The reduced axes of a ReduceMean/GlobalMaxPool as the trailing one or two axes: the view
/// `[1, P, h, w]` whose spatial window they are.
fn trailing_view(node: &NodeProto, shape: &[usize], axes: &[usize]) -> Result<Vec<usize>> {
    let r = shape.len();
    let k = axes.len();
    let trailing = (1..=2).contains(&k) && r > k && axes.iter().all(|&a| a >= r - k);
    if !trailing || shape[0] != 1 {
        return Err(unsupported(
            node,
            format!("reducing axes {axes:?} of {shape:?} (only the last one or two)"),
        ));
    }
    let p: usize = shape[1..r - k].iter().product();
    Ok(if k == 1 {
        vec![1, p, 1, shape[r - 1]]
    } else {
        vec![1, p, shape[r - 2], shape[r - 1]]
    })
}

fn reduce_over(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    kind: PoolKind,
    axes: Vec<usize>,
    keepdims: bool,
) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let view = trailing_view(node, &shape, &axes)?;
    let viewed = if view != shape {
        emit_part(b, node, "view", Op::Reshape, vec![x], Some(view.clone()))?
    } else {
        x
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
        emit(l, b, node, Op::Pool(pool), vec![viewed], None)?;
    } else {
        let pooled = emit_part(b, node, "pool", Op::Pool(pool), vec![viewed], None)?;
        emit(l, b, node, Op::Reshape, vec![pooled], Some(out))?;
    }
    Ok(())
}

fn reduce_mean(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(
        l,
        b,
        node,
        PoolKind::Average {
            count_include_pad: false,
        },
    )
}

fn reduce_sum(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(l, b, node, PoolKind::Sum)
}

fn reduce_max(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    reduce(l, b, node, PoolKind::Max)
}

/// ReduceMean/ReduceSum/ReduceMax: axes as an attribute (before opset 18) or an input.
fn reduce(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto, kind: PoolKind) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let rank = b.shape(x).len();
    let axes: Vec<usize> = match ints_attr_or_input(l, node, "axes", 1)? {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|&a| maps::axis_index(a, rank))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| unsupported(node, e))?,
        _ if attr_int(node, "noop_with_empty_axes", 0) != 0 => {
            let x_id = x;
            l.tensors.insert(out_name(node), x_id);
            return Ok(());
        }
        _ => (0..rank).collect(),
    };
    let mut axes = axes;
    axes.sort_unstable();
    axes.dedup();
    let keepdims = attr_int(node, "keepdims", 1) != 0;
    reduce_over(l, b, node, kind, axes, keepdims)
}

fn expand(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let to = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "shape must be constant"))?;
    let shape = b.shape(x).to_vec();
    // ONNX Expand broadcasts both ways: the output has the larger of each dimension.
    let mut to: Vec<usize> = ints(to).iter().map(|&d| d.max(1) as usize).collect();
    if to.len() < shape.len() {
        to.splice(0..0, std::iter::repeat_n(1, shape.len() - to.len()));
    }
    let off = to.len() - shape.len();
    for (i, &d) in shape.iter().enumerate() {
        to[off + i] = to[off + i].max(d);
    }
    let map = maps::expand(&shape, &to);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

/// Softmax over the last axis (opset 13's default), or for older opsets over everything from
/// `axis` on (their flatten-to-2-D semantics), proven step by step:
/// `m = max(x)`, `e = exp(x - m)` (an elementwise add fused with the Exp table), `s = Σ e`,
/// `r = 1/s` (a table), `y = e·r` (a product). Every step is a core operator, so the quantizer
/// gives each intermediate its own scale from calibration. The normaliser `s` lies in
/// `[1, L]` for `L` classes: at B activation bits its relative precision is about `L/2^B`
/// where it is smallest, which bounds the output's error (fine for tens of classes; a
/// vocabulary-sized softmax needs the exact-division chip the transformer issue plans).
fn softmax(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let rank = shape.len();
    let opset13 = l.opset >= 13;
    let default_axis = if opset13 { -1 } else { 1 };
    let axis = maps::axis_index(attr_int(node, "axis", default_axis), rank)
        .map_err(|e| unsupported(node, e))?;
    if opset13 && shape[axis + 1..].iter().any(|&d| d != 1) {
        return Err(unsupported(
            node,
            format!("axis {axis} of {shape:?} (only the last non-trivial axis)"),
        ));
    }
    let len: usize = shape[axis..].iter().product();
    let rows: usize = shape[..axis].iter().product();
    let view = vec![1, rows, 1, len];
    let v = emit_part(b, node, "view", Op::Reshape, vec![x], Some(view.clone()))?;
    let row_window = Window2d {
        kernel: [1, len],
        stride: [1, 1],
        pads: [0; 4],
        dilation: [1, 1],
    };
    let pool = |kind| {
        Op::Pool(Pool {
            kind,
            window: row_window.clone(),
        })
    };
    let m = emit_part(b, node, "max", pool(PoolKind::Max), vec![v], None)?;
    let neg_m = negate(b, node, m)?;
    let spread = |b: &mut ModelBuilder, t: TensorId, part: &str| -> Result<TensorId> {
        let g = maps::expand(b.shape(t), &view).map_err(|e| unsupported(node, e))?;
        emit_part(b, node, part, Op::Gather(g), vec![t], None)
    };
    let neg_m = spread(b, neg_m, "max-spread")?;
    let d = emit_part(
        b,
        node,
        "shifted",
        Op::Add(AddOperand::Tensor),
        vec![v, neg_m],
        None,
    )?;
    let e = emit_part(b, node, "exp", Op::Unary(UnaryFn::Exp), vec![d], None)?;
    let s = emit_part(b, node, "sum", pool(PoolKind::Sum), vec![e], None)?;
    let r = emit_part(
        b,
        node,
        "reciprocal",
        Op::Unary(UnaryFn::Reciprocal),
        vec![s],
        None,
    )?;
    let r = spread(b, r, "reciprocal-spread")?;
    let y = emit_part(b, node, "normalised", Op::Mul, vec![e, r], None)?;
    emit(l, b, node, Op::Reshape, vec![y], Some(shape))?;
    Ok(())
}

fn global_max_pool(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let rank = b.shape(x).len();
    if rank < 3 {
        return Err(unsupported(node, format!("a rank-{rank} input")));
    }
    reduce_over(l, b, node, PoolKind::Max, (2..rank).collect(), true)
}

/// ONNX's 1-D window attributes as a 2-D window of height 1 over `[1, C, 1, L]`.
fn window_1d(node: &NodeProto, k: usize) -> Result<Window2d> {
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
    if let Some(pad) = attr_str(node, "auto_pad") {
        if !(pad.is_empty() || pad == "NOTSET" || pad == "VALID") {
            return Err(unsupported(node, format!("auto_pad={pad}")));
        }
    }
    if attr_int(node, "ceil_mode", 0) != 0 {
        return Err(unsupported(node, "ceil_mode=1 on a 1-D window"));
    }
    Ok(Window2d {
        kernel: [1, k],
        stride: [1, one("strides")?],
        pads,
        dilation: [1, one("dilations")?],
    })
}

/// 1-D Conv (weight `[O, I/g, k]` over `[1, C, L]`): a 2-D convolution of height 1.
pub(super) fn conv_1d(
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
    let window = window_1d(node, w.shape[2])?;
    let mut weight = w.to_tensor();
    weight.shape = vec![w.shape[0], w.shape[1], 1, w.shape[2]];
    let viewed = emit_part(
        b,
        node,
        "view",
        Op::Reshape,
        vec![x],
        Some(vec![1, shape[1], 1, shape[2]]),
    )?;
    let conv = Conv {
        weight,
        bias,
        window,
        group,
    };
    let y = emit_part(b, node, "conv2d", Op::Conv(conv), vec![viewed], None)?;
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

/// 1-D MaxPool/AveragePool over `[1, C, L]`.
pub(super) fn pool_1d(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    kind: PoolKind,
) -> Result<()> {
    let shape = b.shape(x).to_vec();
    let k = match attr_ints(node, "kernel_shape") {
        Some(v) if v.len() == 1 && v[0] >= 1 => v[0] as usize,
        v => return Err(unsupported(node, format!("kernel_shape={v:?}"))),
    };
    let window = window_1d(node, k)?;
    let viewed = emit_part(
        b,
        node,
        "view",
        Op::Reshape,
        vec![x],
        Some(vec![1, shape[1], 1, shape[2]]),
    )?;
    let y = emit_part(
        b,
        node,
        "pool2d",
        Op::Pool(Pool { kind, window }),
        vec![viewed],
        None,
    )?;
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
