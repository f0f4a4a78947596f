//! int8/uint8 SUM ([`Builder::sum`], summed as MEAN's rows are) and REDUCE_MAX (Keras's
//! GlobalMaxPooling1D and GlobalMaxPooling2D, `tf.reduce_max` over any axes). REDUCE_MAX: the
//! interpreter's kernel takes the largest stored value and writes it as it
//! is, with no requantization (the converter gives the output the input's quantization; a file
//! whose output quantization differs is refused). Each output's elements are copied into a row
//! of their own (copy constraints only, unless our layout already holds them so: the last axis
//! below rank 4), and a max-pool window the row's length takes their maximum: the max chip's
//! rows prove every element at most the output and one equal to it.

use super::super::movement;
use super::{per_tensor, stored_range, unsupported, Builder};
use crate::circuit::requant::MAX_RIGHT_SHIFT;
use crate::error::{Error, Result};
use crate::ir::Window2d;
use crate::ops::gather::Pick;
use crate::qgraph::{QuantizedMultiplier, StepKind};
use crate::tflite::{TfOp, TfTensor, TfType};

impl Builder<'_> {
    /// SUM over any axes as TFLite's int8/uint8 kernel computes it where the output's
    /// quantization differs from the input's (the converter's always does): the reference
    /// `QuantizedMeanOrSum` with `compute_sum`, in `f32` ([`float_sum`]). Proven as a sum of
    /// the centred elements times a power of two, requantized by a fixed-point multiplier that
    /// [`exact_sum_requantization`] checks against the float formula on every sum the inputs
    /// can make. With the input's own quantization the kernel adds stored values in 8 bits,
    /// wrapping: refused.
    pub(super) fn sum(&mut self, op: &TfOp, keep_dims: bool) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (_, axes) = self.reduction_axes(op, xt, "SUM")?;
        if per_tensor(xt)? == per_tensor(out_t)? {
            return Err(unsupported(
                "SUM",
                &name,
                " whose output is quantized as its input (TFLite's kernel then adds the stored \
                 values in 8 bits, wrapping around)",
            ));
        }
        // The declared shape and rank before the search.
        self.check_reduced_shape(op, xt, &axes, keep_dims, "SUM")?;
        let count: usize = axes.iter().map(|&a| xt.shape[a]).product();
        let requant = exact_sum_requantization(xt, out_t, count).map_err(|why| {
            unsupported(
                "SUM",
                &name,
                &format!(" of {count} values per output ({why})"),
            )
        })?;
        let requant = (requant.weight, requant.bias, requant.multiplier);
        self.reduce_rows(op, x.id, xt, &axes, keep_dims, requant, "SUM")
    }

    /// REDUCE_MAX over the axes op's second input lists.
    pub(super) fn reduce_max(&mut self, op: &TfOp, keep_dims: bool) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (_, axes) = self.reduction_axes(op, xt, "REDUCE_MAX")?;
        self.same_quantization(op, xt)?;
        let picks = self.reduction_picks(op, xt, &axes, keep_dims, "REDUCE_MAX")?;
        let per_row: usize = axes.iter().map(|&a| xt.shape[a]).product();
        let rows_shape = vec![1, out_t.len(), 1, per_row];
        let rows = if picks_in_place(&picks) {
            x.id
        } else {
            self.expanded(x.id, xt, &rows_shape, picks)?
        };
        let window = Window2d {
            kernel: [1, per_row],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let kind = StepKind::Max {
            window,
            in_shape: rows_shape,
            out_shape: vec![1, out_t.len(), 1, 1],
        };
        self.push(op, kind, vec![rows])
            .map_err(|e| Error::InvalidModel(format!("REDUCE_MAX '{name}': {e}")))
    }

    /// A reduction's axes as the file spells them and normalised (non-negative, sorted, each
    /// once); refused unless the input is 8-bit and the axes are within its rank.
    pub(super) fn reduction_axes(
        &self,
        op: &TfOp,
        xt: &TfTensor,
        what: &str,
    ) -> Result<(Vec<i64>, Vec<usize>)> {
        let name = op.name(self.g);
        let raw_axes = op.input(self.g, 1)?.int_data()?;
        let rank = xt.shape.len() as i64;
        let mut axes: Vec<i64> = raw_axes
            .iter()
            .map(|&a| if a < 0 { a + rank } else { a })
            .collect();
        axes.sort_unstable();
        axes.dedup();
        let quantized = matches!(xt.dtype, TfType::U8 | TfType::I8);
        if !quantized || axes.is_empty() || axes.iter().any(|&a| a < 0 || a >= rank) {
            return Err(unsupported(
                what,
                &name,
                &format!(" over axes {raw_axes:?} of a {:?} tensor", xt.dtype),
            ));
        }
        Ok((raw_axes, axes.into_iter().map(|a| a as usize).collect()))
    }

    /// Where each output's elements come from, row by row ([`movement::reduction_rows`]),
    /// after checking the output's declared shape.
    pub(super) fn reduction_picks(
        &self,
        op: &TfOp,
        xt: &TfTensor,
        axes: &[usize],
        keep_dims: bool,
        what: &str,
    ) -> Result<Vec<Pick>> {
        self.check_reduced_shape(op, xt, axes, keep_dims, what)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        movement::reduction_rows(&xt.shape, axes, &out_t.shape)
            .map_err(|e| unsupported(what, &op.name(self.g), &format!(" ({e})")))
    }

    /// A reduction's input rank (at most 5) and its output's declared shape, checked.
    pub(super) fn check_reduced_shape(
        &self,
        op: &TfOp,
        xt: &TfTensor,
        axes: &[usize],
        keep_dims: bool,
        what: &str,
    ) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let want = movement::reduced_shape(&xt.shape, axes, keep_dims);
        // Rank 5: GroupNormalization's [1, H, W, groups, channels per group].
        if xt.shape.len() > 5 {
            return Err(unsupported(
                what,
                &name,
                &format!(" of a rank-{} tensor (at most 5 axes)", xt.shape.len()),
            ));
        }
        if out_t.shape != want {
            return Err(Error::InvalidModel(format!(
                "{what} '{name}' over axes {axes:?} of {:?} declares output shape {:?}",
                xt.shape, out_t.shape
            )));
        }
        Ok(())
    }
}

/// Whether `picks` copy every element to where it already is (the rows are the tensor itself).
pub(super) fn picks_in_place(picks: &[Pick]) -> bool {
    picks
        .iter()
        .enumerate()
        .all(|(i, p)| matches!(p, Pick::Input { slot: 0, index } if *index as usize == i))
}

/// TFLite's int8/uint8 SUM of `count` stored values whose raw (uncentred) sum is `raw`:
/// `round(raw·scale + bias) + zp_out` in `f32` with `scale = s_in / s_out` and
/// `bias = -zp_in·scale·count`, rounded half away from zero, clamped to the output's type.
fn float_sum(raw: i64, q: &SumQuant) -> i64 {
    let value = (raw as f32 * q.scale + q.bias).round() as i64;
    (value + q.zp_out).clamp(q.lo, q.hi)
}

/// What [`float_sum`] reads: the kernel's `f32` scale and bias, the output's zero point and
/// stored range.
struct SumQuant {
    scale: f32,
    bias: f32,
    zp_out: i64,
    lo: i64,
    hi: i64,
}

/// The most sums [`exact_sum_requantization`] compares one by one.
const MAX_CHECKED_SUMS: i64 = 1 << 24;
/// How far [`exact_sum_requantization`] moves the multiplier from the ratio's, and the bias
/// from 0, and how many candidates it compares on every sum.
const MAX_MULTIPLIER_STEP: i64 = 64;
const MAX_BIAS: i64 = 64;
const MAX_FULL_CHECKS: usize = 16;
const MAX_COMPARISONS: usize = 1 << 26;

/// The proven form of a SUM's requantization: every centred element times `weight` (a power
/// of two), `bias` added, then `MultiplyByQuantizedMultiplier` by `multiplier`, the output zero
/// point added, clamped. [`exact_sum_requantization`] chooses them so that this is TFLite's
/// [`float_sum`] for every sum the inputs can make.
pub(super) struct SumRequantization {
    pub(super) weight: i64,
    pub(super) bias: i64,
    pub(super) multiplier: QuantizedMultiplier,
}

/// A [`SumRequantization`] equal to TFLite's [`float_sum`] on every centred sum `S` that
/// `count` stored values can make (at most 2^24 of them, each compared). `w·S` stays within
/// int32 with `w` as large as that allows, so the fixed-point product is within about
/// `2^-20` of the real `S·s_in/s_out`. `f32` rounds the kernel's formula differently from
/// exact arithmetic only near a tie, within a few `f32` ulps of the largest term: the
/// multiplier nearest the ratio is tried first with no bias, then neighbouring multipliers (a
/// slope off by up to 2^-24) and biases (an offset of up to that distance) until one agrees on
/// the sums near ties, then on every sum that is not clamped alike by both (a sum a candidate
/// gets wrong is compared first from then on). The clamp is TFLite 2.14's and 2.15's (older
/// kernels wrapped in 8 bits); the float formula is evaluated as separate f32 operations, as
/// x86 builds of the interpreter do.
pub(super) fn exact_sum_requantization(
    xt: &TfTensor,
    out_t: &TfTensor,
    count: usize,
) -> std::result::Result<SumRequantization, String> {
    let (s_in, zp_in) = per_tensor(xt).map_err(|e| e.to_string())?;
    let (s_out, zp_out) = per_tensor(out_t).map_err(|e| e.to_string())?;
    let (qmin, qmax) = stored_range(xt).map_err(|e| e.to_string())?;
    let (lo, hi) = stored_range(out_t).map_err(|e| e.to_string())?;
    let scale = s_in / s_out;
    let q = SumQuant {
        scale,
        bias: (-zp_in as f32) * scale * count as f32,
        zp_out,
        lo,
        hi,
    };
    if !(scale.is_finite() && scale > 0.0 && q.bias.is_finite()) {
        return Err(format!("scales {s_in} and {s_out}"));
    }
    let count_i = i64::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_CHECKED_SUMS)
        .ok_or_else(|| format!("more than {MAX_CHECKED_SUMS} values"))?;
    let (lowest, highest) = (count_i * (qmin - zp_in), count_i * (qmax - zp_in));
    if highest - lowest >= MAX_CHECKED_SUMS {
        return Err(format!(
            "more than {MAX_CHECKED_SUMS} possible sums to check"
        ));
    }
    // The kernel's scale is the ratio rounded to f32: the line its sums follow.
    let nearest = QuantizedMultiplier::from_real(scale as f64);
    // Room for the bias below int32, and within the requantization chip's right shifts.
    let largest = lowest.abs().max(highest.abs()).max(1);
    let max_log2 = (MAX_RIGHT_SHIFT as i32 + nearest.shift).clamp(0, 29);
    let mut log2_weight = 0;
    while log2_weight < max_log2 && largest << (log2_weight + 2) < i32::MAX as i64 {
        log2_weight += 1;
    }
    let weight = 1i64 << log2_weight;
    let real = |centred: i64| (centred + count_i * zp_in) as f64 * scale as f64 + q.bias as f64;
    // A value past int32 would be x86's INT_MIN in the kernel's cast: refused.
    if [lowest, highest]
        .iter()
        .any(|&c| real(c).abs() >= 2f64.powi(31))
    {
        return Err("a sum's value leaves int32 in the kernel's cast".into());
    }
    // Only the sums whose value lands within a step of the output's range can tell two
    // monotone functions apart: with the one on either side of them (both clamped there), every
    // sum beyond is clamped alike by both. The values rise with the sum (the scale is positive).
    let (window_lo, window_hi) = ((lo - zp_out - 2) as f64, (hi - zp_out + 2) as f64);
    let in_window = |c: i64| (window_lo..=window_hi).contains(&real(c));
    let window = match (lowest..=highest).find(|&c| in_window(c)) {
        Some(first) => {
            let last = (first..=highest)
                .take_while(|&c| in_window(c))
                .last()
                .unwrap_or(first);
            (first - 1).max(lowest)..=(last + 1).min(highest)
        }
        None => lowest..=highest,
    };
    // f32's rounding of `raw·scale + bias` is off the real value by at most an ulp or so of
    // its largest term; four ulps (2^-21 of it) is the distance from a tie worth checking first.
    let magnitude = [*window.start(), *window.end()]
        .iter()
        .map(|&c| ((c + count_i * zp_in) as f64 * scale as f64).abs())
        .fold(q.bias.abs() as f64, f64::max)
        .max(1.0);
    let near_tie = magnitude / f64::from(1u32 << 21);
    if near_tie > 0.01 {
        return Err(
            "the kernel's float terms are too large for its rounding to be reproduced".into(),
        );
    }
    let max_bias = ((near_tie * weight as f64 / scale as f64).ceil() as i64)
        .min(weight / 4)
        .min(MAX_BIAS);
    let proven = |r: &SumRequantization, centred: i64| {
        r.multiplier
            .apply(r.weight * centred + r.bias)
            .map(|v| (v + zp_out).clamp(lo, hi))
    };
    let want = |centred: i64| float_sum(centred + count_i * zp_in, &q);
    let mut critical: Vec<i64> = window
        .clone()
        .filter(|&c| {
            let fraction = real(c) - real(c).floor();
            (fraction - 0.5).abs() < near_tie
        })
        .chain([lowest, highest])
        .collect();
    let alternating = |n: i64| (0..=n).flat_map(|d| if d == 0 { vec![0] } else { vec![-d, d] });
    // Bounded work for any file: at most (2·64 + 1)² candidates, each compared on the near ties
    // (a sum a candidate got wrong is compared first), and a few on the whole window; past a
    // total of 2^26 comparisons the SUM is refused.
    let (mut full_checks, mut comparisons) = (0, 0usize);
    for dm in alternating(MAX_MULTIPLIER_STEP) {
        let Some(multiplier) = nearest.multiplier.checked_add(dm as i32).filter(|m| *m > 0) else {
            continue;
        };
        for bias in alternating(max_bias) {
            let r = SumRequantization {
                weight,
                bias,
                multiplier: QuantizedMultiplier {
                    multiplier,
                    shift: nearest.shift - log2_weight,
                },
            };
            let wrong = critical
                .iter()
                .position(|&c| proven(&r, c) != Some(want(c)));
            comparisons += wrong.map_or(critical.len(), |i| i + 1);
            if comparisons > MAX_COMPARISONS {
                return Err(
                    "no fixed-point multiplier reproduces TFLite's float rounding of \
                            every sum within the comparisons allowed"
                        .into(),
                );
            }
            if let Some(i) = wrong {
                // The sum this candidate got wrong is the first the next one is compared on.
                critical[..=i].rotate_right(1);
                continue;
            }
            if full_checks == MAX_FULL_CHECKS {
                break;
            }
            full_checks += 1;
            comparisons += (window.end() - window.start() + 1) as usize;
            match window.clone().find(|&c| proven(&r, c) != Some(want(c))) {
                None => return Ok(r),
                Some(missed) => critical.insert(0, missed),
            }
        }
    }
    Err("no fixed-point multiplier reproduces TFLite's float rounding of every sum".into())
}
