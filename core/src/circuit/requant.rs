//! Fixed-point requantization chip: proves TFLite's
//! `y = clamp(MultiplyByQuantizedMultiplier(acc, M, shift) + zp_in, lo, hi) - zp_out`
//! with gemmlowp's double rounding kept exactly.
//!
//! With `mult = M·2^left` (`left = max(shift, 0)`) and `e = max(-shift, 0)`:
//! - `SaturatingRoundingDoublingHighMul(acc·2^left, M)` is `h = ⌊(acc·mult + 2^30) / 2^31⌋`
//!   (its sign-dependent nudge and truncation toward zero amount to rounding half up; it never
//!   saturates since `M >= 0`);
//! - `RoundingDivideByPOT(h, e)` rounds half away from zero: `qh = ⌊(h + 2^(e-1)) / 2^e⌋`, minus
//!   one on a negative tie. A tie is `r2 = 0` below; in a tie `h < 0` exactly when `qh <= 0`.
//!
//! Witness per row: `r1 = r1a + 2^15·r1b + 2^30·r1c`, `r2 = r2a + 2^15·r2b`, `qh`, `z`, `inv`,
//! `n`, `bound`, `q`, `y`. Constraints:
//! - `acc·mult + 2^30 + half·2^31 = (qh·2^e + r2)·2^31 + r1`: with `r1 ∈ [0, 2^31)` and
//!   `r2 ∈ [0, 2^e)` this fixes `h = qh·2^e + r2 - half` and `qh` uniquely. Every term is a
//!   bounded integer (range lookups below, `qh` within 16 bits), so the equation holds over the
//!   integers, not just modulo p.
//! - `r1a, r1b ∈ [0, 2^15)` and `r2a, r2b ∈ [0, 2^15)` by the sign table (output 1), `r1c`
//!   boolean; `bound = lim - ca·r2a - cb·r2b >= 0` bounds `r2 < 2^e` (for `e <= 15`: `ca = 1`,
//!   `cb = 2^15`, `lim = 2^e - 1`, which also forces `r2b = 0`; for `e > 15`: `ca = 0`, `cb = 1`,
//!   `lim = 2^(e-15) - 1`);
//! - `z = [r2 = 0]` (`z·r2 = 0`, `1 - z - r2·inv = 0`), `n = [qh <= 0]` (the sign table on
//!   `qh - 1`), `q = qh - tie·z·n` where the fixed `tie` is 1 when `e > 0`;
//! - `(tag, q + zp_in, y + zp_out)` in the table: the clamp runs in the stored (e.g. uint8)
//!   domain, so the table holds one function per clamp range, not one per zero point.
//!
//! It sits on the last row of a dot product and reads that row's accumulator. It needs the
//! 16-bit activation domain (15-bit limbs from the sign function).

use super::table::{TableConfig, TAG_SIGN};
use super::{known, Source, Wire};
use crate::qgraph::QuantizedMultiplier;
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

/// The activation width the chip's 15-bit limbs need.
pub const REQUANT_ACT_BITS: u32 = 16;
/// The largest right shift the chip accepts (`r2` is two 15-bit limbs).
pub const MAX_RIGHT_SHIFT: u32 = 30;
const LIMB: u32 = 15;

#[derive(Clone, Debug)]
pub struct RequantConfig {
    pub acc: Column<Advice>,
    pub r1a: Column<Advice>,
    pub r1b: Column<Advice>,
    pub r1c: Column<Advice>,
    pub qh: Column<Advice>,
    pub r2a: Column<Advice>,
    pub r2b: Column<Advice>,
    pub bound: Column<Advice>,
    pub z: Column<Advice>,
    pub inv: Column<Advice>,
    pub n: Column<Advice>,
    pub q: Column<Advice>,
    pub y: Column<Advice>,
    pub mult: Column<Fixed>,
    pub p2e: Column<Fixed>,
    pub half: Column<Fixed>,
    pub tie: Column<Fixed>,
    pub ca: Column<Fixed>,
    pub cb: Column<Fixed>,
    pub lim: Column<Fixed>,
    pub zp_in: Column<Fixed>,
    pub zp_out: Column<Fixed>,
    pub tag: Column<Fixed>,
    pub s: Selector,
    /// Present in shapes without the rescale chip: a map row looks up `(tag, acc, y)`, a table
    /// function of the row's accumulator (TFLite ADD's input rescaling), through the clamp
    /// lookup.
    pub map: Option<Selector>,
}

/// The constants of one requantization: TFLite's multiplier and the output's zero points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequantParams {
    pub multiplier: QuantizedMultiplier,
    /// Added to the quotient before the clamp.
    pub zp_in: i64,
    /// Subtracted after the clamp.
    pub zp_out: i64,
    /// Clamp bounds in the stored domain.
    pub lo: i64,
    pub hi: i64,
}

/// Every intermediate of one requantization, as the chip lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequantWitness {
    pub r1: i128,
    pub qh: i128,
    pub r2: i128,
    pub q: i128,
    pub y: i64,
}

impl RequantParams {
    fn left(&self) -> u32 {
        self.multiplier.shift.max(0) as u32
    }

    pub fn right(&self) -> u32 {
        (-self.multiplier.shift).max(0) as u32
    }

    pub fn mult(&self) -> i128 {
        (self.multiplier.multiplier as i128) << self.left()
    }

    /// The chip's decomposition of `acc` (exact integers; TFLite's int32 overflow is the
    /// evaluator's concern, not the circuit's).
    pub fn witness(&self, acc: i128) -> RequantWitness {
        let e = self.right();
        let v = acc * self.mult() + (1i128 << 30);
        let h = v.div_euclid(1 << 31);
        let r1 = v.rem_euclid(1 << 31);
        let half = if e > 0 { 1i128 << (e - 1) } else { 0 };
        let qh = (h + half).div_euclid(1 << e);
        let r2 = (h + half).rem_euclid(1 << e);
        let negative_tie = e > 0 && r2 == 0 && qh <= 0;
        let q = qh - negative_tie as i128;
        let y = (q as i64 + self.zp_in).clamp(self.lo, self.hi) - self.zp_out;
        RequantWitness { r1, qh, r2, q, y }
    }
}

impl RequantConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        acc: Column<Advice>,
        table: &TableConfig,
        with_maps: bool,
    ) -> Self {
        let mut advice = || meta.advice_column();
        let (r1a, r1b, r1c, qh, r2a, r2b) =
            (advice(), advice(), advice(), advice(), advice(), advice());
        let (bound, z, inv, n, q, y) = (advice(), advice(), advice(), advice(), advice(), advice());
        let mut fixed = || meta.fixed_column();
        let (mult, p2e, half, tie, ca) = (fixed(), fixed(), fixed(), fixed(), fixed());
        let (cb, lim, zp_in, zp_out, tag) = (fixed(), fixed(), fixed(), fixed(), fixed());
        let c = RequantConfig {
            acc,
            r1a,
            r1b,
            r1c,
            qh,
            r2a,
            r2b,
            bound,
            z,
            inv,
            n,
            q,
            y,
            mult,
            p2e,
            half,
            tie,
            ca,
            cb,
            lim,
            zp_in,
            zp_out,
            tag,
            s: meta.complex_selector(),
            map: with_maps.then(|| meta.complex_selector()),
        };
        meta.enable_equality(c.y);
        let limb = Expression::Constant(Fr::from(1u64 << LIMB));
        let two30 = Expression::Constant(Fr::from(1u64 << 30));
        let two31 = Expression::Constant(Fr::from(1u64 << 31));
        let one = Expression::Constant(Fr::one());
        let cc = c.clone();
        meta.create_gate("requant", |meta| {
            let s = meta.query_selector(cc.s);
            let mut a = |col| meta.query_advice(col, Rotation::cur());
            let (acc, r1a, r1b, r1c, qh) = (a(cc.acc), a(cc.r1a), a(cc.r1b), a(cc.r1c), a(cc.qh));
            let (r2a, r2b, bound, z) = (a(cc.r2a), a(cc.r2b), a(cc.bound), a(cc.z));
            let (inv, n, q) = (a(cc.inv), a(cc.n), a(cc.q));
            let mut f = |col| meta.query_fixed(col, Rotation::cur());
            let (mult, p2e, half, tie) = (f(cc.mult), f(cc.p2e), f(cc.half), f(cc.tie));
            let (ca, cb, lim) = (f(cc.ca), f(cc.cb), f(cc.lim));
            let r1 = r1a + r1b * limb.clone() + r1c.clone() * two30.clone();
            let r2 = r2a.clone() + r2b.clone() * limb.clone();
            vec![
                s.clone()
                    * (acc * mult + two30.clone() + half * two31.clone()
                        - (qh.clone() * p2e + r2.clone()) * two31.clone()
                        - r1),
                s.clone() * r1c.clone() * (one.clone() - r1c),
                s.clone() * (bound - (lim - ca * r2a - cb * r2b)),
                s.clone() * z.clone() * r2.clone(),
                s.clone() * (one.clone() - z.clone() - r2 * inv),
                s * (q - qh + tie * z * n),
            ]
        });
        let sign = Expression::Constant(Fr::from(TAG_SIGN));
        let mut nonnegative = |name: &'static str, col: Column<Advice>| {
            meta.lookup(name, |meta| {
                let s = meta.query_selector(c.s);
                let v = meta.query_advice(col, Rotation::cur());
                vec![
                    (s.clone() * sign.clone(), table.tag),
                    (s.clone() * v, table.input),
                    (s, table.output),
                ]
            });
        };
        nonnegative("requant: r1 low limb", c.r1a);
        nonnegative("requant: r1 high limb", c.r1b);
        nonnegative("requant: r2 low limb", c.r2a);
        nonnegative("requant: r2 high limb", c.r2b);
        nonnegative("requant: r2 < 2^e", c.bound);
        meta.lookup("requant: sign of the quotient", |meta| {
            let s = meta.query_selector(c.s);
            let qh = meta.query_advice(c.qh, Rotation::cur());
            let n = meta.query_advice(c.n, Rotation::cur());
            vec![
                (s.clone() * sign.clone(), table.tag),
                (s.clone() * (qh - one.clone()), table.input),
                (s * (one.clone() - n), table.output),
            ]
        });
        meta.lookup("requant: clamp", |meta| {
            let s = meta.query_selector(c.s);
            let tag = meta.query_fixed(c.tag, Rotation::cur());
            let q = meta.query_advice(c.q, Rotation::cur());
            let y = meta.query_advice(c.y, Rotation::cur());
            let zp_in = meta.query_fixed(c.zp_in, Rotation::cur());
            let zp_out = meta.query_fixed(c.zp_out, Rotation::cur());
            match c.map {
                None => vec![
                    (s.clone() * tag, table.tag),
                    (s.clone() * (q + zp_in), table.input),
                    (s * (y + zp_out), table.output),
                ],
                Some(map) => {
                    // A map row (never also a requantization row) looks up its accumulator.
                    let m = meta.query_selector(map);
                    let acc = meta.query_advice(c.acc, Rotation::cur());
                    let on = s.clone() + m.clone();
                    vec![
                        (on.clone() * tag, table.tag),
                        (s * (q + zp_in) + m * acc, table.input),
                        (on * (y + zp_out), table.output),
                    ]
                }
            }
        });
        c
    }

    /// Whether the chip can prove this multiplier.
    pub fn supports(m: QuantizedMultiplier) -> bool {
        m.multiplier >= 0 && (-m.shift).max(0) as u32 <= MAX_RIGHT_SHIFT && m.shift <= 30
    }

    /// Assigns the requantization of `acc` (the accumulator on `row`) with the clamp table
    /// function `tag`, and returns the output wire. A supplied `y` is used as given, and the
    /// constraints decide whether it is right.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        acc: Option<i128>,
        params: &RequantParams,
        tag: u64,
        y: Option<i64>,
    ) -> Result<Wire, Error> {
        if !Self::supports(params.multiplier) {
            return Err(Error::Synthesis);
        }
        let e = params.right();
        self.s.enable(region, row)?;
        let fix = |region: &mut Region<Fr>, col, v: i128| {
            region.assign_fixed(col, row, super::fe(v));
        };
        fix(region, self.mult, params.mult());
        fix(region, self.p2e, 1i128 << e);
        fix(region, self.half, if e > 0 { 1i128 << (e - 1) } else { 0 });
        fix(region, self.tie, (e > 0) as i128);
        let (ca, cb, lim) = if e <= LIMB {
            (1, 1i128 << LIMB, (1i128 << e) - 1)
        } else {
            (0, 1, (1i128 << (e - LIMB)) - 1)
        };
        fix(region, self.ca, ca);
        fix(region, self.cb, cb);
        fix(region, self.lim, lim);
        fix(region, self.zp_in, params.zp_in as i128);
        fix(region, self.zp_out, params.zp_out as i128);
        region.assign_fixed(self.tag, row, Fr::from(tag));
        let w = acc.map(|a| params.witness(a));
        let mask = (1i128 << LIMB) - 1;
        let adv = |region: &mut Region<Fr>, col, v: Option<i128>| {
            region.assign_advice(col, row, known(v)).cell()
        };
        adv(region, self.r1a, w.map(|w| w.r1 & mask));
        adv(region, self.r1b, w.map(|w| (w.r1 >> LIMB) & mask));
        adv(region, self.r1c, w.map(|w| w.r1 >> (2 * LIMB)));
        adv(region, self.qh, w.map(|w| w.qh));
        let (r2a, r2b) = (w.map(|w| w.r2 & mask), w.map(|w| w.r2 >> LIMB));
        adv(region, self.r2a, r2a);
        adv(region, self.r2b, r2b);
        adv(
            region,
            self.bound,
            r2a.zip(r2b).map(|(a, b)| lim - ca * a - cb * b),
        );
        adv(region, self.z, w.map(|w| (w.r2 == 0) as i128));
        let inv = w.map(|w| {
            super::fe(w.r2)
                .invert()
                .unwrap_or(halo2curves::ff::Field::ZERO)
        });
        region.assign_advice(self.inv, row, super::known_field(inv));
        adv(region, self.n, w.map(|w| (w.qh <= 0) as i128));
        adv(region, self.q, w.map(|w| w.q));
        let y = y.or(w.map(|w| w.y));
        let cell = adv(region, self.y, y.map(|v| v as i128));
        Ok(Wire {
            source: Source::Advice(cell),
            value: y,
        })
    }
}

impl RequantConfig {
    /// A map row: `y = map(acc)` for the table function `tag`, reading the accumulator on `row`.
    pub fn assign_map(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        tag: u64,
        y: Option<i64>,
    ) -> Result<Wire, Error> {
        self.map.ok_or(Error::Synthesis)?.enable(region, row)?;
        region.assign_fixed(self.tag, row, Fr::from(tag));
        region.assign_fixed(self.zp_out, row, Fr::zero());
        region.assign_advice(self.q, row, known(Some(0)));
        let cell = region.assign_advice(self.y, row, known(y)).cell();
        Ok(Wire {
            source: Source::Advice(cell),
            value: y,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::TableSpec;
    use super::super::testing::{assert_rejected, fixed_point_shape, mock_k, TestCircuit};
    use super::super::{fe, CircuitShape};
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The table of these tests: identity, ReLU, the uint8 clamp (tag 2) and the sign function.
    fn spec() -> TableSpec {
        TableSpec {
            clips: vec![(0, 255)],
            sign: true,
            maps: vec![],
        }
    }

    type Corruption = fn(&RequantConfig) -> Vec<(Column<Advice>, i128)>;

    /// `x + bias` requantized by `params` and clamped to uint8: public = [x, y].
    fn case(x: i64, bias: i128, params: RequantParams, corrupt: Option<Corruption>) -> TestCircuit {
        TestCircuit::new(vec![x], move |config, region, links, public| {
            let (_, acc) = config
                .dot
                .assign(region, links, 0, &public[..1], &[1], bias, None)?;
            let chip = config.requant.as_ref().expect("fixed-point shape");
            let y = chip.assign(region, 0, acc, &params, 2, None)?;
            if let Source::Advice(cell) = y.source {
                links.expose(cell, 1);
            }
            if let Some(corrupt) = corrupt {
                for (col, v) in corrupt(chip) {
                    region.assign_advice(col, 0, known(Some(v)));
                }
            }
            Ok(())
        })
        .with_shape(fixed_point_shape(), spec())
    }

    fn uint8(multiplier: i32, shift: i32, zp: i64) -> RequantParams {
        RequantParams {
            multiplier: QuantizedMultiplier { multiplier, shift },
            zp_in: zp,
            zp_out: zp,
            lo: 0,
            hi: 255,
        }
    }

    fn run(
        circuit: &TestCircuit,
        x: i64,
        y: i64,
    ) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
        mock_k(19, circuit, &[fe(x as i128), fe(y as i128)])
    }

    /// Honest rows for: a positive and a negative tie of the final shift, a shift above 15
    /// bits (TFLite ADD's output), a left shift, and a value clamped at 255.
    #[test]
    fn requant_proves_tflite_rounding() {
        let cases = [
            (6, 0, uint8(1 << 30, -2, 0)),    // 6·2^-3 = 0.75 -> 1
            (-12, 0, uint8(1 << 30, -3, 10)), // -12/16 = -0.75 -> -1
            (-4, 0, uint8(1 << 30, -2, 10)),  // -0.5: a tie, away from zero -> -1
            (4, 0, uint8(1 << 30, -2, 10)),   // +0.5 -> 1
            (123_456_789, 0, uint8(1_995_052_007, -19, 133)),
            (-77, 5, uint8(1_500_000_000, 1, 100)), // left shift by 1
            (100_000, 0, uint8(1_200_000_000, -5, 3)), // saturates at 255
        ];
        for (x, bias, p) in cases {
            let w = p.witness(x as i128 + bias);
            assert_eq!(
                w.q,
                p.multiplier.apply(x + bias as i64).unwrap() as i128,
                "x={x}"
            );
            run(&case(x, bias, p, None), x, w.y).unwrap_or_else(|e| panic!("x={x}: {e:?}"));
        }
    }

    #[test]
    fn requant_rejects_corrupted_witness() {
        // acc = -4 at 2^-3: h = -1, qh = 0 with r2 = 0, a negative tie: q = -1; the clamp
        // sees -1 + 10 = 9, and the centred output is y = -1.
        let p = uint8(1 << 30, -2, 10);
        let (x, y) = (-4, -1);
        run(&case(x, 0, p, None), x, y).unwrap();
        let corruptions: [(&str, Corruption, i64); 6] = [
            // Skipping the tie correction (n = 0 claims qh > 0) gives round half up.
            ("sign bit", |c| vec![(c.n, 0), (c.q, 0), (c.y, 0)], 0),
            // qh one higher with r2 = -1 (as a field element) satisfies the main gate.
            (
                "negative remainder",
                |c| vec![(c.qh, 1), (c.r2a, -1), (c.z, 0)],
                -1,
            ),
            // r2 = 2^e with qh one lower: the main gate holds, r2 < 2^e fails.
            (
                "remainder too large",
                |c| {
                    vec![
                        (c.qh, -1),
                        (c.r2a, 4),
                        (c.bound, -1),
                        (c.z, 0),
                        (c.n, 1),
                        (c.q, -1),
                    ]
                },
                -1,
            ),
            // r1 >= 2^31 through a non-boolean top bit.
            ("r1 top bit", |c| vec![(c.r1c, 2)], -1),
            // A wrong output for the right quotient.
            ("output", |c| vec![(c.y, -2)], -2),
            // A wrong quotient.
            ("quotient", |c| vec![(c.q, 0)], -1),
        ];
        for (what, corrupt, public_y) in corruptions {
            let result = run(&case(x, 0, p, Some(corrupt)), x, public_y);
            assert!(result.is_err(), "{what}: a corrupted witness was accepted");
        }
        // A wrong public output.
        assert_rejected(run(&case(x, 0, p, None), x, y + 1));
    }

    /// A map row (shapes without the rescale chip): `y = map(x)` for TFLite ADD's input map,
    /// looked up through the clamp lookup. The true value is accepted; a wrong one, a value of
    /// another map and an identity claim are rejected.
    #[test]
    fn map_rows_look_up_the_add_input_map() {
        use super::super::table::AddInputMap;
        let map = AddInputMap {
            multiplier: QuantizedMultiplier {
                multiplier: 1_623_821_475,
                shift: -1,
            },
            left_shift: 20,
        };
        let other = AddInputMap {
            multiplier: QuantizedMultiplier {
                multiplier: 1_073_741_824,
                shift: 0,
            },
            left_shift: 20,
        };
        let table = TableSpec {
            maps: vec![map, other],
            ..spec()
        };
        let shape = CircuitShape {
            no_rescale: true,
            ..fixed_point_shape()
        };
        let tag = table.map_tag(&map).unwrap();
        let circuit = |x: i64, claimed: i64| {
            TestCircuit::new(vec![x], move |config, region, links, public| {
                let (_, _) = config
                    .dot
                    .assign(region, links, 0, &public[..1], &[1], 0, None)?;
                let chip = config.requant.as_ref().expect("fixed-point shape");
                let y = chip.assign_map(region, 0, tag, Some(claimed))?;
                if let Source::Advice(cell) = y.source {
                    links.expose(cell, 1);
                }
                Ok(())
            })
            .with_shape(shape.clone(), table.clone())
        };
        for x in [-37i64, 0, 90] {
            let y = map.apply(x).unwrap();
            let check = |claimed: i64| {
                mock_k(
                    19,
                    &circuit(x, claimed),
                    &[fe(x as i128), fe(claimed as i128)],
                )
            };
            check(y).unwrap_or_else(|e| panic!("x={x}: {e:?}"));
            assert!(
                check(y + 1).is_err(),
                "x={x}: a wrong map value was accepted"
            );
            let y_other = other.apply(x).unwrap();
            if y_other != y {
                assert!(
                    check(y_other).is_err(),
                    "x={x}: another map's value accepted"
                );
            }
            if x != y {
                assert!(check(x).is_err(), "x={x}: the identity accepted");
            }
        }
    }

    /// No zero points and no clamp: the witness's `q` is MultiplyByQuantizedMultiplier's result.
    fn unclamped(multiplier: QuantizedMultiplier) -> RequantParams {
        RequantParams {
            multiplier,
            zp_in: 0,
            zp_out: 0,
            lo: i64::MIN,
            hi: i64::MAX,
        }
    }

    /// The chip's decomposition reproduces TFLite's MultiplyByQuantizedMultiplier, including
    /// its double rounding, on random and on tie-making accumulators.
    #[test]
    fn witness_matches_tflite_arithmetic() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut checked = 0;
        for _ in 0..200_000 {
            let m = QuantizedMultiplier {
                multiplier: rng.gen_range(1 << 30..i32::MAX),
                shift: rng.gen_range(-22..=2),
            };
            let acc: i64 = match rng.gen_range(0..3) {
                0 => rng.gen_range(-300..300),
                1 => rng.gen_range(-200_000..200_000),
                _ => rng.gen_range(-(1 << 28)..(1 << 28)),
            };
            let Some(expected) = m.apply(acc) else {
                continue;
            };
            let p = unclamped(m);
            assert_eq!(
                p.witness(acc as i128).q,
                expected as i128,
                "{m:?} acc={acc}"
            );
            checked += 1;
        }
        assert!(checked > 100_000);
        // Exact ties of the final shift, both signs: M = 2^30 (a real multiplier of 2^-e/2).
        for e in 1..12 {
            let m = QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -e,
            };
            let p = unclamped(m);
            for acc in -(4i64 << e)..(4i64 << e) {
                assert_eq!(p.witness(acc as i128).q, m.apply(acc).unwrap() as i128);
            }
        }
    }
}
