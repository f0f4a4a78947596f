//! The index maps of the data-movement operators, built from their attributes (ONNX's
//! semantics; TFLite's CONCATENATION, TRANSPOSE, PAD, SLICE and RESIZE_NEAREST_NEIGHBOR are the
//! same maps). Errors are plain messages; the front end adds the node.

use super::{Gather, Movement, Pick};

// The most elements a moved tensor may have: a hostile shape must not make the index map
// allocate without bound.
use crate::tensor::MAX_TENSOR_ELEMENTS as MAX_ELEMENTS;

/// The element count of `shape`, if within [`MAX_ELEMENTS`].
fn elements(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("the shape {shape:?} is too large"))
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// An axis attribute (negative counts from the end) as an index below `rank`.
pub fn axis_index(axis: i64, rank: usize) -> Result<usize, String> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if (0..rank as i64).contains(&a) {
        Ok(a as usize)
    } else {
        Err(format!("axis {axis} is outside a rank-{rank} tensor"))
    }
}

/// Builds a map whose output element at coordinates `c` is `pick(c)`.
fn build(
    movement: Movement,
    shape: Vec<usize>,
    mut pick: impl FnMut(&[usize]) -> Pick,
) -> Result<Gather, String> {
    if shape.contains(&0) {
        return Err(format!("the output shape {shape:?} is empty"));
    }
    let n = elements(&shape)?;
    let mut picks = Vec::with_capacity(n);
    let mut c = vec![0usize; shape.len()];
    for _ in 0..n {
        picks.push(pick(&c));
        // Row-major odometer.
        for d in (0..shape.len()).rev() {
            c[d] += 1;
            if c[d] < shape[d] {
                break;
            }
            c[d] = 0;
        }
    }
    Ok(Gather {
        movement,
        shape,
        picks,
    })
}

fn input(slot: usize, c: &[usize], strides: &[usize]) -> Pick {
    Pick::Input {
        slot: slot as u32,
        index: c.iter().zip(strides).map(|(a, s)| a * s).sum::<usize>() as u32,
    }
}

/// `Concat(axis)` of tensors equal in every other dimension.
pub fn concat(shapes: &[&[usize]], axis: i64) -> Result<Gather, String> {
    let first = *shapes.first().ok_or("no inputs")?;
    let axis = axis_index(axis, first.len())?;
    let mut offsets = Vec::with_capacity(shapes.len());
    let mut total = 0;
    for s in shapes {
        let same_elsewhere =
            s.len() == first.len() && (0..s.len()).all(|d| d == axis || s[d] == first[d]);
        if !same_elsewhere {
            return Err(format!(
                "input shapes {shapes:?} differ outside axis {axis}"
            ));
        }
        offsets.push(total);
        total += s[axis];
    }
    let mut shape = first.to_vec();
    shape[axis] = total;
    let in_strides: Vec<Vec<usize>> = shapes.iter().map(|s| strides(s)).collect();
    let mut c_in = vec![0; first.len()];
    build(Movement::Concat, shape, |c| {
        let slot = offsets.partition_point(|&o| o <= c[axis]) - 1;
        c_in.copy_from_slice(c);
        c_in[axis] -= offsets[slot];
        input(slot, &c_in, &in_strides[slot])
    })
}

/// `Transpose(perm)`; without `perm`, the dimensions reversed.
pub fn transpose(shape: &[usize], perm: Option<&[i64]>) -> Result<Gather, String> {
    let rank = shape.len();
    let perm: Vec<usize> = match perm {
        None => (0..rank).rev().collect(),
        Some(p) => p
            .iter()
            .map(|&a| axis_index(a, rank))
            .collect::<Result<_, _>>()?,
    };
    let mut seen = vec![false; rank];
    if perm.len() != rank || perm.iter().any(|&a| std::mem::replace(&mut seen[a], true)) {
        return Err(format!("perm {perm:?} is not a permutation of {rank} axes"));
    }
    let st = strides(shape);
    let out: Vec<usize> = perm.iter().map(|&a| shape[a]).collect();
    let mut c_in = vec![0; rank];
    build(Movement::Transpose, out, |c| {
        for (d, &a) in perm.iter().enumerate() {
            c_in[a] = c[d];
        }
        input(0, &c_in, &st)
    })
}

/// ONNX `Slice`: per listed axis, `start:end:step` with negative values counting from the end
/// and out-of-range values clamped.
pub fn slice(
    shape: &[usize],
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<Gather, String> {
    let SliceRanges { begin, step, out } = slice_ranges(shape, starts, ends, axes, steps)?;
    let rank = shape.len();
    let st = strides(shape);
    let mut c_in = vec![0; rank];
    build(Movement::Slice, out, |c| {
        for d in 0..rank {
            c_in[d] = (begin[d] + c[d] as i64 * step[d]) as usize;
        }
        input(0, &c_in, &st)
    })
}

/// What an ONNX `Slice` takes of each axis: element `begin + i·step` for `i < out`.
pub struct SliceRanges {
    pub begin: Vec<i64>,
    pub step: Vec<i64>,
    /// The output's shape (a dimension may be 0).
    pub out: Vec<usize>,
}

/// [`slice`]'s ranges, per axis (the index arithmetic a Slice of constants shares).
pub fn slice_ranges(
    shape: &[usize],
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<SliceRanges, String> {
    let rank = shape.len();
    let axes: Vec<usize> = match axes {
        None => (0..starts.len()).collect(),
        Some(a) => a
            .iter()
            .map(|&a| axis_index(a, rank))
            .collect::<Result<_, _>>()?,
    };
    if starts.len() != axes.len() || ends.len() != axes.len() {
        return Err("starts, ends and axes differ in length".into());
    }
    if steps.is_some_and(|s| s.len() != axes.len()) {
        return Err("steps and axes differ in length".into());
    }
    let mut begin = vec![0i64; rank];
    let mut step = vec![1i64; rank];
    let mut out = shape.to_vec();
    for (i, &a) in axes.iter().enumerate() {
        let dim = shape[a] as i64;
        let s = steps.map_or(1, |s| s[i]);
        if s == 0 {
            return Err("a step of 0".into());
        }
        // A step longer than the axis takes one element, as any such step does.
        let s = s.clamp(-dim.max(1), dim.max(1));
        let resolve = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (lo, hi) = if s > 0 { (0, dim) } else { (-1, dim - 1) };
        let b = resolve(starts[i]).clamp(lo.max(0), hi);
        let e = resolve(ends[i]).clamp(lo, hi);
        let n = if s > 0 {
            (e - b + s - 1).div_euclid(s)
        } else {
            (b - e + (-s) - 1).div_euclid(-s)
        };
        begin[a] = b;
        step[a] = s;
        out[a] = n.max(0) as usize;
    }
    Ok(SliceRanges { begin, step, out })
}

/// ONNX `Pad` with zeros: `pads` = begins of every axis, then ends; negative pads crop.
pub fn pad(shape: &[usize], pads: &[i64]) -> Result<Gather, String> {
    spaced(Movement::Pad, shape, &vec![1; shape.len()], pads)
}

/// Spreads each axis `d`'s elements `steps[d]` apart (zeros between them), then pads like
/// [`pad`] (`pads`: begins, then ends; negative pads crop). A transposed convolution is an
/// ordinary one over its input spread by the strides ([`crate::ir::Conv::from_transposed`]).
pub fn spread(shape: &[usize], steps: &[usize], pads: &[i64]) -> Result<Gather, String> {
    spaced(Movement::Spread, shape, steps, pads)
}

/// [`spread`] and [`pad`] (steps of one), named as `movement`.
fn spaced(
    movement: Movement,
    shape: &[usize],
    steps: &[usize],
    pads: &[i64],
) -> Result<Gather, String> {
    let rank = shape.len();
    if steps.len() != rank || pads.len() != 2 * rank {
        return Err(format!(
            "{} steps and {} pads for a rank-{rank} tensor",
            steps.len(),
            pads.len()
        ));
    }
    let mut out = Vec::with_capacity(rank);
    for d in 0..rank {
        if !(1..=1 << 12).contains(&steps[d])
            || pads[d].abs() > 1 << 24
            || pads[rank + d].abs() > 1 << 24
        {
            return Err(format!("steps {steps:?} or pads {pads:?} are out of range"));
        }
        let spread = (shape[d] as i64 - 1) * steps[d] as i64 + 1;
        let n = spread + pads[d] + pads[rank + d];
        if n <= 0 {
            return Err(format!("pads {pads:?} leave axis {d} empty"));
        }
        out.push(n as usize);
    }
    let st = strides(shape);
    let mut c_in = vec![0; rank];
    build(movement, out, |c| {
        for d in 0..rank {
            let v = c[d] as i64 - pads[d];
            let step = steps[d] as i64;
            if v < 0 || v % step != 0 || v / step >= shape[d] as i64 {
                return Pick::Zero;
            }
            c_in[d] = (v / step) as usize;
        }
        input(0, &c_in, &st)
    })
}

/// ONNX `Gather(axis)` with constant `indices` of shape `index_shape` (negative indices count
/// from the end).
pub fn gather(
    shape: &[usize],
    axis: i64,
    indices: &[i64],
    index_shape: &[usize],
) -> Result<Gather, String> {
    let rank = shape.len();
    let axis = axis_index(axis, rank)?;
    let dim = shape[axis] as i64;
    let idx: Vec<usize> = indices
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + dim } else { i };
            if (0..dim).contains(&j) {
                Ok(j as usize)
            } else {
                Err(format!("index {i} is outside axis {axis} of size {dim}"))
            }
        })
        .collect::<Result<_, _>>()?;
    if idx.len() != index_shape.iter().product::<usize>() {
        return Err("the indices do not fill their shape".into());
    }
    let mut out = shape[..axis].to_vec();
    out.extend_from_slice(index_shape);
    out.extend_from_slice(&shape[axis + 1..]);
    let st = strides(shape);
    let idx_strides = strides(index_shape);
    let k = index_shape.len();
    let mut c_in = vec![0; rank];
    build(Movement::Gather, out, |c| {
        c_in[..axis].copy_from_slice(&c[..axis]);
        let flat: usize = c[axis..axis + k]
            .iter()
            .zip(&idx_strides)
            .map(|(a, s)| a * s)
            .sum();
        c_in[axis] = idx[flat];
        c_in[axis + 1..].copy_from_slice(&c[axis + k..]);
        input(0, &c_in, &st)
    })
}

/// How ONNX `Resize` maps an output coordinate back onto the input axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordinateMode {
    HalfPixel,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    HalfPixelSymmetric,
}

impl CoordinateMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "half_pixel" => CoordinateMode::HalfPixel,
            "pytorch_half_pixel" => CoordinateMode::PytorchHalfPixel,
            "align_corners" => CoordinateMode::AlignCorners,
            "asymmetric" => CoordinateMode::Asymmetric,
            "tf_half_pixel_for_nn" => CoordinateMode::TfHalfPixelForNn,
            "half_pixel_symmetric" => CoordinateMode::HalfPixelSymmetric,
            other => return Err(format!("coordinate_transformation_mode '{other}'")),
        })
    }

    /// The input coordinate of output coordinate `x` on an axis resized from `n_in` to `n_out`
    /// elements by `scale`, as ONNX defines each mode (and its reference evaluator computes
    /// it): the resized length in `align_corners` and `pytorch_half_pixel` is `scale·n_in`,
    /// unrounded, which differs from `n_out` when the scale does not divide evenly.
    pub fn original(self, x: f64, scale: f64, n_in: f64, n_out: f64) -> f64 {
        let resized = scale * n_in;
        match self {
            CoordinateMode::HalfPixel => (x + 0.5) / scale - 0.5,
            CoordinateMode::PytorchHalfPixel if resized == 1.0 => -0.5,
            CoordinateMode::PytorchHalfPixel => (x + 0.5) / scale - 0.5,
            CoordinateMode::AlignCorners if resized == 1.0 => 0.0,
            CoordinateMode::AlignCorners => x * (n_in - 1.0) / (resized - 1.0),
            CoordinateMode::Asymmetric => x / scale,
            CoordinateMode::TfHalfPixelForNn => (x + 0.5) / scale,
            CoordinateMode::HalfPixelSymmetric => {
                let adjustment = n_out / (scale * n_in);
                let offset = n_in / 2.0 * (1.0 - adjustment);
                offset + (x + 0.5) / scale - 0.5
            }
        }
    }
}

/// How ONNX `Resize` (nearest) rounds the mapped coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearestMode {
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
}

impl NearestMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "round_prefer_floor" => NearestMode::RoundPreferFloor,
            "round_prefer_ceil" => NearestMode::RoundPreferCeil,
            "floor" => NearestMode::Floor,
            "ceil" => NearestMode::Ceil,
            other => return Err(format!("nearest_mode '{other}'")),
        })
    }
}

/// ONNX `Resize` in nearest mode from `shape` to `out` with per-axis `scales` (out/in when the
/// model gives sizes).
pub fn resize_nearest(
    shape: &[usize],
    out: &[usize],
    scales: &[f64],
    coordinates: CoordinateMode,
    nearest: NearestMode,
) -> Result<Gather, String> {
    let rank = shape.len();
    if out.len() != rank || scales.len() != rank {
        return Err(format!("sizes or scales do not match a rank-{rank} input"));
    }
    if scales.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(format!("scales {scales:?} must be positive"));
    }
    elements(out)?;
    // Per axis, the input coordinate of every output coordinate.
    let mut source: Vec<Vec<usize>> = Vec::with_capacity(rank);
    for d in 0..rank {
        let (n_in, n_out, s) = (shape[d] as f64, out[d] as f64, scales[d]);
        let col = (0..out[d])
            .map(|x| {
                let orig = coordinates.original(x as f64, s, n_in, n_out);
                let r = match nearest {
                    NearestMode::Floor => orig.floor(),
                    NearestMode::Ceil => orig.ceil(),
                    NearestMode::RoundPreferFloor if orig.fract() == 0.5 => orig.floor(),
                    NearestMode::RoundPreferFloor => orig.round(),
                    NearestMode::RoundPreferCeil => (orig + 0.5).floor(),
                };
                r.clamp(0.0, n_in - 1.0) as usize
            })
            .collect();
        source.push(col);
    }
    let st = strides(shape);
    let mut c_in = vec![0; rank];
    build(Movement::Resize, out.to_vec(), |c| {
        for d in 0..rank {
            c_in[d] = source[d][c[d]];
        }
        input(0, &c_in, &st)
    })
}

/// ONNX `Expand` (numpy broadcasting of `shape` to `to`): each output element repeats the input
/// element it broadcasts from.
pub fn expand(shape: &[usize], to: &[usize]) -> Result<Gather, String> {
    elements(to)?;
    let idx = crate::tensor::broadcast_indices(shape, to)
        .ok_or_else(|| format!("{shape:?} does not broadcast to {to:?}"))?;
    let mut i = 0;
    build(Movement::Expand, to.to_vec(), |_| {
        i += 1;
        Pick::Input {
            slot: 0,
            index: idx[i - 1] as u32,
        }
    })
}

/// The `[N, C, H, W]` shape and block size of a DepthToSpace or SpaceToDepth, checked.
fn blocked(shape: &[usize], block: i64) -> Result<[usize; 5], String> {
    let &[n, c, h, w] = shape else {
        return Err(format!("input shape {shape:?} (only [N, C, H, W])"));
    };
    let b = usize::try_from(block)
        .ok()
        .filter(|&b| b >= 1)
        .ok_or_else(|| format!("blocksize {block}"))?;
    Ok([n, c, h, w, b])
}

/// ONNX `DepthToSpace`: `[N, C, H, W]` to `[N, C/b², H·b, W·b]`, output `(c, h·b + i, w·b + j)`
/// taken from channel `(i·b + j)·C/b² + c` (mode DCR, the default) or `c·b² + i·b + j` (CRD).
pub fn depth_to_space(shape: &[usize], block: i64, crd: bool) -> Result<Gather, String> {
    let [n, c, h, w, b] = blocked(shape, block)?;
    let bb = b.checked_mul(b).ok_or("blocksize too large")?;
    if c % bb != 0 {
        return Err(format!(
            "{c} channels are not a multiple of blocksize² = {bb}"
        ));
    }
    let c_out = c / bb;
    let out = vec![n, c_out, h * b, w * b];
    elements(&out)?;
    let st = strides(shape);
    build(Movement::DepthToSpace, out, |o| {
        let (i, j) = (o[2] % b, o[3] % b);
        let channel = if crd {
            o[1] * bb + i * b + j
        } else {
            (i * b + j) * c_out + o[1]
        };
        input(0, &[o[0], channel, o[2] / b, o[3] / b], &st)
    })
}

/// ONNX `SpaceToDepth`: `[N, C, H, W]` to `[N, C·b², H/b, W/b]`, the inverse of DepthToSpace's
/// DCR mode: output channel `(i·b + j)·C + c` at `(h, w)` is input `(c, h·b + i, w·b + j)`.
pub fn space_to_depth(shape: &[usize], block: i64) -> Result<Gather, String> {
    let [n, c, h, w, b] = blocked(shape, block)?;
    if h % b != 0 || w % b != 0 {
        return Err(format!("{h}×{w} is not a multiple of blocksize {b}"));
    }
    let bb = b.checked_mul(b).ok_or("blocksize too large")?;
    let out = vec![
        n,
        c.checked_mul(bb).ok_or("too many channels")?,
        h / b,
        w / b,
    ];
    elements(&out)?;
    let st = strides(shape);
    build(Movement::SpaceToDepth, out, |o| {
        let (block_index, channel) = (o[1] / c, o[1] % c);
        let (i, j) = (block_index / b, block_index % b);
        input(0, &[o[0], channel, o[2] * b + i, o[3] * b + j], &st)
    })
}

/// ONNX `Tile`: each axis `d` repeated `repeats[d]` times.
pub fn tile(shape: &[usize], repeats: &[i64]) -> Result<Gather, String> {
    if repeats.len() != shape.len() {
        return Err(format!(
            "{} repeats for a rank-{} tensor",
            repeats.len(),
            shape.len()
        ));
    }
    let mut out = Vec::with_capacity(shape.len());
    for (&d, &r) in shape.iter().zip(repeats) {
        let r = usize::try_from(r).map_err(|_| format!("a repeat of {r}"))?;
        out.push(d.checked_mul(r).ok_or("the tiled shape is too large")?);
    }
    elements(&out)?;
    let st = strides(shape);
    let mut c_in = vec![0; shape.len()];
    build(Movement::Tile, out, |o| {
        for d in 0..o.len() {
            c_in[d] = o[d] % shape[d];
        }
        input(0, &c_in, &st)
    })
}
