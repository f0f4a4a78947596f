//! Dot-product chip: accumulates `acc = bias + Σ x_i·w_i` over consecutive rows, `width` products
//! per row. Weights and biases are fixed columns, so they are committed in the verifying key; the
//! x cells are copies (equality-constrained) of earlier activations or public inputs.
//!
//! first row:      acc = bias + Σ_l x_l·w_l
//! following rows: acc = acc[-1] + Σ_l x_l·w_l

use super::{fe, known, Links, Wire};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct DotConfig {
    pub x: Vec<Column<Advice>>,
    pub w: Vec<Column<Fixed>>,
    pub bias: Column<Fixed>,
    pub acc: Column<Advice>,
    pub q_first: Selector,
    pub q_cont: Selector,
}

impl DotConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, width: usize) -> Self {
        let x: Vec<_> = (0..width).map(|_| meta.advice_column()).collect();
        let w: Vec<_> = (0..width).map(|_| meta.fixed_column()).collect();
        for c in &x {
            meta.enable_equality(*c);
        }
        let config = DotConfig {
            x,
            w,
            bias: meta.fixed_column(),
            acc: meta.advice_column(),
            q_first: meta.selector(),
            q_cont: meta.selector(),
        };
        let c = config.clone();
        meta.create_gate("dot product", |meta| {
            let q_first = meta.query_selector(c.q_first);
            let q_cont = meta.query_selector(c.q_cont);
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let prev = meta.query_advice(c.acc, Rotation::prev());
            let bias = meta.query_fixed(c.bias, Rotation::cur());
            let sum =
                c.x.iter()
                    .zip(&c.w)
                    .fold(Expression::Constant(Fr::zero()), |s, (x, w)| {
                        s + meta.query_advice(*x, Rotation::cur())
                            * meta.query_fixed(*w, Rotation::cur())
                    });
            vec![
                q_first * (acc.clone() - bias - sum.clone()),
                q_cont * (acc - prev - sum),
            ]
        });
        config
    }

    pub fn width(&self) -> usize {
        self.x.len()
    }

    /// Rows one dot product of `n` terms occupies.
    pub fn rows_for(n: usize, width: usize) -> usize {
        n.div_ceil(width).max(1)
    }

    /// Lays out `bias + Σ inputs[i]·weights[i]` from `offset`; returns the final accumulator
    /// cell (on the last row) and its value.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        offset: usize,
        inputs: &[Wire],
        weights: &[i64],
        bias: i128,
    ) -> Result<(Cell, Option<i128>), Error> {
        let rows = Self::rows_for(inputs.len(), self.width());
        let mut acc = Some(bias);
        let mut last = None;
        for r in 0..rows {
            let row = offset + r;
            if r == 0 {
                self.q_first.enable(region, row)?;
                region.assign_fixed(self.bias, row, fe(bias));
            } else {
                self.q_cont.enable(region, row)?;
            }
            for l in 0..self.width() {
                let i = r * self.width() + l;
                match inputs.get(i) {
                    Some(wire) => {
                        let cell = region
                            .assign_advice(self.x[l], row, known(wire.value))
                            .cell();
                        links.copy(region, cell, wire.source);
                        region.assign_fixed(self.w[l], row, fe(weights[i] as i128));
                        acc = acc
                            .zip(wire.value)
                            .map(|(a, x)| a + weights[i] as i128 * x as i128);
                    }
                    None => {
                        // Unused lanes: weight 0 makes the x cell irrelevant.
                        region.assign_advice(self.x[l], row, known(Some(0)));
                        region.assign_fixed(self.w[l], row, Fr::zero());
                    }
                }
            }
            last = Some(region.assign_advice(self.acc, row, known(acc)).cell());
        }
        Ok((last.expect("at least one row"), acc))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_rejected, mock, TestCircuit};
    use super::super::Source;
    use super::*;
    use crate::qgraph::Activation;

    /// The dot product is made public through a divide-by-1 rescale (the accumulator column
    /// itself is not in the permutation argument).
    fn case(
        xs: &[i64],
        ws: Vec<i64>,
        bias: i128,
        corrupt: Option<(bool, usize, i64)>,
    ) -> TestCircuit {
        let n = xs.len();
        TestCircuit::new(xs.to_vec(), move |config, region, links, public| {
            let (_, acc) = config
                .dot
                .assign(region, links, 0, &public[..n], &ws, bias)?;
            let last = DotConfig::rows_for(n, config.dot.width()) - 1;
            let y = config
                .rescale
                .assign(region, last, acc, 1, Activation::Identity, 0, None)?;
            if let Source::Advice(cell) = y.source {
                links.expose(cell, n);
            }
            if let Some((is_acc, row, v)) = corrupt {
                let col = if is_acc {
                    config.dot.acc
                } else {
                    config.dot.x[1]
                };
                region.assign_advice(col, row, known(Some(v)));
            }
            Ok(())
        })
    }

    #[test]
    fn accepts_correct_dot_product_and_rejects_corruption() {
        let xs: Vec<i64> = (0..11).map(|i| i - 5).collect();
        let ws: Vec<i64> = (0..11).map(|i| i % 3 - 1).collect();
        let bias = 17i128;
        let expected = bias
            + xs.iter()
                .zip(&ws)
                .map(|(x, w)| (*x * *w) as i128)
                .sum::<i128>();
        let mut public: Vec<i64> = xs.clone();
        public.push(expected as i64);
        mock(&case(&xs, ws.clone(), bias, None), &public).unwrap();
        // A corrupted intermediate accumulator (row 1 of 3 at width 4).
        assert_rejected(mock(
            &case(&xs, ws.clone(), bias, Some((true, 1, 100))),
            &public,
        ));
        // A corrupted copied input (breaks the copy constraint to the public input).
        assert_rejected(mock(
            &case(&xs, ws.clone(), bias, Some((false, 0, 99))),
            &public,
        ));
        // A wrong public output.
        let mut wrong = public.clone();
        *wrong.last_mut().unwrap() += 1;
        assert_rejected(mock(&case(&xs, ws, bias, None), &wrong));
    }
}
