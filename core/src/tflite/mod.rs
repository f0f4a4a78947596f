//! TFLite loader. The flatbuffer is parsed through the schema `tract-tflite` generates
//! (`tract_tflite::tflite`); everything after that is ours:
//!
//! - [`parse`] turns the flatbuffer into a [`TfGraph`]: plain Rust tensors (shape, type,
//!   quantization, constant data) and operators with their options. Tests build `TfGraph`s by
//!   hand to check each operator's semantics on small known cases.
//! - A float model (every activation `FLOAT32`) lowers to the float IR ([`float::lower`]) and
//!   then goes through our own calibration and quantization, like an ONNX model.
//! - A quantized model (uint8/int8 activations) lowers straight to a [`QGraph`] that reproduces
//!   TFLite's integer kernels bit for bit ([`quantized::lower`]): zero points, per-tensor and
//!   per-channel scales, int32 accumulators with bias, `MultiplyByQuantizedMultiplier`
//!   requantization with gemmlowp's rounding, saturation, fused activations.
//!
//! TFLite is NHWC; our IR and graphs are NCHW with batch 1, so the loader transposes weights
//! and shapes once, here.
//!
//! A final SOFTMAX is left outside the proof by default: it is dropped and its input (the
//! logits) is the model's output (softmax is monotonic, so the predicted class is the same);
//! with [`FinalSoftmax::Proven`] it is proven as the output. A SOFTMAX elsewhere is proven.

mod as_onnx;
pub mod bilinear;
mod dequantize;
pub mod float;
pub mod lut;
pub mod movement;
pub mod quantized;
mod shape_fold;
mod slicing;

use crate::error::{Error, Result};
use crate::ir::{Model, Window2d};
use crate::ops::unary::UnaryFn;
use crate::qgraph::QGraph;
use std::path::Path;
use tract_tflite::tflite;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TfType {
    F32,
    /// Only for constants, which stand for their float32 values ([`dequantize`]).
    F16,
    U8,
    I8,
    I32,
    I64,
}

impl TfType {
    fn size(self) -> usize {
        match self {
            TfType::U8 | TfType::I8 => 1,
            TfType::F16 => 2,
            TfType::F32 | TfType::I32 => 4,
            TfType::I64 => 8,
        }
    }

    /// The stored integer range of a quantized activation type.
    pub fn q_range(self) -> Option<(i64, i64)> {
        match self {
            TfType::U8 => Some((0, 255)),
            TfType::I8 => Some((-128, 127)),
            _ => None,
        }
    }
}

/// A tensor's quantization: `real = scale · (q - zero_point)`, per tensor (one entry) or per
/// channel along `dim`.
#[derive(Clone, Debug, PartialEq)]
pub struct TfQuant {
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub dim: usize,
}

#[derive(Clone, Debug)]
pub struct TfTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: TfType,
    pub quant: Option<TfQuant>,
    /// Constant contents (little-endian), for weights, biases and shape operands.
    pub data: Option<Vec<u8>>,
}

impl TfTensor {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn constant(&self) -> Result<&[u8]> {
        let data = self.data.as_deref().ok_or_else(|| {
            Error::InvalidModel(format!("tensor '{}' must be a constant", self.name))
        })?;
        if data.len() != self.len() * self.dtype.size() {
            return Err(Error::InvalidModel(format!(
                "tensor '{}' has {} bytes of data for shape {:?} of {:?}",
                self.name,
                data.len(),
                self.shape,
                self.dtype
            )));
        }
        Ok(data)
    }

    pub fn f32_data(&self) -> Result<Vec<f32>> {
        self.expect_type(TfType::F32)?;
        Ok(self
            .constant()?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub fn i32_data(&self) -> Result<Vec<i64>> {
        self.expect_type(TfType::I32)?;
        Ok(self
            .constant()?
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
            .collect())
    }

    /// Integer contents of a constant of any integer type.
    pub fn int_data(&self) -> Result<Vec<i64>> {
        let d = self.constant()?;
        Ok(match self.dtype {
            TfType::U8 => d.iter().map(|&v| v as i64).collect(),
            TfType::I8 => d.iter().map(|&v| v as i8 as i64).collect(),
            TfType::I32 => return self.i32_data(),
            TfType::I64 => d
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            TfType::F32 | TfType::F16 => {
                return Err(Error::InvalidModel(format!(
                    "tensor '{}' must hold integers",
                    self.name
                )))
            }
        })
    }

    fn expect_type(&self, t: TfType) -> Result<()> {
        if self.dtype != t {
            return Err(Error::InvalidModel(format!(
                "tensor '{}' is {:?}, expected {t:?}",
                self.name, self.dtype
            )));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusedActivation {
    None,
    Relu,
    Relu6,
    ReluN1To1,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TfOpKind {
    Conv2d {
        padding: Padding,
        stride: [usize; 2],
        dilation: [usize; 2],
        act: FusedActivation,
    },
    DepthwiseConv2d {
        padding: Padding,
        stride: [usize; 2],
        dilation: [usize; 2],
        depth_multiplier: usize,
        act: FusedActivation,
    },
    AveragePool2d {
        padding: Padding,
        stride: [usize; 2],
        filter: [usize; 2],
        act: FusedActivation,
    },
    MaxPool2d {
        padding: Padding,
        stride: [usize; 2],
        filter: [usize; 2],
        act: FusedActivation,
    },
    Add {
        act: FusedActivation,
    },
    Mul {
        act: FusedActivation,
    },
    Reshape,
    FullyConnected {
        act: FusedActivation,
    },
    Pad,
    Mean {
        keep_dims: bool,
    },
    /// SUM (`tf.reduce_sum`, a GroupNormalization's moments): the sum over the given axes.
    Sum {
        keep_dims: bool,
    },
    /// TILE (`tf.tile`, Keras's RepeatVector): the input repeated along each axis by its
    /// multiple (the second input).
    Tile,
    /// REDUCE_MAX (GlobalMaxPooling1D/2D): the largest value over the given axes.
    ReduceMax {
        keep_dims: bool,
    },
    /// TRANSPOSE_CONV (Conv2DTranspose): inputs are the output shape, the filter (OHWI), the
    /// input and an optional bias.
    TransposeConv {
        padding: Padding,
        stride: [usize; 2],
        act: FusedActivation,
    },
    /// SOFTMAX over the last axis of `beta·x`.
    Softmax {
        beta: crate::ops::unary::Param,
    },
    /// SQUARE: `x·x`, a float kernel (inside a float island of an integer model, or in a float
    /// model; GroupNormalization's variance, `tf.square`).
    Square,
    /// LOG_SOFTMAX over the last axis: lowered only where it ends a model, left outside the
    /// proof ([`outside_tail_input`]).
    LogSoftmax,
    /// ARG_MAX over the axis its second input names: likewise only where it ends a model.
    ArgMax,
    /// An elementwise function: LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, EXP, GELU, and in
    /// float models SQRT, RSQRT and ABS.
    Unary(crate::ops::unary::UnaryFn),
    /// CONCATENATION along `axis` of the NHWC tensors.
    Concatenation {
        axis: i32,
        act: FusedActivation,
    },
    /// SUB of two tensors, the second broadcast to the first.
    Sub {
        act: FusedActivation,
    },
    /// RESIZE_NEAREST_NEIGHBOR to the constant size of input 1.
    ResizeNearest {
        align_corners: bool,
        half_pixel_centers: bool,
    },
    /// RESIZE_BILINEAR to the constant size of input 1 (int8: [`bilinear`]).
    ResizeBilinear {
        align_corners: bool,
        half_pixel_centers: bool,
    },
    /// TRANSPOSE by the constant permutation of input 1.
    Transpose,
    /// QUANTIZE: float to 8 bits at the model's input, or 8 bits to another scale.
    Quantize,
    /// DEQUANTIZE: 8 bits to float at the model's output.
    Dequantize,
    /// A standalone RELU, RELU6 or RELU_N1_TO_1 (never `FusedActivation::None`).
    Activation(FusedActivation),
    /// A strided window of the input, of shape `full` at the input's rank (the output's
    /// declared shape may drop its size-1 axes): element `o` is the input's `begin + o·steps`.
    /// STRIDED_SLICE, SLICE, and each output of SPLIT, SPLIT_V and UNPACK (`source`).
    Window {
        source: &'static str,
        begin: Vec<usize>,
        steps: Vec<usize>,
        full: Vec<usize>,
    },
    /// PACK: the inputs stacked along a new axis.
    Pack {
        axis: i32,
    },
    /// GATHER along `axis` at the constant indices of input 1.
    Gather {
        axis: i32,
    },
    /// DEPTH_TO_SPACE (`to_space`) or SPACE_TO_DEPTH by `block`.
    DepthSpace {
        block: usize,
        to_space: bool,
    },
    /// BATCH_MATMUL: the product of the last two axes, each operand transposed first when its
    /// flag says so, the leading axes broadcast (float models).
    BatchMatMul {
        adj_x: bool,
        adj_y: bool,
    },
    /// SQUARED_DIFFERENCE: `(x - y)²`, broadcast (float models).
    SquaredDifference,
    /// DIV: `x / y`, broadcast (float models).
    Div {
        act: FusedActivation,
    },
    /// PRELU (Keras's `PReLU`): `x` where it is at least 0, else `alpha·x`, the constant
    /// slope tensor `alpha` (input 1) broadcast to `x`.
    Prelu,
    /// MAXIMUM (`maximum`) or MINIMUM of two tensors, broadcast as numpy does.
    Extremum {
        maximum: bool,
    },
}

/// A CONV_2D's or DEPTHWISE_CONV_2D's options (`depth_multiplier` only for the latter).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Convolution {
    pub padding: Padding,
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub depth_multiplier: Option<usize>,
    pub act: FusedActivation,
}

impl TfOpKind {
    /// The options of a convolution of either kind; None for any other operator.
    pub(crate) fn convolution(&self) -> Option<Convolution> {
        match *self {
            TfOpKind::Conv2d {
                padding,
                stride,
                dilation,
                act,
            } => Some(Convolution {
                padding,
                stride,
                dilation,
                depth_multiplier: None,
                act,
            }),
            TfOpKind::DepthwiseConv2d {
                padding,
                stride,
                dilation,
                depth_multiplier,
                act,
            } => Some(Convolution {
                padding,
                stride,
                dilation,
                depth_multiplier: Some(depth_multiplier),
                act,
            }),
            _ => None,
        }
    }

    /// The builtin operator's name, as TFLite spells it.
    pub fn name(&self) -> &'static str {
        match self {
            TfOpKind::Conv2d { .. } => "CONV_2D",
            TfOpKind::DepthwiseConv2d { .. } => "DEPTHWISE_CONV_2D",
            TfOpKind::AveragePool2d { .. } => "AVERAGE_POOL_2D",
            TfOpKind::MaxPool2d { .. } => "MAX_POOL_2D",
            TfOpKind::Add { .. } => "ADD",
            TfOpKind::Mul { .. } => "MUL",
            TfOpKind::Reshape => "RESHAPE",
            TfOpKind::FullyConnected { .. } => "FULLY_CONNECTED",
            TfOpKind::Pad => "PAD",
            TfOpKind::Mean { .. } => "MEAN",
            TfOpKind::Sum { .. } => "SUM",
            TfOpKind::Tile => "TILE",
            TfOpKind::ReduceMax { .. } => "REDUCE_MAX",
            TfOpKind::TransposeConv { .. } => "TRANSPOSE_CONV",
            TfOpKind::Softmax { .. } => "SOFTMAX",
            TfOpKind::LogSoftmax => "LOG_SOFTMAX",
            TfOpKind::Square => "SQUARE",
            TfOpKind::ArgMax => "ARG_MAX",
            TfOpKind::Unary(f) => match f {
                UnaryFn::Sigmoid => "LOGISTIC",
                UnaryFn::Tanh => "TANH",
                UnaryFn::HardSwish => "HARD_SWISH",
                UnaryFn::LeakyRelu { .. } => "LEAKY_RELU",
                UnaryFn::Exp => "EXP",
                UnaryFn::Gelu { .. } => "GELU",
                UnaryFn::Sqrt => "SQRT",
                UnaryFn::Abs => "ABS",
                UnaryFn::InverseSqrt { .. } => "RSQRT",
                UnaryFn::Elu { .. } => "ELU",
                UnaryFn::Log => "LOG",
                UnaryFn::Sin => "SIN",
                UnaryFn::Cos => "COS",
                other => other.name(),
            },
            TfOpKind::Concatenation { .. } => "CONCATENATION",
            TfOpKind::Sub { .. } => "SUB",
            TfOpKind::ResizeNearest { .. } => "RESIZE_NEAREST_NEIGHBOR",
            TfOpKind::ResizeBilinear { .. } => "RESIZE_BILINEAR",
            TfOpKind::Transpose => "TRANSPOSE",
            TfOpKind::Quantize => "QUANTIZE",
            TfOpKind::Dequantize => "DEQUANTIZE",
            TfOpKind::Window { source, .. } => source,
            TfOpKind::Pack { .. } => "PACK",
            TfOpKind::BatchMatMul { .. } => "BATCH_MATMUL",
            TfOpKind::SquaredDifference => "SQUARED_DIFFERENCE",
            TfOpKind::Div { .. } => "DIV",
            TfOpKind::Prelu => "PRELU",
            TfOpKind::Extremum { maximum: true } => "MAXIMUM",
            TfOpKind::Extremum { maximum: false } => "MINIMUM",
            TfOpKind::Gather { .. } => "GATHER",
            TfOpKind::DepthSpace { to_space: true, .. } => "DEPTH_TO_SPACE",
            TfOpKind::DepthSpace {
                to_space: false, ..
            } => "SPACE_TO_DEPTH",
            TfOpKind::Activation(a) => match a {
                FusedActivation::None => "IDENTITY",
                FusedActivation::Relu => "RELU",
                FusedActivation::Relu6 => "RELU6",
                FusedActivation::ReluN1To1 => "RELU_N1_TO_1",
            },
        }
    }

    /// AVERAGE_POOL_2D (`average`) or MAX_POOL_2D, which share their options.
    pub fn pool(
        average: bool,
        padding: Padding,
        stride: [usize; 2],
        filter: [usize; 2],
        act: FusedActivation,
    ) -> Self {
        if average {
            TfOpKind::AveragePool2d {
                padding,
                stride,
                filter,
                act,
            }
        } else {
            TfOpKind::MaxPool2d {
                padding,
                stride,
                filter,
                act,
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct TfOp {
    pub kind: TfOpKind,
    /// Tensor indices; None for an omitted optional input (e.g. no bias).
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<usize>,
}

impl TfOp {
    pub fn name(&self, graph: &TfGraph) -> String {
        self.outputs
            .first()
            .map(|&t| graph.tensors[t].name.clone())
            .unwrap_or_default()
    }

    /// The i-th input, which must be present.
    pub fn input<'g>(&self, graph: &'g TfGraph, i: usize) -> Result<&'g TfTensor> {
        self.inputs
            .get(i)
            .copied()
            .flatten()
            .map(|t| &graph.tensors[t])
            .ok_or_else(|| {
                Error::InvalidModel(format!(
                    "operator '{}' ({:?}) lacks input {i}",
                    self.name(graph),
                    self.kind
                ))
            })
    }

    pub fn optional_input<'g>(&self, graph: &'g TfGraph, i: usize) -> Option<&'g TfTensor> {
        self.inputs
            .get(i)
            .copied()
            .flatten()
            .map(|t| &graph.tensors[t])
    }
}

/// One TFLite subgraph in plain Rust.
#[derive(Clone, Debug)]
pub struct TfGraph {
    pub name: String,
    pub tensors: Vec<TfTensor>,
    pub ops: Vec<TfOp>,
    pub input: usize,
    pub output: usize,
}

impl TfGraph {
    /// The first `n_ops` operators of this graph run on a `height`×`width` input, with the last
    /// one's output as the graph's output. Convolution weights do not depend on the resolution,
    /// so a few blocks of an ImageNet model at a small resolution exercise exactly the model's
    /// arithmetic (its tests prove that much of MobileNet with a MockProver). Shapes are
    /// recomputed through convolutions, pools and ADD; other operators are refused.
    pub fn truncated(&self, n_ops: usize, height: usize, width: usize) -> Result<TfGraph> {
        if n_ops == 0 || n_ops > self.ops.len() || height == 0 || width == 0 {
            return Err(Error::InvalidModel(format!(
                "cannot keep {n_ops} of {} operators at {height}x{width}",
                self.ops.len()
            )));
        }
        let mut g = self.clone();
        g.ops.truncate(n_ops);
        let input = &mut g.tensors[g.input];
        if input.shape.len() != 4 {
            return Err(Error::InvalidModel("the input is not NHWC".into()));
        }
        input.shape[1] = height;
        input.shape[2] = width;
        for op in &g.ops {
            let x_shape = op.input(&g, 0)?.shape.clone();
            let name = op.name(&g);
            let too_small =
                || Error::InvalidModel(format!("operator '{name}': input {x_shape:?} too small"));
            let spatial =
                |padding, kernel: [usize; 2], stride: [usize; 2], dilation: [usize; 2]| {
                    let h = pads_for(padding, x_shape[1], kernel[0], stride[0], dilation[0]);
                    let w = pads_for(padding, x_shape[2], kernel[1], stride[1], dilation[1]);
                    Some((h?.2, w?.2))
                };
            let out_shape = match &op.kind {
                TfOpKind::Conv2d {
                    padding,
                    stride,
                    dilation,
                    ..
                }
                | TfOpKind::DepthwiseConv2d {
                    padding,
                    stride,
                    dilation,
                    ..
                } => {
                    let f = &op.input(&g, 1)?.shape;
                    let (h, w) = spatial(*padding, [f[1], f[2]], *stride, *dilation)
                        .ok_or_else(too_small)?;
                    let c = g.tensors[op.outputs[0]].shape[3];
                    vec![1, h, w, c]
                }
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
                    let (h, w) =
                        spatial(*padding, *filter, *stride, [1, 1]).ok_or_else(too_small)?;
                    vec![1, h, w, x_shape[3]]
                }
                TfOpKind::Add { .. } => x_shape.clone(),
                other => {
                    return Err(Error::InvalidModel(format!(
                        "cannot recompute the shape of {other:?} at a new resolution"
                    )))
                }
            };
            g.tensors[op.outputs[0]].shape = out_shape;
        }
        g.output = g.ops[n_ops - 1].outputs[0];
        Ok(g)
    }
}

/// What a TFLite file becomes.
#[derive(Clone, Debug)]
pub enum Loaded {
    /// Float activations: quantized by our own calibration, like an ONNX model.
    Float(Model),
    /// Already quantized by TFLite: its exact integer semantics.
    Quantized(QGraph),
}

/// What becomes of a SOFTMAX that ends a model (one in the middle is always proven).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FinalSoftmax {
    /// Left outside the proof: the logits are the proven output. The class is the same, and an
    /// int8 model's logits equal the interpreter's default kernels' bit for bit.
    #[default]
    Outside,
    /// Proven, as the model's output: for an integer model TFLite's reference kernel (the one
    /// TFLite Micro runs; the interpreter's default kernel computes the probabilities in float
    /// through a table and can differ from it by one step), for a float model our quantized
    /// softmax, as an ONNX model's.
    Proven,
}

impl FinalSoftmax {
    /// `--prove-softmax` (the CLI's and the Python package's flag) as a choice.
    pub fn proven_if(prove: bool) -> Self {
        if prove {
            FinalSoftmax::Proven
        } else {
            FinalSoftmax::Outside
        }
    }
}

/// Reads and lowers a TFLite file.
pub fn load_tflite(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    let (bytes, name) = crate::loader::read_model_file(path)?;
    load_tflite_bytes(
        &bytes,
        &name,
        &path.display().to_string(),
        FinalSoftmax::Outside,
    )
}

/// Parses and lowers TFLite bytes; `origin` names them in error messages.
pub fn load_tflite_bytes(
    bytes: &[u8],
    name: &str,
    origin: &str,
    final_softmax: FinalSoftmax,
) -> Result<Loaded> {
    lower_with(&parse(bytes, name, origin)?, final_softmax)
}

/// Lowers a parsed graph: quantized activations go to a TFLite-exact [`QGraph`], float ones to
/// the float IR. A final SOFTMAX is left outside the proof.
pub fn lower(graph: &TfGraph) -> Result<Loaded> {
    lower_with(graph, FinalSoftmax::Outside)
}

/// [`lower`], with the final SOFTMAX's fate chosen.
pub fn lower_with(graph: &TfGraph, final_softmax: FinalSoftmax) -> Result<Loaded> {
    match graph.tensors[graph.input].dtype {
        // A quantized model with a float interface (what TensorFlow's post-training
        // quantization writes by default): QUANTIZE first, DEQUANTIZE last.
        TfType::F32 if quantized_edges(graph).input != graph.input => {
            quantized::lower(graph, final_softmax).map(Loaded::Quantized)
        }
        // Weights stored as float16 or int8 with a scale stand for float32 values.
        TfType::F32 => {
            lower_float(&dequantize::widen_weights(graph)?, final_softmax).map(Loaded::Float)
        }
        TfType::U8 | TfType::I8 => quantized::lower(graph, final_softmax).map(Loaded::Quantized),
        t => Err(Error::InvalidModel(format!(
            "input tensor '{}' is {t:?}; expected float32, uint8 or int8",
            graph.tensors[graph.input].name
        ))),
    }
}

/// A float graph: through the direct lowering, or, for what it refuses (transformers'
/// operators, reductions and broadcasts over any axis, a SOFTMAX in the middle), through the
/// ONNX mapping ([`as_onnx`]). Only an unsupported operator or form sends a model the other
/// way (a malformed one is reported as such). When both refuse, the error is the direct
/// lowering's unless the ONNX mapping got past every TFLite operator (it then names the ONNX
/// node in the way).
fn lower_float(graph: &TfGraph, final_softmax: FinalSoftmax) -> Result<Model> {
    let direct = match float::lower(graph, final_softmax) {
        Ok(model) => return Ok(model),
        Err(e @ Error::UnsupportedOp { .. }) => e,
        Err(e) => return Err(e),
    };
    let graph_of = match as_onnx::graph_of(graph, final_softmax) {
        Ok(g) => g,
        Err(_) => return Err(direct),
    };
    crate::onnx::load_graph(&graph_of, &graph.name, as_onnx::OPSET)
}

/// The most elements a tensor may have, and the most tensor elements the operators may read
/// and write in all (each operator's inputs plus its output, weights included). MobileNet v2
/// 1.0/224 moves 17.7 M (2^24.1), its largest tensor holds 1.3 M. The limit keeps a hostile
/// file's declared shapes from overflowing size arithmetic or making the lowering allocate
/// without bound (what it allocates grows with the elements moved).
pub const MAX_ELEMENTS: usize = 1 << 26;

/// A RESIZE operator's constant output size `[height, width]` (input 1), both positive.
pub(crate) fn resize_size(op: &TfOp, g: &TfGraph) -> Result<[usize; 2]> {
    let size = op.input(g, 1)?.int_data()?;
    match size[..] {
        [h, w] if h > 0 && w > 0 => Ok([h as usize, w as usize]),
        _ => Err(Error::InvalidModel(format!(
            "{} '{}' to size {size:?}",
            op.kind.name(),
            op.name(g)
        ))),
    }
}

/// Where a quantized model's 8-bit part begins and ends: a float input QUANTIZE'd by the first
/// operator that reads it starts at that operator's output (the prover quantizes a float input
/// exactly as QUANTIZE does, see [`crate::qgraph::AffineQuant::quantize_centred`]), and a last
/// DEQUANTIZE ends at its input (dequantizing is the consumer's reading of the output).
pub(crate) struct Edges {
    pub input: usize,
    pub output: usize,
    /// The operators these edges replace.
    pub skipped: Vec<usize>,
}

pub(crate) fn quantized_edges(g: &TfGraph) -> Edges {
    let mut edges = Edges {
        input: g.input,
        output: g.output,
        skipped: vec![],
    };
    if g.tensors[g.input].dtype == TfType::F32 {
        let readers: Vec<usize> = (0..g.ops.len())
            .filter(|&n| g.ops[n].inputs.contains(&Some(g.input)))
            .collect();
        if let [n] = readers[..] {
            let op = &g.ops[n];
            let out = &g.tensors[op.outputs[0]];
            if op.kind == TfOpKind::Quantize && matches!(out.dtype, TfType::U8 | TfType::I8) {
                edges.input = op.outputs[0];
                edges.skipped.push(n);
            }
        }
    }
    if let Some(n) = g.ops.len().checked_sub(1) {
        let op = &g.ops[n];
        let quantized_input = op
            .inputs
            .first()
            .copied()
            .flatten()
            .is_some_and(|t| matches!(g.tensors[t].dtype, TfType::U8 | TfType::I8));
        if op.kind == TfOpKind::Dequantize && op.outputs[0] == g.output && quantized_input {
            edges.output = op.inputs[0].unwrap_or(g.output);
            edges.skipped.push(n);
        }
    }
    edges
}

/// The error for a LOG_SOFTMAX or ARG_MAX that [`outside_tail_input`] did not leave outside
/// the proof: one in the middle of a model, or a final LOG_SOFTMAX with the softmax proven.
pub(crate) fn not_a_final_tail(op: &TfOp, g: &TfGraph) -> Error {
    unsupported(
        op.kind.name(),
        &op.name(g),
        " (only where it ends the model, left outside the proof, as a final SOFTMAX is unless \
         --prove-softmax; a LOG_SOFTMAX cannot be proven, and an ARG_MAX must read one row \
         along its last axis)",
    )
}

/// Whether the lowerings leave an operator of `kind` outside the proof where it ends a model:
/// a SOFTMAX (unless [`FinalSoftmax::Proven`]), a LOG_SOFTMAX (unless proven was asked for,
/// which it cannot be: it is then refused) and an ARG_MAX. Each keeps the class, the first of
/// the largest values of a row, so the values it reads are the proven output.
fn left_outside(kind: &TfOpKind, final_softmax: FinalSoftmax) -> bool {
    match kind {
        // A softmax of beta 0 or less does not keep the class.
        TfOpKind::Softmax { beta } => beta.get() > 0.0 && final_softmax == FinalSoftmax::Outside,
        TfOpKind::LogSoftmax => final_softmax == FinalSoftmax::Outside,
        TfOpKind::ArgMax => true,
        _ => false,
    }
}

/// An ARG_MAX whose index is the class zkinfer reads from the values it reads: over the last
/// axis of one row (every other dimension 1). Over rows, or another axis, it is several indices.
fn arg_max_is_the_class(g: &TfGraph, op: &TfOp) -> bool {
    let (Some(Some(x)), Some(Some(axis))) = (op.inputs.first(), op.inputs.get(1)) else {
        return false;
    };
    let shape = &g.tensors[*x].shape;
    let rank = shape.len() as i64;
    let one_row = shape
        .split_last()
        .is_some_and(|(_, lead)| lead.iter().all(|&d| d == 1));
    let last_axis = g.tensors[*axis]
        .int_data()
        .is_ok_and(|a| matches!(a[..], [a] if a == -1 || a == rank - 1));
    one_row && last_axis
}

/// Where ops `n..` are the model's last ones (before a final DEQUANTIZE, when `output` is not
/// the graph's), each [`left_outside`] and each reading the one before, the last writing
/// `output` (an ARG_MAX only alone, over the last axis of one row): the tensor op `n` reads,
/// which becomes the proven output. None otherwise (op `n` is then lowered, and a LOG_SOFTMAX
/// or ARG_MAX is refused by name).
pub(crate) fn outside_tail_input(
    g: &TfGraph,
    n: usize,
    output: usize,
    final_softmax: FinalSoftmax,
) -> Option<usize> {
    let last = if output == g.output {
        g.ops.len()
    } else {
        g.ops.len().checked_sub(1)?
    };
    let tail = g.ops.get(n..last)?;
    let chained = tail.iter().enumerate().all(|(i, op)| {
        left_outside(&op.kind, final_softmax)
            && (i == 0 || op.inputs.first().copied().flatten() == Some(tail[i - 1].outputs[0]))
    });
    // An ARG_MAX only alone, reading the proven values themselves: after an 8-bit softmax it
    // would pick the first of probabilities that tie where the logits do not (such a softmax
    // is then proven, the ARG_MAX alone left out).
    let arg_max_alone = tail.iter().all(|op| op.kind != TfOpKind::ArgMax)
        || (tail.len() == 1 && arg_max_is_the_class(g, &tail[0]));
    let chained = chained && arg_max_alone;
    let writes_output = tail
        .last()
        .is_some_and(|op| op.outputs.first() == Some(&output));
    if chained && writes_output {
        g.ops[n].inputs.first().copied().flatten()
    } else {
        None
    }
}

/// Whether `bytes` look like a TFLite flatbuffer (file identifier "TFL3").
pub fn is_tflite(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[4..8] == b"TFL3"
}

/// Parses the flatbuffer's single subgraph. `origin` names the file in error messages.
/// An operator code's builtin operator. Old files keep the code in the deprecated i8 field;
/// the larger of the two is right.
fn builtin_of(code: tflite::OperatorCode<'_>) -> tflite::BuiltinOperator {
    tflite::BuiltinOperator(
        code.builtin_code()
            .0
            .max(code.deprecated_builtin_code() as i32),
    )
}

/// The operators that only compute a RESHAPE's new shape: SHAPE -> STRIDED_SLICE -> PACK is
/// what the converter writes for a Keras `Reshape` (a squeeze-and-excite block's) when the batch
/// dimension is dynamic. RESHAPE takes its output tensor's recorded shape (batch 1, or the one
/// [`shape_fold`] computes), so they are not lowered: every tensor they write flows only into a RESHAPE's shape operand or into
/// another of them, and they read no activation's values (SHAPE reads its shape alone). Ops
/// come in execution order, so a walk from the last sees every reader before its writer.
fn shape_computations(
    ops: &[shape_fold::RawOp<'_>],
    graph_output: usize,
) -> std::collections::HashSet<usize> {
    // For each tensor, the ops reading it and whether each reads it as a RESHAPE's shape
    // operand (its second input and not also its first).
    let mut readers: std::collections::HashMap<usize, Vec<(usize, bool)>> = Default::default();
    for (n, op) in ops.iter().enumerate() {
        let reshape = op.builtin == tflite::BuiltinOperator::RESHAPE;
        for (position, &t) in op.inputs.iter().enumerate() {
            let Some(t) = t else { continue };
            let shape_operand = reshape && position == 1 && op.inputs[0] != Some(t);
            readers.entry(t).or_default().push((n, shape_operand));
        }
    }
    let mut shape_only = std::collections::HashSet::new();
    for n in (0..ops.len()).rev() {
        let feeds_shapes_only = |t: usize| {
            t != graph_output
                && readers.get(&t).is_some_and(|rs| {
                    rs.iter()
                        .all(|&(r, shape_operand)| shape_operand || shape_only.contains(&r))
                })
        };
        let outputs = &ops[n].outputs;
        if !outputs.is_empty() && outputs.iter().all(|&t| feeds_shapes_only(t)) {
            shape_only.insert(n);
        }
    }
    shape_only
}

pub fn parse(bytes: &[u8], name: &str, origin: &str) -> Result<TfGraph> {
    let bad = |reason: String| Error::MalformedTflite {
        path: origin.to_string(),
        reason,
    };
    if !is_tflite(bytes) {
        return Err(bad("no TFL3 file identifier".into()));
    }
    let model = tflite::root_as_model(bytes).map_err(|e| bad(e.to_string()))?;
    let subgraphs = model
        .subgraphs()
        .ok_or_else(|| bad("no subgraphs".into()))?;
    if subgraphs.len() != 1 {
        return Err(bad(format!(
            "{} subgraphs; only single-subgraph models are supported",
            subgraphs.len()
        )));
    }
    let sg = subgraphs.get(0);
    let buffers = model.buffers();
    let fb_tensors = sg.tensors().ok_or_else(|| bad("no tensors".into()))?;
    let mut tensors = Vec::with_capacity(fb_tensors.len());
    for (i, t) in fb_tensors.iter().enumerate() {
        let tname = t.name().unwrap_or("").to_string();
        let tname = if tname.is_empty() {
            format!("tensor{i}")
        } else {
            tname
        };
        let shape: Vec<usize> = match t.shape() {
            Some(s) => s
                .iter()
                .map(|d| {
                    usize::try_from(d)
                        .map_err(|_| bad(format!("tensor '{tname}' has dimension {d}")))
                })
                .collect::<Result<_>>()?,
            None => vec![],
        };
        match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
            Some(n) if n <= MAX_ELEMENTS => {}
            _ => {
                return Err(bad(format!(
                    "tensor '{tname}' has shape {shape:?}, more than {MAX_ELEMENTS} elements"
                )))
            }
        }
        let dtype = match t.type_() {
            tflite::TensorType::FLOAT32 => TfType::F32,
            tflite::TensorType::FLOAT16 => TfType::F16,
            tflite::TensorType::UINT8 => TfType::U8,
            tflite::TensorType::INT8 => TfType::I8,
            tflite::TensorType::INT32 => TfType::I32,
            tflite::TensorType::INT64 => TfType::I64,
            other => {
                return Err(Error::InvalidModel(format!(
                    "tensor '{tname}' has unsupported type {other:?}"
                )))
            }
        };
        let quant = match t.quantization() {
            Some(q) => match (q.scale(), q.zero_point()) {
                (Some(s), Some(z)) if !s.is_empty() => {
                    let scales: Vec<f32> = s.iter().collect();
                    let zero_points: Vec<i64> = z.iter().collect();
                    if zero_points.len() != scales.len() {
                        return Err(bad(format!(
                            "tensor '{tname}': {} scales but {} zero points",
                            scales.len(),
                            zero_points.len()
                        )));
                    }
                    if scales.iter().any(|s| !s.is_finite() || *s < 0.0) {
                        return Err(bad(format!("tensor '{tname}' has an invalid scale")));
                    }
                    Some(TfQuant {
                        scales,
                        zero_points,
                        dim: q.quantized_dimension().max(0) as usize,
                    })
                }
                _ => None,
            },
            None => None,
        };
        let data = match buffers {
            Some(b) if (t.buffer() as usize) < b.len() && t.buffer() != 0 => b
                .get(t.buffer() as usize)
                .data()
                .filter(|d| !d.is_empty())
                .map(|d| d.bytes().to_vec()),
            Some(b) if (t.buffer() as usize) >= b.len() => {
                return Err(bad(format!(
                    "tensor '{tname}' refers to buffer {} of {}",
                    t.buffer(),
                    b.len()
                )))
            }
            _ => None,
        };
        tensors.push(TfTensor {
            name: tname,
            shape,
            dtype,
            quant,
            data,
        });
    }
    let n_tensors = tensors.len();
    let tensor_index = |i: i32, what: &str| -> Result<usize> {
        usize::try_from(i)
            .ok()
            .filter(|&i| i < n_tensors)
            .ok_or_else(|| bad(format!("{what} refers to tensor {i} of {n_tensors}")))
    };
    let io = |v: Option<flatbuffers::Vector<'_, i32>>, what: &str| -> Result<usize> {
        let v = v.ok_or_else(|| bad(format!("no {what}s")))?;
        if v.len() != 1 {
            return Err(Error::InvalidModel(format!(
                "the model has {} {what}s; exactly one is supported",
                v.len()
            )));
        }
        tensor_index(v.get(0), what)
    };
    let input = io(sg.inputs(), "input")?;
    let output = io(sg.outputs(), "output")?;
    let codes = model
        .operator_codes()
        .ok_or_else(|| bad("no operator codes".into()))?;
    // Each operator's builtin code and tensors, read once for the two passes over the shape
    // computations; a bad opcode or tensor index is reported by the loop below.
    let mut raw = vec![];
    for op in sg.operators().into_iter().flatten() {
        let Some(code) = codes.iter().nth(op.opcode_index() as usize) else {
            break;
        };
        let index = |i: i32| usize::try_from(i).ok().filter(|&i| i < n_tensors);
        raw.push(shape_fold::RawOp {
            builtin: builtin_of(code),
            op,
            inputs: op.inputs().into_iter().flatten().map(index).collect(),
            // An operator writing a bad index has no outputs here, so it is never taken for a
            // shape computation and the loop below reports it.
            outputs: op
                .outputs()
                .into_iter()
                .flatten()
                .map(index)
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default(),
        });
    }
    let shape_only = shape_computations(&raw, output);
    if !shape_only.is_empty() {
        shape_fold::fold(&raw, &shape_only, &mut tensors);
    }
    let mut ops = vec![];
    for (n, op) in sg.operators().into_iter().flatten().enumerate() {
        if shape_only.contains(&n) {
            continue;
        }
        let code = codes
            .iter()
            .nth(op.opcode_index() as usize)
            .ok_or_else(|| {
                bad(format!(
                    "operator {n} has opcode index {}",
                    op.opcode_index()
                ))
            })?;
        let builtin = builtin_of(code);
        let inputs: Vec<Option<usize>> = op
            .inputs()
            .into_iter()
            .flatten()
            .map(|i| {
                if i < 0 {
                    Ok(None)
                } else {
                    tensor_index(i, "an operator input").map(Some)
                }
            })
            .collect::<Result<_>>()?;
        let outputs: Vec<usize> = op
            .outputs()
            .into_iter()
            .flatten()
            .map(|i| tensor_index(i, "an operator output"))
            .collect::<Result<_>>()?;
        let op_name = outputs
            .first()
            .map(|&t| tensors[t].name.clone())
            .unwrap_or_default();
        let missing = |what: &str| bad(format!("operator '{op_name}' lacks its {what} options"));
        let stride = |w: i32, h: i32| -> Result<[usize; 2]> {
            match (usize::try_from(h), usize::try_from(w)) {
                (Ok(h), Ok(w)) if h > 0 && w > 0 => Ok([h, w]),
                _ => Err(bad(format!(
                    "operator '{op_name}' has stride or size {h}x{w}"
                ))),
            }
        };
        if let Some(parsed) = slicing::parse(builtin, &op, &inputs, &outputs, &tensors, &op_name)? {
            ops.extend(parsed);
            continue;
        }
        let kind = match builtin {
            tflite::BuiltinOperator::CONV_2D => {
                let o = op
                    .builtin_options_as_conv_2_doptions()
                    .ok_or_else(|| missing("CONV_2D"))?;
                TfOpKind::Conv2d {
                    padding: padding(o.padding()),
                    stride: stride(o.stride_w(), o.stride_h())?,
                    dilation: stride(o.dilation_w_factor(), o.dilation_h_factor())?,
                    act: activation(o.fused_activation_function(), &op_name)?,
                }
            }
            tflite::BuiltinOperator::TRANSPOSE_CONV => {
                let o = op
                    .builtin_options_as_transpose_conv_options()
                    .ok_or_else(|| missing("TRANSPOSE_CONV"))?;
                TfOpKind::TransposeConv {
                    padding: padding(o.padding()),
                    stride: stride(o.stride_w(), o.stride_h())?,
                    act: activation(o.fused_activation_function(), &op_name)?,
                }
            }
            tflite::BuiltinOperator::DEPTHWISE_CONV_2D => {
                let o = op
                    .builtin_options_as_depthwise_conv_2_doptions()
                    .ok_or_else(|| missing("DEPTHWISE_CONV_2D"))?;
                TfOpKind::DepthwiseConv2d {
                    padding: padding(o.padding()),
                    stride: stride(o.stride_w(), o.stride_h())?,
                    dilation: stride(o.dilation_w_factor(), o.dilation_h_factor())?,
                    depth_multiplier: o.depth_multiplier().max(1) as usize,
                    act: activation(o.fused_activation_function(), &op_name)?,
                }
            }
            tflite::BuiltinOperator::AVERAGE_POOL_2D | tflite::BuiltinOperator::MAX_POOL_2D => {
                let o = op
                    .builtin_options_as_pool_2_doptions()
                    .ok_or_else(|| missing("POOL_2D"))?;
                let (padding, stride, filter, act) = (
                    padding(o.padding()),
                    stride(o.stride_w(), o.stride_h())?,
                    stride(o.filter_width(), o.filter_height())?,
                    activation(o.fused_activation_function(), &op_name)?,
                );
                let average = builtin == tflite::BuiltinOperator::AVERAGE_POOL_2D;
                TfOpKind::pool(average, padding, stride, filter, act)
            }
            tflite::BuiltinOperator::ADD => TfOpKind::Add {
                act: match op.builtin_options_as_add_options() {
                    Some(o) => activation(o.fused_activation_function(), &op_name)?,
                    None => FusedActivation::None,
                },
            },
            tflite::BuiltinOperator::MUL => TfOpKind::Mul {
                act: match op.builtin_options_as_mul_options() {
                    Some(o) => activation(o.fused_activation_function(), &op_name)?,
                    None => FusedActivation::None,
                },
            },
            tflite::BuiltinOperator::RESHAPE => TfOpKind::Reshape,
            tflite::BuiltinOperator::FULLY_CONNECTED => {
                let o = op.builtin_options_as_fully_connected_options();
                if let Some(o) = o {
                    if o.weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT {
                        return Err(unsupported("FULLY_CONNECTED", &op_name, "shuffled weights"));
                    }
                }
                TfOpKind::FullyConnected {
                    act: match o {
                        Some(o) => activation(o.fused_activation_function(), &op_name)?,
                        None => FusedActivation::None,
                    },
                }
            }
            tflite::BuiltinOperator::PAD => TfOpKind::Pad,
            tflite::BuiltinOperator::MEAN => TfOpKind::Mean {
                keep_dims: keep_dims(&op),
            },
            tflite::BuiltinOperator::REDUCE_MAX => TfOpKind::ReduceMax {
                keep_dims: keep_dims(&op),
            },
            tflite::BuiltinOperator::SUM => TfOpKind::Sum {
                keep_dims: keep_dims(&op),
            },
            tflite::BuiltinOperator::TILE => TfOpKind::Tile,
            // TFLite's ELU has no options: alpha 1.
            tflite::BuiltinOperator::ELU => TfOpKind::Unary(UnaryFn::Elu {
                alpha: crate::ops::unary::Param::new(1.0),
            }),
            tflite::BuiltinOperator::LOG_SOFTMAX => TfOpKind::LogSoftmax,
            tflite::BuiltinOperator::SQUARE => TfOpKind::Square,
            tflite::BuiltinOperator::ARG_MAX => TfOpKind::ArgMax,
            tflite::BuiltinOperator::SOFTMAX => {
                // TFLite's parser leaves beta at 0 when the options are missing (its kernels
                // then compute a uniform softmax, or refuse it in the reference one).
                let beta = op
                    .builtin_options_as_softmax_options()
                    .map_or(0.0, |o| o.beta());
                if !beta.is_finite() {
                    return Err(bad(format!("SOFTMAX '{op_name}' has beta {beta}")));
                }
                TfOpKind::Softmax {
                    beta: crate::ops::unary::Param::new(beta),
                }
            }
            tflite::BuiltinOperator::BATCH_MATMUL => {
                let o = op.builtin_options_as_batch_mat_mul_options();
                TfOpKind::BatchMatMul {
                    adj_x: o.is_some_and(|o| o.adj_x()),
                    adj_y: o.is_some_and(|o| o.adj_y()),
                }
            }
            tflite::BuiltinOperator::SQUARED_DIFFERENCE => TfOpKind::SquaredDifference,
            tflite::BuiltinOperator::PRELU => TfOpKind::Prelu,
            tflite::BuiltinOperator::MAXIMUM => TfOpKind::Extremum { maximum: true },
            tflite::BuiltinOperator::MINIMUM => TfOpKind::Extremum { maximum: false },
            tflite::BuiltinOperator::DIV => TfOpKind::Div {
                act: match op.builtin_options_as_div_options() {
                    Some(o) => activation(o.fused_activation_function(), &op_name)?,
                    None => FusedActivation::None,
                },
            },
            tflite::BuiltinOperator::SQRT => TfOpKind::Unary(UnaryFn::Sqrt),
            tflite::BuiltinOperator::LOG => TfOpKind::Unary(UnaryFn::Log),
            tflite::BuiltinOperator::SIN => TfOpKind::Unary(UnaryFn::Sin),
            tflite::BuiltinOperator::COS => TfOpKind::Unary(UnaryFn::Cos),
            tflite::BuiltinOperator::ABS => TfOpKind::Unary(UnaryFn::Abs),
            tflite::BuiltinOperator::RSQRT => TfOpKind::Unary(UnaryFn::InverseSqrt {
                epsilon: crate::ops::unary::Param::new(0.0),
            }),
            tflite::BuiltinOperator::LOGISTIC => TfOpKind::Unary(UnaryFn::Sigmoid),
            tflite::BuiltinOperator::TANH => TfOpKind::Unary(UnaryFn::Tanh),
            tflite::BuiltinOperator::HARD_SWISH => TfOpKind::Unary(UnaryFn::HardSwish),
            tflite::BuiltinOperator::EXP => TfOpKind::Unary(UnaryFn::Exp),
            tflite::BuiltinOperator::LEAKY_RELU => {
                // TFLite's default slope is 0.2.
                let alpha = op
                    .builtin_options_as_leaky_relu_options()
                    .map_or(0.2, |o| o.alpha());
                if !alpha.is_finite() {
                    return Err(bad(format!("operator '{op_name}' has slope {alpha}")));
                }
                TfOpKind::Unary(UnaryFn::LeakyRelu {
                    alpha: crate::ops::unary::Param::new(alpha),
                })
            }
            tflite::BuiltinOperator::GELU => TfOpKind::Unary(UnaryFn::Gelu {
                tanh_approximation: op
                    .builtin_options_as_gelu_options()
                    .is_some_and(|o| o.approximate()),
            }),
            tflite::BuiltinOperator::CONCATENATION => {
                let o = op
                    .builtin_options_as_concatenation_options()
                    .ok_or_else(|| missing("CONCATENATION"))?;
                TfOpKind::Concatenation {
                    axis: o.axis(),
                    act: activation(o.fused_activation_function(), &op_name)?,
                }
            }
            tflite::BuiltinOperator::SUB => TfOpKind::Sub {
                act: match op.builtin_options_as_sub_options() {
                    Some(o) => activation(o.fused_activation_function(), &op_name)?,
                    None => FusedActivation::None,
                },
            },
            tflite::BuiltinOperator::RESIZE_NEAREST_NEIGHBOR => {
                let o = op.builtin_options_as_resize_nearest_neighbor_options();
                TfOpKind::ResizeNearest {
                    align_corners: o.is_some_and(|o| o.align_corners()),
                    half_pixel_centers: o.is_some_and(|o| o.half_pixel_centers()),
                }
            }
            tflite::BuiltinOperator::RESIZE_BILINEAR => {
                let o = op.builtin_options_as_resize_bilinear_options();
                TfOpKind::ResizeBilinear {
                    align_corners: o.is_some_and(|o| o.align_corners()),
                    half_pixel_centers: o.is_some_and(|o| o.half_pixel_centers()),
                }
            }
            tflite::BuiltinOperator::TRANSPOSE => TfOpKind::Transpose,
            tflite::BuiltinOperator::QUANTIZE => TfOpKind::Quantize,
            tflite::BuiltinOperator::DEQUANTIZE => TfOpKind::Dequantize,
            tflite::BuiltinOperator::RELU => TfOpKind::Activation(FusedActivation::Relu),
            tflite::BuiltinOperator::RELU6 => TfOpKind::Activation(FusedActivation::Relu6),
            tflite::BuiltinOperator::RELU_N1_TO_1 => {
                TfOpKind::Activation(FusedActivation::ReluN1To1)
            }
            other => {
                return Err(unsupported(
                    other.variant_name().unwrap_or("an unknown operator"),
                    &op_name,
                    "",
                ))
            }
        };
        if outputs.len() != 1 {
            return Err(bad(format!(
                "operator '{op_name}' has {} outputs",
                outputs.len()
            )));
        }
        ops.push(TfOp {
            kind,
            inputs,
            outputs,
        });
    }
    if ops.is_empty() {
        return Err(Error::InvalidModel("the model has no operators".into()));
    }
    let moved = ops
        .iter()
        .flat_map(|op| op.inputs.iter().flatten().chain(&op.outputs))
        .fold(0usize, |n, &t| n.saturating_add(tensors[t].len()));
    if moved > MAX_ELEMENTS {
        return Err(Error::InvalidModel(format!(
            "the operators read and write {moved} tensor elements in all; at most {MAX_ELEMENTS} are supported"
        )));
    }
    Ok(TfGraph {
        name: name.to_string(),
        tensors,
        ops,
        input,
        output,
    })
}

/// A reduction's `keep_dims` option (false when the options are absent, as TFLite reads it).
fn keep_dims(op: &tflite::Operator<'_>) -> bool {
    op.builtin_options_as_reducer_options()
        .is_some_and(|o| o.keep_dims())
}

fn padding(p: tflite::Padding) -> Padding {
    if p == tflite::Padding::SAME {
        Padding::Same
    } else {
        Padding::Valid
    }
}

fn activation(a: tflite::ActivationFunctionType, op: &str) -> Result<FusedActivation> {
    Ok(match a {
        tflite::ActivationFunctionType::NONE => FusedActivation::None,
        tflite::ActivationFunctionType::RELU => FusedActivation::Relu,
        tflite::ActivationFunctionType::RELU6 => FusedActivation::Relu6,
        tflite::ActivationFunctionType::RELU_N1_TO_1 => FusedActivation::ReluN1To1,
        other => {
            return Err(unsupported(
                "a fused activation",
                op,
                &format!(": {}", other.variant_name().unwrap_or("unknown")),
            ))
        }
    })
}

pub(crate) fn unsupported(op: &str, node: &str, detail: &str) -> Error {
    Error::UnsupportedOp {
        op: op.to_string(),
        node: node.to_string(),
        detail: detail.to_string(),
    }
}

/// TFLite's SAME/VALID padding for one spatial dimension: (before, after, output size).
pub fn pads_for(
    padding: Padding,
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> Option<(usize, usize, usize)> {
    let eff = (kernel - 1) * dilation + 1;
    match padding {
        Padding::Valid => {
            if input < eff {
                return None;
            }
            Some((0, 0, (input - eff) / stride + 1))
        }
        Padding::Same => {
            if input == 0 {
                return None;
            }
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + eff).saturating_sub(input);
            Some((total / 2, total - total / 2, out))
        }
    }
}

/// The window of a convolution or pool over NHWC input `x`.
pub(crate) fn window(
    x: &TfTensor,
    padding: Padding,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    op: &str,
) -> Result<Window2d> {
    if x.shape.len() != 4 {
        return Err(Error::InvalidModel(format!(
            "'{op}' needs a 4-D input, got {:?}",
            x.shape
        )));
    }
    let dim = |i: usize| {
        pads_for(padding, x.shape[1 + i], kernel[i], stride[i], dilation[i])
            .ok_or_else(|| Error::InvalidModel(format!("'{op}': window larger than its input")))
    };
    let (top, bottom, _) = dim(0)?;
    let (left, right, _) = dim(1)?;
    Ok(Window2d {
        kernel,
        stride,
        pads: [top, left, bottom, right],
        dilation,
    })
}

/// A CONV_2D filter (`[O, kh, kw, I/group]`: a grouped convolution, as Keras writes RegNet's,
/// reads `cin / I` groups) or DEPTHWISE_CONV_2D filter (`[1, kh, kw, I·m]`, with
/// `depth_multiplier` m) reordered to OIHW (`[O, I/group, kh, kw]`) for `cin` input channels.
/// Returns (data, output channels, group); a filter that does not fit is an error.
pub(crate) fn filter_to_oihw<T: Copy + Default>(
    filter: &TfTensor,
    data: &[T],
    cin: usize,
    depth_multiplier: Option<usize>,
    op: &str,
) -> Result<(Vec<T>, usize, usize)> {
    let fs = &filter.shape;
    let fits = fs.len() == 4
        && !fs.contains(&0)
        && data.len() == filter.len()
        && match depth_multiplier {
            None => cin > 0 && cin.is_multiple_of(fs[3]) && fs[0].is_multiple_of(cin / fs[3]),
            Some(dm) => fs[0] == 1 && fs[3] == cin * dm,
        };
    if !fits {
        return Err(Error::InvalidModel(format!(
            "convolution '{op}': filter {fs:?} does not fit {cin} input channels{}",
            depth_multiplier.map_or(String::new(), |m| format!(" times depth multiplier {m}"))
        )));
    }
    let (kh, kw) = (fs[1], fs[2]);
    let (cout, group) = match depth_multiplier {
        None => (fs[0], cin / fs[3]),
        Some(_) => (fs[3], cin),
    };
    let cg = cin / group;
    let mut out = vec![T::default(); data.len()];
    for o in 0..cout {
        for i in 0..cg {
            for ky in 0..kh {
                for kx in 0..kw {
                    let src = match depth_multiplier {
                        None => ((o * kh + ky) * kw + kx) * cg + i,
                        Some(_) => (ky * kw + kx) * cout + o,
                    };
                    out[((o * cg + i) * kh + ky) * kw + kx] = data[src];
                }
            }
        }
    }
    Ok((out, cout, group))
}

/// The position in TFLite's NHWC flattening of element `i` of our flattened tensor of NCHW
/// shape `ours` (FULLY_CONNECTED weights are indexed the TFLite way; constants are reordered
/// with it).
pub(crate) fn nhwc_flat_index(ours: &[usize], i: usize) -> usize {
    match ours {
        [_, c, h, w] => {
            let (image, within) = (i / (c * h * w), i % (c * h * w));
            image * c * h * w + (within % (h * w)) * c + within / (h * w)
        }
        _ => i,
    }
}

/// A PAD operator's height and width amounts as `[top, left, bottom, right]`; padding of the
/// batch or channels, or of a tensor that is not 4-D, is unsupported. The output's declared
/// shape must be the padded input's: the lowerings map the output to the unpadded input plus
/// pending pads, and consumers read the declared shape.
pub(crate) fn pad_amounts(op: &TfOp, g: &TfGraph, x: &TfTensor) -> Result<[usize; 4]> {
    let pads = op.input(g, 1)?.int_data()?;
    if x.shape.len() != 4
        || pads.len() != 8
        || pads.iter().any(|&p| p < 0)
        || pads[0..2] != [0, 0]
        || pads[6..8] != [0, 0]
    {
        return Err(unsupported(
            "PAD",
            &op.name(g),
            " other than of the height and width of a 4-D tensor",
        ));
    }
    let p = |i: usize| usize::try_from(pads[i]).unwrap_or(usize::MAX);
    let padded = |d: usize, before: usize, after: usize| {
        x.shape[d].checked_add(p(before))?.checked_add(p(after))
    };
    let expected = [
        Some(x.shape[0]),
        padded(1, 2, 3),
        padded(2, 4, 5),
        Some(x.shape[3]),
    ];
    let out = &g.tensors[op.outputs[0]].shape;
    if out.len() != 4 || out.iter().zip(expected).any(|(&o, e)| Some(o) != e) {
        return Err(Error::InvalidModel(format!(
            "PAD '{}' of {:?} by {pads:?} declares output shape {out:?}",
            op.name(g),
            x.shape
        )));
    }
    Ok([p(2), p(4), p(3), p(5)])
}

/// NHWC shape (rank 4 or 2) as our NCHW shape.
pub fn nchw(shape: &[usize]) -> Vec<usize> {
    match shape {
        [n, h, w, c] => vec![*n, *c, *h, *w],
        s => s.to_vec(),
    }
}

/// Whether reshaping NHWC data of `from` keeps the same element order as reshaping our NCHW
/// layout: true when at most one of H·W and C is larger than one.
pub fn reshape_keeps_order(from: &[usize]) -> bool {
    match from {
        [_, h, w, c] => h * w == 1 || *c == 1,
        _ => true,
    }
}

#[cfg(test)]
mod attention_tests;
#[cfg(test)]
mod extremum_tests;
#[cfg(test)]
mod final_softmax_tests;
#[cfg(test)]
mod float_island_tests;
#[cfg(test)]
mod interpreter_tests;
#[cfg(test)]
mod layer_norm_tests;
#[cfg(test)]
mod mock_check;
#[cfg(test)]
mod prelu_tests;
#[cfg(test)]
mod ptq_tests;
#[cfg(test)]
mod reduce_max_tests;
#[cfg(test)]
mod sum_tile_abs_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod writer;
