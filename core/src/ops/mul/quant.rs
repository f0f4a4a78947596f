//! The product's quantized lowering: `y = a·b / 2^shift` at the scale the output's range
//! allows, never finer than the product's own (`fa + fb`), the second factor broadcast.

use super::{broadcast, Product};
use crate::error::{Error, Result};
use crate::ops::quant_context::{LowerCtx, Lowered};
use crate::qgraph::StepKind;

pub(crate) fn lower(cx: &LowerCtx) -> Result<Lowered> {
    // y = a·b / 2^shift at the output's scale, never below the product's own.
    let (f_a, f_b) = (cx.f_in, cx.in_fracs[1]);
    let f_out = cx.range_frac.min(f_a + f_b);
    let shift = f_a + f_b - f_out;
    if shift > cx.act_bits as i32 {
        return Err(Error::Quantization(format!(
            "node '{}': the product's scale is {shift} bits above the output's",
            cx.node
        )));
    }
    let second = broadcast(cx.in_shapes[0], cx.in_shapes[1]).map_err(Error::InvalidModel)?;
    Ok(Lowered::new(
        StepKind::Product(Product {
            second,
            shift: shift as u32,
        }),
        f_out,
    ))
}
