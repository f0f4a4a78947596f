//! int8/uint8 REDUCE_MAX (Keras's GlobalMaxPooling1D and GlobalMaxPooling2D, `tf.reduce_max`
//! over any axes). The interpreter's kernel takes the largest stored value and writes it as it
//! is, with no requantization (the converter gives the output the input's quantization; a file
//! whose output quantization differs is refused). Each output's elements are copied into a row
//! of their own (copy constraints only, unless our layout already holds them so: the last axis
//! below rank 4), and a max-pool window the row's length takes their maximum: the max chip's
//! rows prove every element at most the output and one equal to it.

use super::super::movement;
use super::{unsupported, Builder};
use crate::error::{Error, Result};
use crate::ir::Window2d;
use crate::ops::gather::Pick;
use crate::qgraph::StepKind;
use crate::tflite::{TfOp, TfTensor, TfType};

impl Builder<'_> {
    /// REDUCE_MAX over the axes op's second input lists.
    pub(super) fn reduce_max(&mut self, op: &TfOp, keep_dims: bool) -> Result<()> {
        let name = op.name(self.g);
        let (x, xt) = self.input(op, 0)?;
        let x = self.dense(x)?;
        let out_t = &self.g.tensors[op.outputs[0]];
        let (_, axes) = self.reduction_axes(op, xt, "REDUCE_MAX")?;
        self.same_quantization(op, xt)?;
        let picks = self.reduction_picks(op, xt, &axes, keep_dims, "REDUCE_MAX")?;
        let per_row: usize = axes.iter().map(|&a| xt.shape[a]).product();
        let rows_shape = vec![1, out_t.len(), 1, per_row];
        let rows = if picks_in_place(&picks) {
            x.id
        } else {
            self.expanded(x.id, xt, &rows_shape, picks)?
        };
        let window = Window2d {
            kernel: [1, per_row],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        };
        let kind = StepKind::Max {
            window,
            in_shape: rows_shape,
            out_shape: vec![1, out_t.len(), 1, 1],
        };
        self.push(op, kind, vec![rows])
            .map_err(|e| Error::InvalidModel(format!("REDUCE_MAX '{name}': {e}")))
    }

    /// A reduction's axes as the file spells them and normalised (non-negative, sorted, each
    /// once); refused unless the input is 8-bit and the axes are within its rank.
    pub(super) fn reduction_axes(
        &self,
        op: &TfOp,
        xt: &TfTensor,
        what: &str,
    ) -> Result<(Vec<i64>, Vec<usize>)> {
        let name = op.name(self.g);
        let raw_axes = op.input(self.g, 1)?.int_data()?;
        let rank = xt.shape.len() as i64;
        let mut axes: Vec<i64> = raw_axes
            .iter()
            .map(|&a| if a < 0 { a + rank } else { a })
            .collect();
        axes.sort_unstable();
        axes.dedup();
        let quantized = matches!(xt.dtype, TfType::U8 | TfType::I8);
        if !quantized || axes.is_empty() || axes.iter().any(|&a| a < 0 || a >= rank) {
            return Err(unsupported(
                what,
                &name,
                &format!(" over axes {raw_axes:?} of a {:?} tensor", xt.dtype),
            ));
        }
        Ok((raw_axes, axes.into_iter().map(|a| a as usize).collect()))
    }

    /// Where each output's elements come from, row by row ([`movement::reduction_rows`]),
    /// after checking the output's declared shape.
    pub(super) fn reduction_picks(
        &self,
        op: &TfOp,
        xt: &TfTensor,
        axes: &[usize],
        keep_dims: bool,
        what: &str,
    ) -> Result<Vec<Pick>> {
        let name = op.name(self.g);
        let out_t = &self.g.tensors[op.outputs[0]];
        let want = movement::reduced_shape(&xt.shape, axes, keep_dims);
        if out_t.shape != want || xt.shape.len() > 4 {
            return Err(Error::InvalidModel(format!(
                "{what} '{name}' over axes {axes:?} of {:?} declares output shape {:?}",
                xt.shape, out_t.shape
            )));
        }
        movement::reduction_rows(&xt.shape, axes, &out_t.shape)
            .map_err(|e| unsupported(what, &name, &format!(" ({e})")))
    }
}

/// Whether `picks` copy every element to where it already is (the rows are the tensor itself).
pub(super) fn picks_in_place(picks: &[Pick]) -> bool {
    picks
        .iter()
        .enumerate()
        .all(|(i, p)| matches!(p, Pick::Input { slot: 0, index } if *index as usize == i))
}
