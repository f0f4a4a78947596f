//! An 8-bit tensor through an explicit table ([`crate::ops::lookup`]: TFLite's int8 and uint8
//! elementwise operators). Per element, one dot row: the element as a one-term dot product
//! (its divide-by-1 accumulator), looked up with this table's tag on an identity rescale row, or
//! the requantization chip's map row when the rescale chip is left out, as an ADD input's map is.

use super::StepLayout;
use crate::circuit::Wire;
use crate::ops::lookup::ByteLookup;
use crate::qgraph::{Activation, QStep};
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// One dot row per element, its output looked up in the table.
    pub fn lookup(&mut self, step: &QStep, t: &ByteLookup) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let mut out = Vec::with_capacity(self.len(step.output));
        // One row per element: the element's divide-by-1 accumulator looked up in this table's
        // rows, as an ADD input's map is.
        let tag = self.spec.lookup_tag(t).ok_or(Error::Synthesis)?;
        for (o, &x) in self.wires[step.inputs[0]].iter().enumerate() {
            let (_, acc) =
                config
                    .dot
                    .assign(self.region, self.links, self.dot_row, &[x], &[1], 0, None)?;
            let y = self.values.map(|v| v[step.output][o]);
            out.push(match (&config.rescale, &config.requant) {
                (Some(rescale), _) => rescale.assign(
                    self.region,
                    self.dot_row,
                    acc,
                    1,
                    None,
                    Activation::Identity,
                    tag,
                    y,
                )?,
                (None, Some(requant)) => requant.assign_map(self.region, self.dot_row, tag, y)?,
                (None, None) => return Err(Error::Synthesis),
            });
            self.dot_row += 1;
        }
        Ok(out)
    }
}
