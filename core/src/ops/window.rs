//! 2-D sliding-window geometry shared by convolution and pooling: output size and the input
//! positions each output reads. The float evaluator, the integer evaluator and the circuit all
//! enumerate taps through this one function, so their index arithmetic cannot drift apart.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// top, left, bottom, right
    pub pads: [usize; 4],
    pub dilation: [usize; 2],
}

impl Window2d {
    pub fn output_hw(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        // Attributes come from model files: reject zeros and overflow instead of wrapping.
        if self.kernel.contains(&0) || self.stride.contains(&0) || self.dilation.contains(&0) {
            return None;
        }
        let eff = |k: usize, d: usize| (k - 1).checked_mul(d)?.checked_add(1);
        let kh = eff(self.kernel[0], self.dilation[0])?;
        let kw = eff(self.kernel[1], self.dilation[1])?;
        let ph = h.checked_add(self.pads[0])?.checked_add(self.pads[2])?;
        let pw = w.checked_add(self.pads[1])?.checked_add(self.pads[3])?;
        if ph < kh || pw < kw {
            return None;
        }
        Some((
            (ph - kh) / self.stride[0] + 1,
            (pw - kw) / self.stride[1] + 1,
        ))
    }

    /// Visits every kernel tap of output position (oy, ox) that falls inside the unpadded input:
    /// `f(ky, kx, iy, ix)`. Taps on padding are skipped (they multiply zero or are ignored by max).
    pub fn for_each_tap(
        &self,
        h: usize,
        w: usize,
        oy: usize,
        ox: usize,
        mut f: impl FnMut(usize, usize, usize, usize),
    ) {
        for ky in 0..self.kernel[0] {
            let y = (oy * self.stride[0] + ky * self.dilation[0]) as isize - self.pads[0] as isize;
            if y < 0 || y >= h as isize {
                continue;
            }
            for kx in 0..self.kernel[1] {
                let x =
                    (ox * self.stride[1] + kx * self.dilation[1]) as isize - self.pads[1] as isize;
                if x < 0 || x >= w as isize {
                    continue;
                }
                f(ky, kx, y as usize, x as usize);
            }
        }
    }
}

impl Window2d {
    /// How many taps of each output position (oy, ox), row-major over `oh` x `ow`, fall inside
    /// the unpadded `h` x `w` input: what [`Window2d::for_each_tap`] visits, counted without
    /// visiting (a file may declare a window far larger than its input). A window's rows and
    /// columns are independent, so each count is the product of the two axes' counts.
    pub fn taps_inside_plane(&self, h: usize, w: usize, oh: usize, ow: usize) -> Vec<usize> {
        let rows: Vec<usize> = (0..oh).map(|oy| self.axis_taps_inside(0, h, oy)).collect();
        let cols: Vec<usize> = (0..ow).map(|ox| self.axis_taps_inside(1, w, ox)).collect();
        rows.iter()
            .flat_map(|&r| cols.iter().map(move |&c| r * c))
            .collect()
    }

    /// How many terms each output of a window step over NCHW `in_shape` -> `out_shape` has, as
    /// (terms, outputs with that many) pairs, when every in-bounds tap brings `per_tap` terms
    /// (a convolution's input channels per group; 1 for a pooling sum).
    pub fn term_counts(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        per_tap: usize,
    ) -> std::collections::BTreeMap<usize, usize> {
        let (oh, ow) = (out_shape[2], out_shape[3]);
        let planes = out_shape.iter().product::<usize>() / (oh * ow).max(1);
        let mut counts = std::collections::BTreeMap::new();
        for taps in self.taps_inside_plane(in_shape[2], in_shape[3], oh, ow) {
            *counts.entry(per_tap * taps).or_insert(0) += planes;
        }
        counts
    }

    /// The kernel positions along `axis` (0: rows, 1: columns) of output position `o` that
    /// land inside an input of `len` along that axis: the taps t in 0..k with
    /// 0 <= o·stride + t·dilation - pad < len, in closed form.
    fn axis_taps_inside(&self, axis: usize, len: usize, o: usize) -> usize {
        let (k, d, pad) = (
            self.kernel[axis] as i128,
            self.dilation[axis].max(1) as i128,
            self.pads[axis] as i128,
        );
        let start = (o as i128) * (self.stride[axis] as i128) - pad;
        let first = if start >= 0 { 0 } else { (-start + d - 1) / d };
        let last = (len as i128 - start - 1).div_euclid(d).min(k - 1);
        (last - first + 1).max(0) as usize
    }
}

impl Window2d {
    /// Flat NCHW input indices of the window of pooling output element `out` (one channel in,
    /// the same channel out), padding excluded.
    pub fn pooled_indices(
        &self,
        in_shape: &[usize],
        out_shape: &[usize],
        out: usize,
    ) -> Vec<usize> {
        let (h, w) = (in_shape[2], in_shape[3]);
        let (oh, ow) = (out_shape[2], out_shape[3]);
        let c = out / (oh * ow);
        let mut idx = Vec::with_capacity(self.kernel[0] * self.kernel[1]);
        self.for_each_tap(h, w, (out / ow) % oh, out % ow, |_, _, iy, ix| {
            idx.push((c * h + iy) * w + ix)
        });
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_window_skips_outside_taps() {
        let w = Window2d {
            kernel: [3, 3],
            stride: [1, 1],
            pads: [1, 1, 1, 1],
            dilation: [1, 1],
        };
        assert_eq!(w.output_hw(4, 4), Some((4, 4)));
        let mut taps = 0;
        w.for_each_tap(4, 4, 0, 0, |_, _, _, _| taps += 1);
        assert_eq!(taps, 4);
        let mut taps = 0;
        w.for_each_tap(4, 4, 1, 1, |_, _, _, _| taps += 1);
        assert_eq!(taps, 9);
        let s2 = Window2d {
            kernel: [2, 2],
            stride: [2, 2],
            pads: [0; 4],
            dilation: [1, 1],
        };
        assert_eq!(s2.output_hw(5, 5), Some((2, 2)));
        assert_eq!(s2.output_hw(1, 1), None);
        // Zero or overflowing attributes from a model file are rejected, not wrapped.
        let zero = Window2d {
            kernel: [0, 2],
            ..s2.clone()
        };
        assert_eq!(zero.output_hw(5, 5), None);
        let huge = Window2d {
            dilation: [usize::MAX, 1],
            ..s2.clone()
        };
        assert_eq!(huge.output_hw(5, 5), None);
        let pads = Window2d {
            pads: [usize::MAX; 4],
            ..s2
        };
        assert_eq!(pads.output_hw(5, 5), None);
    }

    #[test]
    fn taps_inside_plane_counts_what_for_each_tap_visits() {
        for (kernel, stride, pads, dilation, h, w) in [
            ([3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 4, 4),
            ([2, 4], [2, 1], [0, 3, 1, 0], [1, 2], 5, 5),
            ([5, 1], [1, 3], [2, 0, 2, 0], [1, 1], 3, 7),
            ([1, 4], [1, 1], [0, 3, 0, 0], [1, 1], 2, 1),
        ] {
            let window = Window2d {
                kernel,
                stride,
                pads,
                dilation,
            };
            let (oh, ow) = window.output_hw(h, w).unwrap();
            let plane = window.taps_inside_plane(h, w, oh, ow);
            assert_eq!(plane.len(), oh * ow);
            for (oy, ox) in (0..oh).flat_map(|y| (0..ow).map(move |x| (y, x))) {
                let mut visited = 0;
                window.for_each_tap(h, w, oy, ox, |_, _, _, _| visited += 1);
                assert_eq!(plane[oy * ow + ox], visited, "{window:?} at {oy},{ox}");
            }
        }
    }
}
