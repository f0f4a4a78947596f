//! The vendored halo2-axiom's patch 8: MockProver sorts and searches lookup rows by their
//! canonical bytes instead of by `Fr`'s `Ord`. Every corrupted-witness test of the crate relies on
//! MockProver reporting a lookup input that is not in the table, so this checks the check
//! itself, in both of its versions (`verify` and `verify_par`): a witness whose every input row
//! is a table row is accepted, and exactly the rows whose input is not one are reported,
//! including inputs that agree with a table row in one column only, a field element far above
//! the table (p - 1) and a row whose tag is off.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use std::collections::BTreeSet;

/// Table rows `(tag, v, v²)` for `v < TABLE_ROWS`, tags 1 and 2: two functions in one table, as
/// the model circuit's table holds several.
const TABLE_ROWS: u64 = 3000;
const K: u32 = 13;

#[derive(Clone)]
struct Config {
    tag: Column<Advice>,
    x: Column<Advice>,
    y: Column<Advice>,
    s: Selector,
    table: [TableColumn; 3],
}

/// Looks up `(tag, x, y)` on every enabled row.
#[derive(Clone, Default)]
struct Lookups {
    rows: Vec<[Fr; 3]>,
}

impl Circuit<Fr> for Lookups {
    type Config = Config;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Config {
        let c = Config {
            tag: meta.advice_column(),
            x: meta.advice_column(),
            y: meta.advice_column(),
            s: meta.complex_selector(),
            table: [
                meta.lookup_table_column(),
                meta.lookup_table_column(),
                meta.lookup_table_column(),
            ],
        };
        meta.lookup("tagged square", |meta| {
            let s = meta.query_selector(c.s);
            let mut q = |col| meta.query_advice(col, Rotation::cur());
            let (tag, x, y) = (q(c.tag), q(c.x), q(c.y));
            vec![
                (s.clone() * tag, c.table[0]),
                (s.clone() * x, c.table[1]),
                (s * y, c.table[2]),
            ]
        });
        c
    }

    fn synthesize(&self, c: Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "table",
            |mut table| {
                let mut row = 0;
                // The all-zero row, for disabled rows.
                for (col, v) in c.table.iter().zip([Fr::ZERO; 3]) {
                    table.assign_cell(|| "zero", *col, row, || Value::known(v))?;
                }
                for tag in [1u64, 2] {
                    for v in 0..TABLE_ROWS {
                        row += 1;
                        let y = if tag == 1 { v * v } else { v * v + 1 };
                        for (col, value) in c.table.iter().zip([tag, v, y]) {
                            table.assign_cell(
                                || "entry",
                                *col,
                                row,
                                || Value::known(Fr::from(value)),
                            )?;
                        }
                    }
                }
                Ok(())
            },
        )?;
        layouter.assign_region(
            || "inputs",
            |mut region| {
                for (offset, row) in self.rows.iter().enumerate() {
                    c.s.enable(&mut region, offset)?;
                    for (col, v) in [c.tag, c.x, c.y].into_iter().zip(row) {
                        region.assign_advice(col, offset, Value::known(*v));
                    }
                }
                Ok(())
            },
        )
    }
}

/// 200 input rows, every one a table row (both tags, the table's ends among them).
fn honest_rows() -> Vec<[Fr; 3]> {
    (0..200u64)
        .map(|i| {
            let tag = 1 + i % 2;
            let v = (i * 97) % TABLE_ROWS;
            let v = if i == 0 { TABLE_ROWS - 1 } else { v };
            let y = if tag == 1 { v * v } else { v * v + 1 };
            [Fr::from(tag), Fr::from(v), Fr::from(y)]
        })
        .collect()
}

fn lookup_failure_rows(failures: &[VerifyFailure]) -> BTreeSet<usize> {
    failures
        .iter()
        .map(|f| match f {
            VerifyFailure::Lookup { location, .. } => match location {
                FailureLocation::InRegion { offset, .. } => *offset,
                FailureLocation::OutsideRegion { row } => *row,
            },
            other => panic!("a failure other than a missing lookup input: {other}"),
        })
        .collect()
}

fn check(
    rows: Vec<[Fr; 3]>,
) -> (
    Result<(), Vec<VerifyFailure>>,
    Result<(), Vec<VerifyFailure>>,
) {
    let prover = MockProver::run(K, &Lookups { rows }, vec![]).unwrap();
    (prover.verify(), prover.verify_par())
}

#[test]
fn a_witness_of_table_rows_is_accepted_by_both_checks() {
    let (sequential, parallel) = check(honest_rows());
    assert!(sequential.is_ok(), "{sequential:?}");
    assert!(parallel.is_ok(), "{parallel:?}");
}

#[test]
fn exactly_the_rows_whose_input_is_not_in_the_table_are_reported() {
    let mut rows = honest_rows();
    // A tag-2 row with tag 1's y: each column's value is in the table, the row is not.
    rows[3][2] -= Fr::ONE;
    // A field element far above the table, the largest there is.
    rows[50][1] = -Fr::ONE;
    // The tag off: (3, v, v²) is no row.
    rows[120][0] = Fr::from(3);
    // x just past the table's end, y its square.
    rows[199] = [
        Fr::ONE,
        Fr::from(TABLE_ROWS),
        Fr::from(TABLE_ROWS * TABLE_ROWS),
    ];
    let want: BTreeSet<usize> = [3, 50, 120, 199].into();
    let (sequential, parallel) = check(rows);
    assert_eq!(lookup_failure_rows(&sequential.unwrap_err()), want);
    assert_eq!(lookup_failure_rows(&parallel.unwrap_err()), want);
}
