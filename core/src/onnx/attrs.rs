//! Reading an ONNX node's attributes, and the 2-D windows (kernel, strides, pads, dilations,
//! `auto_pad`, `ceil_mode`) that convolution and pooling nodes describe with them.

use super::unsupported;
use crate::error::Result;
use crate::ir::Window2d;
use tract_onnx::pb::{self, NodeProto};

pub(super) fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

pub(super) fn attr_int(node: &NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map(|a| a.i).unwrap_or(default)
}

pub(super) fn attr_float(node: &NodeProto, name: &str, default: f32) -> f32 {
    attr(node, name).map(|a| a.f).unwrap_or(default)
}

pub(super) fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

pub(super) fn attr_str(node: &NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

pub(super) fn usize_pair(node: &NodeProto, name: &str, default: usize) -> Result<[usize; 2]> {
    match attr_ints(node, name) {
        None => Ok([default, default]),
        Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 1) => Ok([v[0] as usize, v[1] as usize]),
        Some(v) => Err(unsupported(
            node,
            format!("{name}={v:?} (only 2-D windows are supported)"),
        )),
    }
}

/// Reads kernel/strides/pads/dilations for a 2-D window; ONNX pads are [top, left, bottom, right].
/// `spatial` is the input's height and width (for `auto_pad=SAME_*`).
pub(super) fn window(node: &NodeProto, kernel: [usize; 2], spatial: &[usize]) -> Result<Window2d> {
    if attr_int(node, "ceil_mode", 0) != 0 {
        return Err(unsupported(node, "ceil_mode=1"));
    }
    window_ceil(node, kernel, false, spatial)
}

/// [`window`] for a pooling node, which may round its output size up (`ceil_mode`) where the
/// extra end positions are left out of the window (max pooling, or averages that count only
/// real elements).
pub(super) fn window_ceil(
    node: &NodeProto,
    kernel: [usize; 2],
    max: bool,
    spatial: &[usize],
) -> Result<Window2d> {
    if attr_int(node, "ceil_mode", 0) != 0 && !max && attr_int(node, "count_include_pad", 0) != 0 {
        return Err(unsupported(node, "ceil_mode=1 with count_include_pad=1"));
    }
    let pads = match attr_ints(node, "pads") {
        None => [0; 4],
        Some(p) if p.len() == 4 && p.iter().all(|&x| x >= 0) => {
            [p[0] as usize, p[1] as usize, p[2] as usize, p[3] as usize]
        }
        Some(p) => return Err(unsupported(node, format!("pads={p:?}"))),
    };
    let mut w = Window2d {
        kernel,
        stride: usize_pair(node, "strides", 1)?,
        pads,
        dilation: usize_pair(node, "dilations", 1)?,
    };
    auto_pad(node, &mut w, spatial, &[0, 1])?;
    Ok(w)
}

/// `auto_pad`: NOTSET (explicit `pads`) and VALID (none) keep the window's pads; SAME_UPPER and
/// SAME_LOWER pad each of `axes` (of the window) so that the output has `ceil(n / stride)`
/// positions, the odd one at the end (UPPER) or the start (LOWER), as ONNX defines them.
/// `spatial` holds the input's extent along those axes.
pub(crate) fn auto_pad(
    node: &NodeProto,
    w: &mut Window2d,
    spatial: &[usize],
    axes: &[usize],
) -> Result<()> {
    let Some(mode) = attr_str(node, "auto_pad") else {
        return Ok(());
    };
    let lower = match mode.as_str() {
        "" | "NOTSET" => return Ok(()),
        "VALID" => {
            w.pads = [0; 4];
            return Ok(());
        }
        "SAME_UPPER" => false,
        "SAME_LOWER" => true,
        other => return Err(unsupported(node, format!("auto_pad={other}"))),
    };
    if attr_int(node, "ceil_mode", 0) != 0 {
        return Err(unsupported(
            node,
            format!("auto_pad={mode} with ceil_mode=1"),
        ));
    }
    if spatial.len() != axes.len() {
        return Err(unsupported(
            node,
            format!("auto_pad={mode} over a {spatial:?} input"),
        ));
    }
    for (&axis, &n) in axes.iter().zip(spatial) {
        // Saturating: strides and dilations come from the model unchecked; a huge one gives a
        // huge pad, which the window then refuses.
        let span = w.dilation[axis]
            .saturating_mul(w.kernel[axis].max(1) - 1)
            .saturating_add(1);
        let out = n.div_ceil(w.stride[axis].max(1));
        let total = (out.max(1) - 1)
            .saturating_mul(w.stride[axis])
            .saturating_add(span)
            .saturating_sub(n);
        let (begin, end) = if lower {
            (total.div_ceil(2), total / 2)
        } else {
            (total / 2, total.div_ceil(2))
        };
        w.pads[axis] = begin;
        w.pads[axis + 2] = end;
    }
    Ok(())
}

/// `ceil_mode=1`: the output size rounds up, `ceil((n + pads - span) / stride) + 1`, dropping a
/// last window that would start in the end padding (PyTorch's and onnxruntime's rule); the
/// extra end padding makes the floor formula give that size.
pub(super) fn ceil_mode_pads(node: &NodeProto, w: &mut Window2d, shape: &[usize]) -> Result<()> {
    if shape.len() != 4 {
        return Err(unsupported(node, format!("input shape {shape:?}")));
    }
    for axis in 0..2 {
        let n = shape[2 + axis];
        let (begin, end) = (w.pads[axis], w.pads[axis + 2]);
        let span = w.dilation[axis] * (w.kernel[axis] - 1) + 1;
        let s = w.stride[axis];
        let padded = n + begin + end;
        if padded < span {
            return Err(unsupported(node, "the window is larger than the input"));
        }
        let mut out = (padded - span).div_ceil(s) + 1;
        if (out - 1) * s >= n + begin {
            out -= 1;
        }
        w.pads[axis + 2] = end + ((out - 1) * s + span).saturating_sub(padded);
    }
    Ok(())
}
