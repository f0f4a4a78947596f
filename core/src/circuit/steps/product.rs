//! The elementwise product of two computed tensors ([`crate::ops::mul`]): per output element,
//! one dot row constrains `x·w + divisor/2` with both factors copied from their wires (the dot
//! chip's advice-weight lane), and the rescale chip on the same row divides it by the divisor
//! (rounding half up) and range-checks the quotient through the identity table.

use super::StepLayout;
use crate::circuit::table;
use crate::circuit::Wire;
use crate::ops::mul::Product;
use crate::qgraph::{Activation, QStep};
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// One dot row per output: the product, rescaled.
    pub fn product(&mut self, step: &QStep, p: &Product) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let mut out = Vec::with_capacity(self.len(step.output));
        let (a, b) = (&self.wires[step.inputs[0]], &self.wires[step.inputs[1]]);
        let rescale = config.rescale.as_ref().ok_or(Error::Synthesis)?;
        for (o, &j) in p.second.iter().enumerate() {
            let x = *a.get(o).ok_or(Error::Synthesis)?;
            let w = *b.get(j as usize).ok_or(Error::Synthesis)?;
            let acc = config.dot.assign_product(
                self.region,
                self.links,
                self.dot_row,
                x,
                w,
                (p.divisor() / 2) as i128,
            )?;
            out.push(rescale.assign(
                self.region,
                self.dot_row,
                acc,
                p.divisor(),
                None,
                Activation::Identity,
                table::TAG_IDENTITY,
                self.values.map(|v| v[step.output][o]),
            )?);
            self.dot_row += 1;
        }
        Ok(out)
    }
}
