//! TFLite's int8/uint8 SOFTMAX ([`crate::ops::byte_softmax`]), row by row: the row's max in the
//! max chip, then the reference kernel's fixed-point arithmetic in the arithmetic chip
//! ([`crate::circuit::arith`]), one operation a row. Per element: `d = x - m` twice, looked up
//! in the exp table and in its rescale to Q12.19, and the running sum; per row: the power of
//! two `P = 2^(h-1)` with `S·P - 2^30` in `[0, 2^30)` (so `h` is the sum's leading zeros), the
//! half denominator `S·P - 2^30 + 2^30`, three Newton steps and the saturating doubling; per
//! element again: `y = SRDHM(s, e)` range-checked, and `out = ⌊(y·P + 2^33) / 2^34⌋` (the
//! rounding shift by `35 - h`), clamped to 255 by the table's softmax clamp. That table holds
//! `[0, 512)`, and `out` is at most 257: the sum `S` holds the row max's `2^19`, so
//! `S·P < 2^31` bounds `P` by `2^11`, and `y < 2^31` then bounds `out` by `2^31·2^11/2^34 + 1`.
//!
//! gemmlowp saturates two steps the chip computes exactly: `4·t` in a Newton step (|t| stays
//! far below 2^29: `the_circuits_unsaturated_newton_steps_equal_gemmlowps` checks every
//! normalised sum at a stride, an ignored test all of them) and the final doubling, which the
//! chip saturates itself (`hi = [x >= 2^30]`).

use super::StepLayout;
use crate::circuit::arith::{ArithConfig, ArithOp, ArithOut, Operands};
use crate::circuit::Wire;
use crate::ops::byte_softmax::{
    rescale_to_accumulator, ByteSoftmax, NEWTON_48_OVER_17, NEWTON_NEG_32_OVER_17, ONE_Q29,
};
use crate::qgraph::QStep;
use halo2_proofs::plonk::Error;

/// Arithmetic-chip rows per element and per row (the planner counts with these).
pub const ROWS_PER_ELEMENT: usize = 6;
pub const ROWS_PER_ROW: usize = 28;

/// `q = ⌊(a·b + 2^30) / 2^31⌋`: gemmlowp's SaturatingRoundingDoublingHighMul (it saturates only
/// for two operands of -2^31, which none here is).
const SRDHM: ArithOp = ArithOp::floor_product(1 << 30, 31);
/// `q + 2^31` in `[0, 2^32)`: a product's quotient bounded.
const SIGNED_32: ArithOp = ArithOp::range(1 << 31, 32);
/// `d = x - m`, `m` as `a` and `x` as `c`.
const DIFFERENCE: ArithOp = ArithOp::exact(-1, 1, 0);

/// The table tags one softmax step reads.
#[derive(Clone, Copy)]
struct Tags {
    exp: u64,
    scaled: u64,
    clamp: u64,
}

/// The arithmetic chip, laying out one operation at the layout's next free row.
struct Rows<'c> {
    chip: &'c ArithConfig,
}

impl Rows<'_> {
    fn op(
        &self,
        layout: &mut StepLayout<'_, '_>,
        a: Wire,
        b: Option<Wire>,
        c: Option<Wire>,
        op: ArithOp,
    ) -> Result<(usize, ArithOut), Error> {
        let row = layout.arith_row;
        layout.arith_row += 1;
        let out = self
            .chip
            .assign(layout.region, layout.links, row, Operands { a, b, c }, op)?;
        Ok((row, out))
    }

    /// `q = ⌊(a·b + 2^30) / 2^31⌋`, and its range row.
    fn srdhm(
        &self,
        layout: &mut StepLayout<'_, '_>,
        a: Wire,
        b: Option<Wire>,
        kb: i128,
    ) -> Result<Wire, Error> {
        let (_, out) = self.op(layout, a, b, None, ArithOp { kb, ..SRDHM })?;
        self.op(layout, out.q, None, None, SIGNED_32)?;
        Ok(out.q)
    }
}

impl StepLayout<'_, '_> {
    pub fn byte_softmax(
        &mut self,
        step: &QStep,
        softmax: &ByteSoftmax,
    ) -> Result<Vec<Wire>, Error> {
        let config = self.config;
        let rows = Rows {
            chip: config.arith.as_ref().ok_or(Error::Synthesis)?,
        };
        let max = config.max.as_ref().ok_or(Error::Synthesis)?;
        let (exp, scaled) = self.spec.softmax_tags(softmax).ok_or(Error::Synthesis)?;
        let tags = Tags {
            exp,
            scaled,
            clamp: crate::circuit::table::TAG_SOFTMAX_CLAMP,
        };
        let input = self.wires[step.inputs[0]].clone();
        if !softmax.fits(input.len()) {
            return Err(Error::Synthesis);
        }
        let mut out: Vec<Option<Wire>> = vec![None; input.len()];
        for row in 0..softmax.rows(input.len()) {
            let indices: Vec<usize> = (0..softmax.depth).map(|c| softmax.index(row, c)).collect();
            let xs: Vec<Wire> = indices.iter().map(|&i| input[i]).collect();
            let m = max.assign(self.region, self.links, self.max_row, &xs, None)?;
            self.max_row += xs.len();
            let given: Vec<Option<i64>> = indices
                .iter()
                .map(|&i| self.value(step.output, i))
                .collect();
            let outputs = self.softmax_row(&rows, softmax, tags, &xs, m, &given)?;
            for (&i, w) in indices.iter().zip(outputs) {
                out[i] = Some(w);
            }
        }
        out.into_iter().map(|w| w.ok_or(Error::Synthesis)).collect()
    }

    /// One row's outputs; `given` are the witness's outputs (when proving), which the lookups
    /// then check.
    fn softmax_row(
        &mut self,
        rows: &Rows<'_>,
        softmax: &ByteSoftmax,
        tags: Tags,
        xs: &[Wire],
        m: Wire,
        given: &[Option<i64>],
    ) -> Result<Vec<Wire>, Error> {
        let chip = rows.chip;
        let mut exps = Vec::with_capacity(xs.len());
        let mut sum: Option<Wire> = None;
        for &x in xs {
            let (row, d) = rows.op(self, m, None, Some(x), DIFFERENCE)?;
            let e = match d.q.value {
                Some(d) => Some(softmax.exp_of_diff(d).ok_or(Error::Synthesis)?),
                None => None,
            };
            exps.push(chip.assign_lookup(self.region, row, tags.exp, e)?);
            let (row, _) = rows.op(self, m, None, Some(x), DIFFERENCE)?;
            let scaled =
                chip.assign_lookup(self.region, row, tags.scaled, e.map(rescale_to_accumulator))?;
            let (_, s) = rows.op(self, scaled, None, sum, ArithOp::exact(1, 1, 0))?;
            sum = Some(s.q);
        }
        let sum = sum.ok_or(Error::Synthesis)?;
        // P = 2^(h-1) for the sum's leading zeros h (1 to 12: the sum is in [2^19, 2^31)).
        let pow = sum
            .value
            .map(|s| 1i64 << ((s as u32).leading_zeros().max(1) - 1));
        let p_row = self.arith_row;
        self.arith_row += 1;
        let p = chip.assign_power_of_two(self.region, p_row, pow)?;
        let normalised = ArithOp {
            kb: 0,
            mc: 0,
            k: -(1 << 30),
            divisor: 0,
            limb_bits: [15, 15, 0],
        };
        let (_, clz) = rows.op(self, sum, Some(p), None, normalised)?;
        // gemmlowp's half denominator (a + 1)/2 in Q0.31 of a = S·2^h - 2^31 = 2·clz.r.
        let (_, hd) = rows.op(self, clz.r, None, None, ArithOp::exact(1, 0, 1 << 30))?;
        let hd = hd.q;
        let first = rows.srdhm(self, hd, None, NEWTON_NEG_32_OVER_17 as i128)?;
        let (_, x0) = rows.op(
            self,
            first,
            None,
            None,
            ArithOp::exact(1, 0, NEWTON_48_OVER_17 as i128),
        )?;
        let mut x = x0.q;
        for _ in 0..3 {
            let hx = rows.srdhm(self, hd, Some(x), 0)?;
            let (_, one_minus) =
                rows.op(self, hx, None, None, ArithOp::exact(-1, 0, ONE_Q29 as i128))?;
            let t = rows.srdhm(self, x, Some(one_minus.q), 0)?;
            let (_, next) = rows.op(self, t, None, Some(x), ArithOp::exact(4, 1, 0))?;
            x = next.q;
        }
        // s = min(2x, 2^31 - 1) = 2x + hi·(2^31 - 1 - 2x) with hi = [x >= 2^30] (x in
        // [0, 2^31): hi a bit, the rest below 2^30).
        let split = ArithOp {
            kb: 1,
            mc: 0,
            k: 0,
            divisor: 1 << 30,
            limb_bits: [15, 15, 0],
        };
        let (_, hi) = rows.op(self, x, None, None, split)?;
        rows.op(self, hi.q, None, None, ArithOp::range(0, 1))?;
        let (_, w) = rows.op(self, x, None, None, ArithOp::exact(-2, 0, i32::MAX as i128))?;
        let (_, scale) = rows.op(self, hi.q, Some(w.q), Some(x), ArithOp::exact(0, 2, 0))?;
        let shift = ArithOp {
            kb: 0,
            mc: 0,
            k: 1 << 33,
            divisor: 1 << 34,
            limb_bits: [15, 15, 4],
        };
        let mut outputs = Vec::with_capacity(xs.len());
        for (&e, &given) in exps.iter().zip(given) {
            let (_, y) = rows.op(self, scale.q, Some(e), None, SRDHM)?;
            rows.op(self, y.q, None, None, ArithOp::range(0, 31))?;
            let (row, unsat) = rows.op(self, y.q, Some(p), None, shift)?;
            let value = given.or(unsat.q.value.map(|v| v.clamp(0, 255)));
            outputs.push(chip.assign_lookup(self.region, row, tags.clamp, value)?);
        }
        Ok(outputs)
    }
}
