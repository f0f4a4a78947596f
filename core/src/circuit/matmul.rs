//! Matrix-product chip: proves `C = A·B` for two computed matrices (attention's `Q·Kᵀ` and
//! `P·V`; A is M×K, B is K×N, both advice) with Freivalds' check instead of M·N·K
//! multiplications:
//!
//! `(C - off)·r = A·(B·r)`, where `r = (ρ^(N-1), ..., ρ, 1)` and `off` is the rounding offset
//! every accumulator of `C` carries.
//!
//! ρ is a second-phase challenge of its own: the transcript squeezes it only after every
//! first-phase column is committed, and A, B (copied into this chip's first-phase cells) and the
//! claimed C (first-phase accumulators) are all first-phase, so the prover fixes all three before
//! it can know ρ. A wrong C makes some row of `(C - off - A·B)·r` a non-zero polynomial of
//! degree < N in ρ, which vanishes at the transcript's ρ with probability at most (N - 1)/|F|
//! (per row; M·N/|F| per batch item). Every accepted C is then the field image of the bounded
//! integer `A·B + off`, so the rescale gate reading it divides the true integer.
//!
//! Layout of one batch item, from row `start`, sharing the dot chip's columns on rows where the
//! dot gate is off (as [`super::pointwise`] does):
//! - Output `o = i·N + j` takes row `start + o`: its accumulator `C[o]` is a free first-phase
//!   cell of `acc` (the rescale gate on that row reads it), and the dot chip's `bias` fixed
//!   column holds `off` there.
//! - C Horner (second phase, column `h_c`, in place): `h_c = acc - bias` on a row's first
//!   output, else `h_c = h_c[-1]·ρ + (acc - bias)`; the last output of row `i` of C holds
//!   `t_i = Σ_j (C - off)[i, j]·ρ^(N-1-j)`.
//! - B Horner (second phase, column `h_b`, `width` entries per row in the dot chip's `x` lanes,
//!   which copy B's cells): `h_b = Horner(h_b[-1] or 0; x_0, ..., x_{w-1})`. Each row of B is
//!   front-padded with zeros (copies of one constant zero cell) to whole rows; its last row holds
//!   `s_k = Σ_j B[k, j]·ρ^(N-1-j)`.
//! - Operand dot (columns `a` first phase, `s` and `d` second phase), row `start + i·K + k`:
//!   `d = a·s` on a row's first term, else `d = d[-1] + a·s`, with `a` copying `A[i, k]` and `s`
//!   copying `s_k`; each row's final `d` is constrained equal to `t_i`.
//!
//! An item takes `max(M·N, K·⌈N/width⌉, M·K)` rows ([`MatMulDims::rows`]).

use super::dot::DotConfig;
use super::horner::{
    accumulator_horner_gate, accumulator_sums, assign_lanes, lanes_horner_gate, lanes_sums,
    running_dot_gate, Factor, Steps,
};
use super::{known_field, Links, Wire};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Error, FirstPhase, Fixed, SecondPhase,
};
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct MatMulConfig {
    /// The dot chip's input lanes, accumulator and bias columns.
    pub x: Vec<Column<Advice>>,
    pub acc: Column<Advice>,
    pub bias: Column<Fixed>,
    pub h_b: Column<Advice>,
    pub h_c: Column<Advice>,
    pub a: Column<Advice>,
    pub s: Column<Advice>,
    pub d: Column<Advice>,
    pub b_horner: Steps,
    pub c_horner: Steps,
    pub operand_dot: Steps,
    pub rho: Challenge,
}

/// One batch item's matrix dimensions: A is `m×k`, B is `k×n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatMulDims {
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

impl MatMulDims {
    /// Rows of one row of B's Horner sequence.
    pub fn horner_rows(&self, width: usize) -> usize {
        self.n.div_ceil(width)
    }

    /// Rows one batch item takes: one per output, enough for B's Horner sequences and for the
    /// operand dots, which all run side by side in different columns.
    pub fn rows(&self, width: usize) -> usize {
        (self.m * self.n)
            .max(self.k * self.horner_rows(width))
            .max(self.m * self.k)
    }
}

/// A batch item's first-phase values, kept until the challenge is known.
pub struct PendingMatMul {
    dims: MatMulDims,
    width: usize,
    start: usize,
    /// A, row-major (M×K).
    a: Vec<Option<Fr>>,
    /// B, row-major (K×N).
    b: Vec<Option<Fr>>,
    /// C - off, row-major (M×N).
    c: Vec<Option<Fr>>,
}

impl MatMulConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, dot: &DotConfig) -> Self {
        let a = meta.advice_column();
        let h_b = meta.advice_column_in(SecondPhase);
        let h_c = meta.advice_column_in(SecondPhase);
        let s = meta.advice_column_in(SecondPhase);
        let d = meta.advice_column_in(SecondPhase);
        for c in [a, h_b, h_c, s, d] {
            meta.enable_equality(c);
        }
        // The column holding the constant zero the B Horner pads copy.
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let rho = meta.challenge_usable_after(FirstPhase);
        let config = MatMulConfig {
            x: dot.x.clone(),
            acc: dot.acc,
            bias: dot.bias,
            h_b,
            h_c,
            a,
            s,
            d,
            b_horner: Steps::new(meta),
            c_horner: Steps::new(meta),
            operand_dot: Steps::new(meta),
            rho,
        };
        let c = &config;
        lanes_horner_gate(meta, "matmul: B Horner", c.b_horner, c.h_b, &c.x, rho);
        accumulator_horner_gate(
            meta,
            "matmul: C Horner",
            c.c_horner,
            c.h_c,
            (c.acc, c.bias),
            rho,
        );
        running_dot_gate(
            meta,
            "matmul: operand dot",
            c.operand_dot,
            c.d,
            &[(Factor::Advice(c.a), c.s)],
        );
        config
    }

    pub fn width(&self) -> usize {
        self.x.len()
    }

    /// First phase of one batch item from row `start`: copies B into the Horner lanes and A into
    /// the operand column, places each claimed accumulator `c[o]` (A·B + off) in `acc` and `off`
    /// in `bias`, and enables the selectors. `zero` is the cell the pads copy (created on first
    /// use). The caller puts the rescale of each output on its row, and calls
    /// [`MatMulConfig::finish`] after `region.next_phase()`.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        zero: &mut Option<Cell>,
        start: usize,
        dims: MatMulDims,
        (a, b): (&[Wire], &[Wire]),
        c: &[Option<i128>],
        offset: i128,
    ) -> Result<PendingMatMul, Error> {
        let MatMulDims { m, k, n } = dims;
        if a.len() != m * k || b.len() != k * n || c.len() != m * n {
            return Err(Error::Synthesis);
        }
        let w = self.width();
        assign_lanes(
            region,
            links,
            zero,
            (&self.x, self.b_horner),
            start,
            (k, n),
            b,
        )?;
        let mut c_minus_off = Vec::with_capacity(m * n);
        for (o, &acc) in c.iter().enumerate() {
            let row = start + o;
            self.c_horner.enable(region, row, o % n == 0)?;
            region.assign_advice(self.acc, row, known_field(acc.map(super::fe)));
            region.assign_fixed(self.bias, row, super::fe(offset));
            c_minus_off.push(acc.map(|v| super::fe(v - offset)));
        }
        for (t, wire) in a.iter().enumerate() {
            let row = start + t;
            self.operand_dot.enable(region, row, t % k == 0)?;
            let cell = region
                .assign_advice(self.a, row, known_field(wire.value.map(wire_fe)))
                .cell();
            links.copy(region, cell, wire.source);
        }
        Ok(PendingMatMul {
            dims,
            width: w,
            start,
            a: a.iter().map(|wire| wire.value.map(wire_fe)).collect(),
            b: b.iter().map(|wire| wire.value.map(wire_fe)).collect(),
            c: c_minus_off,
        })
    }

    /// Second phase: the challenge-dependent Horner sums and operand dots, and the equalities
    /// tying each row's `A·(B·r)` to its `(C - off)·r`.
    pub fn finish(&self, region: &mut Region<Fr>, pending: PendingMatMul) -> Result<(), Error> {
        let mut rho = None;
        region.get_challenge(self.rho).map(|r| rho = Some(r));
        let PendingMatMul {
            dims: MatMulDims { m, k, n },
            width: w,
            start,
            a,
            b,
            c,
        } = pending;
        if a.len() != m * k || b.len() != k * n || c.len() != m * n {
            return Err(Error::Synthesis);
        }
        let (s_cells, s_values) = lanes_sums(region, (self.h_b, w), start, (k, n), &b, rho)?;
        let t_cells = accumulator_sums(region, self.h_c, start, n, &c, rho)?;
        for i in 0..m {
            let mut d = Some(Fr::zero());
            let mut last = None;
            for kk in 0..k {
                let row = start + i * k + kk;
                let s = region.assign_advice(self.s, row, known_field(s_values[kk]));
                region.constrain_equal(s.cell(), s_cells[kk]);
                d = d
                    .zip(a[i * k + kk])
                    .zip(s_values[kk])
                    .map(|((d, a), s)| d + a * s);
                last = Some(region.assign_advice(self.d, row, known_field(d)).cell());
            }
            region.constrain_equal(last.ok_or(Error::Synthesis)?, t_cells[i]);
        }
        Ok(())
    }
}

fn wire_fe(v: i64) -> Fr {
    super::fe(v as i128)
}

#[cfg(test)]
mod tests;
