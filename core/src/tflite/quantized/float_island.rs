//! Float islands inside an integer model: where TensorFlow's converter has no integer kernel
//! for a layer (ELU under `TFLITE_BUILTINS_INT8`, LOG, SIN, SQUARE...), it writes DEQUANTIZE, the float
//! operator(s) and QUANTIZE back. When everything between the DEQUANTIZE and the QUANTIZE is an
//! elementwise function of one value, the island maps each of the 256 stored input values to
//! one stored output value: it is proven as a 256-entry table (a [`ByteLookup`]) computed with
//! the interpreter's float arithmetic step by step — DEQUANTIZE's `(float)(scale·(q - zp))`
//! in double, each kernel's `f32` function, QUANTIZE's `round(x / scale) + zp` in double
//! (a NaN or an out-of-range quotient is x86's `INT_MIN`, as the C++ cast gives there),
//! clamped. A DIV, MUL, ADD or SUB of the island's value and a constant holding one value is
//! one more such function. An island with any other operator (a DIV of two computed tensors,
//! a MUL by a constant that differs along the tensor) is refused by name.

use super::{per_tensor, stored_range, unsupported, Builder, Mapped};
use crate::error::{Error, Result};
use crate::ops::lookup::ByteLookup;
use crate::ops::unary::UnaryFn;
use crate::qgraph::StepKind;
use crate::tflite::{FusedActivation, TfOp, TfOpKind, TfTensor, TfType};

/// A float tensor that is a function of one 8-bit tensor: its source and the float kernels
/// applied since the DEQUANTIZE, in order.
#[derive(Clone, Debug)]
pub(super) struct FloatIsland {
    source: Mapped,
    /// The 8-bit tensor the DEQUANTIZE read (its index in the TFLite graph).
    source_tensor: usize,
    kernels: Vec<FloatKernel>,
}

/// A float kernel whose `f32` result this crate reproduces exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FloatKernel {
    /// `x < 0 ? expm1f(x) : x` (the float ELU kernel).
    Elu,
    Exp,
    Log,
    Sqrt,
    /// `1 / sqrtf(x)`.
    Rsqrt,
    Abs,
    /// `x·x` (SQUARE).
    Square,
    Sin,
    Cos,
    /// `x > 0 ? x : x·alpha`.
    LeakyRelu(f32),
    /// A standalone RELU: `x < 0 ? 0 : x` (a NaN stays NaN).
    Relu,
    /// RELU6: `min(max(0, x), 6)` with C++'s `std::max(0, NaN)` = 0.
    Relu6,
    /// RELU_N1_TO_1: `x > 1 ? 1 : x < -1 ? -1 : x` (a NaN stays NaN).
    Relu1,
    /// DIV, MUL, ADD or SUB of the island's value and a constant that is the same everywhere
    /// (GroupNormalization's division of a sum by its count): `x op c`, or `c op x` when the
    /// constant is the first operand, then the fused activation's clamp.
    WithConstant {
        op: Arithmetic,
        constant: f32,
        constant_first: bool,
        act: FusedActivation,
    },
}

/// The float arithmetic of [`FloatKernel::WithConstant`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arithmetic {
    Div,
    Mul,
    Add,
    Sub,
}

impl Arithmetic {
    /// `op` and its fused activation, if it is one of these.
    fn of(kind: &TfOpKind) -> Option<(Self, FusedActivation)> {
        Some(match kind {
            TfOpKind::Div { act } => (Arithmetic::Div, *act),
            TfOpKind::Mul { act } => (Arithmetic::Mul, *act),
            TfOpKind::Add { act } => (Arithmetic::Add, *act),
            TfOpKind::Sub { act } => (Arithmetic::Sub, *act),
            _ => return None,
        })
    }
}

impl FloatKernel {
    /// The kernel `op` runs on a float tensor, if it is one of these.
    fn of(kind: &TfOpKind) -> Option<Self> {
        Some(match kind {
            TfOpKind::Unary(f) => match f {
                UnaryFn::Elu { alpha } if alpha.get() == 1.0 => FloatKernel::Elu,
                UnaryFn::Exp => FloatKernel::Exp,
                UnaryFn::Log => FloatKernel::Log,
                UnaryFn::Sqrt => FloatKernel::Sqrt,
                UnaryFn::InverseSqrt { epsilon } if epsilon.get() == 0.0 => FloatKernel::Rsqrt,
                UnaryFn::Abs => FloatKernel::Abs,
                UnaryFn::Sin => FloatKernel::Sin,
                UnaryFn::Cos => FloatKernel::Cos,
                UnaryFn::LeakyRelu { alpha } => FloatKernel::LeakyRelu(alpha.get()),
                _ => return None,
            },
            TfOpKind::Square => FloatKernel::Square,
            TfOpKind::Activation(a) => match a {
                FusedActivation::Relu => FloatKernel::Relu,
                FusedActivation::Relu6 => FloatKernel::Relu6,
                FusedActivation::ReluN1To1 => FloatKernel::Relu1,
                FusedActivation::None => return None,
            },
            _ => return None,
        })
    }

    fn apply(self, x: f32) -> f32 {
        match self {
            FloatKernel::Elu => {
                if x < 0.0 {
                    libm::expm1f(x)
                } else {
                    x
                }
            }
            FloatKernel::Exp => libm::expf(x),
            FloatKernel::Log => libm::logf(x),
            FloatKernel::Sqrt => x.sqrt(),
            FloatKernel::Rsqrt => 1.0 / x.sqrt(),
            FloatKernel::Abs => x.abs(),
            FloatKernel::Square => x * x,
            FloatKernel::Sin => libm::sinf(x),
            FloatKernel::Cos => libm::cosf(x),
            FloatKernel::LeakyRelu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    x * alpha
                }
            }
            // Spelled as the kernels' comparisons: Rust's `max`/`min` would drop a NaN.
            FloatKernel::Relu => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            FloatKernel::Relu6 => {
                let y = if 0.0 < x { x } else { 0.0 };
                if 6.0 < y {
                    6.0
                } else {
                    y
                }
            }
            // `f32::clamp` keeps a NaN, as the kernel's comparisons do.
            FloatKernel::Relu1 => x.clamp(-1.0, 1.0),
            FloatKernel::WithConstant {
                op,
                constant,
                constant_first,
                act,
            } => {
                let (a, b) = if constant_first {
                    (constant, x)
                } else {
                    (x, constant)
                };
                let v = match op {
                    Arithmetic::Div => a / b,
                    Arithmetic::Mul => a * b,
                    Arithmetic::Add => a + b,
                    Arithmetic::Sub => a - b,
                };
                // `ActivationFunctionWithMinMax`: `std::min(std::max(v, lo), hi)` over the
                // float activation range (NONE's is the finite range: an infinity becomes the
                // largest float, a NaN stays).
                let (lo, hi) = match act {
                    FusedActivation::None => (f32::MIN, f32::MAX),
                    FusedActivation::Relu => (0.0, f32::MAX),
                    FusedActivation::Relu6 => (0.0, 6.0),
                    FusedActivation::ReluN1To1 => (-1.0, 1.0),
                };
                let v = if v < lo { lo } else { v };
                if hi < v {
                    hi
                } else {
                    v
                }
            }
        }
    }
}

/// DEQUANTIZE's `static_cast<float>(scale * (q - zp))` with the scale widened to double.
fn dequantize(scale: f32, zp: i64, q: i64) -> f32 {
    (scale as f64 * (q - zp) as f64) as f32
}

/// QUANTIZE's `static_cast<int32>(round(x / scale)) + zp` in double, clamped to the stored
/// range. A quotient no int32 holds (or a NaN) converts to `INT_MIN`, as on x86, and the int32
/// sum wraps as the machine's does: `INT_MIN` plus a negative zero point is near `INT_MAX`
/// (int8's -128 makes a NaN the largest value, uint8's positive zero points the smallest).
fn quantize(x: f32, scale: f32, zp: i64, (lo, hi): (i64, i64)) -> i64 {
    let r = (x as f64 / scale as f64).round();
    let q = if r >= i32::MIN as f64 && r < 2f64.powi(31) {
        r as i32
    } else {
        i32::MIN
    };
    // A stored zero point is within an 8-bit type's range, so it fits an i32.
    let zp = zp.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    (q.wrapping_add(zp) as i64).clamp(lo, hi)
}

impl<'g> Builder<'g> {
    /// Takes `op` into a float island when it starts, continues or ends one; false when `op`
    /// is none of these (it is then lowered as any other operator).
    pub(super) fn float_island(&mut self, op: &TfOp) -> Result<bool> {
        let Some(&Some(input)) = op.inputs.first() else {
            return Ok(false);
        };
        let out = op.outputs[0];
        let (in_t, out_t) = (&self.g.tensors[input], &self.g.tensors[out]);
        let eight_bit = |t: &TfTensor| matches!(t.dtype, TfType::U8 | TfType::I8);
        match &op.kind {
            TfOpKind::Dequantize if eight_bit(in_t) && out_t.dtype == TfType::F32 => {
                let source = self.mapped(input, &op.name(self.g))?;
                self.islands.insert(
                    out,
                    FloatIsland {
                        source,
                        source_tensor: input,
                        kernels: vec![],
                    },
                );
                Ok(true)
            }
            TfOpKind::Quantize if eight_bit(out_t) && self.islands.contains_key(&input) => {
                let island = self.islands[&input].clone();
                self.close_island(op, island)?;
                Ok(true)
            }
            kind if op.inputs.len() == 2
                && out_t.dtype == TfType::F32
                && Arithmetic::of(kind).is_some() =>
            {
                self.island_with_constant(op, kind)
            }
            kind if op.inputs.len() == 1
                && out_t.dtype == TfType::F32
                && in_t.shape == out_t.shape
                && self.islands.contains_key(&input) =>
            {
                let Some(kernel) = FloatKernel::of(kind) else {
                    return Err(unsupported(
                        kind.name(),
                        &op.name(self.g),
                        " on a float tensor inside an integer model (a float island is \
                         proven when every operator in it is ELU, EXP, LOG, SQRT, RSQRT, ABS, \
                         SQUARE, SIN, COS, LEAKY_RELU, a RELU, or DIV, MUL, ADD or SUB by a \
                         constant holding one value)",
                    ));
                };
                let mut island = self.islands[&input].clone();
                island.kernels.push(kernel);
                self.islands.insert(out, island);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// DIV, MUL, ADD or SUB `op` of an island's value (of the output's shape) and a float
    /// constant holding one value (any shape that broadcasts, so a scalar too): one more kernel.
    /// False when neither input is an island; refused when the other is not such a constant.
    fn island_with_constant(&mut self, op: &TfOp, kind: &TfOpKind) -> Result<bool> {
        let Some((arithmetic, act)) = Arithmetic::of(kind) else {
            return Ok(false);
        };
        let out_t = &self.g.tensors[op.outputs[0]];
        let (Some(a), Some(b)) = (op.inputs[0], op.inputs[1]) else {
            return Ok(false);
        };
        let (island_input, constant_input, constant_first) = if self.islands.contains_key(&a) {
            (a, b, false)
        } else if self.islands.contains_key(&b) {
            (b, a, true)
        } else {
            return Ok(false);
        };
        let name = op.name(self.g);
        let refuse = |why: &str| {
            Err(unsupported(
                kind.name(),
                &name,
                &format!(" on a float tensor inside an integer model ({why})"),
            ))
        };
        if self.g.tensors[island_input].shape != out_t.shape {
            return refuse("its output is broadcast past the island's value");
        }
        let c_t = &self.g.tensors[constant_input];
        // TFLite's broadcasting: the constant's dimensions, right-aligned, each 1 or the
        // island's.
        let island_shape = &self.g.tensors[island_input].shape;
        let broadcasts = c_t.shape.len() <= island_shape.len()
            && c_t
                .shape
                .iter()
                .rev()
                .zip(island_shape.iter().rev())
                .all(|(&c, &x)| c == 1 || c == x);
        if !broadcasts {
            return refuse("the constant does not broadcast to the island's value");
        }
        let values = match (&c_t.dtype, c_t.f32_data()) {
            (TfType::F32, Ok(values)) => values,
            _ => return refuse("the other operand is not a float constant"),
        };
        let Some(&constant) = values.first() else {
            return refuse("the constant is empty");
        };
        if values.iter().any(|v| v.to_bits() != constant.to_bits()) {
            return refuse("the constant holds more than one value");
        }
        let mut island = self.islands[&island_input].clone();
        island.kernels.push(FloatKernel::WithConstant {
            op: arithmetic,
            constant,
            constant_first,
            act,
        });
        self.islands.insert(op.outputs[0], island);
        Ok(true)
    }

    /// The island ending at QUANTIZE `op` as one table step from its 8-bit source.
    fn close_island(&mut self, op: &TfOp, island: FloatIsland) -> Result<()> {
        let name = op.name(self.g);
        let src_t = &self.g.tensors[island.source_tensor];
        let out_t = &self.g.tensors[op.outputs[0]];
        // Its quantization feeds the table's arithmetic: checked first, as every output is.
        super::check_rows_activation(out_t)?;
        if src_t.shape != out_t.shape {
            return Err(Error::InvalidModel(format!(
                "QUANTIZE '{name}' writes {:?} from a float island over {:?}",
                out_t.shape, src_t.shape
            )));
        }
        let x = self.dense(island.source)?;
        let (s_in, zp_in) = per_tensor(src_t)?;
        let (s_out, zp_out) = per_tensor(out_t)?;
        let (qmin, _) = stored_range(src_t)?;
        let range = stored_range(out_t)?;
        let table = ByteLookup::from_stored(qmin, zp_in, zp_out, |s| {
            let v = island
                .kernels
                .iter()
                .fold(dequantize(s_in, zp_in, s), |v, k| k.apply(v));
            quantize(v, s_out, zp_out, range)
        });
        self.push(op, StepKind::Lookup(table), vec![x.id])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_half_away_and_saturates_as_the_cast_does() {
        let range = (-128, 127);
        assert_eq!(quantize(0.25, 0.5, 3, range), 4); // 0.5 rounds up
        assert_eq!(quantize(-0.25, 0.5, 3, range), 2); // -0.5 rounds down
        assert_eq!(quantize(1e3, 0.5, 0, range), 127);
        // NaN and quotients beyond int32 become INT_MIN: the low end of the range, unless a
        // negative zero point wraps the sum round to the high end.
        assert_eq!(quantize(f32::NAN, 0.5, 0, range), -128);
        assert_eq!(quantize(f32::INFINITY, 0.5, 0, range), -128);
        assert_eq!(quantize(3e9, 1.0, 0, range), -128);
        assert_eq!(quantize(f32::NAN, 0.5, -128, range), 127);
        assert_eq!(quantize(f32::NAN, 0.5, 100, (0, 255)), 0);
    }
}
