//! ConvTranspose, 2-D and 1-D (as height one): an ordinary convolution over the input spread by
//! the strides. A `Spread` data movement puts `stride - 1` zeros between neighbouring elements
//! and pads by `dilation·(k - 1) - pad` (a negative amount crops; `output_padding` adds to the
//! end), then a stride-1 Conv with the transposed, 180°-turned weight
//! ([`Conv::from_transposed`]) gives ONNX's output exactly. Both are core operators the circuit
//! already proves; the price is that the convolution also multiplies the inserted zeros
//! (stride² times the products of a direct scatter).

use super::*;

pub(super) fn conv_transpose(l: &mut Loader, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
    let x = l.tensor(node, 0)?;
    let w = l
        .constant(node, 1)?
        .ok_or_else(|| unsupported(node, "the weight must be a constant"))?
        .clone();
    let shape = b.shape(x).to_vec();
    let spatial = shape.len().saturating_sub(2);
    if !(1..=2).contains(&spatial) || w.shape.len() != shape.len() {
        return Err(unsupported(
            node,
            format!(
                "input {shape:?} with weight {:?} (1-D and 2-D only)",
                w.shape
            ),
        ));
    }
    if shape[0] != 1 {
        return Err(unsupported(
            node,
            format!("input {shape:?} holds several samples"),
        ));
    }
    let group = attr_int(node, "group", 1);
    if group < 1 || w.shape[0] != shape[1] || w.shape[0] % group as usize != 0 {
        return Err(unsupported(
            node,
            format!(
                "weight {:?} with group={group} for {} channels",
                w.shape, shape[1]
            ),
        ));
    }
    let per_axis = |name: &str, default: i64, min: i64| -> Result<Vec<i64>> {
        let v = attr_ints(node, name).unwrap_or_else(|| vec![default; spatial]);
        if v.len() != spatial || v.iter().any(|&a| !(min..=1 << 12).contains(&a)) {
            return Err(unsupported(node, format!("{name}={v:?}")));
        }
        Ok(v)
    };
    let kernel: Vec<i64> = w.shape[2..].iter().map(|&k| k as i64).collect();
    if attr_ints(node, "kernel_shape").is_some_and(|k| k != kernel) {
        return Err(unsupported(
            node,
            format!("kernel_shape differs from the weight {:?}", w.shape),
        ));
    }
    let strides = per_axis("strides", 1, 1)?;
    let dilations = per_axis("dilations", 1, 1)?;
    let output_padding = per_axis("output_padding", 0, 0)?;
    let sizes: Vec<i64> = shape[2..].iter().map(|&n| n as i64).collect();
    // Before padding: (n - 1)·stride + output_padding + dilation·(k - 1) + 1 per axis.
    let full: Vec<i64> = (0..spatial)
        .map(|i| {
            (sizes[i] - 1) * strides[i] + output_padding[i] + dilations[i] * (kernel[i] - 1) + 1
        })
        .collect();
    let auto_pad = attr_str(node, "auto_pad").unwrap_or_default();
    let target: Option<Vec<i64>> = match (attr_ints(node, "output_shape"), auto_pad.as_str()) {
        (Some(os), _) => Some(os[os.len().saturating_sub(spatial)..].to_vec()),
        (None, "SAME_UPPER" | "SAME_LOWER") => {
            Some((0..spatial).map(|i| sizes[i] * strides[i]).collect())
        }
        (None, "" | "NOTSET" | "VALID") => None,
        (None, other) => return Err(unsupported(node, format!("auto_pad={other}"))),
    };
    // Begins then ends, as ONNX writes pads.
    let pads: Vec<i64> = match target {
        Some(target) => {
            if target.len() != spatial {
                return Err(unsupported(node, format!("output_shape={target:?}")));
            }
            let mut pads = vec![0; 2 * spatial];
            for i in 0..spatial {
                // Negative when the requested output is larger than the full one: negative
                // pads, i.e. zeros (plus the bias) beyond it, as ONNX's reference gives.
                if !(1..=1 << 26).contains(&target[i]) {
                    return Err(unsupported(node, format!("output_shape={target:?}")));
                }
                let total = full[i] - target[i];
                if total.abs() > 1 << 20 {
                    return Err(unsupported(node, format!("output_shape={target:?}")));
                }
                // ONNX: SAME_UPPER puts the odd padding at the end, otherwise at the start
                // (halves rounded down, also below zero).
                let half = total.div_euclid(2);
                let (begin, end) = if auto_pad == "SAME_UPPER" {
                    (half, total - half)
                } else {
                    (total - half, half)
                };
                pads[i] = begin;
                pads[spatial + i] = end;
            }
            pads
        }
        None if auto_pad == "VALID" => vec![0; 2 * spatial],
        None => {
            let p = attr_ints(node, "pads").unwrap_or_else(|| vec![0; 2 * spatial]);
            if p.len() != 2 * spatial || p.iter().any(|&v| !(0..1 << 20).contains(&v)) {
                return Err(unsupported(node, format!("pads={p:?}")));
            }
            p
        }
    };
    // A 1-D tensor is viewed as `[1, C, 1, L]`: its axis is the window's second.
    let lift = 2 - spatial;
    let axis = |i: usize| i + lift; // spatial axis i of the node -> window axis of the view
    let mut steps = [1usize; 4];
    let mut spread_pads = [0i64; 8];
    let mut dilation = [1usize; 2];
    let mut weight = w.to_tensor();
    weight.shape = vec![w.shape[0], w.shape[1], 1, 1];
    for i in 0..spatial {
        let a = axis(i);
        weight.shape[2 + a] = kernel[i] as usize;
        steps[2 + a] = strides[i] as usize;
        dilation[a] = dilations[i] as usize;
        let reach = dilations[i] * (kernel[i] - 1);
        spread_pads[2 + a] = reach - pads[i];
        spread_pads[4 + 2 + a] = reach - pads[spatial + i] + output_padding[i];
    }
    let c_out = w.shape[1] * group as usize;
    let bias = match l.constant(node, 2)? {
        Some(c) if c.values.len() == c_out => c.values.iter().map(|&v| v as f32).collect(),
        Some(c) => {
            return Err(unsupported(
                node,
                format!("bias of {} values for {c_out} channels", c.values.len()),
            ))
        }
        None => vec![0.0; c_out],
    };
    let conv = Conv::from_transposed(&weight, bias, group as usize, dilation)
        .map_err(|e| unsupported(node, e))?;
    // The input spread by the strides; the ordinary convolution reads it.
    let spread = |b: &mut ModelBuilder, x: TensorId| -> Result<TensorId> {
        let map =
            maps::spread(b.shape(x), &steps, &spread_pads).map_err(|e| unsupported(node, e))?;
        emit_part(b, node, "spread", Op::Gather(map), vec![x], None)
    };
    if spatial == 1 {
        return in_height_one(l, b, node, x, |b, viewed| {
            let s = spread(b, viewed)?;
            emit_part(b, node, "conv", Op::Conv(conv), vec![s], None)
        });
    }
    let s = spread(b, x)?;
    emit(l, b, node, Op::Conv(conv), vec![s], None)?;
    Ok(())
}
