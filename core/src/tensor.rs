//! A minimal dense float tensor (row-major) used by the IR and the float reference evaluator.

use serde::{Deserialize, Serialize};

/// The most elements one tensor may have (as for TFLite models,
/// [`crate::tflite::MAX_ELEMENTS`]): MobileNet v2's largest holds 1.3 M. A hostile model's
/// shapes must not overflow size arithmetic or make evaluation allocate without bound.
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 26;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Tensor { shape, data }
    }

    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Tensor {
            shape,
            data: vec![0.0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn max_abs(&self) -> f32 {
        self.data.iter().fold(0f32, |m, v| m.max(v.abs()))
    }
}

/// Index of the largest value (the first one on ties; 0 for an empty slice): the predicted class
/// of a classifier's output.
pub fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv {
                (i, v)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// The first 16 values to 3 decimals, `...` after them if there are more: how a model's output
/// is shown in one line.
pub fn preview(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().take(16).map(|x| format!("{x:.3}")).collect();
    format!(
        "[{}{}]",
        parts.join(", "),
        if values.len() > 16 { ", ..." } else { "" }
    )
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// An index along an axis of size `dim`, negative ones counting from the end (ONNX's and
/// TFLite's Gather); None when outside the axis.
pub fn resolve_index(i: i64, dim: usize) -> Option<usize> {
    let j = if i < 0 { i + dim as i64 } else { i };
    usize::try_from(j).ok().filter(|&j| j < dim)
}

/// Numpy-style broadcast of `shape` to `target`: for each flat index of `target`, the flat index
/// into a tensor of `shape`. Returns None when the shapes are not broadcast-compatible.
pub fn broadcast_indices(shape: &[usize], target: &[usize]) -> Option<Vec<usize>> {
    if shape.len() > target.len() {
        // Leading 1s may be dropped (e.g. [1,10] against [10]).
        let extra = shape.len() - target.len();
        if shape[..extra].iter().any(|&d| d != 1) {
            return None;
        }
        return broadcast_indices(&shape[extra..], target);
    }
    let pad = target.len() - shape.len();
    let full: Vec<usize> = std::iter::repeat_n(1, pad)
        .chain(shape.iter().copied())
        .collect();
    for (a, b) in full.iter().zip(target) {
        if *a != *b && *a != 1 {
            return None;
        }
    }
    let src_strides = strides(&full);
    let dst_strides = strides(target);
    let n: usize = target.iter().product();
    let mut out = Vec::with_capacity(n);
    for flat in 0..n {
        let mut rem = flat;
        let mut src = 0;
        for d in 0..target.len() {
            let i = rem / dst_strides[d];
            rem %= dst_strides[d];
            if full[d] != 1 {
                src += i * src_strides[d];
            }
        }
        out.push(src);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_per_channel() {
        let idx = broadcast_indices(&[2, 1, 1], &[1, 2, 2, 2]).unwrap();
        assert_eq!(idx, vec![0, 0, 0, 0, 1, 1, 1, 1]);
        assert!(broadcast_indices(&[3], &[1, 2]).is_none());
        assert_eq!(broadcast_indices(&[1, 3], &[3]).unwrap(), vec![0, 1, 2]);
    }
}
