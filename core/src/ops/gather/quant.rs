//! Data movement's quantized lowering: the same picks over integers, at one output scale.
//! Inputs finer than the coarsest are first rescaled to it, each by a half-up step of its own
//! (an identity elementwise map whose divisor is the power of two between the scales).

use super::Gather;
use crate::error::{Error, Result};
use crate::ops::quant_context::{InputStep, LowerCtx, Lowered};
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
        let shift = frac - f;
        if shift == 0 {
            continue;
        }
        if shift > cx.act_bits as i32 {
            return Err(Error::Quantization(format!(
                "node '{}': input scales differ by {shift} bits",
                cx.node
            )));
        }
        let n: usize = cx.in_shapes[slot].iter().product();
        input_steps.push(InputStep::half_up(
            cx.node,
            (slot, n),
            (f, shift),
            (&format!("input{slot}"), &format!("rescale{slot}")),
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
