//! Max chip: proves `m = max(a_1..a_n)` over one pooling window laid out one element per row.
//!
//! - every row: `m - a_i ∈ [0, 2^B)` (lookup), so m is at least every element;
//! - `p_1 = m - a_1`, `p_i = p_{i-1}·(m - a_i)`, and `p_n = 0`, so m equals some element;
//! - `m` is the same on every row of the window.

use super::table::TableConfig;
use super::{fe, known, known_field, Links, Source, Wire};
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct MaxConfig {
    pub a: Column<Advice>,
    pub m: Column<Advice>,
    pub p: Column<Advice>,
    pub q_first: Selector,
    pub q_cont: Selector,
    pub q_last: Selector,
    pub q_lookup: Selector,
}

impl MaxConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, table: &TableConfig) -> Self {
        let c = MaxConfig {
            a: meta.advice_column(),
            m: meta.advice_column(),
            p: meta.advice_column(),
            q_first: meta.selector(),
            q_cont: meta.selector(),
            q_last: meta.selector(),
            q_lookup: meta.complex_selector(),
        };
        meta.enable_equality(c.a);
        meta.enable_equality(c.m);
        let cc = c.clone();
        meta.create_gate("max", |meta| {
            let first = meta.query_selector(cc.q_first);
            let cont = meta.query_selector(cc.q_cont);
            let last = meta.query_selector(cc.q_last);
            let a = meta.query_advice(cc.a, Rotation::cur());
            let m = meta.query_advice(cc.m, Rotation::cur());
            let m_prev = meta.query_advice(cc.m, Rotation::prev());
            let p = meta.query_advice(cc.p, Rotation::cur());
            let p_prev = meta.query_advice(cc.p, Rotation::prev());
            let diff = m.clone() - a;
            vec![
                first * (p.clone() - diff.clone()),
                cont.clone() * (p.clone() - p_prev * diff),
                cont * (m - m_prev),
                last * p,
            ]
        });
        let off = Expression::Constant(Fr::from(table.offset()));
        meta.lookup("max: m >= a", |meta| {
            let s = meta.query_selector(cc.q_lookup);
            let a = meta.query_advice(cc.a, Rotation::cur());
            let m = meta.query_advice(cc.m, Rotation::cur());
            let v = s * (m - a - off.clone());
            vec![
                (Expression::Constant(Fr::zero()), table.tag),
                (v.clone(), table.input),
                (v, table.output),
            ]
        });
        c
    }

    /// Lays out the window `inputs` from `offset` (one row each); returns the max wire. The
    /// maximum is computed unless the witness supplies it (`max`).
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        offset: usize,
        inputs: &[Wire],
        max: Option<i64>,
    ) -> Result<Wire, Error> {
        if inputs.is_empty() {
            return Err(Error::Synthesis);
        }
        let max = max.or_else(|| {
            inputs
                .iter()
                .map(|w| w.value)
                .collect::<Option<Vec<_>>>()
                .and_then(|v| v.into_iter().max())
        });
        // The running product is kept in the field: over a large window it exceeds any integer type.
        let mut p = Some(Fr::one());
        let mut out = None;
        for (i, wire) in inputs.iter().enumerate() {
            let row = offset + i;
            if i == 0 {
                self.q_first.enable(region, row)?;
            } else {
                self.q_cont.enable(region, row)?;
            }
            if i + 1 == inputs.len() {
                self.q_last.enable(region, row)?;
            }
            self.q_lookup.enable(region, row)?;
            let a = region.assign_advice(self.a, row, known(wire.value)).cell();
            links.copy(region, a, wire.source);
            let m = region.assign_advice(self.m, row, known(max)).cell();
            p = p
                .zip(max)
                .zip(wire.value)
                .map(|((p, m), a)| p * fe((m - a) as i128));
            region.assign_advice(self.p, row, known_field(p));
            if i == 0 {
                out = Some(Wire {
                    source: Source::Advice(m),
                    value: max,
                });
            }
        }
        Ok(out.expect("non-empty window"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_rejected, mock, TestCircuit};
    use super::*;

    fn case(xs: Vec<i64>, corrupt: Option<(usize, usize, i64)>) -> TestCircuit {
        let n = xs.len();
        TestCircuit::new(xs, move |config, region, links, public| {
            let max = config.max.as_ref().expect("the test shape has the chip");
            let m = max.assign(region, links, 0, &public[..n], None)?;
            if let Source::Advice(cell) = m.source {
                links.expose(cell, n);
            }
            if let Some((col, row, v)) = corrupt {
                let c = [max.a, max.m, max.p][col];
                region.assign_advice(c, row, known(Some(v)));
            }
            Ok(())
        })
    }

    #[test]
    fn max_of_window() {
        mock(&case(vec![3, -7, 12, 5], None), &[3, -7, 12, 5, 12]).unwrap();
        mock(&case(vec![-4], None), &[-4, -4]).unwrap();
        mock(&case(vec![2, 2, -1], None), &[2, 2, -1, 2]).unwrap();
    }

    #[test]
    fn max_rejects_wrong_maximum_and_corrupted_cells() {
        let xs = vec![3, -7, 12, 5];
        // Claiming a value below the max fails the range check; above it fails the product.
        assert_rejected(mock(&case(xs.clone(), None), &[3, -7, 12, 5, 5]));
        assert_rejected(mock(&case(xs.clone(), None), &[3, -7, 12, 5, 13]));
        // m not constant over the window.
        assert_rejected(mock(
            &case(xs.clone(), Some((1, 2, 20))),
            &[3, -7, 12, 5, 12],
        ));
        // A corrupted running product.
        assert_rejected(mock(
            &case(xs.clone(), Some((2, 1, 0))),
            &[3, -7, 12, 5, 12],
        ));
        // A corrupted copy of an element (the copy constraint breaks).
        assert_rejected(mock(&case(xs, Some((0, 2, 100))), &[3, -7, 12, 5, 12]));
    }
}
