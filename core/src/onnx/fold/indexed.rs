//! Constants computed through indices: ScatterND (LLaMA-family exports build their causal
//! mask by writing rows of a constant), GatherND (LeViT's attention biases, picked from a
//! learned table by constant indices, as PyTorch's dynamo exporter writes the indexing) and
//! CumSum (OPT's and RoBERTa's position ids from an attention mask held constant).

use super::{attr_int, attr_str, axis, ints, unsupported, Const, NodeProto};
use crate::error::Result;
use crate::tensor::strides;

/// ScatterND(data, indices, updates): a copy of `data` with the slices `indices` names replaced
/// by (or, with `reduction`, combined with) `updates`. Negative indices count from the end.
pub(super) fn scatter_nd(
    node: &NodeProto,
    data: &Const,
    indices: Option<&Const>,
    updates: Option<&Const>,
) -> Result<Const> {
    let indices_shape = indices
        .ok_or_else(|| unsupported(node, "no indices"))?
        .shape
        .clone();
    let index = ints(node, indices, "index")?;
    let updates = updates.ok_or_else(|| unsupported(node, "no updates"))?;
    let (&k, batch) = indices_shape
        .split_last()
        .ok_or_else(|| unsupported(node, "scalar indices"))?;
    let rank = data.shape.len();
    if k == 0 || k > rank {
        return Err(unsupported(
            node,
            format!("index tuples of {k} into a rank-{rank} tensor"),
        ));
    }
    let slice_shape = &data.shape[k..];
    let want: Vec<usize> = batch.iter().chain(slice_shape).copied().collect();
    if updates.shape != want {
        return Err(unsupported(
            node,
            format!(
                "updates of shape {:?} (the indices and data need {want:?})",
                updates.shape
            ),
        ));
    }
    let reduction = attr_str(node, "reduction").unwrap_or_else(|| "none".into());
    let combine: fn(f64, f64) -> f64 = match reduction.as_str() {
        "none" => |_, u| u,
        "add" => |a, u| a + u,
        "mul" => |a, u| a * u,
        "max" => f64::max,
        "min" => f64::min,
        other => return Err(unsupported(node, format!("reduction '{other}'"))),
    };
    let slice: usize = slice_shape.iter().product();
    let mut values = data.values.clone();
    for (t, tuple) in index.chunks(k).enumerate() {
        let start = tuple_offset(node, &data.shape, 0, tuple)?;
        for j in 0..slice {
            let v = &mut values[start + j];
            *v = combine(*v, updates.values[t * slice + j]);
        }
    }
    Ok(Const {
        shape: data.shape.clone(),
        values,
        integer: data.integer && updates.integer,
    })
}

/// Where the slice that index tuple `tuple` names over `shape`'s dimensions from `first` on
/// begins, in elements (negative indices count from the end).
fn tuple_offset(node: &NodeProto, shape: &[usize], first: usize, tuple: &[i64]) -> Result<usize> {
    let data_strides = strides(shape);
    let mut start = 0usize;
    for (j, &i) in tuple.iter().enumerate() {
        let d = first + j;
        let dim = shape[d] as i64;
        let at = if i < 0 { i + dim } else { i };
        if !(0..dim).contains(&at) {
            return Err(unsupported(
                node,
                format!("index {i} out of range for dimension {d} of {dim}"),
            ));
        }
        start += at as usize * data_strides[d];
    }
    Ok(start)
}

/// GatherND(data, indices, batch_dims): for each index tuple (the indices' last axis), the
/// slice of `data` it names, within its batch (the first `batch_dims` axes, shared by both).
pub(super) fn gather_nd(node: &NodeProto, data: &Const, indices: Option<&Const>) -> Result<Const> {
    let indices_shape = indices
        .ok_or_else(|| unsupported(node, "no indices"))?
        .shape
        .clone();
    let index = ints(node, indices, "index")?;
    let rank = data.shape.len();
    let b = usize::try_from(attr_int(node, "batch_dims", 0))
        .map_err(|_| unsupported(node, "negative batch_dims"))?;
    let (&k, outer) = indices_shape
        .split_last()
        .ok_or_else(|| unsupported(node, "scalar indices"))?;
    if k == 0 || b + k > rank || outer.len() < b || data.shape[..b] != indices_shape[..b] {
        return Err(unsupported(
            node,
            format!(
                "indices of shape {indices_shape:?} into data of shape {:?} with batch_dims {b}",
                data.shape
            ),
        ));
    }
    let slice_shape = &data.shape[b + k..];
    let slice: usize = slice_shape.iter().product();
    let batch_size: usize = data.shape[b..].iter().product();
    let tuples_per_batch: usize = outer[b..].iter().product();
    let mut values = Vec::with_capacity(index.len() / k * slice);
    for (t, tuple) in index.chunks(k).enumerate() {
        let batch = t / tuples_per_batch.max(1);
        let start = batch * batch_size + tuple_offset(node, &data.shape, b, tuple)?;
        values.extend_from_slice(&data.values[start..start + slice]);
    }
    Ok(Const {
        shape: outer.iter().chain(slice_shape).copied().collect(),
        values,
        integer: data.integer,
    })
}

/// CumSum(x, axis): running sums along the axis (`exclusive`: each before its element;
/// `reverse`: from the end).
pub(super) fn cumulative_sum(
    node: &NodeProto,
    x: &Const,
    axis_of: Option<&Const>,
) -> Result<Const> {
    let a = *ints(node, axis_of, "axis")?
        .first()
        .ok_or_else(|| unsupported(node, "an empty axis"))?;
    let rank = x.shape.len();
    if rank == 0 {
        return Err(unsupported(node, "a scalar input (CumSum needs an axis)"));
    }
    let a = axis(node, a, rank)?;
    let (exclusive, reverse) = (
        attr_int(node, "exclusive", 0) != 0,
        attr_int(node, "reverse", 0) != 0,
    );
    let len = x.shape[a];
    let inner: usize = x.shape[a + 1..].iter().product();
    let mut values = vec![0f64; x.values.len()];
    for outer in 0..x.values.len() / (len * inner).max(1) {
        for i in 0..inner {
            let at = |j: usize| outer * len * inner + j * inner + i;
            let mut sum = 0f64;
            for step in 0..len {
                let j = if reverse { len - 1 - step } else { step };
                if exclusive {
                    values[at(j)] = sum;
                    sum += x.values[at(j)];
                } else {
                    sum += x.values[at(j)];
                    values[at(j)] = sum;
                }
            }
        }
    }
    Ok(Const {
        shape: x.shape.clone(),
        values,
        integer: x.integer,
    })
}
