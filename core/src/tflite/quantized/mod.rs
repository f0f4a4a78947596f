//! A quantized TFLite graph lowered to a [`QGraph`] with TFLite's exact integer semantics.
//!
//! Tensors hold their stored integers minus their zero point (`q - zp`), so a convolution is
//! `bias + Σ (w - zp_w)·(x - zp_x)` over in-bounds taps (TFLite pads with the zero point, which
//! centres to 0), requantized by `MultiplyByQuantizedMultiplier`, then `zp_y` is added, the
//! result clamped to the fused activation's range in the stored domain, and `zp_y` taken off
//! again. Multipliers come from the scales exactly as TFLite's `Prepare` computes them.

use super::{
    filter_to_oihw, nchw, nhwc_flat_index, pad_amounts, reshape_keeps_order, unsupported, window,
    Convolution, FusedActivation, TfGraph, TfOp, TfOpKind, TfQuant, TfTensor, TfType,
};
use crate::error::{Error, Result};

mod extremum;
mod float_island;
mod matmul;
mod more_ops;
mod pad;
mod prelu;
mod reduce;
mod resize;
mod transpose_conv;

use crate::ir::{ConvGeometry, Window2d};
use crate::qgraph::{
    Activation, AffineQuant, FixedPointRequant, Linear, LinearKernel, QGraph, QStep, QTensor,
    QTensorId, QuantizedAdd, QuantizedMultiplier, Rescale, Rounding, StepKind,
};
pub(crate) use transpose_conv::leading_pad;

/// Activation domain of TFLite graphs: quotients before the clamp must fit 16 bits.
pub const TFLITE_ACT_BITS: u32 = 16;

/// Where a TFLite tensor lives in the graph being built: its quantized tensor and PAD amounts
/// not yet applied (folded into the consuming convolution's window).
#[derive(Clone, Copy, Debug)]
struct Mapped {
    id: QTensorId,
    /// top, left, bottom, right
    pads: [usize; 4],
}

/// The integer model of `g`; a SOFTMAX that ends it is proven or left out as `final_softmax`
/// says.
pub fn lower(g: &TfGraph, final_softmax: super::FinalSoftmax) -> Result<QGraph> {
    let mut b = Builder {
        g,
        q: QGraph {
            name: g.name.clone(),
            act_bits: TFLITE_ACT_BITS,
            tensors: vec![],
            input: 0,
            output: 0,
            steps: vec![],
        },
        map: vec![None; g.tensors.len()],
        islands: Default::default(),
    };
    let edges = super::quantized_edges(g);
    let input = &g.tensors[edges.input];
    check_activation(input)?;
    let id = b.new_tensor(input)?;
    b.q.input = id;
    b.map[edges.input] = Some(Mapped { id, pads: [0; 4] });
    let mut output = edges.output;
    for (n, op) in g.ops.iter().enumerate() {
        if edges.skipped.contains(&n) {
            continue;
        }
        // A final SOFTMAX (unless asked for), LOG_SOFTMAX or ARG_MAX is left outside the proof
        // (the values it reads are the output); a SOFTMAX in the middle is proven.
        if let Some(logits) = super::outside_tail_input(g, n, edges.output, final_softmax) {
            output = logits;
            break;
        }
        if b.float_island(op)? {
            continue;
        }
        b.lower_op(op)?;
    }
    check_activation(&g.tensors[output])?;
    let out = b.mapped(output, "the model's output")?;
    let out = b.dense(out)?;
    b.q.output = out.id;
    Ok(b.q)
}

struct Builder<'g> {
    g: &'g TfGraph,
    q: QGraph,
    map: Vec<Option<Mapped>>,
    /// Float tensors inside the model that are functions of one 8-bit tensor
    /// ([`float_island`]), by TFLite tensor.
    islands: std::collections::HashMap<usize, float_island::FloatIsland>,
}

/// A tensor's single (per-tensor) quantization.
pub(crate) fn per_tensor(t: &TfTensor) -> Result<(f32, i64)> {
    match &t.quant {
        Some(TfQuant {
            scales,
            zero_points,
            ..
        }) if scales.len() == 1 => Ok((scales[0], zero_points[0])),
        _ => Err(Error::InvalidModel(format!(
            "tensor '{}' must have per-tensor quantization parameters",
            t.name
        ))),
    }
}

/// The stored integer range of a quantized activation (uint8 or int8).
pub(crate) fn stored_range(t: &TfTensor) -> Result<(i64, i64)> {
    t.dtype.q_range().ok_or_else(|| {
        Error::InvalidModel(format!(
            "tensor '{}' is {:?}; a quantized model's activations must be uint8 or int8",
            t.name, t.dtype
        ))
    })
}

/// TFLite's `CalculateActivationRangeQuantized`: the clamp range in the stored domain.
pub fn activation_range(act: FusedActivation, t: &TfTensor) -> Result<(i64, i64)> {
    let (qmin, qmax) = stored_range(t)?;
    let (scale, zp) = per_tensor(t)?;
    // Saturating: a tiny scale or an out-of-range zero point from a file must not overflow
    // (such a tensor is refused when it is created); the clamp below bounds the result.
    let quantize = |f: f32| zp.saturating_add((f / scale).round() as i64);
    Ok(match act {
        FusedActivation::None => (qmin, qmax),
        FusedActivation::Relu => (qmin.max(quantize(0.0)), qmax),
        FusedActivation::Relu6 => (qmin.max(quantize(0.0)), qmax.min(quantize(6.0))),
        FusedActivation::ReluN1To1 => (qmin.max(quantize(-1.0)), qmax.min(quantize(1.0))),
    })
}

/// Checks a quantized activation: uint8/int8 with one positive scale, its zero point in the
/// stored range, batch 1 and no empty dimension. Returns its (scale, zero point, range).
fn check_activation(t: &TfTensor) -> Result<(f32, i64, (i64, i64))> {
    let checked = check_rows_activation(t)?;
    if t.shape.first() != Some(&1) {
        return Err(Error::InvalidModel(format!(
            "tensor '{}' has shape {:?}; batch size 1 is required",
            t.name, t.shape
        )));
    }
    Ok(checked)
}

/// [`check_activation`] for a tensor inside the model, whose first dimension may count rows: a
/// dynamic batch's Dense layers reshape `[1, T, D]` tokens to `[T, D]` rows and back (the
/// converter's Tensordot), and in ranks up to 3 our layout is TFLite's row-major order.
fn check_rows_activation(t: &TfTensor) -> Result<(f32, i64, (i64, i64))> {
    let (qmin, qmax) = stored_range(t)?;
    let (scale, zero_point) = per_tensor(t)?;
    if !(qmin..=qmax).contains(&zero_point) || scale <= 0.0 {
        return Err(Error::InvalidModel(format!(
            "tensor '{}' has scale {scale} and zero point {zero_point}",
            t.name
        )));
    }
    let leading_rows = t.shape.len() <= 3 && t.shape.len() >= 2;
    if (t.shape.first() != Some(&1) && !leading_rows) || t.shape.contains(&0) {
        return Err(Error::InvalidModel(format!(
            "tensor '{}' has shape {:?}; batch size 1 and no empty dimension are required",
            t.name, t.shape
        )));
    }
    Ok((scale, zero_point, (qmin, qmax)))
}

impl<'g> Builder<'g> {
    fn new_tensor(&mut self, t: &TfTensor) -> Result<QTensorId> {
        let (scale, zero_point, (qmin, qmax)) = check_rows_activation(t)?;
        self.q.tensors.push(QTensor {
            name: t.name.clone(),
            shape: nchw(&t.shape),
            frac_bits: 0,
            affine: Some(AffineQuant {
                scale,
                zero_point,
                q_min: qmin,
                q_max: qmax,
            }),
        });
        Ok(self.q.tensors.len() - 1)
    }

    fn mapped(&self, t: usize, what: &str) -> Result<Mapped> {
        self.map[t].ok_or_else(|| {
            Error::InvalidModel(format!(
                "{what} reads tensor '{}' before any operator writes it",
                self.g.tensors[t].name
            ))
        })
    }

    /// `m` with its pending PAD (if any) applied: a copy step whose padding picks the proven
    /// zero, which is the zero point in the stored domain, as TFLite's PAD writes. A PAD in
    /// front of a convolution is folded into its window instead and never gets here.
    fn dense(&mut self, m: Mapped) -> Result<Mapped> {
        if m.pads == [0; 4] {
            return Ok(m);
        }
        let source = self.q.tensors[m.id].clone();
        let [top, left, bottom, right] = m.pads.map(|p| p as i64);
        let gather =
            crate::ops::gather::maps::pad(&source.shape, &[0, 0, top, left, 0, 0, bottom, right])
                .map_err(|e| unsupported("PAD", &source.name, &format!(" ({e})")))?;
        let name = format!("{}/padded", source.name);
        self.q.tensors.push(QTensor {
            name: name.clone(),
            shape: gather.shape.clone(),
            ..source
        });
        let id = self.q.tensors.len() - 1;
        self.q.steps.push(QStep {
            name,
            kind: StepKind::Gather {
                picks: gather.picks,
            },
            inputs: vec![m.id],
            output: id,
        });
        Ok(Mapped { id, pads: [0; 4] })
    }

    fn input(&self, op: &TfOp, i: usize) -> Result<(Mapped, &'g TfTensor)> {
        let t = op.inputs.get(i).copied().flatten().ok_or_else(|| {
            Error::InvalidModel(format!("operator '{}' lacks input {i}", op.name(self.g)))
        })?;
        Ok((self.mapped(t, &op.name(self.g))?, &self.g.tensors[t]))
    }

    fn push(&mut self, op: &TfOp, kind: StepKind, inputs: Vec<QTensorId>) -> Result<()> {
        let out_t = &self.g.tensors[op.outputs[0]];
        let output = self.new_tensor(out_t)?;
        self.q.steps.push(QStep {
            name: out_t.name.clone(),
            kind,
            inputs,
            output,
        });
        self.map[op.outputs[0]] = Some(Mapped {
            id: output,
            pads: [0; 4],
        });
        Ok(())
    }

    fn lower_op(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        if matches!(op.kind, TfOpKind::LogSoftmax | TfOpKind::ArgMax) {
            return Err(super::not_a_final_tail(op, self.g));
        }
        // Every operator's output becomes a tensor: check it before its parameters feed any
        // arithmetic.
        check_rows_activation(out_t)?;
        match &op.kind {
            TfOpKind::LogSoftmax | TfOpKind::ArgMax => unreachable!("refused above"),
            TfOpKind::Conv2d { .. } | TfOpKind::DepthwiseConv2d { .. } => {
                let Some(conv) = op.kind.convolution() else {
                    unreachable!("a convolution has its options")
                };
                self.conv(op, conv)
            }
            TfOpKind::FullyConnected { act } => self.fully_connected(op, *act),
            TfOpKind::AveragePool2d {
                padding,
                stride,
                filter,
                act,
            } => {
                let (x, xt) = self.input(op, 0)?;
                let x = self.dense(x)?;
                same_quantization(xt, out_t, &name)?;
                let window = window(xt, *padding, *filter, *stride, [1, 1], &name)?;
                let in_shape = self.q.tensors[x.id].shape.clone();
                let out_shape = nchw(&out_t.shape);
                check_window_output(&window, &in_shape, &out_shape, &name)?;
                // TFLite rounds Σ raw / count half away from zero. uint8 sums are never
                // negative, so that is half up, where the centred zero point cancels exactly;
                // int8 sums can be, and their negative ties round down.
                let divisors = pool_divisors(&window, &in_shape, &out_shape);
                let (lo, hi) = activation_range(*act, out_t)?;
                let zp = per_tensor(out_t)?.1;
                let rounding = match xt.dtype {
                    TfType::I8 => Rounding::HalfAwayFromZero {
                        divisors,
                        zero_point: zp,
                    },
                    _ => Rounding::HalfUp { divisors },
                };
                let kernel = LinearKernel::PoolSum {
                    window,
                    in_shape,
                    out_shape,
                    weight: 1,
                };
                let rescale = Rescale {
                    rounding,
                    act: Activation::Clip {
                        lo: lo - zp,
                        hi: hi - zp,
                    },
                };
                self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x.id])
            }
            TfOpKind::MaxPool2d {
                padding,
                stride,
                filter,
                act,
            } => {
                let (x, xt) = self.input(op, 0)?;
                let x = self.dense(x)?;
                same_quantization(xt, out_t, &name)?;
                if activation_range(*act, out_t)? != stored_range(out_t)? {
                    return Err(unsupported(
                        "MAX_POOL_2D",
                        &name,
                        " with a fused activation",
                    ));
                }
                let window = window(xt, *padding, *filter, *stride, [1, 1], &name)?;
                let in_shape = self.q.tensors[x.id].shape.clone();
                let out_shape = nchw(&out_t.shape);
                check_window_output(&window, &in_shape, &out_shape, &name)?;
                self.push(
                    op,
                    StepKind::Max {
                        window,
                        in_shape,
                        out_shape,
                    },
                    vec![x.id],
                )
            }
            TfOpKind::Add { act } => self.add_or_sub(op, *act, false),
            TfOpKind::Reshape => {
                let (x, xt) = self.input(op, 0)?;
                let x = self.dense(x)?;
                same_quantization(xt, out_t, &name)?;
                if xt.len() != out_t.len() {
                    return Err(Error::InvalidModel(format!(
                        "RESHAPE '{name}' changes the element count"
                    )));
                }
                if !reshape_keeps_order(&xt.shape) || !reshape_keeps_order(&out_t.shape) {
                    // NHWC order differs from our layout's: a permutation, by copies.
                    let picks = super::movement::reshape(&xt.shape, &out_t.shape)
                        .map_err(|e| unsupported("RESHAPE", &name, &format!(" ({e})")))?;
                    return self.push(op, StepKind::Gather { picks }, vec![x.id]);
                }
                self.push(op, StepKind::Reshape, vec![x.id])
            }
            TfOpKind::Pad => {
                let (x, xt) = self.input(op, 0)?;
                same_quantization(xt, out_t, &name)?;
                let extra = match pad_amounts(op, self.g, xt) {
                    Ok(extra) => extra,
                    // Any other axes: the padded tensor made here.
                    Err(Error::UnsupportedOp { .. }) => return self.pad_any_axes(op),
                    Err(e) => return Err(e),
                };
                let mut m = x;
                for (p, e) in m.pads.iter_mut().zip(extra) {
                    *p += e;
                }
                self.map[op.outputs[0]] = Some(m);
                Ok(())
            }
            TfOpKind::Mean { keep_dims } => self.mean(op, *keep_dims),
            TfOpKind::Sum { keep_dims } => self.sum(op, *keep_dims),
            // Only inside a float island (`float_island`), where it is a float kernel.
            TfOpKind::Square => Err(unsupported(
                "SQUARE",
                &name,
                " of an 8-bit tensor (TFLite's SQUARE is a float kernel: the converter writes \
                 it between a DEQUANTIZE and a QUANTIZE, which is supported)",
            )),
            TfOpKind::Tile => self.tile(op),
            TfOpKind::ReduceMax { keep_dims } => self.reduce_max(op, *keep_dims),
            TfOpKind::TransposeConv {
                padding,
                stride,
                act,
            } => self.transpose_conv(op, *padding, *stride, *act),
            TfOpKind::Mul { act } => self.mul(op, *act),
            TfOpKind::Sub { act } => self.add_or_sub(op, *act, true),
            TfOpKind::Unary(f) => self.unary(op, *f),
            TfOpKind::Activation(act) => self.activation(op, *act),
            TfOpKind::Quantize => self.requantize(op),
            TfOpKind::Concatenation { axis, act } => self.concatenation(op, *axis, *act),
            TfOpKind::ResizeNearest {
                align_corners,
                half_pixel_centers,
            } => self.resize_nearest(op, *align_corners, *half_pixel_centers),
            TfOpKind::ResizeBilinear {
                align_corners,
                half_pixel_centers,
            } => self.resize_bilinear(op, *align_corners, *half_pixel_centers),
            TfOpKind::Transpose => self.transpose(op),
            TfOpKind::Window { .. }
            | TfOpKind::Pack { .. }
            | TfOpKind::Gather { .. }
            | TfOpKind::DepthSpace { .. } => self.rearrange(op),
            TfOpKind::Dequantize => Err(unsupported(
                "DEQUANTIZE",
                &name,
                " other than as the model's last operator",
            )),
            TfOpKind::BatchMatMul { adj_x, adj_y } => self.batch_matmul(op, *adj_x, *adj_y),
            TfOpKind::SquaredDifference => self.squared_difference(op),
            TfOpKind::Prelu => self.prelu(op),
            TfOpKind::Extremum { maximum } => self.extremum(op, *maximum),
            TfOpKind::Div { .. } => Err(unsupported(
                op.kind.name(),
                &name,
                " in an int8 or uint8 model (it is supported in float models)",
            )),
            TfOpKind::Softmax { beta } => self.softmax(op, beta.get()),
        }
    }

    fn conv(&mut self, op: &TfOp, conv: Convolution) -> Result<()> {
        let Convolution {
            padding,
            stride,
            dilation,
            depth_multiplier,
            act,
        } = conv;
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let filter = op.input(self.g, 1)?;
        let bias = op.optional_input(self.g, 2);
        let out_t = &self.g.tensors[op.outputs[0]];
        if xt.shape.len() != 4 || filter.shape.len() != 4 || out_t.shape.len() != 4 {
            return Err(Error::InvalidModel(format!(
                "convolution '{name}' needs 4-D input, filter and output"
            )));
        }
        let cin = xt.shape[3];
        let (kh, kw) = (filter.shape[1], filter.shape[2]);
        // Weight scales are per output channel along O (conv) or the last axis (depthwise).
        let channel_dim = if depth_multiplier.is_some() { 3 } else { 0 };
        let (raw, cout, group) =
            filter_to_oihw(filter, &filter.int_data()?, cin, depth_multiplier, &name)?;
        if out_t.shape[3] != cout {
            return Err(Error::InvalidModel(format!(
                "convolution '{name}': output has {} channels, filter {cout}",
                out_t.shape[3]
            )));
        }
        let mut win = window(xt, padding, [kh, kw], stride, dilation, &name)?;
        for (p, extra) in win.pads.iter_mut().zip(x.pads) {
            *p += extra;
        }
        let in_shape = self.q.tensors[x.id].shape.clone();
        let out_shape = nchw(&out_t.shape);
        check_window_output(&win, &in_shape, &out_shape, &name)?;
        let wq = weight_quant(filter, cout, channel_dim, &name)?;
        // Centre the weights (OIHW) on their zero points.
        let per_channel = raw.len() / cout;
        let weight: Vec<i64> = raw
            .iter()
            .enumerate()
            .map(|(j, &w)| w - wq.zero_point(j / per_channel))
            .collect();
        let bias = conv_bias(bias, cout, &name)?;
        // int8 CONV_2D runs through ruy on x86 (ties up); depthwise, and every uint8
        // convolution, through gemmlowp's rounding (ties away from zero).
        let ties_up = depth_multiplier.is_none() && xt.dtype == TfType::I8;
        let rescale = requant(xt, &wq, out_t, act, out_shape[2] * out_shape[3], ties_up)?;
        let kernel = LinearKernel::Conv {
            geometry: ConvGeometry {
                out_channels: cout,
                window: win,
                group,
            },
            in_shape,
            out_shape,
            weight,
            bias,
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x.id])
    }

    /// SOFTMAX over the last axis, as TFLite's reference kernel computes it
    /// ([`crate::ops::byte_softmax`]): int8 or uint8 in, the same type out at scale 1/256 with
    /// zero point -128 (int8) or 0 (uint8), which TFLite requires.
    fn softmax(&mut self, op: &TfOp, beta: f32) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (in_scale, _) = per_tensor(xt)?;
        let (out_scale, out_zp) = per_tensor(out_t)?;
        let expected_zp = match out_t.dtype {
            TfType::I8 => -128,
            _ => 0,
        };
        if xt.dtype != out_t.dtype
            || out_zp != expected_zp
            || (out_scale - 1.0 / 256.0).abs() > 1e-3 / 256.0
            || xt.shape != out_t.shape
        {
            return Err(unsupported(
                "SOFTMAX",
                &name,
                &format!(
                    " from {:?} to {:?} with output scale {out_scale} and zero point {out_zp} \
                     (TFLite's kernel writes the input's type at scale 1/256, zero point \
                     {expected_zp})",
                    xt.dtype, out_t.dtype
                ),
            ));
        }
        let (depth, inner) = match xt.shape[..] {
            // NHWC's channels are NCHW's second axis here.
            [_, h, w, c] => (c, h * w),
            [.., last] => (last, 1),
            [] => (1, 1),
        };
        let softmax = crate::ops::byte_softmax::ByteSoftmax::new(beta, in_scale, depth, inner)
            .and_then(|s| s.check().map(|()| s))
            .map_err(|e| unsupported("SOFTMAX", &name, &format!(" ({e})")))?;
        self.push(op, StepKind::ByteSoftmax(softmax), vec![x.id])
    }

    fn fully_connected(&mut self, op: &TfOp, act: FusedActivation) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let filter = op.input(self.g, 1)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        // TFLite reads the input as rows of the weights' width (a transformer's tokens); rows
        // other than one must be in the same order in our layout as in TFLite's.
        let rows = match filter.shape[..] {
            [_, n_in] if n_in > 0 && xt.len() % n_in == 0 => xt.len() / n_in,
            _ => 0,
        };
        let per_pixel = rows > 1
            && xt.shape.len() == 4
            && out_t.shape.len() == 4
            && xt.shape[3] == filter.shape[1]
            && out_t.shape[..3] == xt.shape[..3]
            && out_t.shape[3] == filter.shape[0];
        if per_pixel {
            return self.fully_connected_per_pixel(op, x.id, xt, act);
        }
        if rows == 0
            || (rows > 1 && !(reshape_keeps_order(&xt.shape) && reshape_keeps_order(&out_t.shape)))
        {
            return Err(unsupported(
                "FULLY_CONNECTED",
                &name,
                &format!(
                    " with weights {:?} for an input of shape {:?}",
                    filter.shape, xt.shape
                ),
            ));
        }
        let (n_out, n_in) = (filter.shape[0], filter.shape[1]);
        if out_t.len() != rows * n_out {
            return Err(Error::InvalidModel(format!(
                "FULLY_CONNECTED '{name}': output has {} values, {rows} row(s) of {n_out} \
                 expected",
                out_t.len()
            )));
        }
        let wq = weight_quant(filter, n_out, 0, &name)?;
        let raw = filter.int_data()?;
        // TFLite flattens NHWC; our tensor is NCHW.
        let ours = &self.q.tensors[x.id].shape;
        let mut weight = vec![0i64; raw.len()];
        for o in 0..n_out {
            for i in 0..n_in {
                // One row is the whole input, flattened in NHWC order; several are read in place.
                let at = if rows == 1 {
                    nhwc_flat_index(ours, i)
                } else {
                    i
                };
                weight[o * n_in + i] = raw[o * n_in + at] - wq.zero_point(o);
            }
        }
        let bias = conv_bias(op.optional_input(self.g, 2), n_out, &name)?;
        // int8 FULLY_CONNECTED runs through ruy on x86, as int8 CONV_2D does.
        let rescale = requant(xt, &wq, out_t, act, 1, xt.dtype == TfType::I8)?;
        let kernel = LinearKernel::Dense {
            n_in,
            n_out,
            weight,
            bias,
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x.id])
    }

    /// FULLY_CONNECTED over the channels of each pixel of a 4-D tensor (Keras's Dense on an
    /// image, as ConvNeXt's pointwise layers are, with the dimensions kept): in our NCHW layout
    /// a pixel's channels are strided, so it is the 1×1 convolution it equals, rounded as the
    /// fully connected kernel rounds.
    fn fully_connected_per_pixel(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        xt: &TfTensor,
        act: FusedActivation,
    ) -> Result<()> {
        let name = op.name(self.g);
        let filter = op.input(self.g, 1)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (n_out, n_in) = (filter.shape[0], filter.shape[1]);
        let wq = weight_quant(filter, n_out, 0, &name)?;
        let raw = filter.int_data()?;
        // [O, I] is already OIHW with a 1×1 window.
        let weight: Vec<i64> = raw
            .iter()
            .enumerate()
            .map(|(j, &w)| w - wq.zero_point(j / n_in))
            .collect();
        let bias = conv_bias(op.optional_input(self.g, 2), n_out, &name)?;
        let in_shape = self.q.tensors[x].shape.clone();
        let out_shape = nchw(&out_t.shape);
        let rescale = requant(
            xt,
            &wq,
            out_t,
            act,
            out_shape[2] * out_shape[3],
            xt.dtype == TfType::I8,
        )?;
        let window = Window2d {
            kernel: [1, 1],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let kernel = LinearKernel::Conv {
            geometry: ConvGeometry {
                out_channels: n_out,
                window,
                group: 1,
            },
            in_shape,
            out_shape,
            weight,
            bias,
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x])
    }

    /// TFLite's uint8 and int8 MEAN over height and width. With kept dimensions and the axes
    /// spelled `[1, 2]` the interpreter runs its optimized kernel:
    /// `clamp(MBQM(Σ raw, input_scale / (n·output_scale)) + bias)` with
    /// `bias = zp_out - round(zp_in·input_scale / output_scale)` (in f32, half away from zero).
    /// Otherwise it runs the reference `QuantizedMeanOrSum`: `clamp(MBQM(Σ centred, M', s') +
    /// zp_out)`, `M'` the multiplier of `input_scale / output_scale` divided by `n` after a
    /// left shift ([`reference_mean_multiplier`]).
    fn mean(&mut self, op: &TfOp, keep_dims: bool) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (raw_axes, axes) = self.reduction_axes(op, xt, "MEAN")?;
        if xt.shape.len() != 4 || axes != [1, 2] {
            return self.mean_of_axes(op, x.id, xt, &axes, keep_dims);
        }
        let (h, w, c) = (xt.shape[1], xt.shape[2], xt.shape[3]);
        let declared_ok = if keep_dims {
            out_t.shape == [1, 1, 1, c]
        } else {
            out_t.shape == [1, c]
        };
        if !declared_ok {
            return Err(Error::InvalidModel(format!(
                "MEAN '{name}' of {:?} declares output shape {:?}",
                xt.shape, out_t.shape
            )));
        }
        let optimized = keep_dims && (raw_axes == [1, 2] || raw_axes == [2, 1]);
        if !optimized {
            return self.reference_mean(op, x.id, xt, out_t);
        }
        let (s_in, zp_in) = per_tensor(xt)?;
        let (s_out, zp_out) = per_tensor(out_t)?;
        let n = (h * w) as f32;
        // TFLite computes the shifted input zero point in int32.
        let shifted = zp_in as f32 * s_in / s_out;
        if !shifted.is_finite() || shifted.abs() > i32::MAX as f32 {
            return Err(Error::InvalidModel(format!(
                "MEAN '{name}': input scale {s_in} is too large for output scale {s_out}"
            )));
        }
        // Rounded half away from zero (C's `(int)(x ± 0.5f)`, which f32::round is), not
        // truncated.
        let bias = zp_out - shifted.round() as i64;
        let multiplier = QuantizedMultiplier::from_real((s_in / (n * s_out)) as f64);
        // Σ raw = Σ centred + n·zp_in: the window sum's bias.
        self.mean_step(
            op,
            x.id,
            [h, w, c],
            (h * w) as i64 * zp_in,
            multiplier,
            bias,
        )
    }

    /// TFLite's MEAN over any axes but a 4-D tensor's height and width (a layer norm's mean and
    /// variance over the last axis, GlobalAveragePooling1D's over the tokens), always by the
    /// reference `QuantizedMeanOrSum`: each output's elements in a row of their own (copied
    /// there, by copy constraints only, unless our layout already holds them so: the last axis
    /// below rank 4), each row summed by an all-ones dense row, requantized by
    /// [`reference_mean_multiplier`], the output zero point added, clamped.
    fn mean_of_axes(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        xt: &TfTensor,
        axes: &[usize],
        keep_dims: bool,
    ) -> Result<()> {
        let per_row: usize = axes.iter().map(|&a| xt.shape[a]).product();
        let (s_in, _) = per_tensor(xt)?;
        let s_out = per_tensor(&self.g.tensors[op.outputs[0]])?.0;
        let multiplier = reference_mean_multiplier(s_in as f64 / s_out as f64, per_row as u64);
        self.reduce_rows(op, x, xt, axes, keep_dims, (1, 0, multiplier), "MEAN")
    }

    /// [`Builder::mean_of_axes`] and [`Builder::sum`]: each output's centred elements in a row,
    /// each times `weight`, summed with `bias`, requantized by `multiplier`, the output zero
    /// point added, clamped to the output's type.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn reduce_rows(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        xt: &TfTensor,
        axes: &[usize],
        keep_dims: bool,
        (weight, bias, multiplier): (i64, i64, QuantizedMultiplier),
        what: &str,
    ) -> Result<()> {
        let out_t = &self.g.tensors[op.outputs[0]];
        let picks = self.reduction_picks(op, xt, axes, keep_dims, what)?;
        let per_row: usize = axes.iter().map(|&a| xt.shape[a]).product();
        let rows = if reduce::picks_in_place(&picks) {
            x
        } else {
            self.expanded(x, xt, &[1, out_t.len(), per_row], picks)?
        };
        let zp_out = per_tensor(out_t)?.1;
        let kernel = LinearKernel::Dense {
            n_in: per_row,
            n_out: 1,
            weight: vec![weight; per_row],
            bias: vec![bias],
        };
        self.push_mean(op, rows, kernel, multiplier, zp_out)
    }

    /// A MEAN over height and width as a depthwise all-ones window over the centred values
    /// plus `bias` per channel, requantized by `multiplier`, `out_offset` added and the
    /// output's stored range clamped.
    fn mean_step(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        [h, w, c]: [usize; 3],
        bias: i64,
        multiplier: QuantizedMultiplier,
        out_offset: i64,
    ) -> Result<()> {
        let window = Window2d {
            kernel: [h, w],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let kernel = LinearKernel::Conv {
            geometry: ConvGeometry {
                out_channels: c,
                window,
                group: c,
            },
            in_shape: self.q.tensors[x].shape.clone(),
            out_shape: vec![1, c, 1, 1],
            weight: vec![1; c * h * w],
            bias: vec![bias; c],
        };
        self.push_mean(op, x, kernel, multiplier, out_offset)
    }

    /// A mean's sum `kernel`, requantized by `multiplier` with ties away from zero,
    /// `out_offset` added and the output's stored range clamped.
    fn push_mean(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        kernel: LinearKernel,
        multiplier: QuantizedMultiplier,
        out_offset: i64,
    ) -> Result<()> {
        let out_t = &self.g.tensors[op.outputs[0]];
        let (lo, hi) = stored_range(out_t)?;
        let zp_out = per_tensor(out_t)?.1;
        let rescale = Rescale {
            rounding: Rounding::FixedPoint(FixedPointRequant {
                multipliers: vec![multiplier],
                inner: 1,
                out_offset,
                out_zero_point: zp_out,
                ties_up: false,
            }),
            act: Activation::Clip { lo, hi },
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x])
    }

    /// The reference MEAN over height and width (see [`Builder::mean`]).
    fn reference_mean(
        &mut self,
        op: &TfOp,
        x: QTensorId,
        xt: &TfTensor,
        out_t: &TfTensor,
    ) -> Result<()> {
        let (h, w, c) = (xt.shape[1], xt.shape[2], xt.shape[3]);
        let (s_in, _) = per_tensor(xt)?;
        let (s_out, zp_out) = per_tensor(out_t)?;
        let multiplier = reference_mean_multiplier(s_in as f64 / s_out as f64, (h * w) as u64);
        // Σ centred = Σ raw - n·zp_in: no bias.
        self.mean_step(op, x, [h, w, c], 0, multiplier, zp_out)
    }
}

/// `QuantizedMeanOrSum`'s multiplier for a mean of `n` values: `(M, s)` of `ratio` (computed
/// in f64), then `M·2^sh / n` with `sh = min(⌊log2 n⌋, 32, 31 + s)` and the shift `s - sh`.
pub fn reference_mean_multiplier(ratio: f64, n: u64) -> QuantizedMultiplier {
    let m = QuantizedMultiplier::from_real(ratio);
    let log2 = 63 - n.max(1).leading_zeros() as i32;
    let sh = log2.min(32).min(31 + m.shift).max(0);
    QuantizedMultiplier {
        multiplier: (((m.multiplier as i64) << sh) / n.max(1) as i64) as i32,
        shift: m.shift - sh,
    }
}

/// TFLite's `Prepare` for a uint8/int8 ADD of `a` and `b` into `out`: both inputs shifted left
/// by 20 bits and requantized to twice the larger input scale, then the sum to `out`'s scale.
pub fn quantized_add(
    a: &TfTensor,
    b: &TfTensor,
    out: &TfTensor,
    act: FusedActivation,
) -> Result<QuantizedAdd> {
    let (sa, sb, so) = (per_tensor(a)?.0, per_tensor(b)?.0, per_tensor(out)?);
    let left_shift = 20u32;
    let twice_max = 2.0 * sa.max(sb) as f64;
    let (act_min, act_max) = activation_range(act, out)?;
    Ok(QuantizedAdd {
        left_shift,
        input_multipliers: [
            QuantizedMultiplier::from_real(sa as f64 / twice_max),
            QuantizedMultiplier::from_real(sb as f64 / twice_max),
        ],
        output_multiplier: QuantizedMultiplier::from_real(
            twice_max / ((1u64 << left_shift) as f64 * so.0 as f64),
        ),
        out_zero_point: so.1,
        act_min,
        act_max,
    })
}

/// A filter's quantization: per tensor, or per output channel.
struct WeightQuant {
    scales: Vec<f32>,
    zero_points: Vec<i64>,
    dtype: TfType,
}

impl WeightQuant {
    fn zero_point(&self, channel: usize) -> i64 {
        self.zero_points[channel % self.zero_points.len()]
    }
}

fn weight_quant(filter: &TfTensor, channels: usize, dim: usize, op: &str) -> Result<WeightQuant> {
    let q = filter
        .quant
        .as_ref()
        .ok_or_else(|| Error::InvalidModel(format!("weights of '{op}' are not quantized")))?;
    if q.scales.len() != 1 && (q.scales.len() != channels || q.dim != dim) {
        return Err(Error::InvalidModel(format!(
            "weights of '{op}' have {} scales along dimension {}; expected 1 or {channels} along {dim}",
            q.scales.len(),
            q.dim
        )));
    }
    let Some((qmin, qmax)) = filter.dtype.q_range() else {
        return Err(Error::InvalidModel(format!(
            "weights of '{op}' are {:?}, not uint8 or int8",
            filter.dtype
        )));
    };
    // The weights are centred on their zero points in i64: a zero point from the file outside
    // the stored range is meaningless and could overflow.
    if let Some(z) = q.zero_points.iter().find(|z| !(qmin..=qmax).contains(*z)) {
        return Err(Error::InvalidModel(format!(
            "weights of '{op}' have zero point {z}, outside {qmin}..={qmax}"
        )));
    }
    Ok(WeightQuant {
        scales: q.scales.clone(),
        zero_points: q.zero_points.clone(),
        dtype: filter.dtype,
    })
}

fn conv_bias(bias: Option<&TfTensor>, channels: usize, op: &str) -> Result<Vec<i64>> {
    match bias {
        None => Ok(vec![0; channels]),
        Some(b) => {
            let v = b.i32_data()?;
            if v.len() != channels {
                return Err(Error::InvalidModel(format!(
                    "bias of '{op}' has {} values for {channels} channels",
                    v.len()
                )));
            }
            Ok(v)
        }
    }
}

/// The requantization of a convolution or fully connected layer, with TFLite's multipliers:
/// uint8 per-tensor models go through `GetQuantizedConvolutionMultipler` (the scale product in
/// float), per-channel ones through `PopulateConvolutionQuantizationParams` (in double).
fn requant(
    x: &TfTensor,
    wq: &WeightQuant,
    out: &TfTensor,
    act: FusedActivation,
    inner: usize,
    ties_up: bool,
) -> Result<Rescale> {
    let (s_x, _) = per_tensor(x)?;
    let (s_y, zp_y) = per_tensor(out)?;
    let multipliers = if wq.scales.len() == 1 && wq.dtype == TfType::U8 {
        vec![QuantizedMultiplier::from_real(
            (s_x * wq.scales[0]) as f64 / s_y as f64,
        )]
    } else {
        wq.scales
            .iter()
            .map(|&s_w| QuantizedMultiplier::from_real(s_x as f64 * s_w as f64 / s_y as f64))
            .collect()
    };
    let (lo, hi) = activation_range(act, out)?;
    Ok(Rescale {
        rounding: Rounding::FixedPoint(FixedPointRequant {
            multipliers,
            inner,
            out_offset: zp_y,
            out_zero_point: zp_y,
            ties_up,
        }),
        act: Activation::Clip { lo, hi },
    })
}

fn same_quantization(a: &TfTensor, b: &TfTensor, op: &str) -> Result<()> {
    if per_tensor(a)? != per_tensor(b)? {
        return Err(unsupported(
            "an operator",
            op,
            &format!(
                " whose input and output quantizations differ ({:?} vs {:?})",
                per_tensor(a)?,
                per_tensor(b)?
            ),
        ));
    }
    Ok(())
}

/// Each output's count of in-bounds taps (TFLite's average-pool divisor), counted per axis
/// rather than by enumerating taps ([`Window2d::taps_inside_plane`]).
pub(super) fn pool_divisors(w: &Window2d, in_shape: &[usize], out_shape: &[usize]) -> Vec<u64> {
    let (c, oh, ow) = (out_shape[1], out_shape[2], out_shape[3]);
    let plane: Vec<u64> = w
        .taps_inside_plane(in_shape[2], in_shape[3], oh, ow)
        .into_iter()
        .map(|t| t as u64)
        .collect();
    plane.repeat(c)
}

fn check_window_output(w: &Window2d, input: &[usize], output: &[usize], op: &str) -> Result<()> {
    match w.output_hw(input[2], input[3]) {
        Some((h, ww)) if output.len() == 4 && [h, ww] == [output[2], output[3]] => Ok(()),
        got => Err(Error::InvalidModel(format!(
            "'{op}': the window gives {got:?} for input {input:?}, the model says {output:?}"
        ))),
    }
}
