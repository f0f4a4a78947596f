//! Rescale chip: proves `y = act(q)` where `acc = q·d + r`, `0 <= r < d`, for a fixed divisor `d`
//! (a power of two for scale changes, the window size for averages). The accumulator already
//! includes `⌊d/2⌋` (added to the bias), so `q` is `acc / d` rounded half up.
//!
//! - gate: `acc - q·d - r = 0`
//! - lookups: `r ∈ [0, 2^B)` and `d - 1 - r ∈ [0, 2^B)` (so `r < d`), and `(tag, q, y)` in the
//!   activation table, which also range-checks `q` to `[-2^(B-1), 2^(B-1))`.
//!
//! In shapes whose graph has TFLite int8 average pools
//! ([`crate::qgraph::Rounding::HalfAwayFromZero`]) the chip
//! also rounds a raw sum half away from zero. The gate's quotient is then the half-up `qh`, and
//! with the fixed `away` (1 on such rows with an even divisor) and `zp` (their zero point):
//! - gates: `acc - qh·d - r = 0`, `z·r = 0`, `1 - z - r·inv = 0` (so `z = [r = 0]`, a tie),
//!   `q - qh + away·z·n = 0`;
//! - lookup: `(TAG_SIGN, qh + zp - 1, 1 - n)`, so `n = [qh + zp <= 0]`: at a tie the raw sum
//!   `d·(qh + zp) - d/2` is negative exactly then.
//!
//! `q` (the rounded quotient) is what the activation lookup reads, as before. The sign lookup
//! needs `qh + zp - 1` inside the activation domain, which pooled 8-bit values are by far.
//!
//! It sits on the last row of a dot product and reads that row's accumulator.

use super::table::{TableConfig, TAG_SIGN};
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
    /// Present when the graph rounds raw sums half away from zero.
    pub raw_ties: Option<RawTieConfig>,
}

/// The columns that turn the half-up quotient into TFLite int8's half-away-from-zero one.
#[derive(Clone, Debug)]
pub struct RawTieConfig {
    /// The half-up quotient.
    pub qh: Column<Advice>,
    /// `[r = 0]`, and `r`'s inverse when it is not 0.
    pub z: Column<Advice>,
    pub inv: Column<Advice>,
    /// `[qh + zp <= 0]`.
    pub n: Column<Advice>,
    /// 1 on rows that round a raw sum half away from zero with an even divisor.
    pub away: Column<Fixed>,
    /// The stored zero point of those rows.
    pub zp: Column<Fixed>,
}

impl RescaleConfig {
    /// `raw_ties` adds the columns of TFLite int8's rounding; it needs the sign table.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        acc: Column<Advice>,
        table: &TableConfig,
        raw_ties: bool,
    ) -> Self {
        let config = RescaleConfig {
            acc,
            q: meta.advice_column(),
            r: meta.advice_column(),
            y: meta.advice_column(),
            d: meta.fixed_column(),
            tag: meta.fixed_column(),
            s: meta.complex_selector(),
            raw_ties: raw_ties.then(|| RawTieConfig {
                qh: meta.advice_column(),
                z: meta.advice_column(),
                inv: meta.advice_column(),
                n: meta.advice_column(),
                away: meta.fixed_column(),
                zp: meta.fixed_column(),
            }),
        };
        meta.enable_equality(config.y);
        let c = config.clone();
        let off = Expression::Constant(Fr::from(table.offset()));
        let zero = Expression::Constant(Fr::zero());
        let one = Expression::Constant(Fr::one());
        meta.create_gate("rescale", |meta| {
            let s = meta.query_selector(c.s);
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let q = meta.query_advice(c.q, Rotation::cur());
            let r = meta.query_advice(c.r, Rotation::cur());
            let d = meta.query_fixed(c.d, Rotation::cur());
            match &c.raw_ties {
                None => vec![s * (acc - q * d - r)],
                Some(t) => {
                    let qh = meta.query_advice(t.qh, Rotation::cur());
                    let z = meta.query_advice(t.z, Rotation::cur());
                    let inv = meta.query_advice(t.inv, Rotation::cur());
                    let n = meta.query_advice(t.n, Rotation::cur());
                    let away = meta.query_fixed(t.away, Rotation::cur());
                    vec![
                        s.clone() * (acc - qh.clone() * d - r.clone()),
                        s.clone() * z.clone() * r.clone(),
                        s.clone() * (one.clone() - z.clone() - r * inv),
                        s * (q - qh + away * z * n),
                    ]
                }
            }
        });
        if let Some(t) = &c.raw_ties {
            let sign = Expression::Constant(Fr::from(TAG_SIGN));
            meta.lookup("rescale: sign of the raw quotient", |meta| {
                let s = meta.query_selector(c.s);
                let qh = meta.query_advice(t.qh, Rotation::cur());
                let n = meta.query_advice(t.n, Rotation::cur());
                let zp = meta.query_fixed(t.zp, Rotation::cur());
                vec![
                    (s.clone() * sign, table.tag),
                    (s.clone() * (qh + zp - one.clone()), table.input),
                    (s * (one.clone() - n), table.output),
                ]
            });
        }
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
    /// `raw_zero_point` is the zero point of a row that rounds its raw sum half away from zero
    /// (None: half up). The output value is `act(q)` unless the witness supplies it (`y`), in
    /// which case the witness is used as given and the constraints decide whether it is right.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        acc: Option<i128>,
        divisor: u64,
        raw_zero_point: Option<i64>,
        act: crate::qgraph::Activation,
        tag: u64,
        y: Option<i64>,
    ) -> Result<Wire, Error> {
        self.s.enable(region, row)?;
        region.assign_fixed(self.d, row, Fr::from(divisor));
        region.assign_fixed(self.tag, row, Fr::from(tag));
        let qr = acc.map(|a| Rescale::floor_div(a, divisor));
        let q = match (&self.raw_ties, raw_zero_point) {
            (None, None) => qr.map(|(q, _)| q),
            // A row of TFLite's int8 rounding in a shape planned without it.
            (None, Some(_)) => return Err(Error::Synthesis),
            (Some(t), zp) => {
                let away = zp.is_some() && divisor.is_multiple_of(2);
                let zp = zp.unwrap_or(0);
                region.assign_fixed(t.away, row, Fr::from(away as u64));
                region.assign_fixed(t.zp, row, super::fe(zp as i128));
                let adv = |region: &mut Region<Fr>, col, v: Option<i128>| {
                    region.assign_advice(col, row, known(v.map(|v| v as i64)));
                };
                adv(region, t.qh, qr.map(|(q, _)| q));
                adv(region, t.z, qr.map(|(_, r)| (r == 0) as i128));
                let inv =
                    qr.map(|(_, r)| Fr::from(r).invert().unwrap_or(halo2curves::ff::Field::ZERO));
                region.assign_advice(t.inv, row, super::known_field(inv));
                adv(region, t.n, qr.map(|(q, _)| (q + zp as i128 <= 0) as i128));
                qr.map(|(q, r)| q - (away && Rescale::raw_negative_tie(q, r, divisor, zp)) as i128)
            }
        };
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
    use super::super::table::TableSpec;
    use super::super::testing::{
        assert_rejected, failing_rows, mock, mock_k, test_shape, TestCircuit,
    };
    use super::super::{fe, CircuitShape};
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
            let y = rescale.assign(region, rows - 1, acc, d, None, act, tag, None)?;
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
                let y = rescale.assign(region, 0, acc, d, None, Activation::Identity, 0, None)?;
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

    /// Cells of a raw-tie row to overwrite, with field values (an inverse is not an integer).
    type Corruption = fn(&RescaleConfig, &RawTieConfig) -> Vec<(Column<Advice>, Fr)>;

    /// One rescale row per case in a shape with the raw-tie block: `(centred sum, d, zero point
    /// of a half-away-from-zero row or None for half up, corruption)`, each the sum plus
    /// `⌊d/2⌋` through a one-term dot product, identity activation; public = [sums.., ys..].
    fn raw_tie_rows(cases: Vec<(i64, u64, Option<i64>, Option<Corruption>)>) -> TestCircuit {
        let n = cases.len();
        let shape = CircuitShape {
            raw_ties: true,
            ..test_shape()
        };
        let spec = TableSpec {
            clips: vec![(0, 24)],
            sign: true,
            maps: vec![],
            functions: vec![],
            lookups: vec![],
            ..TableSpec::default()
        };
        TestCircuit::new(
            cases.iter().map(|c| c.0).collect(),
            move |config, region, links, public| {
                let rescale = config.rescale.as_ref().expect("the shape has the chip");
                let ties = rescale.raw_ties.as_ref().expect("the shape has raw ties");
                for (row, &(_, d, zp, corrupt)) in cases.iter().enumerate() {
                    let (_, acc) = config.dot.assign(
                        region,
                        links,
                        row,
                        &public[row..row + 1],
                        &[1],
                        Rescale::half(d),
                        None,
                    )?;
                    let y =
                        rescale.assign(region, row, acc, d, zp, Activation::Identity, 0, None)?;
                    if let Source::Advice(cell) = y.source {
                        links.expose(cell, n + row);
                    }
                    if let Some(corrupt) = corrupt {
                        for (col, v) in corrupt(rescale, ties) {
                            region.assign_advice(col, row, halo2_proofs::circuit::Value::known(v));
                        }
                    }
                }
                Ok(())
            },
        )
        .with_shape(shape, spec)
    }

    fn public(rows: &[(i64, u64, Option<i64>, Option<Corruption>)], ys: &[i64]) -> Vec<Fr> {
        rows.iter()
            .map(|r| fe(r.0 as i128))
            .chain(ys.iter().map(|&y| fe(y as i128)))
            .collect()
    }

    /// TFLite int8 AVERAGE_POOL_2D rounds the stored sum `S = C + d·zp` (C the centred sum)
    /// half away from zero; the chip proves that beside half-up rows, and a corrupted tie bit,
    /// sign bit, quotient or remainder on a tie row is rejected.
    #[test]
    fn raw_sums_round_half_away_from_zero_and_forged_ties_are_rejected() {
        // (C, d, zp, centred output): S/d is the stored average before the zero point.
        let honest: [(i64, u64, Option<i64>, i64); 6] = [
            (10, 4, Some(-3), 2),  // S = -2, -0.5 -> -1 stored, 2 centred (half up: 3)
            (14, 4, Some(-3), 4),  // S = 2, 0.5 -> 1 stored, 4 centred
            (-2, 4, Some(0), -1),  // S = -2, -0.5 -> -1 (half up: 0)
            (5, 3, Some(-3), 2),   // S = -4, odd d: -1.33 -> -1 stored, no tie to round
            (-38, 4, None, -9),    // a half-up row in the same shape: -9.5 -> -9
            (-11, 6, Some(2), -2), // S = 1, 1/6 -> 0 stored, -2 centred
        ];
        let honest = honest.map(|(c, d, zp, y)| {
            let acc = c as i128 + Rescale::half(d);
            let q = match zp {
                Some(zp) => Rescale::half_away_from_zero_on_raw(acc, d, zp),
                None => Rescale::floor_div(acc, d).0,
            };
            assert_eq!(q as i64, y, "C={c} d={d} zp={zp:?}");
            (c, d, zp, y)
        });
        // Forgeries of row 0 (qh = 3, r = 0, a negative tie: z = 1, n = 1, q = 2), then of the
        // positive tie (row 1: qh = 4, z = 1, n = 0, q = 4).
        let forged: [(i64, u64, Option<i64>, Corruption, i64); 5] = [
            // Denying the tie (z = 0) to keep the half-up value.
            (
                10,
                4,
                Some(-3),
                |c, t| vec![(t.z, fe(0)), (c.q, fe(3)), (c.y, fe(3))],
                3,
            ),
            // Denying the negative sign (n = 0) to keep the half-up value.
            (
                10,
                4,
                Some(-3),
                |c, t| vec![(t.n, fe(0)), (c.q, fe(3)), (c.y, fe(3))],
                3,
            ),
            // The half-up value with the tie and sign bits left honest.
            (10, 4, Some(-3), |c, _| vec![(c.q, fe(3)), (c.y, fe(3))], 3),
            // qh one lower with r = d: the gate holds (12 = 2·4 + 4), no tie, q = qh = 2.
            (
                10,
                4,
                Some(-3),
                |c, t| {
                    let inv = fe(4).invert().unwrap();
                    vec![(t.qh, fe(2)), (c.r, fe(4)), (t.z, fe(0)), (t.inv, inv)]
                },
                2,
            ),
            // A positive tie rounded down as if negative.
            (
                14,
                4,
                Some(-3),
                |c, t| vec![(t.n, fe(1)), (c.q, fe(3)), (c.y, fe(3))],
                3,
            ),
        ];
        let mut rows: Vec<(i64, u64, Option<i64>, Option<Corruption>)> = honest
            .iter()
            .map(|&(c, d, zp, _)| (c, d, zp, None))
            .collect();
        let mut ys: Vec<i64> = honest.iter().map(|h| h.3).collect();
        for (c, d, zp, corrupt, y) in forged {
            rows.push((c, d, zp, Some(corrupt)));
            ys.push(y);
        }
        // The sign table's power-of-two entries need k = 17.
        let failures = mock_k(17, &raw_tie_rows(rows.clone()), &public(&rows, &ys))
            .expect_err("a forged tie was accepted");
        assert_eq!(
            failing_rows(&failures),
            (honest.len()..rows.len()).collect(),
            "exactly the forged rows must fail: {failures:?}"
        );
        let rows: Vec<_> = honest
            .iter()
            .map(|&(c, d, zp, _)| (c, d, zp, None))
            .collect();
        let ys: Vec<i64> = honest.iter().map(|h| h.3).collect();
        mock_k(17, &raw_tie_rows(rows.clone()), &public(&rows, &ys))
            .unwrap_or_else(|e| panic!("{e:?}"));
    }

    /// A half-away-from-zero row cannot be laid out in a shape planned without the raw-tie
    /// block: there it would be proven half up.
    #[test]
    fn a_raw_tie_row_is_refused_in_a_shape_without_the_block() {
        let circuit = TestCircuit::new(vec![10], |config, region, links, public| {
            let rescale = config.rescale.as_ref().expect("the shape has the chip");
            let (_, acc) = config
                .dot
                .assign(region, links, 0, &public[..1], &[1], 2, None)?;
            rescale.assign(region, 0, acc, 4, Some(-3), Activation::Identity, 0, None)?;
            Ok(())
        });
        let run = halo2_proofs::dev::MockProver::run(10, &circuit, vec![vec![fe(10)]]);
        assert!(
            run.is_err(),
            "synthesis accepted a raw-tie row without its block"
        );
    }
}
