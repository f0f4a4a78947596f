//! The TFLite interpreter's 8-bit arithmetic for elementwise operators, as functions of one
//! stored input value (so that [`crate::ops::lookup::ByteLookup`] can tabulate them):
//! - LOGISTIC, TANH, EXP and GELU: the interpreter's lookup table (`LUTPopulate`): dequantize in `f32`,
//!   apply the `f32` function, multiply by the inverse output scale, round half away from
//!   zero, add the zero point, clamp. The functions are musl's `expf`/`tanhf` (the `libm`
//!   crate), so every platform computes the same tables.
//! - HARD_SWISH: `reference_ops::HardSwish`'s int16 fixed-point arithmetic.
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
use crate::qgraph::QuantizedMultiplier;

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
