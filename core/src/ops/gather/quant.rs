//! Data movement's quantized lowering: the same picks over integers, at one output scale.
//! Inputs finer than the coarsest are first rescaled to it, each by half-up steps of its own
//! (identity elementwise maps whose divisors are the powers of two between the scales, at most
//! 2^B each).

use super::Gather;
use crate::error::{Error, Result};
use crate::ops::quant_context::{rounded_input, LowerCtx, Lowered};
use crate::qgraph::StepKind;

pub(crate) fn lower(gather: &Gather, cx: &LowerCtx) -> Result<Lowered> {
    // One scale for the output: inputs finer than the coarsest are rescaled to it.
    let f = cx
        .in_fracs
        .iter()
        .copied()
        .min()
        .ok_or_else(|| Error::InvalidModel(format!("node '{}' has no input", cx.node)))?;
    let mut input_steps = vec![];
    for (slot, &frac) in cx.in_fracs.iter().enumerate() {
        let n: usize = cx.in_shapes[slot].iter().product();
        let names = (&format!("input{slot}")[..], &format!("rescale{slot}")[..]);
        input_steps.extend(rounded_input(
            cx.node,
            (slot, n),
            (frac, f),
            cx.act_bits,
            names,
        ));
    }
    Ok(Lowered {
        kind: StepKind::Gather {
            picks: gather.picks.clone(),
        },
        out_frac: f,
        input_steps,
    })
}
