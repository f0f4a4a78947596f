//! Poseidon sponge chip: proves `digest = poseidon::hash(messages)` for message cells laid out
//! elsewhere (copied in by equality constraints). One row per full round, one row per two
//! partial rounds, gates of degree <= 4 (the circuit's degree without this chip), so hashing
//! does not enlarge the prover's extended domain.
//!
//! Columns: state `s0..s2`, auxiliaries `t0..t2`, round constants `c0..c2` (fixed). With
//! `u_j = s_j + c_j` and `M` the MDS matrix:
//! - round row (full):    `t_j = u_j^2`, `s_i[+1] = Σ_j M_ij·t_j^2·u_j`
//! - round row (partial): `t_0 = u_0^2`, `s_i[+1] = M_i0·t_0^2·u_0 + Σ_{j>0} M_ij·u_j`
//! - two partial rounds:  with `m_i = M_i0·t_0^2·u_0 + Σ_{j>0} M_ij·u_j`, `t_0 = u_0^2`,
//!   `t_1 = m_0` (the second round's S-box input), `t_2 = t_1^2`,
//!   `s_i[+1] = M_i0·t_2^2·t_1 + Σ_{j>0} M_ij·m_j`
//! - init row:            `s0 = c0` (the message count), `s1 = s2 = 0`
//! - absorb row:          `s[+1] = s + (0, t1, t2)`: the next two message elements sit in `t1, t2`
//!   (`absorb_one`: only `t1`, for an odd last element).
//!
//! A row of two partial rounds has no column for the second round's constants. They are folded
//! into the fixed `c` of the row and of the next one ([`two_round_constants`]): the second
//! round's lane-0 constant `k_0` enters `c_1` as `k_0 / M_01`, so that `m_0` is already the S-box
//! input; what the rounds' lanes 1 and 2 then owe (`B_i`) is added to the next row's `c_i`. The
//! state cells on the row after such a row hold the permutation's state minus `B`, and `u_0` on
//! every row is the true state's lane 0 plus its true round constant (on a row of two rounds
//! `u_1` also carries `k_0 / M_01`), so every S-box sees the value the permutation computes.
//! Rows after the partial rounds owe nothing: the digest is the true `s1`.
//!
//! A hash of m elements: one init row, then per pair of elements [`PERMUTATION_ROWS`] round rows
//! (4 full, 28 of two partial rounds, one of the 57th, 4 full) and an output row, which is also
//! the next pair's absorb row. The digest is `s1` on the last output row.
//!
//! Why two partial rounds a row: hidden weights make this chip the tallest region of most
//! segments of a large model (ResNet-18's segments had 1.3-1.9 M Poseidon rows against 0.6-0.9 M
//! pack rows and far fewer linear ones), and a partial round leaves `t1, t2` idle. Two a row
//! take 38 rows a pair instead of 66, with no advice or constant column added (one selector);
//! the hash itself is unchanged.

use super::known_field;
use crate::poseidon::{self, is_full_round, ROUNDS, WIDTH};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Rows of one permutation: a row per full round, one per two partial rounds (an odd count
/// leaves one on a row of its own).
pub const PERMUTATION_ROWS: usize = poseidon::FULL_ROUNDS + poseidon::PARTIAL_ROUNDS.div_ceil(2);

/// Rows of one permutation as keys made before the twelfth session lay it out: a row per round.
pub const UNPAIRED_PERMUTATION_ROWS: usize = ROUNDS;

#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    pub s: [Column<Advice>; WIDTH],
    pub t: [Column<Advice>; WIDTH],
    pub c: [Column<Fixed>; WIDTH],
    pub q_full: Selector,
    pub q_partial: Selector,
    /// Present when two partial rounds share a row (keys made before lay one a row).
    pub q_partial_two: Option<Selector>,
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
    pub fn configure(meta: &mut ConstraintSystem<Fr>, paired_rounds: bool) -> Self {
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
            q_partial_two: paired_rounds.then(|| meta.selector()),
            q_init: meta.selector(),
            q_absorb_two: meta.selector(),
            q_absorb_one: meta.selector(),
        };
        let mds = poseidon::spec().mds;
        let cfg = config.clone();
        meta.create_gate("poseidon full round", |meta| {
            let q = meta.query_selector(cfg.q_full);
            let u = cfg.round_inputs(meta);
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
            let u = cfg.round_inputs(meta);
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
        if let Some(q_partial_two) = cfg.q_partial_two {
            meta.create_gate("poseidon two partial rounds", |meta| {
                let q = meta.query_selector(q_partial_two);
                let u = cfg.round_inputs(meta);
                let t: Vec<Expression<Fr>> = (0..WIDTH)
                    .map(|j| meta.query_advice(cfg.t[j], Rotation::cur()))
                    .collect();
                // The state after the first of the two rounds (the second's constants folded into
                // `c`), of degree 3.
                let first: Vec<Expression<Fr>> = mds
                    .iter()
                    .map(|row| {
                        let s_box = t[0].clone() * t[0].clone() * u[0].clone();
                        (1..WIDTH).fold(Expression::Constant(row[0]) * s_box, |m, j| {
                            m + Expression::Constant(row[j]) * u[j].clone()
                        })
                    })
                    .collect();
                let mut gates = vec![
                    q.clone() * (t[0].clone() - u[0].clone() * u[0].clone()),
                    q.clone() * (t[1].clone() - first[0].clone()),
                    q.clone() * (t[2].clone() - t[1].clone() * t[1].clone()),
                ];
                for (i, row) in mds.iter().enumerate() {
                    let next = meta.query_advice(cfg.s[i], Rotation::next());
                    let s_box = t[2].clone() * t[2].clone() * t[1].clone();
                    let mixed = (1..WIDTH).fold(Expression::Constant(row[0]) * s_box, |m, j| {
                        m + Expression::Constant(row[j]) * first[j].clone()
                    });
                    gates.push(q.clone() * (next - mixed));
                }
                gates
            });
        }
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

    /// The round's S-box inputs `u_j = s_j + c_j` on the current row.
    fn round_inputs(&self, meta: &mut VirtualCells<'_, Fr>) -> Vec<Expression<Fr>> {
        (0..WIDTH)
            .map(|j| {
                meta.query_advice(self.s[j], Rotation::cur())
                    + meta.query_fixed(self.c[j], Rotation::cur())
            })
            .collect()
    }

    /// Rows a hash of `n` message elements occupies, with two partial rounds a row or one.
    pub fn rows_for(n: usize, paired_rounds: bool) -> usize {
        let permutation = if paired_rounds {
            PERMUTATION_ROWS
        } else {
            UNPAIRED_PERMUTATION_ROWS
        };
        1 + n.div_ceil(2).max(1) * (permutation + 1)
    }

    /// Rows this chip's hash of `n` message elements occupies.
    pub fn rows(&self, n: usize) -> usize {
        Self::rows_for(n, self.q_partial_two.is_some())
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
        // By a round, the constants of a row of it and the next when this chip pairs them
        // (computed once: a hash of a model's weights lays out hundreds of thousands of
        // permutations).
        let paired = self.q_partial_two.is_some();
        let folded: Vec<Option<([Fr; WIDTH], [Fr; WIDTH])>> = (0..ROUNDS)
            .map(|r| (paired && two_partial_rounds_from(r)).then(|| two_round_constants(spec, r)))
            .collect();
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
            // What the previous row of two partial rounds left for this row's constants.
            let mut owed = [Fr::ZERO; WIDTH];
            let mut r = 0;
            while r < ROUNDS {
                let full = is_full_round(r);
                let two = folded[r].is_some();
                let (mut constants, next_owed) =
                    folded[r].unwrap_or((spec.round_constants[r], [Fr::ZERO; WIDTH]));
                for (c, o) in constants.iter_mut().zip(owed) {
                    *c += o;
                }
                match (full, two) {
                    (true, _) => self.q_full.enable(region, row)?,
                    (false, true) => self
                        .q_partial_two
                        .ok_or(Error::Synthesis)?
                        .enable(region, row)?,
                    (false, false) => self.q_partial.enable(region, row)?,
                }
                for (j, &c) in constants.iter().enumerate() {
                    region.assign_fixed(self.c[j], row, c);
                }
                // The cells hold the true state minus what is owed: `u` is the true one.
                self.assign_state(
                    region,
                    row,
                    state.map(|st| std::array::from_fn(|j| st[j] - owed[j])),
                )?;
                let after_first = state.map(|st| poseidon::round(spec, r, &st));
                let t: [Option<Fr>; WIDTH] = std::array::from_fn(|j| {
                    state.zip(after_first).map(|(st, mid)| {
                        let u = st[j] + spec.round_constants[r][j];
                        let second = mid[0] + spec.round_constants[(r + 1) % ROUNDS][0];
                        match (j, full, two) {
                            (_, true, _) | (0, false, _) => u.square(),
                            (1, false, true) => second,
                            (2, false, true) => second.square(),
                            _ => Fr::ZERO,
                        }
                    })
                });
                for (j, t) in t.into_iter().enumerate() {
                    region.assign_advice(self.t[j], row, known_field(t));
                }
                state = after_first;
                if two {
                    state = state.map(|st| poseidon::round(spec, r + 1, &st));
                    r += 1;
                }
                owed = next_owed;
                r += 1;
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

/// Whether round `r` shares its row with round `r + 1`: both are partial.
fn two_partial_rounds_from(r: usize) -> bool {
    !is_full_round(r) && r + 1 < ROUNDS && !is_full_round(r + 1)
}

/// The fixed `c` of a row of rounds `r` and `r + 1`, both partial, before what the row before
/// it owes is added; and what this row owes the next one (see the module doc). With `k` round
/// `r + 1`'s constants and `δ = k_0 / M_01`: `c = rc[r] + (0, δ, 0)`, so that the first round's
/// lane 0 out of the gate is the second round's S-box input; the lanes out of the gate then
/// fall short of the true state by `B_i = Σ_{j>0} M_ij·(k_j - M_j1·δ)`.
fn two_round_constants(spec: &poseidon::Spec, r: usize) -> ([Fr; WIDTH], [Fr; WIDTH]) {
    let k = spec.round_constants[r + 1];
    let m = &spec.mds;
    // M_01 is an entry of a Cauchy matrix: never zero (a test checks).
    let delta = k[0] * m[0][1].invert().expect("the MDS matrix has no zero entry");
    let mut c = spec.round_constants[r];
    c[1] += delta;
    let owed =
        std::array::from_fn(|i| (1..WIDTH).map(|j| m[i][j] * (k[j] - m[j][1] * delta)).sum());
    (c, owed)
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

    /// The folding of a second partial round's constants divides by `M_01`.
    #[test]
    fn the_mds_matrix_has_no_zero_entry() {
        for row in &poseidon::spec().mds {
            for m in row {
                assert!(!bool::from(m.is_zero()));
            }
        }
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
        // Rows of the first pair: 0 init and absorb, 1-4 full rounds, 5-32 two partial rounds
        // each, 33 the last partial round, 34-37 full rounds, 38 the output and next absorb.
        assert_eq!(PERMUTATION_ROWS, 37);
        // A corrupted state cell in a full round, in a row of two partial rounds, in the row of
        // one; each auxiliary cell of a row of two (t0, the second S-box input t1, its square
        // t2) and of a full round; an absorbed message, the second pair's included.
        for corrupt in [
            (0, 2, 1),
            (2, 20, 1),
            (1, 33, 1),
            (3, 6, 0),
            (4, 12, 3),
            (5, 31, 3),
            (3, 40, 0),
            (4, 0, 99),
            (4, 38, 12),
        ] {
            assert_rejected(mock_field(&case(inputs.clone(), Some(corrupt)), &public));
        }
        // A wrong digest.
        let mut wrong = public.clone();
        *wrong.last_mut().unwrap() += Fr::ONE;
        assert_rejected(mock_field(&case(inputs, None), &wrong));
    }
}
