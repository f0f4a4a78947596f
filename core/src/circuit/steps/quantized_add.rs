//! TFLite's quantized ADD (and SUB) of two tensors. Per output element, three dot rows: each
//! input, a one-term dot product, through its requantization map (a table function of the
//! centred 8-bit value, looked up on a divide-by-1 rescale row, or the requantization chip's map
//! row when the rescale chip is left out), then the two mapped values summed (for SUB, the
//! second subtracted) on a two-term row and requantized by the fixed-point chip with the
//! output's multiplier, zero point and clamp.

use super::StepLayout;
use crate::circuit::requant::RequantParams;
use crate::circuit::table::AddInputMap;
use crate::circuit::Wire;
use crate::qgraph::{Activation, QStep, QuantizedAdd};
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
        let params = RequantParams {
            multiplier: add.output_multiplier,
            zp_in: add.out_zero_point,
            zp_out: add.out_zero_point,
            lo: add.act_min,
            hi: add.act_max,
            ties_up: false,
        };
        let clamp_tag = self.tag_of(Activation::Clip {
            lo: add.act_min,
            hi: add.act_max,
        })?;
        let pairs = self.wires[step.inputs[0]]
            .iter()
            .zip(&self.wires[step.inputs[1]]);
        for (o, (&left, &right)) in pairs.enumerate() {
            // Each input through its requantization map (a table function of the
            // centred 8-bit value: a divide-by-1 rescale row whose activation is
            // the map), then the sum requantized and clamped.
            let mut scaled = [None; 2];
            for (k, slot) in scaled.iter_mut().enumerate() {
                let map = AddInputMap {
                    multiplier: add.input_multipliers[k],
                    left_shift: add.left_shift,
                };
                let tag = self.spec.map_tag(&map).ok_or(Error::Synthesis)?;
                let x = [left, right][k];
                let (_, acc) = config.dot.assign(
                    self.region,
                    self.links,
                    self.dot_row,
                    &[x],
                    &[1],
                    0,
                    None,
                )?;
                let y = x.value.and_then(|a| map.apply(a));
                *slot = Some(match &config.rescale {
                    Some(rescale) => rescale.assign(
                        self.region,
                        self.dot_row,
                        acc,
                        1,
                        None,
                        Activation::Identity,
                        tag,
                        y,
                    )?,
                    None => requant.assign_map(self.region, self.dot_row, tag, y)?,
                });
                self.dot_row += 1;
            }
            let ins = [scaled[0].expect("set"), scaled[1].expect("set")];
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
