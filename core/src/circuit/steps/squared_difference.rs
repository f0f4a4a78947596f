//! TFLite's int8 SQUARED_DIFFERENCE, the second input broadcast to the first
//! ([`crate::ops::squared_difference`]). Rows:
//!
//! - each element of the second input: its requantization map, negated:
//!   `nb = -M_b(b·2^7)`, a table function of the centred 8-bit value looked up on a map row,
//!   once however many outputs read it;
//! - per output: the first input's map `sa = M_a(a·2^7)`, then one product row holding
//!   `(sa + nb)² = sa·sa + sa·nb + sa·nb + nb·nb` in four lanes (each factor a copy of its map
//!   output, in the lane's input and advice-weight columns), requantized by the fixed-point
//!   chip on that row with the output's multiplier and zero point, and clamped.
//!
//! The dot chip's accumulator column takes no copies, so the difference is never a wire of its
//! own: negating one map makes the square a sum of products of map outputs.

use super::StepLayout;
use crate::circuit::table::AddInputMap;
use crate::circuit::Wire;
use crate::ops::squared_difference::SquaredDifference;
use crate::qgraph::QStep;
use halo2_proofs::plonk::Error;

impl StepLayout<'_, '_> {
    /// The second input's maps, then two rows per output.
    pub fn squared_difference(
        &mut self,
        step: &QStep,
        sd: &SquaredDifference,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let requant = config.requant.as_ref().ok_or(Error::Synthesis)?;
        let (params, clamp_tag) = self.clamped_requant(
            sd.output_multiplier,
            sd.out_zero_point,
            sd.act_min,
            sd.act_max,
        )?;
        let maps = AddInputMap::squared_difference(sd);
        let tags = [
            self.spec.map_tag(&maps[0]).ok_or(Error::Synthesis)?,
            self.spec.map_tag(&maps[1]).ok_or(Error::Synthesis)?,
        ];
        let (a, b) = (
            self.wires[step.inputs[0]].clone(),
            self.wires[step.inputs[1]].clone(),
        );
        let mut negated_b = Vec::with_capacity(b.len());
        for x in b {
            let y = x.value.and_then(|v| maps[1].apply(v));
            negated_b.push(self.map_row(x, tags[1], y)?);
        }
        let mut out = Vec::with_capacity(sd.second.len());
        for (o, &j) in sd.second.iter().enumerate() {
            let x = *a.get(o).ok_or(Error::Synthesis)?;
            let nb = *negated_b.get(j as usize).ok_or(Error::Synthesis)?;
            let y = x.value.and_then(|v| maps[0].apply(v));
            let sa = self.map_row(x, tags[0], y)?;
            let acc = config.dot.assign_products(
                self.region,
                self.links,
                self.dot_row,
                &[(sa, sa), (sa, nb), (sa, nb), (nb, nb)],
                0,
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
