//! Rescale chip: proves `y = act(q)` where `acc = q·d + r`, `0 <= r < d`, for a fixed divisor `d`
//! (a power of two for scale changes, the window size for averages). The accumulator already
//! includes `⌊d/2⌋` (added to the bias), so `q` is `acc / d` rounded half up.
//!
//! - gate: `acc - q·d - r = 0`
//! - lookups: `r ∈ [0, 2^B)` and `d - 1 - r ∈ [0, 2^B)` (so `r < d`), and `(tag, q, y)` in the
//!   activation table, which also range-checks `q` to `[-2^(B-1), 2^(B-1))`.
//!
//! It sits on the last row of a dot product and reads that row's accumulator.

use super::table::TableConfig;
use super::{known, Source, Wire};
use crate::qgraph::Rescale;
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct RescaleConfig {
    pub acc: Column<Advice>,
    pub q: Column<Advice>,
    pub r: Column<Advice>,
    pub y: Column<Advice>,
    pub d: Column<Fixed>,
    pub tag: Column<Fixed>,
    pub s: Selector,
}

impl RescaleConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        acc: Column<Advice>,
        table: &TableConfig,
    ) -> Self {
        let config = RescaleConfig {
            acc,
            q: meta.advice_column(),
            r: meta.advice_column(),
            y: meta.advice_column(),
            d: meta.fixed_column(),
            tag: meta.fixed_column(),
            s: meta.complex_selector(),
        };
        meta.enable_equality(config.y);
        let c = config.clone();
        meta.create_gate("rescale", |meta| {
            let s = meta.query_selector(c.s);
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let q = meta.query_advice(c.q, Rotation::cur());
            let r = meta.query_advice(c.r, Rotation::cur());
            let d = meta.query_fixed(c.d, Rotation::cur());
            vec![s * (acc - q * d - r)]
        });
        let off = Expression::Constant(Fr::from(table.offset()));
        let zero = Expression::Constant(Fr::zero());
        let one = Expression::Constant(Fr::one());
        meta.lookup("rescale: remainder >= 0", |meta| {
            let s = meta.query_selector(c.s);
            let r = meta.query_advice(c.r, Rotation::cur());
            let v = s * (r - off.clone());
            vec![
                (zero.clone(), table.tag),
                (v.clone(), table.input),
                (v, table.output),
            ]
        });
        meta.lookup("rescale: remainder < divisor", |meta| {
            let s = meta.query_selector(c.s);
            let r = meta.query_advice(c.r, Rotation::cur());
            let d = meta.query_fixed(c.d, Rotation::cur());
            let v = s * (d - one.clone() - r - off.clone());
            vec![
                (zero.clone(), table.tag),
                (v.clone(), table.input),
                (v, table.output),
            ]
        });
        meta.lookup("rescale: activation", |meta| {
            let s = meta.query_selector(c.s);
            let tag = meta.query_fixed(c.tag, Rotation::cur());
            let q = meta.query_advice(c.q, Rotation::cur());
            let y = meta.query_advice(c.y, Rotation::cur());
            vec![
                (s.clone() * tag, table.tag),
                (s.clone() * q, table.input),
                (s * y, table.output),
            ]
        });
        config
    }

    /// Assigns the rescale of `acc` (the accumulator on `row`) and returns the output wire.
    /// The output value is `act(q)` unless the witness supplies it (`y`), in which case the
    /// witness is used as given and the constraints decide whether it is right.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        acc: Option<i128>,
        divisor: u64,
        act: crate::qgraph::Activation,
        tag: u64,
        y: Option<i64>,
    ) -> Result<Wire, Error> {
        self.s.enable(region, row)?;
        region.assign_fixed(self.d, row, Fr::from(divisor));
        region.assign_fixed(self.tag, row, Fr::from(tag));
        let qr = acc.map(|a| Rescale::floor_div(a, divisor));
        let q = qr.map(|(q, _)| q);
        let y = y.or_else(|| q.map(|q| act.apply(q as i64)));
        region.assign_advice(self.q, row, known(q.map(|q| q as i64)));
        region.assign_advice(self.r, row, known(qr.map(|(_, r)| r as i64)));
        let cell = region.assign_advice(self.y, row, known(y)).cell();
        Ok(Wire {
            source: Source::Advice(cell),
            value: y,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::dot::DotConfig;
    use super::super::testing::{assert_rejected, mock, TestCircuit};
    use super::*;
    use crate::qgraph::Activation;

    /// dot(x, [1]) with bias ⌊d/2⌋, then rescale by d: public = [x, y].
    fn case(
        x: i64,
        d: u64,
        act: Activation,
        tag: u64,
        corrupt: Option<(usize, i64)>,
    ) -> TestCircuit {
        TestCircuit::new(vec![x], move |config, region, links, public| {
            let rows = DotConfig::rows_for(1, config.dot.width());
            let (_, acc) =
                config
                    .dot
                    .assign(region, links, 0, &public[..1], &[1], Rescale::half(d), None)?;
            let rescale = config
                .rescale
                .as_ref()
                .expect("the test shape has the chip");
            let y = rescale.assign(region, rows - 1, acc, d, act, tag, None)?;
            if let Source::Advice(cell) = y.source {
                links.expose(cell, 1);
            }
            if let Some((which, v)) = corrupt {
                let col = [rescale.q, rescale.r, rescale.y][which];
                region.assign_advice(col, rows - 1, known(Some(v)));
            }
            Ok(())
        })
    }

    #[test]
    fn rescale_rounds_and_applies_activations() {
        // 8-bit domain in tests: q in [-128, 128).
        for (x, d, act, tag, y) in [
            (37, 4, Activation::Identity, 0, 9),   // 37/4 = 9.25 -> 9
            (-37, 4, Activation::Identity, 0, -9), // -9.25 -> -9
            (-38, 4, Activation::Identity, 0, -9), // -9.5 -> -9 (half up)
            (-38, 4, Activation::Relu, 1, 0),
            (100, 2, Activation::Clip { lo: 0, hi: 24 }, 2, 24),
            (-5, 1, Activation::Relu, 1, 0),
        ] {
            mock(&case(x, d, act, tag, None), &[x, y])
                .unwrap_or_else(|e| panic!("x={x} d={d}: {e:?}"));
        }
    }

    #[test]
    fn rescale_rejects_corrupted_quotient_remainder_and_output() {
        let (x, d) = (37, 4); // acc = 39 = 9·4 + 3
        let public = [x, 9];
        mock(&case(x, d, Activation::Identity, 0, None), &public).unwrap();
        // The row's quotient, remainder and output replaced: (q, r, y).
        let forged = |q: i64, r: i64, y_claimed: i64| {
            TestCircuit::new(vec![x], move |config, region, links, public| {
                let (_, acc) = config
                    .dot
                    .assign(region, links, 0, &public[..1], &[1], 2, None)?;
                let rescale = config
                    .rescale
                    .as_ref()
                    .expect("the test shape has the chip");
                let y = rescale.assign(region, 0, acc, d, Activation::Identity, 0, None)?;
                region.assign_advice(rescale.q, 0, known(Some(q)));
                region.assign_advice(rescale.r, 0, known(Some(r)));
                region.assign_advice(rescale.y, 0, known(Some(y_claimed)));
                if let Source::Advice(cell) = y.source {
                    links.expose(cell, 1);
                }
                Ok(())
            })
        };
        // q = 10, r = -1 satisfies the gate (39 = 40 - 1) but not r >= 0.
        assert_rejected(mock(&forged(10, -1, 10), &[x, 10]));
        // r = 7 >= d, q = 8: gate holds (39 = 32 + 7), r < d fails.
        assert_rejected(mock(&forged(8, 7, 8), &[x, 8]));
        // A wrong quotient alone breaks the gate.
        assert_rejected(mock(
            &case(x, d, Activation::Identity, 0, Some((0, 10))),
            &public,
        ));
        // A wrong activation output (ReLU of a negative that claims to pass through).
        assert_rejected(mock(
            &case(-8, 1, Activation::Relu, 1, Some((2, -8))),
            &[-8, -8],
        ));
        // A quotient outside the 8-bit domain: x = 200, d = 1 cannot be proven.
        assert_rejected(mock(
            &case(200, 1, Activation::Identity, 0, None),
            &[200, 200],
        ));
    }
}
