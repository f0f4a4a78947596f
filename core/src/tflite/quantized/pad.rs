//! int8/uint8 PAD of any axes of a tensor of rank 1 to 4 (a causal Conv1D's padding of the time
//! axis of `[1, T, C]`, a padding of the channels): a data movement whose new elements are the
//! proven zero, the zero point in the stored domain, as the interpreter writes them. A 4-D PAD of
//! height and width only is instead folded into the convolution that reads it
//! ([`crate::tflite::pad_amounts`]).

use super::{unsupported, Builder};
use crate::error::{Error, Result};
use crate::qgraph::StepKind;
use crate::tflite::{nchw, TfOp};

impl Builder<'_> {
    pub(super) fn pad_any_axes(&mut self, op: &TfOp) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let pairs = op.input(self.g, 1)?.int_data()?;
        let rank = xt.shape.len();
        if !(1..=4).contains(&rank) || pairs.len() != 2 * rank || pairs.iter().any(|&p| p < 0) {
            return Err(Error::InvalidModel(format!(
                "PAD '{name}' by {pairs:?} of {:?}",
                xt.shape
            )));
        }
        // TFLite lists (before, after) per axis of its NHWC order; ours is NCHW at rank 4.
        let axes: Vec<usize> = if rank == 4 {
            vec![0, 3, 1, 2]
        } else {
            (0..rank).collect()
        };
        let pads: Vec<i64> = axes
            .iter()
            .map(|&d| pairs[2 * d])
            .chain(axes.iter().map(|&d| pairs[2 * d + 1]))
            .collect();
        let source = self.q.tensors[x.id].shape.clone();
        let gather = crate::ops::gather::maps::pad(&source, &pads)
            .map_err(|e| unsupported("PAD", &name, &format!(" ({e})")))?;
        if gather.shape != nchw(&out_t.shape) {
            return Err(Error::InvalidModel(format!(
                "PAD '{name}' of {:?} by {pairs:?} declares output shape {:?}",
                xt.shape, out_t.shape
            )));
        }
        self.push(
            op,
            StepKind::Gather {
                picks: gather.picks,
            },
            vec![x.id],
        )
    }
}
