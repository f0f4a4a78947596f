//! Max pooling. Per output element, its window's input wires are copied into consecutive rows
//! of the max chip's columns (from the chip's next free row; the max chip fills its own columns
//! from row 0, alongside the dot columns), which constrains the output to be no smaller than any
//! of them (each difference looked up in the activation range) and equal to one (the product of
//! the differences is zero).

use super::StepLayout;
use crate::circuit::Wire;
use crate::ir::Window2d;
use crate::qgraph::QStep;
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// One window of rows in the max chip per output element.
    pub fn max_pool(
        &mut self,
        step: &QStep,
        window: &Window2d,
        in_shape: &[usize],
        out_shape: &[usize],
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let n_out = self.len(step.output);
        let mut out = Vec::with_capacity(n_out);
        for o in 0..n_out {
            let ins: Vec<Wire> = QStep::max_window(window, in_shape, out_shape, o)
                .into_iter()
                .map(|i| self.wires[step.inputs[0]][i])
                .collect();
            let max = config.max.as_ref().ok_or(Error::Synthesis)?;
            let y = self.value(step.output, o);
            out.push(max.assign(self.region, self.links, self.max_row, &ins, y)?);
            self.max_row += ins.len();
        }
        Ok(out)
    }
}
