//! The matrix product of two computed tensors, `C = A·B`: attention's scores `Q·Kᵀ` and its
//! weighted values `P·V`. (A product by a constant matrix is a dense layer, [`super::dense`].)
//!
//! - IR: `Op::MatMul`, inputs `[a, b]` of shapes `[..., M, K]` and `[..., K, N]` (numpy's
//!   `matmul`: both at least 2-D, the leading batch axes broadcast); output `[..., M, N]`.
//! - Quantized: `C[o] = ⌊(Σ_k A·B + ⌊d/2⌋) / d⌋` with `d = 2^shift`, the products at scale
//!   `fa + fb` divided down to the scale the output's range allows ([`MatProduct`]). When that
//!   takes more than the rescale chip's `2^B`, the finer operand is first rounded to a coarser
//!   scale by a half-up step of its own.
//! - TFLite's int8/uint8 BATCH_MATMUL: the same accumulators of centred operands (no offset),
//!   each requantized as the interpreter does, `clamp(MultiplyByQuantizedMultiplier(acc) +
//!   zp) - zp` ([`MatRequant`]), by the fixed-point chip on the accumulator's row.
//! - Circuit: Freivalds' check ([`crate::circuit::matmul`]): each claimed accumulator takes one
//!   row (rescaled there, its quotient range-checked by the identity table), and
//!   `(C - off)·r = A·(B·r)` is checked with `r = (ρ^(N-1), ..., ρ, 1)` for a challenge `ρ`
//!   the transcript draws after both operands and every accumulator are committed. Rows per
//!   batch item: `max(M·N, K·⌈N/width⌉, M·K)` instead of the direct `M·N·⌈K/width⌉`.

use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::lower;

#[cfg(test)]
mod tests;

/// One batch item's matrices: `A` is `m×k` from element `a_offset` of input 0, `B` is `k×n`
/// from element `b_offset` of input 1, and `C` is `m×n` from element `item·m·n` of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub a_offset: u32,
    pub b_offset: u32,
}

/// The geometry of a batched matrix product: every batch item's operands and `m`, `k`, `n`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatMulShape {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub items: Vec<BatchItem>,
}

impl MatMulShape {
    /// numpy's `matmul` of `a` (`[..., M, K]`) and `b` (`[..., K, N]`): the output shape and
    /// each output batch item's operands. Both operands must be at least 2-D.
    pub fn of(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, MatMulShape), String> {
        if a.len() < 2 || b.len() < 2 {
            return Err(format!(
                "operand shapes {a:?} and {b:?} (both must have at least two axes)"
            ));
        }
        let (a_batch, a_mat) = a.split_at(a.len() - 2);
        let (b_batch, b_mat) = b.split_at(b.len() - 2);
        let (m, k, k2, n) = (a_mat[0], a_mat[1], b_mat[0], b_mat[1]);
        if k != k2 {
            return Err(format!(
                "operand shapes {a:?} and {b:?} (inner dimensions {k} and {k2} differ)"
            ));
        }
        if m == 0 || k == 0 || n == 0 {
            return Err(format!("operand shapes {a:?} and {b:?} have an empty axis"));
        }
        let rank = a_batch.len().max(b_batch.len());
        let padded = |s: &[usize]| -> Vec<usize> {
            std::iter::repeat_n(1, rank - s.len())
                .chain(s.iter().copied())
                .collect()
        };
        let (pa, pb) = (padded(a_batch), padded(b_batch));
        let mut batch = Vec::with_capacity(rank);
        for (&x, &y) in pa.iter().zip(&pb) {
            batch.push(match (x, y) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => {
                    return Err(format!(
                        "operand shapes {a:?} and {b:?} (batch axes do not broadcast)"
                    ))
                }
            });
        }
        let ia = crate::tensor::broadcast_indices(&pa, &batch)
            .ok_or_else(|| format!("batch axes of {a:?} do not broadcast to {batch:?}"))?;
        let ib = crate::tensor::broadcast_indices(&pb, &batch)
            .ok_or_else(|| format!("batch axes of {b:?} do not broadcast to {batch:?}"))?;
        let mut items = Vec::with_capacity(ia.len());
        for (&x, &y) in ia.iter().zip(&ib) {
            let (a_offset, b_offset) = (x * m * k, y * k * n);
            let fits = |v: usize| u32::try_from(v).ok();
            match (fits(a_offset + m * k), fits(b_offset + k * n)) {
                (Some(_), Some(_)) => items.push(BatchItem {
                    a_offset: a_offset as u32,
                    b_offset: b_offset as u32,
                }),
                _ => return Err(format!("operand shapes {a:?} and {b:?} are too large")),
            }
        }
        let mut out = batch;
        out.extend([m, n]);
        Ok((out, MatMulShape { m, k, n, items }))
    }

    /// Elements of the output.
    pub fn outputs(&self) -> usize {
        self.items.len() * self.m * self.n
    }

    /// `Σ_k A[i,k]·B[k,j]` for every output, in output order, over values of any ring-like
    /// type (floats for the float model, i128 for the integer one). None when an operand is
    /// shorter than the shape says.
    pub fn sums<T>(&self, a: &[T], b: &[T]) -> Option<Vec<T>>
    where
        T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    {
        let MatMulShape { m, k, n, .. } = *self;
        let mut out = Vec::with_capacity(self.outputs());
        for item in &self.items {
            let a = a.get(item.a_offset as usize..item.a_offset as usize + m * k)?;
            let b = b.get(item.b_offset as usize..item.b_offset as usize + k * n)?;
            for i in 0..m {
                for j in 0..n {
                    let mut s = T::default();
                    for kk in 0..k {
                        s = s + a[i * k + kk] * b[kk * n + j];
                    }
                    out.push(s);
                }
            }
        }
        Some(out)
    }
}

/// The quantized step: the batched product of its two inputs, each accumulator divided by
/// `2^shift` rounding half up, or (TFLite) requantized by `requant` (`shift` is then 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatProduct {
    pub shape: MatMulShape,
    pub shift: u32,
    #[serde(default)]
    pub requant: Option<MatRequant>,
}

/// TFLite's output stage of an int8/uint8 BATCH_MATMUL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatRequant {
    pub multiplier: crate::qgraph::QuantizedMultiplier,
    pub out_zero_point: i64,
    /// The clamp in the stored domain.
    pub act_min: i64,
    pub act_max: i64,
    /// Whether the final shift rounds ties up (ruy's x86 kernels), else away from zero.
    pub ties_up: bool,
}

impl MatRequant {
    /// The centred output of an accumulator; None when TFLite's int32 arithmetic overflows.
    pub fn apply(&self, acc: i128) -> Option<i64> {
        let acc = i64::from(i32::try_from(acc).ok()?);
        let q = if self.ties_up {
            self.multiplier.apply_ties_up(acc)?
        } else {
            self.multiplier.apply(acc)?
        };
        Some((q + self.out_zero_point).clamp(self.act_min, self.act_max) - self.out_zero_point)
    }
}

impl MatProduct {
    pub fn divisor(&self) -> u64 {
        1u64 << self.shift
    }

    /// The half-up rounding offset `⌊d/2⌋` every accumulator includes.
    pub fn offset(&self) -> i128 {
        (self.divisor() / 2) as i128
    }

    /// Every output's accumulator `Σ A·B + ⌊d/2⌋`; None when an operand is too short.
    pub fn accumulators(&self, a: &[i64], b: &[i64]) -> Option<Vec<i128>> {
        let wide = |v: &[i64]| v.iter().map(|&x| x as i128).collect::<Vec<i128>>();
        let mut sums = self.shape.sums(&wide(a), &wide(b))?;
        let offset = self.offset();
        sums.iter_mut().for_each(|s| *s += offset);
        Some(sums)
    }

    /// Every output's quotient (before the range check), or requantized output; None when an
    /// operand is too short or a requantization overflows int32.
    pub fn apply_all(&self, a: &[i64], b: &[i64]) -> Option<Vec<i128>> {
        let d = self.divisor() as i128;
        self.accumulators(a, b)?
            .into_iter()
            .map(|acc| match &self.requant {
                None => Some(acc.div_euclid(d)),
                Some(r) => r.apply(acc).map(i128::from),
            })
            .collect()
    }
}
