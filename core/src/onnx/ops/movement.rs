//! Data movement (Concat, Slice, Split, Transpose, Squeeze, Unsqueeze, Pad, Gather, Resize,
//! Expand): index maps of `crate::ops::gather`, or reshapes.

use super::*;

pub(super) fn movement(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    inputs: Vec<TensorId>,
    map: std::result::Result<Gather, String>,
) -> Result<TensorId> {
    let g = map.map_err(|e| unsupported(node, e))?;
    emit(l, b, node, Op::Gather(g), inputs, None)
}

pub(super) fn concat(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let inputs: Vec<TensorId> = (0..node.input.len())
        .map(|i| l.tensor(node, i))
        .collect::<Result<_>>()?;
    let shapes: Vec<&[usize]> = inputs.iter().map(|&t| b.shape(t)).collect();
    let map = maps::concat(&shapes, attr_int(node, "axis", 0));
    movement(l, b, node, inputs, map)?;
    Ok(())
}

pub(super) fn slice(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn split(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn transpose(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let perm = attr_ints(node, "perm");
    let map = maps::transpose(b.shape(x), perm.as_deref());
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

pub(super) fn squeeze(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn unsqueeze(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn pad(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn gather(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let indices = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "indices must be constant"))?;
    let (idx, idx_shape) = (ints(indices), indices.shape.clone());
    let x = l.tensor(node, 0)?;
    let map = maps::gather(b.shape(x), attr_int(node, "axis", 0), &idx, &idx_shape);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

pub(super) fn resize(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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

pub(super) fn expand(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
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
