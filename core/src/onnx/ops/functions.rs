//! Elementwise functions, BatchNormalization and arithmetic with constants or a second
//! tensor: onto `Op::Unary`, per-channel affine steps (depthwise 1×1 convolutions, or folded
//! into the convolution before), `Op::Add` and `Op::Mul`.

use super::*;

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
        "Log" => UnaryFn::Log,
        "Sqrt" => UnaryFn::Sqrt,
        "Mish" => UnaryFn::Mish,
        // ONNX's defaults, 1.67326319217681884765625 and 1.05070102214813232421875, are f32s.
        "Selu" => UnaryFn::Selu {
            alpha: param("alpha", f32::from_bits(0x3fd6_2d7d))?,
            gamma: param("gamma", f32::from_bits(0x3f86_7d5f))?,
        },
        "Celu" => match param("alpha", 1.0)? {
            alpha if alpha.get() == 0.0 => return Err(unsupported(node, "alpha=0")),
            alpha => UnaryFn::Celu { alpha },
        },
        "ThresholdedRelu" => UnaryFn::ThresholdedRelu {
            alpha: param("alpha", 1.0)?,
        },
        "Sin" => UnaryFn::Sin,
        "Cos" => UnaryFn::Cos,
        "Floor" => UnaryFn::Floor,
        "Ceil" => UnaryFn::Ceil,
        "Round" => UnaryFn::Round,
        "Sign" => UnaryFn::Sign,
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

pub(super) fn unary(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if l.fused_away.contains(&out_name(node)) {
        // Its one consumer, a Mul, becomes SiLU or HardSwish of this node's input.
        return Ok(());
    }
    let x = l.tensor(node, 0)?;
    emit(l, b, node, Op::Unary(unary_fn(node)?), vec![x], None)?;
    Ok(())
}

/// Which input of a binary node is a constant: (tensor input, constant) or None for two tensors.
pub(super) fn tensor_and_constant<'a>(
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
pub(super) fn varying_axis(node: &NodeProto, c: &[usize], x: &[usize]) -> Result<Option<usize>> {
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
pub(super) fn channel_affine(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    axis: Option<usize>,
    scale: &[f32],
    bias: &[f32],
) -> Result<TensorId> {
    let y = affine_part(b, node, x, axis, scale, bias)?;
    l.tensors.insert(out_name(node), y);
    Ok(y)
}

/// [`channel_affine`] as an intermediate tensor of `node` (named after it).
pub(super) fn affine_part(
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
        Some(a) => return affine_across(b, node, x, a, scale, bias),
        // A scalar scale and bias: one channel over every element (its weight and bias held
        // once, not once per element: hidden weights commit each).
        None if scale.len() == 1 && bias.len() == 1 => (1, vec![1, 1, n, 1]),
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
    let conv = Conv::depthwise_1x1(scale, bias);
    if view == shape {
        return emit_part(b, node, "affine", Op::Conv(conv), vec![x], None);
    }
    let viewed = emit_part(b, node, "view", Op::Reshape, vec![x], Some(view))?;
    let y = emit_part(b, node, "affine", Op::Conv(conv), vec![viewed], None)?;
    emit_part(b, node, "affine-shape", Op::Reshape, vec![y], Some(shape))
}

/// [`affine_part`] along an axis with other non-unit axes before it (a transformer's
/// per-feature scale on `[1, tokens, features]`): the axis moved first by a transpose (wiring),
/// the depthwise 1×1 convolution, and the transpose back.
fn affine_across(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    axis: usize,
    scale: &[f32],
    bias: &[f32],
) -> Result<TensorId> {
    let shape = b.shape(x).to_vec();
    let before: usize = shape[..axis].iter().product();
    let after: usize = shape[axis + 1..].iter().product();
    let c = shape[axis];
    let grouped = vec![before, c, after];
    let g = emit_part(
        b,
        node,
        "grouped",
        Op::Reshape,
        vec![x],
        Some(grouped.clone()),
    )?;
    let to_front = maps::transpose(&grouped, Some(&[1, 0, 2])).map_err(|e| unsupported(node, e))?;
    let front = emit_part(b, node, "axis-first", Op::Gather(to_front), vec![g], None)?;
    let y = affine_part(b, node, front, Some(0), scale, bias)?;
    let front_shape = vec![c, before, after];
    let back = maps::transpose(&front_shape, Some(&[1, 0, 2])).map_err(|e| unsupported(node, e))?;
    let y = emit_part(b, node, "axis-back", Op::Gather(back), vec![y], None)?;
    emit_part(b, node, "affine-back", Op::Reshape, vec![y], Some(shape))
}

pub(super) fn batch_norm(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if node.output.len() > 1 && node.output[1..].iter().any(|o| !o.is_empty()) {
        return Err(unsupported(
            node,
            "training outputs (running mean and variance)",
        ));
    }
    let x = l.tensor(node, 0)?;
    let computed = |i: usize| {
        node.input
            .get(i)
            .is_some_and(|n| !n.is_empty() && l.tensors.contains_key(n))
    };
    if computed(3) || computed(4) {
        return batch_norm_of_computed_statistics(l, b, node, x);
    }
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

/// BatchNormalization whose mean and variance are computed in the graph, as tf2onnx writes a
/// Keras LayerNormalization (the statistics of a `[1, 1, n, 1]` view, then a BatchNormalization
/// reading them): `(x - mean[c])·(var[c] + ε)^-½·scale[c] + bias[c]`, composed as the centred
/// values (the negated mean broadcast and added), one `1/√(v + ε)` table, a broadcast product and
/// the per-channel affine.
fn batch_norm_of_computed_statistics(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
) -> Result<()> {
    let shape = b.shape(x).to_vec();
    let c = *shape
        .get(1)
        .ok_or_else(|| unsupported(node, format!("input shape {shape:?}")))?;
    // A statistic: computed, or a constant made a computed tensor of the same per-channel shape.
    let per_channel: Vec<usize> = (0..shape.len())
        .map(|d| if d == 1 { c } else { 1 })
        .collect();
    let statistic =
        |l: &mut Loader, b: &mut ModelBuilder, i: usize, what: &str| -> Result<TensorId> {
            let t = l.tensor(node, i).map_err(|_| {
                unsupported(node, format!("a constant {what} beside a computed one"))
            })?;
            if b.shape(t).iter().product::<usize>() != c {
                return Err(unsupported(
                    node,
                    format!("a {what} of shape {:?} for {c} channels", b.shape(t)),
                ));
            }
            emit_part(
                b,
                node,
                &format!("{what}-channels"),
                Op::Reshape,
                vec![t],
                Some(per_channel.clone()),
            )
        };
    let mean = statistic(l, b, 3, "mean")?;
    let var = statistic(l, b, 4, "variance")?;
    let constant = |l: &Loader, i: usize, what: &str| -> Result<Vec<f32>> {
        let v = l
            .constant(node, i)?
            .ok_or_else(|| unsupported(node, format!("a computed {what}")))?;
        match v.values.len() {
            n if n == c => Ok(v.values.iter().map(|&a| a as f32).collect()),
            1 => Ok(vec![v.values[0] as f32; c]),
            _ => Err(unsupported(
                node,
                format!("a {what} of shape {:?}", v.shape),
            )),
        }
    };
    let (scale, bias) = (constant(l, 1, "scale")?, constant(l, 2, "bias")?);
    let epsilon = attr_float(node, "epsilon", 1e-5);
    if !(epsilon.is_finite() && epsilon >= 0.0) {
        return Err(unsupported(node, format!("epsilon {epsilon}")));
    }
    let neg_mean = negate(b, node, mean, "neg-mean")?;
    let g = maps::expand(&per_channel, &shape).map_err(|e| unsupported(node, e))?;
    let neg_mean = emit_part(b, node, "mean-spread", Op::Gather(g), vec![neg_mean], None)?;
    let centred = emit_part(
        b,
        node,
        "centred",
        Op::Add(AddOperand::Tensor),
        vec![x, neg_mean],
        None,
    )?;
    let inv = Op::Unary(UnaryFn::InverseSqrt {
        epsilon: Param::new(epsilon),
    });
    let inv_std = emit_part(b, node, "inverse-std", inv, vec![var], None)?;
    let identity = scale.iter().all(|&s| s == 1.0) && bias.iter().all(|&v| v == 0.0);
    if identity {
        emit(l, b, node, Op::Mul, vec![centred, inv_std], None)?;
        return Ok(());
    }
    let normed = emit_part(b, node, "normalised", Op::Mul, vec![centred, inv_std], None)?;
    channel_affine(l, b, node, normed, Some(1), &scale, &bias)?;
    Ok(())
}

/// Folds `y = s·(W·x + b) + t` into the weights and bias, `per` weights per output channel.
pub(super) fn fold(weight: &mut [f32], bias: &mut [f32], per: usize, s: &[f64], t: &[f64]) {
    for (o, (&s, &t)) in s.iter().zip(t).enumerate() {
        for w in &mut weight[o * per..(o + 1) * per] {
            *w = (*w as f64 * s) as f32;
        }
        bias[o] = (bias[o] as f64 * s + t) as f32;
    }
}

pub(super) fn mul(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    scale_by_constant(l, b, node, false)
}

pub(super) fn div(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    scale_by_constant(l, b, node, true)
}

/// `a · f(d)` for a computed divisor `d` and `f` the reciprocal or `1/√(· + ε)`: `f`'s table,
/// then the product with `f(d)` broadcast over `a`.
pub(super) fn times_function_of(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    a: TensorId,
    (d, f): (TensorId, UnaryFn),
) -> Result<()> {
    let (sa, sd) = (b.shape(a).to_vec(), b.shape(d).to_vec());
    let (part, divisor) = match f {
        UnaryFn::Reciprocal => ("reciprocal", ""),
        _ => ("inverse-root", "the root of "),
    };
    if crate::ops::mul::broadcast(&sa, &sd).is_err() {
        return Err(unsupported(
            node,
            format!(
                "dividing {sa:?} by {divisor}{sd:?} (the divisor must broadcast to the dividend)"
            ),
        ));
    }
    let r = emit_part(b, node, part, Op::Unary(f), vec![d], None)?;
    emit(l, b, node, Op::Mul, vec![a, r], None)?;
    Ok(())
}

/// `x·c` or `x/c` for a constant `c`.
pub(super) fn scale_by_constant(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    divide: bool,
) -> Result<()> {
    let (ti, constant) = tensor_and_constant(l, node)?;
    let Some((ci, c)) = constant else {
        if divide {
            // a / b = a · (1/b): the reciprocal by table, then a product.
            let (a, d) = (l.tensor(node, 0)?, l.tensor(node, 1)?);
            return times_function_of(l, b, node, a, (d, UnaryFn::Reciprocal));
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
        // c / x = c · (1/x), for a scalar c.
        let c = scalar_of(node, c, "a constant dividend")?;
        let x = l.tensor(node, ti)?;
        return function_times(l, b, node, x, UnaryFn::Reciprocal, c);
    }
    let values: Vec<f32> = c
        .values
        .iter()
        .map(|&v| if divide { (1.0 / v) as f32 } else { v as f32 })
        .collect();
    let c_shape = c.shape.clone();
    let x = l.tensor(node, ti)?;
    let x = widen_for_constant(b, node, x, &c_shape)?;
    let x_shape = b.shape(x).to_vec();
    let (axis, values) = match varying_axis(node, &c_shape, &x_shape) {
        Ok(axis) => (axis, values),
        // Varying along several axes (rotary embeddings' cos and sin over positions and
        // features, broadcast over heads): one factor per element.
        Err(e) => match crate::tensor::broadcast_indices(&c_shape, &x_shape) {
            Some(idx) => (None, idx.iter().map(|&i| values[i]).collect()),
            None => return Err(e),
        },
    };
    let zeros = vec![0.0; values.len()];
    channel_affine(l, b, node, x, axis, &values, &zeros)?;
    Ok(())
}

/// The one value of a constant that must be a scalar.
pub(super) fn scalar_of(node: &NodeProto, c: &Const, what: &str) -> Result<f32> {
    match c.values[..] {
        [v] if v.is_finite() => Ok(v as f32),
        _ => Err(unsupported(
            node,
            format!("{what} of shape {:?} (a finite scalar only)", c.shape),
        )),
    }
}

/// `c · f(x)` for a scalar `c`: `f`'s table, then (unless `c` is 1) the scale.
pub(super) fn function_times(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    f: UnaryFn,
    c: f32,
) -> Result<()> {
    if c == 1.0 {
        emit(l, b, node, Op::Unary(f), vec![x], None)?;
        return Ok(());
    }
    let y = emit_part(b, node, "function", Op::Unary(f), vec![x], None)?;
    channel_affine(l, b, node, y, None, &[c], &[0.0])?;
    Ok(())
}

pub(super) fn sub(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let (ti, constant) = tensor_and_constant(l, node)?;
    let x = l.tensor(node, ti)?;
    let x = match constant {
        Some((_, c)) => widen_for_constant(b, node, x, &c.shape)?,
        None => x,
    };
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
            let negated = negate(b, node, x, "neg")?;
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
            let negated = negate(b, node, y, "neg")?;
            let (x, negated) = broadcast_pair(b, node, x, negated)?;
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

/// `-x`, as intermediate tensors of `node` named after `part`.
pub(super) fn negate(
    b: &mut ModelBuilder,
    node: &NodeProto,
    x: TensorId,
    part: &str,
) -> Result<TensorId> {
    crate::ir::softmax::negate(b, &format!("{}/{part}", node_name(node)), x)
}

/// PRelu: a scalar slope is LeakyRelu's table; any other slope `s` (per channel, per element)
/// is `relu(x) - s·relu(-x)`, from core operators.
pub(super) fn prelu(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let slope = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "the slope must be constant"))?;
    let (slope_shape, slopes) = (
        slope.shape.clone(),
        slope.values.iter().map(|&v| v as f32).collect::<Vec<_>>(),
    );
    if slopes.iter().any(|v| !v.is_finite()) {
        return Err(unsupported(node, "a non-finite slope"));
    }
    if slopes.len() == 1 {
        let f = UnaryFn::LeakyRelu {
            alpha: Param::new(slopes[0]),
        };
        emit(l, b, node, Op::Unary(f), vec![x], None)?;
        return Ok(());
    }
    // One slope per channel (or along any one axis), or any other broadcast (Keras's PReLU
    // learns one per element by default): then each element its own channel.
    let x_shape = b.shape(x).to_vec();
    let (axis, neg_slopes): (Option<usize>, Vec<f32>) =
        match varying_axis(node, &slope_shape, &x_shape) {
            Ok(axis) => (axis, slopes.iter().map(|s| -s).collect()),
            Err(e) => {
                let Some(index) = crate::tensor::broadcast_indices(&slope_shape, &x_shape) else {
                    return Err(e);
                };
                (None, index.into_iter().map(|i| -slopes[i]).collect())
            }
        };
    let positive = emit_part(b, node, "positive", Op::Relu, vec![x], None)?;
    let negated = negate(b, node, x, "neg")?;
    let negative = emit_part(b, node, "negative", Op::Relu, vec![negated], None)?;
    let zeros = vec![0.0; neg_slopes.len()];
    let scaled = affine_part(b, node, negative, axis, &neg_slopes, &zeros)?;
    emit(
        l,
        b,
        node,
        Op::Add(AddOperand::Tensor),
        vec![positive, scaled],
        None,
    )?;
    Ok(())
}
