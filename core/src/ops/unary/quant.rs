//! A function's quantized lowering: fused into the linear step before it where it can be (by
//! the driver), standalone an identity step at the input's scale; either way the step's
//! rounded quotients go through the function's table ([`table`]), whose outputs are at the
//! scale the function's own output range allows.

use super::{TableFn, UnaryFn};
use crate::ops::quant_context::{Fused, LowerCtx, Lowered};
use crate::qgraph::Activation;

/// A function not fused into the step before it.
pub(crate) fn lower(func: UnaryFn, cx: &LowerCtx) -> Lowered {
    cx.standalone(Fused::Function(func))
}

/// `func`'s table for quotients at scale `in_frac` over the domain of `act_bits`, giving
/// outputs at `out_frac` (the calibrated one), or at the scale the function ties to its input's.
pub(crate) fn table(func: UnaryFn, in_frac: i32, act_bits: u32, out_frac: i32) -> Activation {
    let out_frac = func.tied_out_frac(in_frac, act_bits).unwrap_or(out_frac);
    Activation::Table(TableFn {
        func,
        in_frac,
        out_frac,
        act_bits,
    })
}
