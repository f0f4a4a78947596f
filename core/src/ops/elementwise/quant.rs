//! The quantized lowering of Add, Relu and Clip.
//!
//! - Add: both operands (or the operand and the constant) brought to a common accumulator
//!   scale by integer weights, summed, and divided by a power of two down to the scale the
//!   output's range allows; then the fused activation.
//! - Relu and Clip: fused into the linear step before them where they can be (by the driver);
//!   standalone, an identity step at the input's scale. Clip's bounds are rounded to the
//!   quotients' scale ([`clip_activation`]).

use super::{AddOperand, Clip};
use crate::error::{Error, Result};
use crate::ops::quant_context::{Fused, LowerCtx, Lowered};
use crate::qgraph::{Activation, Linear, LinearKernel, Rescale, StepKind};
use crate::tensor::broadcast_indices;

pub(crate) fn lower_add(operand: &AddOperand, cx: &LowerCtx) -> Result<Lowered> {
    let (b, f_in) = (cx.act_bits, cx.f_in);
    let f_out = cx.range_frac;
    let (weights, bias, f_acc) = match operand {
        AddOperand::Tensor => {
            let f_b = cx.in_fracs[1];
            let f_acc = f_in.max(f_b).max(f_out);
            (
                vec![1i64 << (f_acc - f_in), 1i64 << (f_acc - f_b)],
                None,
                f_acc,
            )
        }
        AddOperand::Constant(c) => {
            let f_acc = f_in.max(f_out);
            let idx = broadcast_indices(&c.shape, cx.out_shape).expect("checked at load");
            let s = 2f64.powi(f_acc);
            let bias = idx
                .iter()
                .map(|&i| (c.data[i] as f64 * s).round() as i64)
                .collect();
            (vec![1i64 << (f_acc - f_in)], Some(bias), f_acc)
        }
    };
    let shift = f_acc - f_out;
    if shift > b as i32 {
        return Err(Error::Quantization(format!(
            "node '{}': operand scales differ too much from the output's ({shift} bits)",
            cx.node
        )));
    }
    let act = cx.activation(f_out);
    let rescale = Rescale::half_up(vec![1u64 << shift; cx.n_out], act);
    Ok(Lowered::new(
        StepKind::Linear(Linear {
            kernel: LinearKernel::Elementwise { weights, bias },
            rescale,
        }),
        f_out,
    ))
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
