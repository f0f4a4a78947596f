//! int8/uint8 MAXIMUM and MINIMUM (Keras's `Maximum` and `Minimum` layers, `tf.maximum`, the
//! upper clip of `hard_sigmoid`). The interpreter compares stored values and writes the larger
//! (smaller) one as it is: no requantization, whatever the scales.
//! - With a scalar constant: a function of the tensor's 256 stored values, one table
//!   ([`ByteLookup`]).
//! - Of two tensors (numpy broadcasting; a constant tensor is made a tensor of the graph): each
//!   output's two operands are copied into a row of two (copy constraints only) and the max chip
//!   proves the row's maximum, as for a max pool. A minimum is the maximum of the negated
//!   operands, negated back: two tables that negate (the negated operands' stored values are the
//!   stored values negated, `[-q_max, -q_min]`). Comparing centred values is comparing stored
//!   ones only under one zero point, so operands and output whose zero points differ are
//!   refused (the converter gives them one quantization).

use super::{per_tensor, unsupported, Builder};
use crate::error::{Error, Result};
use crate::ir::Window2d;
use crate::ops::gather::Pick;
use crate::ops::lookup::ByteLookup;
use crate::qgraph::{AffineQuant, QStep, QTensor, QTensorId, StepKind};
use crate::tflite::TfOp;

impl Builder<'_> {
    pub(super) fn extremum(&mut self, op: &TfOp, maximum: bool) -> Result<()> {
        let what = if maximum { "MAXIMUM" } else { "MINIMUM" };
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let inputs = [op.input(self.g, 0)?, op.input(self.g, 1)?];
        if inputs.iter().any(|t| t.dtype != out_t.dtype) {
            return Err(Error::InvalidModel(format!(
                "{what} '{name}' of {:?} and {:?} into {:?}",
                inputs[0].dtype, inputs[1].dtype, out_t.dtype
            )));
        }
        let pick = move |a: i64, b: i64| if maximum { a.max(b) } else { a.min(b) };
        let constant = inputs.iter().position(|t| t.data.is_some());
        if let Some(k) = constant.filter(|&k| inputs[k].len() == 1) {
            let c = inputs[k].int_data()?[0];
            return self.lookup_of(op, 1 - k, |s| pick(s, c));
        }
        if let Some(k) = constant {
            self.materialize_constant(op, k)?;
        }
        let zero_points = [per_tensor(inputs[0])?.1, per_tensor(inputs[1])?.1];
        let zp = per_tensor(out_t)?.1;
        if zero_points != [zp, zp] {
            return Err(unsupported(
                what,
                &name,
                &format!(" of operands with zero points {zero_points:?} into one of {zp}"),
            ));
        }
        let pair = self.broadcast_pair(op, what)?;
        let (first, second) = (pair.first.0, pair.second.0);
        let n = pair.second_of_output.len();
        let picks: Vec<Pick> = (0..n)
            .flat_map(|o| {
                [
                    Pick::Input {
                        slot: 0,
                        index: o as u32,
                    },
                    Pick::Input {
                        slot: 1,
                        index: pair.second_of_output[o],
                    },
                ]
            })
            .collect();
        let affine = self.q.tensors[first].affine.ok_or_else(|| {
            Error::InvalidModel(format!("{what} '{name}': an operand without quantization"))
        })?;
        let rows_shape = vec![1, n, 1, 2];
        let rows = self.step_tensor(
            &format!("{}/pairs", out_t.name),
            rows_shape.clone(),
            affine,
            StepKind::Gather { picks },
            vec![first, second],
        );
        let window = Window2d {
            kernel: [1, 2],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let max = |in_shape: Vec<usize>| StepKind::Max {
            window,
            in_shape,
            out_shape: vec![1, n, 1, 1],
        };
        if maximum {
            return self.push(op, max(rows_shape), vec![rows]);
        }
        let negated = AffineQuant {
            zero_point: -affine.zero_point,
            q_min: -affine.q_max,
            q_max: -affine.q_min,
            ..affine
        };
        let negate = |q: AffineQuant, zp_out: i64| {
            StepKind::Lookup(ByteLookup::from_stored(
                q.q_min,
                q.zero_point,
                zp_out,
                |s| -s,
            ))
        };
        let negated_rows = self.step_tensor(
            &format!("{}/pairs negated", out_t.name),
            rows_shape.clone(),
            negated,
            negate(affine, negated.zero_point),
            vec![rows],
        );
        let largest = self.step_tensor(
            &format!("{}/negated", out_t.name),
            vec![1, n, 1, 1],
            negated,
            max(rows_shape),
            vec![negated_rows],
        );
        self.push(op, negate(negated, affine.zero_point), vec![largest])
    }

    /// A tensor of the graph made by a step of its own (not one of the file's tensors).
    pub(super) fn step_tensor(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        affine: AffineQuant,
        kind: StepKind,
        inputs: Vec<QTensorId>,
    ) -> QTensorId {
        self.q.tensors.push(QTensor {
            name: name.into(),
            shape,
            frac_bits: 0,
            affine: Some(affine),
        });
        let output = self.q.tensors.len() - 1;
        self.q.steps.push(QStep {
            name: name.into(),
            kind,
            inputs,
            output,
        });
        output
    }
}
