//! The quantized graph: the exact integer semantics the circuit proves.
//!
//! Every tensor holds integers `v` standing for `v / 2^frac_bits`. Every computing step is one of
//! - `Linear`: `acc = bias + Σ w·x` over a sparse term list, then `q = floor((acc + ⌊d/2⌋) / d)`
//!   (round half up), then `y = act(q)`; `q` must lie in the activation domain
//!   `[-2^(B-1), 2^(B-1))`. Conv, Dense, Add, average pooling and standalone Relu/Clip all lower here.
//! - `Max`: `y = max(window)` (max pooling).
//! - `Reshape`: the same integers under a new shape.
//!
//! The integer evaluator here and the circuit's witness generation both enumerate terms through
//! [`Linear::terms`] and round through [`Rescale::apply`], so the proof's output equals this
//! evaluator's output bit for bit.

use crate::error::{Error, Result};
use crate::ir::{ConvGeometry, Window2d};
use crate::ops::gather::Pick;
use crate::ops::unary::TableFn;
use serde::{Deserialize, Serialize};

pub type QTensorId = usize;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QTensor {
    pub name: String,
    pub shape: Vec<usize>,
    /// Power-of-two scale (models we quantize): integers stand for `v / 2^frac_bits`.
    pub frac_bits: i32,
    /// Affine scale (models quantized by TFLite): integers hold `q - zero_point`, standing for
    /// `v · scale`. Overrides `frac_bits` when present.
    #[serde(default)]
    pub affine: Option<AffineQuant>,
}

/// A tensor's affine quantization as TFLite stores it: `real = scale · (q - zero_point)` with
/// `q` in `[q_min, q_max]` (e.g. uint8).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffineQuant {
    pub scale: f32,
    pub zero_point: i64,
    pub q_min: i64,
    pub q_max: i64,
}

impl AffineQuant {
    /// TFLite's quantization of a real value, as its QUANTIZE operator computes it:
    /// `round(x / scale) + zero_point` (the division in f64, rounded half away from zero),
    /// clamped to the stored range, returned centred (minus the zero point).
    pub fn quantize_centred(&self, x: f32) -> i64 {
        // Clamped as a float first: a huge input (or a huge zero point) must saturate to the
        // stored range, not overflow the integer sum.
        let q = ((x as f64 / self.scale as f64).round() + self.zero_point as f64)
            .clamp(self.q_min as f64, self.q_max.max(self.q_min) as f64);
        q as i64 - self.zero_point
    }
}

impl QTensor {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Integers per real unit.
    pub fn scale(&self) -> f64 {
        match self.affine {
            Some(a) => 1.0 / a.scale as f64,
            None => (2f64).powi(self.frac_bits),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    Identity,
    Relu,
    /// Clamp to [lo, hi] (both inside the activation domain), e.g. ReLU6.
    Clip {
        lo: i64,
        hi: i64,
    },
    /// A function by its table, from the quotient's scale to the output's
    /// ([`crate::ops::unary`]).
    Table(TableFn),
}

impl Activation {
    pub fn apply(self, q: i64) -> i64 {
        match self {
            Activation::Identity => q,
            Activation::Relu => q.max(0),
            Activation::Clip { lo, hi } => q.clamp(lo, hi),
            Activation::Table(t) => t.apply(q),
        }
    }
}

/// Rounding division plus an activation, applied to each accumulator of a Linear step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rescale {
    pub rounding: Rounding,
    pub act: Activation,
}

/// How an accumulator becomes an output quotient.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Rounding {
    /// `q = floor((acc + ⌊d/2⌋) / d)`: round half up, one divisor per output element (they differ
    /// only for average pools at borders). The models we quantize ourselves use this.
    HalfUp { divisors: Vec<u64> },
    /// TFLite's integer requantization (`MultiplyByQuantizedMultiplier`), one multiplier per
    /// channel: `q = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc·2^l, M), r)`; the
    /// activation then clamps `q + out_zero_point` in the stored (e.g. uint8) domain and the
    /// zero point is taken off again, since tensors hold values centred on their zero point.
    FixedPoint(FixedPointRequant),
    /// TFLite's int8 AVERAGE_POOL_2D: the **raw** (stored, uncentred) window sum `R = Σ + d·zp`
    /// divided by `d` and rounded half away from zero, one divisor per output element. With the
    /// centred half-up quotient `q' = ⌊(Σ + ⌊d/2⌋) / d⌋` (the accumulator holds the bias
    /// `⌊d/2⌋`, as for [`Rounding::HalfUp`]) that is `q' − 1` on a tie (`d` even, remainder 0)
    /// whose raw sum is negative, i.e. `q' + zp <= 0`, and `q'` otherwise. For uint8 the raw sum
    /// is never negative, which is why TFLite's uint8 pool is plain half up.
    HalfAwayFromZero { divisors: Vec<u64>, zero_point: i64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedPointRequant {
    /// Per channel; a single entry for per-tensor quantization.
    pub multipliers: Vec<QuantizedMultiplier>,
    /// Output elements per channel block: output `o` uses `multipliers[(o / inner) % len]`.
    pub inner: usize,
    /// Added to the quotient before the activation's clamp (the output zero point, or TFLite
    /// MEAN's bias).
    pub out_offset: i64,
    /// Subtracted after the clamp, to centre the stored value.
    pub out_zero_point: i64,
    /// Whether the final rounding right shift rounds ties up (toward +∞) instead of away from
    /// zero: ruy's x86 kernels, which TFLite runs for int8 CONV_2D and FULLY_CONNECTED on x86
    /// (gemmlowp, with ties away from zero, serves uint8 and depthwise convolutions).
    #[serde(default)]
    pub ties_up: bool,
}

impl FixedPointRequant {
    pub fn multiplier(&self, out: usize) -> QuantizedMultiplier {
        self.multipliers[(out / self.inner.max(1)) % self.multipliers.len()]
    }

    /// Output `out`'s quotient from its accumulator (before the offset and clamp). None when
    /// TFLite's int32 arithmetic would overflow.
    pub fn quotient(&self, out: usize, acc: i64) -> Option<i64> {
        let m = self.multiplier(out);
        if self.ties_up {
            m.apply_ties_up(acc)
        } else {
            m.apply(acc)
        }
    }
}

/// TFLite's fixed-point multiplier: the real multiplier is `multiplier · 2^(shift - 31)` with
/// `multiplier` in `[2^30, 2^31)` (or 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedMultiplier {
    pub multiplier: i32,
    /// Positive: left shift before the multiply; negative: rounding right shift after it.
    pub shift: i32,
}

impl QuantizedMultiplier {
    /// TFLite's `QuantizeMultiplier` (the `frexp` path): round the significand half away from
    /// zero to 31 bits.
    pub fn from_real(real: f64) -> Self {
        if real == 0.0 || !real.is_finite() {
            return QuantizedMultiplier {
                multiplier: 0,
                shift: 0,
            };
        }
        let (q, mut shift) = frexp(real);
        let mut fixed = (q * (1i64 << 31) as f64).round() as i64;
        if fixed == 1i64 << 31 {
            fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            shift = 0;
            fixed = 0;
        }
        QuantizedMultiplier {
            multiplier: fixed as i32,
            shift,
        }
    }

    /// `MultiplyByQuantizedMultiplier(x, multiplier, shift)` exactly as TFLite computes it on
    /// int32 (double rounding). None when `x·2^left_shift` leaves int32, where TFLite itself
    /// would overflow.
    pub fn apply(self, x: i64) -> Option<i64> {
        let (h, right) = self.high_mul(x)?;
        Some(rounding_divide_by_pot(h, right) as i64)
    }

    /// The same product as ruy's x86 (AVX, AVX2, AVX-512) kernels compute it: the first rounding
    /// as [`QuantizedMultiplier::apply`], then a right shift that rounds ties up,
    /// `(h + 2^(r-1)) >> r`. It differs from `apply` by +1 exactly on negative ties.
    pub fn apply_ties_up(self, x: i64) -> Option<i64> {
        let (h, right) = self.high_mul(x)?;
        let h = h as i64;
        Some(if right == 0 {
            h
        } else {
            (h + (1i64 << (right - 1))) >> right
        })
    }

    /// The final rounding right shift, `max(-shift, 0)` (the fixed-point chip's `e`).
    /// The real number this multiplier stands for: `multiplier / 2^31 · 2^shift`.
    pub fn real(self) -> f64 {
        f64::from(self.multiplier) * 2f64.powi(self.shift - 31)
    }

    pub fn right_shift(self) -> u32 {
        (-self.shift).max(0) as u32
    }

    /// The first rounding both products share, `SaturatingRoundingDoublingHighMul(x·2^left, M)`,
    /// and the right shift left to do. None when `x·2^left` leaves int32.
    fn high_mul(self, x: i64) -> Option<(i32, u32)> {
        let left = self.shift.max(0) as u32;
        let right = self.right_shift();
        // Past 31 bits only 0 stays within int32 (and the shift itself within i64).
        if left > 31 {
            return (x == 0).then_some((0, right));
        }
        let shifted = i32::try_from(x.checked_mul(1i64 << left)?).ok()?;
        Some((
            saturating_rounding_doubling_high_mul(shifted, self.multiplier),
            right,
        ))
    }
}

/// `frexp`: `x = m · 2^e` with `|m|` in `[0.5, 1)`.
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    if exp_bits == 0 {
        // Subnormal: scale up first.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let e = exp_bits - 1022;
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, e)
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge = if ab >= 0 {
        1i64 << 30
    } else {
        1 - (1i64 << 30)
    };
    // C++ integer division truncates toward zero; so does Rust's.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: round half away from zero.
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    if exponent == 0 {
        return x;
    }
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

impl Rescale {
    pub fn half_up(divisors: Vec<u64>, act: Activation) -> Self {
        Rescale {
            rounding: Rounding::HalfUp { divisors },
            act,
        }
    }

    /// The divisor of output `out`, for half-up rounding.
    pub fn divisor(&self, out: usize) -> Option<u64> {
        match &self.rounding {
            Rounding::HalfUp { divisors } | Rounding::HalfAwayFromZero { divisors, .. } => {
                divisors.get(out).copied()
            }
            Rounding::FixedPoint(_) => None,
        }
    }

    /// The constant added to the accumulator before rounding (⌊d/2⌋ for half up).
    pub fn bias_offset(&self, out: usize) -> i128 {
        self.divisor(out).map_or(0, Rescale::half)
    }

    /// Output `out`'s quotient (before the activation) from its accumulator, which already
    /// includes [`Rescale::bias_offset`]. None when TFLite's int32 arithmetic would overflow.
    pub fn quotient(&self, out: usize, acc: i128) -> Option<i128> {
        match &self.rounding {
            Rounding::HalfUp { divisors } => Some(Rescale::floor_div(acc, divisors[out]).0),
            Rounding::HalfAwayFromZero {
                divisors,
                zero_point,
            } => Some(Rescale::half_away_from_zero_on_raw(
                acc,
                divisors[out],
                *zero_point,
            )),
            Rounding::FixedPoint(fp) => {
                let acc = i32::try_from(acc).ok()?;
                fp.quotient(out, acc as i64).map(|q| q as i128)
            }
        }
    }

    /// The activation of a quotient, in the tensor's centred domain.
    pub fn activate(&self, q: i64) -> i64 {
        match &self.rounding {
            Rounding::HalfUp { .. } | Rounding::HalfAwayFromZero { .. } => self.act.apply(q),
            Rounding::FixedPoint(fp) => self.act.apply(q + fp.out_offset) - fp.out_zero_point,
        }
    }

    /// Floor division with remainder, `acc = q·d + r`, `0 <= r < d`: the relation the circuit
    /// proves. Rounding half up comes from adding [`Rescale::half`] to the accumulator first.
    pub fn floor_div(acc: i128, d: u64) -> (i128, u64) {
        let d = d as i128;
        (acc.div_euclid(d), acc.rem_euclid(d) as u64)
    }

    /// `⌊d/2⌋`, folded into the bias so that flooring rounds half up.
    pub fn half(d: u64) -> i128 {
        (d / 2) as i128
    }

    /// [`Rounding::HalfAwayFromZero`]'s quotient from an accumulator that includes
    /// [`Rescale::half`]: the half-up quotient, one lower on a tie whose raw sum is negative.
    pub fn half_away_from_zero_on_raw(acc: i128, d: u64, zero_point: i64) -> i128 {
        let (q, r) = Rescale::floor_div(acc, d);
        q - Rescale::raw_negative_tie(q, r, d, zero_point) as i128
    }

    /// Whether a half-up quotient `q` with remainder `r` is a tie (`d` even, `r = 0`) whose raw
    /// sum is negative: at a tie the raw sum is `d·(q + zp) − d/2`, negative exactly when
    /// `q + zp <= 0`.
    pub fn raw_negative_tie(q: i128, r: u64, d: u64, zero_point: i64) -> bool {
        d.is_multiple_of(2) && r == 0 && q + zero_point as i128 <= 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// Which of the step's input tensors.
    pub slot: usize,
    pub index: usize,
    pub weight: i64,
    /// Index of the weight in its Conv/Dense kernel (the parameter a hidden model commits to),
    /// or [`Term::STRUCTURAL`] for the fixed weights of pooling and elementwise steps.
    pub param: usize,
}

impl Term {
    pub const STRUCTURAL: usize = usize::MAX;
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum LinearKernel {
    Conv {
        geometry: ConvGeometry,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
        /// OIHW
        weight: Vec<i64>,
        /// Per output channel.
        bias: Vec<i64>,
    },
    /// Applied to each row of `n_in` values: output `r·n_out + o` is row `r` times weight row
    /// `o` (one row for a classifier head; a token per row in a sequence).
    Dense {
        n_in: usize,
        n_out: usize,
        /// [n_out][n_in]
        weight: Vec<i64>,
        bias: Vec<i64>,
    },
    /// Sum over each pooling window with a constant weight (average pooling before division).
    PoolSum {
        window: Window2d,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
        weight: i64,
    },
    /// `y[i] = Σ_s weights[s]·x_s[i] + bias(i)` over the step's inputs (Add, scaling, standalone
    /// activations), the bias a constant broadcast over the output ([`BroadcastBias`]).
    Elementwise {
        weights: Vec<i64>,
        bias: Option<BroadcastBias>,
    },
    /// Output `o` is `Σ w·x[i]` over its own list `taps[o]` of `(i, w)`: a fixed sparse map
    /// whose weights differ from output to output (TFLite's int8 bilinear resize, rounded once
    /// after both axes). Structural weights, no bias.
    Taps { taps: Vec<Vec<(usize, i64)>> },
}

/// A constant added to every output of an elementwise step, held once however often it repeats:
/// output `o` adds `values[(o / stride) % values.len()]`. A scalar has one value, a per-channel
/// constant one per channel (the stride is the positions each channel covers), and a constant
/// that repeats in no such pattern one value per output (stride 1). Why: hidden weights commit
/// every value, and a scalar broadcast over a 1.2 M-element activation (GELU's `+ 1`) would
/// otherwise commit 1.2 M copies of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastBias {
    pub values: Vec<i64>,
    pub stride: usize,
}

impl BroadcastBias {
    /// The constant `values` (in its own order) broadcast so that output `o` adds
    /// `values[index_of[o]]`: held as they are when `index_of` repeats as
    /// `(o / stride) % values.len()`, else as one value per output.
    pub fn compact(values: Vec<i64>, index_of: &[usize]) -> Self {
        let n = values.len().max(1);
        let stride = index_of
            .iter()
            .position(|&i| Some(&i) != index_of.first())
            .unwrap_or(index_of.len())
            .max(1);
        let repeats = index_of
            .iter()
            .enumerate()
            .all(|(o, &i)| (o / stride) % n == i);
        if repeats && !values.is_empty() {
            BroadcastBias { values, stride }
        } else {
            BroadcastBias {
                values: index_of.iter().map(|&i| values[i]).collect(),
                stride: 1,
            }
        }
    }

    /// The index into `values` of output `o`'s bias.
    pub fn index(&self, o: usize) -> usize {
        (o / self.stride.max(1)) % self.values.len().max(1)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Linear {
    pub kernel: LinearKernel,
    pub rescale: Rescale,
}

impl Linear {
    /// Fills `terms` with the products feeding output `out` and returns the constant term.
    pub fn terms(&self, out: usize, terms: &mut Vec<Term>) -> i128 {
        terms.clear();
        match &self.kernel {
            LinearKernel::Conv {
                geometry,
                in_shape,
                out_shape,
                weight,
                bias,
            } => {
                geometry.for_each_term(in_shape, out_shape, out, |i, wi| {
                    terms.push(Term {
                        slot: 0,
                        index: i,
                        weight: weight[wi],
                        param: wi,
                    })
                });
                bias[out / (out_shape[2] * out_shape[3])] as i128
            }
            LinearKernel::Dense {
                n_in,
                n_out,
                weight,
                bias,
            } => {
                let (r, o) = (out / n_out, out % n_out);
                let row = &weight[o * n_in..(o + 1) * n_in];
                terms.extend(row.iter().enumerate().map(|(i, &w)| Term {
                    slot: 0,
                    index: r * n_in + i,
                    weight: w,
                    param: o * n_in + i,
                }));
                bias[o] as i128
            }
            LinearKernel::PoolSum {
                window,
                in_shape,
                out_shape,
                weight,
            } => {
                let idx = window.pooled_indices(in_shape, out_shape, out);
                terms.extend(idx.into_iter().map(|index| Term {
                    slot: 0,
                    index,
                    weight: *weight,
                    param: Term::STRUCTURAL,
                }));
                0
            }
            LinearKernel::Elementwise { weights, bias } => {
                terms.extend(weights.iter().enumerate().map(|(s, &w)| Term {
                    slot: s,
                    index: out,
                    weight: w,
                    param: Term::STRUCTURAL,
                }));
                bias.as_ref().map_or(0, |b| b.values[b.index(out)] as i128)
            }
            LinearKernel::Taps { taps } => {
                terms.extend(taps[out].iter().map(|&(index, weight)| Term {
                    slot: 0,
                    index,
                    weight,
                    param: Term::STRUCTURAL,
                }));
                0
            }
        }
    }
}

impl Linear {
    /// How many terms each of the step's `n_out` outputs has, as (terms, outputs with that many)
    /// pairs: the lengths of [`Linear::terms`] over every output, counted without building the
    /// terms (convolutions count per output position, the rest from their shapes).
    pub fn term_counts(&self, n_out: usize) -> std::collections::BTreeMap<usize, usize> {
        let mut counts = std::collections::BTreeMap::new();
        let mut add = |terms: usize, outputs: usize| {
            if outputs > 0 {
                *counts.entry(terms).or_insert(0) += outputs;
            }
        };
        match &self.kernel {
            LinearKernel::Conv {
                geometry,
                in_shape,
                out_shape,
                ..
            } => {
                for (terms, outputs) in geometry.term_counts(in_shape, out_shape) {
                    add(terms, outputs);
                }
            }
            LinearKernel::Dense { n_in, .. } => add(*n_in, n_out),
            LinearKernel::PoolSum {
                window,
                in_shape,
                out_shape,
                ..
            } => {
                for (terms, outputs) in window.term_counts(in_shape, out_shape, 1) {
                    add(terms, outputs);
                }
            }
            LinearKernel::Elementwise { weights, .. } => add(weights.len(), n_out),
            LinearKernel::Taps { taps } => {
                for t in taps.iter().take(n_out) {
                    add(t.len(), 1);
                }
            }
        }
        counts
    }
}

impl Linear {
    /// A convolution's sums `bias + Σ w·x` for each of its `n_out` outputs (the terms of
    /// [`Linear::terms`] without the rounding offset), computed plane by plane without
    /// materialising the terms: the hot path at ImageNet scale. None for other kernels.
    pub fn conv_sums(&self, step: &str, n_out: usize, x: &[i64]) -> Result<Option<Vec<i64>>> {
        let LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            weight,
            bias,
        } = &self.kernel
        else {
            return Ok(None);
        };
        let per_channel = out_shape[2] * out_shape[3];
        let mut sums: Vec<i64> = bias
            .iter()
            .flat_map(|&b| std::iter::repeat_n(b, per_channel))
            .collect();
        if sums.len() != n_out {
            return Err(Error::InvalidModel(format!(
                "step '{step}': {} biases for {n_out} outputs",
                bias.len()
            )));
        }
        geometry.accumulate(in_shape, out_shape, x, weight, &mut sums);
        Ok(Some(sums))
    }

    /// The sums `bias + Σ w·x` of the steps the randomized check can take, in the step's own
    /// output order: a convolution's ([`Linear::conv_sums`]), or a Dense step's over each of
    /// its rows. None for other kernels.
    pub fn check_sums(&self, step: &str, n_out: usize, x: &[i64]) -> Result<Option<Vec<i64>>> {
        let LinearKernel::Dense {
            n_in,
            n_out: width,
            weight,
            bias,
        } = &self.kernel
        else {
            return self.conv_sums(step, n_out, x);
        };
        let (n_in, width) = (*n_in, *width);
        if width == 0
            || !n_out.is_multiple_of(width)
            || x.len() != n_out / width * n_in
            || weight.len() != width * n_in
            || bias.len() != width
        {
            return Err(Error::InvalidModel(format!(
                "step '{step}': a Dense step of {n_in} inputs and {width} outputs a row does not \
                 fit {} inputs and {n_out} outputs",
                x.len()
            )));
        }
        let mut sums = Vec::with_capacity(n_out);
        for row in x.chunks(n_in.max(1)).take(n_out / width) {
            for (o, &b) in bias.iter().enumerate() {
                let w = &weight[o * n_in..(o + 1) * n_in];
                sums.push(b + w.iter().zip(row).map(|(&w, &v)| w * v).sum::<i64>());
            }
        }
        Ok(Some(sums))
    }

    /// The learned parameters (weights, bias) of a step: what a model with hidden weights
    /// commits to. Conv and Dense: their weights and biases; an elementwise step with a bias
    /// (e.g. a constant added after a MatMul): that bias, its weights being structural scale
    /// factors. None for pooling sums and bias-free elementwise steps.
    pub fn params(&self) -> Option<(&[i64], &[i64])> {
        match &self.kernel {
            LinearKernel::Conv { weight, bias, .. } | LinearKernel::Dense { weight, bias, .. } => {
                Some((weight, bias))
            }
            LinearKernel::Elementwise {
                bias: Some(bias), ..
            } => Some((&[], &bias.values)),
            _ => None,
        }
    }

    /// Index into [`Linear::params`]'s bias of output `out`'s bias.
    pub fn bias_index(&self, out: usize) -> Option<usize> {
        match &self.kernel {
            LinearKernel::Conv { out_shape, .. } => Some(out / (out_shape[2] * out_shape[3])),
            LinearKernel::Dense { n_out, .. } => Some(out % n_out),
            LinearKernel::Elementwise { bias: Some(b), .. } => Some(b.index(out)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum StepKind {
    Linear(Linear),
    Max {
        window: Window2d,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
    },
    Reshape,
    /// The output is the input's values from `start` on (as many as the output holds). Segments
    /// cut where several tensors are live read them out of their one linked input this way.
    Slice {
        start: usize,
    },
    /// The output is the inputs' values one after another (a segment's several live tensors
    /// gathered into its one linked output).
    Concat,
    /// TFLite's quantized ADD of two tensors: each input is shifted left, requantized to a
    /// common scale, summed and requantized again (three roundings, all kept).
    QuantizedAdd(QuantizedAdd),
    /// TFLite's quantized SUB: ADD's arithmetic with the second rescaled input subtracted
    /// (rounded before the sign changes, as the interpreter does).
    QuantizedSub(QuantizedAdd),
    /// Data movement: each output element is one input element or zero
    /// ([`crate::ops::gather`]); the inputs share the output's scale.
    Gather {
        picks: Vec<Pick>,
    },
    /// The product of two tensors ([`crate::ops::mul`]), rounded to the output's scale.
    Product(crate::ops::mul::Product),
    /// An 8-bit tensor through an explicit table ([`crate::ops::lookup`]): TFLite's int8 and
    /// uint8 elementwise operators.
    Lookup(crate::ops::lookup::ByteLookup),
    /// TFLite's quantized MUL of two tensors, the second broadcast to the first.
    QuantizedMul(QuantizedMul),
    /// The batched matrix product of two tensors ([`crate::ops::matmul`]), rounded to the
    /// output's scale.
    MatMul(crate::ops::matmul::MatProduct),
    /// Each token's row of a fixed embedding table, selected by its id
    /// ([`crate::ops::embedding`]): a lookup, no one-hot vector.
    Embedding(crate::ops::embedding::EmbeddingTable),
    /// TFLite's int8/uint8 SOFTMAX over rows, as its reference kernel computes it
    /// ([`crate::ops::byte_softmax`]).
    ByteSoftmax(crate::ops::byte_softmax::ByteSoftmax),
    /// TFLite's int8 SQUARED_DIFFERENCE of two tensors, the second broadcast to the first
    /// ([`crate::ops::squared_difference`]).
    SquaredDifference(crate::ops::squared_difference::SquaredDifference),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantizedAdd {
    pub left_shift: u32,
    pub input_multipliers: [QuantizedMultiplier; 2],
    pub output_multiplier: QuantizedMultiplier,
    pub out_zero_point: i64,
    /// Clamp bounds in the stored domain (e.g. `[0, 255]` for uint8).
    pub act_min: i64,
    pub act_max: i64,
}

impl QuantizedAdd {
    /// One output of ADD from the two centred inputs; None on int32 overflow.
    pub fn apply(&self, a: i64, b: i64) -> Option<i64> {
        self.apply_signed(a, b, false)
    }

    /// One output of ADD, or of SUB when `subtract`; None on int32 overflow.
    pub fn apply_signed(&self, a: i64, b: i64, subtract: bool) -> Option<i64> {
        let scaled =
            |x: i64, m: QuantizedMultiplier| m.apply(x.checked_mul(1i64 << self.left_shift)?);
        let (a, b) = (
            scaled(a, self.input_multipliers[0])?,
            scaled(b, self.input_multipliers[1])?,
        );
        let sum = if subtract { a - b } else { a + b };
        let raw = self.output_multiplier.apply(sum)? + self.out_zero_point;
        Some(raw.clamp(self.act_min, self.act_max) - self.out_zero_point)
    }
}

/// TFLite's quantized MUL of two tensors: `clamp(M(a·b) + zp_out)` with both inputs centred on
/// their zero points, `M` the `MultiplyByQuantizedMultiplier` of `s_a·s_b / s_out`. The second
/// input is broadcast to the first: output `o` reads its element `second[o]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantizedMul {
    pub second: Vec<u32>,
    pub multiplier: QuantizedMultiplier,
    pub out_zero_point: i64,
    /// Clamp bounds in the stored domain.
    pub act_min: i64,
    pub act_max: i64,
}

impl QuantizedMul {
    /// One output from the two centred inputs; None on int32 overflow.
    pub fn apply(&self, a: i64, b: i64) -> Option<i64> {
        let raw = self.multiplier.apply(a.checked_mul(b)?)? + self.out_zero_point;
        Some(raw.clamp(self.act_min, self.act_max) - self.out_zero_point)
    }

    /// The outputs from the inputs; None when an index is out of range or a product overflows.
    pub fn apply_all(&self, a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
        if a.len() != self.second.len() {
            return None;
        }
        a.iter()
            .zip(&self.second)
            .map(|(&x, &j)| self.apply(x, *b.get(j as usize)?))
            .collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QStep {
    pub name: String,
    pub kind: StepKind,
    pub inputs: Vec<QTensorId>,
    pub output: QTensorId,
}

impl QStep {
    /// Input indices of max-pool output `out`.
    pub fn max_window(
        window: &Window2d,
        in_shape: &[usize],
        out_shape: &[usize],
        out: usize,
    ) -> Vec<usize> {
        window.pooled_indices(in_shape, out_shape, out)
    }
}

/// Quantizes float values for a tensor of `shape` at scale 2^frac_bits into the `act_bits`
/// activation domain (round to nearest; an error, not a clamp, outside the domain). The input
/// rule a prover and a consumer (hashing the input it sent) must share.
/// How a float input becomes the integers a proof is about, for a tensor of `shape` with
/// `frac_bits` or, for a TFLite tensor, its affine quantization: the one rule the prover
/// ([`QGraph::quantize_input`]) and the verifier (`verify::input_hash`, `verify::proves_input`)
/// both apply, so that a consumer's input check quantizes exactly as the proof did. An affine
/// quantization read from an untrusted key is checked before use.
fn operands_out_of_range(step: &QStep) -> Error {
    Error::InvalidModel(format!("step '{}': operands out of range", step.name))
}

/// A product's rounded quotients, each checked to lie in the activation domain `[lo, hi]`.
fn within_domain(
    step: &QStep,
    quotients: impl Iterator<Item = i128>,
    (lo, hi): (i64, i64),
) -> Result<Vec<i64>> {
    quotients
        .enumerate()
        .map(|(index, q)| {
            if q < lo as i128 || q > hi as i128 {
                Err(Error::OutOfRange {
                    step: step.name.clone(),
                    index,
                    value: q,
                    min: lo,
                    max: hi,
                })
            } else {
                Ok(q as i64)
            }
        })
        .collect()
}

pub fn quantize_tensor(
    x: &[f32],
    shape: &[usize],
    frac_bits: i32,
    affine: Option<AffineQuant>,
    act_bits: u32,
) -> Result<Vec<i64>> {
    let Some(a) = affine else {
        return quantize_values(x, shape, frac_bits, act_bits);
    };
    if !(a.scale.is_finite() && a.scale > 0.0) || a.q_min > a.q_max {
        return Err(Error::InvalidInput(format!(
            "the input quantization (scale {}, stored range [{}, {}]) is not a valid one",
            a.scale, a.q_min, a.q_max
        )));
    }
    let len: usize = shape.iter().product();
    if x.len() != len {
        return Err(Error::InvalidInput(format!(
            "expected {len} values for input shape {shape:?}, got {}",
            x.len()
        )));
    }
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.is_finite() {
                Ok(a.quantize_centred(v))
            } else {
                Err(Error::InvalidInput(format!("input value {i} is {v}")))
            }
        })
        .collect()
}

pub fn quantize_values(
    x: &[f32],
    shape: &[usize],
    frac_bits: i32,
    act_bits: u32,
) -> Result<Vec<i64>> {
    let len: usize = shape.iter().product();
    if x.len() != len {
        return Err(Error::InvalidInput(format!(
            "expected {len} values for input shape {shape:?}, got {}",
            x.len()
        )));
    }
    let half = 1i64 << (act_bits - 1);
    let (lo, hi) = (-half, half - 1);
    let scale = 2f64.powi(frac_bits);
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            if !v.is_finite() {
                return Err(Error::InvalidInput(format!("input value {i} is {v}")));
            }
            let q = (v as f64 * scale).round();
            if q < lo as f64 || q > hi as f64 {
                let (a, b) = (lo as f64 / scale, hi as f64 / scale);
                return Err(Error::InvalidInput(format!(
                    "input value {i} = {v} is outside the range [{a}, {b}] this model was compiled for"
                )));
            }
            Ok(q as i64)
        })
        .collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QGraph {
    pub name: String,
    /// B: activations and rescale quotients live in [-2^(B-1), 2^(B-1)).
    pub act_bits: u32,
    pub tensors: Vec<QTensor>,
    pub input: QTensorId,
    pub output: QTensorId,
    pub steps: Vec<QStep>,
}

impl QGraph {
    pub fn domain(&self) -> (i64, i64) {
        let half = 1i64 << (self.act_bits - 1);
        (-half, half - 1)
    }

    pub fn input_tensor(&self) -> &QTensor {
        &self.tensors[self.input]
    }

    pub fn output_tensor(&self) -> &QTensor {
        &self.tensors[self.output]
    }

    /// Distinct clip activations, in first-use order (each gets its own lookup-table tag).
    pub fn clips(&self) -> Vec<(i64, i64)> {
        let mut out = vec![];
        for s in &self.steps {
            if let StepKind::Linear(Linear {
                rescale:
                    Rescale {
                        act: Activation::Clip { lo, hi },
                        ..
                    },
                ..
            }) = s.kind
            {
                if !out.contains(&(lo, hi)) {
                    out.push((lo, hi));
                }
            }
            let clamp = match &s.kind {
                StepKind::QuantizedAdd(add) | StepKind::QuantizedSub(add) => {
                    Some((add.act_min, add.act_max))
                }
                StepKind::QuantizedMul(mul) => Some((mul.act_min, mul.act_max)),
                StepKind::SquaredDifference(sd) => Some((sd.act_min, sd.act_max)),
                // Clamped by the softmax's own table (`TAG_SOFTMAX_CLAMP`).
                StepKind::ByteSoftmax(_) => None,
                StepKind::MatMul(p) => p.requant.map(|r| (r.act_min, r.act_max)),
                _ => None,
            };
            if let Some(c) = clamp {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// The distinct function tables the steps' activations use, in order of first use.
    pub fn tables(&self) -> Vec<TableFn> {
        let mut out = vec![];
        for s in &self.steps {
            if let StepKind::Linear(Linear {
                rescale:
                    Rescale {
                        act: Activation::Table(t),
                        ..
                    },
                ..
            }) = s.kind
            {
                // One table per content ([`TableFn::table_key`]).
                let key = t.table_key();
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }

    /// Quantizes a float input to this graph's input scale (round half away from zero).
    pub fn quantize_input(&self, x: &[f32]) -> Result<Vec<i64>> {
        let t = self.input_tensor();
        quantize_tensor(x, &t.shape, t.frac_bits, t.affine, self.act_bits)
    }

    /// Runs the exact integer semantics, returning every tensor's values.
    pub fn evaluate(&self, input: &[i64]) -> Result<Vec<Vec<i64>>> {
        let (lo, hi) = self.domain();
        if input.len() != self.input_tensor().len() {
            return Err(Error::InvalidInput(format!(
                "expected {} input integers, got {}",
                self.input_tensor().len(),
                input.len()
            )));
        }
        if let Some((i, v)) = input.iter().enumerate().find(|(_, v)| **v < lo || **v > hi) {
            return Err(Error::InvalidInput(format!(
                "input integer {i} = {v} is outside [{lo}, {hi}]"
            )));
        }
        let mut values: Vec<Vec<i64>> = vec![vec![]; self.tensors.len()];
        values[self.input] = input.to_vec();
        let mut terms = Vec::new();
        for step in &self.steps {
            values[step.output] = self.evaluate_step(step, &values, &mut terms)?;
        }
        Ok(values)
    }

    /// One step's output from the values of the tensors before it (`values` is indexed by tensor
    /// id; `terms` is scratch space). `evaluate` runs every step through this in order; tests use
    /// it to recompute everything downstream of a tampered tensor.
    pub fn evaluate_step(
        &self,
        step: &QStep,
        values: &[Vec<i64>],
        terms: &mut Vec<Term>,
    ) -> Result<Vec<i64>> {
        let (lo, hi) = self.domain();
        let n_out = self.tensors[step.output].len();
        Ok(match &step.kind {
            StepKind::Reshape => values[step.inputs[0]].clone(),
            StepKind::Slice { start } => values[step.inputs[0]]
                .get(*start..*start + n_out)
                .ok_or_else(|| {
                    Error::InvalidModel(format!("step '{}': slice out of range", step.name))
                })?
                .to_vec(),
            StepKind::Concat => step
                .inputs
                .iter()
                .flat_map(|&t| values[t].iter().copied())
                .collect(),
            StepKind::Product(p) => {
                let q = p.apply_all(&values[step.inputs[0]], &values[step.inputs[1]]);
                let q = q.ok_or_else(|| operands_out_of_range(step))?;
                within_domain(step, q.into_iter().map(i128::from), (lo, hi))?
            }
            StepKind::MatMul(p) => {
                let q = p.apply_all(&values[step.inputs[0]], &values[step.inputs[1]]);
                let q = q.ok_or_else(|| operands_out_of_range(step))?;
                within_domain(step, q.into_iter(), (lo, hi))?
            }
            StepKind::Gather { picks } => {
                let ins: Vec<&[i64]> = step.inputs.iter().map(|&t| values[t].as_slice()).collect();
                crate::ops::gather::pick_all(picks, &ins).ok_or_else(|| {
                    Error::InvalidModel(format!("step '{}': a pick is out of range", step.name))
                })?
            }
            StepKind::Lookup(table) => values[step.inputs[0]]
                .iter()
                .enumerate()
                .map(|(o, &x)| {
                    table.apply(x).ok_or_else(|| Error::OutOfRange {
                        step: step.name.clone(),
                        index: o,
                        value: x as i128,
                        min: table.in_min,
                        max: table.in_min + crate::ops::lookup::LOOKUP_INPUTS as i64 - 1,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            StepKind::Embedding(table) => {
                table
                    .apply_all(&values[step.inputs[0]])
                    .map_err(|(index, id)| {
                        Error::InvalidInput(format!(
                            "step '{}': input integer {index} = {id} is no token id of the \
                         embedding's {} rows (ids {} + v·{})",
                            step.name,
                            table.rows(),
                            table.first_id,
                            table.id_step
                        ))
                    })?
            }
            StepKind::ByteSoftmax(softmax) => {
                softmax.apply_all(&values[step.inputs[0]]).ok_or_else(|| {
                    Error::InvalidModel(format!(
                        "step '{}': the input does not split into rows of {} or leaves the \
                         8-bit range",
                        step.name, softmax.depth
                    ))
                })?
            }
            StepKind::QuantizedMul(mul) => mul
                .apply_all(&values[step.inputs[0]], &values[step.inputs[1]])
                .ok_or_else(|| {
                    Error::InvalidModel(format!(
                        "step '{}': operands out of range or overflowing int32",
                        step.name
                    ))
                })?,
            StepKind::SquaredDifference(sd) => {
                use crate::ops::squared_difference::Fault;
                // A larger square than calibration saw is refused here, before any proving.
                let (lo, hi) = self.domain();
                sd.apply_all(&values[step.inputs[0]], &values[step.inputs[1]], (lo, hi))
                    .map_err(|fault| match fault {
                        Fault::Operands => Error::InvalidModel(format!(
                            "step '{}': operands out of range or overflowing int32",
                            step.name
                        )),
                        Fault::OutOfDomain { index, value } => Error::OutOfRange {
                            step: step.name.clone(),
                            index,
                            value: value as i128,
                            min: lo + 1,
                            max: hi - 1,
                        },
                    })?
            }
            StepKind::QuantizedAdd(add) | StepKind::QuantizedSub(add) => {
                let subtract = matches!(step.kind, StepKind::QuantizedSub(_));
                let (a, b) = (&values[step.inputs[0]], &values[step.inputs[1]]);
                (0..n_out)
                    .map(|o| {
                        add.apply_signed(a[o], b[o], subtract)
                            .ok_or_else(|| Error::OutOfRange {
                                step: step.name.clone(),
                                index: o,
                                value: a[o].max(b[o]) as i128,
                                min: i32::MIN as i64 >> add.left_shift,
                                max: i32::MAX as i64 >> add.left_shift,
                            })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            StepKind::Max {
                window,
                in_shape,
                out_shape,
            } => {
                let x = &values[step.inputs[0]];
                (0..n_out)
                    .map(|o| {
                        let idx = QStep::max_window(window, in_shape, out_shape, o);
                        idx.iter().map(|&i| x[i]).max().ok_or_else(|| {
                            Error::InvalidModel(format!(
                                "step '{}': empty pooling window",
                                step.name
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            StepKind::Linear(lin) => {
                // The hot path at ImageNet scale: a convolution's sums (the same terms as
                // `Linear::terms`), computed plane by plane without materialising the terms.
                let conv_sums = lin.conv_sums(&step.name, n_out, &values[step.inputs[0]])?;
                let mut out = Vec::with_capacity(n_out);
                for o in 0..n_out {
                    let mut acc = lin.rescale.bias_offset(o);
                    if let Some(sums) = &conv_sums {
                        acc += sums[o] as i128;
                    } else {
                        acc += lin.terms(o, terms);
                        for t in terms.iter() {
                            acc += t.weight as i128 * values[step.inputs[t.slot]][t.index] as i128;
                        }
                    }
                    let q = lin
                        .rescale
                        .quotient(o, acc)
                        .ok_or_else(|| Error::OutOfRange {
                            step: step.name.clone(),
                            index: o,
                            value: acc,
                            min: i32::MIN as i64,
                            max: i32::MAX as i64,
                        })?;
                    if q < lo as i128 || q > hi as i128 {
                        return Err(Error::OutOfRange {
                            step: step.name.clone(),
                            index: o,
                            value: q,
                            min: lo,
                            max: hi,
                        });
                    }
                    out.push(lin.rescale.activate(q as i64));
                }
                out
            }
        })
    }

    /// Dequantized output for a vector of output integers.
    pub fn dequantize_output(&self, y: &[i64]) -> Vec<f64> {
        let s = self.output_tensor().scale();
        y.iter().map(|&v| v as f64 / s).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broadcast constant keeps one value per distinct entry when it repeats in a
    /// pattern (a scalar, a channel of NCHW or of channels-last), one per output otherwise.
    #[test]
    fn a_broadcast_bias_is_held_once_where_it_repeats() {
        let bias = |values: Vec<i64>, shape: &[usize], out: &[usize]| {
            let idx = crate::tensor::broadcast_indices(shape, out).unwrap();
            let b = BroadcastBias::compact(values.clone(), &idx);
            for (o, &i) in idx.iter().enumerate() {
                assert_eq!(b.values[b.index(o)], values[i], "output {o} of {out:?}");
            }
            b
        };
        let scalar = bias(vec![7], &[], &[1, 3, 4, 4]);
        assert_eq!(scalar.values, vec![7]);
        let nchw = bias(vec![1, 2, 3], &[1, 3, 1, 1], &[1, 3, 4, 4]);
        assert_eq!((nchw.values.len(), nchw.stride), (3, 16));
        let last = bias(vec![1, 2, 3], &[3], &[1, 4, 4, 3]);
        assert_eq!((last.values.len(), last.stride), (3, 1));
        // Rows and columns of a [2, 3] plane broadcast over 4 channels in the middle: no
        // single stride repeats it, so every output keeps its own value.
        let middle = bias(vec![1, 2, 3, 4, 5, 6], &[2, 1, 3], &[2, 4, 3]);
        assert_eq!((middle.values.len(), middle.stride), (24, 1));
    }

    /// The planner's counts of terms per output are the lengths of the terms the circuit lays
    /// out, on every linear step of the test graphs (convolutions with padding, pooling, dense).
    #[test]
    fn term_counts_are_the_lengths_of_the_terms() {
        let graphs = [
            crate::test_fixtures::tiny_graph(),
            crate::test_fixtures::wide_graph(),
        ];
        let mut checked = 0;
        for graph in &graphs {
            for step in &graph.steps {
                let StepKind::Linear(lin) = &step.kind else {
                    continue;
                };
                let n_out = graph.tensors[step.output].len();
                let mut enumerated = std::collections::BTreeMap::new();
                let mut terms = Vec::new();
                for o in 0..n_out {
                    lin.terms(o, &mut terms);
                    *enumerated.entry(terms.len()).or_insert(0) += 1;
                }
                assert_eq!(lin.term_counts(n_out), enumerated, "step {}", step.name);
                checked += 1;
            }
        }
        assert!(checked >= 3, "only {checked} linear steps checked");
    }

    #[test]
    fn division_rounds_half_up_for_negative_and_positive() {
        let round = |acc: i128, d: u64| Rescale::floor_div(acc + Rescale::half(d), d);
        assert_eq!(round(5, 2), (3, 0)); // 2.5 -> 3
        assert_eq!(round(-5, 2), (-2, 0)); // -2.5 -> -2
        assert_eq!(round(-6, 4), (-1, 0)); // -1.5 -> -1
        assert_eq!(round(-7, 4), (-2, 3)); // -1.75 -> -2
        assert_eq!(round(7, 1), (7, 0));
        for acc in -50i128..50 {
            for d in 1u64..9 {
                let (q, r) = Rescale::floor_div(acc, d);
                assert_eq!(acc, q * d as i128 + r as i128);
                assert!(r < d);
                let exact = acc as f64 / d as f64;
                assert_eq!(round(acc, d).0, (exact + 0.5).floor() as i128);
            }
        }
    }
}
