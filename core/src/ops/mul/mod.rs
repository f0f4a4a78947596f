//! The product of two computed tensors, the second broadcast to the first (numpy rules):
//! squeeze-and-excite's `x·s` with `s` of shape `[1, C, 1, 1]`, gating, attention scores.
//!
//! - IR: `Op::Mul`, inputs `[a, b]` with `b` broadcasting to `a`'s shape (the front end puts the
//!   full-shape operand first; the product commutes).
//! - Quantized: `y[o] = round((a[o]·b[β(o)]) / 2^(fa + fb - fy))` rounded half up, where `β`
//!   maps an output to its broadcast element of `b` ([`Product`]). The output scale `fy` comes
//!   from the calibrated range, at most `fa + fb` (no division below one).
//! - Circuit: one dot-product row per output whose single lane reads `a[o]` in the `x` column
//!   and `b[β(o)]` in the advice-weight column (both copied, so neither is free), and the
//!   rescale chip's half-up division on the same row: `acc = a·b` by the dot gate, then
//!   `acc + ⌊d/2⌋ = q·d + r`, `0 <= r < d`. The advice-weight columns are the ones models with
//!   hidden weights use; a graph with products has them whatever its weights' visibility
//!   (`CircuitShape::products`).

use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::lower;

/// The quantized step: output `o` multiplies input 0's element `o` by input 1's element
/// `second[o]`, then divides by `2^shift` rounding half up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub second: Vec<u32>,
    pub shift: u32,
}

impl Product {
    pub fn divisor(&self) -> u64 {
        1u64 << self.shift
    }

    /// Output `o`'s accumulator including the half-up offset: `a·b + ⌊d/2⌋`.
    pub fn accumulator(&self, a: i64, b: i64) -> i128 {
        a as i128 * b as i128 + (self.divisor() / 2) as i128
    }

    /// Output `o` from the two factors.
    pub fn apply(&self, a: i64, b: i64) -> i64 {
        self.accumulator(a, b).div_euclid(self.divisor() as i128) as i64
    }

    /// The outputs from the inputs; None when an index is out of range.
    pub fn apply_all(&self, a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
        if a.len() != self.second.len() {
            return None;
        }
        a.iter()
            .zip(&self.second)
            .map(|(&x, &j)| Some(self.apply(x, *b.get(j as usize)?)))
            .collect()
    }
}

/// The IR's shape rule: `b` must broadcast to `a`; the output is `a`'s shape. The broadcast
/// index of `b` for each output.
pub fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<u32>, String> {
    let idx = crate::tensor::broadcast_indices(b, a)
        .ok_or_else(|| format!("operand shapes {a:?} and {b:?} do not broadcast to {a:?}"))?;
    if idx.len() > u32::MAX as usize {
        return Err(format!("the product of shape {a:?} is too large"));
    }
    Ok(idx.into_iter().map(|i| i as u32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_rounds_half_up_after_the_shift() {
        let p = Product {
            second: vec![0, 0],
            shift: 2,
        };
        assert_eq!(p.apply(3, 3), 2, "9/4 = 2.25");
        assert_eq!(p.apply(-3, 2), -1, "-6/4 = -1.5 rounds up");
        assert_eq!(p.apply(5, 2), 3, "10/4 = 2.5 rounds up");
        assert_eq!(p.apply_all(&[1, 2], &[4]), Some(vec![1, 2]));
        assert_eq!(p.apply_all(&[1, 2], &[]), None);
    }

    #[test]
    fn squeeze_and_excite_scales_broadcast_per_channel() {
        let idx = broadcast(&[1, 2, 2, 2], &[1, 2, 1, 1]).unwrap();
        assert_eq!(idx, vec![0, 0, 0, 0, 1, 1, 1, 1]);
        assert!(broadcast(&[1, 2, 1, 1], &[1, 2, 2, 2]).is_err());
    }
}
