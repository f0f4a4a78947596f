//! Pointwise (1×1) convolution chip: proves `Y = W·X + B` (W is Cout×Cin, X is Cin×HW, the
//! bias B one value per output channel) with Freivalds' randomized check instead of
//! Cout·HW·Cin multiplications:
//!
//! `(Y - B)·r = W·(X·r)`, where `r = (ρ^(HW-1), ..., ρ, 1)`.
//!
//! ρ is a second-phase challenge: the transcript squeezes it only after every first-phase column
//! (X and Y among them) is committed, so the prover fixes Y before it can know ρ. A wrong Y
//! makes some row of `(Y - B - W·X)·r` a non-zero polynomial of degree < HW in ρ, which vanishes
//! at the transcript's ρ with probability at most (HW - 1)/|F| (per channel; Cout·HW/|F| in all).
//! ddkang/zkml's fixed "random" constants give no such bound: a prover who knows them can pick a
//! wrong Y that passes.
//!
//! Layout, sharing the dot chip's columns on rows the dot gate does not use:
//! - Output `o = co·HW + p` takes row `start + o`: its accumulator `Y[o]` is a free first-phase
//!   cell of `acc` (the requantization or rescale gate on that row reads it), and the dot chip's
//!   `bias` fixed column holds `B[co]` there.
//! - Y Horner (second phase, column `h_y`, one output per row, in place):
//!   `h_y = (acc - bias)` on a channel's first row, else `h_y = h_y[-1]·ρ + (acc - bias)`;
//!   a channel's last row holds `t_co = Σ_p (Y - B)[co, p]·ρ^(HW-1-p)`.
//! - X Horner (second phase, column `h_x`, `width` entries per row in the dot chip's `x` lanes,
//!   which copy X's cells): `h_x = Horner(h_x[-1] or 0; x_0, ..., x_{w-1})`. A channel's sequence
//!   is front-padded with zeros (copies of one constant zero cell) to whole rows; its last row
//!   holds `s_ci = Σ_p X[ci, p]·ρ^(HW-1-p)`.
//! - Weight dot (second phase, own columns `s`, `d` and fixed `wf`, own rows):
//!   `d = wf·s` on a channel's first row, else `d = d[-1] + wf·s`, with `s` copying `s_ci` and
//!   `wf` holding `W[co, ci]`; each channel's final `d` is constrained equal to `t_co`.
//!
//! Since every Y the check accepts equals the field image of the bounded integer `W·X + B`, the
//! requantization gates reading Y keep their integer soundness argument.

use super::dot::DotConfig;
use super::horner::{
    accumulator_horner_gate, accumulator_sums, assign_lanes, lanes_horner_gate, lanes_sums,
    running_dot_gate, Factor, Steps,
};
use super::{known_field, Links, Wire};
use crate::qgraph::{Linear, LinearKernel};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Error, FirstPhase, Fixed, SecondPhase,
};
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct PointwiseConfig {
    /// The dot chip's input lanes, accumulator and bias columns.
    pub x: Vec<Column<Advice>>,
    pub acc: Column<Advice>,
    pub bias: Column<Fixed>,
    pub h_x: Column<Advice>,
    pub h_y: Column<Advice>,
    pub s: Column<Advice>,
    pub d: Column<Advice>,
    pub wf: Column<Fixed>,
    pub x_horner: Steps,
    pub y_horner: Steps,
    pub weight_dot: Steps,
    pub rho: Challenge,
}

/// The shape of a pointwise convolution the chip proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointwiseDims {
    pub cin: usize,
    pub cout: usize,
    pub hw: usize,
}

impl PointwiseDims {
    /// The dimensions of `lin` if it is a 1×1, stride-1, unpadded, ungrouped convolution with
    /// one constant term per output channel, and the randomized check takes fewer rows than
    /// direct dot products of `width` lanes.
    pub fn of(lin: &Linear, width: usize) -> Option<Self> {
        let LinearKernel::Conv {
            geometry,
            in_shape,
            out_shape,
            bias,
            ..
        } = &lin.kernel
        else {
            return None;
        };
        let win = &geometry.window;
        let unit = win.kernel == [1, 1] && win.stride == [1, 1] && win.pads == [0; 4];
        if !unit
            || geometry.group != 1
            || in_shape.len() != 4
            || out_shape.len() != 4
            || in_shape[0] != 1
            || out_shape[0] != 1
            || in_shape[2..] != out_shape[2..]
            || out_shape[1] != geometry.out_channels
            || bias.len() != geometry.out_channels
        {
            return None;
        }
        let dims = PointwiseDims {
            cin: in_shape[1],
            cout: out_shape[1],
            hw: out_shape[2] * out_shape[3],
        };
        if dims.hw == 0 || dims.cout == 0 || dims.cin == 0 {
            return None;
        }
        // Worth it only when the check's rows (its weight dots run beside the rest) are fewer
        // than the direct dot products' (not so for a 1×1 conv on one pixel, a dense layer).
        let direct = dims.cout * dims.hw * dims.cin.div_ceil(width);
        if dims.rows(width).max(dims.weight_rows()) >= direct {
            return None;
        }
        // The rounding offset must be one value per channel, like the bias.
        let per_channel = (0..dims.cout).all(|co| {
            let first = lin.rescale.bias_offset(co * dims.hw);
            (1..dims.hw).all(|p| lin.rescale.bias_offset(co * dims.hw + p) == first)
        });
        per_channel.then_some(dims)
    }

    /// Rows of one input channel's X Horner sequence.
    pub fn horner_rows(&self, width: usize) -> usize {
        self.hw.div_ceil(width)
    }

    /// Rows the step takes in the dot chip's columns: one per output, and enough for the X
    /// Horner sequences.
    pub fn rows(&self, width: usize) -> usize {
        (self.cout * self.hw).max(self.cin * self.horner_rows(width))
    }

    /// Rows the step takes in the weight-dot columns.
    pub fn weight_rows(&self) -> usize {
        self.cout * self.cin
    }
}

/// A step's first-phase values, kept until the challenge is known.
pub struct PendingPointwise {
    dims: PointwiseDims,
    width: usize,
    start: usize,
    weight_start: usize,
    /// X, channel-major (Cin×HW).
    x: Vec<Option<Fr>>,
    /// Y - B, channel-major (Cout×HW).
    y: Vec<Option<Fr>>,
    /// W, Cout×Cin.
    weights: Vec<i64>,
}

impl PointwiseConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, dot: &DotConfig) -> Self {
        let h_x = meta.advice_column_in(SecondPhase);
        let h_y = meta.advice_column_in(SecondPhase);
        let s = meta.advice_column_in(SecondPhase);
        let d = meta.advice_column_in(SecondPhase);
        for c in [h_x, h_y, s, d] {
            meta.enable_equality(c);
        }
        let wf = meta.fixed_column();
        // The column holding the constant zero the X Horner pads copy.
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let rho = meta.challenge_usable_after(FirstPhase);
        let config = PointwiseConfig {
            x: dot.x.clone(),
            acc: dot.acc,
            bias: dot.bias,
            h_x,
            h_y,
            s,
            d,
            wf,
            x_horner: Steps::new(meta),
            y_horner: Steps::new(meta),
            weight_dot: Steps::new(meta),
            rho,
        };
        let c = &config;
        lanes_horner_gate(meta, "pointwise: X Horner", c.x_horner, c.h_x, &c.x, rho);
        accumulator_horner_gate(
            meta,
            "pointwise: Y Horner",
            c.y_horner,
            c.h_y,
            (c.acc, c.bias),
            rho,
        );
        running_dot_gate(
            meta,
            "pointwise: weight dot",
            c.weight_dot,
            c.d,
            (Factor::Fixed(c.wf), c.s),
        );
        config
    }

    pub fn width(&self) -> usize {
        self.x.len()
    }

    /// First phase: copies X into the Horner lanes, places each accumulator `y[o]` (W·X + B as
    /// the prover claims it) in `acc` and its channel's bias in `bias` from row `start`, fills
    /// the weight column from `weight_start`, and enables the selectors. `zero` is the cell the
    /// pads copy (created on first use). The caller puts the requantization or rescale of each
    /// output on its row, and calls [`PointwiseConfig::finish`] after `region.next_phase()`.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        zero: &mut Option<Cell>,
        (start, weight_start): (usize, usize),
        dims: PointwiseDims,
        inputs: &[Wire],
        y: &[Option<i128>],
        channel_bias: &[i128],
        weights: &[i64],
    ) -> Result<PendingPointwise, Error> {
        let PointwiseDims { cin, cout, hw } = dims;
        if inputs.len() != cin * hw
            || y.len() != cout * hw
            || channel_bias.len() != cout
            || weights.len() != cout * cin
        {
            return Err(Error::Synthesis);
        }
        let w = self.width();
        assign_lanes(
            region,
            links,
            zero,
            (&self.x, self.x_horner),
            start,
            (cin, hw),
            inputs,
        )?;
        let mut y_minus_b = Vec::with_capacity(cout * hw);
        for (co, &b) in channel_bias.iter().enumerate() {
            for p in 0..hw {
                let o = co * hw + p;
                let row = start + o;
                self.y_horner.enable(region, row, p == 0)?;
                region.assign_advice(self.acc, row, known_field(y[o].map(super::fe)));
                region.assign_fixed(self.bias, row, super::fe(b));
                y_minus_b.push(y[o].map(|v| super::fe(v - b)));
            }
        }
        for (i, &wt) in weights.iter().enumerate() {
            let row = weight_start + i;
            self.weight_dot.enable(region, row, i % cin == 0)?;
            region.assign_fixed(self.wf, row, super::fe(wt as i128));
        }
        Ok(PendingPointwise {
            dims,
            width: w,
            start,
            weight_start,
            x: inputs
                .iter()
                .map(|wire| wire.value.map(|v| super::fe(v as i128)))
                .collect(),
            y: y_minus_b,
            weights: weights.to_vec(),
        })
    }

    /// Second phase: the challenge-dependent Horner sums and weight dots, and the equalities
    /// tying each channel's `W·(X·r)` to its `(Y - B)·r`.
    pub fn finish(&self, region: &mut Region<Fr>, pending: PendingPointwise) -> Result<(), Error> {
        let mut rho = None;
        region.get_challenge(self.rho).map(|r| rho = Some(r));
        let PendingPointwise {
            dims: PointwiseDims { cin, cout, hw },
            width: w,
            start,
            weight_start,
            x,
            y,
            weights,
        } = pending;
        let (s_cells, s_values) = lanes_sums(region, (self.h_x, w), start, (cin, hw), &x, rho)?;
        let t_cells = accumulator_sums(region, self.h_y, start, hw, &y, rho)?;
        for co in 0..cout {
            let mut d = Some(Fr::zero());
            let mut last = None;
            for ci in 0..cin {
                let row = weight_start + co * cin + ci;
                let s = region.assign_advice(self.s, row, known_field(s_values[ci]));
                region.constrain_equal(s.cell(), s_cells[ci]);
                let wt = super::fe(weights[co * cin + ci] as i128);
                d = d.zip(s_values[ci]).map(|(d, s)| d + wt * s);
                last = Some(region.assign_advice(self.d, row, known_field(d)).cell());
            }
            region.constrain_equal(last.ok_or(Error::Synthesis)?, t_cells[co]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
    };

    /// Proves `y = W·x + b` for a 6×5 input written into a first-phase column of its own.
    #[derive(Clone)]
    struct Product {
        x: Vec<i64>,
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
                chip: PointwiseConfig::configure(meta, &dot),
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
                    let inputs: Vec<Wire> = self
                        .x
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let value = (!self.blank).then_some(v);
                            let cell = region
                                .assign_advice(config.data, i, super::super::known(value))
                                .cell();
                            Wire {
                                source: Source::Advice(cell),
                                value,
                            }
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
                        DIMS,
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
        let PointwiseDims { cin, cout, hw } = DIMS;
        let x: Vec<i64> = (0..cin * hw).map(|i| (i as i64 * 7) % 23 - 11).collect();
        let w: Vec<i64> = (0..cout * cin).map(|i| (i as i64 * 5) % 19 - 9).collect();
        let b: Vec<i128> = vec![100, -7, 0];
        let y = (0..cout * hw)
            .map(|o| {
                let (co, p) = (o / hw, o % hw);
                b[co]
                    + (0..cin)
                        .map(|ci| (w[co * cin + ci] * x[ci * hw + p]) as i128)
                        .sum::<i128>()
            })
            .collect();
        Product {
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
}
