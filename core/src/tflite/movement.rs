//! TFLite's data-movement operators as copy picks: CONCATENATION, RESIZE_NEAREST_NEIGHBOR,
//! TRANSPOSE and a RESHAPE that reorders NHWC data. Every output element is one input element;
//! the picks are computed in TFLite's NHWC index space and addressed in our layout (rank-4
//! tensors held as NCHW, see [`super::nchw`]), for float and quantized models alike.

use crate::ops::gather::Pick;

/// Strides of a row-major shape.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The multi-index of flat NHWC-order element `i` of `shape`.
fn unravel(shape: &[usize], mut i: usize) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d].max(1);
        i /= shape[d].max(1);
    }
    idx
}

/// Our layout's flat index of the element at TFLite multi-index `idx` of a tensor of TFLite
/// `shape`: rank-4 tensors are held as NCHW, others as they are.
fn ours(shape: &[usize], idx: &[usize]) -> usize {
    match (shape, idx) {
        ([_, h, w, c], [n, y, x, ch]) => ((n * c + ch) * h + y) * w + x,
        _ => idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum(),
    }
}

/// Picks for an output of TFLite `out_shape` whose element at multi-index `o` is `source(o)`
/// `= (slot, TFLite multi-index in that input)`, listed in our layout's order.
fn picks(
    out_shape: &[usize],
    in_shapes: &[&[usize]],
    source: impl Fn(&[usize]) -> (usize, Vec<usize>),
) -> Result<Vec<Pick>, String> {
    let n: usize = out_shape.iter().product();
    let mut out = vec![Pick::Zero; n];
    for i in 0..n {
        let o = unravel(out_shape, i);
        let (slot, idx) = source(&o);
        let shape = in_shapes[slot];
        if idx.iter().zip(shape).any(|(i, d)| i >= d) {
            return Err(format!("index {idx:?} outside input shape {shape:?}"));
        }
        let index = u32::try_from(ours(shape, &idx)).map_err(|_| "a tensor is too large")?;
        out[ours(out_shape, &o)] = Pick::Input {
            slot: slot as u32,
            index,
        };
    }
    Ok(out)
}

/// CONCATENATION of tensors of TFLite shapes `inputs` along TFLite `axis` (negative counts
/// from the end).
pub fn concatenation(inputs: &[&[usize]], axis: i32) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let first = inputs.first().ok_or("no inputs")?;
    let rank = first.len();
    let a = if axis < 0 { axis + rank as i32 } else { axis };
    let a = usize::try_from(a)
        .ok()
        .filter(|&a| a < rank)
        .ok_or_else(|| format!("axis {axis} of a rank-{rank} tensor"))?;
    let mut out_shape = first.to_vec();
    out_shape[a] = 0;
    for s in inputs {
        let same_elsewhere = s.len() == rank && (0..rank).all(|d| d == a || s[d] == first[d]);
        if !same_elsewhere {
            return Err(format!("shapes {first:?} and {s:?} differ off axis {a}"));
        }
        out_shape[a] += s[a];
    }
    let starts: Vec<usize> = inputs
        .iter()
        .scan(0, |acc, s| {
            let start = *acc;
            *acc += s[a];
            Some(start)
        })
        .collect();
    let p = picks(&out_shape, inputs, |o| {
        let slot = starts.iter().rposition(|&st| st <= o[a]).unwrap_or(0);
        let mut idx = o.to_vec();
        idx[a] -= starts[slot];
        (slot, idx)
    })?;
    Ok((out_shape, p))
}

/// RESHAPE of a tensor of TFLite shape `shape` to `to` (same element count): row-major NHWC
/// order is kept, which in our layout is a permutation whenever a rank-4 side has both H·W
/// and C above one (a Keras `Flatten` of a feature map).
pub fn reshape(shape: &[usize], to: &[usize]) -> Result<Vec<Pick>, String> {
    let (n, m): (usize, usize) = (shape.iter().product(), to.iter().product());
    if n != m {
        return Err(format!(
            "reshaping {shape:?} ({n} elements) to {to:?} ({m})"
        ));
    }
    let row_major = |s: &[usize], i: &[usize]| -> usize {
        i.iter().zip(strides(s)).map(|(i, st)| i * st).sum()
    };
    picks(to, &[shape], |o| (0, unravel(shape, row_major(to, o))))
}

/// TRANSPOSE of a tensor of TFLite shape `shape` by `perm` (output axis `d` is input axis
/// `perm[d]`).
pub fn transpose(shape: &[usize], perm: &[i64]) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let rank = shape.len();
    let mut seen = vec![false; rank];
    let perm: Vec<usize> = perm
        .iter()
        .map(|&p| {
            let p = usize::try_from(p).ok().filter(|&p| p < rank && !seen[p]);
            if let Some(p) = p {
                seen[p] = true;
            }
            p
        })
        .collect::<Option<_>>()
        .filter(|p: &Vec<usize>| p.len() == rank)
        .ok_or_else(|| format!("permutation {perm:?} of a rank-{rank} tensor"))?;
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let p = picks(&out_shape, &[shape], |o| {
        let mut idx = vec![0; rank];
        for (d, &p) in perm.iter().enumerate() {
            idx[p] = o[d];
        }
        (0, idx)
    })?;
    Ok((out_shape, p))
}

/// How RESIZE_NEAREST_NEIGHBOR picks its source rows and columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearestRule {
    pub align_corners: bool,
    pub half_pixel_centers: bool,
    /// The optimized uint8 kernel without either flag: `min((o·((n_in << 16)/n_out + 1)) >> 16,
    /// n_in - 1)` in integers.
    pub fixed_point: bool,
}

impl NearestRule {
    /// The input row or column read for output `o` (`reference_ops::GetNearestNeighbor`): the
    /// scale `n_in/n_out` (or `(n_in-1)/(n_out-1)` with `align_corners`) in `f32`, the output
    /// coordinate offset by one half with `half_pixel_centers`, rounded (`align_corners`) or
    /// floored, and clamped to the input.
    pub fn source(self, o: usize, n_in: usize, n_out: usize) -> usize {
        if self.fixed_point {
            let step = ((n_in as u64) << 16) / n_out as u64 + 1;
            return (((o as u64 * step) >> 16) as usize).min(n_in - 1);
        }
        let scale = if self.align_corners && n_out > 1 {
            (n_in - 1) as f32 / (n_out - 1) as f32
        } else {
            n_in as f32 / n_out as f32
        };
        let offset = if self.half_pixel_centers { 0.5f32 } else { 0.0 };
        let x = (o as f32 + offset) * scale;
        let v = if self.align_corners {
            x.round()
        } else {
            x.floor()
        };
        // Every term is non-negative; the upper end clamps.
        (v.max(0.0) as usize).min(n_in - 1)
    }
}

/// RESIZE_NEAREST_NEIGHBOR of an NHWC tensor of `shape` to `[height, width]`.
pub fn resize_nearest(
    shape: &[usize],
    size: [usize; 2],
    rule: NearestRule,
) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let [n, h, w, c] = *shape else {
        return Err(format!("a {}-D input", shape.len()));
    };
    if size.contains(&0) || h == 0 || w == 0 {
        return Err(format!("resizing {shape:?} to {size:?}"));
    }
    let out_shape = vec![n, size[0], size[1], c];
    let rows: Vec<usize> = (0..size[0]).map(|y| rule.source(y, h, size[0])).collect();
    let cols: Vec<usize> = (0..size[1]).map(|x| rule.source(x, w, size[1])).collect();
    let p = picks(&out_shape, &[shape], |o| {
        (0, vec![o[0], rows[o[1]], cols[o[2]], o[3]])
    })?;
    Ok((out_shape, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(p: &Pick) -> (u32, u32) {
        match *p {
            Pick::Input { slot, index } => (slot, index),
            Pick::Zero => panic!("a zero pick"),
        }
    }

    #[test]
    fn concatenating_on_channels_interleaves_nothing_in_our_channel_major_layout() {
        // Two [1,1,2,a] tensors on axis 3 (channels): in NCHW, channel planes follow each other.
        let (shape, p) = concatenation(&[&[1, 1, 2, 1], &[1, 1, 2, 2]], -1).unwrap();
        assert_eq!(shape, vec![1, 1, 2, 3]);
        let got: Vec<_> = p.iter().map(index).collect();
        // Output NCHW: channel 0 (x=0,1) from input 0, channels 1 and 2 from input 1.
        assert_eq!(got, vec![(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3)]);
        assert!(concatenation(&[&[1, 1, 2, 1], &[1, 2, 2, 1]], 3).is_err());
        assert!(concatenation(&[&[1, 1, 2, 1]], 4).is_err());
    }

    #[test]
    fn transposing_a_matrix_swaps_its_indices() {
        let (shape, p) = transpose(&[2, 3], &[1, 0]).unwrap();
        assert_eq!(shape, vec![3, 2]);
        let got: Vec<u32> = p.iter().map(|p| index(p).1).collect();
        assert_eq!(got, vec![0, 3, 1, 4, 2, 5]);
        assert!(transpose(&[2, 3], &[0, 0]).is_err());
        assert!(transpose(&[2, 3], &[0, 2]).is_err());
        assert!(transpose(&[2, 3], &[0]).is_err());
    }

    #[test]
    fn a_flatten_of_a_feature_map_reads_it_in_nhwc_order() {
        // [1, 1, 2, 2] NHWC (h=1, w=2, c=2) flattened to [1, 4]: NHWC order (x0c0, x0c1, x1c0,
        // x1c1) is our NCHW (c0x0, c0x1, c1x0, c1x1) read as 0, 2, 1, 3.
        let p = reshape(&[1, 1, 2, 2], &[1, 4]).unwrap();
        let got: Vec<u32> = p.iter().map(|p| index(p).1).collect();
        assert_eq!(got, vec![0, 2, 1, 3]);
        assert!(reshape(&[1, 1, 2, 2], &[1, 5]).is_err());
    }

    #[test]
    fn nearest_resizing_follows_tflite_coordinate_rules() {
        let rule = |align_corners, half_pixel_centers| NearestRule {
            align_corners,
            half_pixel_centers,
            fixed_point: false,
        };
        let sources = |r: NearestRule, n_in, n_out| -> Vec<usize> {
            (0..n_out).map(|o| r.source(o, n_in, n_out)).collect()
        };
        // Doubling: each input row twice, with or without half-pixel centres.
        assert_eq!(sources(rule(false, false), 2, 4), vec![0, 0, 1, 1]);
        assert_eq!(sources(rule(false, true), 2, 4), vec![0, 0, 1, 1]);
        // 3 -> 5 with align_corners: scale 0.5, rounded half away from zero.
        assert_eq!(sources(rule(true, false), 3, 5), vec![0, 1, 1, 2, 2]);
        // Downsampling 5 -> 2 with half-pixel centres: (o + 0.5)·2.5.
        assert_eq!(sources(rule(false, true), 5, 2), vec![1, 3]);
        // The fixed-point rule: 3 -> 7 steps by (3 << 16)/7 + 1.
        let fixed = NearestRule {
            fixed_point: true,
            ..rule(false, false)
        };
        assert_eq!(sources(fixed, 3, 7), vec![0, 0, 0, 1, 1, 2, 2]);
        let (shape, p) = resize_nearest(&[1, 1, 2, 1], [2, 4], rule(false, false)).unwrap();
        assert_eq!(shape, vec![1, 2, 4, 1]);
        let got: Vec<u32> = p.iter().map(|p| index(p).1).collect();
        assert_eq!(got, vec![0, 0, 1, 1, 0, 0, 1, 1]);
        assert!(resize_nearest(&[1, 2, 2], [2, 2], rule(false, false)).is_err());
    }
}
