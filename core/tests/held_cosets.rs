//! Vendored halo2 patch 11: a proving key that holds its fixed, permutation and Lagrange
//! polynomials on the extended domain (`ProvingKey::precompute_extended_cosets`, what a server's
//! key does) makes exactly the proofs a key without them makes, byte for byte under the same
//! randomness, and those proofs still fail when the witness breaks a gate, a copy constraint or
//! a lookup. The circuit has every kind of polynomial the held cosets replace: fixed columns, a
//! permutation over two advice columns and the three Lagrange polynomials the arguments use.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, Fixed, ProvingKey, Selector, TableColumn,
};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use rand::SeedableRng;

const K: u32 = 6;
const ROWS: usize = 40;

#[derive(Clone)]
struct Config {
    a: Column<Advice>,
    b: Column<Advice>,
    factor: Column<Fixed>,
    q: Selector,
    table: TableColumn,
}

/// `b = a * factor` on every row, `a` in `[0, 16)`, and `a` on rows 8..24 copied from 8 rows
/// above (rows 24.. are free of copies, so the lookup is what a value there breaks).
#[derive(Clone, Default)]
struct Doubling {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl Doubling {
    fn honest() -> Self {
        let a: Vec<u64> = (0..ROWS as u64).map(|i| i % 8).collect();
        let b = a.iter().map(|v| 2 * v).collect();
        Doubling { a, b }
    }
}

impl Circuit<Fr> for Doubling {
    type Config = Config;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Doubling::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Config {
        meta.use_log_derivative_lookups();
        let c = Config {
            a: meta.advice_column(),
            b: meta.advice_column(),
            factor: meta.fixed_column(),
            q: meta.complex_selector(),
            table: meta.lookup_table_column(),
        };
        meta.enable_equality(c.a);
        meta.enable_equality(c.b);
        meta.create_gate("b = a * factor", |meta| {
            let q = meta.query_selector(c.q);
            let a = meta.query_advice(c.a, Rotation::cur());
            let b = meta.query_advice(c.b, Rotation::cur());
            let f = meta.query_fixed(c.factor, Rotation::cur());
            vec![q * (a * f - b)]
        });
        meta.lookup("a < 16", |meta| {
            let q = meta.query_selector(c.q);
            let a = meta.query_advice(c.a, Rotation::cur());
            vec![(q * a, c.table)]
        });
        c
    }

    fn synthesize(&self, c: Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "0..16",
            |mut t| {
                for v in 0..16u64 {
                    t.assign_cell(|| "v", c.table, v as usize, || Value::known(Fr::from(v)))?;
                }
                Ok(())
            },
        )?;
        layouter.assign_region(
            || "rows",
            |mut region| {
                let mut cells = Vec::new();
                for row in 0..ROWS {
                    let value = |v: &Vec<u64>| match v.get(row) {
                        Some(&x) => Value::known(Fr::from(x)),
                        None => Value::unknown(),
                    };
                    c.q.enable(&mut region, row)?;
                    region.assign_fixed(c.factor, row, Fr::from(2));
                    let a = region.assign_advice(c.a, row, value(&self.a));
                    region.assign_advice(c.b, row, value(&self.b));
                    cells.push(a.cell());
                }
                for row in 0..16 {
                    region.constrain_equal(cells[row], cells[row + 8]);
                }
                Ok(())
            },
        )
    }
}

fn keys() -> (ParamsKZG<Bn256>, ProvingKey<G1Affine>) {
    let params = ParamsKZG::<Bn256>::setup(K, rand_chacha::ChaCha20Rng::seed_from_u64(3));
    let vk = keygen_vk(&params, &Doubling::default()).unwrap();
    let pk = keygen_pk(&params, vk, &Doubling::default()).unwrap();
    (params, pk)
}

fn prove(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, c: &Doubling) -> Vec<u8> {
    let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        std::slice::from_ref(c),
        &[&[]],
        rand_chacha::ChaCha20Rng::seed_from_u64(4),
        &mut t,
    )
    .expect("the prover runs on any witness");
    t.finalize()
}

fn verifies(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, proof: &[u8]) -> bool {
    let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        params.verifier_params(),
        pk.get_vk(),
        SingleStrategy::new(params),
        &[&[]],
        &mut t,
    )
    .is_ok()
}

#[test]
fn a_key_holding_its_cosets_makes_the_same_proof_byte_for_byte() {
    let (params, mut pk) = keys();
    let honest = Doubling::honest();
    let fresh = prove(&params, &pk, &honest);
    assert!(
        prove(&params, &pk, &honest) == fresh,
        "the prover is not deterministic"
    );
    assert!(!pk.has_extended_cosets());
    pk.precompute_extended_cosets();
    assert!(pk.has_extended_cosets());
    let held = prove(&params, &pk, &honest);
    assert!(held == fresh, "the held cosets changed the proof");
    assert!(verifies(&params, &pk, &held));
    pk.drop_extended_cosets();
    assert!(!pk.has_extended_cosets());
    assert!(prove(&params, &pk, &honest) == fresh);
}

#[test]
fn a_key_holding_its_cosets_still_rejects_a_broken_gate_copy_or_lookup() {
    let (params, mut pk) = keys();
    pk.precompute_extended_cosets();
    let mut gate = Doubling::honest();
    gate.b[5] += 1;
    let mut copy = Doubling::honest();
    copy.a[20] = (copy.a[20] + 1) % 8;
    copy.b[20] = 2 * copy.a[20];
    let mut lookup = Doubling::honest();
    lookup.a[35] = 16;
    lookup.b[35] = 32;
    for (what, broken) in [("gate", gate), ("copy", copy), ("lookup", lookup)] {
        assert!(
            !verifies(&params, &pk, &prove(&params, &pk, &broken)),
            "a broken {what} verified"
        );
    }
}

#[test]
fn the_held_cosets_size_is_every_key_polynomial_on_every_part() {
    let (_, pk) = keys();
    let parts = pk.get_vk().get_domain().extended_len() >> K;
    // Several parts, or a wrong step between them could go unseen.
    assert!(parts >= 2);
    // One fixed column for the factor, one for the selector, one for the table; two permutation
    // polynomials; l0, l_last, l_active_row.
    let polys = pk.fixed_polys().len() + pk.permutation().polys().len() + 3;
    assert_eq!(pk.fixed_polys().len(), 3);
    assert_eq!(pk.permutation().polys().len(), 2);
    assert_eq!(
        pk.extended_cosets_bytes(),
        (parts * polys * (1 << K) * 32) as u64
    );
}
