//! Dense's quantized lowering: weights at the finest scale the weight bits and the divisor
//! bound allow ([`quantize_weights`]), the bias at the accumulator's scale, one power-of-two
//! divisor per output down to the scale the output's range allows, then the fused activation.

use super::Dense;
use crate::error::Result;
use crate::ops::quant_context::{quantize_weights, LowerCtx, Lowered};
use crate::qgraph::{Linear, LinearKernel, Rescale, StepKind};

pub(crate) fn lower(dense: &Dense, cx: &LowerCtx) -> Result<Lowered> {
    let q = quantize_weights(cx, &dense.weight.data, &dense.bias)?;
    let kernel = LinearKernel::Dense {
        n_in: dense.in_features(),
        n_out: dense.out_features(),
        weight: q.weight,
        bias: q.bias,
    };
    let act = cx.activation(q.out_frac);
    let rescale = Rescale::half_up(vec![1u64 << q.shift; cx.n_out], act);
    Ok(Lowered::new(
        StepKind::Linear(Linear { kernel, rescale }),
        q.out_frac,
    ))
}
