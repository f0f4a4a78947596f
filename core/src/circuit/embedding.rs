//! Embedding chip: proves that a token's embedding row is the fixed table's row for its id, one
//! lookup per chunk of `w - 1` values (`w` the dot width), with no product and no one-hot vector
//! ([`crate::ops::embedding`]).
//!
//! It has no advice column of its own: a chunk lies on a row of the dot chip's input columns
//! `x_0..x_{w-1}` where the dot gate is off, `x_0` a copy of the token's id and `x_1..x_{w-1}`
//! the chunk's values (the outputs later steps copy). Two fixed columns say which embedding
//! and chunk a row holds: `tag` (the embedding's index plus one; 0 on every other row) and
//! `chunk`.
//!
//! - lookup: `(tag, chunk, tag·x_0, tag·x_1, …, tag·x_{w-1})` in the table's columns, which
//!   hold `(j, c, j·id_v, j·E_j[v, c(w-1)], …, j·E_j[v, c(w-1) + w-2])` for every row `v` and
//!   chunk `c` of embedding `j` (values past the row's end 0), and `(0, 0, …, 0)`. On a row
//!   whose tag is 0 every input is 0, which only that entry matches; on a row of embedding `j`
//!   the factor `j ≠ 0` makes the inputs equal the entry exactly when `x_0 = id_v` and
//!   `x_l = E_j[v, …]`: the values are the table's for the id the row copies, in the chunk its
//!   fixed column names. The factor keeps the inputs of degree 2.
//!
//! The table costs `Σ_j rows_j · chunks_j + 1` rows of `w + 2` fixed columns (the embedding
//! values are in the verifying key, as fixed weights are).

use super::dot::DotConfig;
use super::{fe, known, Links, Wire};
use crate::ops::embedding::EmbeddingTable;
use crate::qgraph::{QGraph, StepKind};
use halo2_proofs::circuit::{Cell, Layouter, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, TableColumn};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct EmbeddingConfig {
    /// The dot chip's input columns: the id, then the chunk's values.
    pub x: Vec<Column<Advice>>,
    pub tag: Column<Fixed>,
    pub chunk: Column<Fixed>,
    pub table_tag: TableColumn,
    pub table_chunk: TableColumn,
    /// The tagged id, then the tagged values.
    pub table_x: Vec<TableColumn>,
}

impl EmbeddingConfig {
    /// Needs a dot width of at least 2 (an id and a value per row).
    pub fn configure(meta: &mut ConstraintSystem<Fr>, dot: &DotConfig) -> Self {
        let config = EmbeddingConfig {
            x: dot.x.clone(),
            tag: meta.fixed_column(),
            chunk: meta.fixed_column(),
            table_tag: meta.lookup_table_column(),
            table_chunk: meta.lookup_table_column(),
            table_x: dot.x.iter().map(|_| meta.lookup_table_column()).collect(),
        };
        let c = config.clone();
        meta.lookup("embedding row", |meta| {
            let tag = meta.query_fixed(c.tag, Rotation::cur());
            let chunk = meta.query_fixed(c.chunk, Rotation::cur());
            let mut pairs = vec![(tag.clone(), c.table_tag), (chunk, c.table_chunk)];
            for (x, t) in c.x.iter().zip(&c.table_x) {
                pairs.push((tag.clone() * meta.query_advice(*x, Rotation::cur()), *t));
            }
            pairs
        });
        config
    }

    /// Values a row holds (`w - 1`).
    pub fn values_per_row(&self) -> usize {
        self.x.len().saturating_sub(1)
    }

    /// Loads `tables` (a graph's [`embeddings`]) into the table, embedding `j` tagged `j + 1`.
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fr>,
        tables: &[&EmbeddingTable],
    ) -> Result<(), Error> {
        let per_row = self.values_per_row();
        if per_row == 0 {
            return Err(Error::Synthesis);
        }
        layouter.assign_table(
            || "embedding table",
            |mut table| {
                let mut row = 0;
                let mut put = |tag: u64, chunk: usize, cells: &[Fr]| -> Result<(), Error> {
                    table.assign_cell(
                        || "tag",
                        self.table_tag,
                        row,
                        || Value::known(Fr::from(tag)),
                    )?;
                    table.assign_cell(
                        || "chunk",
                        self.table_chunk,
                        row,
                        || Value::known(Fr::from(chunk as u64)),
                    )?;
                    for (l, column) in self.table_x.iter().enumerate() {
                        let v = cells.get(l).copied().unwrap_or(Fr::zero());
                        table.assign_cell(|| "x", *column, row, || Value::known(v))?;
                    }
                    row += 1;
                    Ok(())
                };
                put(0, 0, &[])?;
                let mut cells = Vec::with_capacity(per_row + 1);
                for (j, t) in tables.iter().enumerate() {
                    let tag = j as u64 + 1;
                    let factor = fe(tag as i128);
                    for v in 0..t.rows() {
                        let values = t.row(v);
                        for (c, part) in values.chunks(per_row).enumerate() {
                            cells.clear();
                            cells.push(factor * fe(t.id_of(v) as i128));
                            cells.extend(part.iter().map(|&x| factor * fe(x as i128)));
                            put(tag, c, &cells)?;
                        }
                    }
                }
                Ok(())
            },
        )
    }

    /// Lays out one token's row of embedding `tag` from `row` on, one row a chunk: the id copied
    /// from `id`, the values `values` (None while generating keys) as new cells. Returns the
    /// values' cells.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        row: usize,
        tag: u64,
        id: Wire,
        values: &[Option<i64>],
    ) -> Result<Vec<Cell>, Error> {
        let per_row = self.values_per_row();
        if per_row == 0 {
            return Err(Error::Synthesis);
        }
        let mut cells = Vec::with_capacity(values.len());
        for (c, part) in values.chunks(per_row).enumerate() {
            let r = row + c;
            region.assign_fixed(self.tag, r, Fr::from(tag));
            region.assign_fixed(self.chunk, r, Fr::from(c as u64));
            let id_cell = region.assign_advice(self.x[0], r, known(id.value)).cell();
            links.copy(region, id_cell, id.source);
            for l in 1..self.x.len() {
                // Past the row's end, the table's padding 0.
                let v = part.get(l - 1).copied().unwrap_or(Some(0));
                let cell = region.assign_advice(self.x[l], r, known(v)).cell();
                if l - 1 < part.len() {
                    cells.push(cell);
                }
            }
        }
        Ok(cells)
    }
}

/// The embedding tables of `graph`'s steps, in step order (their tags are their positions
/// plus one).
pub fn embeddings(graph: &QGraph) -> Vec<&EmbeddingTable> {
    graph
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Embedding(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// Rows of the embedding table for `graph` with `values_per_row` values a row (0 without
/// embeddings).
pub fn table_rows(graph: &QGraph, values_per_row: usize) -> usize {
    let tables = embeddings(graph);
    if tables.is_empty() {
        return 0;
    }
    1 + tables
        .iter()
        .map(|t| t.rows() * t.chunks(values_per_row))
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mock_k, TestCircuit};
    use super::super::{fe, Visibility, Wire};
    use super::*;
    use crate::circuit::table::TableSpec;
    use crate::circuit::CircuitShape;

    fn table() -> EmbeddingTable {
        EmbeddingTable {
            first_id: 0,
            id_step: 2,
            width: 5,
            values: (0..4 * 5).map(|i| (i * 7 % 23) as i64 - 11).collect(),
        }
    }

    /// A circuit laying out the embedding of `claimed` (as the id wire's value) for the instance's
    /// id at row 0, with `values` as its row.
    fn circuit(id: i64, claimed: i64, values: Vec<i64>) -> TestCircuit {
        embedding_of(Some(id), claimed, values)
    }

    /// The same with the id from the instance (`Some`), or from an advice cell holding
    /// `claimed` (for a real proof, which these tests make without public values).
    fn embedding_of(id: Option<i64>, claimed: i64, values: Vec<i64>) -> TestCircuit {
        let shape = CircuitShape {
            dot_width: 4,
            visibility: Visibility::PUBLIC,
            embedding_lookups: true,
            ..CircuitShape::default()
        };
        TestCircuit::new(
            id.into_iter().collect(),
            move |config, region, links, wires| {
                let chip = config.embedding.as_ref().ok_or(Error::Synthesis)?;
                let source = match wires.first() {
                    Some(w) => w.source,
                    None => {
                        let cell = region.assign_advice(chip.x[0], 8, known(Some(claimed)));
                        super::super::Source::Advice(cell.cell())
                    }
                };
                let wire = Wire {
                    source,
                    value: Some(claimed),
                };
                let values: Vec<Option<i64>> = values.iter().map(|&v| Some(v)).collect();
                chip.assign(region, links, 0, 1, wire, &values)?;
                Ok(())
            },
        )
        .with_shape(shape, TableSpec::default())
        .with_embeddings(vec![table()])
    }

    fn run(c: &TestCircuit, id: i64) -> bool {
        mock_k(10, c, &[fe(id as i128)]).is_ok()
    }

    #[test]
    fn a_row_of_the_table_is_accepted_for_its_id_only() {
        let t = table();
        for v in 0..t.rows() {
            let id = t.id_of(v);
            assert!(run(&circuit(id, id, t.row(v).to_vec()), id), "row {v}");
        }
        // Row 2's values for the id of row 1, at the instance and in the cell alike.
        assert!(!run(&circuit(2, 2, t.row(2).to_vec()), 2));
        // The cell claims row 2's id while the instance says row 1's: the copy ties them.
        assert!(!run(&circuit(2, 4, t.row(2).to_vec()), 2));
        // An id between rows, with row 1's values.
        assert!(!run(&circuit(3, 3, t.row(1).to_vec()), 3));
        // The last chunk's padding (5 values in chunks of 3) is the table's 0, nothing else.
        assert_eq!(t.chunks(3) * 3, t.width + 1);
        let mut padded = t.row(1).to_vec();
        padded.push(0);
        assert!(run(&circuit(2, 2, padded.clone()), 2));
        padded[5] = 1;
        assert!(!run(&circuit(2, 2, padded), 2));
    }

    /// One real proof of the chip: the honest row verifies, another row's values for the id do
    /// not.
    #[test]
    fn a_real_proof_of_a_row_verifies_and_of_another_rows_values_does_not() {
        use super::super::testing::real_proof_verifies_with;
        let t = table();
        let honest = embedding_of(None, 4, t.row(2).to_vec());
        let forged = embedding_of(None, 4, t.row(3).to_vec());
        // The shape's instance column, empty.
        assert!(real_proof_verifies_with(10, 7, &honest, &honest, &[&[]]));
        assert!(!real_proof_verifies_with(10, 7, &honest, &forged, &[&[]]));
    }
}
