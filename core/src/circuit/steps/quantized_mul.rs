//! TFLite's quantized MUL of two tensors, the second broadcast to the first. Per output element,
//! one dot row: `a·b` on a product row (both factors copied from their wires into the dot
//! chip's advice-weight lane), requantized by the fixed-point chip on the same row with the
//! output's multiplier and zero point, and clamped.

use super::StepLayout;
use crate::circuit::Wire;
use crate::qgraph::{QStep, QuantizedMul};
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// One product row per output, requantized and clamped.
    pub fn quantized_mul(&mut self, step: &QStep, mul: &QuantizedMul) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let mut out = Vec::with_capacity(self.len(step.output));
        // `a·b` on a product row, requantized and clamped by the fixed-point chip on the same
        // row.
        let requant = config.requant.as_ref().ok_or(Error::Synthesis)?;
        let (params, clamp_tag) =
            self.clamped_requant(mul.multiplier, mul.out_zero_point, mul.act_min, mul.act_max)?;
        let (a, b) = (&self.wires[step.inputs[0]], &self.wires[step.inputs[1]]);
        for (o, &j) in mul.second.iter().enumerate() {
            let x = *a.get(o).ok_or(Error::Synthesis)?;
            let w = *b.get(j as usize).ok_or(Error::Synthesis)?;
            let acc = config
                .dot
                .assign_product(self.region, self.links, self.dot_row, x, w, 0)?;
            out.push(requant.assign(
                self.region,
                self.dot_row,
                acc,
                &params,
                clamp_tag,
                self.values.map(|v| v[step.output][o]),
            )?);
            self.dot_row += 1;
        }
        Ok(out)
    }
}
