//! Pooling's quantized lowering. Max: the window's maximum, at the input's scale. Average: the
//! window's sum with unit weight divided by the window's count, at the input's scale. Sum: the
//! sum at the scale its own range allows, never finer than the input's (a power-of-two divisor
//! when coarser).

use super::{Pool, PoolKind};
use crate::error::Result;
use crate::ops::quant_context::{check_divisors, LowerCtx, Lowered};
use crate::qgraph::{Linear, LinearKernel, Rescale, StepKind};

pub(crate) fn lower(pool: &Pool, cx: &LowerCtx) -> Result<Lowered> {
    let f_in = cx.f_in;
    let in_shape = cx.in_shapes[0].to_vec();
    let out_shape = cx.out_shape.to_vec();
    let f_q = match pool.kind {
        PoolKind::Max => {
            let kind = StepKind::Max {
                window: pool.window.clone(),
                in_shape,
                out_shape,
            };
            return Ok(Lowered::new(kind, f_in));
        }
        PoolKind::Sum => cx.range_frac.min(f_in),
        PoolKind::Average { .. } => f_in,
    };
    let divisors: Vec<u64> = (0..cx.n_out)
        .map(|o| {
            let n = pool.window_indices(&in_shape, &out_shape, o).len();
            (pool.divisor(n) as u64) << (f_in - f_q)
        })
        .collect();
    check_divisors(cx.step, &divisors, cx.act_bits)?;
    let act = cx.activation(f_q);
    let kernel = LinearKernel::PoolSum {
        window: pool.window.clone(),
        in_shape,
        out_shape,
        weight: 1,
    };
    Ok(Lowered::new(
        StepKind::Linear(Linear {
            kernel,
            rescale: Rescale::half_up(divisors, act),
        }),
        f_q,
    ))
}
