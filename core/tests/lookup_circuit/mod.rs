//! The circuit of the log-derivative lookup tests, shared by `core/tests/log_derivative_lookups.rs`
//! and the cheating-prover tests of `adversary/` (which include this file by path): four lookups
//! into two tables, with key generation, proving and verification helpers.

#![allow(dead_code)]

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, ProvingKey, Selector, TableColumn, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::Field;
use rand::SeedableRng;

pub const K: u32 = 9;
/// Tagged-table rows per tag (tags 1 and 2).
const TABLE_ROWS: u64 = 100;
pub const ROWS: usize = 60;

#[derive(Clone)]
pub struct Config {
    /// Three `(tag, v, y)` triples per row, each looked up in the tagged table.
    triples: [[Column<Advice>; 3]; 3],
    /// Looked up in the byte table.
    byte: Column<Advice>,
    s: Selector,
    tagged: [TableColumn; 3],
    bytes: TableColumn,
}

/// One row of inputs: three triples and a byte.
pub type Row = ([[u64; 3]; 3], u64);

#[derive(Clone, Default)]
pub struct Lookups {
    pub rows: Vec<Row>,
    /// False for key generation: the same rows and selectors, no values.
    pub known: bool,
    pub log_derivative: bool,
}

fn square(tag: u64, v: u64) -> u64 {
    if tag == 1 {
        v * v
    } else {
        v * v + 7
    }
}

impl Lookups {
    fn value(&self, v: u64) -> Value<Fr> {
        if self.known {
            Value::known(Fr::from(v))
        } else {
            Value::unknown()
        }
    }
}

impl Circuit<Fr> for Lookups {
    type Config = Config;
    type FloorPlanner = SimpleFloorPlanner;
    /// Whether the lookups use the log-derivative argument.
    type Params = bool;

    fn without_witnesses(&self) -> Self {
        Lookups {
            known: false,
            ..self.clone()
        }
    }

    fn params(&self) -> bool {
        self.log_derivative
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, log_derivative: bool) -> Config {
        if log_derivative {
            meta.use_log_derivative_lookups();
        }
        let c = Config {
            triples: [(); 3].map(|_| [(); 3].map(|_| meta.advice_column())),
            byte: meta.advice_column(),
            s: meta.complex_selector(),
            tagged: [(); 3].map(|_| meta.lookup_table_column()),
            bytes: meta.lookup_table_column(),
        };
        for (i, triple) in c.triples.iter().enumerate() {
            meta.lookup(format!("tagged square {i}"), |meta| {
                let s = meta.query_selector(c.s);
                triple
                    .iter()
                    .zip(c.tagged)
                    .map(|(col, table)| {
                        (s.clone() * meta.query_advice(*col, Rotation::cur()), table)
                    })
                    .collect()
            });
        }
        meta.lookup("byte", |meta| {
            let s = meta.query_selector(c.s);
            vec![(s * meta.query_advice(c.byte, Rotation::cur()), c.bytes)]
        });
        c
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Config {
        Self::configure_with_params(meta, false)
    }

    fn synthesize(&self, c: Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "tagged",
            |mut table| {
                let mut row = 0;
                for col in c.tagged {
                    table.assign_cell(|| "zero", col, 0, || Value::known(Fr::ZERO))?;
                }
                for tag in [1u64, 2] {
                    for v in 0..TABLE_ROWS {
                        row += 1;
                        for (col, value) in c.tagged.iter().zip([tag, v, square(tag, v)]) {
                            table.assign_cell(
                                || "entry",
                                *col,
                                row,
                                || Value::known(Fr::from(value)),
                            )?;
                        }
                    }
                }
                Ok(())
            },
        )?;
        layouter.assign_table(
            || "bytes",
            |mut table| {
                for v in 0..256u64 {
                    table.assign_cell(
                        || "byte",
                        c.bytes,
                        v as usize,
                        || Value::known(Fr::from(v)),
                    )?;
                }
                Ok(())
            },
        )?;
        layouter.assign_region(
            || "inputs",
            |mut region| {
                for (offset, (triples, byte)) in self.rows.iter().enumerate() {
                    c.s.enable(&mut region, offset)?;
                    for (cols, values) in c.triples.iter().zip(triples) {
                        for (col, v) in cols.iter().zip(values) {
                            region.assign_advice(*col, offset, self.value(*v));
                        }
                    }
                    region.assign_advice(c.byte, offset, self.value(*byte));
                }
                Ok(())
            },
        )
    }
}

/// Table rows only, repeated values among them (multiplicities above one) and both tags.
pub fn honest(log_derivative: bool) -> Lookups {
    let rows = (0..ROWS as u64)
        .map(|i| {
            let triple = |j: u64| {
                let tag = 1 + (i + j) % 2;
                let v = (i * 7 + j * 3) % 11;
                [tag, v, square(tag, v)]
            };
            ([triple(0), triple(1), triple(2)], (i * 37) % 256)
        })
        .collect();
    Lookups {
        rows,
        known: true,
        log_derivative,
    }
}

pub struct Setup {
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
}

pub fn setup(log_derivative: bool) -> Setup {
    let params = ParamsKZG::<Bn256>::setup(K, rand_chacha::ChaCha20Rng::seed_from_u64(9));
    let blank = honest(log_derivative).without_witnesses();
    let vk = keygen_vk(&params, &blank).unwrap();
    let pk = keygen_pk(&params, vk, &blank).unwrap();
    Setup { params, pk }
}

pub fn prove(s: &Setup, circuits: &[Lookups]) -> Vec<u8> {
    let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    let instances: Vec<&[&[Fr]]> = circuits.iter().map(|_| &[][..]).collect();
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &s.params,
        &s.pk,
        circuits,
        &instances,
        rand_chacha::ChaCha20Rng::seed_from_u64(1),
        &mut t,
    )
    .expect("the prover runs on any witness");
    t.finalize()
}

pub fn verifies(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proofs: usize,
    proof: &[u8],
) -> bool {
    let instances: Vec<&[&[Fr]]> = (0..proofs).map(|_| &[][..]).collect();
    let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        params,
        vk,
        SingleStrategy::new(params),
        &instances,
        &mut t,
    )
    .is_ok()
}
