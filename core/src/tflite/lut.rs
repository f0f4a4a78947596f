//! The TFLite interpreter's 8-bit arithmetic for elementwise operators, as functions of one
//! stored input value (so that [`crate::ops::lookup::ByteLookup`] can tabulate them):
//! - LOGISTIC, TANH, EXP and GELU: the interpreter's lookup table (`LUTPopulate`): dequantize in `f32`,
//!   apply the `f32` function, multiply by the inverse output scale, round half away from
//!   zero, add the zero point, clamp. The functions are the `libm` crate's `expf`/`tanhf`
//!   (FreeBSD's msun, ported), so every platform computes the same tables; they agree with the
//!   interpreter's on every value tested.
//! - HARD_SWISH: `reference_ops::HardSwish`'s int16 fixed-point arithmetic.
//! - RSQRT: the elementwise kernel's `GetInvSqrtQuantizedMultiplierExp` (Newton steps in
//!   gemmlowp's fixed point) and two `MultiplyByQuantizedMultiplier`s.
//! - LEAKY_RELU, standalone RELU/RELU6/RELU_N1_TO_1 and QUANTIZE: `MultiplyByQuantizedMultiplier`
//!   of the centred input, plus the output zero point, clamped.
//! - uint8 CONCATENATION of an input quantized unlike the output: `ConcatenationWithScaling`'s
//!   `f32` rescale.
//!
//! Every function here is checked against the interpreter over all 256 inputs
//! (`interpreter_tests.rs`).

use super::quantized::{per_tensor, stored_range};
use super::TfTensor;
use crate::error::{Error, Result};
use crate::qgraph::{
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul as srdhm, QuantizedMultiplier,
};

/// The quantizations of an operator's input and output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quant {
    pub in_scale: f32,
    pub in_zp: i64,
    pub out_scale: f32,
    pub out_zp: i64,
    /// The output's stored range.
    pub out_min: i64,
    pub out_max: i64,
}

impl Quant {
    pub fn of(input: &TfTensor, output: &TfTensor) -> Result<Self> {
        let (in_scale, in_zp) = per_tensor(input)?;
        let (out_scale, out_zp) = per_tensor(output)?;
        let (out_min, out_max) = stored_range(output)?;
        Ok(Quant {
            in_scale,
            in_zp,
            out_scale,
            out_zp,
            out_min,
            out_max,
        })
    }
}

/// `LUTPopulate`: the table entry for stored input `s` of an `f32` function.
fn populate(q: Quant, f: impl Fn(f32) -> f32) -> impl Fn(i64) -> i64 {
    let inverse_scale = 1.0f32 / q.out_scale;
    move |s| {
        let dequantized = q.in_scale * (s - q.in_zp) as f32;
        let rescaled = (f(dequantized) * inverse_scale).round();
        // `static_cast<int32_t>(rescaled + zero_point)`: the sum in f32, truncated (it is
        // already integral), saturating where C++ would be undefined.
        let quantized = (rescaled + q.out_zp as f32) as i64;
        quantized.clamp(q.out_min, q.out_max)
    }
}

/// int8/uint8 LOGISTIC.
pub fn logistic(q: Quant) -> impl Fn(i64) -> i64 {
    populate(q, |x| 1.0 / (1.0 + libm::expf(-x)))
}

/// int8/uint8 TANH.
pub fn tanh(q: Quant) -> impl Fn(i64) -> i64 {
    populate(q, libm::tanhf)
}

/// int8 ELU: the table of `x < 0 ? expf(x) - 1 : x`, as the kernel populates it (the
/// interpreter has no uint8 ELU).
pub fn elu(q: Quant) -> impl Fn(i64) -> i64 {
    populate(q, |x| if x < 0.0 { libm::expf(x) - 1.0 } else { x })
}

/// int8 EXP: the table of `expf` (the interpreter has no uint8 EXP).
pub fn exp(q: Quant) -> impl Fn(i64) -> i64 {
    populate(q, libm::expf)
}

/// int8/uint8 GELU as the interpreter tabulates it, in `f32` and in its order of operations:
/// `0.5·x·erfc(-x/√2)`, or with the tanh approximation
/// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x·x·x)))` (√(2/π) computed in double, then rounded).
pub fn gelu(q: Quant, tanh_approximation: bool) -> impl Fn(i64) -> i64 {
    let sqrt_2_over_pi =
        (std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2) as f32;
    let minus_sqrt_half = -std::f64::consts::FRAC_1_SQRT_2 as f32;
    populate(q, move |x| {
        if tanh_approximation {
            0.5 * x * (1.0 + libm::tanhf(sqrt_2_over_pi * (x + 0.044715 * x * x * x)))
        } else {
            0.5 * x * libm::erfcf(x * minus_sqrt_half)
        }
    })
}

/// `MultiplyByQuantizedMultiplier(s - zp_in, M) + zp_out` clamped to `[lo, hi]`.
fn rescale(q: Quant, m: QuantizedMultiplier, lo: i64, hi: i64) -> impl Fn(i64) -> i64 {
    move |s| {
        // Where TFLite's int32 arithmetic would overflow (a multiplier above 2^22), the value
        // is past either end of the clamp anyway.
        let v = m
            .apply(s - q.in_zp)
            .map_or(if s >= q.in_zp { hi } else { lo }, |v| v + q.out_zp);
        v.clamp(lo, hi)
    }
}

/// A standalone RELU/RELU6/RELU_N1_TO_1 or QUANTIZE between two 8-bit quantizations: the
/// input requantized by `s_in / s_out` (in `f64`), clamped to `[lo, hi]`.
pub fn requantize(q: Quant, lo: i64, hi: i64) -> impl Fn(i64) -> i64 {
    let m = QuantizedMultiplier::from_real(q.in_scale as f64 / q.out_scale as f64);
    rescale(q, m, lo, hi)
}

/// int8/uint8 LEAKY_RELU: the identity and the slope requantized separately, the one used
/// picked by the input's sign. The multipliers are computed as the interpreter computes them,
/// `s_in·alpha / s_out` in `f32` before widening to `f64`.
pub fn leaky_relu(q: Quant, alpha: f32) -> impl Fn(i64) -> i64 {
    let identity = QuantizedMultiplier::from_real(q.in_scale as f64 / q.out_scale as f64);
    let slope = QuantizedMultiplier::from_real((q.in_scale * alpha / q.out_scale) as f64);
    let (pos, neg) = (
        rescale(q, identity, q.out_min, q.out_max),
        rescale(q, slope, q.out_min, q.out_max),
    );
    move |s| if s >= q.in_zp { pos(s) } else { neg(s) }
}

/// int8 ABS: `|s - zp_in|`, requantized by `s_in / s_out` only when the two scales differ (the
/// kernel's `needs_rescale`; the ratio divided in `f32`, as its `SetAbsOutputMultiplier` does),
/// `zp_out` added, clamped to the output's type. A product past int32 is past the clamp.
pub fn abs(q: Quant) -> impl Fn(i64) -> i64 {
    let multiplier = (q.in_scale != q.out_scale)
        .then(|| QuantizedMultiplier::from_real((q.in_scale / q.out_scale) as f64));
    move |s| {
        let magnitude = (s - q.in_zp).abs();
        let rescaled = match multiplier {
            None => Some(magnitude),
            Some(m) => m.apply(magnitude),
        };
        rescaled
            .map_or(q.out_max, |v| v + q.out_zp)
            .clamp(q.out_min, q.out_max)
    }
}

/// int8/uint8 PRELU's identity side: where the centred input is at least 0, the input
/// requantized by `identity` (`s_in / s_out`) and clamped to the output's type; elsewhere the
/// output's zero point (the slope side, proven apart, is then added to it).
pub fn prelu_identity_side(q: Quant, identity: QuantizedMultiplier) -> impl Fn(i64) -> i64 {
    let requantized = rescale(q, identity, q.out_min, q.out_max);
    move |s| {
        if s >= q.in_zp {
            requantized(s)
        } else {
            q.out_zp
        }
    }
}

/// uint8 CONCATENATION's rescale of an input quantized unlike the output:
/// `round(s·scale + bias) + zp_out` with `scale = s_in·(1/s_out)` and `bias = -zp_in·scale`,
/// all in `f32`, clamped to the output's range.
pub fn concat_rescale(q: Quant) -> impl Fn(i64) -> i64 {
    let scale = q.in_scale * (1.0f32 / q.out_scale);
    let bias = -(q.in_zp as f32) * scale;
    move |s| {
        let v = ((s as f32) * scale + bias).round() as i64 + q.out_zp;
        v.clamp(q.out_min, q.out_max)
    }
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul` on int16.
fn srdhm16(a: i16, b: i16) -> i16 {
    if a == b && a == i16::MIN {
        return i16::MAX;
    }
    let ab = a as i32 * b as i32;
    let nudge = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    // C++ integer division truncates toward zero, as Rust's does.
    ((ab + nudge) / (1 << 15)) as i16
}

/// TFLite's `SaturatingDoublingHighMul` on int16 (no rounding: truncated).
fn sdhm16(a: i16, b: i16) -> i16 {
    if a == b && a == i16::MIN {
        return i16::MAX;
    }
    ((a as i32 * b as i32) / (1 << 15)) as i16
}

/// gemmlowp's `RoundingDivideByPOT` on int16: half away from zero.
fn rdbp16(x: i16, exponent: i32) -> i16 {
    let mask = ((1i32 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i16;
    (x >> exponent) + (remainder > threshold) as i16
}

fn saturating_left_shift16(x: i16, shift: i32) -> i16 {
    (x as i32 * (1 << shift)).clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// `DownScaleInt32ToInt16Multiplier`.
fn to_int16_multiplier(m: i32) -> i16 {
    const ROUNDING: i32 = 1 << 15;
    if m >= i32::MAX - ROUNDING {
        return i16::MAX;
    }
    ((m + ROUNDING) >> 16) as i16
}

/// int8/uint8 HARD_SWISH: `reference_ops::HardSwish` with `HardSwishPrepare`'s parameters.
/// Prepare refuses an output multiplier above one, and so does this.
pub fn hard_swish(q: Quant) -> Result<impl Fn(i64) -> i64> {
    let hires_input_scale = (1.0f32 / 128.0) * q.in_scale;
    let reluish_scale = 3.0f32 / 32768.0;
    let output = QuantizedMultiplier::from_real((hires_input_scale / q.out_scale) as f64);
    let reluish = QuantizedMultiplier::from_real((hires_input_scale / reluish_scale) as f64);
    if output.shift > 0 {
        return Err(Error::InvalidModel(format!(
            "HARD_SWISH from scale {} to {}: the output multiplier exceeds one",
            q.in_scale, q.out_scale
        )));
    }
    let output_m16 = to_int16_multiplier(output.multiplier);
    let reluish_m16 = to_int16_multiplier(reluish.multiplier);
    Ok(move |s| {
        let input_value = (s - q.in_zp) as i16;
        let hires = input_value.wrapping_mul(1 << 7);
        let preshift_output = srdhm16(hires, output_m16);
        let mut reluish_value = hires;
        if reluish.shift > 0 {
            reluish_value = saturating_left_shift16(reluish_value, reluish.shift - 1);
        }
        reluish_value = srdhm16(reluish_value, reluish_m16);
        if reluish.shift > 0 {
            reluish_value = saturating_left_shift16(reluish_value, 1);
        }
        if reluish.shift < 0 {
            reluish_value = rdbp16(reluish_value, -reluish.shift);
        }
        let reluish_value = ((reluish_value as i32 + (1 << 15)) >> 1) as i16;
        let preshift = sdhm16(reluish_value, preshift_output);
        let out = rdbp16(preshift, -output.shift) as i64 + q.out_zp;
        out.clamp(q.out_min, q.out_max)
    })
}

/// gemmlowp's `SaturatingRoundingMultiplyByPOT<e>` for `e > 0`: a left shift that saturates.
fn saturating_shift_left(x: i32, e: u32) -> i32 {
    let threshold = (1i32 << (31 - e)) - 1;
    if x > threshold {
        i32::MAX
    } else if x < -threshold {
        i32::MIN
    } else {
        x << e
    }
}

/// TFLite's `GetInvSqrtQuantizedMultiplierExp(input, kReverseShift)`: `1/√input` as a Q0.31
/// multiplier and a shift (left when positive), by five Newton steps in gemmlowp's Q3.28 from
/// a guess of 1, the input first normalised into `[2^27, 2^29)` by pairs of bits.
pub fn inv_sqrt_multiplier_exp(input: i32) -> (i32, i32) {
    if input <= 1 {
        // TFLite treats 0 as 1 (and the caller never passes 0).
        return (i32::MAX, 0);
    }
    let mut input = input;
    let mut shift = 11i32;
    while input >= 1 << 29 {
        input /= 4;
        shift += 1;
    }
    let max_left_shift_bits = (input as u32).leading_zeros() - 1;
    let left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
    shift -= left_shift_bit_pairs as i32;
    input <<= 2 * left_shift_bit_pairs;
    // Q3.28 numbers: a product of two is Q6.25, of three Q9.22; `Rescale<3>` brings either
    // back to Q3.28 by a saturating left shift.
    let fixed_input = input >> 1;
    let half_input = rounding_divide_by_pot(fixed_input, 1);
    let half_three = (1i32 << 28) + (1 << 27);
    let mut x = 1i32 << 28;
    for _ in 0..5 {
        let x3 = saturating_shift_left(srdhm(srdhm(x, x), x), 6);
        let step = srdhm(half_three, x).wrapping_sub(srdhm(half_input, x3));
        x = saturating_shift_left(step, 3);
    }
    // Times √2/2 in Q0.31: the product stays Q3.28.
    let mut multiplier = srdhm(x, 1_518_500_250);
    if shift < 0 {
        multiplier = multiplier.wrapping_shl(-shift as u32);
        shift = 0;
    }
    // `kReverseShift`: the shift returned is a left shift.
    (multiplier, -shift)
}

/// int8 RSQRT as the interpreter's elementwise kernel computes it (TFLite has no uint8 RSQRT):
/// `value = s - zp_in`; 0 gives the largest output; otherwise
/// `MBQM(MBQM(1, inv_sqrt(value), shift + 20), M, m_shift - 20) + zp_out`, clamped, where `M`
/// is `1 / (√s_in · s_out)` (the square root and product in `f32`, the quotient in `f64`).
/// The interpreter refuses to run on an input below its zero point; such inputs read as 0
/// does here (the largest output), as TensorFlow's own TOSA lowering of RSQRT tabulates them.
pub fn rsqrt(q: Quant) -> impl Fn(i64) -> i64 {
    const SHIFT: i32 = 20;
    let scale = 1.0 / f64::from(q.in_scale.sqrt() * q.out_scale);
    let m = QuantizedMultiplier::from_real(scale);
    move |s| {
        let value = s - q.in_zp;
        if value <= 0 {
            return q.out_max;
        }
        let (inv_sqrt, inv_shift) = inv_sqrt_multiplier_exp(value as i32);
        let data = QuantizedMultiplier {
            multiplier: inv_sqrt,
            shift: inv_shift + SHIFT,
        }
        .apply(1);
        let out = data.and_then(|d| {
            QuantizedMultiplier {
                multiplier: m.multiplier,
                shift: m.shift - SHIFT,
            }
            .apply(d)
        });
        // Beyond int32 the value is far past the top of the clamp.
        out.map_or(q.out_max, |v| v + q.out_zp)
            .clamp(q.out_min, q.out_max)
    }
}
