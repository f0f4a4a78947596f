//! TFLite's int8 and uint8 SOFTMAX over the last axis, bit for bit as its reference kernel
//! (`reference_ops::Softmax`, the one TFLite Micro runs too) computes it in gemmlowp's fixed
//! point. A final SOFTMAX is still left outside the proof (the logits are the proven output);
//! this step proves one in the middle of a model.
//!
//! - Integer semantics, per row of `depth` stored values `x_c`: `m = max x_c`, `d_c = x_c - m`
//!   in `[-255, 0]`; `e_c = exp(d_c)` in Q0.31 (the input multiplier, `exp_on_negative_values`
//!   on Q5.26, 0 below `diff_min`) — a function of `d_c` alone, so a 256-entry table; the sum
//!   `S = Σ RoundingDivideByPOT(e_c, 12)` (Q12.19); the reciprocal `GetReciprocal(S)`: the
//!   leading zeros `h` of `S`, `1/(1 + a)` of the normalised `a = S·2^h - 2^31` by three Newton
//!   steps in Q2.29, doubled with saturation to `s`; the output
//!   `RoundingDivideByPOT(SRDHM(s, e_c), 35 - h)` clamped to 255, centred (an int8 output's zero
//!   point is -128, a uint8's 0, both at scale 1/256, so the centred output is the same).
//! - Circuit ([`crate::circuit::arith`], laid out by `circuit/steps/softmax.rs`): every step of
//!   that computation is a row `a·(b + kb) + c + k = q·D + r` with range-checked `r` (and `q`
//!   where it is not otherwise bounded); the exp table and its rescale are two table lookups of
//!   `d_c`; `m` is the max because every `d_c` is in the table's domain `[-255, 0]` and
//!   `Π d_c = 0`; `2^(h-1)` is a power of two from the range table with `S·2^h` in
//!   `[2^31, 2^32)`.
//! - Cost: 7 rows per element and 28 per row of the arithmetic chip, two 256-entry tables per
//!   distinct input scale.

use crate::qgraph::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul as srdhm};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Q5.26: the integer bits of the scaled differences `exp` reads.
const SCALED_DIFF_INTEGER_BITS: u32 = 5;
/// Q12.19: the integer bits of the sum of exponentials.
pub const ACCUMULATION_INTEGER_BITS: u32 = 12;
/// The largest row: the sum of `depth` ones in Q12.19 must stay below 2^31.
pub const MAX_DEPTH: usize = (1 << ACCUMULATION_INTEGER_BITS) - 1;
/// Differences a table covers: an 8-bit input's `x - max`.
pub const DIFFS: std::ops::RangeInclusive<i64> = -255..=0;
/// One in Q0.31, as gemmlowp writes it.
pub const ONE_Q31: i64 = i32::MAX as i64;
/// Newton's constants for `1/(1 + a)` in Q2.29 (gemmlowp's `one_over_one_plus_x_for_x_in_0_1`).
pub const NEWTON_48_OVER_17: i64 = 1_515_870_810;
pub const NEWTON_NEG_32_OVER_17: i64 = -1_010_580_540;
/// One in Q2.29.
pub const ONE_Q29: i64 = 1 << 29;

/// The quantized step: softmax rows over the last TFLite axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ByteSoftmax {
    /// Elements per row.
    pub depth: usize,
    /// The distance in our layout between a row's consecutive elements: 1, or the spatial size
    /// when TFLite's last axis is the channel axis of an NCHW tensor.
    pub inner: usize,
    /// `MultiplyByQuantizedMultiplierGreaterThanOne`'s multiplier and left shift of
    /// `beta · input_scale` in Q5.26.
    pub input_multiplier: i32,
    pub input_left_shift: u32,
    /// Differences below this count as `exp = 0`.
    pub diff_min: i64,
}

/// The table key: what the two exp tables depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExpKey {
    pub input_multiplier: i32,
    pub input_left_shift: u32,
    pub diff_min: i64,
}

impl ByteSoftmax {
    /// TFLite's `SoftmaxPrepare` for the reference kernel: `PreprocessSoftmaxScaling` and
    /// `CalculateInputRadius`. Errors name what TFLite itself would refuse.
    pub fn new(beta: f32, input_scale: f32, depth: usize, inner: usize) -> Result<Self, String> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(format!(
                "a row of {depth} elements (1 to {MAX_DEPTH}: the sum of exponentials is Q12.19)"
            ));
        }
        if inner == 0 {
            return Err("a row stride of 0".into());
        }
        let real =
            (beta as f64 * input_scale as f64 * (1u64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64)
                .min((1u64 << 31) as f64 - 1.0);
        if real.partial_cmp(&1.0) != Some(std::cmp::Ordering::Greater) {
            return Err(format!(
                "beta {beta} times the input scale {input_scale} is too small for TFLite's \
                 multiplier (QuantizeMultiplierGreaterThanOne needs it above 2^-26)"
            ));
        }
        let m = crate::qgraph::QuantizedMultiplier::from_real(real);
        if m.shift < 0 {
            return Err(format!("the softmax multiplier {real} has a right shift"));
        }
        let left_shift = m.shift as u32;
        let radius = (((1u64 << SCALED_DIFF_INTEGER_BITS) - 1) as f64
            * (1u64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64
            / 2f64.powi(left_shift as i32))
        .floor();
        Ok(ByteSoftmax {
            depth,
            inner,
            input_multiplier: m.multiplier,
            input_left_shift: left_shift,
            diff_min: -(radius as i64),
        })
    }

    pub fn key(&self) -> ExpKey {
        ExpKey {
            input_multiplier: self.input_multiplier,
            input_left_shift: self.input_left_shift,
            diff_min: self.diff_min,
        }
    }

    /// A softmax with this key (rows of one element: the tables depend on the key alone).
    pub fn of_key(key: ExpKey) -> Self {
        ByteSoftmax {
            depth: 1,
            inner: 1,
            input_multiplier: key.input_multiplier,
            input_left_shift: key.input_left_shift,
            diff_min: key.diff_min,
        }
    }

    /// Rows in a tensor of `len` elements.
    pub fn rows(&self, len: usize) -> usize {
        len / self.depth
    }

    /// The layout index of element `c` of row `row`.
    pub fn index(&self, row: usize, c: usize) -> usize {
        let (outer, within) = (row / self.inner, row % self.inner);
        outer * self.depth * self.inner + c * self.inner + within
    }

    /// Whether a tensor of `len` elements splits into whole rows.
    pub fn fits(&self, len: usize) -> bool {
        len.is_multiple_of(self.depth * self.inner)
    }

    /// The outputs (centred) of a tensor's inputs (centred); None when the tensor does not split
    /// into rows or an input leaves the 8-bit range of differences.
    pub fn apply_all(&self, x: &[i64]) -> Option<Vec<i64>> {
        if !self.fits(x.len()) {
            return None;
        }
        let mut out = vec![0; x.len()];
        for row in 0..self.rows(x.len()) {
            let values: Vec<i64> = (0..self.depth).map(|c| x[self.index(row, c)]).collect();
            for (c, y) in self.row(&values)?.into_iter().enumerate() {
                out[self.index(row, c)] = y;
            }
        }
        Some(out)
    }

    /// One row, as the reference kernel computes it (the centred outputs, `stored - zp`).
    pub fn row(&self, x: &[i64]) -> Option<Vec<i64>> {
        let max = *x.iter().max()?;
        let exps: Vec<i64> = x
            .iter()
            .map(|&v| self.exp_of_diff(v - max))
            .collect::<Option<_>>()?;
        let sum: i64 = exps.iter().map(|&e| rescale_to_accumulator(e)).sum();
        let sum = i32::try_from(sum).ok()?;
        let (scale, bits_over_unit) = get_reciprocal(sum);
        let exponent = (bits_over_unit + 31 - 8) as u32;
        Some(
            exps.iter()
                .map(|&e| {
                    let unsat = rounding_divide_by_pot(srdhm(scale, e as i32), exponent) as i64;
                    unsat.clamp(0, 255)
                })
                .collect(),
        )
    }

    /// `exp(d)` in Q0.31 for a difference `d = x - max`: 0 below `diff_min`; None outside
    /// `[-255, 0]`.
    pub fn exp_of_diff(&self, d: i64) -> Option<i64> {
        if !DIFFS.contains(&d) {
            return None;
        }
        if d < self.diff_min {
            return Some(0);
        }
        // Within the radius `d·2^left_shift` fits int32 (|d| <= 31·2^26 / 2^left_shift).
        let shifted = i32::try_from(d << self.input_left_shift).ok()?;
        let scaled = srdhm(shifted, self.input_multiplier);
        Some(exp_on_negative_values_q5(scaled) as i64)
    }

    /// The exp table: `(d, e(d))` for every difference.
    pub fn exp_table(&self) -> Vec<(i64, i64)> {
        DIFFS
            .map(|d| (d, self.exp_of_diff(d).unwrap_or(0)))
            .collect()
    }

    /// The exp table rescaled to the accumulator: `(d, RoundingDivideByPOT(e(d), 12))`.
    pub fn scaled_exp_table(&self) -> Vec<(i64, i64)> {
        self.exp_table()
            .into_iter()
            .map(|(d, e)| (d, rescale_to_accumulator(e)))
            .collect()
    }

    /// Whether every table entry is a Q0.31 value in `[0, 1]`, as the circuit's products with
    /// it assume (their quotients' range rows are sized for it).
    pub fn check(&self) -> Result<(), String> {
        for (d, e) in self.exp_table() {
            if !(0..=ONE_Q31).contains(&e) {
                return Err(format!("exp({d}) = {e} leaves Q0.31"));
            }
        }
        Ok(())
    }
}

/// `Rescale<12>` of a Q0.31 exponential: Q12.19, rounded half away from zero (`e >= 0`).
pub fn rescale_to_accumulator(e: i64) -> i64 {
    rounding_divide_by_pot(e as i32, ACCUMULATION_INTEGER_BITS) as i64
}

/// gemmlowp's `SaturatingRoundingMultiplyByPOT<exponent>` for a positive exponent: a left
/// shift saturating at int32's bounds.
fn saturating_shift_left(x: i32, exponent: u32) -> i32 {
    let threshold = (1i64 << (31 - exponent)) - 1;
    if x as i64 > threshold {
        i32::MAX
    } else if (x as i64) < -threshold {
        i32::MIN
    } else {
        x << exponent
    }
}

/// gemmlowp's `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0.31 in and out).
fn exp_on_interval_near_zero(a: i32) -> i32 {
    const CONSTANT_TERM: i32 = 1_895_147_668; // exp(-1/8)
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(
        srdhm(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        1,
    );
    CONSTANT_TERM.wrapping_add(srdhm(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// gemmlowp's `exp_on_negative_values` of a Q5.26 value, Q0.31 out.
pub fn exp_on_negative_values_q5(a: i32) -> i32 {
    const FRACTIONAL_BITS: u32 = 31 - SCALED_DIFF_INTEGER_BITS;
    let one_quarter: i32 = 1 << (FRACTIONAL_BITS - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    let mut result = exp_on_interval_near_zero(saturating_shift_left(
        a_mod_quarter_minus_one_quarter,
        SCALED_DIFF_INTEGER_BITS,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(-2^k) for k = -2..=4 in Q0.31, applied for each bit of the remainder.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        let shift = FRACTIONAL_BITS as i32 + exponent;
        if remainder & (1 << shift) != 0 {
            result = srdhm(result, multiplier);
        }
    }
    // Five integer bits: no clamp below -32 (gemmlowp's clamp is for more integer bits).
    if a == 0 {
        result = i32::MAX;
    }
    result
}

/// TFLite's `GetReciprocal(x, 12, &bits_over_unit)` for a positive Q12.19 sum: the reciprocal
/// of the normalised sum in Q0.31 and the number of bits the sum has above one.
pub fn get_reciprocal(x: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let bits_over_unit = ACCUMULATION_INTEGER_BITS as i32 - headroom_plus_one as i32;
    let shifted_sum_minus_one = ((x as u32) << headroom_plus_one).wrapping_sub(1u32 << 31) as i32;
    (one_over_one_plus_x(shifted_sum_minus_one), bits_over_unit)
}

/// gemmlowp's `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out).
fn one_over_one_plus_x(a: i32) -> i32 {
    // RoundingHalfSum(a, One): (a + b + sign) / 2 with C++ truncation.
    let sum = a as i64 + i32::MAX as i64;
    let half_denominator = ((sum + if sum >= 0 { 1 } else { -1 }) / 2) as i32;
    let mut x = (NEWTON_48_OVER_17 as i32)
        .wrapping_add(srdhm(half_denominator, NEWTON_NEG_32_OVER_17 as i32));
    for _ in 0..3 {
        let half_denominator_times_x = srdhm(half_denominator, x);
        let one_minus = (ONE_Q29 as i32).wrapping_sub(half_denominator_times_x);
        x = x.wrapping_add(saturating_shift_left(srdhm(x, one_minus), 2));
    }
    saturating_shift_left(x, 1)
}
