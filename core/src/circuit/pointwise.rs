//! Convolution chip by Freivalds' randomized check: proves `Y = W·X + B` (W is Cout×Cin, X is
//! Cin×HW, the bias B one value per output channel) instead of Cout·HW·Cin multiplications:
//!
//! `(Y - B)·r = W·(X·r)`, where `r = (ρ^(HW-1), ..., ρ, 1)`.
//!
//! A pointwise (1×1) convolution's X is its input. Any other convolution (a k×k window, strides,
//! padding, dilation, groups: the stem convolution and the depthwise ones of a MobileNet) is the
//! same product over its im2col matrix when the shape's `conv_freivalds` flag is set: X's row
//! `(c, ky, kx)` holds, for every output position, the input value that tap reads — a copy of
//! that input cell, or of the constant zero where the tap falls on padding — and W is the OIHW
//! weight tensor read as Cout×(Cin/G·kh·kw). With G groups W is block diagonal: output channel
//! `co`'s weight dot runs over its own group's X rows only.
//!
//! ρ is a second-phase challenge: the transcript squeezes it only after every first-phase column
//! (X and Y among them) is committed, so the prover fixes Y before it can know ρ. A wrong Y
//! makes some row of `(Y - B - W·X)·r` a non-zero polynomial of degree < HW in ρ, which vanishes
//! at the transcript's ρ with probability at most (HW - 1)/|F| (per channel; Cout·HW/|F| in all).
//! ddkang/zkml's fixed "random" constants give no such bound: a prover who knows them can pick a
//! wrong Y that passes. The X rows are bound to the input by copy constraints, so the argument
//! is the same for a gathered X as for the input itself.
//!
//! Layout, sharing the dot chip's columns on rows the dot gate does not use:
//! - Output `o = co·HW + p` takes row `start + o`: its accumulator `Y[o]` is a free first-phase
//!   cell of `acc` (the requantization or rescale gate on that row reads it), and the dot chip's
//!   `bias` fixed column holds `B[co]` there.
//! - Y Horner (second phase, column `h_y`, one output per row, in place):
//!   `h_y = (acc - bias)` on a channel's first row, else `h_y = h_y[-1]·ρ + (acc - bias)`;
//!   a channel's last row holds `t_co = Σ_p (Y - B)[co, p]·ρ^(HW-1-p)`.
//! - X Horner (second phase, column `h_x`, `width` entries per row in the dot chip's `x` lanes,
//!   which copy X's cells): `h_x = Horner(h_x[-1] or 0; x_0, ..., x_{w-1})`. A row of X is
//!   front-padded with zeros (copies of one constant zero cell) to whole rows; its last row
//!   holds `s_ci = Σ_p X[ci, p]·ρ^(HW-1-p)`.
//! - Weight dot (second phase, own columns `s_l`, `d` and fixed `wf_l` over `L` lanes, own
//!   rows): `d = Σ_l wf_l·s_l` on a channel's first row, else `d = d[-1] + Σ_l wf_l·s_l`, with
//!   each `s_l` copying an `s_ci` (the channel's group's X rows in order, `L` a row) and `wf_l`
//!   holding `W[co, ci]`; a channel's last row is padded with zero factors (fixed zeros, or with
//!   hidden weights copies of the constant zero); each channel's final `d` is constrained equal
//!   to `t_co`. One lane (`L = 1`, the shape's default) is the chip as it was before it had
//!   lanes; more lanes divide the weight dot's rows, which a layer over few positions with many
//!   weights (a transformer's Dense layers, a late MobileNet layer) needs.
//!
//! A Dense step applied to each of `T` rows (a sequence's tokens; the shape's
//! `dense_freivalds`) is the same product with X its input read transposed (`X[ci, p]` is input
//! `p·Cin + ci`), `HW = T` and its output position-major (`Y[co, p]` is output `p·Cout + co`).
//!
//! With hidden weights (the default compile: weights behind the Poseidon commitment) W and B are
//! not in the key. The weight dot's factor is then a first-phase advice column whose cells copy
//! the committed cells (the pack chip's), and the bias is one more weight: X gets a last row of
//! ones (lanes copying one cell constrained to the constant 1, Horner sum
//! `s_1 = Σ_p ρ^(HW-1-p)`), and each channel's weight dot one more term, its committed bias
//! times `s_1`. The `bias` column then holds the rounding offset alone. Every factor is a
//! first-phase cell bound by a copy constraint to its committed cell, so W and B are fixed
//! before ρ exactly as fixed columns are, and the argument above is unchanged:
//! `(Y - B_fixed)·r = W·(X·r) + B·s_1` is `(Y - B_fixed - B - W·X)·r = 0`.
//!
//! Since every Y the check accepts equals the field image of the bounded integer `W·X + B`, the
//! requantization gates reading Y keep their integer soundness argument.

use super::dot::DotConfig;
use super::horner::{
    accumulator_horner_gate, accumulator_sums, assign_constant_lanes, assign_lanes, constant_copy,
    lanes_horner_gate, lanes_sums, running_dot_gate, Factor, Steps,
};
use super::{known_field, Links, Wire};
use crate::ops::conv::ConvGeometry;
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
    /// The weight dot's lanes of X sums.
    pub s: Vec<Column<Advice>>,
    pub d: Column<Advice>,
    /// The weight dot's factors W, one per lane: fixed columns, or with hidden weights
    /// first-phase advice columns of copies of the committed weight cells.
    pub w: Vec<Factor>,
    pub x_horner: Steps,
    pub y_horner: Steps,
    pub weight_dot: Steps,
    pub rho: Challenge,
    /// Whether convolutions other than 1×1 take the check (the shape's `conv_freivalds`): it
    /// changes the layout, not the constraint system.
    pub any_window: bool,
    /// Whether Dense steps over several rows take it (the shape's `dense_freivalds`): the
    /// layout too.
    pub dense: bool,
}

/// The shape of a convolution the chip proves: `cin` rows of X (input channels times window
/// taps), `cout` output channels, `hw` output positions, in `groups` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointwiseDims {
    pub cin: usize,
    pub cout: usize,
    pub hw: usize,
    pub groups: usize,
    /// Whether the bias is a weight on a last X row of ones (hidden weights).
    pub bias_row: bool,
    /// Factors per weight-dot row (the shape's `weight_lanes`).
    pub weight_lanes: usize,
    /// Whether the step is a Dense one over `hw` rows: its input and output are
    /// position-major ([`PointwiseDims::flat_output`]); a convolution's are channel-major.
    pub dense: bool,
}

/// What a layout proves by the check, and how: the shape's dot width, `conv_freivalds`
/// (`any_window`), `dense_freivalds` (`dense`), hidden weights (`bias_row`) and
/// `weight_lanes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckLayout {
    pub width: usize,
    pub any_window: bool,
    pub dense: bool,
    pub bias_row: bool,
    pub weight_lanes: usize,
}

impl PointwiseDims {
    /// The dimensions of `lin` if the randomized check takes fewer rows than direct dot products
    /// of `width` lanes (not so for a 1×1 conv on one pixel, a dense layer), and it is a
    /// convolution with one constant term per output channel: a 1×1, stride-1, unpadded,
    /// ungrouped one, or, with `any_window`, any convolution. `bias_row`: the weights are hidden,
    /// so the bias takes a row of ones (counted in the comparison).
    pub fn of(lin: &Linear, n_outputs: usize, layout: CheckLayout) -> Option<Self> {
        let CheckLayout {
            width,
            any_window,
            bias_row,
            weight_lanes,
            ..
        } = layout;
        if weight_lanes == 0 {
            return None;
        }
        let (geometry, in_shape, out_shape, bias) = match &lin.kernel {
            LinearKernel::Conv {
                geometry,
                in_shape,
                out_shape,
                bias,
                ..
            } => (geometry, in_shape, out_shape, bias),
            LinearKernel::Dense {
                n_in, n_out, bias, ..
            } if layout.dense => {
                if *n_out == 0 || !n_outputs.is_multiple_of(*n_out) || bias.len() != *n_out {
                    return None;
                }
                let dims = PointwiseDims {
                    cin: *n_in,
                    cout: *n_out,
                    hw: n_outputs / n_out,
                    groups: 1,
                    bias_row,
                    weight_lanes,
                    dense: true,
                };
                let direct = n_outputs.saturating_mul(n_in.div_ceil(width));
                return dims.if_cheaper(lin, width, direct);
            }
            LinearKernel::Dense { .. }
            | LinearKernel::PoolSum { .. }
            | LinearKernel::Elementwise { .. }
            | LinearKernel::Taps { .. } => return None,
        };
        if in_shape.len() != 4
            || out_shape.len() != 4
            || in_shape[0] != 1
            || out_shape[0] != 1
            || out_shape[1] != geometry.out_channels
            || bias.len() != geometry.out_channels
        {
            return None;
        }
        let win = &geometry.window;
        let unit = win.kernel == [1, 1] && win.stride == [1, 1] && win.pads == [0; 4];
        let (dims, direct) = if unit && geometry.group == 1 && in_shape[2..] == out_shape[2..] {
            let dims = PointwiseDims {
                cin: in_shape[1],
                cout: out_shape[1],
                hw: out_shape[2] * out_shape[3],
                groups: 1,
                bias_row,
                weight_lanes,
                dense: false,
            };
            let per_output = dims.cin.div_ceil(width);
            (
                dims,
                dims.cout.saturating_mul(dims.hw).saturating_mul(per_output),
            )
        } else if any_window {
            let groups = geometry.group;
            if groups == 0 || in_shape[1] % groups != 0 || out_shape[1] % groups != 0 {
                return None;
            }
            let dims = PointwiseDims {
                cin: in_shape[1]
                    .checked_mul(win.kernel[0])?
                    .checked_mul(win.kernel[1])?,
                cout: out_shape[1],
                hw: out_shape[2].checked_mul(out_shape[3])?,
                groups,
                bias_row,
                weight_lanes,
                dense: false,
            };
            let direct = geometry
                .term_counts(in_shape, out_shape)
                .into_iter()
                .map(|(terms, outputs)| outputs.saturating_mul(DotConfig::rows_for(terms, width)))
                .fold(0usize, usize::saturating_add);
            (dims, direct)
        } else {
            return None;
        };
        dims.if_cheaper(lin, width, direct)
    }

    /// These dimensions if the check takes fewer rows than the `direct` dot products, and the
    /// step's rounding offset is one value per output channel, like its bias.
    fn if_cheaper(self, lin: &Linear, width: usize, direct: usize) -> Option<Self> {
        if self.hw == 0 || self.cout == 0 || self.cin == 0 {
            return None;
        }
        // The weight dots run beside the rest, in their own columns.
        if self.rows(width).max(self.weight_rows()) >= direct {
            return None;
        }
        let per_channel = (0..self.cout).all(|co| {
            let first = lin.rescale.bias_offset(self.flat_output(co, 0));
            (1..self.hw).all(|p| lin.rescale.bias_offset(self.flat_output(co, p)) == first)
        });
        per_channel.then_some(self)
    }

    /// The step's output index of output channel `co` at position `p`: `co·HW + p` for a
    /// convolution (NCHW), `p·Cout + co` for a Dense step over `HW` rows.
    pub fn flat_output(&self, co: usize, p: usize) -> usize {
        if self.dense {
            p * self.cout + co
        } else {
            co * self.hw + p
        }
    }

    /// The step's output index of the chip's output `q` (channel-major: `q = co·HW + p`, the
    /// row it takes).
    pub fn output_of(&self, q: usize) -> usize {
        self.flat_output(q / self.hw, q % self.hw)
    }

    /// Rows of one X row's Horner sequence.
    pub fn horner_rows(&self, width: usize) -> usize {
        self.hw.div_ceil(width)
    }

    /// Horner sequences over X: its rows, and the row of ones if the bias takes one.
    pub fn x_rows(&self) -> usize {
        self.cin.saturating_add(self.bias_row as usize)
    }

    /// Rows the step takes in the dot chip's columns: one per output, and enough for the X
    /// Horner sequences.
    pub fn rows(&self, width: usize) -> usize {
        (self.cout.saturating_mul(self.hw))
            .max(self.x_rows().saturating_mul(self.horner_rows(width)))
    }

    /// X rows (and weights) per output channel: its group's.
    pub fn cin_per_group(&self) -> usize {
        self.cin / self.groups
    }

    /// Terms of each output channel's weight dot: its group's weights, and its bias if the
    /// bias takes a row.
    pub fn terms_per_channel(&self) -> usize {
        self.cin_per_group() + self.bias_row as usize
    }

    /// Rows of one output channel's weight dot: its terms, `weight_lanes` a row.
    pub fn weight_rows_per_channel(&self) -> usize {
        self.terms_per_channel().div_ceil(self.weight_lanes.max(1))
    }

    /// Rows the step takes in the weight-dot columns.
    pub fn weight_rows(&self) -> usize {
        self.cout.saturating_mul(self.weight_rows_per_channel())
    }
}

/// X of a convolution ([`PointwiseDims::of`] accepted it), row-major (Cin·kh·kw rows of HW):
/// the flat input index each entry copies, None where a tap falls on padding. The taps are
/// [`Window2d::for_each_tap`](crate::ops::window::Window2d::for_each_tap)'s, as the direct dot
/// products and the evaluators enumerate them. None unless both shapes are 4-D.
pub fn conv_columns(
    geometry: &ConvGeometry,
    in_shape: &[usize],
    out_shape: &[usize],
) -> Option<Vec<Option<usize>>> {
    let (&[_, c, h, w], &[_, _, oh, ow]) = (in_shape, out_shape) else {
        return None;
    };
    let [kh, kw] = geometry.window.kernel;
    let hw = oh.checked_mul(ow)?;
    let taps = kh.checked_mul(kw)?;
    let mut x = vec![None; c.checked_mul(taps)?.checked_mul(hw)?];
    for oy in 0..oh {
        for ox in 0..ow {
            let p = oy * ow + ox;
            geometry
                .window
                .for_each_tap(h, w, oy, ox, |ky, kx, iy, ix| {
                    for ic in 0..c {
                        x[(ic * taps + ky * kw + kx) * hw + p] = Some((ic * h + iy) * w + ix);
                    }
                });
        }
    }
    Some(x)
}

/// A step's first-phase values, kept until the challenge is known.
pub struct PendingPointwise {
    dims: PointwiseDims,
    width: usize,
    start: usize,
    weight_start: usize,
    /// X, row-major (Cin×HW), then the row of ones if the bias takes one.
    x: Vec<Option<Fr>>,
    /// Y - B, channel-major (Cout×HW).
    y: Vec<Option<Fr>>,
    /// The weight dots' factors, channel by channel: W (Cout×(Cin/groups)), each channel's
    /// committed bias after its weights if the bias takes a row.
    factors: Vec<i128>,
}

/// Where a convolution's hidden parameters are committed (cells of the pack chip): W's cells in
/// the order of [`PointwiseConfig::assign`]'s `weights`, and each output channel's bias cell
/// with its value.
pub struct CommittedParams<'a> {
    pub weights: &'a [Cell],
    pub biases: &'a [(Cell, i128)],
}

impl PointwiseConfig {
    /// The chip over `dot`'s columns; `hidden`: the weights and biases are copies of committed
    /// cells.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        dot: &DotConfig,
        any_window: bool,
        dense: bool,
        hidden: bool,
        weight_lanes: usize,
    ) -> Self {
        let h_x = meta.advice_column_in(SecondPhase);
        let h_y = meta.advice_column_in(SecondPhase);
        let s0 = meta.advice_column_in(SecondPhase);
        let d = meta.advice_column_in(SecondPhase);
        for c in [h_x, h_y, s0, d] {
            meta.enable_equality(c);
        }
        // Fixed weights: the column order of keys made before hidden weights took the check
        // (and before the weight dot had lanes: lane 0's columns first, the others after).
        let factor = |meta: &mut ConstraintSystem<Fr>| {
            if hidden {
                let column = meta.advice_column();
                meta.enable_equality(column);
                Factor::Advice(column)
            } else {
                Factor::Fixed(meta.fixed_column())
            }
        };
        let mut w = vec![factor(meta)];
        let mut s = vec![s0];
        for _ in 1..weight_lanes.max(1) {
            let lane = meta.advice_column_in(SecondPhase);
            meta.enable_equality(lane);
            s.push(lane);
            w.push(factor(meta));
        }
        // The column holding the constant zero the X Horner pads copy (and the one its row of
        // ones copies).
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
            w,
            x_horner: Steps::new(meta),
            y_horner: Steps::new(meta),
            weight_dot: Steps::new(meta),
            rho,
            any_window,
            dense,
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
        let lanes: Vec<(Factor, Column<Advice>)> =
            c.w.iter().copied().zip(c.s.iter().copied()).collect();
        running_dot_gate(meta, "pointwise: weight dot", c.weight_dot, c.d, &lanes);
        config
    }

    pub fn width(&self) -> usize {
        self.x.len()
    }

    /// Whether the chip takes its weights and biases as copies of committed cells.
    pub fn hidden_weights(&self) -> bool {
        matches!(self.w.first(), Some(Factor::Advice(_)))
    }

    /// Factors per weight-dot row.
    pub fn weight_lanes(&self) -> usize {
        self.w.len()
    }

    /// What this chip proves at dot `width`.
    pub fn check_layout(&self, width: usize) -> CheckLayout {
        CheckLayout {
            width,
            any_window: self.any_window,
            dense: self.dense,
            bias_row: self.hidden_weights(),
            weight_lanes: self.weight_lanes(),
        }
    }

    /// First phase: copies X (`inputs`, row-major Cin×HW; None is a constant zero) into the
    /// Horner lanes, places each accumulator `y[o]` (W·X + B as the prover claims it) in `acc`
    /// and its channel's bias in `bias` from row `start`, fills the weight column from
    /// `weight_start`, and enables the selectors. `weights` is W (Cout×(Cin/groups)). With hidden
    /// weights (`committed`, required then and only then, and `dims.bias_row`) `channel_bias`
    /// is the bias's fixed part (the rounding offset), X gets its row of ones, and each weight
    /// cell copies its committed cell, the channel's committed bias last. `zero` is the cell
    /// the pads copy (created on first use). The caller puts the requantization or rescale of
    /// each output on its row, and calls [`PointwiseConfig::finish`] after
    /// `region.next_phase()`.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        links: &mut Links,
        zero: &mut Option<Cell>,
        (start, weight_start): (usize, usize),
        dims: PointwiseDims,
        inputs: &[Option<Wire>],
        y: &[Option<i128>],
        channel_bias: &[i128],
        weights: &[i64],
        committed: Option<CommittedParams<'_>>,
    ) -> Result<PendingPointwise, Error> {
        let PointwiseDims {
            cin,
            cout,
            hw,
            groups,
            bias_row,
            ..
        } = dims;
        let per_group = cin.checked_div(groups).unwrap_or(0);
        if inputs.len() != cin * hw
            || y.len() != cout * hw
            || channel_bias.len() != cout
            || groups == 0
            || cin % groups != 0
            || cout % groups != 0
            || weights.len() != cout * per_group
            || dims.weight_lanes != self.weight_lanes()
        {
            return Err(Error::Synthesis);
        }
        match (&committed, self.hidden_weights()) {
            (Some(p), true)
                if bias_row && p.weights.len() == weights.len() && p.biases.len() == cout => {}
            (None, false) if !bias_row => {}
            _ => return Err(Error::Synthesis),
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
        let mut x: Vec<Option<Fr>> = inputs
            .iter()
            .map(|wire| match wire {
                Some(wire) => wire.value.map(|v| super::fe(v as i128)),
                None => Some(Fr::zero()),
            })
            .collect();
        if bias_row {
            // The row of ones after X's rows: copies of one cell constrained to the constant 1.
            assign_constant_lanes(
                region,
                (zero, &mut None),
                (&self.x, self.x_horner),
                start + cin * dims.horner_rows(w),
                hw,
                Fr::one(),
            )?;
            x.extend(std::iter::repeat_n(Some(Fr::one()), hw));
        }
        let mut y_minus_b = Vec::with_capacity(cout * hw);
        let mut factors: Vec<i128> = Vec::with_capacity(cout * dims.terms_per_channel());
        for (co, &b) in channel_bias.iter().enumerate() {
            // The Y Horner sums Y minus the fixed bias; a committed bias joins the weight dot.
            let hidden = committed.as_ref().map(|p| p.biases[co]);
            for p in 0..hw {
                let o = co * hw + p;
                let row = start + o;
                self.y_horner.enable(region, row, p == 0)?;
                region.assign_advice(self.acc, row, known_field(y[o].map(super::fe)));
                region.assign_fixed(self.bias, row, super::fe(b));
                y_minus_b.push(y[o].map(|v| super::fe(v - b)));
            }
            factors.extend(
                weights[co * per_group..(co + 1) * per_group]
                    .iter()
                    .map(|&v| v as i128),
            );
            factors.extend(hidden.map(|(_, v)| v));
        }
        // Each channel's factors, `lanes` a row, its last row padded with zero factors.
        let per_channel = dims.terms_per_channel();
        let lanes = self.weight_lanes();
        let rows_per_channel = dims.weight_rows_per_channel();
        for co in 0..cout {
            for r in 0..rows_per_channel {
                let row = weight_start + co * rows_per_channel + r;
                self.weight_dot.enable(region, row, r == 0)?;
                for (l, &factor) in self.w.iter().enumerate() {
                    let j = r * lanes + l;
                    let value = (j < per_channel).then(|| super::fe(factors[co * per_channel + j]));
                    match (factor, &committed, value) {
                        (Factor::Fixed(column), None, _) => {
                            region.assign_fixed(column, row, value.unwrap_or(Fr::zero()));
                        }
                        (Factor::Advice(column), Some(p), Some(value)) => {
                            let cell = if j < per_group {
                                p.weights[co * per_group + j]
                            } else {
                                p.biases[co].0
                            };
                            let copy = region.assign_advice(column, row, known_field(Some(value)));
                            region.constrain_equal(copy.cell(), cell);
                        }
                        // A pad of hidden factors: a copy of the constant zero.
                        (Factor::Advice(column), Some(_), None) => {
                            constant_copy(region, (column, row), Fr::zero(), zero)?;
                        }
                        _ => return Err(Error::Synthesis),
                    }
                }
            }
        }
        Ok(PendingPointwise {
            dims,
            width: w,
            start,
            weight_start,
            x,
            y: y_minus_b,
            factors,
        })
    }

    /// Second phase: the challenge-dependent Horner sums and weight dots, and the equalities
    /// tying each channel's `W·(X·r)` (plus its bias times the ones' sum, with hidden
    /// weights) to its `(Y - B)·r`.
    pub fn finish(&self, region: &mut Region<Fr>, pending: PendingPointwise) -> Result<(), Error> {
        let mut rho = None;
        region.get_challenge(self.rho).map(|r| rho = Some(r));
        let PendingPointwise {
            dims,
            width: w,
            start,
            weight_start,
            x,
            y,
            factors,
        } = pending;
        let PointwiseDims { cin, cout, hw, .. } = dims;
        let (s_cells, s_values) =
            lanes_sums(region, (self.h_x, w), start, (dims.x_rows(), hw), &x, rho)?;
        let t_cells = accumulator_sums(region, self.h_y, start, hw, &y, rho)?;
        let per_group = dims.cin_per_group();
        let per_channel = dims.terms_per_channel();
        let cout_per_group = cout / dims.groups;
        if t_cells.len() != cout || factors.len() != cout * per_channel {
            return Err(Error::Synthesis);
        }
        let lanes = self.s.len();
        let rows_per_channel = dims.weight_rows_per_channel();
        for (co, &t_cell) in t_cells.iter().enumerate() {
            let mut d = Some(Fr::zero());
            let mut last = None;
            let first = co / cout_per_group * per_group;
            for r in 0..rows_per_channel {
                let row = weight_start + co * rows_per_channel + r;
                for (l, &lane) in self.s.iter().enumerate() {
                    let j = r * lanes + l;
                    if j >= per_channel {
                        // A pad: its factor is zero.
                        region.assign_advice(lane, row, known_field(Some(Fr::zero())));
                        continue;
                    }
                    // The group's X rows, then (a bias row) the row of ones, X's last.
                    let ci = if j < per_group { first + j } else { cin };
                    let s = region.assign_advice(lane, row, known_field(s_values[ci]));
                    region.constrain_equal(s.cell(), s_cells[ci]);
                    let f = super::fe(factors[co * per_channel + j]);
                    d = d.zip(s_values[ci]).map(|(d, s)| d + f * s);
                }
                last = Some(region.assign_advice(self.d, row, known_field(d)).cell());
            }
            region.constrain_equal(last.ok_or(Error::Synthesis)?, t_cell);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
