//! Shape arithmetic folded at load time: a `Shape` of a tensor whose shape is static becomes a
//! constant, and so does any node of [`FOLDABLE`] whose inputs are all constants.
//!
//! The same folding takes what exporters compute from weights and buffers at run time:
//! PyTorch's TorchScript exporter shares equal initializers and gives each other user an
//! `Identity` of it (a zero bias, a LayerNorm's default weight, a causal mask buffer in every
//! block); `1 / x.size(-1) ** 0.5` is a `Pow` of constants; `torch.triu` of a constant is a
//! `Trilu`; `cls.expand(x.shape[0], -1, -1)` is `Equal`/`Where`/`Expand` over shapes.
//!
//! Why: exporters compute reshape targets in the graph. PyTorch's `x.view(x.size(0), -1)`
//! exports as `Shape → Gather → Unsqueeze → Concat → Reshape`; Keras and TensorFlow exports do
//! the same with `Shape → Slice → Concat`. Every shape here is static (batch 1, fixed input),
//! so those subgraphs are constants, and the Reshape they feed reads a constant target as if
//! the exporter had written one. Nothing folded here reaches the circuit: the folded values are
//! integers of shapes, or constants that a mapped operator then reads as weights.

mod indexed;
mod products;

use super::{
    attr, attr_int, attr_ints, attr_str, bad_model, unsupported, Const, Loader, NodeProto,
};
use crate::error::Result;
use crate::ir::ModelBuilder;
use crate::tensor::strides;

/// The operators folded when all their inputs are constants.
pub(super) const FOLDABLE: &[&str] = &[
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Cast",
    "Slice",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Reshape",
    "Range",
    "ConstantOfShape",
    "Floor",
    "Ceil",
    "Neg",
    "Identity",
    "Pow",
    "Sqrt",
    "Reciprocal",
    "Exp",
    "Log",
    "Abs",
    "Sin",
    "Cos",
    "Not",
    "Equal",
    "Less",
    "Greater",
    "LessOrEqual",
    "GreaterOrEqual",
    "And",
    "Or",
    "Xor",
    "Max",
    "Min",
    "Where",
    "Expand",
    "Trilu",
    "Transpose",
    "Mod",
    "ReduceProd",
    "ReduceSum",
    "ReduceMax",
    "ReduceMin",
    "ScatterND",
    "GatherND",
    "CumSum",
    "MatMul",
    "Resize",
];

/// The most elements a folded constant may have beyond its largest input (a shape vector is a
/// handful; this only bounds what a malicious `ConstantOfShape`, `Range` or `Expand` could ask
/// for; a weight passed through `Identity` or `Transpose` keeps its size).
const MAX_FOLDED: usize = 1 << 20;

impl Loader {
    /// Folds `node` into a constant when it is shape arithmetic on constants (or a `Shape`):
    /// true if it did.
    pub(super) fn fold(&mut self, b: &ModelBuilder, node: &NodeProto) -> Result<bool> {
        let Some(out) = node.output.first().filter(|o| !o.is_empty()) else {
            return Ok(false);
        };
        if node.op_type == "Shape" {
            // A computed tensor's static shape, or a constant's (tf2onnx takes the shape of an
            // initializer to reshape by).
            let name = node.input.first().map(String::as_str).unwrap_or_default();
            let dims: Vec<usize> = match (self.tensors.get(name), self.consts.get(name)) {
                (Some(x), _) => b.shape(*x).to_vec(),
                (None, Some(c)) => c.shape.clone(),
                (None, None) => return Ok(false),
            };
            let rank = dims.len() as i64;
            let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
            let start = clamp(attr_int(node, "start", 0));
            let end = clamp(attr_int(node, "end", rank));
            let values: Vec<f64> = dims[start..end.max(start)]
                .iter()
                .map(|&d| d as f64)
                .collect();
            let c = Const {
                shape: vec![values.len()],
                values,
                integer: true,
            };
            self.consts.insert(out.clone(), c);
            return Ok(true);
        }
        if !FOLDABLE.contains(&node.op_type.as_str()) || node.input.is_empty() {
            return Ok(false);
        }
        let inputs: Vec<Option<&Const>> = node
            .input
            .iter()
            .map(|n| {
                if n.is_empty() {
                    None
                } else {
                    self.consts.get(n)
                }
            })
            .collect();
        let present = node.input.iter().filter(|n| !n.is_empty()).count();
        if inputs.iter().flatten().count() != present {
            return Ok(false);
        }
        let largest = inputs
            .iter()
            .flatten()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(0);
        let folded = fold_node(node, &inputs)?;
        if folded.values.len() > MAX_FOLDED.max(largest) {
            return Err(unsupported(node, "a folded constant of over 2^20 elements"));
        }
        self.consts.insert(out.clone(), folded);
        Ok(true)
    }
}

fn axis(node: &NodeProto, a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    usize::try_from(v)
        .ok()
        .filter(|&v| v < rank.max(1))
        .ok_or_else(|| unsupported(node, format!("axis {a} of a rank-{rank} constant")))
}

fn ints(node: &NodeProto, c: Option<&Const>, what: &str) -> Result<Vec<i64>> {
    let c = c.ok_or_else(|| unsupported(node, format!("no {what}")))?;
    c.values
        .iter()
        .map(|&v| {
            // Exporters write "to the end" as ±2^63 - 1 (a Slice's ends), which an f64 holds
            // only approximately: beyond 2^53 a value saturates to i64's extremes.
            let saturated = if v > 0.0 { i64::MAX } else { i64::MIN };
            (v.fract() == 0.0)
                .then_some(if v.abs() < 9.0e15 {
                    v as i64
                } else {
                    saturated
                })
                .ok_or_else(|| unsupported(node, format!("{what} {v} is not an integer")))
        })
        .collect()
}

fn fold_node(node: &NodeProto, inputs: &[Option<&Const>]) -> Result<Const> {
    let arg = |i: usize| {
        inputs
            .get(i)
            .copied()
            .flatten()
            .ok_or_else(|| unsupported(node, format!("missing input {i}")))
    };
    let x = arg(0)?;
    let same = |values: Vec<f64>, shape: Vec<usize>| Const {
        shape,
        values,
        integer: x.integer,
    };
    Ok(match node.op_type.as_str() {
        "Cast" => {
            // ONNX's integer and boolean types, by their TensorProto codes.
            let to = attr_int(node, "to", 1);
            let integer = super::is_integer_code(to);
            let values = if integer {
                x.values.iter().map(|v| v.trunc()).collect()
            } else {
                x.values.clone()
            };
            Const {
                shape: x.shape.clone(),
                values,
                integer,
            }
        }
        "Floor" => same(
            x.values.iter().map(|v| v.floor()).collect(),
            x.shape.clone(),
        ),
        "Ceil" => same(x.values.iter().map(|v| v.ceil()).collect(), x.shape.clone()),
        "Neg" => same(x.values.iter().map(|v| -v).collect(), x.shape.clone()),
        "Identity" => x.clone(),
        // A constant resized to its own size (DINOv2 interpolates its position embeddings to
        // the image's patch grid, which is the grid they were made for): every mode and
        // coordinate rule but cropping samples each element at its own position.
        "Resize" => {
            // Opset 10 reads (X, scales); later opsets (X, roi, scales, sizes).
            let scales_at = if inputs.len() == 2 { 1 } else { 2 };
            let sizes = inputs.get(3).copied().flatten();
            let target = match (sizes, inputs.get(scales_at).copied().flatten()) {
                (Some(sizes), _) => ints(node, Some(sizes), "size")?,
                (None, Some(scales)) if scales.values.len() == x.shape.len() => {
                    let mut sizes = Vec::with_capacity(x.shape.len());
                    for (&d, &s) in x.shape.iter().zip(&scales.values) {
                        sizes.push((d as f64 * s).floor() as i64);
                    }
                    sizes
                }
                _ => return Err(unsupported(node, "neither sizes nor scales for every axis")),
            };
            let own: Vec<i64> = x.shape.iter().map(|&d| d as i64).collect();
            let crop = attr_str(node, "coordinate_transformation_mode").as_deref()
                == Some("tf_crop_and_resize");
            if target != own || crop {
                return Err(unsupported(
                    node,
                    format!(
                        "a constant {:?} resized to {target:?} (only to its own size)",
                        x.shape
                    ),
                ));
            }
            x.clone()
        }
        "Sqrt" | "Reciprocal" | "Exp" | "Log" | "Abs" | "Sin" | "Cos" => {
            let f: fn(f64) -> f64 = match node.op_type.as_str() {
                "Sqrt" => f64::sqrt,
                "Reciprocal" => f64::recip,
                "Exp" => f64::exp,
                "Log" => f64::ln,
                "Abs" => f64::abs,
                "Sin" => f64::sin,
                _ => f64::cos,
            };
            Const {
                shape: x.shape.clone(),
                values: x.values.iter().map(|&v| f(v)).collect(),
                integer: x.integer && node.op_type == "Abs",
            }
        }
        "Not" => Const {
            shape: x.shape.clone(),
            values: x.values.iter().map(|&v| (v == 0.0) as u8 as f64).collect(),
            integer: true,
        },
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Equal" | "Less" | "Greater" | "LessOrEqual"
        | "GreaterOrEqual" | "And" | "Or" | "Xor" | "Max" | "Min" | "Mod" => {
            let y = arg(1)?;
            let (shape, [xi, yi]) = broadcast(node, [x, y])?;
            let comparison = matches!(
                node.op_type.as_str(),
                "Equal"
                    | "Less"
                    | "Greater"
                    | "LessOrEqual"
                    | "GreaterOrEqual"
                    | "And"
                    | "Or"
                    | "Xor"
            );
            let integer = comparison || (x.integer && y.integer);
            let mut values = Vec::with_capacity(xi.len());
            for (&i, &j) in xi.iter().zip(&yi) {
                let (a, b) = (x.values[i], y.values[j]);
                values.push(match node.op_type.as_str() {
                    "Add" => a + b,
                    "Sub" => a - b,
                    "Mul" => a * b,
                    "Pow" => a.powf(b),
                    "Equal" => (a == b) as u8 as f64,
                    "Less" => (a < b) as u8 as f64,
                    "Greater" => (a > b) as u8 as f64,
                    "LessOrEqual" => (a <= b) as u8 as f64,
                    "GreaterOrEqual" => (a >= b) as u8 as f64,
                    "And" => (a != 0.0 && b != 0.0) as u8 as f64,
                    "Or" => (a != 0.0 || b != 0.0) as u8 as f64,
                    "Xor" => ((a != 0.0) != (b != 0.0)) as u8 as f64,
                    "Max" => a.max(b),
                    "Min" => a.min(b),
                    // fmod=1: the dividend's sign (C's fmod); else the divisor's (Python's %).
                    "Mod" if b == 0.0 => {
                        return Err(unsupported(node, "a remainder of a division by zero"));
                    }
                    "Mod" if attr_int(node, "fmod", 0) != 0 => a % b,
                    "Mod" => a - b * (a / b).floor(),
                    _ if integer => {
                        if b == 0.0 {
                            return Err(unsupported(node, "an integer division by zero"));
                        }
                        (a / b).trunc()
                    }
                    _ => a / b,
                });
            }
            Const {
                shape,
                values,
                integer,
            }
        }
        "Where" => {
            let (then, otherwise) = (arg(1)?, arg(2)?);
            let (shape, [ci, ti, ei]) = broadcast(node, [x, then, otherwise])?;
            let values = (0..ci.len())
                .map(|k| {
                    if x.values[ci[k]] != 0.0 {
                        then.values[ti[k]]
                    } else {
                        otherwise.values[ei[k]]
                    }
                })
                .collect();
            Const {
                shape,
                values,
                integer: then.integer && otherwise.integer,
            }
        }
        "Expand" => {
            let dims = ints(node, Some(arg(1)?), "shape")?;
            let target: Vec<usize> = dims
                .iter()
                .map(|&d| {
                    usize::try_from(d).map_err(|_| unsupported(node, format!("dimension {d}")))
                })
                .collect::<Result<_>>()?;
            // Expand broadcasts both ways: a 1 in the target keeps the input's dimension.
            let ones = Const {
                shape: target,
                values: Vec::new(),
                integer: true,
            };
            let (shape, [xi, _]) = broadcast(node, [x, &ones])?;
            same(xi.iter().map(|&i| x.values[i]).collect(), shape)
        }
        "Trilu" => {
            let rank = x.shape.len();
            if rank < 2 {
                return Err(unsupported(node, "a constant of rank below 2"));
            }
            let k = match inputs.get(1).copied().flatten() {
                Some(c) => *ints(node, Some(c), "diagonal")?
                    .first()
                    .ok_or_else(|| unsupported(node, "an empty diagonal"))?,
                None => 0,
            };
            let upper = attr_int(node, "upper", 1) != 0;
            let (rows, cols) = (x.shape[rank - 2], x.shape[rank - 1]);
            let values = x
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let (r, c) = (
                        ((i / cols.max(1)) % rows.max(1)) as i64,
                        (i % cols.max(1)) as i64,
                    );
                    let keep = if upper { c - r >= k } else { c - r <= k };
                    if keep {
                        v
                    } else {
                        0.0
                    }
                })
                .collect();
            same(values, x.shape.clone())
        }
        "ReduceProd" | "ReduceSum" | "ReduceMax" | "ReduceMin" => reduce_constant(node, inputs, x)?,
        "ScatterND" => indexed::scatter_nd(
            node,
            x,
            inputs.get(1).copied().flatten(),
            inputs.get(2).copied().flatten(),
        )?,
        "GatherND" => indexed::gather_nd(node, x, inputs.get(1).copied().flatten())?,
        "CumSum" => indexed::cumulative_sum(node, x, inputs.get(1).copied().flatten())?,
        "MatMul" => products::matmul(node, x, inputs.get(1).copied().flatten())?,
        "Transpose" => {
            let rank = x.shape.len();
            let perm: Vec<usize> = match attr_ints(node, "perm") {
                Some(p) => p
                    .iter()
                    .map(|&a| axis(node, a, rank))
                    .collect::<Result<_>>()?,
                None => (0..rank).rev().collect(),
            };
            let mut seen = vec![false; rank];
            if perm.len() != rank || perm.iter().any(|&a| std::mem::replace(&mut seen[a], true)) {
                return Err(unsupported(node, format!("perm {perm:?} of rank {rank}")));
            }
            let shape: Vec<usize> = perm.iter().map(|&a| x.shape[a]).collect();
            let (os, xs) = (strides(&shape), strides(&x.shape));
            let values = (0..x.values.len())
                .map(|i| {
                    let j: usize = (0..rank)
                        .map(|d| (i / os[d]) % shape[d].max(1) * xs[perm[d]])
                        .sum();
                    x.values[j]
                })
                .collect();
            same(values, shape)
        }
        "Unsqueeze" | "Squeeze" => {
            let axes = match inputs.get(1).copied().flatten() {
                Some(a) => Some(ints(node, Some(a), "axes")?),
                None => attr_ints(node, "axes"),
            };
            let mut shape = x.shape.clone();
            if node.op_type == "Unsqueeze" {
                let axes = axes.ok_or_else(|| unsupported(node, "no axes"))?;
                let rank = shape.len() + axes.len();
                let mut at: Vec<usize> = axes
                    .iter()
                    .map(|&a| axis(node, a, rank))
                    .collect::<Result<_>>()?;
                at.sort_unstable();
                for a in at {
                    shape.insert(a.min(shape.len()), 1);
                }
            } else {
                let rank = shape.len();
                let mut at: Vec<usize> = match axes {
                    Some(axes) => axes
                        .iter()
                        .map(|&a| axis(node, a, rank))
                        .collect::<Result<_>>()?,
                    None => (0..rank).filter(|&d| shape[d] == 1).collect(),
                };
                at.sort_unstable();
                for a in at.into_iter().rev() {
                    if shape[a] != 1 {
                        return Err(unsupported(
                            node,
                            format!("squeezing axis {a} of size {}", shape[a]),
                        ));
                    }
                    shape.remove(a);
                }
            }
            same(x.values.clone(), shape)
        }
        "Reshape" => {
            let target = ints(node, arg(1).ok(), "shape")?;
            let n = x.values.len();
            let mut shape = Vec::with_capacity(target.len());
            let mut infer = None;
            for (d, &t) in target.iter().enumerate() {
                match t {
                    -1 if infer.is_none() => {
                        infer = Some(d);
                        shape.push(1);
                    }
                    0 => shape.push(*x.shape.get(d).unwrap_or(&0)),
                    t if t > 0 => shape.push(t as usize),
                    _ => return Err(unsupported(node, format!("shape {target:?}"))),
                }
            }
            let known: usize = shape.iter().product();
            if let Some(d) = infer {
                if known == 0 || n % known != 0 {
                    return Err(unsupported(node, format!("shape {target:?} of {n} values")));
                }
                shape[d] = n / known;
            }
            if shape.iter().product::<usize>() != n {
                return Err(unsupported(node, format!("shape {target:?} of {n} values")));
            }
            same(x.values.clone(), shape)
        }
        "Concat" => {
            let parts: Vec<&Const> = inputs.iter().flatten().copied().collect();
            let rank = x.shape.len();
            let a = axis(node, attr_int(node, "axis", 0), rank)?;
            let mut shape = x.shape.clone();
            shape[a] = 0;
            for p in &parts {
                if p.shape.len() != rank || (0..rank).any(|d| d != a && p.shape[d] != x.shape[d]) {
                    return Err(unsupported(node, "constants of different shapes"));
                }
                shape[a] += p.shape[a];
            }
            let outer: usize = shape[..a].iter().product();
            let mut values = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for p in &parts {
                    let block: usize = p.shape[a..].iter().product();
                    values.extend_from_slice(&p.values[o * block..(o + 1) * block]);
                }
            }
            Const {
                shape,
                values,
                integer: parts.iter().all(|p| p.integer),
            }
        }
        "Gather" => {
            let indices = arg(1)?;
            let idx = ints(node, Some(indices), "index")?;
            let rank = x.shape.len();
            let a = axis(node, attr_int(node, "axis", 0), rank)?;
            let dim = x.shape[a];
            let resolved: Vec<usize> = idx
                .iter()
                .map(|&i| {
                    crate::tensor::resolve_index(i, dim)
                        .ok_or_else(|| unsupported(node, format!("index {i} of {dim}")))
                })
                .collect::<Result<_>>()?;
            let outer: usize = x.shape[..a].iter().product();
            let inner: usize = x.shape[a + 1..].iter().product();
            let mut values = Vec::with_capacity(outer * resolved.len() * inner);
            for o in 0..outer {
                for &j in &resolved {
                    let at = (o * x.shape[a] + j) * inner;
                    values.extend_from_slice(&x.values[at..at + inner]);
                }
            }
            let mut shape = x.shape[..a].to_vec();
            shape.extend_from_slice(&indices.shape);
            shape.extend_from_slice(&x.shape[a + 1..]);
            same(values, shape)
        }
        "Slice" => {
            // Opset 10+: starts, ends, axes, steps as inputs; before, as attributes.
            let from_attr = inputs.len() == 1;
            let get = |i: usize, name: &str| -> Result<Option<Vec<i64>>> {
                if from_attr {
                    Ok(attr_ints(node, name))
                } else {
                    inputs
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|c| ints(node, Some(c), name))
                        .transpose()
                }
            };
            let starts = get(1, "starts")?.ok_or_else(|| unsupported(node, "no starts"))?;
            let ends = get(2, "ends")?.ok_or_else(|| unsupported(node, "no ends"))?;
            let axes = get(3, "axes")?;
            let steps = get(4, "steps")?;
            // The same ranges a Slice of computed tensors takes (negative steps included); a
            // constant may come out empty.
            let ranges = crate::ops::gather::maps::slice_ranges(
                &x.shape,
                &starts,
                &ends,
                axes.as_deref(),
                steps.as_deref(),
            )
            .map_err(|e| unsupported(node, e))?;
            let shape = ranges.out;
            let n: usize = shape.iter().product();
            let (os, xs) = (strides(&shape), strides(&x.shape));
            let values = (0..n)
                .map(|i| {
                    let j: i64 = (0..shape.len())
                        .map(|d| {
                            let k = ((i / os[d]) % shape[d].max(1)) as i64;
                            (ranges.begin[d] + k * ranges.step[d]) * xs[d] as i64
                        })
                        .sum();
                    x.values[j as usize]
                })
                .collect();
            same(values, shape)
        }
        "Range" => {
            let (start, limit, delta) = (
                x.values.first(),
                arg(1)?.values.first(),
                arg(2)?.values.first(),
            );
            let (Some(&start), Some(&limit), Some(&delta)) = (start, limit, delta) else {
                return Err(unsupported(node, "empty bounds"));
            };
            if delta == 0.0 {
                return Err(unsupported(node, "a step of 0"));
            }
            let n = ((limit - start) / delta).ceil().max(0.0);
            if n > MAX_FOLDED as f64 {
                return Err(unsupported(node, "a range of over 2^20 elements"));
            }
            let values: Vec<f64> = (0..n as usize).map(|i| start + i as f64 * delta).collect();
            same(values.clone(), vec![values.len()])
        }
        "ConstantOfShape" => {
            let dims = ints(node, Some(x), "shape")?;
            let shape: Vec<usize> = dims
                .iter()
                .map(|&d| {
                    usize::try_from(d).map_err(|_| unsupported(node, format!("dimension {d}")))
                })
                .collect::<Result<_>>()?;
            let n = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&n| n <= MAX_FOLDED)
                .ok_or_else(|| unsupported(node, "a constant of over 2^20 elements"))?;
            let (value, integer) = match attr(node, "value").and_then(|a| a.t.as_ref()) {
                Some(t) => {
                    let c = super::load_const(t)?;
                    (c.values.first().copied().unwrap_or(0.0), c.integer)
                }
                None => (0.0, false),
            };
            Const {
                shape,
                values: vec![value; n],
                integer,
            }
        }
        other => return Err(bad_model(format!("folding {other}"))),
    })
}

/// The numpy broadcast of the constants' shapes, and for each output element the index it
/// reads in each of them.
fn broadcast<const N: usize>(
    node: &NodeProto,
    parts: [&Const; N],
) -> Result<(Vec<usize>, [Vec<usize>; N])> {
    let shape = parts
        .iter()
        .try_fold(Vec::new(), |shape, c| {
            super::ops::broadcast_shape(&shape, &c.shape)
        })
        .ok_or_else(|| unsupported(node, "constants that do not broadcast"))?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| unsupported(node, "a constant of over 2^20 elements"))?;
    if n > MAX_FOLDED.max(parts.iter().map(|c| c.values.len()).max().unwrap_or(0)) {
        return Err(unsupported(node, "a constant of over 2^20 elements"));
    }
    let mut indices: [Vec<usize>; N] = std::array::from_fn(|_| Vec::new());
    for (c, idx) in parts.iter().zip(indices.iter_mut()) {
        *idx = crate::tensor::broadcast_indices(&c.shape, &shape)
            .ok_or_else(|| unsupported(node, "constants that do not broadcast"))?;
    }
    Ok((shape, indices))
}

/// A reduction of a constant (tf2onnx counts a LayerNorm's elements as
/// `ReduceProd(Gather(Shape(x), axes))`): the axes as an attribute or (opset 13's ReduceSum,
/// opset 18's others) input 1, all of them when none are given.
fn reduce_constant(node: &NodeProto, inputs: &[Option<&Const>], x: &Const) -> Result<Const> {
    let rank = x.shape.len();
    let given = match inputs.get(1).copied().flatten() {
        Some(a) => Some(ints(node, Some(a), "axes")?),
        None => attr_ints(node, "axes"),
    };
    let axes: Vec<usize> = match given {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|&a| axis(node, a, rank))
            .collect::<Result<_>>()?,
        _ if attr_int(node, "noop_with_empty_axes", 0) != 0 => return Ok(x.clone()),
        _ => (0..rank).collect(),
    };
    let keepdims = attr_int(node, "keepdims", 1) != 0;
    let kept: Vec<usize> = x
        .shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
        .collect();
    let (xs, ks) = (strides(&x.shape), strides(&kept));
    let (start, combine): (f64, fn(f64, f64) -> f64) = match node.op_type.as_str() {
        "ReduceProd" => (1.0, |a, v| a * v),
        "ReduceSum" => (0.0, |a, v| a + v),
        "ReduceMax" => (f64::NEG_INFINITY, f64::max),
        _ => (f64::INFINITY, f64::min),
    };
    let mut values = vec![start; kept.iter().product()];
    for (i, &v) in x.values.iter().enumerate() {
        let o: usize = (0..rank)
            .map(|d| {
                let at = (i / xs[d]) % x.shape[d].max(1);
                if axes.contains(&d) {
                    0
                } else {
                    at * ks[d]
                }
            })
            .sum();
        values[o] = combine(values[o], v);
    }
    let shape = if keepdims {
        kept
    } else {
        x.shape
            .iter()
            .enumerate()
            .filter(|(d, _)| !axes.contains(d))
            .map(|(_, &n)| n)
            .collect()
    };
    Ok(Const {
        shape,
        values,
        integer: x.integer,
    })
}

#[cfg(test)]
mod tests;
