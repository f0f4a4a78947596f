//! Conv's quantized lowering: weights at the finest scale the weight bits and the divisor bound
//! allow, the bias at the accumulator's scale, one power-of-two divisor per output down to the
//! scale the output's range allows, then the fused activation ([`lower_weighted`]).

use super::Conv;
use crate::error::Result;
use crate::ops::quant_context::{lower_weighted, LowerCtx, Lowered};
use crate::qgraph::LinearKernel;

pub(crate) fn lower(conv: &Conv, cx: &LowerCtx) -> Result<Lowered> {
    lower_weighted(cx, &conv.weight.data, &conv.bias, |weight, bias| {
        LinearKernel::Conv {
            geometry: conv.geometry(),
            in_shape: cx.in_shapes[0].to_vec(),
            out_shape: cx.out_shape.to_vec(),
            weight,
            bias,
        }
    })
}
