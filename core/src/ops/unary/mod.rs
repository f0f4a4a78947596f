//! Elementwise functions proven by a lookup of their quantized table: Sigmoid, Tanh,
//! HardSigmoid, HardSwish, LeakyRelu, Elu, Exp, SiLU, GELU, Erf, Softplus, Softsign, Abs,
//! Reciprocal, Log, Sqrt, layer normalization's InverseSqrt and RowScale, and token embeddings'
//! NearZero.
//!
//! - IR: `Op::Unary(f)`, `y = f(x)` elementwise, the shape unchanged.
//! - Quantized: the step computing `x` (or, standalone, an identity step) rounds its quotient
//!   `q` at the input scale `2^in_frac`; the activation [`TableFn`] maps it to
//!   `y = clamp(round(f(q·2^-in_frac)·2^out_frac))`, rounded half away from zero and clamped to
//!   the activation domain `[-2^(B-1), 2^(B-1))`. The output scale is chosen from the calibrated
//!   range of `f(x)`, not of `x`: a sigmoid's output gets B-2 fractional bits whatever its input.
//! - Circuit: the rescale chip's activation lookup `(tag, q, y)`, against this function's rows
//!   of the shared table (one row per domain value, `2^B` per distinct function and scales). So
//!   the proven `y` is exactly [`TableFn::apply`], bit for bit.
//! - Error: with the input off by `e_in` (quantization of `x`), the output is off by at most
//!   `2^-(out_frac+1) + L·e_in` for `f` with Lipschitz constant `L` (1/4 for Sigmoid, 1 for Tanh,
//!   about 1.1 for SiLU and GELU), plus what the clamp cuts (inputs beyond the calibrated range
//!   times the headroom).
//!
//! The table is computed with `libm` (a pure-Rust port of musl's libm) in `f64`, so every
//! platform, the prover's and the key maker's, computes the same integers.

use serde::{Deserialize, Serialize};

mod quant;
pub(crate) use quant::{lower, table};

/// An `f32` parameter kept by its bits, so that functions compare and hash exactly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param(u32);

impl Param {
    pub fn new(v: f32) -> Self {
        Param(v.to_bits())
    }

    pub fn get(self) -> f32 {
        f32::from_bits(self.0)
    }
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// An elementwise function with its (constant) parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryFn {
    Sigmoid,
    Tanh,
    /// `max(0, min(1, alpha·x + beta))`.
    HardSigmoid {
        alpha: Param,
        beta: Param,
    },
    /// `x·max(0, min(1, x/6 + 1/2))`.
    HardSwish,
    /// `x` for `x >= 0`, else `alpha·x`.
    LeakyRelu {
        alpha: Param,
    },
    /// `x` for `x > 0`, else `alpha·(e^x - 1)`.
    Elu {
        alpha: Param,
    },
    Exp,
    /// `x·sigmoid(x)`: what PyTorch exports as `Mul(x, Sigmoid(x))`.
    Silu,
    /// `x·Φ(x)`, exactly (`erf`) or with the tanh approximation.
    Gelu {
        tanh_approximation: bool,
    },
    Erf,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    Abs,
    /// `1/x` (the table clamps `1/0` to the domain's end).
    Reciprocal,
    /// `ln x` (`ln 0` clamps to the domain's lower end; negative inputs give 0).
    Log,
    /// `√x` (negative inputs give 0).
    Sqrt,
    /// `1/√(x + epsilon)`: layer normalization's scale from a variance (one table where ONNX
    /// composes Add, Sqrt and a division; `1/0` clamps to the domain's end, negative sums give
    /// 0).
    InverseSqrt {
        epsilon: Param,
    },
    /// The power of two `2^-e` for `max(|x|, √ε) = m·2^e` with `m ∈ [½, 1)` (0 where that is
    /// 0): a row's scale in layer normalization, from the row's largest centred magnitude.
    /// Its table's output scale is tied to its input's ([`UnaryFn::tied_out_frac`]), so that the
    /// table gives exact powers of two and the scaled row fills the domain, whatever the row's
    /// magnitude (a small row keeps all of its bits for its variance). Normalization is
    /// invariant under the scale, so the float model is unchanged by it.
    RowScale {
        epsilon: Param,
    },
    /// `1` where `|x| < ½`, else `0`: one position of a token's one-hot vector, from the token
    /// id minus the position (an integer, so exactly 1 at the id and 0 elsewhere).
    NearZero,
    /// `x·tanh(softplus(x))` (YOLOv4's activation; ONNX opset 18's Mish).
    Mish,
    /// `gamma·x` for `x > 0`, else `gamma·alpha·(e^x - 1)`.
    Selu {
        alpha: Param,
        gamma: Param,
    },
    /// `max(0, x) + min(0, alpha·(e^(x/alpha) - 1))` (`alpha` is never 0: the loader refuses it).
    Celu {
        alpha: Param,
    },
    /// `x` for `x > alpha`, else `0`.
    ThresholdedRelu {
        alpha: Param,
    },
    Sin,
    Cos,
    /// The largest integer not above `x`.
    Floor,
    /// The smallest integer not below `x`.
    Ceil,
    /// The nearest integer, halves to even (ONNX's `Round`).
    Round,
    /// `-1`, `0` or `1` as `x` is negative, zero or positive.
    Sign,
}

impl UnaryFn {
    /// The ONNX operator's name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryFn::Sigmoid => "Sigmoid",
            UnaryFn::Tanh => "Tanh",
            UnaryFn::HardSigmoid { .. } => "HardSigmoid",
            UnaryFn::HardSwish => "HardSwish",
            UnaryFn::LeakyRelu { .. } => "LeakyRelu",
            UnaryFn::Elu { .. } => "Elu",
            UnaryFn::Exp => "Exp",
            UnaryFn::Silu => "SiLU",
            UnaryFn::Gelu { .. } => "Gelu",
            UnaryFn::Erf => "Erf",
            UnaryFn::Softplus => "Softplus",
            UnaryFn::Softsign => "Softsign",
            UnaryFn::Abs => "Abs",
            UnaryFn::Reciprocal => "Reciprocal",
            UnaryFn::Log => "Log",
            UnaryFn::Sqrt => "Sqrt",
            UnaryFn::InverseSqrt { .. } => "InverseSqrt",
            UnaryFn::RowScale { .. } => "RowScale",
            UnaryFn::NearZero => "NearZero",
            UnaryFn::Mish => "Mish",
            UnaryFn::Selu { .. } => "Selu",
            UnaryFn::Celu { .. } => "Celu",
            UnaryFn::ThresholdedRelu { .. } => "ThresholdedRelu",
            UnaryFn::Sin => "Sin",
            UnaryFn::Cos => "Cos",
            UnaryFn::Floor => "Floor",
            UnaryFn::Ceil => "Ceil",
            UnaryFn::Round => "Round",
            UnaryFn::Sign => "Sign",
        }
    }

    /// `f(x)` in `f64` through `libm`: the one definition the float evaluator and the table use.
    pub fn eval(self, x: f64) -> f64 {
        let sigmoid = |x: f64| {
            // Stable on both sides: e^x never overflows where it is evaluated.
            if x >= 0.0 {
                1.0 / (1.0 + libm::exp(-x))
            } else {
                let e = libm::exp(x);
                e / (1.0 + e)
            }
        };
        let unit_clamp = |v: f64| v.clamp(0.0, 1.0);
        let softplus = |x: f64| x.max(0.0) + libm::log1p(libm::exp(-x.abs()));
        match self {
            UnaryFn::Sigmoid => sigmoid(x),
            UnaryFn::Tanh => libm::tanh(x),
            UnaryFn::HardSigmoid { alpha, beta } => {
                unit_clamp(alpha.get() as f64 * x + beta.get() as f64)
            }
            UnaryFn::HardSwish => x * unit_clamp(x / 6.0 + 0.5),
            UnaryFn::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha.get() as f64 * x
                }
            }
            UnaryFn::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha.get() as f64 * libm::expm1(x)
                }
            }
            UnaryFn::Exp => libm::exp(x),
            UnaryFn::Silu => x * sigmoid(x),
            UnaryFn::Gelu {
                tanh_approximation: false,
            } => 0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)),
            UnaryFn::Gelu {
                tanh_approximation: true,
            } => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
            }
            UnaryFn::Erf => libm::erf(x),
            UnaryFn::Softplus => softplus(x),
            UnaryFn::Softsign => x / (1.0 + x.abs()),
            UnaryFn::Abs => x.abs(),
            UnaryFn::Reciprocal => 1.0 / x,
            UnaryFn::Log => libm::log(x),
            UnaryFn::Sqrt => libm::sqrt(x),
            UnaryFn::InverseSqrt { epsilon } => 1.0 / libm::sqrt(x + epsilon.get() as f64),
            UnaryFn::RowScale { epsilon } => row_scale(x, epsilon),
            UnaryFn::NearZero => {
                if x.abs() < 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryFn::Mish => x * libm::tanh(softplus(x)),
            UnaryFn::Selu { alpha, gamma } => {
                let gamma = gamma.get() as f64;
                if x > 0.0 {
                    gamma * x
                } else {
                    gamma * alpha.get() as f64 * libm::expm1(x)
                }
            }
            UnaryFn::Celu { alpha } => {
                let alpha = alpha.get() as f64;
                x.max(0.0) + (alpha * libm::expm1(x / alpha)).min(0.0)
            }
            UnaryFn::ThresholdedRelu { alpha } => {
                if x > alpha.get() as f64 {
                    x
                } else {
                    0.0
                }
            }
            UnaryFn::Sin => libm::sin(x),
            UnaryFn::Cos => libm::cos(x),
            UnaryFn::Floor => x.floor(),
            UnaryFn::Ceil => x.ceil(),
            UnaryFn::Round => x.round_ties_even(),
            UnaryFn::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// The output scale a table of this function must have for inputs at `in_frac`, where it
    /// is not free: [`UnaryFn::RowScale`]'s outputs for inputs `q` in `[1, 2^(B-1))` are then
    /// `2^(B-1-e(q))`, the integers `1..=2^(B-2)` that are powers of two, so that a product by
    /// them is exact and brings the row's largest magnitude into `[2^(B-2), 2^(B-1))`; Abs
    /// keeps its input's scale, so that its table is exact (the largest magnitude a row scale
    /// is taken of is then the row's own, not a rounding of it).
    pub fn tied_out_frac(self, in_frac: i32, act_bits: u32) -> Option<i32> {
        match self {
            UnaryFn::RowScale { .. } => Some(act_bits as i32 - 1 - in_frac),
            UnaryFn::Abs => Some(in_frac),
            _ => None,
        }
    }

    /// `f(x)` for the float model.
    pub fn eval_f32(self, x: f32) -> f32 {
        self.eval(x as f64) as f32
    }
}

/// [`UnaryFn::RowScale`]: `2^-e` where `max(|x|, √ε) = m·2^e`, `m ∈ [½, 1)`; 0 at 0.
fn row_scale(x: f64, epsilon: Param) -> f64 {
    let a = x.abs().max(libm::sqrt(epsilon.get() as f64));
    if a == 0.0 || !a.is_finite() {
        return 0.0;
    }
    let (_, e) = libm::frexp(a);
    libm::ldexp(1.0, -e)
}

/// The quantized function a table holds: input integers at `2^in_frac`, output integers at
/// `2^out_frac`, over the activation domain of `act_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableFn {
    pub func: UnaryFn,
    pub in_frac: i32,
    pub out_frac: i32,
    pub act_bits: u32,
}

impl TableFn {
    /// `clamp(round(f(q·2^-in_frac)·2^out_frac))`: the integer the circuit's table gives for `q`.
    pub fn apply(self, q: i64) -> i64 {
        let half = 1i64 << (self.act_bits - 1);
        // Scaling by powers of two is exact; so is rounding. Only `eval` rounds, and it is
        // libm's, the same everywhere.
        let x = libm::ldexp(q as f64, -self.in_frac);
        let y = libm::ldexp(self.func.eval(x), self.out_frac).round();
        if y.is_nan() {
            return 0;
        }
        // f64 -> i64 saturates: infinities (1/0) clamp like any value beyond the domain.
        y.clamp(-half as f64, (half - 1) as f64) as i64
    }

    /// The table that holds the same integers: tables are shared by content. An absolute
    /// value at its input's scale is `|q|` (clamped) at any scale; a [`UnaryFn::RowScale`] at
    /// its tied scale is `2^(B-1-bits(q))` for every `q >= 1` and the domain's end at 0 (0
    /// without an epsilon) at any input scale whose unit is above `√ε` (a row of one unit is
    /// never below the epsilon):
    /// each layer norm of a model would otherwise add its own copies, `2^B` rows each.
    pub fn table_key(self) -> TableFn {
        let unit_above_root =
            |epsilon: Param| libm::ldexp(libm::sqrt(epsilon.get() as f64), self.in_frac) < 1.0;
        match self.func {
            UnaryFn::Abs if self.out_frac == self.in_frac => TableFn {
                in_frac: 0,
                out_frac: 0,
                ..self
            },
            UnaryFn::RowScale { epsilon }
                if Some(self.out_frac) == self.func.tied_out_frac(self.in_frac, self.act_bits)
                    && unit_above_root(epsilon) =>
            {
                // √ε = 1/2 at unit scale: below every q >= 1, and its scale 2^0 puts 0 at
                // 2^(B-1), beyond the domain's end, as every such epsilon does. Without an
                // epsilon, 0 has the scale 0.
                let epsilon = if epsilon.get() == 0.0 { 0.0 } else { 0.25 };
                TableFn {
                    func: UnaryFn::RowScale {
                        epsilon: Param::new(epsilon),
                    },
                    in_frac: 0,
                    out_frac: self.act_bits as i32 - 1,
                    ..self
                }
            }
            _ => self,
        }
    }

    /// The largest error the table adds by rounding its output, in real units.
    pub fn rounding_error(self) -> f64 {
        libm::ldexp(0.5, -self.out_frac)
    }
}

#[cfg(test)]
mod tests;
