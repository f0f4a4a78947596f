//! The matrix product's quantized lowering: `C = A·B / 2^shift` at the scale the output's range
//! allows, never finer than the products' own (`fa + fb`). The rescale chip divides by at most
//! `2^B`; a product whose scale lies further above the output's first rounds its finer
//! operand(s) to a coarser scale, by half-up steps of their own (at most 2^B each).

use super::{MatMulShape, MatProduct};
use crate::error::{Error, Result};
use crate::ops::quant_context::{rounded_input, LowerCtx, Lowered};
use crate::qgraph::StepKind;

pub(crate) fn lower(cx: &LowerCtx) -> Result<Lowered> {
    let b = cx.act_bits as i32;
    let mut fracs = [cx.f_in, cx.in_fracs[1]];
    let f_out = cx.range_frac.min(fracs[0] + fracs[1]);
    // Bits the operands must lose before the product's divisor fits 2^B: one at a time from
    // whichever is finer, at most B from each (a rescale divides by at most 2^B).
    let mut cuts = [0i32; 2];
    for _ in 0..(fracs[0] + fracs[1] - f_out - b).max(0) {
        let slot = usize::from(fracs[1] > fracs[0]);
        cuts[slot] += 1;
        fracs[slot] -= 1;
    }
    let input_steps = (0..2)
        .flat_map(|slot| {
            let n: usize = cx.in_shapes[slot].iter().product();
            let names = (&format!("operand{slot}")[..], &format!("round{slot}")[..]);
            let from = (fracs[slot] + cuts[slot], fracs[slot]);
            rounded_input(cx.node, (slot, n), from, cx.act_bits, names)
        })
        .collect();
    let shift = fracs[0] + fracs[1] - f_out;
    let (_, shape) =
        MatMulShape::of(cx.in_shapes[0], cx.in_shapes[1]).map_err(Error::InvalidModel)?;
    Ok(Lowered {
        kind: StepKind::MatMul(MatProduct {
            shape,
            shift: shift as u32,
            requant: None,
        }),
        out_frac: f_out,
        input_steps,
    })
}
