//! The lookup table shared by every chip: `(tag, input, output)` triples over the activation
//! domain `[-2^(B-1), 2^(B-1))`.
//! - tag 0: identity `(0, v, v)`: a signed range check (and `(0, 0, 0)` for disabled rows);
//! - tag 1: ReLU `(1, v, max(v, 0))`;
//! - tag 2+i: the i-th distinct clip `(2+i, v, clamp(v, lo_i, hi_i))`.
//!
//! The table's size depends on B and the number of clips only, never on the model's weights.

use super::fe;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};
use halo2curves::bn256::Fr;

pub const TAG_IDENTITY: u64 = 0;
pub const TAG_RELU: u64 = 1;
pub const TAG_FIRST_CLIP: u64 = 2;

#[derive(Clone, Debug)]
pub struct TableConfig {
    pub tag: TableColumn,
    pub input: TableColumn,
    pub output: TableColumn,
    pub act_bits: u32,
}

impl TableConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, act_bits: u32) -> Self {
        TableConfig {
            tag: meta.lookup_table_column(),
            input: meta.lookup_table_column(),
            output: meta.lookup_table_column(),
            act_bits,
        }
    }

    /// Offset that maps an unsigned range [0, 2^B) onto the signed domain.
    pub fn offset(&self) -> u64 {
        1 << (self.act_bits - 1)
    }

    pub fn rows(act_bits: u32, n_clips: usize) -> usize {
        (2 + n_clips) << act_bits
    }

    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fr>,
        clips: &[(i64, i64)],
    ) -> Result<(), Error> {
        let half = 1i64 << (self.act_bits - 1);
        type Function = Box<dyn Fn(i64) -> i64>;
        let mut functions: Vec<(u64, Function)> = vec![
            (TAG_IDENTITY, Box::new(|v| v)),
            (TAG_RELU, Box::new(|v: i64| v.max(0))),
        ];
        for (i, &(lo, hi)) in clips.iter().enumerate() {
            functions.push((
                TAG_FIRST_CLIP + i as u64,
                Box::new(move |v: i64| v.clamp(lo, hi)),
            ));
        }
        layouter.assign_table(
            || "activation table",
            |mut table| {
                let mut row = 0;
                for (tag, f) in &functions {
                    for v in -half..half {
                        table.assign_cell(
                            || "tag",
                            self.tag,
                            row,
                            || Value::known(Fr::from(*tag)),
                        )?;
                        table.assign_cell(
                            || "in",
                            self.input,
                            row,
                            || Value::known(fe(v as i128)),
                        )?;
                        table.assign_cell(
                            || "out",
                            self.output,
                            row,
                            || Value::known(fe(f(v) as i128)),
                        )?;
                        row += 1;
                    }
                }
                Ok(())
            },
        )
    }
}
