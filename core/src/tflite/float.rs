//! A float TFLite graph lowered to the float IR (NCHW), which our calibration then quantizes
//! like an ONNX model. Fused activations become separate Relu/Clip nodes; MUL by a per-channel
//! constant becomes a 1×1 depthwise convolution; PAD folds into the next convolution.

use super::{
    filter_to_oihw, nchw, nhwc_flat_index, pad_amounts, reshape_keeps_order, unsupported, window,
    FusedActivation, TfGraph, TfOpKind, TfTensor, TfType,
};
use crate::error::{Error, Result};
use crate::ir::{
    AddOperand, Clip, Conv, Dense, Model, ModelBuilder, Op, Pool, PoolKind, TensorId, Window2d,
};
use crate::ops::gather::{Gather, Movement, Pick};
use crate::tensor::Tensor;

#[derive(Clone, Copy)]
struct Mapped {
    id: TensorId,
    pads: [usize; 4],
}

/// The float model of `g`. A final SOFTMAX is left out unless [`super::FinalSoftmax::Proven`];
/// a proven one over one row with beta 1 (anywhere in the graph) is composed of core operators
/// ([`crate::ir::softmax`]); any other is refused here and taken by the ONNX mapping.
pub fn lower(g: &TfGraph, final_softmax: super::FinalSoftmax) -> Result<Model> {
    let input = &g.tensors[g.input];
    if input.shape.first() != Some(&1) {
        return Err(Error::InvalidModel(format!(
            "input '{}' has shape {:?}; batch size 1 is required",
            input.name, input.shape
        )));
    }
    let mut b = ModelBuilder::new(g.name.clone(), input.name.clone(), nchw(&input.shape))?;
    let mut map: Vec<Option<Mapped>> = vec![None; g.tensors.len()];
    map[g.input] = Some(Mapped {
        id: 0,
        pads: [0; 4],
    });
    let mut output = g.output;
    for (n, op) in g.ops.iter().enumerate() {
        let name = op.name(g);
        // A final SOFTMAX (unless asked for), LOG_SOFTMAX or ARG_MAX is left outside the proof.
        if let Some(logits) = super::outside_tail_input(g, n, g.output, final_softmax) {
            output = logits;
            break;
        }
        let out_t = &g.tensors[op.outputs[0]];
        if out_t.dtype != TfType::F32 {
            return Err(Error::InvalidModel(format!(
                "'{name}' writes {:?} in a float model",
                out_t.dtype
            )));
        }
        let get = |i: usize| -> Result<(Mapped, &TfTensor)> {
            let t =
                op.inputs.get(i).copied().flatten().ok_or_else(|| {
                    Error::InvalidModel(format!("operator '{name}' lacks input {i}"))
                })?;
            let m = map[t].ok_or_else(|| {
                Error::InvalidModel(format!(
                    "'{name}' reads tensor '{}' before it is written",
                    g.tensors[t].name
                ))
            })?;
            Ok((m, &g.tensors[t]))
        };
        let no_pads = |m: Mapped| -> Result<TensorId> {
            if m.pads != [0; 4] {
                return Err(unsupported(
                    "PAD",
                    &name,
                    " (a PAD is only supported in front of a convolution)",
                ));
            }
            Ok(m.id)
        };
        let (id, act) = match &op.kind {
            TfOpKind::LogSoftmax | TfOpKind::ArgMax => return Err(super::not_a_final_tail(op, g)),
            TfOpKind::Softmax { beta } => {
                if final_softmax == super::FinalSoftmax::Outside {
                    // Not at the end (see above): proven through the ONNX mapping.
                    return Err(unsupported(
                        "SOFTMAX",
                        &name,
                        " in the middle of a float model in the direct lowering",
                    ));
                }
                // Proven here over one row (a classifier's); over rows, or with another beta,
                // through the ONNX mapping.
                let (x, xt) = get(0)?;
                let len = xt.len();
                let one_row = xt
                    .shape
                    .split_last()
                    .is_none_or(|(_, lead)| lead.iter().all(|&d| d == 1));
                if beta.get() != 1.0 || !one_row || xt.shape != out_t.shape {
                    return Err(unsupported(
                        "SOFTMAX",
                        &name,
                        &format!(
                            " of {:?} to {:?} with beta {} (proven here over one row with beta                              1; leave out --prove-softmax to prove the logits)",
                            xt.shape,
                            out_t.shape,
                            beta.get()
                        ),
                    ));
                }
                let view = b.add(
                    format!("{name}/view"),
                    Op::Reshape,
                    vec![no_pads(x)?],
                    format!("{name}/view"),
                    Some(vec![1, 1, 1, len]),
                )?;
                let kind = crate::ir::softmax::SoftmaxKind::Softmax { mask: None };
                let y = crate::ir::softmax::softmax_rows(&mut b, &name, view, kind)?;
                let id = b.add(
                    &name,
                    Op::Reshape,
                    vec![y],
                    &out_t.name,
                    Some(nchw(&out_t.shape)),
                )?;
                (id, FusedActivation::None)
            }
            TfOpKind::Conv2d { .. } | TfOpKind::DepthwiseConv2d { .. } => {
                let Some(super::Convolution {
                    padding,
                    stride,
                    dilation,
                    depth_multiplier,
                    act,
                }) = op.kind.convolution()
                else {
                    unreachable!("a convolution has its options")
                };
                let (x, xt) = get(0)?;
                let filter = op.input(g, 1)?;
                if xt.shape.len() != 4 {
                    return Err(Error::InvalidModel(format!(
                        "convolution '{name}' needs a 4-D input"
                    )));
                }
                let cin = xt.shape[3];
                let (w, cout, group) =
                    filter_to_oihw(filter, &filter.f32_data()?, cin, depth_multiplier, &name)?;
                let (kh, kw) = (filter.shape[1], filter.shape[2]);
                let bias = match op.optional_input(g, 2) {
                    Some(t) => t.f32_data()?,
                    None => vec![0.0; cout],
                };
                let mut window = window(xt, padding, [kh, kw], stride, dilation, &name)?;
                for (p, e) in window.pads.iter_mut().zip(x.pads) {
                    *p += e;
                }
                let conv = Conv {
                    weight: Tensor::new(vec![cout, cin / group, kh, kw], w),
                    bias,
                    window,
                    group,
                };
                let id = b.add(&name, Op::Conv(conv), vec![x.id], &out_t.name, None)?;
                (id, act)
            }
            TfOpKind::AveragePool2d {
                padding,
                stride,
                filter,
                act,
            }
            | TfOpKind::MaxPool2d {
                padding,
                stride,
                filter,
                act,
            } => {
                let (x, xt) = get(0)?;
                let kind = if matches!(op.kind, TfOpKind::MaxPool2d { .. }) {
                    PoolKind::Max
                } else {
                    // TFLite divides by the number of in-bounds taps.
                    PoolKind::Average {
                        count_include_pad: false,
                    }
                };
                let pool = Pool {
                    kind,
                    window: window(xt, *padding, *filter, *stride, [1, 1], &name)?,
                };
                let id = b.add(&name, Op::Pool(pool), vec![no_pads(x)?], &out_t.name, None)?;
                (id, *act)
            }
            TfOpKind::Add { act } | TfOpKind::Mul { act } => {
                let is_mul = matches!(op.kind, TfOpKind::Mul { .. });
                let (x, xt) = get(0)?;
                let x = no_pads(x)?;
                let other = op.input(g, 1)?;
                let id = if other.data.is_some() {
                    let c = other.f32_data()?;
                    let channels = *xt.shape.last().unwrap_or(&1);
                    let per_channel = other.len() == channels || other.len() == 1;
                    if !per_channel {
                        return Err(unsupported(
                            if is_mul { "MUL" } else { "ADD" },
                            &name,
                            &format!(" by a constant of shape {:?}", other.shape),
                        ));
                    }
                    let c: Vec<f32> = (0..channels).map(|i| c[i % c.len()]).collect();
                    if is_mul {
                        // y[c] = s[c]·x[c]: a 1×1 depthwise convolution.
                        let (ch, op_shape) = (channels, b.shape(x).to_vec());
                        if op_shape.len() != 4 {
                            return Err(unsupported("MUL", &name, " of a non-4-D tensor"));
                        }
                        let conv = Conv::depthwise_1x1(c, vec![0.0; ch]);
                        b.add(&name, Op::Conv(conv), vec![x], &out_t.name, None)?
                    } else {
                        let shape = if b.shape(x).len() == 4 {
                            vec![1, channels, 1, 1]
                        } else {
                            vec![1, channels]
                        };
                        let operand = AddOperand::Constant(Tensor::new(shape, c));
                        b.add(&name, Op::Add(operand), vec![x], &out_t.name, None)?
                    }
                } else if is_mul {
                    // Two tensors, one broadcast over the other (squeeze-and-excite).
                    let (y, _) = get(1)?;
                    let y = no_pads(y)?;
                    let (sx, sy) = (b.shape(x).to_vec(), b.shape(y).to_vec());
                    let ins = if crate::ops::mul::broadcast(&sx, &sy).is_ok() {
                        vec![x, y]
                    } else if crate::ops::mul::broadcast(&sy, &sx).is_ok() {
                        vec![y, x]
                    } else {
                        return Err(unsupported(
                            "MUL",
                            &name,
                            &format!(" of shapes {sx:?} and {sy:?}"),
                        ));
                    };
                    b.add(&name, Op::Mul, ins, &out_t.name, None)?
                } else {
                    let (y, yt) = get(1)?;
                    if yt.shape != xt.shape {
                        return Err(unsupported("ADD", &name, " with broadcasting"));
                    }
                    b.add(
                        &name,
                        Op::Add(AddOperand::Tensor),
                        vec![x, no_pads(y)?],
                        &out_t.name,
                        None,
                    )?
                };
                (id, *act)
            }
            TfOpKind::Activation(a) => (no_pads(get(0)?.0)?, *a),
            TfOpKind::Sub { act } => {
                let (x, xt) = get(0)?;
                let x = no_pads(x)?;
                let other = op.input(g, 1)?;
                let id = if other.data.is_some() {
                    // x - c is x + (-c), per channel or a scalar.
                    let c = other.f32_data()?;
                    let channels = *xt.shape.last().unwrap_or(&1);
                    if other.len() != channels && other.len() != 1 {
                        return Err(unsupported(
                            "SUB",
                            &name,
                            &format!(" of a constant of shape {:?}", other.shape),
                        ));
                    }
                    let c: Vec<f32> = (0..channels).map(|i| -c[i % c.len()]).collect();
                    let shape = if b.shape(x).len() == 4 {
                        vec![1, channels, 1, 1]
                    } else {
                        vec![1, channels]
                    };
                    let operand = AddOperand::Constant(Tensor::new(shape, c));
                    b.add(&name, Op::Add(operand), vec![x], &out_t.name, None)?
                } else {
                    // x - y is x + (-1)·y, the negation a 1×1 depthwise convolution.
                    let (y, yt) = get(1)?;
                    let y = no_pads(y)?;
                    if yt.shape != xt.shape || yt.shape.len() != 4 {
                        return Err(unsupported(
                            "SUB",
                            &name,
                            " with broadcasting or of tensors that are not 4-D",
                        ));
                    }
                    let channels = yt.shape[3];
                    let negate = Conv::depthwise_1x1(vec![-1.0; channels], vec![0.0; channels]);
                    let negated = b.add(
                        format!("{name}/negate"),
                        Op::Conv(negate),
                        vec![y],
                        format!("{}/negated", out_t.name),
                        None,
                    )?;
                    b.add(
                        &name,
                        Op::Add(AddOperand::Tensor),
                        vec![x, negated],
                        &out_t.name,
                        None,
                    )?
                };
                (id, *act)
            }
            TfOpKind::ResizeNearest {
                align_corners,
                half_pixel_centers,
            } => {
                let (x, xt) = get(0)?;
                let size = super::resize_size(op, g)?;
                let rule = super::movement::NearestRule {
                    align_corners: *align_corners,
                    half_pixel_centers: *half_pixel_centers,
                    fixed_point: false,
                };
                let (shape, picks) = super::movement::resize_nearest(&xt.shape, size, rule)
                    .map_err(|e| {
                        unsupported("RESIZE_NEAREST_NEIGHBOR", &name, &format!(" ({e})"))
                    })?;
                let id = b.add(
                    &name,
                    movement_op(Movement::Resize, &shape, picks),
                    vec![no_pads(x)?],
                    &out_t.name,
                    None,
                )?;
                (id, FusedActivation::None)
            }
            TfOpKind::Window { .. }
            | TfOpKind::Pack { .. }
            | TfOpKind::Gather { .. }
            | TfOpKind::DepthSpace { .. } => {
                let (shape, picks, slots) = super::slicing::picks_of(op, g)?;
                if shape != out_t.shape {
                    return Err(Error::InvalidModel(format!(
                        "'{name}' computes shape {shape:?}; the model declares {:?}",
                        out_t.shape
                    )));
                }
                let inputs = slots
                    .iter()
                    .map(|&i| no_pads(get(i)?.0))
                    .collect::<Result<Vec<_>>>()?;
                let movement = super::slicing::movement_kind(&op.kind);
                let id = b.add(
                    &name,
                    movement_op(movement, &shape, picks),
                    inputs,
                    &out_t.name,
                    None,
                )?;
                (id, FusedActivation::None)
            }
            TfOpKind::Transpose => {
                let (x, xt) = get(0)?;
                let perm = op.input(g, 1)?.int_data()?;
                let (shape, picks) = super::movement::transpose(&xt.shape, &perm)
                    .map_err(|e| unsupported("TRANSPOSE", &name, &format!(" ({e})")))?;
                let id = b.add(
                    &name,
                    movement_op(Movement::Transpose, &shape, picks),
                    vec![no_pads(x)?],
                    &out_t.name,
                    None,
                )?;
                (id, FusedActivation::None)
            }
            TfOpKind::Tile => {
                let (x, xt) = get(0)?;
                let multiples = op.input(g, 1)?.int_data()?;
                let (shape, picks) = super::movement::tile(&xt.shape, &multiples)
                    .map_err(|e| unsupported("TILE", &name, &format!(" ({e})")))?;
                let id = b.add(
                    &name,
                    movement_op(Movement::Tile, &shape, picks),
                    vec![no_pads(x)?],
                    &out_t.name,
                    None,
                )?;
                (id, FusedActivation::None)
            }
            TfOpKind::BatchMatMul { .. }
            | TfOpKind::Sum { .. }
            | TfOpKind::Square
            | TfOpKind::SquaredDifference
            | TfOpKind::Div { .. }
            | TfOpKind::Prelu
            | TfOpKind::Extremum { .. }
            | TfOpKind::TransposeConv { .. }
            | TfOpKind::ReduceMax { .. } => {
                // Lowered through the ONNX mapping instead (`super::as_onnx`).
                return Err(unsupported(op.kind.name(), &name, ""));
            }
            TfOpKind::Quantize | TfOpKind::Dequantize => {
                return Err(unsupported(
                    op.kind.name(),
                    &name,
                    " in a float model (it is supported in int8 and uint8 models)",
                ))
            }
            TfOpKind::ResizeBilinear {
                align_corners,
                half_pixel_centers,
            } => {
                let (x, _) = get(0)?;
                let x = no_pads(x)?;
                let size = super::resize_size(op, g)?;
                let id =
                    resize_bilinear(&mut b, &name, x, size, *align_corners, *half_pixel_centers)
                        .map_err(|e| unsupported("RESIZE_BILINEAR", &name, &format!(" ({e})")))?;
                let shape = b.shape(id).to_vec();
                let id = b.add(&name, Op::Reshape, vec![id], &out_t.name, Some(shape))?;
                (id, FusedActivation::None)
            }
            TfOpKind::Unary(f) => {
                let (x, _) = get(0)?;
                let x = no_pads(x)?;
                let id = b.add(&name, Op::Unary(*f), vec![x], &out_t.name, None)?;
                (id, FusedActivation::None)
            }
            TfOpKind::Concatenation { axis, act } => {
                let mut ids = Vec::with_capacity(op.inputs.len());
                for i in 0..op.inputs.len() {
                    ids.push(no_pads(get(i)?.0)?);
                }
                let shapes: Vec<Vec<usize>> = ids.iter().map(|&t| b.shape(t).to_vec()).collect();
                let rank = shapes.first().map_or(0, |s| s.len()) as i32;
                let a = if *axis < 0 { axis + rank } else { *axis };
                // The IR holds TFLite's rank-4 NHWC tensors as NCHW.
                let a = match (rank, a) {
                    (4, 1) => 2,
                    (4, 2) => 3,
                    (4, 3) => 1,
                    (_, a) => a,
                };
                let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
                let g = crate::ops::gather::maps::concat(&refs, a as i64)
                    .map_err(|e| unsupported("CONCATENATION", &name, &format!(" ({e})")))?;
                let id = b.add(&name, Op::Gather(g), ids, &out_t.name, None)?;
                (id, *act)
            }
            TfOpKind::Reshape => {
                let (x, xt) = get(0)?;
                if !reshape_keeps_order(&xt.shape) || !reshape_keeps_order(&out_t.shape) {
                    // NHWC order differs from our layout's: a permutation, by copies.
                    let picks = super::movement::reshape(&xt.shape, &out_t.shape)
                        .map_err(|e| unsupported("RESHAPE", &name, &format!(" ({e})")))?;
                    let id = b.add(
                        &name,
                        movement_op(Movement::Transpose, &out_t.shape, picks),
                        vec![no_pads(x)?],
                        &out_t.name,
                        None,
                    )?;
                    (id, FusedActivation::None)
                } else {
                    let id = b.add(
                        &name,
                        Op::Reshape,
                        vec![no_pads(x)?],
                        &out_t.name,
                        Some(nchw(&out_t.shape)),
                    )?;
                    (id, FusedActivation::None)
                }
            }
            TfOpKind::FullyConnected { act } => {
                let (x, xt) = get(0)?;
                let x = no_pads(x)?;
                let filter = op.input(g, 1)?;
                let f = filter.f32_data()?;
                if filter.shape.len() != 2 || filter.shape[1] != xt.len() {
                    return Err(unsupported(
                        "FULLY_CONNECTED",
                        &name,
                        &format!(" with weights {:?}", filter.shape),
                    ));
                }
                let (n_out, n_in) = (filter.shape[0], filter.shape[1]);
                let ours = b.shape(x).to_vec();
                let mut w = vec![0f32; f.len()];
                for o in 0..n_out {
                    for i in 0..n_in {
                        w[o * n_in + i] = f[o * n_in + nhwc_flat_index(&ours, i)];
                    }
                }
                let flat = if ours.len() == 2 {
                    x
                } else {
                    b.add(
                        format!("{name}/flatten"),
                        Op::Reshape,
                        vec![x],
                        format!("{}/flat", out_t.name),
                        Some(vec![1, n_in]),
                    )?
                };
                let bias = match op.optional_input(g, 2) {
                    Some(t) => t.f32_data()?,
                    None => vec![0.0; n_out],
                };
                let dense = Dense {
                    weight: Tensor::new(vec![n_out, n_in], w),
                    bias,
                };
                (
                    b.add(&name, Op::Dense(dense), vec![flat], &out_t.name, None)?,
                    *act,
                )
            }
            TfOpKind::Pad => {
                let (x, xt) = get(0)?;
                let extra = pad_amounts(op, g, xt)?;
                let mut m = x;
                for (p, e) in m.pads.iter_mut().zip(extra) {
                    *p += e;
                }
                // Convolutions fold a pending PAD into their window; for any other reader the
                // padded tensor is made here (zeros, as a float PAD writes).
                let only_convolutions = g.ops.iter().all(|o| {
                    !o.inputs.contains(&Some(op.outputs[0]))
                        || matches!(
                            o.kind,
                            TfOpKind::Conv2d { .. } | TfOpKind::DepthwiseConv2d { .. }
                        ) && o.inputs.first() == Some(&Some(op.outputs[0]))
                });
                if !only_convolutions {
                    let [top, left, bottom, right] = m.pads.map(|p| p as i64);
                    let shape = b.shape(m.id).to_vec();
                    let pad = crate::ops::gather::maps::pad(
                        &shape,
                        &[0, 0, top, left, 0, 0, bottom, right],
                    )
                    .map_err(|e| unsupported("PAD", &name, &format!(" ({e})")))?;
                    let id = b.add(&name, Op::Gather(pad), vec![m.id], &out_t.name, None)?;
                    m = Mapped { id, pads: [0; 4] };
                }
                map[op.outputs[0]] = Some(m);
                continue;
            }
            TfOpKind::Mean { .. } => {
                let (x, xt) = get(0)?;
                let mut axes = op.input(g, 1)?.int_data()?;
                axes.sort_unstable();
                if xt.shape.len() != 4 || axes != [1, 2] {
                    return Err(unsupported(
                        "MEAN",
                        &name,
                        " other than over height and width",
                    ));
                }
                let pool = Pool {
                    kind: PoolKind::Average {
                        count_include_pad: false,
                    },
                    window: Window2d {
                        kernel: [xt.shape[1], xt.shape[2]],
                        stride: [1, 1],
                        pads: [0; 4],
                        dilation: [1, 1],
                    },
                };
                let x = no_pads(x)?;
                let pooled = b.add(&name, Op::Pool(pool), vec![x], &out_t.name, None)?;
                let id = if out_t.shape.len() == 2 {
                    b.add(
                        format!("{name}/squeeze"),
                        Op::Reshape,
                        vec![pooled],
                        format!("{}/squeezed", out_t.name),
                        Some(nchw(&out_t.shape)),
                    )?
                } else {
                    pooled
                };
                (id, FusedActivation::None)
            }
        };
        let id = match act {
            FusedActivation::None => id,
            FusedActivation::Relu => b.add(
                format!("{name}/relu"),
                Op::Relu,
                vec![id],
                format!("{}/relu", out_t.name),
                None,
            )?,
            FusedActivation::Relu6 | FusedActivation::ReluN1To1 => {
                let (min, max) = if act == FusedActivation::Relu6 {
                    (0.0, 6.0)
                } else {
                    (-1.0, 1.0)
                };
                b.add(
                    format!("{name}/clip"),
                    Op::Clip(Clip { min, max }),
                    vec![id],
                    format!("{}/clip", out_t.name),
                    None,
                )?
            }
        };
        if b.shape(id) != nchw(&out_t.shape).as_slice() {
            return Err(Error::InvalidModel(format!(
                "'{name}': computed shape {:?}, the model says {:?}",
                b.shape(id),
                out_t.shape
            )));
        }
        map[op.outputs[0]] = Some(Mapped { id, pads: [0; 4] });
    }
    let out =
        map[output].ok_or_else(|| Error::InvalidModel("the output is never written".into()))?;
    if out.pads != [0; 4] {
        return Err(unsupported("PAD", "output", " as the model's output"));
    }
    b.finish(out.id)
}

/// A data-movement node from NHWC-space picks ([`super::movement`]) for an output of TFLite
/// shape `shape`, held as NCHW.
fn movement_op(movement: Movement, shape: &[usize], picks: Vec<Pick>) -> Op {
    Op::Gather(Gather {
        movement,
        shape: nchw(shape),
        picks,
    })
}

/// Float RESIZE_BILINEAR of our NCHW tensor `x` to `[height, width]`, axis by axis as ONNX's
/// linear Resize is lowered ([`crate::ops::resample`]): the interpreter's source position is
/// ONNX's coordinate rule of the same name (`half_pixel_centers`: half_pixel, whose clamped
/// edges equal TFLite's; `align_corners`: align_corners; neither: asymmetric), and bilinear
/// interpolation is separable.
fn resize_bilinear(
    b: &mut ModelBuilder,
    name: &str,
    x: crate::ir::TensorId,
    [height, width]: [usize; 2],
    align_corners: bool,
    half_pixel_centers: bool,
) -> std::result::Result<crate::ir::TensorId, String> {
    use crate::ops::gather::maps::CoordinateMode;
    use crate::ops::resample::{self, Kernel};
    if align_corners && half_pixel_centers {
        return Err("align_corners and half_pixel_centers together".into());
    }
    let coordinates = if align_corners {
        CoordinateMode::AlignCorners
    } else if half_pixel_centers {
        CoordinateMode::HalfPixel
    } else {
        CoordinateMode::Asymmetric
    };
    let shape = b.shape(x).to_vec();
    if shape.len() != 4 {
        return Err(format!("a tensor of shape {shape:?} (it takes NHWC)"));
    }
    // Width, then height (the IR is NCHW: width is the last axis).
    let axes: Vec<(usize, usize, f64)> = [(3usize, width), (2, height)]
        .into_iter()
        .filter(|&(axis, n_out)| shape[axis] != n_out)
        .map(|(axis, n_out)| (axis, n_out, n_out as f64 / shape[axis] as f64))
        .collect();
    let t = resample::resize_axes(
        b,
        x,
        &axes,
        coordinates,
        Kernel::Linear,
        |e| e,
        |b, part, op, t| {
            let part = format!("{name}/{part}");
            b.add(part.clone(), op, vec![t], part, None)
                .map_err(|e| e.to_string())
        },
    )?;
    Ok(t)
}
