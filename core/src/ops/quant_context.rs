//! What an operator's quantized lowering is given and what it gives back. The driver in
//! `quant.rs` calibrates, chooses the scales the ranges allow and fuses activations; for each
//! node it fills a [`LowerCtx`] and calls the operator's `lower` function (in the operator's
//! folder), which picks the step and its output scale ([`Lowered`]) from those alone. The
//! helpers here are the ones several operators share.

use crate::error::{Error, Result};
use crate::ops::elementwise::Clip;
use crate::ops::unary::UnaryFn;
use crate::qgraph::{Activation, Linear, LinearKernel, Rescale, StepKind};

/// One node's lowering inputs: its names, the scales of its inputs, the scales its calibrated
/// ranges allow, its shapes, the activation fused into it, and the options that bound it.
pub struct LowerCtx<'a> {
    /// The IR node's name (what errors name).
    pub node: &'a str,
    /// The step's name: the node's, `node+activation` when an activation is fused into it.
    pub step: &'a str,
    /// B: bits of the activation/lookup domain.
    pub act_bits: u32,
    /// Bits for quantized weights (their magnitude bound), before the divisor limit applies.
    pub weight_bits: u32,
    /// Fractional bits of the first input.
    pub f_in: i32,
    /// Fractional bits of every input, in the node's order.
    pub in_fracs: &'a [i32],
    /// The IR shapes of the node's inputs, in order.
    pub in_shapes: Vec<&'a [usize]>,
    /// The IR shape of the node's own output (before a fused activation, which keeps it).
    pub out_shape: &'a [usize],
    /// Elements of the step's output.
    pub n_out: usize,
    /// The fractional bits at which the calibrated range of the step's quotients fits the
    /// domain with headroom: the range of the node's output, and of the fused activation's
    /// output too when that activation keeps the scale (Relu, Clip; not a function's table).
    pub range_frac: i32,
    /// The fractional bits the step's final output's own calibrated range allows: where a
    /// function's table puts its outputs.
    pub out_frac: i32,
    /// The activation fused into the step ([`Fused::Identity`] when none).
    pub fused: Fused,
}

impl LowerCtx<'_> {
    /// The fused activation, applied to quotients at `frac` fractional bits.
    pub fn activation(&self, frac: i32) -> Activation {
        self.fused.at(frac, self.act_bits, self.out_frac)
    }

    /// A standalone activation (Relu, Clip or a function not fused into a linear step): an
    /// identity linear map, divisor 1, at the input's scale, then `act`.
    pub fn standalone(&self, act: Fused) -> Lowered {
        let act = act.at(self.f_in, self.act_bits, self.out_frac);
        let kernel = LinearKernel::Elementwise {
            weights: vec![1],
            bias: None,
        };
        Lowered::new(
            StepKind::Linear(Linear {
                kernel,
                rescale: Rescale::half_up(vec![1; self.n_out], act),
            }),
            self.f_in,
        )
    }
}

/// The activation a step applies to its rounded quotients, before their scale is known.
#[derive(Clone, Copy, Debug)]
pub enum Fused {
    Identity,
    Relu,
    Clip(Clip),
    /// A function's table ([`crate::ops::unary`]).
    Function(UnaryFn),
}

impl Fused {
    /// The quantized form of the activation on quotients at scale `frac`, over the domain of
    /// `act_bits`; a function's table gives its outputs at `out_frac`.
    pub fn at(self, frac: i32, act_bits: u32, out_frac: i32) -> Activation {
        match self {
            Fused::Identity => Activation::Identity,
            Fused::Relu => Activation::Relu,
            Fused::Clip(c) => crate::ops::elementwise::clip_activation(c, frac, act_bits),
            Fused::Function(func) => crate::ops::unary::table(func, frac, act_bits, out_frac),
        }
    }
}

/// What an operator's lowering makes of its node.
pub struct Lowered {
    /// The step computing the node (and its fused activation).
    pub kind: StepKind,
    /// Fractional bits of the step's output; a fused function's table overrides them with its
    /// own output scale.
    pub out_frac: i32,
    /// Steps that first bring inputs to another scale, in order; the node's step then reads
    /// their outputs in place of those inputs.
    pub input_steps: Vec<InputStep>,
}

impl Lowered {
    /// A step reading its inputs as they are.
    pub fn new(kind: StepKind, out_frac: i32) -> Self {
        Lowered {
            kind,
            out_frac,
            input_steps: vec![],
        }
    }
}

/// A step put before the node's own, rewriting input `slot` at `frac` fractional bits into a
/// new tensor of the same shape.
pub struct InputStep {
    pub slot: usize,
    pub frac: i32,
    /// The new tensor's name.
    pub tensor: String,
    /// The step's name.
    pub step: String,
    pub kind: StepKind,
}

impl InputStep {
    /// Input `slot` (of `len` elements) brought `shift` bits coarser, to `frac`: an identity
    /// elementwise map dividing by `2^shift`, rounding half up. Named `node:{tensor}` (the new
    /// tensor) and `node:{step}`.
    pub fn half_up(
        node: &str,
        (slot, len): (usize, usize),
        (frac, shift): (i32, i32),
        (tensor, step): (&str, &str),
    ) -> Self {
        InputStep {
            slot,
            frac,
            tensor: format!("{node}:{tensor}"),
            step: format!("{node}:{step}"),
            kind: StepKind::Linear(Linear {
                kernel: LinearKernel::Elementwise {
                    weights: vec![1],
                    bias: None,
                },
                rescale: Rescale::half_up(vec![1u64 << shift; len], Activation::Identity),
            }),
        }
    }
}

/// Input `slot` (of `len` elements) brought from scale `from` down to the coarser `to`: one
/// [`InputStep::half_up`] when the scales are at most B bits apart (a rescale divides by at most
/// `2^B`), else as many as it takes, the later ones named with `-2`, `-3`, ... after them.
pub fn rounded_input(
    node: &str,
    (slot, len): (usize, usize),
    (from, to): (i32, i32),
    act_bits: u32,
    (tensor, step): (&str, &str),
) -> Vec<InputStep> {
    let mut steps = vec![];
    let mut frac = from;
    while frac > to {
        let cut = (frac - to).min(act_bits as i32);
        frac -= cut;
        let suffix = match steps.len() {
            0 => String::new(),
            n => format!("-{}", n + 1),
        };
        steps.push(InputStep::half_up(
            node,
            (slot, len),
            (frac, cut),
            (&format!("{tensor}{suffix}"), &format!("{step}{suffix}")),
        ));
    }
    steps
}

/// A linear operator's weights and bias as integers: weights at `2^f_w`, the bias at the
/// accumulator's scale `2^(f_in + f_w)`, and the power of two the accumulator is divided by to
/// land at the output's scale.
pub struct QuantizedWeights {
    pub weight: Vec<i64>,
    pub bias: Vec<i64>,
    /// Fractional bits of the output: those the step's range allows.
    pub out_frac: i32,
    /// `f_in + f_w - out_frac`: the divisor is `2^shift`, between 1 and `2^B`.
    pub shift: i32,
}

/// The lowering Conv and Dense share: weights and bias quantized ([`quantize_weights`]), laid
/// into the operator's kernel by `kernel(weight, bias)`, then one power-of-two divisor per
/// output down to the output's scale and the fused activation.
pub fn lower_weighted(
    cx: &LowerCtx,
    w: &[f32],
    bias: &[f32],
    kernel: impl FnOnce(Vec<i64>, Vec<i64>) -> LinearKernel,
) -> Result<Lowered> {
    let q = quantize_weights(cx, w, bias)?;
    let kernel = kernel(q.weight, q.bias);
    let rescale = Rescale::half_up(vec![1u64 << q.shift; cx.n_out], cx.activation(q.out_frac));
    Ok(Lowered::new(
        StepKind::Linear(Linear { kernel, rescale }),
        q.out_frac,
    ))
}

/// Quantizes the float weights `w` and `bias` of a linear operator (Conv, Dense): the finest
/// weight scale `weight_bits` allows, moved so that the divisor `2^(f_in + f_w - f_out)` is an
/// integer no larger than `2^B`.
pub fn quantize_weights(cx: &LowerCtx, w: &[f32], bias: &[f32]) -> Result<QuantizedWeights> {
    let (b, f_in) = (cx.act_bits, cx.f_in);
    let w_max = w.iter().fold(0f32, |m, v| m.max(v.abs()));
    if !w_max.is_finite() || bias.iter().any(|v| !v.is_finite()) {
        return Err(Error::Quantization(format!(
            "node '{}' has non-finite weights",
            cx.node
        )));
    }
    let w_limit = ((1i64 << (cx.weight_bits - 1)) - 1) as f64;
    let mut f_w = if w_max > 0.0 {
        (w_limit / w_max as f64).log2().floor() as i32
    } else {
        0
    };
    // The products are exact at scale f_in + f_w: an output finer than that adds no precision,
    // only larger weights. A range that asks for more is cancellation (a LayerNorm's mean
    // of an already normalised input is near 0 on every calibration input), and following it
    // would leave the output tens of bits finer than the values it is later added to.
    let f_out = cx.range_frac.min(f_in + exact_scale(w, bias, f_in, f_w));
    // The divisor 2^(f_in + f_w - f_out) must be an integer no larger than 2^B.
    f_w = f_w.min(b as i32 + f_out - f_in).max(f_out - f_in);
    let shift = f_in + f_w - f_out;
    let weight: Vec<i64> = w
        .iter()
        .map(|&v| (v as f64 * 2f64.powi(f_w)).round() as i64)
        .collect();
    let bias: Vec<i64> = bias
        .iter()
        .map(|&v| (v as f64 * 2f64.powi(f_in + f_w)).round() as i64)
        .collect();
    Ok(QuantizedWeights {
        weight,
        bias,
        out_frac: f_out,
        shift,
    })
}

/// The coarsest weight scale at most `f_w` at which every weight, and every bias at scale
/// `f_in` plus it, is a whole number: `f_w` itself unless they are exact sooner (a negation's
/// -1 is exact at scale 0).
fn exact_scale(w: &[f32], bias: &[f32], f_in: i32, f_w: i32) -> i32 {
    let whole = |v: f32, f: i32| {
        let x = v as f64 * 2f64.powi(f);
        x == x.round()
    };
    (f_w.min(0)..f_w)
        .find(|&f| w.iter().all(|&v| whole(v, f)) && bias.iter().all(|&v| whole(v, f_in + f)))
        .unwrap_or(f_w)
}

/// Every divisor of step `step` must be within `1..=2^b`.
pub fn check_divisors(step: &str, divisors: &[u64], b: u32) -> Result<()> {
    match divisors.iter().find(|&&d| d == 0 || d > 1u64 << b) {
        Some(d) => Err(Error::Quantization(format!(
            "step '{step}': divisor {d} is outside 1..=2^{b}"
        ))),
        None => Ok(()),
    }
}
