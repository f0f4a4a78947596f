//! An 8-bit tensor through an explicit table ([`crate::ops::lookup`]: TFLite's int8 and uint8
//! elementwise operators). Per element, one dot row: the element as a one-term dot product
//! (its divide-by-1 accumulator), looked up with this table's tag on an identity rescale row, or
//! the requantization chip's map row when the rescale chip is left out, as an ADD input's map is.

use super::StepLayout;
use crate::circuit::Wire;
use crate::ops::lookup::ByteLookup;
use crate::qgraph::QStep;
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// One dot row per element, its output looked up in the table.
    pub fn lookup(&mut self, step: &QStep, t: &ByteLookup) -> Result<Vec<Wire>, Error> {
        let tag = self.spec.lookup_tag(t).ok_or(Error::Synthesis)?;
        let inputs = self.wires[step.inputs[0]].clone();
        inputs
            .into_iter()
            .enumerate()
            .map(|(o, x)| {
                let y = self.value(step.output, o);
                self.map_row(x, tag, y)
            })
            .collect()
    }
}
