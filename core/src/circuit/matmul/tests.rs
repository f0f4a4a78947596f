use super::super::{Source, Wire};
use super::*;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const WIDTH: usize = 4;
/// N = 5 at width 4: each row of B takes two Horner rows, the first with three pads.
const DIMS: MatMulDims = MatMulDims { m: 3, k: 6, n: 5 };
const OFFSET: i128 = 8;

/// Proves `C = A·B + off` for A and B written into a first-phase column of their own.
#[derive(Clone)]
struct Product {
    a: Vec<i64>,
    b: Vec<i64>,
    /// The accumulators claimed (A·B + off unless a test lies).
    c: Vec<i128>,
    blank: bool,
    /// Overwrites one cell after layout: (column 0..6 = h_b, h_c, a, s, d, lane 0; row).
    corrupt: Option<(usize, usize)>,
}

#[derive(Clone)]
struct ProductConfig {
    data: Column<Advice>,
    chip: MatMulConfig,
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
            chip: MatMulConfig::configure(meta, &dot),
        }
    }

    fn synthesize(
        &self,
        config: ProductConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        layouter.assign_region(
            || "matmul",
            |mut region| {
                let mut wires = |values: &[i64], from: usize| -> Vec<Wire> {
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let value = (!self.blank).then_some(v);
                            let cell = region
                                .assign_advice(config.data, from + i, super::super::known(value))
                                .cell();
                            Wire {
                                source: Source::Advice(cell),
                                value,
                            }
                        })
                        .collect()
                };
                let a = wires(&self.a, 0);
                let b = wires(&self.b, self.a.len());
                let c: Vec<Option<i128>> =
                    self.c.iter().map(|&v| (!self.blank).then_some(v)).collect();
                let mut links = Links::default();
                let pending = config.chip.assign(
                    &mut region,
                    &mut links,
                    &mut None,
                    0,
                    DIMS,
                    (&a, &b),
                    &c,
                    OFFSET,
                )?;
                region.next_phase();
                config.chip.finish(&mut region, pending)?;
                if let Some((column, row)) = self.corrupt {
                    let ch = &config.chip;
                    let column = [ch.h_b, ch.h_c, ch.a, ch.s, ch.d, ch.x[0]][column];
                    region.assign_advice(column, row, known_field(Some(Fr::from(12345))));
                }
                Ok(())
            },
        )
    }
}

fn product() -> Product {
    let MatMulDims { m, k, n } = DIMS;
    let a: Vec<i64> = (0..m * k).map(|i| (i as i64 * 7) % 23 - 11).collect();
    let b: Vec<i64> = (0..k * n).map(|i| (i as i64 * 5) % 19 - 9).collect();
    let c = (0..m * n)
        .map(|o| {
            let (i, j) = (o / n, o % n);
            OFFSET
                + (0..k)
                    .map(|kk| (a[i * k + kk] * b[kk * n + j]) as i128)
                    .sum::<i128>()
        })
        .collect();
    Product {
        a,
        b,
        c,
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
    // A wrong accumulator; every Horner sum and operand dot is computed honestly from it, so
    // only the randomized check can catch it.
    for (o, delta) in [(0, 1), (7, -3), (14, 1 << 20)] {
        let mut bad = good.clone();
        bad.c[o] += delta;
        assert!(!accepted(&bad), "a wrong product (output {o}) was accepted");
    }
    // Two compensating errors in one row of C still change (C - off)·r.
    let mut bad = good.clone();
    bad.c[5] += 1;
    bad.c[6] -= 1;
    assert!(!accepted(&bad));
}

#[test]
fn rejects_every_corrupted_chip_cell() {
    let rows = DIMS.horner_rows(WIDTH);
    // h_b (a row of B's first and last Horner row), h_c (a row's first output and a middle
    // one), a (the first and a middle operand), s, d (a row's first and last term), a pad lane
    // and a copied lane of B.
    for corrupt in [
        (0, 0),
        (0, rows - 1),
        (1, 0),
        (1, 7),
        (2, 0),
        (2, 9),
        (3, 4),
        (4, 0),
        (4, DIMS.k - 1),
        (5, 0),
        (5, 1),
    ] {
        let mut bad = product();
        bad.corrupt = Some(corrupt);
        assert!(!accepted(&bad), "corrupted cell {corrupt:?} accepted");
    }
}

#[test]
fn a_real_proof_of_a_wrong_product_does_not_verify() {
    use crate::circuit::testing::real_proof_verifies;
    let good = product();
    assert!(real_proof_verifies(8, 6, &good, &good));
    let mut bad = good.clone();
    bad.c[4] += 1;
    assert!(
        !real_proof_verifies(8, 6, &good, &bad),
        "a proof of a wrong product verified"
    );
}
