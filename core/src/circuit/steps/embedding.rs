//! A token embedding looked up in its fixed table ([`crate::ops::embedding`]): per token, one
//! row of the dot chip's input columns per chunk of `dot width - 1` values, on which the
//! embedding chip's lookup holds ([`crate::circuit::embedding`]). The dot gate is off there.

use super::StepLayout;
use crate::circuit::{Source, Wire};
use crate::ops::embedding::EmbeddingTable;
use crate::qgraph::QStep;
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// Each token's row, chunk by chunk; the step's tag is its position among the graph's
    /// embeddings plus one, as the table is loaded.
    pub fn embedding(&mut self, step: &QStep, t: &EmbeddingTable) -> Result<Vec<Wire>, Error> {
        let config = self.config.embedding.as_ref().ok_or(Error::Synthesis)?;
        self.embeddings_laid_out += 1;
        let tag = self.embeddings_laid_out as u64;
        let ids = self.wires[step.inputs[0]].clone();
        let chunks = t.chunks(config.values_per_row());
        let mut out = Vec::with_capacity(ids.len() * t.width);
        for (i, id) in ids.into_iter().enumerate() {
            let values: Vec<Option<i64>> = (0..t.width)
                .map(|c| self.value(step.output, i * t.width + c))
                .collect();
            let cells = config.assign(self.region, self.links, self.dot_row, tag, id, &values)?;
            self.dot_row += chunks;
            out.extend(cells.into_iter().zip(values).map(|(cell, value)| Wire {
                source: Source::Advice(cell),
                value,
            }));
        }
        Ok(out)
    }
}
