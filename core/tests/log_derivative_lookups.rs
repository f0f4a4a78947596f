//! The vendored halo2-axiom's patch 9: the log-derivative lookup argument
//! (`vendor/halo2-axiom/src/plonk/logup.rs`). A circuit with two tables proves four lookups:
//! three into a tagged table `(tag, v, v^2)`, batched into one argument (two inverse columns and
//! the last input folded into the running sum), and one into a byte-range table, an argument of
//! its own with no inverse column. Real proofs, not MockProver: MockProver checks lookups by
//! membership and never runs the argument.
//!
//! - an honest witness proves and verifies, alone and as two proofs in one transcript;
//! - a witness with one input outside its table still yields a proof (the prover counts it
//!   nowhere) and that proof is rejected, for an input of each kind: one with an inverse
//!   column, the folded last one, and the lone input of the other group;
//! - every 32-byte word of a proof, flipped in one bit, makes it fail;
//! - the argument is pinned in the verifying key: a proof made with one argument fails against
//!   the other's key, and a key without the patch pins what it pinned before.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, LookupArgument, ProvingKey, Selector, TableColumn, VerifyingKey,
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

const K: u32 = 9;
/// Tagged-table rows per tag (tags 1 and 2).
const TABLE_ROWS: u64 = 100;
const ROWS: usize = 60;

#[derive(Clone)]
struct Config {
    /// Three `(tag, v, y)` triples per row, each looked up in the tagged table.
    triples: [[Column<Advice>; 3]; 3],
    /// Looked up in the byte table.
    byte: Column<Advice>,
    s: Selector,
    tagged: [TableColumn; 3],
    bytes: TableColumn,
}

/// One row of inputs: three triples and a byte.
type Row = ([[u64; 3]; 3], u64);

#[derive(Clone, Default)]
struct Lookups {
    rows: Vec<Row>,
    /// False for key generation: the same rows and selectors, no values.
    known: bool,
    log_derivative: bool,
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
fn honest(log_derivative: bool) -> Lookups {
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

struct Setup {
    params: ParamsKZG<Bn256>,
    pk: ProvingKey<G1Affine>,
}

fn setup(log_derivative: bool) -> Setup {
    let params = ParamsKZG::<Bn256>::setup(K, rand_chacha::ChaCha20Rng::seed_from_u64(9));
    let blank = honest(log_derivative).without_witnesses();
    let vk = keygen_vk(&params, &blank).unwrap();
    let pk = keygen_pk(&params, vk, &blank).unwrap();
    Setup { params, pk }
}

fn prove(s: &Setup, circuits: &[Lookups]) -> Vec<u8> {
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

fn verifies(
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

#[test]
fn an_honest_witness_proves_and_verifies_with_batched_log_derivative_lookups() {
    let s = setup(true);
    assert_eq!(
        s.pk.get_vk().cs().lookup_argument(),
        LookupArgument::LogDerivative
    );
    let proof = prove(&s, &[honest(true)]);
    assert!(verifies(&s.params, s.pk.get_vk(), 1, &proof));
    // Two circuits in one transcript: each its own multiplicities and running sums.
    let mut other = honest(true);
    other.rows.reverse();
    other.rows.truncate(ROWS / 2);
    let proof = prove(&s, &[honest(true), other]);
    assert!(verifies(&s.params, s.pk.get_vk(), 2, &proof));
    assert!(!verifies(&s.params, s.pk.get_vk(), 1, &proof));
}

#[test]
fn an_input_outside_its_table_is_rejected_for_every_kind_of_input() {
    let s = setup(true);
    // (which triple or the byte, row, value): a first input (an inverse column), the folded
    // last one, a wrong tag, and the byte group's lone input.
    let cases: [(usize, usize, [u64; 3]); 4] = [
        (0, 3, [1, 5, 26]),
        (2, 17, [2, 4, 16]),
        (1, 0, [3, 2, 4]),
        (3, 59, [256, 0, 0]),
    ];
    for (input, row, bad) in cases {
        let mut circuit = honest(true);
        if input < 3 {
            circuit.rows[row].0[input] = bad;
        } else {
            circuit.rows[row].1 = bad[0];
        }
        let mock = MockProver::run(K, &circuit, vec![]).unwrap();
        assert!(
            mock.verify().is_err(),
            "MockProver accepted case {input}/{row}"
        );
        let proof = prove(&s, &[circuit]);
        assert!(
            !verifies(&s.params, s.pk.get_vk(), 1, &proof),
            "a proof with input {input} outside its table at row {row} verified"
        );
    }
}

#[test]
fn every_word_of_a_log_derivative_proof_is_bound() {
    let s = setup(true);
    let proof = prove(&s, &[honest(true)]);
    assert!(verifies(&s.params, s.pk.get_vk(), 1, &proof));
    for word in 0..proof.len() / 32 {
        let mut bad = proof.clone();
        // A low bit of the word's first byte: little-endian scalars and compressed points alike.
        bad[word * 32] ^= 1;
        assert!(
            !verifies(&s.params, s.pk.get_vk(), 1, &bad),
            "a proof with word {word} changed verified"
        );
    }
}

#[test]
fn the_lookup_argument_is_pinned_in_the_verifying_key() {
    let log = setup(true);
    let perm = setup(false);
    let (log_vk, perm_vk) = (log.pk.get_vk(), perm.pk.get_vk());
    assert_ne!(log_vk.transcript_repr(), perm_vk.transcript_repr());
    let perm_pinned = format!("{:?}", perm_vk.pinned());
    assert!(
        !perm_pinned.contains("lookup_argument"),
        "an unpatched key's pinning changed"
    );
    assert!(format!("{:?}", log_vk.pinned()).contains("LogDerivative"));

    let log_proof = prove(&log, &[honest(true)]);
    let perm_proof = prove(&perm, &[honest(false)]);
    assert!(verifies(&perm.params, perm_vk, 1, &perm_proof));
    assert!(!verifies(&log.params, log_vk, 1, &perm_proof));
    assert!(!verifies(&perm.params, perm_vk, 1, &log_proof));
    // Fewer commitments and evaluations: 3 + 1 against 3 x 4 and 5 x 4.
    assert!(log_proof.len() < perm_proof.len());
    // The batched argument's constraints are no higher than halo2's own.
    assert!(log_vk.cs().degree() <= perm_vk.cs().degree());
}
