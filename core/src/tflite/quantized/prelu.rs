//! int8/uint8 PRELU (Keras's `PReLU`): `x` where the input is at least its zero point, else
//! `alpha·x`, with a constant slope tensor broadcast to the input (Keras learns one slope per
//! element by default, one per channel with `shared_axes`). The interpreter requantizes the two
//! sides by their own multipliers and clamps to the output's type; the lowering proves the same
//! integers from steps whose soundness is already shown, keeping the slopes parameters (hidden
//! and committed when the weights are, never in the key's tables):
//! - `p`: the identity side, a table of the input's 256 values: `x` requantized by
//!   `s_in / s_out` and clamped where `x >= 0`, else the output's zero point (centred 0);
//! - `xn = min(x, 0)`, a table, times the slopes (a constant made a tensor of the graph, as a
//!   MUL by a constant tensor makes it) by TFLite's MUL arithmetic with the multiplier
//!   `s_in·s_alpha / s_out`, clamped: the slope side where `x < 0`, centred 0 elsewhere;
//! - `p + n` by TFLite's ADD arithmetic, exact for operands and output of one quantization.

use super::{per_tensor, quantized_add, stored_range, unsupported, Builder};
use crate::error::{Error, Result};
use crate::ops::lookup::ByteLookup;
use crate::qgraph::{AffineQuant, QuantizedMul, QuantizedMultiplier, StepKind};
use crate::tflite::{lut, FusedActivation, TfOp};

impl Builder<'_> {
    pub(super) fn prelu(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let xt = op.input(self.g, 0)?;
        let alpha_t = op.input(self.g, 1)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        if alpha_t.data.is_none() {
            return Err(unsupported(
                "PRELU",
                &name,
                " with a slope the model computes (only a constant slope tensor)",
            ));
        }
        if alpha_t.dtype != xt.dtype || out_t.dtype != xt.dtype {
            return Err(Error::InvalidModel(format!(
                "PRELU '{name}': its slope is {:?}, its input {:?} and its output {:?}",
                alpha_t.dtype, xt.dtype, out_t.dtype
            )));
        }
        if xt.shape != out_t.shape || alpha_t.shape.len() > xt.shape.len() {
            return Err(unsupported(
                "PRELU",
                &name,
                &format!(
                    " of {:?} with a slope of {:?} into {:?} (the slope must broadcast to the \
                     input, whose shape the output keeps)",
                    xt.shape, alpha_t.shape, out_t.shape
                ),
            ));
        }
        let (alpha_scale, alpha_zp) = per_tensor(alpha_t)?;
        if !(alpha_scale.is_finite() && alpha_scale > 0.0) {
            return Err(Error::InvalidModel(format!(
                "PRELU '{name}': its slope has scale {alpha_scale}"
            )));
        }
        let q = lut::Quant::of(xt, out_t)?;
        let (qmin, qmax) = stored_range(xt)?;
        // The interpreter's Prepare: in f32, then widened (TFLite Micro computes in f64). Where
        // its int32 arithmetic would overflow, or a multiplier is not a number, its result is
        // not defined: refused before any table is made.
        let identity_real = q.in_scale / q.out_scale;
        let slope_real = q.in_scale * alpha_scale / q.out_scale;
        let identity = QuantizedMultiplier::from_real(identity_real as f64);
        let slope_multiplier = QuantizedMultiplier::from_real(slope_real as f64);
        let largest_slope = alpha_t
            .int_data()?
            .iter()
            .map(|a| (a - alpha_zp).abs())
            .max()
            .unwrap_or(0);
        let largest_input = (qmax - q.in_zp).max(q.in_zp - qmin);
        let defined = [identity_real, slope_real]
            .iter()
            .all(|r| r.is_finite() && *r > 0.0)
            && identity.apply(qmax - q.in_zp).is_some()
            && slope_multiplier
                .apply(largest_input * largest_slope)
                .is_some();
        if !defined {
            return Err(unsupported(
                "PRELU",
                &name,
                &format!(
                    " whose requantization overflows the interpreter's int32 arithmetic (input \
                     scale {}, slope scale {alpha_scale}, output scale {})",
                    q.in_scale, q.out_scale
                ),
            ));
        }
        // The slopes become a tensor of the graph; for each element, the slope it reads.
        self.materialize_constant(op, 1)?;
        let pair = self.broadcast_pair(op, "PRELU")?;
        let (x, alpha) = (pair.first.0, pair.second.0);
        let shape = self.q.tensors[x].shape.clone();
        let x_affine = self.q.tensors[x].affine.ok_or_else(|| {
            Error::InvalidModel(format!("PRELU '{name}': an input without quantization"))
        })?;
        let out_affine = AffineQuant {
            scale: q.out_scale,
            zero_point: q.out_zp,
            q_min: q.out_min,
            q_max: q.out_max,
        };
        let positive = self.step_tensor(
            &format!("{}/identity side", out_t.name),
            shape.clone(),
            out_affine,
            StepKind::Lookup(ByteLookup::from_stored(
                qmin,
                q.in_zp,
                q.out_zp,
                lut::prelu_identity_side(q, identity),
            )),
            vec![x],
        );
        let below_zero = self.step_tensor(
            &format!("{}/below zero", out_t.name),
            shape.clone(),
            x_affine,
            StepKind::Lookup(ByteLookup::from_stored(qmin, q.in_zp, q.in_zp, |s| {
                s.min(q.in_zp)
            })),
            vec![x],
        );
        let negative = self.step_tensor(
            &format!("{}/slope side", out_t.name),
            shape,
            out_affine,
            StepKind::QuantizedMul(QuantizedMul {
                second: pair.second_of_output,
                multiplier: slope_multiplier,
                out_zero_point: q.out_zp,
                act_min: q.out_min,
                act_max: q.out_max,
            }),
            vec![below_zero, alpha],
        );
        let sum = quantized_add(out_t, out_t, out_t, FusedActivation::None)?;
        self.push(op, StepKind::QuantizedAdd(sum), vec![positive, negative])
    }
}
