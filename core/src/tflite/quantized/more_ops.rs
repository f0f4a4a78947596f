//! The int8/uint8 lowering of TFLite's elementwise and data-movement operators beyond the
//! convolutional core: SUB, MUL, SQUARED_DIFFERENCE, the table-driven elementwise functions
//! (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, EXP, GELU, RSQRT, standalone RELU/RELU6/RELU_N1_TO_1,
//! QUANTIZE between two scales), CONCATENATION, RESIZE_NEAREST_NEIGHBOR and TRANSPOSE. Each reproduces the interpreter's
//! integer arithmetic; the tables come from [`crate::tflite::lut`].

use super::super::lut;
use super::super::movement;
use super::{
    activation_range, per_tensor, quantized_add, stored_range, unsupported, Builder, Mapped,
};
use crate::error::{Error, Result};
use crate::ops::gather::Pick;
use crate::ops::lookup::ByteLookup;
use crate::ops::squared_difference::SquaredDifference;
use crate::ops::unary::UnaryFn;
use crate::qgraph::{QTensorId, QuantizedMul, QuantizedMultiplier, StepKind};
use crate::tflite::{FusedActivation, TfOp, TfTensor, TfType};

impl<'g> Builder<'g> {
    /// Both operands of a binary operator, pending pads applied.
    pub(super) fn two_inputs(&mut self, op: &TfOp) -> Result<[(Mapped, &'g TfTensor); 2]> {
        let (a, at) = self.input(op, 0)?;
        let (b, bt) = self.input(op, 1)?;
        Ok([(self.dense(a)?, at), (self.dense(b)?, bt)])
    }

    /// ADD, or SUB (ADD's arithmetic with the second rescaled input subtracted): of two tensors
    /// of one shape, or of a tensor and a scalar constant (a table of the tensor's 256 values).
    pub(super) fn add_or_sub(
        &mut self,
        op: &TfOp,
        act: FusedActivation,
        subtract: bool,
    ) -> Result<()> {
        let name = op.name(self.g);
        let what = if subtract { "SUB" } else { "ADD" };
        let out_t = &self.g.tensors[op.outputs[0]];
        let inputs = [op.input(self.g, 0)?, op.input(self.g, 1)?];
        let add = quantized_add(inputs[0], inputs[1], out_t, act)?;
        let constant = inputs.iter().position(|t| t.data.is_some());
        if let Some(k) = constant.filter(|&k| inputs[k].len() > 1) {
            // A constant tensor (one value per channel: a Keras Normalization's mean): made
            // a tensor of the graph, then added as any other, broadcasting included.
            self.materialize_constant(op, k)?;
        } else if let Some(k) = constant {
            let ct = inputs[k];
            let values = ct.int_data()?;
            if values.len() != 1 {
                return Err(unsupported(
                    what,
                    &name,
                    &format!(" of a constant of shape {:?}", ct.shape),
                ));
            }
            let c = values[0] - per_tensor(ct)?.1;
            let (x, xt) = self.input(op, 1 - k)?;
            let x = self.dense(x)?;
            if xt.shape != out_t.shape {
                return Err(Error::InvalidModel(format!(
                    "{what} '{name}' maps {:?} to {:?}",
                    xt.shape, out_t.shape
                )));
            }
            let (qmin, _) = stored_range(xt)?;
            let (zp_in, zp_out) = (per_tensor(xt)?.1, per_tensor(out_t)?.1);
            let mut overflow = false;
            let table = ByteLookup::from_stored(qmin, zp_in, zp_out, |s| {
                let x = s - zp_in;
                let y = if k == 0 {
                    add.apply_signed(c, x, subtract)
                } else {
                    add.apply_signed(x, c, subtract)
                };
                y.unwrap_or_else(|| {
                    overflow = true;
                    0
                }) + zp_out
            });
            if overflow {
                return Err(Error::InvalidModel(format!(
                    "{what} '{name}': an input overflows int32 after its left shift"
                )));
            }
            return self.push(op, StepKind::Lookup(table), vec![x.id]);
        }
        let [(a, at), (b, bt)] = self.two_inputs(op)?;
        // numpy broadcasting: the smaller operand is first copied out to the output's shape
        // (copy constraints only), then added element by element.
        let (sa, sb) = nchw_broadcast_shapes(&at.shape, &bt.shape);
        let full = super::super::nchw(&out_t.shape);
        let refuse = || {
            unsupported(
                what,
                &name,
                &format!(
                    " of shapes {:?} and {:?} into {:?}",
                    at.shape, bt.shape, out_t.shape
                ),
            )
        };
        let mut ids = [a.id, b.id];
        for (k, (shape, t)) in [(&sa, at), (&sb, bt)].into_iter().enumerate() {
            if *shape == full {
                continue;
            }
            let index = crate::ops::mul::broadcast(&full, shape).map_err(|_| refuse())?;
            let picks = index
                .into_iter()
                .map(|index| Pick::Input { slot: 0, index })
                .collect();
            ids[k] = self.expanded(ids[k], t, &full, picks)?;
        }
        if self.q.tensors[ids[0]].len() != self.q.tensors[ids[1]].len() {
            return Err(refuse());
        }
        let (a, b) = (
            Mapped {
                id: ids[0],
                pads: [0; 4],
            },
            Mapped {
                id: ids[1],
                pads: [0; 4],
            },
        );
        let kind = if subtract {
            StepKind::QuantizedSub(add)
        } else {
            StepKind::QuantizedAdd(add)
        };
        self.push(op, kind, vec![a.id, b.id])
    }

    /// Makes constant input `k` of `op` a tensor of the graph, holding its stored values
    /// centred on its zero point: one element of the other input (a free slice) times zero
    /// weights plus the values as biases, in the circuit's fixed columns (or, with hidden
    /// weights, under the model's commitment like every other parameter).
    pub(super) fn materialize_constant(&mut self, op: &TfOp, k: usize) -> Result<()> {
        use crate::qgraph::{Linear, LinearKernel, Rescale, Rounding};
        let ct = op.input(self.g, k)?;
        let t = op.inputs[k]
            .ok_or_else(|| Error::InvalidModel(format!("'{}' lacks input {k}", op.name(self.g))))?;
        let zp = per_tensor(ct)?.1;
        // numpy broadcasting reads the constant right-aligned against the other input: padded
        // with leading ones to that input's rank (as `broadcast_pair` pads both), its values are
        // put in our order (NCHW at rank 4; padding a rank-2 constant of a rank-3 input to four
        // axes instead would have put its last axis first).
        let rank = ct.shape.len();
        let other_rank = op.input(self.g, 1 - k)?.shape.len();
        if rank > 4 || other_rank > 4 {
            return Err(unsupported(
                op.kind.name(),
                &op.name(self.g),
                &format!(" of a constant of shape {:?} (at most 4 axes)", ct.shape),
            ));
        }
        let padded = with_leading_ones(&ct.shape, other_rank);
        let stored = ct.int_data()?;
        if stored.len() != padded.iter().product::<usize>() {
            return Err(Error::InvalidModel(format!(
                "constant '{}' holds {} values for shape {:?}",
                ct.name,
                stored.len(),
                ct.shape
            )));
        }
        let ours = super::super::nchw(&padded);
        // A constant another operator made a tensor already is reused when its layout is this
        // one's (an operand of another rank needs its own copy).
        if let Some(m) = self.map[t] {
            if self.q.tensors[m.id].shape == ours {
                return Ok(());
            }
        }
        let centred: Vec<i64> = (0..stored.len())
            .map(|i| stored[super::super::nhwc_flat_index(&ours, i)] - zp)
            .collect();
        let (x, _) = self.input(op, 1 - k)?;
        let x = self.dense(x)?;
        let mut one = ct.clone();
        one.name = format!("{}/one element", ct.name);
        one.shape = vec![1];
        let one_id = self.new_tensor(&one)?;
        self.q.tensors[one_id].affine = self.q.tensors[x.id].affine;
        self.q.steps.push(crate::qgraph::QStep {
            name: one.name,
            kind: StepKind::Slice { start: 0 },
            inputs: vec![x.id],
            output: one_id,
        });
        // Checked as an activation of batch 1, then given the constant's padded shape in our
        // layout.
        let mut as_activation = ct.clone();
        as_activation.shape = vec![1, centred.len()];
        let id = self.new_tensor(&as_activation)?;
        self.q.tensors[id].shape = ours;
        let n = centred.len();
        self.q.steps.push(crate::qgraph::QStep {
            name: ct.name.clone(),
            kind: StepKind::Linear(Linear {
                kernel: LinearKernel::Dense {
                    n_in: 1,
                    n_out: n,
                    weight: vec![0; n],
                    bias: centred,
                },
                rescale: Rescale {
                    rounding: Rounding::HalfUp {
                        divisors: vec![1; n],
                    },
                    act: crate::qgraph::Activation::Identity,
                },
            }),
            inputs: vec![one_id],
            output: id,
        });
        self.map[t] = Some(Mapped { id, pads: [0; 4] });
        Ok(())
    }

    /// A copy of tensor `id` (quantized as `t`) spread to our-layout `shape` by `picks`.
    pub(super) fn expanded(
        &mut self,
        id: QTensorId,
        t: &TfTensor,
        shape: &[usize],
        picks: Vec<Pick>,
    ) -> Result<QTensorId> {
        let mut wide = t.clone();
        wide.name = format!("{}/broadcast", t.name);
        // Checked as a batch-1 activation (a broadcast constant's own shape may have no batch
        // axis); its shape is set next.
        wide.shape = vec![1, shape.iter().product()];
        let new = self.new_tensor(&wide)?;
        self.q.tensors[new].shape = shape.to_vec();
        self.q.steps.push(crate::qgraph::QStep {
            name: wide.name,
            kind: StepKind::Gather { picks },
            inputs: vec![id],
            output: new,
        });
        Ok(new)
    }

    /// MUL: of a tensor by a scalar constant (a table of the tensor's 256 values), or of two
    /// tensors, one broadcast to the other.
    pub(super) fn mul(&mut self, op: &TfOp, act: FusedActivation) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let (lo, hi) = activation_range(act, out_t)?;
        let (s_out, zp_out) = per_tensor(out_t)?;
        let inputs = [op.input(self.g, 0)?, op.input(self.g, 1)?];
        let real = |a: &TfTensor, b: &TfTensor| -> Result<QuantizedMultiplier> {
            // In f32, as the interpreter's Prepare computes it.
            let m = per_tensor(a)?.0 * per_tensor(b)?.0 / s_out;
            Ok(QuantizedMultiplier::from_real(m as f64))
        };
        let constant = inputs.iter().position(|t| t.data.is_some());
        if let Some(k) = constant.filter(|&k| inputs[k].len() > 1) {
            let ct = inputs[k];
            let values = ct.int_data()?;
            let xt = op.input(self.g, 1 - k)?;
            if is_per_channel(xt, ct, out_t) {
                let multiplier = real(xt, ct)?;
                return self.mul_per_channel(op, k, &values, multiplier, (lo, hi));
            }
            // Any other constant tensor (a spatial mask, a full-shape scale): made a tensor of
            // the graph, then multiplied as two tensors are, broadcasting included.
            self.materialize_constant(op, k)?;
        } else if let Some(k) = constant {
            let ct = inputs[k];
            let values = ct.int_data()?;
            let (x, xt) = self.input(op, 1 - k)?;
            let x = self.dense(x)?;
            let multiplier = real(xt, ct)?;
            let c_centred = values[0] - per_tensor(ct)?.1;
            let mul = QuantizedMul {
                second: vec![],
                multiplier,
                out_zero_point: zp_out,
                act_min: lo,
                act_max: hi,
            };
            let (qmin, _) = stored_range(xt)?;
            let zp_in = per_tensor(xt)?.1;
            let mut overflow = false;
            let table = ByteLookup::from_stored(qmin, zp_in, zp_out, |s| {
                mul.apply(s - zp_in, c_centred).unwrap_or_else(|| {
                    overflow = true;
                    0
                }) + zp_out
            });
            if overflow {
                return Err(Error::InvalidModel(format!(
                    "MUL '{name}': its multiplier overflows int32"
                )));
            }
            return self.push(op, StepKind::Lookup(table), vec![x.id]);
        }
        // The product commutes: which operand comes first does not matter.
        let pair = self.broadcast_pair(op, "MUL")?;
        let mul = QuantizedMul {
            second: pair.second_of_output,
            multiplier: real(pair.first.1, pair.second.1)?,
            out_zero_point: zp_out,
            act_min: lo,
            act_max: hi,
        };
        self.push(
            op,
            StepKind::QuantizedMul(mul),
            vec![pair.first.0, pair.second.0],
        )
    }

    /// int8 SQUARED_DIFFERENCE of two tensors (a layer norm's `(x - mean)²`), numpy
    /// broadcasting included; a constant operand is made a tensor of the graph first.
    pub(super) fn squared_difference(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let inputs = [op.input(self.g, 0)?, op.input(self.g, 1)?];
        if inputs.iter().chain([&out_t]).any(|t| t.dtype != TfType::I8) {
            return Err(unsupported(
                "SQUARED_DIFFERENCE",
                &name,
                " other than of int8 tensors in a quantized model (TFLite's kernel takes int8 only)",
            ));
        }
        for (k, t) in inputs.iter().enumerate() {
            if t.data.is_some() {
                self.materialize_constant(op, k)?;
            }
        }
        // (a - b)² = (b - a)²: the operands may be swapped, each keeping its own scale.
        let pair = self.broadcast_pair(op, "SQUARED_DIFFERENCE")?;
        let scales = [per_tensor(pair.first.1)?.0, per_tensor(pair.second.1)?.0];
        let sd = SquaredDifference::new(
            scales,
            per_tensor(out_t)?,
            stored_range(out_t)?,
            pair.second_of_output,
        )
        .map_err(|e| unsupported("SQUARED_DIFFERENCE", &name, &format!(": {e}")))?;
        self.push(
            op,
            StepKind::SquaredDifference(sd),
            vec![pair.first.0, pair.second.0],
        )
    }

    /// The two tensor operands of a binary elementwise operator whose result does not depend
    /// on their order, under numpy broadcasting: the operand already of the output's shape
    /// first, or, when neither is, the first input copied out to it (copy constraints only);
    /// and for each output, the element of the second operand it reads.
    pub(super) fn broadcast_pair(&mut self, op: &TfOp, what: &str) -> Result<BroadcastPair<'g>> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let [(a, at), (b, bt)] = self.two_inputs(op)?;
        let (sa, sb) = nchw_broadcast_shapes(&at.shape, &bt.shape);
        // An activation of lower rank is held in its own row-major order, which is the padded
        // shape's only when padding to four axes leaves the NCHW order alone (a constant is
        // made a tensor in the padded layout).
        let rank = at.shape.len().max(bt.shape.len());
        for t in [at, bt] {
            let reordered = !super::super::reshape_keeps_order(&with_leading_ones(&t.shape, rank));
            if t.data.is_none() && t.shape.len() < rank && reordered {
                return Err(unsupported(
                    what,
                    &name,
                    &format!(
                        " of shapes {:?} and {:?}: an activation of lower rank broadcast over \
                         an image's channels",
                        at.shape, bt.shape
                    ),
                ));
            }
        }
        let full = super::super::nchw(&out_t.shape);
        let refuse = || {
            unsupported(
                what,
                &name,
                &format!(
                    " of shapes {:?} and {:?} into {:?}",
                    at.shape, bt.shape, out_t.shape
                ),
            )
        };
        // numpy's result shape must be the declared one: along each axis the two agree or
        // one of them is 1.
        let result: Option<Vec<usize>> = (sa.len() == sb.len())
            .then(|| {
                sa.iter()
                    .zip(&sb)
                    .map(|(&x, &y)| match (x, y) {
                        _ if x == y => Some(x),
                        (1, _) => Some(y),
                        (_, 1) => Some(x),
                        _ => None,
                    })
                    .collect()
            })
            .flatten();
        if result.as_ref() != Some(&full) {
            return Err(Error::InvalidModel(format!(
                "{what} '{name}' of {:?} and {:?} declares output shape {:?}",
                at.shape, bt.shape, out_t.shape
            )));
        }
        let ((first, ft, fs), (second, st, ss)) = if sa != full && sb == full {
            ((b, bt, sb), (a, at, sa))
        } else {
            ((a, at, sa), (b, bt, sb))
        };
        let mut first_id = first.id;
        if fs != full {
            let index = crate::ops::mul::broadcast(&full, &fs).map_err(|_| refuse())?;
            let picks = index
                .into_iter()
                .map(|index| Pick::Input { slot: 0, index })
                .collect();
            first_id = self.expanded(first.id, ft, &full, picks)?;
        }
        let second_of_output = crate::ops::mul::broadcast(&full, &ss).map_err(|_| refuse())?;
        Ok(BroadcastPair {
            first: (first_id, ft),
            second: (second.id, st),
            second_of_output,
        })
    }

    /// An elementwise operator of one 8-bit input computed through its table.
    fn lookup(&mut self, op: &TfOp, f: impl Fn(i64) -> i64) -> Result<()> {
        self.lookup_of(op, 0, f)
    }

    /// [`Builder::lookup`] of the operator's input `input` (the other being a scalar constant
    /// the table holds).
    pub(super) fn lookup_of(
        &mut self,
        op: &TfOp,
        input: usize,
        f: impl Fn(i64) -> i64,
    ) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, input)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        if xt.shape != out_t.shape {
            return Err(Error::InvalidModel(format!(
                "'{name}' maps {:?} to {:?}",
                xt.shape, out_t.shape
            )));
        }
        let (qmin, _) = stored_range(xt)?;
        let table = ByteLookup::from_stored(qmin, per_tensor(xt)?.1, per_tensor(out_t)?.1, f);
        self.push(op, StepKind::Lookup(table), vec![x.id])
    }

    /// LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, EXP, GELU, RSQRT, ELU and ABS as the interpreter
    /// computes them.
    pub(super) fn unary(&mut self, op: &TfOp, f: UnaryFn) -> Result<()> {
        let name = op.name(self.g);
        let xt = op.input(self.g, 0)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let q = lut::Quant::of(xt, out_t)?;
        let table: Box<dyn Fn(i64) -> i64> = match f {
            UnaryFn::Sigmoid => Box::new(lut::logistic(q)),
            UnaryFn::Tanh => Box::new(lut::tanh(q)),
            UnaryFn::HardSwish => Box::new(lut::hard_swish(q)?),
            UnaryFn::LeakyRelu { alpha } => Box::new(lut::leaky_relu(q, alpha.get())),
            // TFLite's EXP, RSQRT (a layer norm's), ELU and ABS kernels take float32, int8 and
            // int16: a uint8 model fails in the interpreter, so there is no result to reproduce.
            UnaryFn::Exp | UnaryFn::InverseSqrt { .. } | UnaryFn::Elu { .. } | UnaryFn::Abs
                if xt.dtype == crate::tflite::TfType::U8 =>
            {
                return Err(unsupported(
                    op.kind.name(),
                    &name,
                    " of a uint8 tensor in a quantized model (TFLite's kernel takes int8 only)",
                ))
            }
            UnaryFn::Exp => Box::new(lut::exp(q)),
            UnaryFn::InverseSqrt { epsilon } if epsilon.get() == 0.0 => Box::new(lut::rsqrt(q)),
            UnaryFn::Gelu { tanh_approximation } => Box::new(lut::gelu(q, tanh_approximation)),
            // TFLite's ELU has no alpha but 1.
            UnaryFn::Elu { alpha } if alpha.get() == 1.0 => Box::new(lut::elu(q)),
            UnaryFn::Abs => Box::new(lut::abs(q)),
            UnaryFn::HardSigmoid { .. }
            | UnaryFn::Elu { .. }
            | UnaryFn::Silu
            | UnaryFn::Erf
            | UnaryFn::Softplus
            | UnaryFn::Softsign
            | UnaryFn::Reciprocal
            | UnaryFn::Log
            | UnaryFn::Sqrt
            | UnaryFn::InverseSqrt { .. }
            | UnaryFn::RowScale { .. }
            | UnaryFn::NearZero
            | UnaryFn::Mish
            | UnaryFn::Selu { .. }
            | UnaryFn::Celu { .. }
            | UnaryFn::ThresholdedRelu { .. }
            | UnaryFn::Sin
            | UnaryFn::Cos
            | UnaryFn::Floor
            | UnaryFn::Ceil
            | UnaryFn::Round
            | UnaryFn::Sign => {
                return Err(unsupported(
                    op.kind.name(),
                    &name,
                    " in a quantized model (its 8-bit kernel is not reproduced yet)",
                ))
            }
        };
        self.lookup(op, table)
    }

    /// A standalone RELU, RELU6 or RELU_N1_TO_1: requantized to the output's scale and clamped.
    pub(super) fn activation(&mut self, op: &TfOp, act: FusedActivation) -> Result<()> {
        let xt = op.input(self.g, 0)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let q = lut::Quant::of(xt, out_t)?;
        let (lo, hi) = activation_range(act, out_t)?;
        self.lookup(op, lut::requantize(q, lo, hi))
    }

    /// QUANTIZE from one 8-bit quantization to another.
    pub(super) fn requantize(&mut self, op: &TfOp) -> Result<()> {
        let xt = op.input(self.g, 0)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let q = lut::Quant::of(xt, out_t)?;
        let (lo, hi) = stored_range(out_t)?;
        self.lookup(op, lut::requantize(q, lo, hi))
    }

    /// CONCATENATION: inputs quantized as the output are copied; others are first rescaled to
    /// it by a table, as the interpreter rescales them.
    pub(super) fn concatenation(
        &mut self,
        op: &TfOp,
        axis: i32,
        act: FusedActivation,
    ) -> Result<()> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        if activation_range(act, out_t)? != stored_range(out_t)? {
            return Err(unsupported(
                "CONCATENATION",
                &name,
                " with a fused activation",
            ));
        }
        let out_q = per_tensor(out_t)?;
        let mut ids = Vec::with_capacity(op.inputs.len());
        let mut shapes = Vec::with_capacity(op.inputs.len());
        for i in 0..op.inputs.len() {
            let (x, xt) = self.input(op, i)?;
            let x = self.dense(x)?;
            if xt.dtype != out_t.dtype {
                return Err(Error::InvalidModel(format!(
                    "CONCATENATION '{name}' joins {:?} and {:?}",
                    xt.dtype, out_t.dtype
                )));
            }
            let id = if per_tensor(xt)? == out_q {
                x.id
            } else if xt.dtype == crate::tflite::TfType::I8 {
                // The interpreter's Prepare refuses it too.
                return Err(Error::InvalidModel(format!(
                    "int8 CONCATENATION '{name}' joins an input quantized unlike its output"
                )));
            } else {
                let q = lut::Quant::of(xt, out_t)?;
                let table = lut::concat_rescale(q);
                let (qmin, qmax) = stored_range(xt)?;
                let table = ByteLookup::from_stored(qmin, q.in_zp, q.out_zp, |s| {
                    table(s.clamp(qmin, qmax))
                });
                // An intermediate tensor: the input's shape at the output's quantization.
                let mut rescaled = out_t.clone();
                rescaled.name = format!("{name}/rescaled{i}");
                rescaled.shape = xt.shape.clone();
                let id = self.new_tensor(&rescaled)?;
                self.q.steps.push(crate::qgraph::QStep {
                    name: rescaled.name,
                    kind: StepKind::Lookup(table),
                    inputs: vec![x.id],
                    output: id,
                });
                id
            };
            ids.push(id);
            shapes.push(xt.shape.clone());
        }
        let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
        let (shape, picks) = movement::concatenation(&refs, axis)
            .map_err(|e| unsupported("CONCATENATION", &name, &format!(" ({e})")))?;
        self.movement(op, shape, picks, ids)
    }

    /// A RESIZE operator's input (its pending padding applied), that input's tensor and the
    /// constant output size; the output must be quantized as the input.
    pub(super) fn resize_input(&mut self, op: &TfOp) -> Result<(Mapped, &'g TfTensor, [usize; 2])> {
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let size = super::super::resize_size(op, self.g)?;
        self.same_quantization(op, xt)?;
        Ok((x, xt, size))
    }

    /// RESIZE_NEAREST_NEIGHBOR to its constant size.
    pub(super) fn resize_nearest(
        &mut self,
        op: &TfOp,
        align_corners: bool,
        half_pixel_centers: bool,
    ) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt, size) = self.resize_input(op)?;
        // uint8 without either flag runs the optimized kernel's 16.16 fixed-point indexing.
        let fixed_point =
            xt.dtype == crate::tflite::TfType::U8 && !align_corners && !half_pixel_centers;
        let (shape, picks) = movement::resize_nearest(
            &xt.shape,
            size,
            movement::NearestRule {
                align_corners,
                half_pixel_centers,
                fixed_point,
            },
        )
        .map_err(|e| unsupported("RESIZE_NEAREST_NEIGHBOR", &name, &format!(" ({e})")))?;
        self.movement(op, shape, picks, vec![x.id])
    }

    /// TRANSPOSE by its constant permutation.
    pub(super) fn transpose(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let perm = op.input(self.g, 1)?.int_data()?;
        self.same_quantization(op, xt)?;
        let (shape, picks) = movement::transpose(&xt.shape, &perm)
            .map_err(|e| unsupported("TRANSPOSE", &name, &format!(" ({e})")))?;
        self.movement(op, shape, picks, vec![x.id])
    }

    /// TILE: a copy of the input's elements, repeated along each axis.
    pub(super) fn tile(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let multiples = op.input(self.g, 1)?.int_data()?;
        self.same_quantization(op, xt)?;
        let (shape, picks) = movement::tile(&xt.shape, &multiples)
            .map_err(|e| unsupported("TILE", &name, &format!(" ({e})")))?;
        self.movement(op, shape, picks, vec![x.id])
    }

    /// MUL by a constant holding one value per channel (a standalone batch normalization's
    /// scale, a Keras `Normalization`): per channel, `(x - zx)·(c - zc)` requantized by one
    /// multiplier with the interpreter's MultiplyByQuantizedMultiplier and clamped, which is
    /// exactly a 1×1 depthwise convolution with weights `c - zc`, no bias and that
    /// requantization (ties away from zero, as MUL rounds). The caller has checked the shapes
    /// with [`is_per_channel`].
    fn mul_per_channel(
        &mut self,
        op: &TfOp,
        constant: usize,
        values: &[i64],
        multiplier: QuantizedMultiplier,
        (lo, hi): (i64, i64),
    ) -> Result<()> {
        use crate::ops::conv::ConvGeometry;
        use crate::qgraph::{
            Activation, FixedPointRequant, Linear, LinearKernel, Rescale, Rounding,
        };
        let name = op.name(self.g);
        let ct = op.input(self.g, constant)?;
        let (x, xt) = self.input(op, 1 - constant)?;
        let channels = values.len();
        let out_t = &self.g.tensors[op.outputs[0]];
        let x = self.dense(x)?;
        let zp_c = per_tensor(ct)?.1;
        let zp_out = per_tensor(out_t)?.1;
        let window = crate::tflite::window(
            xt,
            crate::tflite::Padding::Valid,
            [1, 1],
            [1, 1],
            [1, 1],
            &name,
        )?;
        let in_shape = self.q.tensors[x.id].shape.clone();
        let kernel = LinearKernel::Conv {
            geometry: ConvGeometry {
                out_channels: channels,
                window,
                group: channels,
            },
            out_shape: in_shape.clone(),
            in_shape,
            weight: values.iter().map(|v| v - zp_c).collect(),
            bias: vec![0; channels],
        };
        let rescale = Rescale {
            rounding: Rounding::FixedPoint(FixedPointRequant {
                multipliers: vec![multiplier],
                inner: xt.shape[1] * xt.shape[2],
                out_offset: zp_out,
                out_zero_point: zp_out,
                ties_up: false,
            }),
            act: Activation::Clip { lo, hi },
        };
        self.push(op, StepKind::Linear(Linear { kernel, rescale }), vec![x.id])
    }

    /// SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, UNPACK, PACK, GATHER, SPACE_TO_DEPTH and
    /// DEPTH_TO_SPACE: copies of stored values ([`crate::tflite::slicing`]).
    pub(super) fn rearrange(&mut self, op: &TfOp) -> Result<()> {
        let (shape, picks, slots) = super::super::slicing::picks_of(op, self.g)?;
        let mut ids = Vec::with_capacity(slots.len());
        for i in slots {
            let (x, xt) = self.input(op, i)?;
            let x = self.dense(x)?;
            self.same_quantization(op, xt)?;
            ids.push(x.id);
        }
        self.movement(op, shape, picks, ids)
    }

    /// The interpreter copies stored bytes: the output must be quantized as the input.
    pub(super) fn same_quantization(&self, op: &TfOp, xt: &TfTensor) -> Result<()> {
        let out_t = &self.g.tensors[op.outputs[0]];
        if xt.dtype != out_t.dtype || per_tensor(xt)? != per_tensor(out_t)? {
            return Err(unsupported(
                op.kind.name(),
                &op.name(self.g),
                " with an output quantized unlike its input",
            ));
        }
        Ok(())
    }

    /// A data-movement step whose computed shape must be the one the model declares.
    fn movement(
        &mut self,
        op: &TfOp,
        shape: Vec<usize>,
        picks: Vec<crate::ops::gather::Pick>,
        inputs: Vec<usize>,
    ) -> Result<()> {
        let out_t = &self.g.tensors[op.outputs[0]];
        if shape != out_t.shape {
            return Err(Error::InvalidModel(format!(
                "'{}' computes shape {shape:?}; the model declares {:?}",
                op.name(self.g),
                out_t.shape
            )));
        }
        self.push(op, StepKind::Gather { picks }, inputs)
    }
}

/// Two TFLite (NHWC) operand shapes in our layout for numpy broadcasting: the shorter padded
/// with leading ones first (`[C]` is `[1, 1, 1, C]`), so the axes line up as they do in NHWC
/// before both become NCHW.
/// Two operands of an elementwise operator in our layout ([`Builder::broadcast_pair`]).
pub(super) struct BroadcastPair<'g> {
    /// The operand of the output's shape, and its quantization.
    pub first: (QTensorId, &'g TfTensor),
    /// The broadcast operand, and its quantization.
    pub second: (QTensorId, &'g TfTensor),
    /// For each output, the element of `second` it reads.
    pub second_of_output: Vec<u32>,
}

fn nchw_broadcast_shapes(a: &[usize], b: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let rank = a.len().max(b.len());
    let padded = |s: &[usize]| super::super::nchw(&with_leading_ones(s, rank));
    (padded(a), padded(b))
}

/// `shape` right-aligned to `rank` axes, as numpy broadcasting reads it (`rank` at least its
/// own).
fn with_leading_ones(shape: &[usize], rank: usize) -> Vec<usize> {
    let mut padded = vec![1; rank.saturating_sub(shape.len())];
    padded.extend_from_slice(shape);
    padded
}

/// Whether constant `ct` holds one value per channel of the 4-D tensor `xt` (shape [C],
/// [1, C], ... [1, 1, 1, C]) and the product keeps `xt`'s shape: a 1×1 depthwise convolution.
fn is_per_channel(xt: &TfTensor, ct: &TfTensor, out_t: &TfTensor) -> bool {
    let channels = *xt.shape.last().unwrap_or(&0);
    xt.shape.len() == 4
        && ct.len() == channels
        && ct.shape.iter().rev().skip(1).all(|&d| d == 1)
        && ct.shape.last() == Some(&channels)
        && out_t.shape == xt.shape
}
