//! Dot-product chip: accumulates `acc = bias + Σ x_i·w_i` over consecutive rows, `width` products
//! per row. The x cells are copies (equality-constrained) of earlier activations or public inputs.
//!
//! Weights are either fixed columns (committed in the verifying key) or, for models with hidden
//! weights, advice cells copied from the committed parameter cells of the pack chip. Fixed
//! per-lane flags `h_l` (and `h_b` for the bias) say which: a hidden lane has fixed weight 0, and
//! an advice weight counts only where its flag is 1. Unused lanes have both weights 0, so their
//! free x cells contribute nothing. Pooling and elementwise steps keep their structural weights
//! fixed even in a hidden model.
//!
//! first row:      acc = bias + h_b·bias_hidden + Σ_l x_l·(w_l + h_l·w_hidden_l)
//! following rows: acc = acc[-1] + Σ_l x_l·(w_l + h_l·w_hidden_l)

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
    pub hidden: Option<HiddenWeightColumns>,
}

/// The extra columns of a model whose weights are hidden.
#[derive(Clone, Debug)]
pub struct HiddenWeightColumns {
    pub w: Vec<Column<Advice>>,
    pub bias: Column<Advice>,
    /// Per lane: 1 where that lane's weight comes from the advice column.
    pub h: Vec<Column<Fixed>>,
    /// 1 on a first row whose bias comes from the advice column.
    pub h_bias: Column<Fixed>,
}

/// Where a hidden dot product's weights and bias are committed: cells of the pack chip. A term
/// without a cell (None) keeps its structural weight in the fixed column.
pub struct HiddenWeights<'a> {
    pub weights: &'a [Option<Cell>],
    pub bias: Option<(Cell, i64)>,
}

impl DotConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, width: usize, hidden_weights: bool) -> Self {
        let x: Vec<_> = (0..width).map(|_| meta.advice_column()).collect();
        let w: Vec<_> = (0..width).map(|_| meta.fixed_column()).collect();
        for c in &x {
            meta.enable_equality(*c);
        }
        let hidden = hidden_weights.then(|| {
            let columns = HiddenWeightColumns {
                w: (0..width).map(|_| meta.advice_column()).collect(),
                bias: meta.advice_column(),
                h: (0..width).map(|_| meta.fixed_column()).collect(),
                h_bias: meta.fixed_column(),
            };
            for c in columns.w.iter().chain([&columns.bias]) {
                meta.enable_equality(*c);
            }
            columns
        });
        let config = DotConfig {
            x,
            w,
            bias: meta.fixed_column(),
            acc: meta.advice_column(),
            q_first: meta.selector(),
            q_cont: meta.selector(),
            hidden,
        };
        let c = config.clone();
        meta.create_gate("dot product", |meta| {
            let q_first = meta.query_selector(c.q_first);
            let q_cont = meta.query_selector(c.q_cont);
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let prev = meta.query_advice(c.acc, Rotation::prev());
            let mut bias = meta.query_fixed(c.bias, Rotation::cur());
            let mut sum = Expression::Constant(Fr::zero());
            for (l, (x, w)) in c.x.iter().zip(&c.w).enumerate() {
                let x = meta.query_advice(*x, Rotation::cur());
                let mut weight = meta.query_fixed(*w, Rotation::cur());
                if let Some(hidden) = &c.hidden {
                    let h = meta.query_fixed(hidden.h[l], Rotation::cur());
                    weight = weight + h * meta.query_advice(hidden.w[l], Rotation::cur());
                }
                sum = sum + x * weight;
            }
            if let Some(hidden) = &c.hidden {
                let h = meta.query_fixed(hidden.h_bias, Rotation::cur());
                bias = bias + h * meta.query_advice(hidden.bias, Rotation::cur());
            }
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

    /// Lays out `bias + x·w` on one row for two computed values ([`crate::ops::mul`]): `x` in
    /// lane 0's input column and `w` in lane 0's advice-weight column, both copied from their
    /// wires, the lane's fixed weight 0 and its flag 1, every other lane zero. `bias` is a fixed
    /// constant (the rounding offset). Needs the advice-weight columns.
    pub fn assign_product(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        row: usize,
        x: Wire,
        w: Wire,
        bias: i128,
    ) -> Result<Option<i128>, Error> {
        self.assign_products(region, links, row, &[(x, w)], bias)
    }

    /// Lays out `bias + Σ x_l·w_l` on one row for pairs of computed values, pair `l` in lane
    /// `l` as [`DotConfig::assign_product`] lays out one (a squared difference's expanded
    /// square). At most one pair per lane.
    pub fn assign_products(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        row: usize,
        pairs: &[(Wire, Wire)],
        bias: i128,
    ) -> Result<Option<i128>, Error> {
        let hidden = self.hidden.as_ref().ok_or(Error::Synthesis)?;
        if pairs.len() > self.width() {
            return Err(Error::Synthesis);
        }
        self.q_first.enable(region, row)?;
        region.assign_fixed(self.bias, row, fe(bias));
        region.assign_fixed(hidden.h_bias, row, Fr::zero());
        region.assign_advice(hidden.bias, row, known(Some(0)));
        let mut acc = Some(bias);
        for l in 0..self.width() {
            let pair = pairs.get(l);
            region.assign_fixed(self.w[l], row, Fr::zero());
            region.assign_fixed(hidden.h[l], row, Fr::from(pair.is_some() as u64));
            let (xv, wv) = pair.map_or((Some(0), Some(0)), |(x, w)| (x.value, w.value));
            let xc = region.assign_advice(self.x[l], row, known(xv)).cell();
            let wc = region.assign_advice(hidden.w[l], row, known(wv)).cell();
            if let Some((x, w)) = pair {
                links.copy(region, xc, x.source);
                links.copy(region, wc, w.source);
            }
            acc = acc
                .zip(xv.zip(wv))
                .map(|(a, (x, w))| a + x as i128 * w as i128);
        }
        region.assign_advice(self.acc, row, known(acc));
        Ok(acc)
    }

    /// Lays out `bias + Σ inputs[i]·weights[i]` from `offset`; returns the final accumulator
    /// cell (on the last row) and its value. `bias` is the public constant term; with `hidden`,
    /// the weights (and the hidden bias, added to `bias`) are advice cells copied from their
    /// committed cells, and the fixed columns hold no model parameter.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        offset: usize,
        inputs: &[Wire],
        weights: &[i64],
        bias: i128,
        hidden: Option<&HiddenWeights<'_>>,
    ) -> Result<(Cell, Option<i128>), Error> {
        let rows = Self::rows_for(inputs.len(), self.width());
        let columns = match (hidden, &self.hidden) {
            (None, columns) => columns.as_ref().map(|c| (c, None)),
            (Some(h), Some(c)) => {
                if h.weights.len() != inputs.len() {
                    return Err(Error::Synthesis);
                }
                Some((c, Some(h)))
            }
            (Some(_), None) => return Err(Error::Synthesis),
        };
        let hidden_bias = hidden.and_then(|h| h.bias).map_or(0, |(_, b)| b as i128);
        let mut acc = Some(bias + hidden_bias);
        let mut last = None;
        for r in 0..rows {
            let row = offset + r;
            if r == 0 {
                self.q_first.enable(region, row)?;
                region.assign_fixed(self.bias, row, fe(bias));
            } else {
                self.q_cont.enable(region, row)?;
            }
            if let Some((c, h)) = columns {
                let bias_cell = h.and_then(|h| h.bias).filter(|_| r == 0);
                region.assign_fixed(c.h_bias, row, Fr::from(bias_cell.is_some() as u64));
                let b = region.assign_advice(
                    c.bias,
                    row,
                    known(Some(if bias_cell.is_some() { hidden_bias } else { 0 })),
                );
                if let Some((cell, _)) = bias_cell {
                    region.constrain_equal(b.cell(), cell);
                }
            }
            for l in 0..self.width() {
                let i = r * self.width() + l;
                let public_weight = match inputs.get(i) {
                    Some(wire) => {
                        let cell = region
                            .assign_advice(self.x[l], row, known(wire.value))
                            .cell();
                        links.copy(region, cell, wire.source);
                        acc = acc
                            .zip(wire.value)
                            .map(|(a, x)| a + weights[i] as i128 * x as i128);
                        weights[i]
                    }
                    None => {
                        // Unused lanes: weight 0 makes the x cell irrelevant.
                        region.assign_advice(self.x[l], row, known(Some(0)));
                        0
                    }
                };
                let hidden_cell = columns
                    .and_then(|(_, h)| h)
                    .and_then(|h| h.weights.get(i).copied().flatten());
                if let Some((c, _)) = columns {
                    region.assign_fixed(c.h[l], row, Fr::from(hidden_cell.is_some() as u64));
                    let w = region.assign_advice(
                        c.w[l],
                        row,
                        known(Some(if hidden_cell.is_some() {
                            public_weight
                        } else {
                            0
                        })),
                    );
                    if let Some(cell) = hidden_cell {
                        region.constrain_equal(w.cell(), cell);
                    }
                }
                let fixed_weight = if hidden_cell.is_some() {
                    0
                } else {
                    public_weight
                };
                region.assign_fixed(self.w[l], row, fe(fixed_weight as i128));
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
                .assign(region, links, 0, &public[..n], &ws, bias, None)?;
            let last = DotConfig::rows_for(n, config.dot.width()) - 1;
            let rescale = config
                .rescale
                .as_ref()
                .expect("the test shape has the chip");
            let y = rescale.assign(region, last, acc, 1, None, Activation::Identity, 0, None)?;
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

    /// `a·b + bias` of two public values through a product row, exposed by a divide-by-1
    /// rescale; `corrupt` overwrites (is the advice-weight cell?, value) on row 0.
    fn product_case(a: i64, b: i64, bias: i128, corrupt: Option<(bool, i64)>) -> TestCircuit {
        TestCircuit::new(vec![a, b], move |config, region, links, public| {
            let acc = config
                .dot
                .assign_product(region, links, 0, public[0], public[1], bias)?;
            let rescale = config
                .rescale
                .as_ref()
                .expect("the test shape has the chip");
            let y = rescale.assign(region, 0, acc, 1, None, Activation::Identity, 0, None)?;
            if let Source::Advice(cell) = y.source {
                links.expose(cell, 2);
            }
            if let Some((weight, v)) = corrupt {
                let hidden = config.dot.hidden.as_ref().expect("advice weights");
                let col = if weight { hidden.w[0] } else { config.dot.x[0] };
                region.assign_advice(col, 0, known(Some(v)));
            }
            Ok(())
        })
    }

    #[test]
    fn a_product_row_multiplies_two_copied_values_and_rejects_a_changed_factor() {
        mock(&product_case(-7, 9, 2, None), &[-7, 9, -61]).unwrap();
        mock(&product_case(12, -10, 0, None), &[12, -10, -120]).unwrap();
        assert_rejected(mock(&product_case(-7, 9, 2, None), &[-7, 9, -60]));
        // A factor cell that is not the copied value (either lane) breaks its copy constraint.
        assert_rejected(mock(
            &product_case(-7, 9, 2, Some((true, 8))),
            &[-7, 9, -54],
        ));
        assert_rejected(mock(
            &product_case(-7, 9, 2, Some((false, -6))),
            &[-7, 9, -52],
        ));
    }
}
