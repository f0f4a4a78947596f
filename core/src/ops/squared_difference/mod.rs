//! TFLite's int8 SQUARED_DIFFERENCE, `(a - b)²` requantized: the variance half of a Keras
//! layer normalization (`SQUARED_DIFFERENCE(x, MEAN(x))`, the mean broadcast along the row).
//!
//! - Integer semantics (`squared_difference.cc`, its only quantized type is int8): each centred
//!   input shifted left by 7 bits and requantized to twice the larger input scale
//!   (`MultiplyByQuantizedMultiplierSmallerThanOneExp`, as ADD rescales its inputs), the
//!   difference of the two squared, then requantized by `(2·max s)² / (2^14·s_out)` and the
//!   output zero point added, clamped to the int8 range. The second input is broadcast to the
//!   first: output `o` reads its element `second[o]`.
//! - Circuit (`circuit/steps/squared_difference.rs`): each input through its requantization map
//!   (the table function of a centred 8-bit value the ADD step uses, the second input's
//!   negated; the broadcast input once per element, not once per output), then
//!   `(sa + nb)²` as four products of map outputs on one product row, requantized and clamped
//!   by the fixed-point chip on that row.
//! - Cost: two rows per output, plus one per element of the broadcast input.

use crate::qgraph::QuantizedMultiplier;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// The quantized step, with the parameters TFLite's `Prepare` computes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SquaredDifference {
    /// The inputs' common left shift (7 in TFLite).
    pub left_shift: u32,
    pub input_multipliers: [QuantizedMultiplier; 2],
    pub output_multiplier: QuantizedMultiplier,
    pub out_zero_point: i64,
    /// Clamp bounds in the stored domain.
    pub act_min: i64,
    pub act_max: i64,
    /// For each output, the element of the second input it reads.
    pub second: Vec<u32>,
}

/// TFLite's left shift of both inputs before their rescaling.
pub const LEFT_SHIFT: u32 = 7;

impl SquaredDifference {
    /// `Prepare`'s parameters for input scales `sa`, `sb` and output `(s_out, zp_out)`, clamped
    /// to `[act_min, act_max]`; an error when a multiplier is not below one (the kernel's
    /// "smaller than one" products would shift the wrong way).
    pub fn new(
        [sa, sb]: [f32; 2],
        (s_out, zp_out): (f32, i64),
        (act_min, act_max): (i64, i64),
        second: Vec<u32>,
    ) -> Result<Self, String> {
        // In double, from the f32 scales, as `Prepare` computes them.
        let twice_max = 2.0 * f64::from(sa.max(sb));
        let smaller_than_one = |real: f64, what: &str| {
            if !(real > 0.0 && real < 1.0) {
                return Err(format!(
                    "its {what} multiplier {real} is not in (0, 1) (scales {sa}, {sb} -> {s_out})"
                ));
            }
            Ok(QuantizedMultiplier::from_real(real))
        };
        Ok(SquaredDifference {
            left_shift: LEFT_SHIFT,
            input_multipliers: [
                smaller_than_one(f64::from(sa) / twice_max, "first input's")?,
                smaller_than_one(f64::from(sb) / twice_max, "second input's")?,
            ],
            output_multiplier: smaller_than_one(
                twice_max * twice_max / ((1u64 << (2 * LEFT_SHIFT)) as f64 * f64::from(s_out)),
                "output",
            )?,
            out_zero_point: zp_out,
            act_min,
            act_max,
            second,
        })
    }

    /// One input's rescaled value `M_k(x·2^7)`, from its centred value; None past int32.
    pub fn scaled(&self, k: usize, x: i64) -> Option<i64> {
        self.input_multipliers[k].apply(x.checked_mul(1i64 << self.left_shift)?)
    }

    /// The requantized square `M(d²)` before the zero point and the clamp, from the two centred
    /// inputs: what the fixed-point chip must hold in its activation domain. None past int32.
    pub fn quotient(&self, a: i64, b: i64) -> Option<i64> {
        let d = self.scaled(0, a)? - self.scaled(1, b)?;
        let square = i32::try_from(d * d).ok()?;
        self.output_multiplier.apply(i64::from(square))
    }

    /// One centred output from the two centred inputs; None past int32.
    pub fn apply(&self, a: i64, b: i64) -> Option<i64> {
        let raw = self.quotient(a, b)? + self.out_zero_point;
        Some(raw.clamp(self.act_min, self.act_max) - self.out_zero_point)
    }

    /// The outputs from the two inputs, each quotient (and it plus the zero point) held one
    /// step inside the activation domain `(lo, hi)`, where the fixed-point chip can prove it
    /// (its rounding's correction may move it by one).
    pub fn apply_all(&self, a: &[i64], b: &[i64], (lo, hi): (i64, i64)) -> Result<Vec<i64>, Fault> {
        if a.len() != self.second.len() {
            return Err(Fault::Operands);
        }
        a.iter()
            .zip(&self.second)
            .enumerate()
            .map(|(index, (&x, &j))| {
                let y = *b.get(j as usize).ok_or(Fault::Operands)?;
                let q = self.quotient(x, y).ok_or(Fault::Operands)?;
                let raw = q + self.out_zero_point;
                if q.max(raw) >= hi || q.min(raw) <= lo {
                    return Err(Fault::OutOfDomain { index, value: raw });
                }
                Ok(raw.clamp(self.act_min, self.act_max) - self.out_zero_point)
            })
            .collect()
    }
}

/// Why [`SquaredDifference::apply_all`] has no outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The inputs do not fit the step (lengths, indices) or a value overflows int32.
    Operands,
    /// Output `index`'s requantized value (zero point included) leaves the proven domain.
    OutOfDomain { index: usize, value: i64 },
}
