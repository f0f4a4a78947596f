//! TFLite's quantized ADD (and SUB) of two tensors. Per output element, three dot rows: each
//! input, a one-term dot product, through its requantization map (a table function of the
//! centred 8-bit value, looked up on a divide-by-1 rescale row, or the requantization chip's map
//! row when the rescale chip is left out), then the two mapped values summed (for SUB, the
//! second subtracted) on a two-term row and requantized by the fixed-point chip with the
//! output's multiplier, zero point and clamp.

use super::StepLayout;
use crate::circuit::table::AddInputMap;
use crate::circuit::Wire;
use crate::qgraph::{QStep, QuantizedAdd};
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// Three dot rows per output: two input maps, then the requantized sum.
    pub fn quantized_add(
        &mut self,
        step: &QStep,
        add: &QuantizedAdd,
        subtract: bool,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let mut out = Vec::with_capacity(self.len(step.output));
        let requant = config.requant.as_ref().ok_or(Error::Synthesis)?;
        let (params, clamp_tag) = self.clamped_requant(
            add.output_multiplier,
            add.out_zero_point,
            add.act_min,
            add.act_max,
        )?;
        let maps = add
            .input_multipliers
            .map(|multiplier| AddInputMap::add_input(multiplier, add.left_shift));
        let tags = [
            self.spec.map_tag(&maps[0]).ok_or(Error::Synthesis)?,
            self.spec.map_tag(&maps[1]).ok_or(Error::Synthesis)?,
        ];
        let pairs: Vec<(Wire, Wire)> = self.wires[step.inputs[0]]
            .iter()
            .copied()
            .zip(self.wires[step.inputs[1]].iter().copied())
            .collect();
        for (o, (left, right)) in pairs.into_iter().enumerate() {
            // Each input through its requantization map (a table function of the centred
            // 8-bit value on a map row), then the sum requantized and clamped.
            let mut ins = [left, right];
            for (k, x) in ins.iter_mut().enumerate() {
                let y = x.value.and_then(|a| maps[k].apply(a));
                *x = self.map_row(*x, tags[k], y)?;
            }
            // SUB takes the second rescaled input off after rounding it, as TFLite does: the
            // sign is the dot product's constant weight.
            let second = if subtract { -1 } else { 1 };
            let (_, acc) = config.dot.assign(
                self.region,
                self.links,
                self.dot_row,
                &ins,
                &[1, second],
                0,
                None,
            )?;
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
