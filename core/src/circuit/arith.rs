//! Integer arithmetic chip: one fixed-point operation a row, for kernels whose intermediates
//! are wider than the activation domain (TFLite's int8 SOFTMAX in gemmlowp's Q-formats,
//! [`crate::ops::byte_softmax`]).
//!
//! Each row proves, with fixed `mb`, `kb`, `mc`, `k`, `D` and limb bounds `p0, p1, p2` (powers
//! of two):
//! - gate: `a·(mb·b + kb) + mc·c + k = q·D + r`;
//! - gate: `r = l0 + 2^15·l1 + 2^30·l2`;
//! - lookups: `l_i < p_i` by the range table `(TAG_BELOW_POW2, l_i, p_i)`, so
//!   `0 <= r < p0·p1·p2` when `p0 = p1 = 2^15` (or `r < p0` when `p1 = p2 = 1`).
//!
//! With `D > 0` that is a floor division, `q = ⌊N/D⌋`, provided `q` is bounded: every row whose
//! `q` nothing else bounds is followed by a range row of `q` (`D = 0`, so `r = q + k` itself is
//! range-checked). Every term is then a bounded integer far below the field's size, so the
//! equations hold over the integers. With `D = 0` and all bounds 1 the row proves `N = 0`.
//!
//! A row may also look `(tag, q, t)` up in the shared table (fixed `tag`, a second selector):
//! an exp table of a difference, the clamp of an output, or `(TAG_BELOW_POW2, q, t)` for a
//! power of two `t`. Coefficients and operands a row does not use are zero, so a free cell
//! there changes nothing.

use super::table::{TableConfig, TAG_BELOW_POW2};
use super::{fe, known, Links, Source, Wire};
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

/// Bits of the first two limbs of `r`.
const LIMB: u32 = 15;

#[derive(Clone, Debug)]
pub struct ArithConfig {
    pub a: Column<Advice>,
    pub b: Column<Advice>,
    pub c: Column<Advice>,
    pub q: Column<Advice>,
    pub r: Column<Advice>,
    pub limbs: [Column<Advice>; 3],
    pub t: Column<Advice>,
    pub mb: Column<Fixed>,
    pub kb: Column<Fixed>,
    pub mc: Column<Fixed>,
    pub k: Column<Fixed>,
    pub divisor: Column<Fixed>,
    pub bounds: [Column<Fixed>; 3],
    pub tag: Column<Fixed>,
    pub s: Selector,
    pub s_lookup: Selector,
}

/// The fixed part of one row: `a·(mb·b + kb) + mc·c + k = q·D + r`, `r` below
/// `2^limb_bits[0] · 2^limb_bits[1] · 2^limb_bits[2]` limb by limb.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArithOp {
    pub kb: i128,
    pub mc: i128,
    pub k: i128,
    pub divisor: i128,
    pub limb_bits: [u32; 3],
}

impl ArithOp {
    /// `q = a·kb + mc·c + k` exactly (`D = 1`, `r = 0`).
    pub const fn exact(kb: i128, mc: i128, k: i128) -> Self {
        ArithOp {
            kb,
            mc,
            k,
            divisor: 1,
            limb_bits: [0; 3],
        }
    }

    /// `q = ⌊(a·b + k) / 2^bits⌋` with the remainder below `2^bits` (`bits` > 30).
    pub const fn floor_product(k: i128, bits: u32) -> Self {
        ArithOp {
            kb: 0,
            mc: 0,
            k,
            divisor: 1 << bits,
            limb_bits: [LIMB, LIMB, bits - 2 * LIMB],
        }
    }

    /// `r = a + k` range-checked to `[0, 2^bits)` (`bits` <= 45).
    pub const fn range(k: i128, bits: u32) -> Self {
        ArithOp {
            kb: 1,
            mc: 0,
            k,
            divisor: 0,
            limb_bits: limb_bits(bits),
        }
    }

    /// The remainder's limb bounds.
    pub fn bound(&self) -> i128 {
        1i128 << self.limb_bits.iter().sum::<u32>()
    }
}

/// Limb bounds for a remainder below `2^bits`: 15-bit limbs, the rest on the top one.
pub const fn limb_bits(bits: u32) -> [u32; 3] {
    if bits <= LIMB {
        [bits, 0, 0]
    } else if bits <= 2 * LIMB {
        [LIMB, bits - LIMB, 0]
    } else {
        [LIMB, LIMB, bits - 2 * LIMB]
    }
}

/// A row's operands: `a`, and `b` and `c` where the row reads them (None: coefficient 0).
#[derive(Clone, Copy, Debug)]
pub struct Operands {
    pub a: Wire,
    pub b: Option<Wire>,
    pub c: Option<Wire>,
}

/// A row's outputs: the quotient and the remainder.
#[derive(Clone, Copy, Debug)]
pub struct ArithOut {
    pub q: Wire,
    pub r: Wire,
}

impl ArithConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, table: &TableConfig) -> Self {
        let mut advice = || meta.advice_column();
        let (a, b, c, q, r, t) = (advice(), advice(), advice(), advice(), advice(), advice());
        let limbs = [advice(), advice(), advice()];
        let mut fixed = || meta.fixed_column();
        let (mb, kb, mc, k, divisor, tag) = (fixed(), fixed(), fixed(), fixed(), fixed(), fixed());
        let bounds = [fixed(), fixed(), fixed()];
        let config = ArithConfig {
            a,
            b,
            c,
            q,
            r,
            limbs,
            t,
            mb,
            kb,
            mc,
            k,
            divisor,
            bounds,
            tag,
            s: meta.complex_selector(),
            s_lookup: meta.complex_selector(),
        };
        for column in [a, b, c, q, r, t] {
            meta.enable_equality(column);
        }
        let cc = config.clone();
        meta.create_gate("arith", |meta| {
            let s = meta.query_selector(cc.s);
            let mut adv = |col| meta.query_advice(col, Rotation::cur());
            let (a, b, c, q, r) = (adv(cc.a), adv(cc.b), adv(cc.c), adv(cc.q), adv(cc.r));
            let [l0, l1, l2] = cc.limbs.map(&mut adv);
            let mut fix = |col| meta.query_fixed(col, Rotation::cur());
            let (mb, kb, mc, k, d) = (
                fix(cc.mb),
                fix(cc.kb),
                fix(cc.mc),
                fix(cc.k),
                fix(cc.divisor),
            );
            let limb = Expression::Constant(Fr::from(1u64 << LIMB));
            let two30 = Expression::Constant(Fr::from(1u64 << (2 * LIMB)));
            vec![
                s.clone() * (a * (mb * b + kb) + mc * c + k - q * d - r.clone()),
                s * (r - l0 - l1 * limb - l2 * two30),
            ]
        });
        let below = Expression::Constant(Fr::from(TAG_BELOW_POW2));
        for (i, (limb, bound)) in config.limbs.iter().zip(config.bounds).enumerate() {
            let limb = *limb;
            meta.lookup(format!("arith: limb {i} below its bound"), |meta| {
                let s = meta.query_selector(config.s);
                let v = meta.query_advice(limb, Rotation::cur());
                let p = meta.query_fixed(bound, Rotation::cur());
                vec![
                    (s.clone() * below.clone(), table.tag),
                    (s.clone() * v, table.input),
                    (s * p, table.output),
                ]
            });
        }
        meta.lookup("arith: table of the quotient", |meta| {
            let s = meta.query_selector(config.s_lookup);
            let tag = meta.query_fixed(config.tag, Rotation::cur());
            let q = meta.query_advice(config.q, Rotation::cur());
            let t = meta.query_advice(config.t, Rotation::cur());
            vec![
                (s.clone() * tag, table.tag),
                (s.clone() * q, table.input),
                (s * t, table.output),
            ]
        });
        config
    }

    /// Lays out `op` on `row` over the operands, each copied from its wire (`b` absent: `mb = 0`;
    /// `c` absent: `mc = 0`). The quotient and remainder are computed from the operands.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        row: usize,
        Operands { a, b, c }: Operands,
        op: ArithOp,
    ) -> Result<ArithOut, Error> {
        self.s.enable(region, row)?;
        let fix = |region: &mut Region<Fr>, col, v: i128| {
            region.assign_fixed(col, row, fe(v));
        };
        fix(region, self.mb, b.is_some() as i128);
        fix(region, self.kb, op.kb);
        let mc = if c.is_some() { op.mc } else { 0 };
        fix(region, self.mc, mc);
        fix(region, self.k, op.k);
        fix(region, self.divisor, op.divisor);
        for (column, bits) in self.bounds.iter().zip(op.limb_bits) {
            fix(region, *column, 1i128 << bits);
        }
        let mut copy = |region: &mut Region<Fr>, column, w: Option<Wire>| {
            // An unused operand is 0 (its coefficient is 0 too).
            let value = w.map_or(Some(0), |w| w.value);
            let cell = region.assign_advice(column, row, known(value));
            if let Some(w) = w {
                links.copy(region, cell.cell(), w.source);
            }
        };
        copy(region, self.a, Some(a));
        copy(region, self.b, b);
        copy(region, self.c, c);
        let value = |w: Option<Wire>| w.map_or(Some(0), |w| w.value.map(i128::from));
        let n = value(Some(a))
            .zip(value(b))
            .zip(value(c))
            .map(|((a, b), c)| a * (b + op.kb) + mc * c + op.k);
        let (q, r) = match op.divisor {
            0 => (n.map(|_| 0), n),
            d => (n.map(|n| n.div_euclid(d)), n.map(|n| n.rem_euclid(d))),
        };
        let limb_mask = (1i128 << LIMB) - 1;
        for (i, column) in self.limbs.iter().enumerate() {
            let limb = r.map(|r| match i {
                0 => r & limb_mask,
                1 => (r >> LIMB) & limb_mask,
                _ => r >> (2 * LIMB),
            });
            region.assign_advice(*column, row, known(limb));
        }
        let wire = |region: &mut Region<Fr>, column, v: Option<i128>| -> Result<Wire, Error> {
            let value = v
                .map(i64::try_from)
                .transpose()
                .map_err(|_| Error::Synthesis)?;
            let cell = region.assign_advice(column, row, known(value)).cell();
            Ok(Wire {
                source: Source::Advice(cell),
                value,
            })
        };
        Ok(ArithOut {
            q: wire(region, self.q, q)?,
            r: wire(region, self.r, r)?,
        })
    }

    /// Looks `(tag, q, t)` up on `row` (whose `q` the row's operation set), with `t` given;
    /// returns `t`'s wire.
    pub fn assign_lookup(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        tag: u64,
        t: Option<i64>,
    ) -> Result<Wire, Error> {
        self.s_lookup.enable(region, row)?;
        region.assign_fixed(self.tag, row, Fr::from(tag));
        let cell = region.assign_advice(self.t, row, known(t)).cell();
        Ok(Wire {
            source: Source::Advice(cell),
            value: t,
        })
    }

    /// A power of two `t` from the range table on `row` (no operation there): the lookup
    /// `(TAG_BELOW_POW2, 0, t)` holds exactly when `t = 2^j` for a `j` the table holds.
    pub fn assign_power_of_two(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        t: Option<i64>,
    ) -> Result<Wire, Error> {
        region.assign_advice(self.q, row, known(Some(0)));
        self.assign_lookup(region, row, TAG_BELOW_POW2, t)
    }
}

#[cfg(test)]
mod tests;
