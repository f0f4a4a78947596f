//! int8/uint8 PRELU (Keras's `PReLU`): `x` where the input is at least its zero point, else
//! `alpha·x`, with a constant slope tensor broadcast to the input (Keras learns one slope per
//! element by default, one per channel with `shared_axes`). The interpreter requantizes the two
//! sides by their own multipliers, so each element's output is a function of its 8-bit input
//! for the stored slope it meets: one 256-entry table per distinct stored slope (at most 256),
//! and a [`ByteLookups`] step whose every element reads the table of its slope.

use super::{per_tensor, stored_range, unsupported, Builder};
use crate::error::{Error, Result};
use crate::ops::lookup::{ByteLookup, ByteLookups};
use crate::qgraph::StepKind;
use crate::tflite::{lut, nchw, nhwc_flat_index, TfOp};

impl Builder<'_> {
    pub(super) fn prelu(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
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
        let stored = alpha_t.int_data()?;
        // numpy broadcasting reads the slope right-aligned against the input: padded with
        // leading ones to the input's rank, its NHWC values are put in our (NCHW) order.
        let mut padded = vec![1; xt.shape.len() - alpha_t.shape.len()];
        padded.extend_from_slice(&alpha_t.shape);
        let alpha_ours = nchw(&padded);
        let slope_of_element = crate::ops::mul::broadcast(&nchw(&xt.shape), &alpha_ours)
            .map_err(|e| unsupported("PRELU", &name, &format!(" ({e})")))?;
        let q = lut::Quant::of(xt, out_t)?;
        let (qmin, _) = stored_range(xt)?;
        let mut slopes: Vec<i64> = Vec::new();
        let mut tables: Vec<ByteLookup> = Vec::new();
        let mut table_of = Vec::with_capacity(slope_of_element.len());
        for i in slope_of_element {
            let a = stored[nhwc_flat_index(&alpha_ours, i as usize)];
            let t = match slopes.iter().position(|&s| s == a) {
                Some(t) => t,
                None => {
                    let f = lut::prelu(q, alpha_scale, a - alpha_zp);
                    tables.push(ByteLookup::from_stored(qmin, q.in_zp, q.out_zp, f));
                    slopes.push(a);
                    slopes.len() - 1
                }
            };
            table_of.push(t as u32);
        }
        self.push(
            op,
            StepKind::Lookups(ByteLookups { tables, table_of }),
            vec![x.id],
        )
    }
}
