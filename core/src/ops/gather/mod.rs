//! Data movement: every output element is one element of one input, or zero. Concat (any
//! axis), Slice, Split, Transpose, Pad (zeros), Gather with constant indices and nearest-neighbour
//! Resize are all this one operator with a different index map, built here from each front
//! end's attributes.
//!
//! - IR: `Op::Gather(g)`, the output shape and one [`Pick`] per output element.
//! - Quantized: the same picks over integers. Inputs at different scales are first rescaled to
//!   the coarsest of them (a half-up rescale step each), so the output has one scale.
//! - Circuit: no rows. The output's wires are the picked input wires; consumers copy them with
//!   equality constraints, so an output cell can only hold the value of the cell it picks. A
//!   zero is the output of one identity row over an empty dot product, constrained to 0 by the
//!   dot and rescale gates, made once per circuit when some pick needs it.

use serde::{Deserialize, Serialize};

/// Where one output element comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pick {
    /// Element `index` (row-major) of the node's input `slot`.
    Input { slot: u32, index: u32 },
    /// A zero (padding).
    Zero,
}

/// Which operator an index map was built for (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Movement {
    Concat,
    Slice,
    Transpose,
    Pad,
    Gather,
    Resize,
    Expand,
    /// Elements spread apart with zeros between (a transposed convolution's input).
    Spread,
    DepthToSpace,
    SpaceToDepth,
    Tile,
}

impl Movement {
    pub fn name(self) -> &'static str {
        match self {
            Movement::Concat => "Concat",
            Movement::Slice => "Slice",
            Movement::Transpose => "Transpose",
            Movement::Pad => "Pad",
            Movement::Gather => "Gather",
            Movement::Resize => "Resize",
            Movement::Expand => "Expand",
            Movement::Spread => "Spread",
            Movement::DepthToSpace => "DepthToSpace",
            Movement::SpaceToDepth => "SpaceToDepth",
            Movement::Tile => "Tile",
        }
    }
}

/// The IR node: an output shape and where each of its elements comes from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Gather {
    pub movement: Movement,
    pub shape: Vec<usize>,
    pub picks: Vec<Pick>,
}

impl Gather {
    /// Checks the picks against the input shapes; the output shape.
    pub fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, String> {
        let n: usize = self.shape.iter().product();
        if n != self.picks.len() {
            return Err(format!(
                "{} picks for an output of shape {:?}",
                self.picks.len(),
                self.shape
            ));
        }
        for p in &self.picks {
            if let Pick::Input { slot, index } = *p {
                let len: Option<usize> = inputs.get(slot as usize).map(|s| s.iter().product());
                if len.is_none_or(|len| index as usize >= len) {
                    return Err(format!(
                        "pick of element {index} of input {slot} is out of range"
                    ));
                }
            }
        }
        Ok(self.shape.clone())
    }

    pub fn has_zeros(picks: &[Pick]) -> bool {
        picks.contains(&Pick::Zero)
    }
}

/// The output of `picks` from the inputs' values (float or integer): None when a pick
/// is out of range.
pub fn pick_all<T: Copy + Default>(picks: &[Pick], inputs: &[&[T]]) -> Option<Vec<T>> {
    picks
        .iter()
        .map(|p| match *p {
            Pick::Input { slot, index } => inputs.get(slot as usize)?.get(index as usize).copied(),
            Pick::Zero => Some(T::default()),
        })
        .collect()
}

pub mod maps;
mod quant;
pub(crate) use quant::lower;

#[cfg(test)]
mod tests;
