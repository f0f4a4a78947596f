//! ONNX operators mapped onto the core operators of [`crate::ops`], one function each,
//! registered in [`MAPPED`] (the loader's supported list includes every name here). Per-channel
//! affine maps (BatchNormalization that follows no convolution, multiplication by a constant)
//! become depthwise 1×1 convolutions on a 4-D view of the tensor; BatchNormalization right after
//! a convolution or Gemm is folded into its weights.

use super::{attr_float, attr_int, attr_ints, attr_str, node_name, unsupported, Const, Loader};
use crate::error::Result;
use crate::ir::{AddOperand, Conv, Dense, ModelBuilder, Op, Pool, PoolKind, TensorId, Window2d};
use crate::ops::gather::{maps, Gather, Movement, Pick};
use crate::ops::unary::{Param, UnaryFn};
use crate::tensor::Tensor;
use tract_onnx::pb::NodeProto;

mod composed;
mod conv_transpose;
mod einsum;
mod functions;
mod movement;
mod normalize;
mod reduce;
mod transformer;

use composed::*;
use conv_transpose::*;
use einsum::*;
use functions::*;
use movement::*;
use normalize::*;
use reduce::*;
pub(super) use reduce::{conv_1d, pool_1d};
use transformer::*;
pub(super) use transformer::{
    add_to_masked, broadcast_pair, broadcast_shape, divide_by_root, record_mask,
    widen_for_constant, MaskedScores,
};

type Mapper = fn(&mut Loader, &mut ModelBuilder, &NodeProto) -> Result<()>;

/// Every ONNX operator mapped here, with its mapping.
pub(super) const MAPPED: &[(&str, Mapper)] = &[
    ("Sigmoid", unary),
    ("Tanh", unary),
    ("HardSigmoid", unary),
    ("HardSwish", unary),
    ("LeakyRelu", unary),
    ("Elu", unary),
    ("Exp", unary),
    ("Erf", unary),
    ("Softplus", unary),
    ("Softsign", unary),
    ("Abs", unary),
    ("Reciprocal", unary),
    ("Log", unary),
    ("Sqrt", unary),
    ("PRelu", prelu),
    ("LogSoftmax", softmax),
    ("Gelu", unary),
    ("Mish", unary),
    ("Selu", unary),
    ("Celu", unary),
    ("ThresholdedRelu", unary),
    ("Sin", unary),
    ("Cos", unary),
    ("Floor", unary),
    ("Ceil", unary),
    ("Round", unary),
    ("Sign", unary),
    ("Neg", neg),
    ("Cast", cast),
    ("Max", extremum),
    ("Min", extremum),
    ("Sum", sum_or_mean),
    ("Mean", sum_or_mean),
    ("ReduceMin", reduce_min),
    ("ReduceL1", reduce_l1),
    ("ReduceL2", reduce_l2),
    ("LpNormalization", lp_normalization),
    ("DepthToSpace", depth_to_space),
    ("SpaceToDepth", space_to_depth),
    ("Tile", tile),
    ("BatchNormalization", batch_norm),
    ("Mul", mul),
    ("Div", div),
    ("Sub", sub),
    ("Concat", concat),
    ("Slice", slice),
    ("Split", split),
    ("Transpose", transpose),
    ("Squeeze", squeeze),
    ("Unsqueeze", unsqueeze),
    ("Pad", pad),
    ("Gather", gather),
    ("Resize", resize),
    ("Upsample", resize),
    ("ReduceMean", reduce_mean),
    ("ReduceSum", reduce_sum),
    ("ReduceSumSquare", reduce_sum_square),
    ("ReduceMax", reduce_max),
    ("Softmax", softmax),
    ("Expand", expand),
    ("GlobalMaxPool", global_max_pool),
    ("GlobalAveragePool", global_average_pool),
    ("ConvTranspose", conv_transpose),
    ("LayerNormalization", layer_norm),
    ("InstanceNormalization", instance_norm),
    ("RMSNormalization", rms_norm),
    ("Pow", pow),
    ("Where", where_),
    ("Einsum", einsum),
    ("Equal", equal),
    ("Not", not),
    ("CumSum", cumsum),
];

pub(super) fn mapper(op: &str) -> Option<Mapper> {
    MAPPED.iter().find(|(n, _)| *n == op).map(|(_, f)| *f)
}

fn out_name(node: &NodeProto) -> String {
    node.output.first().cloned().unwrap_or_default()
}

/// Adds the node's (first) output.
fn emit(
    l: &mut Loader,
    b: &mut ModelBuilder,
    node: &NodeProto,
    op: Op,
    inputs: Vec<TensorId>,
    reshape_to: Option<Vec<usize>>,
) -> Result<TensorId> {
    let id = b.add(node_name(node), op, inputs, out_name(node), reshape_to)?;
    l.tensors.insert(out_name(node), id);
    Ok(id)
}

/// An intermediate tensor of a node lowered to several IR nodes.
pub(super) fn emit_part(
    b: &mut ModelBuilder,
    node: &NodeProto,
    part: &str,
    op: Op,
    inputs: Vec<TensorId>,
    reshape_to: Option<Vec<usize>>,
) -> Result<TensorId> {
    let name = format!("{}/{part}", node_name(node));
    b.add(name.clone(), op, inputs, name, reshape_to)
}

/// A constant input's integer values (indices, axes, pads, shapes).
fn ints(c: &Const) -> Vec<i64> {
    c.values.iter().map(|&v| v as i64).collect()
}

/// An integer list given as an attribute (older opsets) or as constant input `i` (newer).
fn ints_attr_or_input(
    l: &Loader,
    node: &NodeProto,
    name: &str,
    i: usize,
) -> Result<Option<Vec<i64>>> {
    if let Some(v) = attr_ints(node, name) {
        return Ok(Some(v));
    }
    Ok(l.constant(node, i)?.map(ints))
}
