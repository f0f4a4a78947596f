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

/// The row-major flat index of multi-index `idx` in `shape` (TFLite's own order).
fn row_major_index(shape: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, st)| i * st).sum()
}

/// Our layout's flat index of the element at TFLite multi-index `idx` of a tensor of TFLite
/// `shape`: rank-4 tensors are held as NCHW, others as they are.
fn ours(shape: &[usize], idx: &[usize]) -> usize {
    match (shape, idx) {
        ([_, h, w, c], [n, y, x, ch]) => ((n * c + ch) * h + y) * w + x,
        _ => row_major_index(shape, idx),
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

/// A reduction's output shape (TFLite's): each reduced axis dropped, or kept as 1.
pub fn reduced_shape(shape: &[usize], axes: &[usize], keep_dims: bool) -> Vec<usize> {
    (0..shape.len())
        .filter_map(|d| match (axes.contains(&d), keep_dims) {
            (true, true) => Some(1),
            (true, false) => None,
            (false, _) => Some(shape[d]),
        })
        .collect()
}

/// The rows of a reduction (MEAN over any axes) as copy picks: a tensor of TFLite `shape`
/// reduced over `axes` (sorted, distinct) into TFLite `out_shape` (the kept dimensions, with the
/// reduced ones as 1s or dropped). Row `o`, in our layout's order of the output, holds the
/// elements output `o` reduces, in row-major order of the reduced axes.
pub fn reduction_rows(
    shape: &[usize],
    axes: &[usize],
    out_shape: &[usize],
) -> Result<Vec<Pick>, String> {
    let reduced: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let per_row: usize = reduced.iter().product();
    let n: usize = shape.iter().product();
    let keep_dims = out_shape.len() == shape.len();
    let mut out = vec![Pick::Zero; n];
    for i in 0..n {
        let idx = unravel(shape, i);
        let out_idx: Vec<usize> = (0..shape.len())
            .filter_map(|d| match (axes.contains(&d), keep_dims) {
                (true, true) => Some(0),
                (true, false) => None,
                (false, _) => Some(idx[d]),
            })
            .collect();
        let red_idx: Vec<usize> = axes.iter().map(|&a| idx[a]).collect();
        let row = ours(out_shape, &out_idx);
        let index = u32::try_from(ours(shape, &idx)).map_err(|_| "a tensor is too large")?;
        out[row * per_row + row_major_index(&reduced, &red_idx)] = Pick::Input { slot: 0, index };
    }
    Ok(out)
}

/// CONCATENATION of tensors of TFLite shapes `inputs` along TFLite `axis` (negative counts
/// from the end).
pub fn concatenation(inputs: &[&[usize]], axis: i32) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let first = inputs.first().ok_or("no inputs")?;
    let rank = first.len();
    let a = crate::tensor::resolve_index(axis.into(), rank)
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
    picks(to, &[shape], |o| {
        (0, unravel(shape, row_major_index(to, o)))
    })
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

/// TILE of a tensor of TFLite `shape` by `multiples` (one per axis, each at least 1): output
/// index `o` reads input index `o mod shape` on every axis.
pub fn tile(shape: &[usize], multiples: &[i64]) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let rank = shape.len();
    let multiples: Vec<usize> = multiples
        .iter()
        .map(|&m| usize::try_from(m).ok().filter(|&m| m >= 1))
        .collect::<Option<_>>()
        .filter(|m: &Vec<usize>| m.len() == rank)
        .ok_or_else(|| format!("multiples {multiples:?} of a rank-{rank} tensor"))?;
    let out_shape = shape
        .iter()
        .zip(&multiples)
        .map(|(&d, &m)| d.checked_mul(m))
        .collect::<Option<Vec<usize>>>()
        .filter(|s| {
            s.iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .is_some_and(|n| n <= super::MAX_ELEMENTS)
        })
        .ok_or("the tiled tensor is too large")?;
    let p = picks(&out_shape, &[shape], |o| {
        (
            0,
            o.iter().zip(shape).map(|(&i, &d)| i % d.max(1)).collect(),
        )
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

/// A strided window of a tensor of TFLite shape `shape` (STRIDED_SLICE, SLICE, SPLIT, SPLIT_V,
/// UNPACK): the window has shape `full` at the input's rank, and its element at multi-index
/// `o` is the input's at `begin + o·steps`. The output's TFLite shape `out_shape` is `full`
/// with size-1 axes dropped (shrunk) or not: the row-major order is the same.
pub fn window(
    shape: &[usize],
    begin: &[usize],
    steps: &[usize],
    full: &[usize],
    out_shape: &[usize],
) -> Result<Vec<Pick>, String> {
    let rank = shape.len();
    if begin.len() != rank || steps.len() != rank || full.len() != rank {
        return Err(format!(
            "a window of rank {} on a rank-{rank} tensor",
            full.len()
        ));
    }
    if full.iter().product::<usize>() != out_shape.iter().product::<usize>() {
        return Err(format!("a window {full:?} declared as {out_shape:?}"));
    }
    for d in 0..rank {
        let last = begin[d] + full[d].saturating_sub(1) * steps[d];
        if full[d] > 0 && last >= shape[d] {
            return Err(format!(
                "axis {d}: a window from {} past size {}",
                begin[d], shape[d]
            ));
        }
    }
    picks(out_shape, &[shape], |o| {
        let at = unravel(full, row_major_index(out_shape, o));
        let idx = (0..rank).map(|d| begin[d] + at[d] * steps[d]).collect();
        (0, idx)
    })
}

/// PACK of tensors of one TFLite shape along a new axis `axis` (negative counts from the end
/// of the output's rank).
pub fn pack(inputs: &[&[usize]], axis: i32) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let first = inputs.first().ok_or("no inputs")?;
    if inputs.iter().any(|s| s != first) {
        return Err("inputs of different shapes".into());
    }
    let rank = first.len() + 1;
    let a = crate::tensor::resolve_index(axis.into(), rank)
        .ok_or_else(|| format!("axis {axis} of a rank-{rank} output"))?;
    let mut out_shape = first.to_vec();
    out_shape.insert(a, inputs.len());
    let p = picks(&out_shape, inputs, |o| {
        let mut idx = o.to_vec();
        let slot = idx.remove(a);
        (slot, idx)
    })?;
    Ok((out_shape, p))
}

/// GATHER of a tensor of TFLite shape `shape` along `axis` at constant `indices` of shape
/// `indices_shape` (negative indices count from the end of the axis).
pub fn gather(
    shape: &[usize],
    indices: &[i64],
    indices_shape: &[usize],
    axis: i32,
) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let rank = shape.len();
    let a = crate::tensor::resolve_index(axis.into(), rank)
        .ok_or_else(|| format!("axis {axis} of a rank-{rank} tensor"))?;
    if indices.len() != indices_shape.iter().product::<usize>() {
        return Err("indices unlike their shape".into());
    }
    let dim = shape[a];
    let resolved: Vec<usize> = indices
        .iter()
        .map(|&i| {
            crate::tensor::resolve_index(i, dim)
                .ok_or_else(|| format!("index {i} on an axis of size {dim}"))
        })
        .collect::<Result<_, _>>()?;
    let ir = indices_shape.len();
    let mut out_shape = shape[..a].to_vec();
    out_shape.extend_from_slice(indices_shape);
    out_shape.extend_from_slice(&shape[a + 1..]);
    let p = picks(&out_shape, &[shape], |o| {
        let at: usize = o[a..a + ir]
            .iter()
            .zip(strides(indices_shape))
            .map(|(i, s)| i * s)
            .sum();
        let mut idx = o[..a].to_vec();
        idx.push(resolved[at]);
        idx.extend_from_slice(&o[a + ir..]);
        (0, idx)
    })?;
    Ok((out_shape, p))
}

/// DEPTH_TO_SPACE (`to_space`) or SPACE_TO_DEPTH of an NHWC tensor by `block`, in TFLite's
/// (and TensorFlow's default DCR) order: depth `(dy·block + dx)·C + c` is pixel offset
/// `(dy, dx)`, channel `c`.
pub fn depth_space(
    shape: &[usize],
    block: usize,
    to_space: bool,
) -> Result<(Vec<usize>, Vec<Pick>), String> {
    let &[n, h, w, c] = shape else {
        return Err(format!("a rank-{} input (NHWC expected)", shape.len()));
    };
    let bb = block * block;
    if block < 2 {
        return Err(format!("block size {block}"));
    }
    let out_shape = if to_space {
        if c % bb != 0 {
            return Err(format!("{c} channels for block {block}"));
        }
        vec![n, h * block, w * block, c / bb]
    } else {
        if h % block != 0 || w % block != 0 {
            return Err(format!("{h}x{w} pixels for block {block}"));
        }
        vec![n, h / block, w / block, c * bb]
    };
    let p = picks(&out_shape, &[shape], |o| {
        let (b, y, x, d) = (o[0], o[1], o[2], o[3]);
        if to_space {
            let c_out = out_shape[3];
            let depth = ((y % block) * block + x % block) * c_out + d;
            (0, vec![b, y / block, x / block, depth])
        } else {
            let (offset, ch) = (d / c, d % c);
            let (dy, dx) = (offset / block, offset % block);
            (0, vec![b, y * block + dy, x * block + dx, ch])
        }
    })?;
    Ok((out_shape, p))
}

#[cfg(test)]
mod rearranging_tests {
    use super::*;

    /// The TFLite (row-major NHWC) flat indices the picks read, in TFLite's output order.
    fn sources(out_shape: &[usize], in_shape: &[usize], picks: &[Pick]) -> Vec<(u32, usize)> {
        let n: usize = out_shape.iter().product();
        (0..n)
            .map(|i| match picks[ours(out_shape, &unravel(out_shape, i))] {
                Pick::Input { slot, index } => {
                    // Back from our layout to the TFLite multi-index, then row-major.
                    let m: usize = in_shape.iter().product();
                    let at = (0..m)
                        .find(|&j| ours(in_shape, &unravel(in_shape, j)) == index as usize)
                        .unwrap();
                    (slot, at)
                }
                Pick::Zero => panic!("a rearrangement never pads"),
            })
            .collect()
    }

    #[test]
    fn a_window_reads_begin_plus_steps_and_may_drop_its_unit_axes() {
        // [1, 4, 5, 2]: rows 1 and 3, columns 0, 2, 4, channel 1, the channel axis dropped.
        let shape = [1, 4, 5, 2];
        let picks = window(
            &shape,
            &[0, 1, 0, 1],
            &[1, 2, 2, 1],
            &[1, 2, 3, 1],
            &[1, 2, 3],
        )
        .unwrap();
        let got = sources(&[1, 2, 3], &shape, &picks);
        let want: Vec<(u32, usize)> = [(1, 0), (1, 2), (1, 4), (3, 0), (3, 2), (3, 4)]
            .iter()
            .map(|&(y, x)| (0, (y * 5 + x) * 2 + 1))
            .collect();
        assert_eq!(got, want);
        let past_the_end = window(
            &shape,
            &[0, 1, 0, 0],
            &[1, 2, 1, 1],
            &[1, 3, 5, 2],
            &[1, 3, 5, 2],
        );
        assert!(past_the_end.is_err());
        let wrong_count = window(&shape, &[0; 4], &[1; 4], &[1, 1, 1, 1], &[2]);
        assert!(wrong_count.is_err());
    }

    #[test]
    fn pack_stacks_along_a_new_axis_and_gather_picks_constant_indices() {
        let (shape, picks) = pack(&[&[2, 3], &[2, 3]], 1).unwrap();
        assert_eq!(shape, [2, 2, 3]);
        let got = sources(&shape, &[2, 3], &picks);
        // Output [i, slot, j] is input `slot`'s [i, j].
        let want: Vec<(u32, usize)> = (0..2)
            .flat_map(|i| (0..2).flat_map(move |s| (0..3).map(move |j| (s as u32, i * 3 + j))))
            .collect();
        assert_eq!(got, want);
        assert!(pack(&[&[2, 3], &[3, 2]], 0).is_err());

        let (shape, picks) = gather(&[2, 4], &[3, -4, 1], &[3], 1).unwrap();
        assert_eq!(shape, [2, 3]);
        let got = sources(&shape, &[2, 4], &picks);
        assert_eq!(got, [(0, 3), (0, 0), (0, 1), (0, 7), (0, 4), (0, 5)]);
        assert!(gather(&[2, 4], &[4], &[1], 1).is_err());
        assert!(gather(&[2, 4], &[0], &[1], 2).is_err());
    }

    #[test]
    fn depth_to_space_undoes_space_to_depth() {
        let shape = [1, 4, 6, 3];
        let (mid, to_depth) = depth_space(&shape, 2, false).unwrap();
        assert_eq!(mid, [1, 2, 3, 12]);
        let (back, to_space) = depth_space(&mid, 2, true).unwrap();
        assert_eq!(back, shape);
        // Composing the two pick lists is the identity.
        let composed: Vec<Pick> = to_space
            .iter()
            .map(|p| match p {
                Pick::Input { index, .. } => to_depth[*index as usize],
                Pick::Zero => Pick::Zero,
            })
            .collect();
        let identity: Vec<Pick> = (0..72).map(|i| Pick::Input { slot: 0, index: i }).collect();
        assert_eq!(composed, identity);
        // Depth (dy·2 + dx)·C + c of SPACE_TO_DEPTH is pixel (2y + dy, 2x + dx), channel c.
        let got = sources(&mid, &shape, &to_depth);
        let at = |y: usize, x: usize, d: usize| (y * 3 + x) * 12 + d;
        let (dy, dx, c) = (1, 0, 2);
        assert_eq!(
            got[at(1, 2, (dy * 2 + dx) * 3 + c)],
            (0, ((2 + dy) * 6 + 4 + dx) * 3 + c)
        );
        assert!(depth_space(&[1, 3, 4, 3], 2, false).is_err());
        assert!(depth_space(&[1, 2, 2, 6], 2, true).is_err());
    }
}
