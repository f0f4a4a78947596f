//! Data movement: Reshape, Slice, Concat and Gather (transposes, padding, resampling, ...).
//! These constrain nothing of their own: the output's wires are the input's wires (the same
//! cells or instance rows), rearranged, so later steps copy the very cells the earlier ones
//! proved. Gather's padding picks a proven zero, made by the first step that needs it and shared
//! by every later one: an empty dot product through an identity row of the rescale chip (or the
//! requantization chip's map row), one dot row.

use super::StepLayout;
use crate::circuit::table;
use crate::circuit::{Links, ModelConfig, Wire};
use crate::ops::gather::{Gather, Pick};
use crate::qgraph::{Activation, QStep};
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

impl StepLayout<'_, '_> {
    /// The input's wires as they are.
    pub fn reshape(&self, step: &QStep) -> Vec<Wire> {
        self.wires[step.inputs[0]].clone()
    }

    /// The input's wires from `start`, as many as the output has.
    pub fn slice(&self, step: &QStep, start: usize) -> Result<Vec<Wire>, Error> {
        let n_out = self.len(step.output);
        Ok(self.wires[step.inputs[0]]
            .get(start..start + n_out)
            .ok_or(Error::Synthesis)?
            .to_vec())
    }

    /// The inputs' wires one after the other.
    pub fn concat(&self, step: &QStep) -> Vec<Wire> {
        step.inputs
            .iter()
            .flat_map(|&t| self.wires[t].iter().copied())
            .collect()
    }

    /// The picked wires of the inputs, and the proven zero for padding.
    pub fn gather(&mut self, step: &QStep, picks: &[Pick]) -> Result<Vec<Wire>, Error> {
        let mut out = Vec::with_capacity(self.len(step.output));
        if Gather::has_zeros(picks) && self.zero_wire.is_none() {
            self.zero_wire = Some(zero(self.config, self.region, self.links, self.dot_row)?);
            self.dot_row += 1;
        }
        for p in picks {
            out.push(match *p {
                Pick::Input { slot, index } => *step
                    .inputs
                    .get(slot as usize)
                    .and_then(|&t| self.wires[t].get(index as usize))
                    .ok_or(Error::Synthesis)?,
                Pick::Zero => self.zero_wire.ok_or(Error::Synthesis)?,
            });
        }
        Ok(out)
    }
}

/// A wire holding a proven 0: an empty dot product (its accumulator is the fixed bias, 0)
/// through an identity row of the rescale chip (or the requantization chip's map row).
fn zero(
    config: &ModelConfig,
    region: &mut Region<Fr>,
    links: &mut Links,
    row: usize,
) -> Result<Wire, Error> {
    let (_, acc) = config.dot.assign(region, links, row, &[], &[], 0, None)?;
    let value = acc.map(|_| 0i64);
    match (&config.rescale, &config.requant) {
        (Some(rescale), _) => rescale.assign(
            region,
            row,
            acc,
            1,
            None,
            Activation::Identity,
            table::TAG_IDENTITY,
            value,
        ),
        (None, Some(requant)) => requant.assign_map(region, row, table::TAG_IDENTITY, value),
        (None, None) => Err(Error::Synthesis),
    }
}
