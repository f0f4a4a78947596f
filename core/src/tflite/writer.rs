//! A TFLite flatbuffer writer for tests: the inverse of [`super::parse`]. It makes small real
//! files for the byte-level parser's tests, the `tflite` fuzz target's seeds, and the one-operator
//! models that the interpreter fidelity tests run through TFLite itself.

use super::*;

/// Writes a [`TfGraph`] as a TFLite flatbuffer.
use crate::ops::unary::UnaryFn;

pub(super) fn flatbuffer(g: &TfGraph) -> Vec<u8> {
    use flatbuffers::{FlatBufferBuilder, WIPOffset};
    use tflite as fb;

    let builtin = |k: &TfOpKind| match k {
        TfOpKind::Conv2d { .. } => fb::BuiltinOperator::CONV_2D,
        TfOpKind::DepthwiseConv2d { .. } => fb::BuiltinOperator::DEPTHWISE_CONV_2D,
        TfOpKind::AveragePool2d { .. } => fb::BuiltinOperator::AVERAGE_POOL_2D,
        TfOpKind::MaxPool2d { .. } => fb::BuiltinOperator::MAX_POOL_2D,
        TfOpKind::Add { .. } => fb::BuiltinOperator::ADD,
        TfOpKind::Mul { .. } => fb::BuiltinOperator::MUL,
        TfOpKind::Reshape => fb::BuiltinOperator::RESHAPE,
        TfOpKind::FullyConnected { .. } => fb::BuiltinOperator::FULLY_CONNECTED,
        TfOpKind::Pad => fb::BuiltinOperator::PAD,
        TfOpKind::Mean { .. } => fb::BuiltinOperator::MEAN,
        TfOpKind::Sum { .. } => fb::BuiltinOperator::SUM,
        TfOpKind::Tile => fb::BuiltinOperator::TILE,
        TfOpKind::ReduceMax { .. } => fb::BuiltinOperator::REDUCE_MAX,
        TfOpKind::TransposeConv { .. } => {
            panic!("the test writer has no TFLite operator for {k:?}")
        }
        TfOpKind::Softmax { .. } => fb::BuiltinOperator::SOFTMAX,
        TfOpKind::LogSoftmax => fb::BuiltinOperator::LOG_SOFTMAX,
        TfOpKind::Square => fb::BuiltinOperator::SQUARE,
        TfOpKind::ArgMax => fb::BuiltinOperator::ARG_MAX,
        TfOpKind::BatchMatMul { .. } => fb::BuiltinOperator::BATCH_MATMUL,
        TfOpKind::SquaredDifference => fb::BuiltinOperator::SQUARED_DIFFERENCE,
        TfOpKind::Prelu => fb::BuiltinOperator::PRELU,
        TfOpKind::Extremum { maximum: true } => fb::BuiltinOperator::MAXIMUM,
        TfOpKind::Extremum { maximum: false } => fb::BuiltinOperator::MINIMUM,
        TfOpKind::Div { .. } => fb::BuiltinOperator::DIV,
        TfOpKind::Concatenation { .. } => fb::BuiltinOperator::CONCATENATION,
        TfOpKind::Sub { .. } => fb::BuiltinOperator::SUB,
        TfOpKind::ResizeNearest { .. } => fb::BuiltinOperator::RESIZE_NEAREST_NEIGHBOR,
        TfOpKind::ResizeBilinear { .. } => fb::BuiltinOperator::RESIZE_BILINEAR,
        TfOpKind::Transpose => fb::BuiltinOperator::TRANSPOSE,
        TfOpKind::Quantize => fb::BuiltinOperator::QUANTIZE,
        TfOpKind::Dequantize => fb::BuiltinOperator::DEQUANTIZE,
        TfOpKind::Activation(FusedActivation::Relu) => fb::BuiltinOperator::RELU,
        TfOpKind::Activation(FusedActivation::Relu6) => fb::BuiltinOperator::RELU6,
        TfOpKind::Activation(FusedActivation::ReluN1To1) => fb::BuiltinOperator::RELU_N1_TO_1,
        TfOpKind::Activation(FusedActivation::None) => {
            panic!("a standalone activation is never NONE")
        }
        TfOpKind::Window { .. }
        | TfOpKind::Pack { .. }
        | TfOpKind::Gather { .. }
        | TfOpKind::DepthSpace { .. } => {
            panic!("the test writer has no TFLite operator for {k:?}")
        }
        TfOpKind::Unary(f) => match f {
            UnaryFn::Sigmoid => fb::BuiltinOperator::LOGISTIC,
            UnaryFn::Tanh => fb::BuiltinOperator::TANH,
            UnaryFn::HardSwish => fb::BuiltinOperator::HARD_SWISH,
            UnaryFn::Exp => fb::BuiltinOperator::EXP,
            UnaryFn::LeakyRelu { .. } => fb::BuiltinOperator::LEAKY_RELU,
            UnaryFn::Gelu { .. } => fb::BuiltinOperator::GELU,
            UnaryFn::Sqrt => fb::BuiltinOperator::SQRT,
            UnaryFn::Abs => fb::BuiltinOperator::ABS,
            UnaryFn::InverseSqrt { .. } => fb::BuiltinOperator::RSQRT,
            UnaryFn::Elu { .. } => fb::BuiltinOperator::ELU,
            UnaryFn::Log => fb::BuiltinOperator::LOG,
            UnaryFn::Sin => fb::BuiltinOperator::SIN,
            UnaryFn::Cos => fb::BuiltinOperator::COS,
            other => panic!("the test writer has no TFLite operator for {other:?}"),
        },
    };
    let act = |a: FusedActivation| match a {
        FusedActivation::None => fb::ActivationFunctionType::NONE,
        FusedActivation::Relu => fb::ActivationFunctionType::RELU,
        FusedActivation::Relu6 => fb::ActivationFunctionType::RELU6,
        FusedActivation::ReluN1To1 => fb::ActivationFunctionType::RELU_N1_TO_1,
    };
    let pad = |p: Padding| match p {
        Padding::Same => fb::Padding::SAME,
        Padding::Valid => fb::Padding::VALID,
    };
    let ints = |v: &[usize]| v.iter().map(|&d| d as i32).collect::<Vec<_>>();

    let mut b = FlatBufferBuilder::new();
    // Buffer 0 is the empty sentinel; each constant tensor gets its own buffer.
    let mut buffers = vec![fb::Buffer::create(&mut b, &fb::BufferArgs { data: None })];
    let mut tensors = vec![];
    for t in &g.tensors {
        let buffer = match &t.data {
            Some(d) => {
                let data = Some(b.create_vector(d));
                buffers.push(fb::Buffer::create(&mut b, &fb::BufferArgs { data }));
                buffers.len() as u32 - 1
            }
            None => 0,
        };
        let quantization = t.quant.as_ref().map(|q| {
            let args = fb::QuantizationParametersArgs {
                scale: Some(b.create_vector(&q.scales)),
                zero_point: Some(b.create_vector(&q.zero_points)),
                quantized_dimension: q.dim as i32,
                ..Default::default()
            };
            fb::QuantizationParameters::create(&mut b, &args)
        });
        let args = fb::TensorArgs {
            shape: Some(b.create_vector(&ints(&t.shape))),
            type_: match t.dtype {
                TfType::F32 => fb::TensorType::FLOAT32,
                TfType::F16 => fb::TensorType::FLOAT16,
                TfType::U8 => fb::TensorType::UINT8,
                TfType::I8 => fb::TensorType::INT8,
                TfType::I32 => fb::TensorType::INT32,
                TfType::I64 => fb::TensorType::INT64,
            },
            buffer,
            name: Some(b.create_string(&t.name)),
            quantization,
            ..Default::default()
        };
        tensors.push(fb::Tensor::create(&mut b, &args));
    }
    let mut codes: Vec<fb::BuiltinOperator> = vec![];
    let mut operators = vec![];
    for op in &g.ops {
        let code = builtin(&op.kind);
        let opcode_index = match codes.iter().position(|&c| c == code) {
            Some(i) => i,
            None => {
                codes.push(code);
                codes.len() - 1
            }
        } as u32;
        let (options_type, options): (fb::BuiltinOptions, Option<WIPOffset<_>>) = match &op.kind {
            TfOpKind::Conv2d {
                padding,
                stride,
                dilation,
                act: a,
            } => {
                let args = fb::Conv2DOptionsArgs {
                    padding: pad(*padding),
                    stride_h: stride[0] as i32,
                    stride_w: stride[1] as i32,
                    dilation_h_factor: dilation[0] as i32,
                    dilation_w_factor: dilation[1] as i32,
                    fused_activation_function: act(*a),
                };
                let o = fb::Conv2DOptions::create(&mut b, &args);
                (fb::BuiltinOptions::Conv2DOptions, Some(o.as_union_value()))
            }
            TfOpKind::DepthwiseConv2d {
                padding,
                stride,
                dilation,
                depth_multiplier,
                act: a,
            } => {
                let args = fb::DepthwiseConv2DOptionsArgs {
                    padding: pad(*padding),
                    stride_h: stride[0] as i32,
                    stride_w: stride[1] as i32,
                    dilation_h_factor: dilation[0] as i32,
                    dilation_w_factor: dilation[1] as i32,
                    depth_multiplier: *depth_multiplier as i32,
                    fused_activation_function: act(*a),
                };
                let o = fb::DepthwiseConv2DOptions::create(&mut b, &args);
                let t = fb::BuiltinOptions::DepthwiseConv2DOptions;
                (t, Some(o.as_union_value()))
            }
            TfOpKind::AveragePool2d {
                padding,
                stride,
                filter,
                act: a,
            }
            | TfOpKind::MaxPool2d {
                padding,
                stride,
                filter,
                act: a,
            } => {
                let args = fb::Pool2DOptionsArgs {
                    padding: pad(*padding),
                    stride_h: stride[0] as i32,
                    stride_w: stride[1] as i32,
                    filter_height: filter[0] as i32,
                    filter_width: filter[1] as i32,
                    fused_activation_function: act(*a),
                };
                let o = fb::Pool2DOptions::create(&mut b, &args);
                (fb::BuiltinOptions::Pool2DOptions, Some(o.as_union_value()))
            }
            TfOpKind::Add { act: a } => {
                let args = fb::AddOptionsArgs {
                    fused_activation_function: act(*a),
                    ..Default::default()
                };
                let o = fb::AddOptions::create(&mut b, &args);
                (fb::BuiltinOptions::AddOptions, Some(o.as_union_value()))
            }
            TfOpKind::Mul { act: a } => {
                let args = fb::MulOptionsArgs {
                    fused_activation_function: act(*a),
                };
                let o = fb::MulOptions::create(&mut b, &args);
                (fb::BuiltinOptions::MulOptions, Some(o.as_union_value()))
            }
            TfOpKind::FullyConnected { act: a } => {
                let args = fb::FullyConnectedOptionsArgs {
                    fused_activation_function: act(*a),
                    ..Default::default()
                };
                let o = fb::FullyConnectedOptions::create(&mut b, &args);
                let t = fb::BuiltinOptions::FullyConnectedOptions;
                (t, Some(o.as_union_value()))
            }
            TfOpKind::Mean { keep_dims }
            | TfOpKind::Sum { keep_dims }
            | TfOpKind::ReduceMax { keep_dims } => {
                let args = fb::ReducerOptionsArgs {
                    keep_dims: *keep_dims,
                };
                let o = fb::ReducerOptions::create(&mut b, &args);
                (fb::BuiltinOptions::ReducerOptions, Some(o.as_union_value()))
            }
            TfOpKind::Concatenation { axis, act: a } => {
                let args = fb::ConcatenationOptionsArgs {
                    axis: *axis,
                    fused_activation_function: act(*a),
                };
                let o = fb::ConcatenationOptions::create(&mut b, &args);
                (
                    fb::BuiltinOptions::ConcatenationOptions,
                    Some(o.as_union_value()),
                )
            }
            TfOpKind::Unary(UnaryFn::LeakyRelu { alpha }) => {
                let args = fb::LeakyReluOptionsArgs { alpha: alpha.get() };
                let o = fb::LeakyReluOptions::create(&mut b, &args);
                (
                    fb::BuiltinOptions::LeakyReluOptions,
                    Some(o.as_union_value()),
                )
            }
            TfOpKind::Sub { act: a } => {
                let args = fb::SubOptionsArgs {
                    fused_activation_function: act(*a),
                    ..Default::default()
                };
                let o = fb::SubOptions::create(&mut b, &args);
                (fb::BuiltinOptions::SubOptions, Some(o.as_union_value()))
            }
            TfOpKind::ResizeNearest {
                align_corners,
                half_pixel_centers,
            } => {
                let args = fb::ResizeNearestNeighborOptionsArgs {
                    align_corners: *align_corners,
                    half_pixel_centers: *half_pixel_centers,
                };
                let o = fb::ResizeNearestNeighborOptions::create(&mut b, &args);
                (
                    fb::BuiltinOptions::ResizeNearestNeighborOptions,
                    Some(o.as_union_value()),
                )
            }
            TfOpKind::ResizeBilinear {
                align_corners,
                half_pixel_centers,
            } => {
                let args = fb::ResizeBilinearOptionsArgs {
                    align_corners: *align_corners,
                    half_pixel_centers: *half_pixel_centers,
                };
                let o = fb::ResizeBilinearOptions::create(&mut b, &args);
                (
                    fb::BuiltinOptions::ResizeBilinearOptions,
                    Some(o.as_union_value()),
                )
            }
            TfOpKind::Window { .. }
            | TfOpKind::Pack { .. }
            | TfOpKind::Gather { .. }
            | TfOpKind::DepthSpace { .. } => unreachable!("refused by the builtin code above"),
            // Without options TFLite reads beta 0 (its parser's zeroed parameters).
            TfOpKind::Softmax { beta } if beta.get() != 0.0 => {
                let args = fb::SoftmaxOptionsArgs { beta: beta.get() };
                let o = fb::SoftmaxOptions::create(&mut b, &args);
                (fb::BuiltinOptions::SoftmaxOptions, Some(o.as_union_value()))
            }
            TfOpKind::BatchMatMul { adj_x, adj_y } => {
                let args = fb::BatchMatMulOptionsArgs {
                    adj_x: *adj_x,
                    adj_y: *adj_y,
                    ..Default::default()
                };
                let o = fb::BatchMatMulOptions::create(&mut b, &args);
                (
                    fb::BuiltinOptions::BatchMatMulOptions,
                    Some(o.as_union_value()),
                )
            }
            TfOpKind::Div { act: a } => {
                let args = fb::DivOptionsArgs {
                    fused_activation_function: act(*a),
                };
                let o = fb::DivOptions::create(&mut b, &args);
                (fb::BuiltinOptions::DivOptions, Some(o.as_union_value()))
            }
            TfOpKind::TransposeConv { .. } => unreachable!("refused above"),
            TfOpKind::ArgMax => {
                let args = fb::ArgMaxOptionsArgs {
                    output_type: fb::TensorType::INT64,
                };
                let o = fb::ArgMaxOptions::create(&mut b, &args);
                (fb::BuiltinOptions::ArgMaxOptions, Some(o.as_union_value()))
            }
            TfOpKind::Unary(_)
            | TfOpKind::Reshape
            | TfOpKind::Pad
            | TfOpKind::SquaredDifference
            | TfOpKind::Prelu
            | TfOpKind::Extremum { .. }
            | TfOpKind::Softmax { .. }
            | TfOpKind::LogSoftmax
            | TfOpKind::Square
            | TfOpKind::Transpose
            | TfOpKind::Tile
            | TfOpKind::Quantize
            | TfOpKind::Dequantize
            | TfOpKind::Activation(_) => (fb::BuiltinOptions::NONE, None),
        };
        let inputs: Vec<i32> = op
            .inputs
            .iter()
            .map(|i| i.map_or(-1, |i| i as i32))
            .collect();
        let args = fb::OperatorArgs {
            opcode_index,
            inputs: Some(b.create_vector(&inputs)),
            outputs: Some(b.create_vector(&ints(&op.outputs))),
            builtin_options_type: options_type,
            builtin_options: options,
            ..Default::default()
        };
        operators.push(fb::Operator::create(&mut b, &args));
    }
    let codes: Vec<_> = codes
        .iter()
        .map(|&c| {
            let args = fb::OperatorCodeArgs {
                deprecated_builtin_code: c.0 as i8,
                builtin_code: c,
                version: 1,
                ..Default::default()
            };
            fb::OperatorCode::create(&mut b, &args)
        })
        .collect();
    let args = fb::SubGraphArgs {
        tensors: Some(b.create_vector(&tensors)),
        inputs: Some(b.create_vector(&[g.input as i32])),
        outputs: Some(b.create_vector(&[g.output as i32])),
        operators: Some(b.create_vector(&operators)),
        name: Some(b.create_string("main")),
    };
    let subgraph = fb::SubGraph::create(&mut b, &args);
    let args = fb::ModelArgs {
        version: 3,
        operator_codes: Some(b.create_vector(&codes)),
        subgraphs: Some(b.create_vector(&[subgraph])),
        description: Some(b.create_string(&g.name)),
        buffers: Some(b.create_vector(&buffers)),
        ..Default::default()
    };
    let model = fb::Model::create(&mut b, &args);
    fb::finish_model_buffer(&mut b, model);
    b.finished_data().to_vec()
}
