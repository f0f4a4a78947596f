use super::super::{Source, Wire};
use super::*;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const WIDTH: usize = 4;
const DIMS: PointwiseDims = PointwiseDims {
    cin: 6,
    cout: 3,
    hw: 5,
    groups: 1,
};

/// Proves `y = W·x + b` for a 6×5 X whose entries are written into a first-phase column of
/// their own (None: a padding tap, the constant zero).
#[derive(Clone)]
struct Product {
    dims: PointwiseDims,
    x: Vec<Option<i64>>,
    w: Vec<i64>,
    b: Vec<i128>,
    /// The accumulators claimed (W·x + b unless a test lies).
    y: Vec<i128>,
    blank: bool,
    /// Overwrites one cell after layout: (column 0..5 = h_x, h_y, s, d, lane 0; row).
    corrupt: Option<(usize, usize)>,
}

#[derive(Clone)]
struct ProductConfig {
    data: Column<Advice>,
    chip: PointwiseConfig,
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
        let data = meta.advice_column();
        meta.enable_equality(data);
        let dot = DotConfig::configure(meta, WIDTH, false);
        ProductConfig {
            data,
            chip: PointwiseConfig::configure(meta, &dot, false),
        }
    }

    fn synthesize(
        &self,
        config: ProductConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        layouter.assign_region(
            || "pointwise",
            |mut region| {
                let inputs: Vec<Option<Wire>> = self
                    .x
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let v = v?;
                        let value = (!self.blank).then_some(v);
                        let cell = region
                            .assign_advice(config.data, i, super::super::known(value))
                            .cell();
                        Some(Wire {
                            source: Source::Advice(cell),
                            value,
                        })
                    })
                    .collect();
                let y: Vec<Option<i128>> =
                    self.y.iter().map(|&v| (!self.blank).then_some(v)).collect();
                let mut links = Links::default();
                let pending = config.chip.assign(
                    &mut region,
                    &mut links,
                    &mut None,
                    (0, 0),
                    self.dims,
                    &inputs,
                    &y,
                    &self.b,
                    &self.w,
                )?;
                region.next_phase();
                config.chip.finish(&mut region, pending)?;
                if let Some((column, row)) = self.corrupt {
                    let c = &config.chip;
                    let column = [c.h_x, c.h_y, c.s, c.d, c.x[0]][column];
                    region.assign_advice(column, row, known_field(Some(Fr::from(12345))));
                }
                Ok(())
            },
        )
    }
}

fn product() -> Product {
    product_of(DIMS, &[])
}

/// An honest product of `dims` (W block diagonal by group), with X's entries at `pads`
/// padding taps.
fn product_of(dims: PointwiseDims, pads: &[usize]) -> Product {
    let PointwiseDims { cin, cout, hw, .. } = dims;
    let x: Vec<Option<i64>> = (0..cin * hw)
        .map(|i| (!pads.contains(&i)).then_some((i as i64 * 7) % 23 - 11))
        .collect();
    let per_group = dims.cin_per_group();
    let w: Vec<i64> = (0..cout * per_group)
        .map(|i| (i as i64 * 5) % 19 - 9)
        .collect();
    let b: Vec<i128> = vec![100, -7, 0];
    let y = (0..cout * hw)
        .map(|o| {
            let (co, p) = (o / hw, o % hw);
            let first = co / (cout / dims.groups) * per_group;
            b[co]
                + (0..per_group)
                    .map(|j| {
                        let x = x[(first + j) * hw + p].unwrap_or(0);
                        (w[co * per_group + j] * x) as i128
                    })
                    .sum::<i128>()
        })
        .collect();
    Product {
        dims,
        x,
        w,
        b,
        y,
        blank: false,
        corrupt: None,
    }
}

fn accepted(c: &Product) -> bool {
    MockProver::run(8, c, vec![]).unwrap().verify().is_ok()
}

#[test]
fn accepts_the_true_product_and_rejects_a_wrong_one_with_a_consistent_witness() {
    let good = product();
    MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
    // A wrong accumulator; every Horner sum and weight dot is computed honestly from it, so
    // only the randomized check can catch it.
    for (o, delta) in [(0, 1), (7, -3), (14, 1 << 20)] {
        let mut bad = good.clone();
        bad.y[o] += delta;
        assert!(!accepted(&bad), "a wrong product (output {o}) was accepted");
    }
    // Two compensating errors in one channel still change (Y - B)·r.
    let mut bad = good.clone();
    bad.y[5] += 1;
    bad.y[6] -= 1;
    assert!(!accepted(&bad));
}

#[test]
fn rejects_every_corrupted_chip_cell() {
    let rows = DIMS.horner_rows(WIDTH); // 2 per input channel; 3 pads in each first row
                                        // h_x (a channel's first and last row), h_y (first and mid-channel), s, d, a pad lane
                                        // and a copied input lane.
    for corrupt in [
        (0, 0),
        (0, rows - 1),
        (1, 0),
        (1, 7),
        (2, 4),
        (3, 0),
        (3, DIMS.cin - 1),
        (4, 0),
        (4, 1),
    ] {
        let mut bad = product();
        bad.corrupt = Some(corrupt);
        assert!(!accepted(&bad), "corrupted cell {corrupt:?} accepted");
    }
}

#[test]
fn a_real_proof_of_a_wrong_product_does_not_verify() {
    use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
    use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
    use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    };
    use halo2curves::bn256::{Bn256, G1Affine};
    use rand::SeedableRng;
    let params = ParamsKZG::<Bn256>::setup(8, rand_chacha::ChaCha20Rng::seed_from_u64(5));
    let good = product();
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
    let verifies = |proof: &[u8]| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            &params,
            pk.get_vk(),
            SingleStrategy::new(&params),
            &[&[]],
            &mut t,
        )
        .is_ok()
    };
    assert!(verifies(&prove(&good).unwrap()));
    let mut bad = good.clone();
    bad.y[3] += 1;
    let proof = prove(&bad).expect("the prover runs on any witness");
    assert!(!verifies(&proof), "a proof of a wrong product verified");
}

/// A grouped convolution's shape (three groups of two X rows, one output channel each, as
/// a depthwise convolution has) with padding taps among its X entries.
const GROUPED: PointwiseDims = PointwiseDims {
    cin: 6,
    cout: 3,
    hw: 5,
    groups: 3,
};

#[test]
fn a_grouped_product_with_padding_taps_is_checked_per_group() {
    // Entries 0 and 1 are front pads' neighbours in X row 0; 12 and 29 sit mid-row.
    let pads = [0, 1, 12, 29];
    let good = product_of(GROUPED, &pads);
    MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
    for (o, delta) in [(0, 1), (7, -2), (14, 1 << 20)] {
        let mut bad = good.clone();
        bad.y[o] += delta;
        assert!(
            !accepted(&bad),
            "a wrong grouped product (output {o}) was accepted"
        );
    }
    // Another group's X row does not count: an output channel computed over its
    // neighbour's rows is a wrong product.
    let mut bad = good.clone();
    let hw = GROUPED.hw;
    for p in 0..hw {
        let x = |r: usize| bad.x[r * hw + p].unwrap_or(0) as i128;
        let (w0, w1) = (bad.w[0] as i128, bad.w[1] as i128);
        bad.y[p] = bad.b[0] + w0 * x(2) + w1 * x(3);
    }
    assert!(bad.y != good.y && !accepted(&bad));
    // A padding tap's lane copies the constant zero: a non-zero value there is rejected
    // (row 0 holds X row 0's three front pads and entry 0; lane 0 of row 1 is entry 1).
    let mut bad = good.clone();
    bad.corrupt = Some((4, 1));
    assert!(
        !accepted(&bad),
        "a padding tap holding a non-zero value was accepted"
    );
}
