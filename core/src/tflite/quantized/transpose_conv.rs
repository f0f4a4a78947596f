//! int8/uint8 TRANSPOSE_CONV (Keras's Conv2DTranspose: decoders, U-Nets, autoencoders). The
//! interpreter scatters each input pixel's products with the filter onto the output, at
//! `input · stride - pad + tap`, then requantizes each channel's sum as a convolution's. The
//! same sums are an ordinary convolution (stride 1, no padding) with the filter turned half
//! round over the input spread out: each input value placed `stride` apart, after
//! `kernel - 1 - pad` rows and columns of zeros (centred zeros: the zero point, which adds
//! nothing), copies the circuit proves by wiring alone. The requantization is the convolution's
//! (per-channel multipliers, gemmlowp's rounding: the optimized kernel requantizes its own
//! accumulators after the matrix product).

use super::{check_window_output, conv_bias, requant, unsupported, weight_quant, Builder};
use crate::error::{Error, Result};
use crate::ir::{ConvGeometry, Window2d};
use crate::ops::gather::Pick;
use crate::qgraph::{Linear, LinearKernel, StepKind};
use crate::tflite::{nchw, FusedActivation, Padding, TfOp};

/// The padding TFLite's TRANSPOSE_CONV takes off the top (left) of the scattered output:
/// `ComputePaddingHeightWidth` with the output size in the input's role.
pub(crate) fn leading_pad(padding: Padding, stride: usize, kernel: usize, out: usize) -> usize {
    // In C's int arithmetic: the division truncates toward zero, a negative total is no pad.
    // (Callers refuse a zero stride; one here keeps the division defined.)
    let (s, k, out) = (stride.max(1) as i64, kernel as i64, out as i64);
    let steps = match padding {
        Padding::Same => (out + s - 1) / s,
        Padding::Valid => (out + s - k) / s,
    };
    (((steps - 1) * s + k - out).max(0) / 2) as usize
}

impl Builder<'_> {
    pub(super) fn transpose_conv(
        &mut self,
        op: &TfOp,
        padding: Padding,
        [sh, sw]: [usize; 2],
        act: FusedActivation,
    ) -> Result<()> {
        let name = op.name(self.g);
        let filter = op.input(self.g, 1)?;
        let (x, xt) = self.input(op, 2)?;
        let x = self.dense(x)?;
        let bias = op.optional_input(self.g, 3);
        let out_t = &self.g.tensors[op.outputs[0]];
        let fs = &filter.shape;
        if xt.shape.len() != 4 || fs.len() != 4 || out_t.shape.len() != 4 {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}' needs 4-D input, filter and output"
            )));
        }
        let [_, h, w, cin] = xt.shape[..] else {
            unreachable!("4-D")
        };
        let [cout, kh, kw, fin] = fs[..] else {
            unreachable!("4-D")
        };
        let [_, oh, ow, oc] = out_t.shape[..] else {
            unreachable!("4-D")
        };
        if fin != cin || oc != cout || [kh, kw, sh, sw].contains(&0) {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}': filter {fs:?} for input {:?} and output {:?}",
                xt.shape, out_t.shape
            )));
        }
        let data = filter.int_data()?;
        if data.len() != filter.len() {
            return Err(Error::InvalidModel(format!(
                "TRANSPOSE_CONV '{name}': its filter holds {} values, not {}",
                data.len(),
                filter.len()
            )));
        }
        // The spread input: every output sees `kh × kw` of its values.
        let (ph, pw) = (oh + kh - 1, ow + kw - 1);
        let before = |pad: usize, k: usize| k as i64 - 1 - pad as i64;
        let (top, left) = (
            before(leading_pad(padding, sh, kh, oh), kh),
            before(leading_pad(padding, sw, kw, ow), kw),
        );
        let source = |p: usize, first: i64, stride: usize, len: usize| -> Option<usize> {
            let r = p as i64 - first;
            (r >= 0 && r % stride as i64 == 0 && ((r / stride as i64) as usize) < len)
                .then(|| (r / stride as i64) as usize)
        };
        let mut picks = Vec::with_capacity(cin * ph * pw);
        for c in 0..cin {
            for y in 0..ph {
                for xx in 0..pw {
                    picks.push(match (source(y, top, sh, h), source(xx, left, sw, w)) {
                        (Some(iy), Some(ix)) => Pick::Input {
                            slot: 0,
                            index: u32::try_from((c * h + iy) * w + ix).map_err(|_| {
                                Error::InvalidModel(format!(
                                    "TRANSPOSE_CONV '{name}': its input is too large"
                                ))
                            })?,
                        },
                        _ => Pick::Zero,
                    });
                }
            }
        }
        let in_shape = vec![1, cin, ph, pw];
        let spread = self
            .expanded(x.id, xt, &in_shape, picks)
            .map_err(|e| unsupported("TRANSPOSE_CONV", &name, &format!(" ({e})")))?;
        let window = Window2d {
            kernel: [kh, kw],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let out_shape = nchw(&out_t.shape);
        check_window_output(&window, &in_shape, &out_shape, &name)?;
        let wq = weight_quant(filter, cout, 0, &name)?;
        // OIHW, turned half round, centred on each channel's zero point.
        let mut weight = Vec::with_capacity(data.len());
        for o in 0..cout {
            for i in 0..cin {
                for ky in 0..kh {
                    for kx in 0..kw {
                        let tap = ((o * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)) * cin + i;
                        weight.push(data[tap] - wq.zero_point(o));
                    }
                }
            }
        }
        let bias = conv_bias(bias, cout, &name)?;
        let rescale = requant(xt, &wq, out_t, act, oh * ow, false)?;
        let kernel = LinearKernel::Conv {
            geometry: ConvGeometry {
                out_channels: cout,
                window,
                group: 1,
            },
            in_shape,
            out_shape,
            weight,
            bias,
        };
        self.push(
            op,
            StepKind::Linear(Linear { kernel, rescale }),
            vec![spread],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leading_pad_is_tflites_for_same_and_valid() {
        // Conv2DTranspose(3, strides=2, padding="same") from 8 to 16: total (8-1)·2+3-16 = 1.
        assert_eq!(leading_pad(Padding::Same, 2, 3, 16), 0);
        // kernel 4, stride 2, 8 -> 16: total 2, one each side.
        assert_eq!(leading_pad(Padding::Same, 2, 4, 16), 1);
        // "valid" from 8 to 17 (kernel 3, stride 2): no padding.
        assert_eq!(leading_pad(Padding::Valid, 2, 3, 17), 0);
        // An output smaller than the kernel: TFLite's steps (1 + 2 - 3) / 2 = 0, total
        // (0 - 1)·2 + 3 - 1 = 0 (a saturating subtraction made it 1).
        assert_eq!(leading_pad(Padding::Valid, 2, 3, 1), 0);
        // Steps (2 + 1 - 4) / 1 = -1: total (-1 - 1)·1 + 4 - 2 = 0.
        assert_eq!(leading_pad(Padding::Valid, 1, 4, 2), 0);
        // "same", stride 3, kernel 5 to 4: steps 2, total 3 + 5 - 4 = 4, two before.
        assert_eq!(leading_pad(Padding::Same, 3, 5, 4), 2);
    }
}
