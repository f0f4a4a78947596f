//! 2-D convolution (NCHW, OIHW weights), including grouped and depthwise convolution.

use super::window::Window2d;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Conv {
    /// [out_channels, in_channels / group, kh, kw]
    pub weight: Tensor,
    /// One per output channel (zeros when the model has none).
    pub bias: Vec<f32>,
    pub window: Window2d,
    pub group: usize,
}

impl Conv {
    pub fn output_shape(&self, x: &[usize]) -> Result<Vec<usize>, String> {
        let ws = &self.weight.shape;
        if x.len() != 4 || ws.len() != 4 {
            return Err(format!(
                "expected a 4-D input and 4-D weight, got {x:?} and {ws:?}"
            ));
        }
        let (c, h, w) = (x[1], x[2], x[3]);
        let (o, cg) = (ws[0], ws[1]);
        if self.group == 0 || c % self.group != 0 || o % self.group != 0 || c / self.group != cg {
            return Err(format!(
                "weight {ws:?} with group {} does not fit {c} input channels",
                self.group
            ));
        }
        if [ws[2], ws[3]] != self.window.kernel {
            return Err(format!(
                "kernel_shape {:?} differs from weight shape {ws:?}",
                self.window.kernel
            ));
        }
        if self.bias.len() != o {
            return Err(format!(
                "bias has {} values for {o} output channels",
                self.bias.len()
            ));
        }
        let (oh, ow) = self
            .window
            .output_hw(h, w)
            .ok_or("window larger than the padded input")?;
        Ok(vec![1, o, oh, ow])
    }

    pub fn geometry(&self) -> ConvGeometry {
        ConvGeometry {
            out_channels: self.weight.shape[0],
            window: self.window.clone(),
            group: self.group,
        }
    }

    fn for_each_term(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        out: usize,
        f: impl FnMut(usize, usize),
    ) {
        self.geometry().for_each_term(in_shape, out_shape, out, f)
    }

    pub fn eval(&self, x: &Tensor, out_shape: Vec<usize>) -> Tensor {
        let n: usize = out_shape.iter().product();
        let per_channel = out_shape[2] * out_shape[3];
        let data = (0..n)
            .map(|o| {
                let mut acc = self.bias[o / per_channel] as f64;
                self.for_each_term(&x.shape, &out_shape, o, |i, wi| {
                    acc += x.data[i] as f64 * self.weight.data[wi] as f64
                });
                acc as f32
            })
            .collect();
        Tensor::new(out_shape, data)
    }
}

/// What a convolution's index arithmetic needs, without the weights: shared by the float model
/// and the quantized graph.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConvGeometry {
    pub out_channels: usize,
    pub window: Window2d,
    pub group: usize,
}

impl ConvGeometry {
    /// Visits the (input flat index, weight flat index) pairs feeding output element `out`
    /// (NCHW input, OIHW weights); taps on padding are skipped.
    pub fn for_each_term(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        out: usize,
        mut f: impl FnMut(usize, usize),
    ) {
        let (c, h, w) = (in_shape[1], in_shape[2], in_shape[3]);
        let (oh, ow) = (out_shape[2], out_shape[3]);
        let oc = out / (oh * ow);
        let (oy, ox) = ((out / ow) % oh, out % ow);
        let cg = c / self.group;
        let g = oc / (self.out_channels / self.group);
        let (kh, kw) = (self.window.kernel[0], self.window.kernel[1]);
        for ci in 0..cg {
            let ic = g * cg + ci;
            self.window.for_each_tap(h, w, oy, ox, |ky, kx, iy, ix| {
                f((ic * h + iy) * w + ix, ((oc * cg + ci) * kh + ky) * kw + kx);
            });
        }
    }
}
