//! Linear and cubic resampling (ONNX `Resize` in `linear` and `cubic` modes). Along one axis
//! every output element is a fixed weighted sum of at most four input elements, so resizing an
//! axis is multiplying by a constant `[n_out, n_in]` matrix: once the axis is last, a
//! [`crate::ir::Dense`] applied to every row, which the circuit proves as any dense layer
//! (the interpolation coefficients are its weights). Resizing several axes is one such matrix
//! per axis; n-linear interpolation is separable, so the result is ONNX's.
//!
//! The coefficients follow ONNX's definition (and onnxruntime's): the output coordinate is
//! mapped back by the coordinate transformation mode, the nearest `n` input positions take the
//! kernel's weights (`n` = 2 for linear, 4 for cubic), and positions beyond the edges read the
//! edge element, or, with `exclude_outside`, drop out and the others are renormalised.

use crate::ops::gather::maps::CoordinateMode;

/// The interpolation kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kernel {
    Linear,
    /// Keys' cubic convolution with coefficient `a` (ONNX `cubic_coeff_a`, -0.75 by default).
    Cubic {
        a: f64,
        exclude_outside: bool,
    },
}

impl Kernel {
    /// The weights of the `n` neighbours for a position `ratio` in `(0, 1]` past the
    /// neighbour left of it (ONNX takes an exact input position as ratio 1 from the one before).
    fn coefficients(self, ratio: f64) -> Vec<f64> {
        match self {
            Kernel::Linear => vec![1.0 - ratio, ratio],
            Kernel::Cubic { a, .. } => {
                let far = |t: f64| ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
                let near = |t: f64| ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
                vec![
                    far(ratio + 1.0),
                    near(ratio),
                    near(1.0 - ratio),
                    far(2.0 - ratio),
                ]
            }
        }
    }
}

/// The row-major `[n_out, n_in]` matrix resizing an axis of `n_in` elements to `n_out` by
/// `scale` (`n_out / n_in` when the model gives sizes).
pub fn matrix(
    n_in: usize,
    n_out: usize,
    scale: f64,
    coordinates: CoordinateMode,
    kernel: Kernel,
) -> Result<Vec<f32>, String> {
    if n_in == 0 || n_out == 0 || !(scale.is_finite() && scale > 0.0) {
        return Err(format!("resizing {n_in} elements to {n_out} by {scale}"));
    }
    if n_in
        .checked_mul(n_out)
        .is_none_or(|n| n > crate::tensor::MAX_TENSOR_ELEMENTS)
    {
        return Err(format!("a {n_out}x{n_in} resampling matrix is too large"));
    }
    let mut m = vec![0f64; n_out * n_in];
    for x in 0..n_out {
        let orig = coordinates.original(x as f64, scale, n_in as f64, n_out as f64);
        if !orig.is_finite() {
            return Err(format!("output position {x} maps to {orig}"));
        }
        let floor = orig.floor();
        let ratio = if orig == floor { 1.0 } else { orig - floor };
        let mut coeffs = kernel.coefficients(ratio);
        let n = coeffs.len() as i64;
        // The n positions nearest `orig`, ties to the smaller, ascending: with ratio in (0, 1],
        // those from floor - n/2 + (ratio == 1) on.
        let first = floor as i64 - n / 2 + 1 - i64::from(orig == floor);
        let positions: Vec<i64> = (first..first + n).collect();
        if let Kernel::Cubic {
            exclude_outside: true,
            ..
        } = kernel
        {
            for (c, &p) in coeffs.iter_mut().zip(&positions) {
                if p < 0 || p >= n_in as i64 {
                    *c = 0.0;
                }
            }
            let sum: f64 = coeffs.iter().sum();
            if sum == 0.0 {
                return Err(format!("output position {x} has no input inside the axis"));
            }
            coeffs.iter_mut().for_each(|c| *c /= sum);
        }
        for (c, p) in coeffs.into_iter().zip(positions) {
            // Beyond the edges: the edge element (ONNX pads by repeating it).
            let i = p.clamp(0, n_in as i64 - 1) as usize;
            m[x * n_in + i] += c;
        }
    }
    Ok(m.into_iter().map(|v| v as f32).collect())
}

/// Resizes the axes `(axis, n_out, scale)` of `x` one after another, as the front ends lower a
/// resize: each axis is swapped last (unless it is), multiplied by its [`matrix`] as a dense
/// layer, and swapped back (the swap is its own inverse). `step` adds one step of the resize,
/// named after its part (`axis{d}-last`, `axis{d}`, `axis{d}-back`); `refuse` turns a reason
/// the resize cannot be expressed into the front end's error.
pub fn resize_axes<E>(
    b: &mut crate::ir::ModelBuilder,
    x: crate::ir::TensorId,
    axes: &[(usize, usize, f64)],
    coordinates: CoordinateMode,
    kernel: Kernel,
    refuse: impl Fn(String) -> E,
    mut step: impl FnMut(
        &mut crate::ir::ModelBuilder,
        &str,
        crate::ir::Op,
        crate::ir::TensorId,
    ) -> Result<crate::ir::TensorId, E>,
) -> Result<crate::ir::TensorId, E> {
    use crate::ir::{Dense, Op};
    use crate::ops::gather::maps;
    let mut t = x;
    for &(d, n_out, scale) in axes {
        let (rank, n_in) = (b.shape(t).len(), b.shape(t)[d]);
        let m = matrix(n_in, n_out, scale, coordinates, kernel).map_err(&refuse)?;
        let dense = Dense {
            weight: crate::tensor::Tensor::new(vec![n_out, n_in], m),
            bias: vec![0.0; n_out],
        };
        let mut swap: Vec<i64> = (0..rank as i64).collect();
        swap.swap(d, rank - 1);
        let last = d + 1 == rank;
        if !last {
            let g = maps::transpose(b.shape(t), Some(&swap)).map_err(&refuse)?;
            t = step(b, &format!("axis{d}-last"), Op::Gather(g), t)?;
        }
        t = step(b, &format!("axis{d}"), Op::Dense(dense), t)?;
        if !last {
            let g = maps::transpose(b.shape(t), Some(&swap)).map_err(&refuse)?;
            t = step(b, &format!("axis{d}-back"), Op::Gather(g), t)?;
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests;
