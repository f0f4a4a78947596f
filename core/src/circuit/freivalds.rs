//! Freivalds chip: proves a matrix product `C = A·B` (A is m×n, B is n×p) with a randomized
//! check instead of m·n·p multiplications. With `r = (ρ^(p-1), ..., ρ, 1)` it checks
//! `A·(B·r) = C·r`: m·n + (n + m)·p rows in all.
//!
//! ρ is a challenge the proof transcript squeezes only after every first-phase advice column
//! (A, B and C among them) is committed, so a prover fixes C before it can know ρ. A wrong C makes
//! `A·B·r − C·r` a non-zero polynomial of degree < p in ρ, which vanishes at the transcript's ρ
//! with probability at most (p − 1)/|F|. Fixed "random" constants, as in ddkang/zkml, give no such
//! bound: a prover who knows them can pick a wrong C that passes.
//!
//! Columns: `x` (first phase) holds copies of B's and C's entries, `a` (first phase) copies of A's;
//! `acc` and `v` (second phase) hold the challenge-dependent values.
//! - Horner rows (B's and C's rows): `acc = x` on a row's first entry, else `acc = acc[-1]·ρ + x`;
//!   the last accumulator is the row's dot product with r.
//! - Dot rows (A's rows): `acc = a·v` on a row's first entry, else `acc = acc[-1] + a·v`, where
//!   `v` copies the Horner result of the matching row of B.
//! - Each A row's final accumulator is constrained equal to the matching C row's Horner result.
//!
//! This chip is not yet part of the model circuit (which proves every product directly); it is
//! the building block of the ImageNet-scale prover.

use super::known_field;
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Error, FirstPhase, SecondPhase, Selector,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct FreivaldsConfig {
    pub x: Column<Advice>,
    pub a: Column<Advice>,
    pub acc: Column<Advice>,
    pub v: Column<Advice>,
    pub q_horner_first: Selector,
    pub q_horner: Selector,
    pub q_dot_first: Selector,
    pub q_dot: Selector,
    pub rho: Challenge,
}

/// A matrix entry: the cell holding it (first phase) and its value (None during keygen).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub cell: Cell,
    pub value: Option<Fr>,
}

/// Row-major matrix of entries.
pub struct Matrix<'a> {
    pub rows: usize,
    pub cols: usize,
    pub entries: &'a [Entry],
}

impl Matrix<'_> {
    fn row(&self, i: usize) -> &[Entry] {
        &self.entries[i * self.cols..(i + 1) * self.cols]
    }
}

/// The first-phase half of a layout, kept until the challenge is known.
pub struct Pending {
    offset: usize,
    m: usize,
    n: usize,
    b: Vec<Vec<Option<Fr>>>,
    c: Vec<Vec<Option<Fr>>>,
    a: Vec<Vec<Option<Fr>>>,
}

impl FreivaldsConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let x = meta.advice_column_in(FirstPhase);
        let a = meta.advice_column_in(FirstPhase);
        let acc = meta.advice_column_in(SecondPhase);
        let v = meta.advice_column_in(SecondPhase);
        for c in [x, a, acc, v] {
            meta.enable_equality(c);
        }
        let rho = meta.challenge_usable_after(FirstPhase);
        let config = FreivaldsConfig {
            x,
            a,
            acc,
            v,
            q_horner_first: meta.selector(),
            q_horner: meta.selector(),
            q_dot_first: meta.selector(),
            q_dot: meta.selector(),
            rho,
        };
        let c = config.clone();
        meta.create_gate("freivalds: horner", |meta| {
            let first = meta.query_selector(c.q_horner_first);
            let next = meta.query_selector(c.q_horner);
            let x = meta.query_advice(c.x, Rotation::cur());
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let prev = meta.query_advice(c.acc, Rotation::prev());
            let rho = meta.query_challenge(c.rho);
            vec![
                first * (acc.clone() - x.clone()),
                next * (acc - prev * rho - x),
            ]
        });
        let c = config.clone();
        meta.create_gate("freivalds: dot", |meta| {
            let first = meta.query_selector(c.q_dot_first);
            let next = meta.query_selector(c.q_dot);
            let a = meta.query_advice(c.a, Rotation::cur());
            let v = meta.query_advice(c.v, Rotation::cur());
            let acc = meta.query_advice(c.acc, Rotation::cur());
            let prev = meta.query_advice(c.acc, Rotation::prev());
            vec![
                first * (acc.clone() - a.clone() * v.clone()),
                next * (acc - prev - a * v),
            ]
        });
        config
    }

    /// Rows a product of an m×n and an n×p matrix takes.
    pub fn rows_for(m: usize, n: usize, p: usize) -> usize {
        (n + m) * p + m * n
    }

    /// First phase: copies A, B and C into the chip's first-phase columns from `offset`, and
    /// enables the selectors. Call [`FreivaldsConfig::finish`] after `region.next_phase()`.
    pub fn start(
        &self,
        region: &mut Region<Fr>,
        offset: usize,
        a: &Matrix<'_>,
        b: &Matrix<'_>,
        c: &Matrix<'_>,
    ) -> Result<Pending, Error> {
        let (m, n, p) = (a.rows, a.cols, b.cols);
        if b.rows != n || c.rows != m || c.cols != p || p == 0 || n == 0 || m == 0 {
            return Err(Error::Synthesis);
        }
        let mut row = offset;
        let mut copy_row =
            |region: &mut Region<Fr>, entries: &[Entry]| -> Result<Vec<Option<Fr>>, Error> {
                for (j, e) in entries.iter().enumerate() {
                    if j == 0 {
                        self.q_horner_first.enable(region, row)?;
                    } else {
                        self.q_horner.enable(region, row)?;
                    }
                    let cell = region
                        .assign_advice(self.x, row, known_field(e.value))
                        .cell();
                    region.constrain_equal(cell, e.cell);
                    row += 1;
                }
                Ok(entries.iter().map(|e| e.value).collect())
            };
        let mut bv = Vec::with_capacity(n);
        for i in 0..n {
            bv.push(copy_row(region, b.row(i))?);
        }
        let mut cv = Vec::with_capacity(m);
        for k in 0..m {
            cv.push(copy_row(region, c.row(k))?);
        }
        let mut av = Vec::with_capacity(m);
        for k in 0..m {
            for (i, e) in a.row(k).iter().enumerate() {
                if i == 0 {
                    self.q_dot_first.enable(region, row)?;
                } else {
                    self.q_dot.enable(region, row)?;
                }
                let cell = region
                    .assign_advice(self.a, row, known_field(e.value))
                    .cell();
                region.constrain_equal(cell, e.cell);
                row += 1;
            }
            av.push(a.row(k).iter().map(|e| e.value).collect());
        }
        Ok(Pending {
            offset,
            m,
            n,
            b: bv,
            c: cv,
            a: av,
        })
    }

    /// Second phase: the challenge-dependent accumulators and the final equalities.
    pub fn finish(&self, region: &mut Region<Fr>, pending: Pending) -> Result<(), Error> {
        let rho: Option<Fr> = {
            let mut out = None;
            region.get_challenge(self.rho).map(|r| out = Some(r));
            out
        };
        let Pending {
            offset,
            m,
            n,
            b,
            c,
            a,
        } = pending;
        let mut row = offset;
        let mut horner = |region: &mut Region<Fr>, values: &[Option<Fr>]| -> Cell {
            let mut acc: Option<Fr> = None;
            let mut last = None;
            for (j, x) in values.iter().enumerate() {
                acc = if j == 0 {
                    *x
                } else {
                    acc.zip(rho).zip(*x).map(|((acc, r), x)| acc * r + x)
                };
                last = Some(region.assign_advice(self.acc, row, known_field(acc)).cell());
                row += 1;
            }
            last.expect("p > 0")
        };
        let b_cells: Vec<Cell> = b.iter().map(|r| horner(region, r)).collect();
        let c_cells: Vec<Cell> = c.iter().map(|r| horner(region, r)).collect();
        let b_values: Vec<Option<Fr>> = b
            .iter()
            .map(|r| {
                r.iter().try_fold(Fr::zero(), |acc, x| {
                    rho.zip(*x).map(|(rho, x)| acc * rho + x)
                })
            })
            .collect();
        for k in 0..m {
            let mut acc: Option<Fr> = Some(Fr::zero());
            let mut last = None;
            for i in 0..n {
                let v = region.assign_advice(self.v, row, known_field(b_values[i]));
                region.constrain_equal(v.cell(), b_cells[i]);
                acc = acc
                    .zip(a[k][i])
                    .zip(b_values[i])
                    .map(|((acc, a), v)| acc + a * v);
                last = Some(region.assign_advice(self.acc, row, known_field(acc)).cell());
                row += 1;
            }
            region.constrain_equal(last.expect("n > 0"), c_cells[k]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
    use halo2_proofs::dev::MockProver;
    use halo2_proofs::plonk::Circuit;

    /// Proves `c = a·b` for matrices it writes into a first-phase column of its own.
    #[derive(Clone, Default)]
    struct Product {
        dims: (usize, usize, usize),
        a: Vec<i64>,
        b: Vec<i64>,
        c: Vec<i64>,
        /// Keygen: no values.
        blank: bool,
        /// Overwrites one cell of the chip after layout: (column 0..4 = x, a, acc, v; row).
        corrupt: Option<(usize, usize)>,
    }

    #[derive(Clone)]
    struct ProductConfig {
        data: Column<Advice>,
        chip: FreivaldsConfig,
    }

    impl Circuit<Fr> for Product {
        type Config = ProductConfig;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = ();

        fn without_witnesses(&self) -> Self {
            Product {
                blank: true,
                ..self.clone()
            }
        }

        fn configure(meta: &mut ConstraintSystem<Fr>) -> ProductConfig {
            let data = meta.advice_column_in(FirstPhase);
            meta.enable_equality(data);
            ProductConfig {
                data,
                chip: FreivaldsConfig::configure(meta),
            }
        }

        fn synthesize(
            &self,
            config: ProductConfig,
            mut layouter: impl Layouter<Fr>,
        ) -> Result<(), Error> {
            let (m, n, p) = self.dims;
            layouter.assign_region(
                || "product",
                |mut region| {
                    let mut row = 0;
                    let mut put = |region: &mut Region<Fr>, values: &[i64]| -> Vec<Entry> {
                        values
                            .iter()
                            .map(|&v| {
                                let value = (!self.blank).then(|| super::super::fe(v as i128));
                                let cell = region
                                    .assign_advice(config.data, row, known_field(value))
                                    .cell();
                                row += 1;
                                Entry { cell, value }
                            })
                            .collect()
                    };
                    let (a, b, c) = (
                        put(&mut region, &self.a),
                        put(&mut region, &self.b),
                        put(&mut region, &self.c),
                    );
                    let pending = config.chip.start(
                        &mut region,
                        0,
                        &Matrix {
                            rows: m,
                            cols: n,
                            entries: &a,
                        },
                        &Matrix {
                            rows: n,
                            cols: p,
                            entries: &b,
                        },
                        &Matrix {
                            rows: m,
                            cols: p,
                            entries: &c,
                        },
                    )?;
                    region.next_phase();
                    config.chip.finish(&mut region, pending)?;
                    if let Some((col, row)) = self.corrupt {
                        let chip = &config.chip;
                        let column = [chip.x, chip.a, chip.acc, chip.v][col];
                        region.assign_advice(column, row, known_field(Some(Fr::from(12345))));
                    }
                    Ok(())
                },
            )
        }
    }

    fn product(m: usize, n: usize, p: usize, seed: i64) -> Product {
        let a: Vec<i64> = (0..m * n).map(|i| (i as i64 * 7 + seed) % 19 - 9).collect();
        let b: Vec<i64> = (0..n * p)
            .map(|i| (i as i64 * 5 + seed) % 23 - 11)
            .collect();
        let mut c = vec![0i64; m * p];
        for k in 0..m {
            for j in 0..p {
                c[k * p + j] = (0..n).map(|i| a[k * n + i] * b[i * p + j]).sum();
            }
        }
        Product {
            dims: (m, n, p),
            a,
            b,
            c,
            blank: false,
            corrupt: None,
        }
    }

    #[test]
    fn accepts_a_true_product_and_rejects_a_wrong_one_with_a_consistent_witness() {
        let good = product(3, 4, 5, 1);
        MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
        // A wrong product entry; every accumulator is recomputed honestly from it (the witness
        // is otherwise consistent), so only the randomized check can catch it.
        for (entry, delta) in [(0, 1), (7, -3), (14, 1000)] {
            let mut bad = good.clone();
            bad.c[entry] += delta;
            assert!(
                MockProver::run(8, &bad, vec![]).unwrap().verify().is_err(),
                "a wrong product (entry {entry}) was accepted"
            );
        }
        // Any corrupted chip cell: a copied entry of B (x, row 0), of A (a, first dot row), a
        // Horner accumulator, a copied B·r value (v), a dot accumulator.
        let dot = (4 + 3) * 5;
        for corrupt in [(0, 0), (1, dot), (2, 2), (3, dot + 1), (2, dot + 2)] {
            let mut bad = good.clone();
            bad.corrupt = Some(corrupt);
            assert!(
                MockProver::run(8, &bad, vec![]).unwrap().verify().is_err(),
                "corrupted cell {corrupt:?} accepted"
            );
        }
        // Two compensating errors in one row of C still change C·r.
        let mut bad = good.clone();
        bad.c[0] += 1;
        bad.c[1] -= 1;
        assert!(MockProver::run(8, &bad, vec![]).unwrap().verify().is_err());
    }

    #[test]
    fn real_proof_with_the_transcript_challenge() {
        use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
        use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
        use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
        use halo2_proofs::poly::kzg::strategy::SingleStrategy;
        use halo2_proofs::transcript::{
            Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
        };
        use halo2curves::bn256::{Bn256, G1Affine};
        use rand::SeedableRng;
        let k = 8;
        let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(3));
        let good = product(3, 4, 5, 2);
        let vk = keygen_vk(&params, &good.without_witnesses()).unwrap();
        let pk = keygen_pk(&params, vk, &good.without_witnesses()).unwrap();
        let prove = |c: &Product| {
            let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
            create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
                &params,
                &pk,
                std::slice::from_ref(c),
                &[&[]],
                rand::rngs::OsRng,
                &mut t,
            )
            .map(|_| t.finalize())
        };
        let check = |proof: &[u8]| {
            let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
            verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
                &params,
                pk.get_vk(),
                SingleStrategy::new(&params),
                &[&[]],
                &mut t,
            )
        };
        check(&prove(&good).unwrap()).unwrap();
        let mut bad = good.clone();
        bad.c[3] += 1;
        // halo2's prover does not check constraints: it makes a proof, which must not verify.
        let proof = prove(&bad).expect("the prover runs on any witness");
        assert!(
            check(&proof).is_err(),
            "a proof of a wrong product verified"
        );
    }
}
