//! 2-D convolution (NCHW, OIHW weights), including grouped and depthwise convolution.

use crate::ops::window::Window2d;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::lower;

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
    /// `y[c] = scale[c]·x[c] + bias[c]` over `[1, C, H, W]`: a depthwise 1×1 convolution, how
    /// the front ends express a per-channel affine map.
    pub fn depthwise_1x1(scale: Vec<f32>, bias: Vec<f32>) -> Self {
        let channels = scale.len();
        Conv {
            weight: Tensor::new(vec![channels, 1, 1, 1], scale),
            bias,
            window: Window2d {
                kernel: [1, 1],
                stride: [1, 1],
                pads: [0; 4],
                dilation: [1, 1],
            },
            group: channels,
        }
    }

    /// The ordinary convolution a transposed one (ONNX ConvTranspose, weight
    /// `[C_in, C_out / group, kh, kw]`) is over its input spread by its strides and padded by
    /// `dilation·(k - 1) - pad` ([`crate::ops::gather::maps::spread`]): stride 1, the same
    /// dilation, each group's weight with input and output channels swapped and the kernel
    /// turned by 180°.
    pub fn from_transposed(
        weight: &Tensor,
        bias: Vec<f32>,
        group: usize,
        dilation: [usize; 2],
    ) -> Result<Self, String> {
        let ws = &weight.shape;
        if ws.len() != 4 || group == 0 || !ws[0].is_multiple_of(group) {
            return Err(format!(
                "weight {ws:?} with group {group} is not a transposed 2-D convolution's"
            ));
        }
        let (c_in, out_per_group, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
        let in_per_group = c_in / group;
        let c_out = out_per_group * group;
        let mut w = vec![0f32; weight.data.len()];
        for g in 0..group {
            for ci in 0..in_per_group {
                for co in 0..out_per_group {
                    for y in 0..kh {
                        for x in 0..kw {
                            let from =
                                (((g * in_per_group + ci) * out_per_group + co) * kh + y) * kw + x;
                            let to = (((g * out_per_group + co) * in_per_group + ci) * kh
                                + (kh - 1 - y))
                                * kw
                                + (kw - 1 - x);
                            w[to] = weight.data[from];
                        }
                    }
                }
            }
        }
        Ok(Conv {
            weight: Tensor::new(vec![c_out, in_per_group, kh, kw], w),
            bias,
            window: Window2d {
                kernel: [kh, kw],
                stride: [1, 1],
                pads: [0; 4],
                dilation,
            },
            group,
        })
    }

    pub fn output_shape(&self, x: &[usize]) -> Result<Vec<usize>, String> {
        let ws = &self.weight.shape;
        if x.len() != 4 || ws.len() != 4 {
            return Err(format!(
                "expected a 4-D input and 4-D weight, got {x:?} and {ws:?}"
            ));
        }
        if x[0] != 1 {
            return Err(format!(
                "input {x:?} holds {} samples (one at a time)",
                x[0]
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

    pub fn eval(&self, x: &Tensor, out_shape: Vec<usize>) -> Tensor {
        let per_channel = out_shape[2] * out_shape[3];
        // Accumulate in f64, channel plane by channel plane (the same terms as `for_each_term`).
        let mut acc: Vec<f64> = self
            .bias
            .iter()
            .flat_map(|&b| std::iter::repeat_n(b as f64, per_channel))
            .collect();
        let xs: Vec<f64> = x.data.iter().map(|&v| v as f64).collect();
        let ws: Vec<f64> = self.weight.data.iter().map(|&v| v as f64).collect();
        self.geometry()
            .accumulate(&x.shape, &out_shape, &xs, &ws, &mut acc);
        Tensor::new(out_shape, acc.into_iter().map(|v| v as f32).collect())
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

    /// How many terms each output element has, as (terms, outputs with that many) pairs: what
    /// [`ConvGeometry::for_each_term`] visits over all `out_shape` outputs, counted per output
    /// position instead of term by term (a circuit's row estimate at ImageNet scale asks for
    /// every convolution's counts, and visiting its terms took the better part of a minute).
    pub fn term_counts(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
    ) -> std::collections::BTreeMap<usize, usize> {
        // Each in-bounds tap brings one term per input channel of the output's group.
        self.window
            .term_counts(in_shape, out_shape, in_shape[1] / self.group.max(1))
    }

    /// Adds every output's `Σ w·x` (the terms [`ConvGeometry::for_each_term`] visits) to `out`,
    /// which holds one value per output element (NCHW) and is usually preset to the bias.
    ///
    /// The same sums as visiting the terms output by output, in another order: a weight at a
    /// time over whole rows of an output plane, which is what makes ImageNet-sized models
    /// evaluate in a fraction of a second. Exact for integers; for floats only the summation
    /// order differs.
    pub fn accumulate<T>(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        x: &[T],
        weight: &[T],
        out: &mut [T],
    ) where
        T: Copy + std::ops::Mul<Output = T> + std::ops::AddAssign,
    {
        let (c, h, w) = (in_shape[1], in_shape[2], in_shape[3]);
        let (oh, ow) = (out_shape[2], out_shape[3]);
        if oh * ow == 0
            || self.group == 0
            || self.out_channels < self.group
            || self.window.stride.contains(&0)
        {
            return; // no outputs, or a geometry the IR rejects when a model is built
        }
        let cg = c / self.group;
        let per_group = self.out_channels / self.group;
        let (kh, kw) = (self.window.kernel[0], self.window.kernel[1]);
        let [sy, sx] = self.window.stride;
        let [dy, dx] = self.window.dilation;
        let (pt, pl) = (self.window.pads[0] as isize, self.window.pads[1] as isize);
        // For kernel column kx: the output columns whose input column lies inside the input,
        // and the input column of output column 0.
        let columns: Vec<(usize, usize, isize)> = (0..kw)
            .map(|kx| {
                let base = (kx * dx) as isize - pl;
                let first = if base >= 0 {
                    0
                } else {
                    (-base as usize).div_ceil(sx)
                };
                let end = if (w as isize - 1 - base) < 0 {
                    0
                } else {
                    (((w as isize - 1 - base) as usize) / sx + 1).min(ow)
                };
                let first = first.min(ow);
                (first, end.max(first), base)
            })
            .collect();
        for (oc, plane) in out
            .chunks_exact_mut(oh * ow)
            .enumerate()
            .take(self.out_channels)
        {
            let g = oc / per_group;
            for ci in 0..cg {
                let xin = &x[(g * cg + ci) * h * w..][..h * w];
                for ky in 0..kh {
                    for (kx, &(first, end, base)) in columns.iter().enumerate() {
                        if first == end {
                            continue; // this kernel column only ever meets padding
                        }
                        let wv = weight[((oc * cg + ci) * kh + ky) * kw + kx];
                        for oy in 0..oh {
                            let iy = (oy * sy + ky * dy) as isize - pt;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            let row = &xin[iy as usize * w..][..w];
                            let orow = &mut plane[oy * ow..][..ow];
                            if sx == 1 {
                                let start = (first as isize + base) as usize;
                                let len = end - first;
                                for (o, &v) in
                                    orow[first..end].iter_mut().zip(&row[start..start + len])
                                {
                                    *o += wv * v;
                                }
                            } else {
                                for (ox, o) in orow.iter_mut().enumerate().take(end).skip(first) {
                                    *o += wv * row[((ox * sx) as isize + base) as usize];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `accumulate` (whole planes at once) and `for_each_term` (output by output) must visit the
    /// same terms, and `term_counts` must count them: checked exactly on integers over strides,
    /// dilations, asymmetric padding, grouped and depthwise convolutions.
    #[test]
    fn accumulate_matches_the_term_enumeration() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % (2 * m as u64 + 1)) as i64 - m
        };
        // (channels in, out, group, kernel, stride, dilation, pads, h, w)
        let mut cases = vec![
            (3, 4, 1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], 5, 6),
            (3, 2, 1, [3, 3], [2, 2], [1, 1], [0, 0, 1, 1], 7, 7),
            (4, 4, 4, [3, 3], [2, 2], [1, 1], [1, 1, 1, 1], 6, 5),
            (4, 8, 2, [1, 1], [1, 1], [1, 1], [0; 4], 3, 3),
            (2, 3, 1, [2, 3], [1, 2], [2, 1], [2, 0, 1, 3], 5, 8),
            (6, 6, 6, [3, 3], [3, 1], [1, 2], [0, 2, 0, 2], 4, 4),
            (1, 1, 1, [5, 5], [1, 1], [1, 1], [2, 2, 2, 2], 2, 3),
            // Padding wider than the input: early kernel columns read nothing at all.
            (1, 2, 1, [1, 4], [1, 1], [1, 1], [0, 3, 0, 0], 2, 1),
            (1, 2, 1, [2, 4], [2, 2], [1, 1], [1, 3, 0, 2], 2, 1),
        ];
        // And random small geometries (those with no output are skipped below).
        let mut small = |lo: i64, hi: i64| (lo + next(1000).rem_euclid(hi - lo + 1)) as usize;
        for _ in 0..500 {
            let group = small(1, 3);
            cases.push((
                group * small(1, 3),
                group * small(1, 3),
                group,
                [small(1, 4), small(1, 4)],
                [small(1, 3), small(1, 3)],
                [small(1, 2), small(1, 2)],
                [small(0, 4), small(0, 4), small(0, 4), small(0, 4)],
                small(1, 6),
                small(1, 6),
            ));
        }
        for (c, o, group, kernel, stride, dilation, pads, h, w) in cases {
            let window = Window2d {
                kernel,
                stride,
                pads,
                dilation,
            };
            let Some((oh, ow)) = window.output_hw(h, w) else {
                continue;
            };
            let geo = ConvGeometry {
                out_channels: o,
                window,
                group,
            };
            let (in_shape, out_shape) = ([1, c, h, w], [1, o, oh, ow]);
            let x: Vec<i64> = (0..c * h * w).map(|_| next(100)).collect();
            let wt: Vec<i64> = (0..o * (c / group) * kernel[0] * kernel[1])
                .map(|_| next(50))
                .collect();
            let expected: Vec<i64> = (0..o * oh * ow)
                .map(|out| {
                    let mut s = 7;
                    geo.for_each_term(&in_shape, &out_shape, out, |i, wi| s += x[i] * wt[wi]);
                    s
                })
                .collect();
            let mut got = vec![7i64; o * oh * ow];
            geo.accumulate(&in_shape, &out_shape, &x, &wt, &mut got);
            assert_eq!(
                got, expected,
                "case c={c} o={o} group={group} {kernel:?} {stride:?}"
            );
            // And the counts of terms per output are those of the enumeration.
            let mut visited = std::collections::BTreeMap::new();
            for out in 0..o * oh * ow {
                let mut n = 0;
                geo.for_each_term(&in_shape, &out_shape, out, |_, _| n += 1);
                *visited.entry(n).or_insert(0) += 1;
            }
            assert_eq!(
                geo.term_counts(&in_shape, &out_shape),
                visited,
                "case c={c} o={o} group={group} {kernel:?} {stride:?}"
            );
        }
    }

    /// A hand-computed depthwise convolution: two channels, 3x3 kernels, padding 1.
    #[test]
    fn depthwise_conv_by_hand() {
        let conv = Conv {
            // channel 0: all ones (a box sum); channel 1: only the centre, times 2.
            weight: Tensor::new(
                vec![2, 1, 3, 3],
                [vec![1.0; 9], vec![0., 0., 0., 0., 2., 0., 0., 0., 0.]].concat(),
            ),
            bias: vec![0.5, -1.0],
            window: Window2d {
                kernel: [3, 3],
                stride: [1, 1],
                pads: [1, 1, 1, 1],
                dilation: [1, 1],
            },
            group: 2,
        };
        let x = Tensor::new(
            vec![1, 2, 2, 2],
            vec![1., 2., 3., 4., /* channel 1 */ 5., 6., 7., 8.],
        );
        let shape = conv.output_shape(&x.shape).unwrap();
        assert_eq!(shape, vec![1, 2, 2, 2]);
        let y = conv.eval(&x, shape);
        // Every 3x3 window of a padded 2x2 map covers all four values: 10 + 0.5.
        // Channel 1: 2·x - 1.
        assert_eq!(y.data, vec![10.5, 10.5, 10.5, 10.5, 9., 11., 13., 15.]);
    }
}
