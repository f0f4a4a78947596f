use super::super::{Source, Wire};
use super::*;
use halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const WIDTH: usize = 4;
const DIMS: PointwiseDims = PointwiseDims {
    cin: 6,
    cout: 3,
    hw: 5,
    groups: 1,
    bias_row: false,
    weight_lanes: 1,
    dense: false,
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
    /// Overwrites one cell after layout: (column 0..5 = h_x, h_y, s, d, lane 0; with hidden
    /// weights also 5 = the weight and bias copies, and 5 + l those of weight lane l; row).
    corrupt: Option<(usize, usize)>,
    /// Overwrites every one of the bias row (hidden weights) with this value after layout.
    ones_as: Option<u64>,
    /// Hidden weights: W and b are committed cells (the `data` column after X, holding these
    /// values: W and b unless a test commits others), which the chip copies.
    committed: Option<(Vec<i64>, Vec<i128>)>,
}

#[derive(Clone)]
struct ProductConfig {
    data: Column<Advice>,
    chip: PointwiseConfig,
}

impl Circuit<Fr> for Product {
    type Config = ProductConfig;
    type FloorPlanner = SimpleFloorPlanner;
    /// Whether the weights are hidden, and the weight dot's lanes.
    type Params = (bool, usize);

    fn without_witnesses(&self) -> Self {
        Product {
            blank: true,
            ..self.clone()
        }
    }

    fn params(&self) -> (bool, usize) {
        (self.committed.is_some(), self.dims.weight_lanes)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ProductConfig {
        Self::configure_with_params(meta, (false, 1))
    }

    fn configure_with_params(
        meta: &mut ConstraintSystem<Fr>,
        (hidden, lanes): (bool, usize),
    ) -> ProductConfig {
        let data = meta.advice_column();
        meta.enable_equality(data);
        let dot = DotConfig::configure(meta, WIDTH, hidden);
        ProductConfig {
            data,
            chip: PointwiseConfig::configure(meta, &dot, false, false, hidden, lanes),
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
                // The committed parameters, in the data column after X.
                let n = self.x.len();
                let cells = |values: Vec<i128>, region: &mut Region<Fr>, from: usize| {
                    values
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let value = known_field(Some(super::super::fe(v)));
                            (region.assign_advice(config.data, from + i, value).cell(), v)
                        })
                        .collect::<Vec<_>>()
                };
                let (weight_cells, biases) = match &self.committed {
                    Some((w, b)) => {
                        let w = cells(w.iter().map(|&v| v as i128).collect(), &mut region, n);
                        let b = cells(b.clone(), &mut region, n + w.len());
                        (w.into_iter().map(|(c, _)| c).collect::<Vec<_>>(), b)
                    }
                    None => (Vec::new(), Vec::new()),
                };
                let committed = self.committed.as_ref().map(|_| CommittedParams {
                    weights: &weight_cells,
                    biases: &biases,
                });
                // With hidden weights the fixed column keeps no bias (a rounding offset only).
                let fixed_bias = match committed {
                    Some(_) => vec![0; self.b.len()],
                    None => self.b.clone(),
                };
                let mut links = Links::default();
                let pending = config.chip.assign(
                    &mut region,
                    &mut links,
                    &mut None,
                    (0, 0),
                    self.dims,
                    &inputs,
                    &y,
                    &fixed_bias,
                    &self.w,
                    committed,
                )?;
                // A real prover records each phase's own columns only: first-phase cells are
                // corrupted before the second phase starts, second-phase ones after it.
                let c = &config.chip;
                let mut columns = vec![c.h_x, c.h_y, c.s[0], c.d, c.x[0]];
                columns.extend(c.w.iter().filter_map(|f| match f {
                    Factor::Advice(w) => Some(*w),
                    Factor::Fixed(_) => None,
                }));
                let corrupt = |region: &mut Region<Fr>, first_phase: bool| {
                    if let Some((column, row)) = self.corrupt {
                        if (column >= 4) == first_phase {
                            let value = known_field(Some(Fr::from(12345)));
                            region.assign_advice(columns[column], row, value);
                        }
                    }
                };
                corrupt(&mut region, true);
                if let Some(v) = self.ones_as {
                    let rows = self.dims.horner_rows(WIDTH);
                    let pads = rows * WIDTH - self.dims.hw;
                    for r in 0..rows {
                        for (l, &lane) in c.x.iter().enumerate() {
                            if r * WIDTH + l >= pads {
                                let row = self.dims.cin * rows + r;
                                region.assign_advice(lane, row, known_field(Some(Fr::from(v))));
                            }
                        }
                    }
                }
                region.next_phase();
                c.finish(&mut region, pending)?;
                corrupt(&mut region, false);
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
    let b: Vec<i128> = (0..cout).map(|co| [100, -7, 0, 31][co % 4]).collect();
    // The reference: W spelled out as the full block-diagonal Cout×Cin matrix (output channel
    // co's group is co·G/Cout, holding X rows g·Cin/G..), then an ordinary product.
    let full = |co: usize, ci: usize| {
        let g = co * dims.groups / cout;
        let rows = g * per_group..(g + 1) * per_group;
        if rows.contains(&ci) {
            w[co * per_group + ci - rows.start]
        } else {
            0
        }
    };
    let y = (0..cout * hw)
        .map(|o| {
            let (co, p) = (o / hw, o % hw);
            b[co]
                + (0..cin)
                    .map(|ci| (full(co, ci) * x[ci * hw + p].unwrap_or(0)) as i128)
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
        ones_as: None,
        committed: None,
    }
}

/// The same product with its weights and bias hidden behind committed cells.
fn hidden(mut c: Product) -> Product {
    c.committed = Some((c.w.clone(), c.b.clone()));
    c.dims.bias_row = true;
    c
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
    use crate::circuit::testing::real_proof_verifies;
    let good = product();
    assert!(real_proof_verifies(8, 5, &good, &good));
    let mut bad = good.clone();
    bad.y[3] += 1;
    assert!(
        !real_proof_verifies(8, 5, &good, &bad),
        "a proof of a wrong product verified"
    );
}

/// A grouped convolution's shape: two groups of three X rows, two output channels each (a
/// depth multiplier of 2 over three taps), with padding taps among its X entries.
const GROUPED: PointwiseDims = PointwiseDims {
    cin: 6,
    cout: 4,
    hw: 5,
    groups: 2,
    bias_row: false,
    weight_lanes: 1,
    dense: false,
};

#[test]
fn a_grouped_product_with_padding_taps_is_checked_per_group() {
    // Entries 0 and 1 open X row 0 (after its three front pads); 12 and 29 sit mid-row.
    let pads = [0, 1, 12, 29];
    let good = product_of(GROUPED, &pads);
    MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
    for (o, delta) in [(0, 1), (7, -2), (14, 1 << 20), (19, 1)] {
        let mut bad = good.clone();
        bad.y[o] += delta;
        assert!(
            !accepted(&bad),
            "a wrong grouped product (output {o}) was accepted"
        );
    }
    // Another group's X rows do not count: output channel 1 (group 0) computed over group 1's
    // rows is a wrong product.
    let mut bad = good.clone();
    let hw = GROUPED.hw;
    for p in 0..hw {
        let x = |r: usize| bad.x[r * hw + p].unwrap_or(0) as i128;
        let w = |j: usize| bad.w[3 + j] as i128;
        bad.y[hw + p] = bad.b[1] + w(0) * x(3) + w(1) * x(4) + w(2) * x(5);
    }
    assert!(bad.y != good.y && !accepted(&bad));
    // A padding tap's lane is a copy of the constant zero: a non-zero value there breaks that
    // copy (row 0 holds X row 0's three front pads and entry 0; lane 0 of row 1 is entry 1).
    let mut bad = good.clone();
    bad.corrupt = Some((4, 1));
    assert!(
        breaks_a_copy(&bad),
        "a padding tap holding a non-zero value broke no copy"
    );
}

/// Whether MockProver rejects `c` with (among others) a broken copy constraint.
fn breaks_a_copy(c: &Product) -> bool {
    let failures = MockProver::run(8, c, vec![]).unwrap().verify().unwrap_err();
    failures
        .iter()
        .any(|f| matches!(f, halo2_proofs::dev::VerifyFailure::Permutation { .. }))
}

/// The im2col matrix against the convolution's own taps: for strides, dilations, asymmetric
/// (TensorFlow SAME) padding, groups and a depth multiplier, the product the chip checks,
/// `W·X` with W read as Cout×(Cin/G·kh·kw) by group, equals the sum over
/// `ConvGeometry::for_each_term`'s terms for every output.
#[test]
fn the_im2col_product_equals_the_convolution_for_every_geometry() {
    use crate::ops::conv::ConvGeometry;
    use crate::ops::window::Window2d;
    // Channels in and out, group, kernel, stride, dilation, pads [top, left, bottom, right],
    // input height and width.
    type Case = (
        usize,
        usize,
        usize,
        [usize; 2],
        [usize; 2],
        [usize; 2],
        [usize; 4],
    );
    let cases: [(Case, usize, usize); 6] = [
        ((3, 4, 1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]), 5, 6),
        ((3, 2, 1, [3, 3], [2, 2], [1, 1], [0, 0, 1, 1]), 7, 7),
        ((4, 4, 4, [3, 3], [2, 1], [1, 1], [1, 0, 1, 2]), 6, 5),
        ((2, 4, 2, [3, 2], [1, 1], [2, 1], [2, 1, 2, 0]), 6, 6),
        ((4, 6, 2, [1, 3], [1, 2], [1, 2], [0, 2, 0, 2]), 3, 9),
        ((1, 3, 1, [5, 5], [1, 1], [1, 1], [2, 2, 2, 2]), 4, 4),
    ];
    for ((ci, co, group, kernel, stride, dilation, pads), h, w) in cases {
        let window = Window2d {
            kernel,
            stride,
            pads,
            dilation,
        };
        let (oh, ow) = window.output_hw(h, w).unwrap();
        let geometry = ConvGeometry {
            out_channels: co,
            window,
            group,
        };
        let (in_shape, out_shape) = (vec![1, ci, h, w], vec![1, co, oh, ow]);
        let input: Vec<i64> = (0..ci * h * w).map(|i| (i as i64 * 13) % 17 - 8).collect();
        let per_group = ci / group * kernel[0] * kernel[1];
        let weight: Vec<i64> = (0..co * per_group)
            .map(|i| (i as i64 * 5) % 11 - 5)
            .collect();
        let x = conv_columns(&geometry, &in_shape, &out_shape).unwrap();
        let hw = oh * ow;
        assert_eq!(x.len(), ci * kernel[0] * kernel[1] * hw);
        for o in 0..co * hw {
            let (c, p) = (o / hw, o % hw);
            let mut direct = 0;
            geometry.for_each_term(&in_shape, &out_shape, o, |i, wi| {
                direct += input[i] * weight[wi];
            });
            let first = c / (co / group) * per_group;
            let checked: i64 = (0..per_group)
                .map(|j| {
                    weight[c * per_group + j] * x[(first + j) * hw + p].map_or(0, |i| input[i])
                })
                .sum();
            assert_eq!(
                checked, direct,
                "output {o} of {ci}->{co} channels, group {group}, {kernel:?}, stride {stride:?}, \
                 dilation {dilation:?}, pads {pads:?}"
            );
        }
    }
}

#[test]
fn hidden_weights_and_bias_are_copies_of_their_committed_cells() {
    for good in [
        hidden(product()),
        hidden(product_of(GROUPED, &[0, 1, 12, 29])),
    ] {
        MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
        for (o, delta) in [(0, 1), (7, -3), (14, 1 << 20)] {
            let mut bad = good.clone();
            bad.y[o] += delta;
            assert!(!accepted(&bad), "a wrong product (output {o}) was accepted");
        }
        // Outputs computed with other weights or another bias than the committed ones, every
        // other cell consistent with the committed ones.
        let (w, b) = good.committed.clone().unwrap();
        for (i, delta) in [(0, 1), (5, -2), (w.len() - 1, 7)] {
            let mut bad = good.clone();
            let mut committed = w.clone();
            committed[i] += delta;
            bad.w = committed.clone();
            bad.committed = Some((committed, b.clone()));
            assert!(!accepted(&bad), "weight {i} other than committed accepted");
        }
        let mut bad = good.clone();
        let mut committed = b.clone();
        committed[1] -= 1;
        bad.b = committed.clone();
        bad.committed = Some((w.clone(), committed));
        assert!(!accepted(&bad), "a bias other than committed accepted");
        // A weight or bias copy that differs from its committed cell (channel 0's weights,
        // then its bias), or a one of the bias row that is not 1 (X's rows are 2 each: the
        // ones' second row is 2·cin + 1).
        let per_channel = good.dims.terms_per_channel();
        let ones = 2 * good.dims.cin + 1;
        for corrupt in [
            (5, 0),
            (5, per_channel - 2),
            (5, per_channel - 1),
            (4, ones),
        ] {
            let mut bad = good.clone();
            bad.corrupt = Some(corrupt);
            assert!(
                breaks_a_copy(&bad),
                "corrupted copy {corrupt:?} broke no copy constraint"
            );
        }
    }
}

#[test]
fn a_real_proof_with_hidden_weights_other_than_committed_does_not_verify() {
    use crate::circuit::testing::real_proof_verifies;
    let good = hidden(product());
    assert!(real_proof_verifies(8, 6, &good, &good));
    let mut bad = good.clone();
    let (mut w, b) = bad.committed.clone().unwrap();
    w[2] += 1;
    bad.w = w.clone();
    bad.committed = Some((w, b));
    assert!(
        !real_proof_verifies(8, 6, &good, &bad),
        "a proof with other weights than committed verified"
    );
    // A weight copy that is not its committed cell's value.
    let mut bad = good.clone();
    bad.corrupt = Some((5, 0));
    assert!(
        !real_proof_verifies(8, 6, &good, &bad),
        "a proof with a broken weight copy verified"
    );
}

/// The bias row's ones are one cell's copies, and that cell is the constant 1: a prover who
/// makes them all another value (so every copy holds) breaks the constant's copy.
#[test]
fn the_ones_of_the_bias_row_are_the_constant_one() {
    let mut bad = hidden(product());
    bad.ones_as = Some(2);
    let failures = MockProver::run(8, &bad, vec![])
        .unwrap()
        .verify()
        .unwrap_err();
    assert!(
        failures.iter().any(|f| matches!(
            f,
            halo2_proofs::dev::VerifyFailure::Permutation { column, .. }
                if column.column_type() == halo2_proofs::plonk::Any::Fixed
        )),
        "ones that are all 2 broke no copy of a constant: {failures:?}"
    );
}

/// The same product with `lanes` factors a weight-dot row.
fn with_lanes(mut c: Product, lanes: usize) -> Product {
    c.dims.weight_lanes = lanes;
    c
}

#[test]
fn a_weight_dot_over_several_lanes_checks_the_same_product() {
    // Six weights a channel: three lanes fill two rows, four leave two zero pads on the
    // second; with hidden weights the bias is a seventh term (four lanes: one pad); grouped,
    // three weights and the bias over two lanes.
    for good in [
        with_lanes(product(), 3),
        with_lanes(product(), 4),
        with_lanes(hidden(product()), 4),
        with_lanes(hidden(product_of(GROUPED, &[0, 1, 12, 29])), 2),
    ] {
        let dims = good.dims;
        assert_eq!(
            dims.weight_rows(),
            dims.cout * dims.terms_per_channel().div_ceil(dims.weight_lanes)
        );
        MockProver::run(8, &good, vec![]).unwrap().verify().unwrap();
        for (o, delta) in [(0, 1), (7, -3), (14, 1 << 20)] {
            let mut bad = good.clone();
            bad.y[o] += delta;
            assert!(
                !accepted(&bad),
                "a wrong product (output {o}) accepted with {} lanes",
                dims.weight_lanes
            );
        }
        if let Some((w, b)) = good.committed.clone() {
            let mut bad = good.clone();
            let mut committed = w.clone();
            committed[1] += 1;
            bad.w = committed.clone();
            bad.committed = Some((committed, b));
            assert!(!accepted(&bad), "a weight other than committed accepted");
        }
    }
}

/// With hidden weights a pad of the weight dot's last row is a copy of the constant zero:
/// a prover free to put a factor there could add any multiple of a second-phase cell, chosen
/// after ρ, to a channel's sum.
#[test]
fn a_pad_of_hidden_factors_is_the_constant_zero() {
    // Seven terms over four lanes: channel 0's second row (row 1) holds terms 4, 5, the bias
    // and, in lane 3 (column 5 + 3), the pad.
    let good = with_lanes(hidden(product()), 4);
    let mut bad = good.clone();
    bad.corrupt = Some((5 + 3, 1));
    assert!(breaks_a_copy(&bad), "a non-zero pad factor broke no copy");
    // And a term's factor in a later lane is its committed cell's copy.
    let mut bad = good.clone();
    bad.corrupt = Some((5 + 2, 1));
    assert!(
        breaks_a_copy(&bad),
        "a corrupted bias copy in lane 2 broke no copy"
    );
}

#[test]
fn a_real_proof_of_a_wrong_product_over_lanes_does_not_verify() {
    use crate::circuit::testing::real_proof_verifies;
    let good = with_lanes(hidden(product()), 4);
    assert!(real_proof_verifies(8, 7, &good, &good));
    let mut bad = good.clone();
    bad.y[4] -= 1;
    assert!(
        !real_proof_verifies(8, 7, &good, &bad),
        "a proof of a wrong product over four lanes verified"
    );
}

/// A Dense step over several rows is the chip's product with X its input transposed and its
/// output position-major: the check's sums equal the step's direct terms for every output.
#[test]
fn a_dense_step_over_rows_is_the_product_of_its_transposed_input() {
    use crate::qgraph::{Activation, Linear, LinearKernel, Rescale, Rounding};
    let (n_in, n_out, rows) = (6, 3, 5);
    let weight: Vec<i64> = (0..n_in * n_out).map(|i| (i as i64 * 5) % 19 - 9).collect();
    let bias = vec![100, -7, 31];
    let lin = Linear {
        kernel: LinearKernel::Dense {
            n_in,
            n_out,
            weight: weight.clone(),
            bias: bias.clone(),
        },
        rescale: Rescale {
            rounding: Rounding::HalfUp {
                divisors: vec![1; n_out * rows],
            },
            act: Activation::Identity,
        },
    };
    let x: Vec<i64> = (0..n_in * rows).map(|i| (i as i64 * 7) % 23 - 11).collect();
    let layout = CheckLayout {
        width: WIDTH,
        any_window: false,
        dense: true,
        bias_row: false,
        weight_lanes: 4,
    };
    let dims = PointwiseDims::of(&lin, n_out * rows, layout).expect("the check takes it");
    assert_eq!(
        (dims.cin, dims.cout, dims.hw, dims.dense),
        (n_in, n_out, rows, true)
    );
    // Without the shape's flag, or on one row (a classifier head), it does not.
    let flat = CheckLayout {
        dense: false,
        ..layout
    };
    assert!(PointwiseDims::of(&lin, n_out * rows, flat).is_none());
    assert!(PointwiseDims::of(&lin, n_out, layout).is_none());
    let sums = lin.check_sums("dense", n_out * rows, &x).unwrap().unwrap();
    let mut terms = Vec::new();
    for co in 0..n_out {
        for p in 0..rows {
            let o = dims.flat_output(co, p);
            let constant = lin.terms(o, &mut terms);
            let direct: i128 = constant
                + terms
                    .iter()
                    .map(|t| (t.weight * x[t.index]) as i128)
                    .sum::<i128>();
            // The chip's product: channel co's weights times X's column p, X[ci][p] being
            // input p·Cin + ci.
            let checked: i64 = bias[co]
                + (0..n_in)
                    .map(|ci| weight[co * n_in + ci] * x[p * n_in + ci])
                    .sum::<i64>();
            assert_eq!((sums[o] as i128, checked as i128), (direct, direct));
        }
    }
    // Inputs that do not fit the step are an error, not a panic.
    assert!(lin.check_sums("dense", n_out * rows, &x[1..]).is_err());
}
