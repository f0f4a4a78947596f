//! Dense's quantized lowering: weights at the finest scale the weight bits and the divisor
//! bound allow, the bias at the accumulator's scale, one power-of-two divisor per output down
//! to the scale the output's range allows, then the fused activation ([`lower_weighted`]).

use super::Dense;
use crate::error::Result;
use crate::ops::quant_context::{lower_weighted, LowerCtx, Lowered};
use crate::qgraph::LinearKernel;

pub(crate) fn lower(dense: &Dense, cx: &LowerCtx) -> Result<Lowered> {
    lower_weighted(cx, &dense.weight.data, &dense.bias, |weight, bias| {
        LinearKernel::Dense {
            n_in: dense.in_features(),
            n_out: dense.out_features(),
            weight,
            bias,
        }
    })
}
