//! Operators exporters write that are compositions of core operators: Neg, Cast between float
//! types (and to integer types of integer tensors), Max/Min/Sum/Mean of any number of inputs,
//! ReduceMin/ReduceL1/ReduceL2 and LpNormalization, and the integer arithmetic of token ids
//! (RoBERTa's position ids: Equal to a constant, Not, CumSum).
//!
//! - `-x` is a scalar affine step of weight -1 (one weight, however large `x`).
//! - `max(a, b) = a + relu(b - a)` and `min(a, b) = a + min(0, b - a)`: a negation, a sum, a
//!   clip and a sum, each a step the circuit proves; a constant scalar operand is a Clip bound.
//! - `ReduceMin(x) = -ReduceMax(-x)`, `ReduceL1 = ReduceSum(|x|)`, `ReduceL2 = √ReduceSum(x·x)`,
//!   `LpNormalization = x / ‖x‖_p` along an axis (p = 1 by a reciprocal table, p = 2 by one
//!   `1/√s` table, then a broadcast product).

use super::*;
use crate::ir::Clip;

/// `Neg`: `-x`.
pub(super) fn neg(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let y = affine_part(b, node, x, None, &[-1.0], &[0.0])?;
    l.tensors.insert(out_name(node), y);
    Ok(())
}

/// `Cast` of a computed tensor to a float type: the identity. The model is read as the
/// real-valued network it computes: float16, bfloat16 and float32 roundings alike are replaced by
/// the proven fixed point (a half-precision model, `convert_float_to_float16` with its float32
/// inputs and outputs kept, casts in and out of float16 around every input and output). A cast
/// to an integer or boolean type is refused (its truncation is part of the function), unless
/// the tensor is known to hold integers.
pub(super) fn cast(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let integer = node
        .input
        .first()
        .is_some_and(|n| l.integer_valued.contains(n));
    // TensorProto's codes: FLOAT 1, FLOAT16 10, DOUBLE 11, BFLOAT16 16. Of a tensor known to
    // hold integers (token ids, booleans, their sums), a cast to an integer type changes no
    // value either (a cast to BOOL would: refused).
    let to = attr_int(node, "to", 0);
    let identity = matches!(to, 1 | 10 | 11 | 16)
        || integer && crate::onnx::is_integer_code(to) && to != crate::onnx::BOOL_CODE;
    if !identity {
        return Err(unsupported(
            node,
            format!(
                "a computed tensor cast to type {to} (an integer or boolean type; only casts \
                 to float types are the identity)"
            ),
        ));
    }
    let shape = b.shape(x).to_vec();
    emit(l, b, node, Op::Reshape, vec![x], Some(shape))?;
    Ok(())
}

/// The integer tensor `node` reads at input `i`, refused when it may hold other values.
fn integer_input(l: &Loader, node: &NodeProto, i: usize) -> Result<TensorId> {
    let x = l.tensor(node, i)?;
    if !node
        .input
        .get(i)
        .is_some_and(|n| l.integer_valued.contains(n))
    {
        return Err(unsupported(
            node,
            "a tensor that may hold non-integers (only integer tensors, such as token ids and \
             what is computed from them, are compared)",
        ));
    }
    Ok(x)
}

/// `Equal(x, c)` for an integer tensor `x` and an integral scalar constant `c`: 1 where
/// `|x - c| < ½`, the NearZero table of `x - c` (exact on integers).
pub(super) fn equal(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let (ti, constant) = tensor_and_constant(l, node)?;
    let Some((_, c)) = constant else {
        return Err(unsupported(
            node,
            "two computed operands (one must be a constant)",
        ));
    };
    let c = scalar_of(node, c, "a compared constant")?;
    if c.fract() != 0.0 {
        return Err(unsupported(
            node,
            format!("a comparison with {c}, not an integer"),
        ));
    }
    let x = integer_input(l, node, ti)?;
    let shifted = affine_part(b, node, x, None, &[1.0], &[-c])?;
    emit(
        l,
        b,
        node,
        Op::Unary(UnaryFn::NearZero),
        vec![shifted],
        None,
    )?;
    Ok(())
}

/// `Not(x)` of a boolean tensor: `1 - x`.
pub(super) fn not(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = integer_input(l, node, 0)?;
    let y = affine_part(b, node, x, None, &[-1.0], &[1.0])?;
    l.tensors.insert(out_name(node), y);
    Ok(())
}

/// `CumSum(x, axis)` along the last axis (`exclusive` and `reverse` as ONNX defines them): a
/// dense layer whose weights are the triangle of ones each output sums.
pub(super) fn cumsum(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let axis = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "a computed axis"))?;
    let axis = scalar_of(node, axis, "the axis")? as i64;
    let axis = maps::axis_index(axis, shape.len()).map_err(|e| unsupported(node, e))?;
    if axis + 1 != shape.len() {
        return Err(unsupported(
            node,
            format!("axis {axis} of {shape:?} (only the last)"),
        ));
    }
    let (exclusive, reverse) = (
        attr_int(node, "exclusive", 0) != 0,
        attr_int(node, "reverse", 0) != 0,
    );
    let n = shape[axis];
    let mut weight = vec![0f32; n * n];
    for o in 0..n {
        for i in 0..n {
            let summed = match (reverse, exclusive) {
                (false, false) => i <= o,
                (false, true) => i < o,
                (true, false) => i >= o,
                (true, true) => i > o,
            };
            weight[o * n + i] = if summed { 1.0 } else { 0.0 };
        }
    }
    let dense = Dense {
        weight: Tensor::new(vec![n, n], weight),
        bias: vec![0.0; n],
    };
    emit(l, b, node, Op::Dense(dense), vec![x], None)?;
    Ok(())
}

/// The node's inputs split into computed tensors and constants, in order.
fn operands<'a>(l: &'a Loader, node: &NodeProto) -> Result<(Vec<TensorId>, Vec<&'a Const>)> {
    let (mut computed, mut constants) = (vec![], vec![]);
    for (i, name) in node.input.iter().enumerate() {
        match (l.tensors.get(name), l.consts.get(name)) {
            (Some(&t), _) => computed.push(t),
            (None, Some(c)) => constants.push(c),
            (None, None) => return Err(unsupported(node, format!("input {i} is missing"))),
        }
    }
    if computed.is_empty() {
        return Err(unsupported(node, "no computed input"));
    }
    Ok((computed, constants))
}

/// `Max` and `Min` of any number of inputs (numpy broadcasting): computed inputs pairwise,
/// constants (scalars) as a Clip bound of the result.
pub(super) fn extremum(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let is_max = node.op_type == "Max";
    let (computed, constants) = operands(l, node)?;
    let mut bound: Option<f64> = None;
    for c in constants {
        if c.values.len() != 1 {
            return Err(unsupported(
                node,
                format!("a constant of shape {:?} (only scalars)", c.shape),
            ));
        }
        let v = c.values[0];
        if v.is_nan() {
            return Err(unsupported(node, "a NaN constant"));
        }
        bound = Some(bound.map_or(v, |w| if is_max { w.max(v) } else { w.min(v) }));
    }
    let last = computed.len() - 1;
    let mut acc = computed[0];
    for (i, &next) in computed.iter().enumerate().skip(1) {
        let (a, c) = broadcast_pair(b, node, acc, next)?;
        // b - a, then relu (max) or min(0, ·) (min), added back to a.
        let neg_a = negate(b, node, a, &format!("neg{i}"))?;
        let diff = emit_part(
            b,
            node,
            &format!("diff{i}"),
            Op::Add(AddOperand::Tensor),
            vec![c, neg_a],
            None,
        )?;
        let part = format!("clip{i}");
        let clip = Op::Clip(one_sided(is_max, 0.0));
        let clipped = emit_part(b, node, &part, clip, vec![diff], None)?;
        let op = Op::Add(AddOperand::Tensor);
        acc = if i == last && bound.is_none() {
            emit(l, b, node, op, vec![a, clipped], None)?
        } else {
            emit_part(b, node, &format!("sum{i}"), op, vec![a, clipped], None)?
        };
    }
    match bound {
        Some(v) => {
            let clip = Op::Clip(one_sided(is_max, v as f32));
            emit(l, b, node, clip, vec![acc], None)?;
        }
        None if computed.len() == 1 => {
            let shape = b.shape(acc).to_vec();
            emit(l, b, node, Op::Reshape, vec![acc], Some(shape))?;
        }
        None => {}
    }
    Ok(())
}

/// `max(x, at)` (`is_max`) or `min(x, at)` as a Clip bounded on one side.
fn one_sided(is_max: bool, at: f32) -> Clip {
    if is_max {
        Clip {
            min: at,
            max: f32::INFINITY,
        }
    } else {
        Clip {
            min: f32::NEG_INFINITY,
            max: at,
        }
    }
}

/// `Sum` and `Mean` of any number of inputs (numpy broadcasting): computed inputs added
/// pairwise, constants (all of one shape) added as one constant, the mean scaled by `1/n`.
pub(super) fn sum_or_mean(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let (computed, constants) = operands(l, node)?;
    let mut total: Option<Const> = None;
    for c in constants {
        total = Some(match total {
            None => c.clone(),
            Some(t) if t.shape == c.shape => Const {
                values: t.values.iter().zip(&c.values).map(|(a, b)| a + b).collect(),
                ..t
            },
            Some(t) => {
                return Err(unsupported(
                    node,
                    format!(
                        "constants of shapes {:?} and {:?} (constants must share a shape)",
                        t.shape, c.shape
                    ),
                ))
            }
        });
    }
    let mut acc = computed[0];
    for (i, &next) in computed.iter().enumerate().skip(1) {
        let (x, y) = broadcast_pair(b, node, acc, next)?;
        let part = format!("sum{i}");
        acc = emit_part(
            b,
            node,
            &part,
            Op::Add(AddOperand::Tensor),
            vec![x, y],
            None,
        )?;
    }
    if let Some(c) = total {
        let op = Op::Add(AddOperand::Constant(c.to_tensor()));
        acc = emit_part(b, node, "constants", op, vec![acc], None)?;
    }
    if node.op_type == "Mean" {
        let n = node.input.len() as f32;
        let y = affine_part(b, node, acc, None, &[1.0 / n], &[0.0])?;
        l.tensors.insert(out_name(node), y);
    } else {
        let shape = b.shape(acc).to_vec();
        emit(l, b, node, Op::Reshape, vec![acc], Some(shape))?;
    }
    Ok(())
}

/// `ReduceMin(x) = -ReduceMax(-x)`.
pub(super) fn reduce_min(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let negated = negate(b, node, x, "neg")?;
    let max = reduce_of(l, b, node, negated, PoolKind::Max, Target::Part("max"))?;
    let y = affine_part(b, node, max, None, &[-1.0], &[0.0])?;
    l.tensors.insert(out_name(node), y);
    Ok(())
}

/// `ReduceL1(x) = ReduceSum(|x|)`.
pub(super) fn reduce_l1(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let abs = emit_part(b, node, "abs", Op::Unary(UnaryFn::Abs), vec![x], None)?;
    reduce_of(l, b, node, abs, PoolKind::Sum, Target::Output)?;
    Ok(())
}

/// `ReduceL2(x) = √ReduceSum(x·x)`.
pub(super) fn reduce_l2(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let square = emit_part(b, node, "square", Op::Mul, vec![x, x], None)?;
    let sum = reduce_of(l, b, node, square, PoolKind::Sum, Target::Part("sum"))?;
    emit(l, b, node, Op::Unary(UnaryFn::Sqrt), vec![sum], None)?;
    Ok(())
}

/// `LpNormalization(axis, p)`: `x / ‖x‖_p` along `axis`, for p = 1 or 2 (ONNX allows no other).
pub(super) fn lp_normalization(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let rank = b.shape(x).len();
    let axis =
        maps::axis_index(attr_int(node, "axis", -1), rank).map_err(|e| unsupported(node, e))?;
    let (summand, f) = match attr_int(node, "p", 2) {
        1 => (Op::Unary(UnaryFn::Abs), UnaryFn::Reciprocal),
        2 => (
            Op::Mul,
            UnaryFn::InverseSqrt {
                epsilon: Param::new(0.0),
            },
        ),
        p => return Err(unsupported(node, format!("p={p} (1 or 2)"))),
    };
    let inputs = match summand {
        Op::Mul => vec![x, x],
        _ => vec![x],
    };
    let summand = emit_part(b, node, "summand", summand, inputs, None)?;
    let sum = reduce_over(
        l,
        b,
        node,
        summand,
        PoolKind::Sum,
        vec![axis],
        true,
        Target::Part("norm"),
    )?;
    times_function_of(l, b, node, x, (sum, f))
}

#[cfg(test)]
#[path = "composed_tests.rs"]
mod tests;
