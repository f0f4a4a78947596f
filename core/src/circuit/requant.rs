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
//! Nested floors compose, so with `T = acc·mult + 2^30 + half·2^31` (`half = 2^(e-1)`, or 0 when
//! `e = 0`) the quotient is `qh = ⌊T / 2^(31+e)⌋` and the remainder `R = T - qh·2^(31+e)` lies in
//! `[0, 2^(31+e))`; the tie is `R < 2^31` (then `h + half` is a multiple of `2^e`).
//!
//! Witness per row: `R = r1a + 2^15·r1b + 2^30·t` with `t = ta + 2^15·tb`, `qh`, `z`, `inv`, `n`,
//! `q`, `y`. Constraints:
//! - `acc·mult + 2^30 + tie·2^e·2^30 = qh·2^e·2^31 + R`, where `2^e = pa·pb/2` (`half·2^31` is
//!   `tie·2^e·2^30`). Every term is a bounded integer (range lookups below, `qh` within 16 bits),
//!   so the equation holds over the integers, not just modulo p.
//! - `r1a, r1b ∈ [0, 2^15)` by the sign table (output 1); `ta < pa` and `tb < pb` by the
//!   power-of-two range table `(TAG_BELOW_POW2, v, 2^j)`, with the fixed `pa = 2^min(e+1, 15)`,
//!   `pb = 2^max(e+1-15, 0)`: together `t < 2^(e+1)`, i.e. `R < 2^(31+e)`, which fixes `qh`;
//! - `z = [t·(t-1) = 0]`, i.e. `z = [R < 2^31]`, the tie (`z·u = 0`, `1 - z - u·inv = 0` with
//!   `u = t·(t-1)`, nonzero in the field for every other `t < 2^30`); `n = [qh <= 0]` (the sign
//!   table on `qh - 1`); `q = qh - tie·z·n` where the fixed `tie` is 1 when `e > 0`;
//! - in shapes with rows that round ties up (ruy's x86 kernels: TFLite's int8 CONV_2D and
//!   FULLY_CONNECTED), the correction reads its own fixed column: `q = qh - away·z·n`, with
//!   `away` 1 when `e > 0` on rows that round ties away from zero, 0 on those that round them up
//!   (`tie` still adds the half on both);
//! - `(tag, q + zp_in, y + zp_out)` in the table: the clamp runs in the stored (e.g. uint8)
//!   domain, so the table holds one function per clamp range, not one per zero point.
//!
//! It sits on the last row of a dot product and reads that row's accumulator. It needs the
//! 16-bit activation domain (15-bit limbs from the sign function).

use super::table::{TableConfig, TAG_BELOW_POW2, TAG_SIGN};
use super::{known, Source, Wire};
use crate::qgraph::QuantizedMultiplier;
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

/// The activation width the chip's 15-bit limbs need.
pub const REQUANT_ACT_BITS: u32 = 16;
/// The largest right shift the chip accepts (`t < 2^(e+1)` is two 15-bit limbs).
pub const MAX_RIGHT_SHIFT: u32 = 29;
const LIMB: u32 = 15;

#[derive(Clone, Debug)]
pub struct RequantConfig {
    pub acc: Column<Advice>,
    pub r1a: Column<Advice>,
    pub r1b: Column<Advice>,
    pub ta: Column<Advice>,
    pub tb: Column<Advice>,
    pub qh: Column<Advice>,
    pub z: Column<Advice>,
    pub inv: Column<Advice>,
    pub n: Column<Advice>,
    pub q: Column<Advice>,
    pub y: Column<Advice>,
    pub mult: Column<Fixed>,
    pub tie: Column<Fixed>,
    pub pa: Column<Fixed>,
    pub pb: Column<Fixed>,
    pub zp_in: Column<Fixed>,
    pub zp_out: Column<Fixed>,
    pub tag: Column<Fixed>,
    /// Present in shapes with rows that round ties up: whether a negative tie rounds down.
    /// Elsewhere `tie` says that too.
    pub away: Option<Column<Fixed>>,
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
    /// Whether the final right shift rounds ties up (ruy) rather than away from zero.
    pub ties_up: bool,
}

/// Every intermediate of one requantization, as the chip lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequantWitness {
    /// `R mod 2^30`.
    pub r1: i128,
    pub qh: i128,
    /// `R >> 30` (below `2^(e+1)`).
    pub t: i128,
    pub q: i128,
    pub y: i64,
}

impl RequantParams {
    fn left(&self) -> u32 {
        self.multiplier.shift.max(0) as u32
    }

    pub fn right(&self) -> u32 {
        self.multiplier.right_shift()
    }

    pub fn mult(&self) -> i128 {
        (self.multiplier.multiplier as i128) << self.left()
    }

    /// The chip's decomposition of `acc` (exact integers; TFLite's int32 overflow is the
    /// evaluator's concern, not the circuit's).
    pub fn witness(&self, acc: i128) -> RequantWitness {
        let e = self.right();
        let half = if e > 0 { 1i128 << (e - 1) } else { 0 };
        let total = acc * self.mult() + (1i128 << 30) + (half << 31);
        let qh = total.div_euclid(1 << (31 + e));
        let rem = total.rem_euclid(1 << (31 + e));
        let negative_tie = e > 0 && !self.ties_up && rem < (1 << 31) && qh <= 0;
        let q = qh - negative_tie as i128;
        let y = (q as i64 + self.zp_in).clamp(self.lo, self.hi) - self.zp_out;
        RequantWitness {
            r1: rem & ((1 << 30) - 1),
            qh,
            t: rem >> 30,
            q,
            y,
        }
    }

    /// The range-table bounds of `t`'s limbs: `(pa, pb)` with `pa·pb = 2^(e+1)`.
    fn limb_bounds(&self) -> (i128, i128) {
        // The table holds exactly these ranges for the graph's multipliers (TableSpec::of).
        let (a, b) = super::table::requant_limb_bits(&self.multiplier);
        (1 << a, 1 << b)
    }
}

impl RequantConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        acc: Column<Advice>,
        table: &TableConfig,
        with_maps: bool,
        ties_up: bool,
    ) -> Self {
        let mut advice = || meta.advice_column();
        let (r1a, r1b, ta, tb, qh) = (advice(), advice(), advice(), advice(), advice());
        let (z, inv, n, q, y) = (advice(), advice(), advice(), advice(), advice());
        let mut fixed = || meta.fixed_column();
        let (mult, tie, pa, pb) = (fixed(), fixed(), fixed(), fixed());
        let (zp_in, zp_out, tag) = (fixed(), fixed(), fixed());
        let c = RequantConfig {
            acc,
            r1a,
            r1b,
            ta,
            tb,
            qh,
            z,
            inv,
            n,
            q,
            y,
            mult,
            tie,
            pa,
            pb,
            zp_in,
            zp_out,
            tag,
            away: ties_up.then(|| meta.fixed_column()),
            s: meta.complex_selector(),
            map: with_maps.then(|| meta.complex_selector()),
        };
        meta.enable_equality(c.y);
        let limb = Expression::Constant(Fr::from(1u64 << LIMB));
        let two30 = Expression::Constant(Fr::from(1u64 << 30));
        let one = Expression::Constant(Fr::one());
        let cc = c.clone();
        meta.create_gate("requant", |meta| {
            let s = meta.query_selector(cc.s);
            let mut a = |col| meta.query_advice(col, Rotation::cur());
            let (acc, r1a, r1b, ta, tb) = (a(cc.acc), a(cc.r1a), a(cc.r1b), a(cc.ta), a(cc.tb));
            let (qh, z, inv, n, q) = (a(cc.qh), a(cc.z), a(cc.inv), a(cc.n), a(cc.q));
            let mut f = |col| meta.query_fixed(col, Rotation::cur());
            let (mult, tie, pa, pb) = (f(cc.mult), f(cc.tie), f(cc.pa), f(cc.pb));
            let away = cc.away.map_or_else(|| tie.clone(), &mut f);
            // 2^e·2^30 = pa·pb·2^29 and 2^e·2^31 = pa·pb·2^30.
            let two29 = Expression::Constant(Fr::from(1u64 << 29));
            let t = ta + tb * limb.clone();
            let rem = r1a + r1b * limb + t.clone() * two30.clone();
            let u = t.clone() * (t - one.clone());
            vec![
                s.clone()
                    * (acc * mult + two30.clone() + tie.clone() * pa.clone() * pb.clone() * two29
                        - qh.clone() * pa * pb * two30
                        - rem),
                s.clone() * z.clone() * u.clone(),
                s.clone() * (one.clone() - z.clone() - u * inv),
                s * (q - qh + away * z * n),
            ]
        });
        let sign = Expression::Constant(Fr::from(TAG_SIGN));
        let below = Expression::Constant(Fr::from(TAG_BELOW_POW2));
        for (name, col) in [
            ("requant: r1 low limb", c.r1a),
            ("requant: r1 high limb", c.r1b),
        ] {
            meta.lookup(name, |meta| {
                let s = meta.query_selector(c.s);
                let v = meta.query_advice(col, Rotation::cur());
                vec![
                    (s.clone() * sign.clone(), table.tag),
                    (s.clone() * v, table.input),
                    (s, table.output),
                ]
            });
        }
        for (name, col, bound) in [
            ("requant: t low limb < pa", c.ta, c.pa),
            ("requant: t high limb < pb", c.tb, c.pb),
        ] {
            meta.lookup(name, |meta| {
                let s = meta.query_selector(c.s);
                let v = meta.query_advice(col, Rotation::cur());
                let p = meta.query_fixed(bound, Rotation::cur());
                vec![
                    (s.clone() * below.clone(), table.tag),
                    (s.clone() * v, table.input),
                    (s * p, table.output),
                ]
            });
        }
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
        m.multiplier >= 0 && m.right_shift() <= MAX_RIGHT_SHIFT && m.shift <= 30
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
        match self.away {
            Some(away) => {
                region.assign_fixed(away, row, Fr::from((e > 0 && !params.ties_up) as u64));
            }
            // A row that rounds ties up in a shape planned without it.
            None if params.ties_up && e > 0 => return Err(Error::Synthesis),
            None => {}
        }
        self.s.enable(region, row)?;
        let fix = |region: &mut Region<Fr>, col, v: i128| {
            region.assign_fixed(col, row, super::fe(v));
        };
        let (pa, pb) = params.limb_bounds();
        fix(region, self.mult, params.mult());
        fix(region, self.tie, (e > 0) as i128);
        fix(region, self.pa, pa);
        fix(region, self.pb, pb);
        fix(region, self.zp_in, params.zp_in as i128);
        fix(region, self.zp_out, params.zp_out as i128);
        region.assign_fixed(self.tag, row, Fr::from(tag));
        let w = acc.map(|a| params.witness(a));
        let mask = (1i128 << LIMB) - 1;
        let adv = |region: &mut Region<Fr>, col, v: Option<i128>| {
            region.assign_advice(col, row, known(v)).cell()
        };
        adv(region, self.r1a, w.map(|w| w.r1 & mask));
        adv(region, self.r1b, w.map(|w| w.r1 >> LIMB));
        adv(region, self.ta, w.map(|w| w.t & mask));
        adv(region, self.tb, w.map(|w| w.t >> LIMB));
        adv(region, self.qh, w.map(|w| w.qh));
        let u = |w: RequantWitness| w.t * (w.t - 1);
        adv(region, self.z, w.map(|w| (u(w) == 0) as i128));
        let inv = w.map(|w| {
            super::fe(u(w))
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
mod tests;
