//! The int8 lowering of RESIZE_BILINEAR: one linear step whose outputs each sum their own
//! neighbours with the interpreter's fixed-point weights ([`crate::tflite::bilinear`]), and
//! round the raw (uncentred) sum half away from zero once, as the interpreter does. The
//! rescale chip divides by at most 2^16, which integer scale factors (a 2x, 4x or 8x
//! upsampling) meet; other sizes are refused by name.

use super::{unsupported, Builder};
use crate::error::Result;
use crate::qgraph::{Activation, Linear, LinearKernel, Rescale, Rounding, StepKind};
use crate::tflite::{TfOp, TfType};

/// The largest divisor the rescale chip takes in a TFLite model (its activation domain).
const MAX_DIVISOR: i64 = 1 << super::TFLITE_ACT_BITS;

impl<'g> Builder<'g> {
    pub(super) fn resize_bilinear(
        &mut self,
        op: &TfOp,
        align_corners: bool,
        half_pixel_centers: bool,
    ) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt, size) = self.resize_input(op)?;
        if xt.dtype != TfType::I8 {
            return Err(unsupported(
                "RESIZE_BILINEAR",
                &name,
                " of a uint8 tensor (its kernel interpolates in float; int8 is supported)",
            ));
        }
        let out_t = &self.g.tensors[op.outputs[0]];
        let [n, h, w, c] = xt.shape[..] else {
            return Err(unsupported(
                "RESIZE_BILINEAR",
                &name,
                &format!(" of a tensor of shape {:?} (it takes NHWC)", xt.shape),
            ));
        };
        if n != 1 || out_t.shape != [1, size[0], size[1], c] {
            return Err(unsupported(
                "RESIZE_BILINEAR",
                &name,
                &format!(" from {:?} to {:?} at size {size:?}", xt.shape, out_t.shape),
            ));
        }
        let (taps, divisor) =
            crate::tflite::bilinear::taps([c, h, w], size, align_corners, half_pixel_centers)
                .map_err(|e| unsupported("RESIZE_BILINEAR", &name, &format!(" ({e})")))?;
        if divisor > MAX_DIVISOR {
            return Err(unsupported(
                "RESIZE_BILINEAR",
                &name,
                &format!(
                    " from {h}x{w} to {}x{}: its weights need a divisor of {divisor}, over the \
                     circuit's 2^{} (integer scale factors such as a 2x upsampling fit)",
                    size[0],
                    size[1],
                    super::TFLITE_ACT_BITS
                ),
            ));
        }
        let zero_point = super::per_tensor(xt)?.1;
        let kernel = LinearKernel::Taps { taps };
        let n_out = c * size[0] * size[1];
        let rescale = Rescale {
            rounding: Rounding::HalfAwayFromZero {
                divisors: vec![divisor as u64; n_out],
                zero_point,
            },
            // The weights sum to the divisor: the result is within the input's stored range.
            act: Activation::Identity,
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x.id])
    }
}
