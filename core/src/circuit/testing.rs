//! A harness running one chip's assignments inside the full configuration, for MockProver
//! tests with an 8-bit domain and one clip activation [0, 24].
use super::table::TableSpec;
use super::*;
use halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner};
use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use halo2curves::bn256::Fr;
use std::rc::Rc;

type Body = dyn Fn(&ModelConfig, &mut Region<Fr>, &mut Links, &[Wire]) -> Result<(), Error>;

/// Every chip present (hidden weights and hashing), so each chip's tests run in the full
/// configuration.
pub fn test_shape() -> CircuitShape {
    CircuitShape {
        dot_width: 4,
        act_bits: 8,
        visibility: Visibility {
            weights: WeightVisibility::Hidden,
            input: TensorVisibility::Hashed,
            output: TensorVisibility::Public,
        },
        fixed_point: false,
        freivalds: false,
        no_max_pool: false,
        no_rescale: false,
        ties_up: false,
        raw_ties: false,
        products: false,
        matmul: false,
        log_derivative_lookups: true,
        conv_freivalds: false,
        checked_weights_only: false,
        dense_freivalds: false,
        weight_lanes: 1,
        poseidon_paired_rounds: true,
        embedding_lookups: false,
        byte_softmax: false,
    }
}

/// The shape of the fixed-point (TFLite) tests: 16-bit domain, everything public.
pub fn fixed_point_shape() -> CircuitShape {
    CircuitShape {
        dot_width: 4,
        act_bits: 16,
        visibility: Visibility::PUBLIC,
        fixed_point: true,
        freivalds: false,
        no_max_pool: false,
        no_rescale: false,
        ties_up: false,
        raw_ties: false,
        products: false,
        matmul: false,
        log_derivative_lookups: true,
        conv_freivalds: false,
        checked_weights_only: false,
        dense_freivalds: false,
        weight_lanes: 1,
        poseidon_paired_rounds: false,
        embedding_lookups: false,
        byte_softmax: false,
    }
}

#[derive(Clone)]
pub struct TestCircuit {
    inputs: Vec<i64>,
    body: Rc<Body>,
    shape: CircuitShape,
    spec: TableSpec,
    /// The embedding chip's tables (shapes with it only).
    embeddings: Vec<crate::ops::embedding::EmbeddingTable>,
}

impl TestCircuit {
    pub fn new(
        inputs: Vec<i64>,
        body: impl Fn(&ModelConfig, &mut Region<Fr>, &mut Links, &[Wire]) -> Result<(), Error> + 'static,
    ) -> Self {
        TestCircuit {
            inputs,
            body: Rc::new(body),
            shape: test_shape(),
            spec: TableSpec {
                clips: vec![(0, 24)],
                ..TableSpec::default()
            },
            embeddings: Vec::new(),
        }
    }

    /// The embedding chip's tables.
    pub fn with_embeddings(mut self, tables: Vec<crate::ops::embedding::EmbeddingTable>) -> Self {
        self.embeddings = tables;
        self
    }

    /// A circuit of another shape and table (its MockProver needs a larger k).
    pub fn with_shape(mut self, shape: CircuitShape, spec: TableSpec) -> Self {
        self.shape = shape;
        self.spec = spec;
        self
    }
}

impl Circuit<Fr> for TestCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn params(&self) -> CircuitShape {
        self.shape.clone()
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, &shape)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        ModelConfig::configure(meta, &test_shape())
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.table.load(&mut layouter, &self.spec)?;
        if let Some(chip) = &config.embedding {
            chip.load(&mut layouter, &self.embeddings.iter().collect::<Vec<_>>())?;
        }
        let mut links = Links::default();
        let wires: Vec<Wire> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, &v)| Wire {
                source: Source::Instance(i),
                value: Some(v),
            })
            .collect();
        layouter.assign_region(
            || "test",
            |mut region| (self.body)(&config, &mut region, &mut links, &wires),
        )?;
        links.apply(&mut layouter, config.instance);
        Ok(())
    }
}

pub fn mock(circuit: &TestCircuit, instance: &[i64]) -> Result<(), Vec<VerifyFailure>> {
    mock_field(
        circuit,
        &instance.iter().map(|&v| fe(v as i128)).collect::<Vec<_>>(),
    )
}

pub fn mock_field(circuit: &TestCircuit, instance: &[Fr]) -> Result<(), Vec<VerifyFailure>> {
    mock_k(10, circuit, instance)
}

pub fn mock_k(k: u32, circuit: &TestCircuit, instance: &[Fr]) -> Result<(), Vec<VerifyFailure>> {
    MockProver::run(k, circuit, vec![instance.to_vec()])
        .expect("synthesis")
        .verify()
}

/// The rows at which `failures` are located: where a test that corrupts one case per row
/// of a single circuit reads which cases were rejected. The test body is the only region
/// over advice columns (the table is loaded into table columns), so it starts at row 0 and
/// its offsets are rows; a lookup or gate whose columns halo2 does not attribute to the
/// region is reported "outside any region" at its row. Copy-constraint failures outside a
/// region are instance cells, whose rows are not body rows, and are left out.
pub fn failing_rows(failures: &[VerifyFailure]) -> std::collections::BTreeSet<usize> {
    use halo2_proofs::dev::FailureLocation;
    let row = |location: &FailureLocation| match location {
        FailureLocation::InRegion { offset, .. } => *offset,
        FailureLocation::OutsideRegion { row } => *row,
    };
    failures
        .iter()
        .filter_map(|f| match f {
            VerifyFailure::ConstraintNotSatisfied { location, .. }
            | VerifyFailure::Lookup { location, .. } => Some(row(location)),
            VerifyFailure::Permutation {
                location: location @ FailureLocation::InRegion { .. },
                ..
            } => Some(row(location)),
            VerifyFailure::CellNotAssigned { offset, .. } => usize::try_from(*offset).ok(),
            _ => None,
        })
        .collect()
}

pub fn assert_rejected(result: Result<(), Vec<VerifyFailure>>) {
    assert!(
        result.is_err(),
        "a corrupted witness or wrong public value was accepted"
    );
}

/// Whether a real proof of `circuit` verifies, under keys generated from `keys_of` (a circuit of
/// the same shape, without witnesses) at `k` with a setup seeded by `seed`. The prover runs on
/// any witness: a witness that breaks a constraint still yields a proof, which must not verify.
pub fn real_proof_verifies<C: Circuit<Fr>>(k: u32, seed: u64, keys_of: &C, circuit: &C) -> bool {
    real_proof_verifies_with(k, seed, keys_of, circuit, &[])
}

/// [`real_proof_verifies`] for a circuit with instance columns, `instances` their values.
pub fn real_proof_verifies_with<C: Circuit<Fr>>(
    k: u32,
    seed: u64,
    keys_of: &C,
    circuit: &C,
    instances: &[&[Fr]],
) -> bool {
    use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
    use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
    use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    };
    use halo2curves::bn256::{Bn256, G1Affine};
    use rand::SeedableRng;
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed));
    let vk = keygen_vk(&params, &keys_of.without_witnesses()).unwrap();
    let pk = keygen_pk(&params, vk, &keys_of.without_witnesses()).unwrap();
    let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &params,
        &pk,
        std::slice::from_ref(circuit),
        &[instances],
        rand::rngs::OsRng,
        &mut t,
    )
    .expect("the prover runs on any witness");
    let proof = t.finalize();
    let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        &params,
        pk.get_vk(),
        SingleStrategy::new(&params),
        &[instances],
        &mut t,
    )
    .is_ok()
}
