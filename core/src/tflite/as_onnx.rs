//! A float TFLite graph written as the ONNX graph that computes the same function, for the ONNX
//! loader's mapping onto core operators.
//!
//! The direct float lowering ([`super::float`]) is built for convolutional networks: it holds
//! 4-D tensors as NCHW and maps each operator onto one core operator of fixed layout. A
//! transformer as TensorFlow's converter writes it (Keras `LayerNormalization` as MEAN,
//! SQUARED_DIFFERENCE and RSQRT; attention as BATCH_MATMUL and a SOFTMAX in the middle;
//! FULLY_CONNECTED over a sequence) needs reductions over any axis, broadcasting between
//! activations, products of two activations and a proven softmax: what the ONNX mapping
//! already composes from core operators. So when the direct lowering refuses a float model,
//! [`lower`] writes each operator as the ONNX nodes of the same semantics (TFLite broadcasts as
//! numpy does, as ONNX does) and loads that graph.
//!
//! Tensors keep TFLite's shapes. The operators that TFLite defines on NHWC images
//! (convolutions, pools, DEPTH_TO_SPACE) are wrapped in transposes to and from ONNX's NCHW;
//! transposes are copies the circuit proves by wiring alone. The graph's input and a 4-D
//! output are NCHW, as in the direct lowering, so inputs are laid out the same way whichever
//! lowering a model takes. A final SOFTMAX is left outside the proof unless
//! [`super::FinalSoftmax::Proven`], as there.

use super::{filter_to_oihw, window, FusedActivation, TfGraph, TfOp, TfOpKind, TfTensor, TfType};
use crate::error::{Error, Result};
use crate::ops::unary::UnaryFn;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{self, AttributeProto, NodeProto, TensorShapeProto, TypeProto};

/// The opset the written graph declares (ReduceMean's axes as an attribute, Softmax over the
/// last axis by default).
pub(crate) const OPSET: i64 = 17;

/// The ONNX graph of the float TFLite graph `g`. A TFLite operator this translation has no
/// ONNX form for is refused by name (`UnsupportedOp`).
pub(crate) fn graph_of(g: &TfGraph, final_softmax: super::FinalSoftmax) -> Result<pb::GraphProto> {
    let mut w = Writer::new(g);
    let input = &g.tensors[g.input];
    let input_name = w.names[g.input].clone();
    let onnx_input = if input.shape.len() == 4 {
        let nchw = format!("{input_name}/nchw");
        w.node(
            "Transpose",
            &input_name,
            &[&nchw],
            &input_name,
            vec![ints("perm", &NHWC)],
        );
        nchw
    } else {
        input_name
    };
    let mut output = g.output;
    for (n, op) in g.ops.iter().enumerate() {
        if let Some(logits) = super::outside_tail_input(g, n, g.output, final_softmax) {
            output = logits;
            break;
        }
        w.operator(op)?;
    }
    let out_t = &g.tensors[output];
    let mut out_name = w.names[output].clone();
    let mut out_shape = out_t.shape.clone();
    if out_shape.len() == 4 {
        let nchw = format!("{out_name}/nchw");
        w.node(
            "Transpose",
            &nchw,
            &[&out_name],
            &nchw,
            vec![ints("perm", &NCHW)],
        );
        out_name = nchw;
        out_shape = super::nchw(&out_shape);
    }
    let input_shape = super::nchw(&input.shape);
    Ok(pb::GraphProto {
        name: g.name.clone(),
        node: w.nodes,
        initializer: w.initializers,
        input: vec![value_info(&onnx_input, &input_shape)],
        output: vec![value_info(&out_name, &out_shape)],
        ..Default::default()
    })
}

/// NCHW to NHWC, and back.
const NHWC: [i64; 4] = [0, 2, 3, 1];
const NCHW: [i64; 4] = [0, 3, 1, 2];

struct Writer<'g> {
    g: &'g TfGraph,
    /// The ONNX value name of each TFLite tensor: its own name, made unique.
    names: Vec<String>,
    /// Which constant tensors are already initializers.
    written: Vec<bool>,
    nodes: Vec<NodeProto>,
    initializers: Vec<pb::TensorProto>,
}

impl<'g> Writer<'g> {
    fn new(g: &'g TfGraph) -> Self {
        let mut seen = std::collections::HashSet::new();
        let names = g
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if !t.name.is_empty() && seen.insert(t.name.clone()) {
                    t.name.clone()
                } else {
                    let unique = format!("{}#{i}", t.name);
                    seen.insert(unique.clone());
                    unique
                }
            })
            .collect();
        Writer {
            g,
            names,
            written: vec![false; g.tensors.len()],
            nodes: vec![],
            initializers: vec![],
        }
    }

    fn node(
        &mut self,
        op_type: &str,
        name: &str,
        inputs: &[&str],
        output: &str,
        attribute: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            op_type: op_type.into(),
            name: name.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            attribute,
            ..Default::default()
        });
    }

    fn float_init(&mut self, name: &str, dims: &[usize], values: Vec<f32>) {
        self.initializers.push(pb::TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            float_data: values,
            ..Default::default()
        });
    }

    fn int_init(&mut self, name: &str, values: Vec<i64>) {
        self.initializers.push(pb::TensorProto {
            name: name.into(),
            dims: vec![values.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: values,
            ..Default::default()
        });
    }

    /// The ONNX name of input `i` of `op`, a constant one written as an initializer the first
    /// time it is read.
    fn input(&mut self, op: &TfOp, i: usize) -> Result<String> {
        let t = op.inputs.get(i).copied().flatten().ok_or_else(|| {
            Error::InvalidModel(format!("operator '{}' lacks input {i}", op.name(self.g)))
        })?;
        let tensor = &self.g.tensors[t];
        if tensor.data.is_some() && !self.written[t] {
            self.written[t] = true;
            let name = self.names[t].clone();
            match tensor.dtype {
                TfType::F32 => self.float_init(&name, &tensor.shape, tensor.f32_data()?),
                TfType::I32 | TfType::I64 => {
                    self.initializers.push(pb::TensorProto {
                        name,
                        dims: tensor.shape.iter().map(|&d| d as i64).collect(),
                        data_type: DataType::Int64 as i32,
                        int64_data: tensor.int_data()?,
                        ..Default::default()
                    });
                }
                other => {
                    return Err(Error::InvalidModel(format!(
                        "constant '{}' of '{}' is {other:?} in a float model",
                        tensor.name,
                        op.name(self.g)
                    )))
                }
            }
        }
        Ok(self.names[t].clone())
    }

    fn tensor(&self, op: &TfOp, i: usize) -> Result<&'g TfTensor> {
        op.input(self.g, i)
    }

    /// Writes `op`'s ONNX nodes.
    fn operator(&mut self, op: &TfOp) -> Result<()> {
        let g = self.g;
        let name = op.name(g);
        let out = self.names[op.outputs[0]].clone();
        let out_t = &g.tensors[op.outputs[0]];
        if out_t.dtype != TfType::F32 {
            return Err(Error::InvalidModel(format!(
                "'{name}' writes {:?} in a float model",
                out_t.dtype
            )));
        }
        // The operator's last node writes the output, or the input of its fused activation.
        let act = fused_activation(&op.kind);
        let target = match act {
            FusedActivation::None => out.clone(),
            _ => format!("{out}/pre-activation"),
        };
        match &op.kind {
            TfOpKind::LogSoftmax | TfOpKind::ArgMax => {
                return Err(super::not_a_final_tail(op, self.g));
            }
            TfOpKind::Conv2d { .. } | TfOpKind::DepthwiseConv2d { .. } => {
                let Some(super::Convolution {
                    padding,
                    stride,
                    dilation,
                    depth_multiplier,
                    ..
                }) = op.kind.convolution()
                else {
                    unreachable!("a convolution has its options")
                };
                let xt = self.tensor(op, 0)?;
                let filter = self.tensor(op, 1)?;
                if xt.shape.len() != 4 {
                    return Err(Error::InvalidModel(format!(
                        "convolution '{name}' needs a 4-D input"
                    )));
                }
                let (w, cout, group) = filter_to_oihw(
                    filter,
                    &filter.f32_data()?,
                    xt.shape[3],
                    depth_multiplier,
                    &name,
                )?;
                let (kh, kw) = (filter.shape[1], filter.shape[2]);
                let bias = match op.optional_input(g, 2) {
                    Some(t) => t.f32_data()?,
                    None => vec![0.0; cout],
                };
                let win = window(xt, padding, [kh, kw], stride, dilation, &name)?;
                let (wn, bn) = (format!("{name}/weight"), format!("{name}/bias"));
                self.float_init(&wn, &[cout, xt.shape[3] / group, kh, kw], w);
                self.float_init(&bn, &[cout], bias);
                let attrs = vec![
                    ints("kernel_shape", &[kh as i64, kw as i64]),
                    ints("strides", &usizes(&stride)),
                    ints("dilations", &usizes(&dilation)),
                    ints("pads", &usizes(&win.pads)),
                    int("group", group as i64),
                ];
                let x = self.input(op, 0)?;
                self.nchw_wrapped(&name, &x, &target, "Conv", &[&wn, &bn], attrs);
            }
            TfOpKind::TransposeConv {
                padding, stride, ..
            } => self.transpose_conv(op, &name, *padding, *stride, &target)?,
            TfOpKind::AveragePool2d {
                padding,
                stride,
                filter,
                ..
            }
            | TfOpKind::MaxPool2d {
                padding,
                stride,
                filter,
                ..
            } => {
                let xt = self.tensor(op, 0)?;
                let win = window(xt, *padding, *filter, *stride, [1, 1], &name)?;
                let mut attrs = vec![
                    ints("kernel_shape", &usizes(filter)),
                    ints("strides", &usizes(stride)),
                    ints("pads", &usizes(&win.pads)),
                ];
                let op_type = if matches!(op.kind, TfOpKind::MaxPool2d { .. }) {
                    "MaxPool"
                } else {
                    // TFLite divides by the number of in-bounds taps.
                    attrs.push(int("count_include_pad", 0));
                    "AveragePool"
                };
                let x = self.input(op, 0)?;
                self.nchw_wrapped(&name, &x, &target, op_type, &[], attrs);
            }
            TfOpKind::Add { .. }
            | TfOpKind::Sub { .. }
            | TfOpKind::Mul { .. }
            | TfOpKind::Div { .. } => {
                let op_type = match op.kind {
                    TfOpKind::Add { .. } => "Add",
                    TfOpKind::Sub { .. } => "Sub",
                    TfOpKind::Mul { .. } => "Mul",
                    _ => "Div",
                };
                let (x, y) = (self.input(op, 0)?, self.input(op, 1)?);
                self.node(op_type, &name, &[&x, &y], &target, vec![]);
            }
            TfOpKind::Extremum { maximum } => {
                let (x, y) = (self.input(op, 0)?, self.input(op, 1)?);
                let op_type = if *maximum { "Max" } else { "Min" };
                self.node(op_type, &name, &[&x, &y], &target, vec![]);
            }
            TfOpKind::Prelu => {
                let (x, slope) = (self.input(op, 0)?, self.input(op, 1)?);
                self.node("PRelu", &name, &[&x, &slope], &target, vec![]);
            }
            TfOpKind::SquaredDifference => {
                let (x, y) = (self.input(op, 0)?, self.input(op, 1)?);
                let d = format!("{out}/difference");
                self.node("Sub", &format!("{name}/difference"), &[&x, &y], &d, vec![]);
                self.node("Mul", &name, &[&d, &d], &target, vec![]);
            }
            TfOpKind::Unary(f) => {
                let x = self.input(op, 0)?;
                self.unary(op, *f, &x, &target)?;
            }
            TfOpKind::Activation(_) => {
                let x = self.input(op, 0)?;
                self.node("Identity", &name, &[&x], &target, vec![]);
            }
            TfOpKind::Reshape => {
                let x = self.input(op, 0)?;
                let shape = format!("{name}/shape");
                self.int_init(&shape, out_t.shape.iter().map(|&d| d as i64).collect());
                self.node("Reshape", &name, &[&x, &shape], &target, vec![]);
            }
            TfOpKind::FullyConnected { .. } => {
                self.fully_connected(op, &name, &out_t.shape, &target)?;
            }
            TfOpKind::Mean { keep_dims }
            | TfOpKind::Sum { keep_dims }
            | TfOpKind::ReduceMax { keep_dims } => {
                let xt = self.tensor(op, 0)?;
                let rank = xt.shape.len() as i64;
                let mut axes = Vec::new();
                for a in self.tensor(op, 1)?.int_data()? {
                    let a = if a < 0 { a + rank } else { a };
                    if !(0..rank).contains(&a) {
                        return Err(Error::InvalidModel(format!(
                            "{} '{name}' over axis {a} of a rank-{rank} tensor",
                            op.kind.name()
                        )));
                    }
                    axes.push(a);
                }
                axes.sort_unstable();
                axes.dedup();
                if axes.is_empty() {
                    // TFLite copies the input; ONNX's ReduceSum would sum over every axis.
                    return Err(super::unsupported(op.kind.name(), &name, " over no axes"));
                }
                let x = self.input(op, 0)?;
                let keep = int("keepdims", *keep_dims as i64);
                if let TfOpKind::Sum { .. } = op.kind {
                    // Since opset 13 ReduceSum takes its axes as an input.
                    let axes_name = format!("{name}/axes");
                    self.int_init(&axes_name, axes);
                    self.node("ReduceSum", &name, &[&x, &axes_name], &target, vec![keep]);
                } else {
                    let reduce = match op.kind {
                        TfOpKind::ReduceMax { .. } => "ReduceMax",
                        _ => "ReduceMean",
                    };
                    let attrs = vec![ints("axes", &axes), keep];
                    self.node(reduce, &name, &[&x], &target, attrs);
                }
            }
            TfOpKind::Softmax { beta } => {
                let mut x = self.input(op, 0)?;
                if beta.get() != 1.0 {
                    let (b, scaled) = (format!("{name}/beta"), format!("{out}/scaled"));
                    self.float_init(&b, &[], vec![beta.get()]);
                    self.node("Mul", &format!("{name}/beta"), &[&x, &b], &scaled, vec![]);
                    x = scaled;
                }
                self.node("Softmax", &name, &[&x], &target, vec![int("axis", -1)]);
            }
            TfOpKind::Concatenation { axis, .. } => {
                let inputs = (0..op.inputs.len())
                    .map(|i| self.input(op, i))
                    .collect::<Result<Vec<_>>>()?;
                let refs: Vec<&str> = inputs.iter().map(|s| s.as_str()).collect();
                self.node(
                    "Concat",
                    &name,
                    &refs,
                    &target,
                    vec![int("axis", *axis as i64)],
                );
            }
            TfOpKind::Square => {
                let x = self.input(op, 0)?;
                self.node("Mul", &name, &[&x, &x], &target, vec![]);
            }
            TfOpKind::Tile => {
                let multiples = format!("{name}/multiples");
                let values = self.tensor(op, 1)?.int_data()?;
                self.int_init(&multiples, values);
                let x = self.input(op, 0)?;
                self.node("Tile", &name, &[&x, &multiples], &target, vec![]);
            }
            TfOpKind::Transpose => {
                let perm = self.tensor(op, 1)?.int_data()?;
                let x = self.input(op, 0)?;
                self.node(
                    "Transpose",
                    &name,
                    &[&x],
                    &target,
                    vec![ints("perm", &perm)],
                );
            }
            TfOpKind::BatchMatMul { adj_x, adj_y } => {
                let mut operands = Vec::with_capacity(2);
                for (i, adjoint) in [(0, *adj_x), (1, *adj_y)] {
                    let t = self.input(op, i)?;
                    let rank = self.tensor(op, i)?.shape.len();
                    if !adjoint {
                        operands.push(t);
                        continue;
                    }
                    if rank < 2 {
                        return Err(Error::InvalidModel(format!(
                            "BATCH_MATMUL '{name}' transposes a rank-{rank} operand"
                        )));
                    }
                    let mut perm: Vec<i64> = (0..rank as i64).collect();
                    perm.swap(rank - 2, rank - 1);
                    let moved = format!("{out}/adjoint{i}");
                    let attrs = vec![ints("perm", &perm)];
                    self.node(
                        "Transpose",
                        &format!("{name}/adjoint{i}"),
                        &[&t],
                        &moved,
                        attrs,
                    );
                    operands.push(moved);
                }
                self.node(
                    "MatMul",
                    &name,
                    &[&operands[0], &operands[1]],
                    &target,
                    vec![],
                );
            }
            TfOpKind::Pad => {
                let xt = self.tensor(op, 0)?;
                let pairs = self.tensor(op, 1)?.int_data()?;
                let rank = xt.shape.len();
                if pairs.len() != 2 * rank || pairs.iter().any(|&p| p < 0) {
                    return Err(Error::InvalidModel(format!(
                        "PAD '{name}' by {pairs:?} of a rank-{rank} tensor"
                    )));
                }
                let pads: Vec<i64> = (0..rank)
                    .map(|d| pairs[2 * d])
                    .chain((0..rank).map(|d| pairs[2 * d + 1]))
                    .collect();
                let p = format!("{name}/pads");
                self.int_init(&p, pads);
                let x = self.input(op, 0)?;
                self.node("Pad", &name, &[&x, &p], &target, vec![]);
            }
            TfOpKind::DepthSpace { block, to_space } => {
                let op_type = if *to_space {
                    "DepthToSpace"
                } else {
                    "SpaceToDepth"
                };
                // TensorFlow's channel order is ONNX's DCR mode.
                let mut attrs = vec![int("blocksize", *block as i64)];
                if *to_space {
                    attrs.push(string("mode", "DCR"));
                }
                let x = self.input(op, 0)?;
                self.nchw_wrapped(&name, &x, &target, op_type, &[], attrs);
            }
            TfOpKind::Gather { axis } => {
                let (x, i) = (self.input(op, 0)?, self.input(op, 1)?);
                self.node(
                    "Gather",
                    &name,
                    &[&x, &i],
                    &target,
                    vec![int("axis", *axis as i64)],
                );
            }
            TfOpKind::Window {
                begin, steps, full, ..
            } => {
                // Element `o` of the window is the input's `begin + o·steps`, then the declared
                // shape (which may drop size-1 axes).
                let ends = begin
                    .iter()
                    .zip(steps)
                    .zip(full)
                    .map(|((&b, &s), &n)| (b + s * n.saturating_sub(1) + 1) as i64);
                let (starts, ends_name, axes, steps_name) = (
                    format!("{name}/starts"),
                    format!("{name}/ends"),
                    format!("{name}/axes"),
                    format!("{name}/steps"),
                );
                self.int_init(&starts, begin.iter().map(|&b| b as i64).collect());
                self.int_init(&ends_name, ends.collect());
                self.int_init(&axes, (0..begin.len() as i64).collect());
                self.int_init(&steps_name, steps.iter().map(|&s| s as i64).collect());
                let x = self.input(op, 0)?;
                let sliced = format!("{out}/window");
                let ins = [x.as_str(), &starts, &ends_name, &axes, &steps_name];
                self.node("Slice", &format!("{name}/window"), &ins, &sliced, vec![]);
                let shape = format!("{name}/shape");
                self.int_init(&shape, out_t.shape.iter().map(|&d| d as i64).collect());
                self.node("Reshape", &name, &[&sliced, &shape], &target, vec![]);
            }
            TfOpKind::Pack { axis } => {
                // Stacking along a new axis: each input gains it, then they are concatenated.
                let rank = self.tensor(op, 0)?.shape.len() as i32 + 1;
                let axis = if *axis < 0 { axis + rank } else { *axis };
                let a = format!("{name}/axis");
                self.int_init(&a, vec![axis as i64]);
                let mut parts = Vec::with_capacity(op.inputs.len());
                for i in 0..op.inputs.len() {
                    let x = self.input(op, i)?;
                    let part = format!("{out}/part{i}");
                    self.node(
                        "Unsqueeze",
                        &format!("{name}/part{i}"),
                        &[&x, &a],
                        &part,
                        vec![],
                    );
                    parts.push(part);
                }
                let refs: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
                self.node(
                    "Concat",
                    &name,
                    &refs,
                    &target,
                    vec![int("axis", axis as i64)],
                );
            }
            TfOpKind::ResizeNearest { .. }
            | TfOpKind::ResizeBilinear { .. }
            | TfOpKind::Quantize
            | TfOpKind::Dequantize => {
                return Err(super::unsupported(
                    op.kind.name(),
                    &name,
                    " in a float model whose other operators need the ONNX mapping",
                ))
            }
        }
        match act {
            FusedActivation::None => {}
            FusedActivation::Relu => {
                self.node("Relu", &format!("{name}/relu"), &[&target], &out, vec![])
            }
            FusedActivation::Relu6 | FusedActivation::ReluN1To1 => {
                let (lo, hi) = if act == FusedActivation::Relu6 {
                    (0.0, 6.0)
                } else {
                    (-1.0, 1.0)
                };
                let (l, h) = (format!("{name}/clip-min"), format!("{name}/clip-max"));
                self.float_init(&l, &[], vec![lo]);
                self.float_init(&h, &[], vec![hi]);
                self.node(
                    "Clip",
                    &format!("{name}/clip"),
                    &[&target, &l, &h],
                    &out,
                    vec![],
                );
            }
        }
        Ok(())
    }

    /// `x` (NHWC) transposed to NCHW, `op_type` over it with `extra` inputs, and the result
    /// back to NHWC in `out`.
    fn nchw_wrapped(
        &mut self,
        name: &str,
        x: &str,
        out: &str,
        op_type: &str,
        extra: &[&str],
        attrs: Vec<AttributeProto>,
    ) {
        let (x_nchw, y_nchw) = (format!("{out}/input-nchw"), format!("{out}/nchw"));
        let perm = vec![ints("perm", &NCHW)];
        self.node("Transpose", &format!("{name}/to-nchw"), &[x], &x_nchw, perm);
        let mut inputs = vec![x_nchw.as_str()];
        inputs.extend_from_slice(extra);
        self.node(op_type, name, &inputs, &y_nchw, attrs);
        let perm = vec![ints("perm", &NHWC)];
        self.node(
            "Transpose",
            &format!("{name}/to-nhwc"),
            &[&y_nchw],
            out,
            perm,
        );
    }

    /// TRANSPOSE_CONV (Conv2DTranspose) as ONNX's ConvTranspose: the filter `[O, kH, kW, I]`
    /// becomes ONNX's `[I, O, kH, kW]`; TFLite takes its leading padding off the scattered
    /// output ([`super::quantized::leading_pad`]) and crops the end to the declared size, which
    /// ONNX writes as pads (or `output_padding` where the declared size is the larger).
    fn transpose_conv(
        &mut self,
        op: &TfOp,
        name: &str,
        padding: super::Padding,
        stride: [usize; 2],
        target: &str,
    ) -> Result<()> {
        let filter = self.tensor(op, 1)?;
        let xt = self.tensor(op, 2)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (fs, is, os) = (&filter.shape, &xt.shape, &out_t.shape);
        let (&[cout, kh, kw, cin], &[1, h, w, xc], &[1, oh, ow, oc]) = (&fs[..], &is[..], &os[..])
        else {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}' needs a 4-D filter, input and output of one image, not \
                 {fs:?}, {is:?} and {os:?}"
            )));
        };
        if xc != cin || oc != cout || [kh, kw, h, w, oh, ow].contains(&0) || stride.contains(&0) {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}': filter {fs:?} for input {is:?} and output {os:?}"
            )));
        }
        let data = filter.f32_data()?;
        let mut weight = vec![0f32; data.len()];
        // OHWI index `((o·kH + y)·kW + x)·I + i` to IOHW.
        for (j, &v) in data.iter().enumerate() {
            let (i, x, y, o) = (
                j % cin,
                j / cin % kw,
                j / (cin * kw) % kh,
                j / (cin * kw * kh),
            );
            weight[((i * cout + o) * kh + y) * kw + x] = v;
        }
        let bias = match op.optional_input(self.g, 3) {
            Some(t) => t.f32_data()?,
            None => vec![0.0; cout],
        };
        if bias.len() != cout {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}': {} biases for {cout} channels",
                bias.len()
            )));
        }
        // Per axis: the full scatter's size, TFLite's leading pad, and what is left to crop at
        // the end (below zero: the declared output reaches past the scatter).
        let mut pads = [0i64; 4];
        let mut output_padding = [0i64; 2];
        for (a, (n, k, s, out)) in [(h, kh, stride[0], oh), (w, kw, stride[1], ow)]
            .into_iter()
            .enumerate()
        {
            let full = ((n - 1) * s + k) as i64;
            let begin = super::quantized::leading_pad(padding, s, k, out) as i64;
            let end = full - begin - out as i64;
            pads[a] = begin;
            pads[2 + a] = end.max(0);
            output_padding[a] = (-end).max(0);
        }
        let (wn, bn) = (format!("{name}/weight"), format!("{name}/bias"));
        self.float_init(&wn, &[cin, cout, kh, kw], weight);
        self.float_init(&bn, &[cout], bias);
        let attrs = vec![
            ints("kernel_shape", &[kh as i64, kw as i64]),
            ints("strides", &usizes(&stride)),
            ints("pads", &pads),
            ints("output_padding", &output_padding),
        ];
        let x = self.input(op, 2)?;
        self.nchw_wrapped(name, &x, target, "ConvTranspose", &[&wn, &bn], attrs);
        Ok(())
    }

    /// FULLY_CONNECTED: the input's rows of `K` (its last axis, or all its elements when the
    /// weights say so) times the weights `[N, K]` transposed, plus the bias, in the declared
    /// output shape.
    fn fully_connected(
        &mut self,
        op: &TfOp,
        name: &str,
        out_shape: &[usize],
        out: &str,
    ) -> Result<()> {
        let xt = self.tensor(op, 0)?;
        let filter = self.tensor(op, 1)?;
        let (n_out, k) = match filter.shape[..] {
            [n, k] if k > 0 && xt.len() % k == 0 => (n, k),
            _ => {
                return Err(super::unsupported(
                    "FULLY_CONNECTED",
                    name,
                    &format!(
                        " with weights {:?} of an input {:?}",
                        filter.shape, xt.shape
                    ),
                ))
            }
        };
        let rows = xt.len() / k;
        if out_shape.iter().product::<usize>() != rows * n_out {
            return Err(Error::InvalidModel(format!(
                "FULLY_CONNECTED '{name}' of {:?} by {:?} declares output {out_shape:?}",
                xt.shape, filter.shape
            )));
        }
        let f = filter.f32_data()?;
        let mut transposed = vec![0f32; f.len()];
        for o in 0..n_out {
            for i in 0..k {
                transposed[i * n_out + o] = f[o * k + i];
            }
        }
        let mut x = self.input(op, 0)?;
        // Rows of a batch-1 sequence: `[1, rows, K]` (or `[1, K]`).
        let view: Vec<usize> = if rows == 1 {
            vec![1, k]
        } else {
            vec![1, rows, k]
        };
        if xt.shape != view {
            let (s, viewed) = (format!("{name}/rows-shape"), format!("{out}/rows"));
            self.int_init(&s, view.iter().map(|&d| d as i64).collect());
            self.node(
                "Reshape",
                &format!("{name}/rows"),
                &[&x, &s],
                &viewed,
                vec![],
            );
            x = viewed;
        }
        let w = format!("{name}/weight");
        self.float_init(&w, &[k, n_out], transposed);
        let product = format!("{out}/product");
        self.node("MatMul", name, &[&x, &w], &product, vec![]);
        let mut y = product;
        if let Some(bias) = op.optional_input(self.g, 2) {
            let (b, biased) = (format!("{name}/bias"), format!("{out}/biased"));
            self.float_init(&b, &[n_out], bias.f32_data()?);
            self.node("Add", &format!("{name}/bias"), &[&y, &b], &biased, vec![]);
            y = biased;
        }
        let produced: Vec<usize> = view[..view.len() - 1]
            .iter()
            .copied()
            .chain([n_out])
            .collect();
        if produced != out_shape {
            let s = format!("{name}/shape");
            self.int_init(&s, out_shape.iter().map(|&d| d as i64).collect());
            self.node(
                "Reshape",
                &format!("{name}/reshape"),
                &[&y, &s],
                out,
                vec![],
            );
        } else {
            self.node("Identity", &format!("{name}/identity"), &[&y], out, vec![]);
        }
        Ok(())
    }

    fn unary(&mut self, op: &TfOp, f: UnaryFn, x: &str, out: &str) -> Result<()> {
        let name = op.name(self.g);
        match f {
            UnaryFn::Sigmoid => self.node("Sigmoid", &name, &[x], out, vec![]),
            UnaryFn::Tanh => self.node("Tanh", &name, &[x], out, vec![]),
            UnaryFn::HardSwish => self.node("HardSwish", &name, &[x], out, vec![]),
            UnaryFn::Exp => self.node("Exp", &name, &[x], out, vec![]),
            UnaryFn::Sqrt => self.node("Sqrt", &name, &[x], out, vec![]),
            UnaryFn::Abs => self.node("Abs", &name, &[x], out, vec![]),
            UnaryFn::LeakyRelu { alpha } => self.node(
                "LeakyRelu",
                &name,
                &[x],
                out,
                vec![float("alpha", alpha.get())],
            ),
            UnaryFn::Gelu { tanh_approximation } => {
                let mode = if tanh_approximation { "tanh" } else { "none" };
                self.node("Gelu", &name, &[x], out, vec![string("approximate", mode)])
            }
            // RSQRT: Sqrt then Reciprocal, which the ONNX mapping fuses (with an ADD of ε
            // before it) into one `1/√(v + ε)` table.
            UnaryFn::InverseSqrt { epsilon } if epsilon.get() == 0.0 => {
                let root = format!("{out}/root");
                self.node("Sqrt", &format!("{name}/root"), &[x], &root, vec![]);
                self.node("Reciprocal", &name, &[&root], out, vec![]);
            }
            other => {
                return Err(super::unsupported(
                    other.name(),
                    &name,
                    " in a float TFLite model",
                ))
            }
        }
        Ok(())
    }
}

/// The activation an operator applies to its result.
fn fused_activation(kind: &TfOpKind) -> FusedActivation {
    match kind {
        TfOpKind::Conv2d { act, .. }
        | TfOpKind::DepthwiseConv2d { act, .. }
        | TfOpKind::AveragePool2d { act, .. }
        | TfOpKind::MaxPool2d { act, .. }
        | TfOpKind::Add { act }
        | TfOpKind::Sub { act }
        | TfOpKind::Mul { act }
        | TfOpKind::Div { act }
        | TfOpKind::FullyConnected { act }
        | TfOpKind::Concatenation { act, .. } => *act,
        TfOpKind::Activation(a) => *a,
        TfOpKind::TransposeConv { act, .. } => *act,
        TfOpKind::Reshape
        | TfOpKind::Pad
        | TfOpKind::Mean { .. }
        | TfOpKind::Sum { .. }
        | TfOpKind::Tile
        | TfOpKind::ReduceMax { .. }
        | TfOpKind::Softmax { .. }
        | TfOpKind::LogSoftmax
        | TfOpKind::ArgMax
        | TfOpKind::Square
        | TfOpKind::Unary(_)
        | TfOpKind::ResizeNearest { .. }
        | TfOpKind::ResizeBilinear { .. }
        | TfOpKind::Transpose
        | TfOpKind::Quantize
        | TfOpKind::Dequantize
        | TfOpKind::Window { .. }
        | TfOpKind::Pack { .. }
        | TfOpKind::Gather { .. }
        | TfOpKind::DepthSpace { .. }
        | TfOpKind::BatchMatMul { .. }
        | TfOpKind::SquaredDifference
        | TfOpKind::Prelu
        | TfOpKind::Extremum { .. } => FusedActivation::None,
    }
}

fn usizes(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i,
        ..Default::default()
    }
}

fn float(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f,
        ..Default::default()
    }
}

fn string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn value_info(name: &str, shape: &[usize]) -> pb::ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| Dimension {
            value: Some(dimension::Value::DimValue(d as i64)),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "as_onnx_tests.rs"]
mod tests;
