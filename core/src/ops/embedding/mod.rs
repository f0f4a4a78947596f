//! A token embedding with fixed weights, proven as a table lookup: each token's row of the
//! embedding table `E` (`[rows, width]`) is looked up by its id, with no one-hot vector and no
//! product.
//!
//! - IR: the ONNX front end composes `Gather(E, ids)` of core operators (a dense `id - v` per row
//!   `v`, the NearZero table that makes it a one-hot vector, and a dense layer with `Eᵀ` as its
//!   weights; see `crate::onnx::ops::transformer::embedding`), which hidden weights need: every
//!   value of `E` is committed as a parameter of that dense layer.
//! - Quantized: with fixed weights, [`fold::fold_one_hot_embeddings`] replaces those two steps by
//!   one [`EmbeddingTable`] step whose entries are the composition's own integers for every id,
//!   computed with the two steps' own rescaling, so the folded graph gives the same integers for
//!   every token id the table holds. An input integer that is no row's id (a fractional or
//!   out-of-vocabulary id, which the composition embeds as all zeros and ONNX calls an error) is
//!   refused when the witness is computed, before any proving.
//! - Circuit (`crate::circuit::embedding`): per token and chunk of `dot width - 1` values, one row
//!   of the dot chip's input columns with its id in the first and the chunk's values in the
//!   others, looked up as a whole in the embedding table's fixed columns. The table costs
//!   `rows × chunks` rows of the fixed columns, the proof one row per token and chunk instead of
//!   one product per table entry (GPT-2: 38.6 M) plus `16 × 50,257` one-hot rows.

use serde::{Deserialize, Serialize};

pub mod fold;

#[cfg(test)]
mod tests;

/// The quantized step: output row `i` is the table's row for input integer `i`, which must be
/// `first_id + v·id_step` for a row `v`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingTable {
    /// The input integer of row 0.
    pub first_id: i64,
    /// The input integers of consecutive rows differ by this (positive).
    pub id_step: i64,
    /// Values per row.
    pub width: usize,
    /// Row-major `[rows][width]`: the output integers of each row.
    pub values: Vec<i64>,
}

impl EmbeddingTable {
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// The input integer that selects row `v`.
    pub fn id_of(&self, v: usize) -> i64 {
        self.first_id + v as i64 * self.id_step
    }

    /// The row an input integer selects, if any.
    pub fn row_of(&self, id: i64) -> Option<usize> {
        let offset = id.checked_sub(self.first_id)?;
        if self.id_step <= 0 || offset < 0 || offset % self.id_step != 0 {
            return None;
        }
        let v = usize::try_from(offset / self.id_step).ok()?;
        (v < self.rows()).then_some(v)
    }

    /// Row `v`'s values.
    pub fn row(&self, v: usize) -> &[i64] {
        &self.values[v * self.width..(v + 1) * self.width]
    }

    /// The outputs for `ids`, one row each; on an input that is no row's id, its index and value.
    pub fn apply_all(&self, ids: &[i64]) -> Result<Vec<i64>, (usize, i64)> {
        let mut out = Vec::with_capacity(ids.len() * self.width);
        for (i, &id) in ids.iter().enumerate() {
            let v = self.row_of(id).ok_or((i, id))?;
            out.extend_from_slice(self.row(v));
        }
        Ok(out)
    }

    /// The same table restricted to channels `c0..c1` of every row (a block of a divided step).
    pub fn channels(&self, c0: usize, c1: usize) -> Option<EmbeddingTable> {
        if c0 >= c1 || c1 > self.width {
            return None;
        }
        Some(EmbeddingTable {
            first_id: self.first_id,
            id_step: self.id_step,
            width: c1 - c0,
            values: (0..self.rows())
                .flat_map(|v| self.row(v)[c0..c1].iter().copied())
                .collect(),
        })
    }

    /// Lookup rows one token takes with `values_per_row` values a row.
    pub fn chunks(&self, values_per_row: usize) -> usize {
        self.width.div_ceil(values_per_row.max(1)).max(1)
    }

    /// Whether the table is well formed: a positive step, whole rows, ids and values within
    /// `[lo, hi]`.
    pub fn check(&self, lo: i64, hi: i64) -> Result<(), String> {
        if self.id_step <= 0 || self.width == 0 || !self.values.len().is_multiple_of(self.width) {
            return Err(format!(
                "an embedding table of {} values in rows of {} with id step {}",
                self.values.len(),
                self.width,
                self.id_step
            ));
        }
        let last = self.first_id.checked_add(
            (self.rows().max(1) as i64 - 1)
                .checked_mul(self.id_step)
                .unwrap_or(i64::MAX),
        );
        match last {
            Some(last) if self.first_id >= lo && last <= hi => {}
            _ => {
                return Err(format!(
                    "an embedding table's ids from {} by {} leave the domain [{lo}, {hi}]",
                    self.first_id, self.id_step
                ))
            }
        }
        if let Some(v) = self.values.iter().find(|&&v| v < lo || v > hi) {
            return Err(format!(
                "an embedding table's value {v} leaves the domain [{lo}, {hi}]"
            ));
        }
        Ok(())
    }
}
