//! Poseidon sponge chip: proves `digest = poseidon::hash(messages)` for message cells laid out
//! elsewhere (copied in by equality constraints). One row per round, gates of degree <= 4 (the
//! circuit's degree without this chip), so hashing does not enlarge the prover's extended domain.
//!
//! Columns: state `s0..s2`, auxiliaries `t0..t2`, round constants `c0..c2` (fixed).
//! - round row (full):    `t_j = (s_j + c_j)^2`, `s_i[+1] = Σ_j M_ij·t_j^2·(s_j + c_j)`
//! - round row (partial): `t_0 = (s_0 + c_0)^2`, `s_i[+1] = M_i0·t_0^2·(s_0 + c_0) + Σ_{j>0} M_ij·(s_j + c_j)`
//! - init row:            `s0 = c0` (the message count), `s1 = s2 = 0`
//! - absorb row:          `s[+1] = s + (0, t1, t2)`: the next two message elements sit in `t1, t2`
//!   (`absorb_one`: only `t1`, for an odd last element).
//!
//! A hash of m elements: one init row, then per pair of elements 65 round rows and an output
//! row, which is also the next pair's absorb row. The digest is `s1` on the last output row.

use super::known_field;
use crate::poseidon::{self, is_full_round, ROUNDS, WIDTH};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    pub s: [Column<Advice>; WIDTH],
    pub t: [Column<Advice>; WIDTH],
    pub c: [Column<Fixed>; WIDTH],
    pub q_full: Selector,
    pub q_partial: Selector,
    pub q_init: Selector,
    pub q_absorb_two: Selector,
    pub q_absorb_one: Selector,
}

/// A message element to absorb: the cell holding it and its value.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub cell: Cell,
    pub value: Option<Fr>,
}

impl PoseidonConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let s = [(); WIDTH].map(|_| meta.advice_column());
        let t = [(); WIDTH].map(|_| meta.advice_column());
        let c = [(); WIDTH].map(|_| meta.fixed_column());
        meta.enable_equality(s[1]);
        meta.enable_equality(t[1]);
        meta.enable_equality(t[2]);
        let config = PoseidonConfig {
            s,
            t,
            c,
            q_full: meta.selector(),
            q_partial: meta.selector(),
            q_init: meta.selector(),
            q_absorb_two: meta.selector(),
            q_absorb_one: meta.selector(),
        };
        let mds = poseidon::spec().mds;
        let cfg = config.clone();
        meta.create_gate("poseidon full round", |meta| {
            let q = meta.query_selector(cfg.q_full);
            let u: Vec<Expression<Fr>> = (0..WIDTH)
                .map(|j| {
                    meta.query_advice(cfg.s[j], Rotation::cur())
                        + meta.query_fixed(cfg.c[j], Rotation::cur())
                })
                .collect();
            let t: Vec<Expression<Fr>> = (0..WIDTH)
                .map(|j| meta.query_advice(cfg.t[j], Rotation::cur()))
                .collect();
            let mut gates = Vec::new();
            for j in 0..WIDTH {
                gates.push(q.clone() * (t[j].clone() - u[j].clone() * u[j].clone()));
            }
            for (i, row) in mds.iter().enumerate() {
                let next = meta.query_advice(cfg.s[i], Rotation::next());
                let mixed = (0..WIDTH).fold(Expression::Constant(Fr::ZERO), |acc, j| {
                    acc + Expression::Constant(row[j]) * t[j].clone() * t[j].clone() * u[j].clone()
                });
                gates.push(q.clone() * (next - mixed));
            }
            gates
        });
        let cfg = config.clone();
        meta.create_gate("poseidon partial round", |meta| {
            let q = meta.query_selector(cfg.q_partial);
            let u: Vec<Expression<Fr>> = (0..WIDTH)
                .map(|j| {
                    meta.query_advice(cfg.s[j], Rotation::cur())
                        + meta.query_fixed(cfg.c[j], Rotation::cur())
                })
                .collect();
            let t0 = meta.query_advice(cfg.t[0], Rotation::cur());
            let mut gates = vec![q.clone() * (t0.clone() - u[0].clone() * u[0].clone())];
            for (i, row) in mds.iter().enumerate() {
                let next = meta.query_advice(cfg.s[i], Rotation::next());
                let mut mixed =
                    Expression::Constant(row[0]) * t0.clone() * t0.clone() * u[0].clone();
                for j in 1..WIDTH {
                    mixed = mixed + Expression::Constant(row[j]) * u[j].clone();
                }
                gates.push(q.clone() * (next - mixed));
            }
            gates
        });
        let cfg = config.clone();
        meta.create_gate("poseidon init", |meta| {
            let q = meta.query_selector(cfg.q_init);
            let s0 = meta.query_advice(cfg.s[0], Rotation::cur());
            let s1 = meta.query_advice(cfg.s[1], Rotation::cur());
            let s2 = meta.query_advice(cfg.s[2], Rotation::cur());
            let count = meta.query_fixed(cfg.c[0], Rotation::cur());
            vec![q.clone() * (s0 - count), q.clone() * s1, q * s2]
        });
        let cfg = config.clone();
        meta.create_gate("poseidon absorb", |meta| {
            let two = meta.query_selector(cfg.q_absorb_two);
            let one = meta.query_selector(cfg.q_absorb_one);
            let cur: Vec<_> = (0..WIDTH)
                .map(|j| meta.query_advice(cfg.s[j], Rotation::cur()))
                .collect();
            let next: Vec<_> = (0..WIDTH)
                .map(|j| meta.query_advice(cfg.s[j], Rotation::next()))
                .collect();
            let t1 = meta.query_advice(cfg.t[1], Rotation::cur());
            let t2 = meta.query_advice(cfg.t[2], Rotation::cur());
            // (Simple selectors cannot be added, so each variant has its own constraints.)
            let lane0 = next[0].clone() - cur[0].clone();
            let lane1 = next[1].clone() - cur[1].clone() - t1;
            let lane2 = next[2].clone() - cur[2].clone();
            vec![
                two.clone() * lane0.clone(),
                two.clone() * lane1.clone(),
                two * (lane2.clone() - t2),
                one.clone() * lane0,
                one.clone() * lane1,
                one * lane2,
            ]
        });
        config
    }

    /// Rows a hash of `n` message elements occupies.
    pub fn rows_for(n: usize) -> usize {
        1 + n.div_ceil(2).max(1) * (ROUNDS + 1)
    }

    /// Lays out the hash of `messages` from row `offset`; returns the digest cell and value.
    /// `n >= 1` messages.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        offset: usize,
        messages: &[Message],
    ) -> Result<(Cell, Option<Fr>), Error> {
        if messages.is_empty() {
            return Err(Error::Synthesis);
        }
        let spec = poseidon::spec();
        let n = messages.len();
        let mut state: Option<[Fr; WIDTH]> = Some([Fr::from(n as u64), Fr::ZERO, Fr::ZERO]);
        let mut row = offset;
        self.q_init.enable(region, row)?;
        region.assign_fixed(self.c[0], row, Fr::from(n as u64));
        let mut digest = None;
        for (p, pair) in messages.chunks(2).enumerate() {
            // Absorb row: the current state plus the pair in t1, t2.
            self.assign_state(region, row, state)?;
            let c1 = region
                .assign_advice(self.t[1], row, known_field(pair[0].value))
                .cell();
            region.constrain_equal(c1, pair[0].cell);
            let second = pair.get(1);
            match second {
                Some(m) => {
                    self.q_absorb_two.enable(region, row)?;
                    let c2 = region
                        .assign_advice(self.t[2], row, known_field(m.value))
                        .cell();
                    region.constrain_equal(c2, m.cell);
                }
                None => {
                    self.q_absorb_one.enable(region, row)?;
                    region.assign_advice(self.t[2], row, known_field(Some(Fr::ZERO)));
                }
            }
            if p == 0 {
                region.assign_advice(self.t[0], row, known_field(Some(Fr::ZERO)));
            }
            let pair_values = pair[0]
                .value
                .zip(second.map_or(Some(Fr::ZERO), |m| m.value));
            state = state.zip(pair_values).map(|(mut st, (a, b))| {
                st[1] += a;
                st[2] += b;
                st
            });
            row += 1;
            for r in 0..ROUNDS {
                let full = is_full_round(r);
                if full {
                    self.q_full.enable(region, row)?;
                } else {
                    self.q_partial.enable(region, row)?;
                }
                for j in 0..WIDTH {
                    region.assign_fixed(self.c[j], row, spec.round_constants[r][j]);
                }
                self.assign_state(region, row, state)?;
                for j in 0..WIDTH {
                    let t = state.map(|st| {
                        let u = st[j] + spec.round_constants[r][j];
                        if full || j == 0 {
                            u.square()
                        } else {
                            Fr::ZERO
                        }
                    });
                    region.assign_advice(self.t[j], row, known_field(t));
                }
                state = state.map(|st| poseidon::round(spec, r, &st));
                row += 1;
            }
            // Output row (the next pair's absorb row, or the digest).
            if p + 1 == n.div_ceil(2) {
                let cells = self.assign_state(region, row, state)?;
                region.assign_advice(self.t[0], row, known_field(Some(Fr::ZERO)));
                region.assign_advice(self.t[1], row, known_field(Some(Fr::ZERO)));
                region.assign_advice(self.t[2], row, known_field(Some(Fr::ZERO)));
                digest = Some((cells[1], state.map(|st| st[1])));
            } else {
                region.assign_advice(self.t[0], row, known_field(Some(Fr::ZERO)));
            }
        }
        Ok(digest.expect("at least one pair"))
    }

    fn assign_state(
        &self,
        region: &mut Region<Fr>,
        row: usize,
        state: Option<[Fr; WIDTH]>,
    ) -> Result<[Cell; WIDTH], Error> {
        let mut cells = Vec::with_capacity(WIDTH);
        for j in 0..WIDTH {
            cells.push(
                region
                    .assign_advice(self.s[j], row, known_field(state.map(|st| st[j])))
                    .cell(),
            );
        }
        Ok([cells[0], cells[1], cells[2]])
    }
}

#[cfg(test)]
mod tests {
    use super::super::fe;
    use super::super::testing::{assert_rejected, TestCircuit};
    use super::*;

    /// Hashes the public inputs (copied into advice cells) and exposes the digest after them.
    /// `corrupt` overwrites one cell: (column index 0..6 over s then t, row, value).
    fn case(inputs: Vec<i64>, corrupt: Option<(usize, usize, i64)>) -> TestCircuit {
        let n = inputs.len();
        TestCircuit::new(inputs, move |config, region, links, public| {
            let p = config.poseidon.as_ref().expect("test shape hashes");
            // Copy the public inputs into the pack chip's value cells to get advice cells.
            let mut messages = Vec::new();
            for (i, w) in public.iter().enumerate() {
                let cell = region
                    .assign_advice(config.dot.x[0], 200 + i, super::super::known(w.value))
                    .cell();
                links.copy(region, cell, w.source);
                messages.push(Message {
                    cell,
                    value: w.value.map(|v| fe(v as i128)),
                });
            }
            let (digest, _) = p.assign(region, 0, &messages)?;
            links.expose(digest, n);
            if let Some((col, row, v)) = corrupt {
                let column = if col < 3 { p.s[col] } else { p.t[col - 3] };
                region.assign_advice(column, row, known_field(Some(fe(v as i128))));
            }
            Ok(())
        })
    }

    fn expected(inputs: &[i64]) -> Fr {
        let msgs: Vec<Fr> = inputs.iter().map(|&v| fe(v as i128)).collect();
        poseidon::hash(&msgs)
    }

    #[test]
    fn digest_matches_native_and_corruption_is_rejected() {
        use super::super::testing::mock_field;
        for inputs in [vec![5i64], vec![1, 2], vec![3, -4, 7], vec![9, 8, 7, 6]] {
            let mut public: Vec<Fr> = inputs.iter().map(|&v| fe(v as i128)).collect();
            public.push(expected(&inputs));
            mock_field(&case(inputs.clone(), None), &public).unwrap();
        }
        let inputs = vec![3i64, -4, 7];
        let mut public: Vec<Fr> = inputs.iter().map(|&v| fe(v as i128)).collect();
        public.push(expected(&inputs));
        // A corrupted state cell in a full round, in a partial round, an auxiliary cell, and
        // an absorbed message.
        for corrupt in [(0, 2, 1), (2, 30, 1), (3, 40, 0), (4, 0, 99), (4, 66, 12)] {
            assert_rejected(mock_field(&case(inputs.clone(), Some(corrupt)), &public));
        }
        // A wrong digest.
        let mut wrong = public.clone();
        *wrong.last_mut().unwrap() += Fr::ONE;
        assert_rejected(mock_field(&case(inputs, None), &wrong));
    }
}
