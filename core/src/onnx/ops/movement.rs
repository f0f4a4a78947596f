//! Data movement (Concat, Slice, Split, Transpose, Squeeze, Unsqueeze, Pad, Gather, Resize,
//! Expand): index maps of `crate::ops::gather`, or reshapes.

use super::*;
use crate::ops::gather::Pick;
use crate::ops::resample::{self, Kernel};

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
    // A learned constant among computed tensors (a ViT's class token before its patches)
    // becomes a tensor of its own beside the first computed input (all constants were folded).
    let source = node
        .input
        .iter()
        .find_map(|n| l.tensors.get(n).copied())
        .ok_or_else(|| unsupported(node, "no computed input"))?;
    let mut inputs = Vec::with_capacity(node.input.len());
    for (i, name) in node.input.iter().enumerate() {
        match l.tensors.get(name) {
            Some(&t) => inputs.push(t),
            None => {
                let c = l
                    .constant(node, i)?
                    .ok_or_else(|| unsupported(node, format!("no input {i}")))?
                    .clone();
                inputs.push(constant_tensor(b, node, source, &c, i)?);
            }
        }
    }
    let shapes: Vec<&[usize]> = inputs.iter().map(|&t| b.shape(t)).collect();
    let map = maps::concat(&shapes, attr_int(node, "axis", 0));
    movement(l, b, node, inputs, map)?;
    Ok(())
}

/// The constant `c` as a computed tensor: an affine step of weight 0 over copies of one value of
/// `source`, its bias the constant (so with hidden weights it is committed like any bias).
fn constant_tensor(
    b: &mut ModelBuilder,
    node: &NodeProto,
    source: TensorId,
    c: &Const,
    i: usize,
) -> Result<TensorId> {
    let n = c.values.len();
    if n == 0 || b.shape(source).iter().product::<usize>() == 0 {
        return Err(unsupported(node, format!("an empty constant input {i}")));
    }
    let copies = Gather {
        movement: crate::ops::gather::Movement::Concat,
        shape: c.shape.clone(),
        picks: vec![Pick::Input { slot: 0, index: 0 }; n],
    };
    let part = format!("constant-{i}");
    let copies = emit_part(b, node, &part, Op::Gather(copies), vec![source], None)?;
    let values: Vec<f32> = c.values.iter().map(|&v| v as f32).collect();
    affine_part(b, node, copies, None, &vec![0.0; n], &values)
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
    let rank = b.shape(x).len();
    // Opset 18's `axes` input: `pads` holds the begins then the ends of these axes only.
    let pads = match l.constant(node, 3)? {
        None => pads,
        Some(axes) => {
            let axes = ints(axes)
                .iter()
                .map(|&a| maps::axis_index(a, rank))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| unsupported(node, e))?;
            if pads.len() != 2 * axes.len() || (1..axes.len()).any(|i| axes[..i].contains(&axes[i]))
            {
                return Err(unsupported(
                    node,
                    format!("pads {pads:?} for axes {axes:?}"),
                ));
            }
            let mut full = vec![0i64; 2 * rank];
            for (k, &a) in axes.iter().enumerate() {
                full[a] = pads[k];
                full[rank + a] = pads[axes.len() + k];
            }
            full
        }
    };
    let map = maps::pad(b.shape(x), &pads);
    if value == 0.0 {
        movement(l, b, node, vec![x], map)?;
        return Ok(());
    }
    if !value.is_finite() {
        return Err(unsupported(node, format!("constant_value={value}")));
    }
    // Another constant: pad with zeros, then add the constant where the padding is (a constant
    // addend of the output's shape, zero over the input's elements).
    let g = map.map_err(|e| unsupported(node, e))?;
    let border: Vec<f32> = g
        .picks
        .iter()
        .map(|p| match p {
            Pick::Zero => value as f32,
            Pick::Input { .. } => 0.0,
        })
        .collect();
    let border = Tensor::new(g.shape.clone(), border);
    let padded = emit_part(b, node, "zero-padded", Op::Gather(g), vec![x], None)?;
    emit(
        l,
        b,
        node,
        Op::Add(AddOperand::Constant(border)),
        vec![padded],
        None,
    )?;
    Ok(())
}

pub(super) fn gather(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    if node.input.get(1).is_some_and(|i| l.tensors.contains_key(i)) {
        // Indices computed from the input: token ids into an embedding table.
        return embedding(l, b, node);
    }
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
    // None: nearest, a data movement; otherwise a resampling matrix per resized axis.
    let kernel = match mode.as_str() {
        "nearest" => None,
        "linear" => Some(Kernel::Linear),
        "cubic" => Some(Kernel::Cubic {
            a: attr_float(node, "cubic_coeff_a", -0.75) as f64,
            exclude_outside: attr_int(node, "exclude_outside", 0) != 0,
        }),
        other => return Err(unsupported(node, format!("mode={other}"))),
    };
    if kernel.is_some() && attr_int(node, "antialias", 0) != 0 {
        return Err(unsupported(node, format!("mode={mode} with antialias=1")));
    }
    let x = l.tensor(node, 0)?;
    let shape = b.shape(x).to_vec();
    let rank = shape.len();
    // Opset 18's `axes`: scales or sizes for these axes only, the others unchanged.
    let axes: Vec<usize> = match attr_ints(node, "axes") {
        None => (0..rank).collect(),
        Some(a) => {
            let axes = a
                .iter()
                .map(|&a| maps::axis_index(a, rank))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| unsupported(node, e))?;
            if (1..axes.len()).any(|i| axes[..i].contains(&axes[i])) {
                return Err(unsupported(node, format!("repeated axes {a:?}")));
            }
            axes
        }
    };
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
    let given = |c: &Const, what: &str| -> Result<Vec<f64>> {
        if c.values.len() != axes.len() {
            return Err(unsupported(
                node,
                format!("{} {what} for {} axes", c.values.len(), axes.len()),
            ));
        }
        Ok(c.values.clone())
    };
    let mut out = shape.clone();
    let mut scale = vec![1.0; rank];
    match (scales, sizes) {
        (_, Some(sizes)) => {
            let sizes = given(&sizes, "sizes")?;
            if sizes
                .iter()
                .any(|&v| !(v >= 1.0 && v <= crate::ir::MAX_TENSOR_ELEMENTS as f64))
            {
                return Err(unsupported(node, format!("sizes {sizes:?}")));
            }
            let policy =
                attr_str(node, "keep_aspect_ratio_policy").unwrap_or_else(|| "stretch".into());
            let ratios = axes.iter().zip(&sizes).map(|(&a, &v)| v / shape[a] as f64);
            let common = match policy.as_str() {
                "stretch" => None,
                "not_larger" => ratios.reduce(f64::min),
                "not_smaller" => ratios.reduce(f64::max),
                other => {
                    return Err(unsupported(
                        node,
                        format!("keep_aspect_ratio_policy={other}"),
                    ))
                }
            };
            for (&a, &v) in axes.iter().zip(&sizes) {
                match common {
                    None => {
                        out[a] = v as usize;
                        scale[a] = v / shape[a] as f64;
                    }
                    // One scale for every axis, each size rounded half up.
                    Some(c) => {
                        out[a] = (c * shape[a] as f64 + 0.5).floor() as usize;
                        scale[a] = c;
                    }
                }
            }
        }
        (Some(scales), None) => {
            for (&a, &s) in axes.iter().zip(&given(&scales, "scales")?) {
                if !(s.is_finite()
                    && s > 0.0
                    && s * shape[a] as f64 <= crate::ir::MAX_TENSOR_ELEMENTS as f64)
                {
                    return Err(unsupported(node, format!("scale {s} on axis {a}")));
                }
                out[a] = (shape[a] as f64 * s).floor() as usize;
                scale[a] = s;
            }
        }
        (None, None) => return Err(unsupported(node, "neither scales nor sizes")),
    };
    let scales = scale;
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
    let Some(kernel) = kernel else {
        let map = maps::resize_nearest(&shape, &out, &scales, coordinates, nearest);
        movement(l, b, node, vec![x], map)?;
        return Ok(());
    };
    // Each resized axis in turn: moved last, multiplied by its matrix, moved back.
    let axes: Vec<(usize, usize, f64)> = (0..rank)
        .filter(|&d| !(out[d] == shape[d] && scales[d] == 1.0))
        .map(|d| (d, out[d], scales[d]))
        .collect();
    let t = resample::resize_axes(
        b,
        x,
        &axes,
        coordinates,
        kernel,
        |e| unsupported(node, e),
        |b, part, op, t| emit_part(b, node, part, op, vec![t], None),
    )?;
    emit(l, b, node, Op::Reshape, vec![t], Some(out))?;
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

pub(super) fn depth_to_space(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let crd = match attr_str(node, "mode").as_deref() {
        None | Some("DCR") => false,
        Some("CRD") => true,
        Some(other) => return Err(unsupported(node, format!("mode={other}"))),
    };
    let map = maps::depth_to_space(b.shape(x), attr_int(node, "blocksize", 0), crd);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

pub(super) fn space_to_depth(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let map = maps::space_to_depth(b.shape(x), attr_int(node, "blocksize", 0));
    movement(l, b, node, vec![x], map)?;
    Ok(())
}

/// Tile by constant repeats.
pub(super) fn tile(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let repeats = l
        .constant(node, 1)?
        .map(ints)
        .ok_or_else(|| unsupported(node, "computed repeats (constant only)"))?;
    let map = maps::tile(b.shape(x), &repeats);
    movement(l, b, node, vec![x], map)?;
    Ok(())
}
