//! The quantized lowering of Add, Relu and Clip.
//!
//! - Add: both operands (or the operand and the constant) brought to a common accumulator
//!   scale by integer weights, summed, and divided by a power of two down to the scale the
//!   output's range allows (never finer than the finest operand's); then the fused
//!   activation. The accumulator is at most B bits finer than the output: an operand finer
//!   than that is first rounded to it by steps of its own.
//! - Relu and Clip: fused into the linear step before them where they can be (by the driver);
//!   standalone, an identity step at the input's scale. Clip's bounds are rounded to the
//!   quotients' scale ([`clip_activation`]).

use super::{AddOperand, Clip};
use crate::error::Result;
use crate::ops::quant_context::{rounded_input, Fused, LowerCtx, Lowered};
use crate::qgraph::{Activation, BroadcastBias, Linear, LinearKernel, Rescale, StepKind};
use crate::tensor::broadcast_indices;

pub(crate) fn lower_add(operand: &AddOperand, cx: &LowerCtx) -> Result<Lowered> {
    let b = cx.act_bits as i32;
    let mut fracs = vec![cx.f_in];
    if let AddOperand::Tensor = operand {
        fracs.push(cx.in_fracs[1]);
    }
    // The output's scale is the one its range allows, never finer than the finest operand's:
    // a sum whose terms nearly cancel (a layer norm's `β - mean·x` at `β = 0`, ~1e-7 in float)
    // is known only to its operands' resolution, and a finer scale would blow their rounding
    // up past the domain (Keras's ConvNeXt was refused so).
    let f_out = cx
        .range_frac
        .min(fracs.iter().copied().max().unwrap_or(cx.f_in));
    // The accumulator is at most B bits finer than the output (the rescale divides by at most
    // 2^B). An operand finer still is first rounded down to it: its values, under 2^(B-1) at
    // their own scale, are then below half a unit of the output (a ConvNeXt block's 1e-6 layer
    // scale), so the rounding costs less than the output's own.
    let f_acc = fracs.iter().fold(f_out, |m, &f| m.max(f)).min(f_out + b);
    let mut input_steps = vec![];
    for (slot, f) in fracs.iter_mut().enumerate() {
        if *f > f_acc {
            let n: usize = cx.in_shapes[slot].iter().product();
            let names = (&format!("operand{slot}")[..], &format!("round{slot}")[..]);
            input_steps.extend(rounded_input(
                cx.node,
                (slot, n),
                (*f, f_acc),
                cx.act_bits,
                names,
            ));
            *f = f_acc;
        }
    }
    let (weights, bias) = match operand {
        AddOperand::Tensor => (
            vec![1i64 << (f_acc - fracs[0]), 1i64 << (f_acc - fracs[1])],
            None,
        ),
        AddOperand::Constant(c) => {
            let idx = broadcast_indices(&c.shape, cx.out_shape).expect("checked at load");
            let s = 2f64.powi(f_acc);
            let values = c
                .data
                .iter()
                .map(|&v| (v as f64 * s).round() as i64)
                .collect();
            (
                vec![1i64 << (f_acc - fracs[0])],
                Some(BroadcastBias::compact(values, &idx)),
            )
        }
    };
    let shift = f_acc - f_out;
    let act = cx.activation(f_out);
    let rescale = Rescale::half_up(vec![1u64 << shift; cx.n_out], act);
    Ok(Lowered {
        kind: StepKind::Linear(Linear {
            kernel: LinearKernel::Elementwise { weights, bias },
            rescale,
        }),
        out_frac: f_out,
        input_steps,
    })
}

/// A Relu not fused into the step before it.
pub(crate) fn lower_relu(cx: &LowerCtx) -> Lowered {
    cx.standalone(Fused::Relu)
}

/// A Clip not fused into the step before it.
pub(crate) fn lower_clip(clip: &Clip, cx: &LowerCtx) -> Lowered {
    cx.standalone(Fused::Clip(*clip))
}

/// Clip's quantized form on quotients at scale `frac`: its bounds rounded to that scale and
/// held to the domain of `act_bits`. A Clip from 0 to the domain's top is Relu; one bounding
/// nothing in the domain, the identity.
pub(crate) fn clip_activation(clip: Clip, frac: i32, act_bits: u32) -> Activation {
    let half = 1i64 << (act_bits - 1);
    let q = |v: f32| -> i64 {
        if v.is_infinite() {
            return if v > 0.0 { half - 1 } else { -half };
        }
        ((v as f64) * 2f64.powi(frac))
            .round()
            .clamp(-half as f64, (half - 1) as f64) as i64
    };
    let (lo, hi) = (q(clip.min), q(clip.max));
    if lo == 0 && hi == half - 1 {
        Activation::Relu
    } else if lo == -half && hi == half - 1 {
        Activation::Identity
    } else {
        Activation::Clip { lo, hi }
    }
}
