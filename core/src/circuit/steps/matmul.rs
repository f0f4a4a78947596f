//! The matrix product of two computed tensors ([`crate::ops::matmul`]): per batch item, the
//! matrix-product chip's first phase (B's Horner lanes, A's operand cells, one claimed
//! accumulator per output row), each accumulator rescaled half up on its own row by the rescale
//! chip, whose identity lookup range-checks the quotient, or (TFLite) requantized and clamped by
//! the fixed-point chip on that row; the chip's second phase is kept for after every
//! first-phase cell is assigned.

use super::StepLayout;
use crate::circuit::matmul::MatMulDims;
use crate::circuit::{table, Wire};
use crate::ops::matmul::MatProduct;
use crate::qgraph::{Activation, QStep};
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    pub fn matmul(&mut self, step: &QStep, p: &MatProduct) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let chip = config.matmul.as_ref().ok_or(Error::Synthesis)?;
        let rescale = config.rescale.as_ref().ok_or(Error::Synthesis)?;
        let requant = match &p.requant {
            Some(r) => {
                let chip = config.requant.as_ref().ok_or(Error::Synthesis)?;
                let (mut params, tag) =
                    self.clamped_requant(r.multiplier, r.out_zero_point, r.act_min, r.act_max)?;
                params.ties_up = r.ties_up;
                Some((chip, params, tag))
            }
            None => None,
        };
        let shape = &p.shape;
        let dims = MatMulDims {
            m: shape.m,
            k: shape.k,
            n: shape.n,
        };
        let accumulators: Option<Vec<i128>> = match self.values {
            Some(v) => Some(
                p.accumulators(&v[step.inputs[0]], &v[step.inputs[1]])
                    .ok_or(Error::Synthesis)?,
            ),
            None => None,
        };
        let (a_all, b_all) = (&self.wires[step.inputs[0]], &self.wires[step.inputs[1]]);
        let (mk, kn, mn) = (dims.m * dims.k, dims.k * dims.n, dims.m * dims.n);
        let mut out = Vec::with_capacity(shape.outputs());
        for (item, operands) in shape.items.iter().enumerate() {
            let (a_at, b_at) = (operands.a_offset as usize, operands.b_offset as usize);
            let a = a_all.get(a_at..a_at + mk).ok_or(Error::Synthesis)?;
            let b = b_all.get(b_at..b_at + kn).ok_or(Error::Synthesis)?;
            let c: Vec<Option<i128>> = match &accumulators {
                Some(acc) => acc[item * mn..(item + 1) * mn]
                    .iter()
                    .map(|&v| Some(v))
                    .collect(),
                None => vec![None; mn],
            };
            self.pending_matmul.push(chip.assign(
                self.region,
                self.links,
                &mut self.zero_cell,
                self.dot_row,
                dims,
                (a, b),
                &c,
                p.offset(),
            )?);
            for (o, &acc) in c.iter().enumerate() {
                let index = item * mn + o;
                let y = self.values.map(|v| v[step.output][index]);
                out.push(match &requant {
                    Some((chip, params, tag)) => {
                        chip.assign(self.region, self.dot_row + o, acc, params, *tag, y)?
                    }
                    None => rescale.assign(
                        self.region,
                        self.dot_row + o,
                        acc,
                        p.divisor(),
                        None,
                        Activation::Identity,
                        table::TAG_IDENTITY,
                        y,
                    )?,
                });
            }
            self.dot_row += dims.rows(config.dot.width());
        }
        Ok(out)
    }
}
