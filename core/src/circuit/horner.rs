//! What the two Freivalds chips ([`super::pointwise`]: `Y = W·X + B`; [`super::matmul`]:
//! `C = A·B`) share: their gates and the layout of their Horner sequences. With ρ a
//! second-phase challenge and a sequence `v_0, ..., v_{n-1}` evaluated as
//! `Σ v_j·ρ^(n-1-j)`:
//!
//! - lanes Horner, `width` values per row in the dot chip's `x` lanes (copies of the
//!   sequence's cells, front-padded with copies of one constant zero to whole rows):
//!   `h = Horner(0; x_0, ..., x_{w-1})` on a sequence's first row (selector `first`), else
//!   `h = Horner(h[-1]; x_0, ..., x_{w-1})` (`next`); the last row holds the sum;
//! - accumulator Horner, one claimed accumulator per row in place: `h = acc - bias` (first),
//!   else `h = h[-1]·ρ + (acc - bias)`;
//! - running dot over `L` lanes of factor pairs: `d = Σ_l f_l·s_l` (first), else
//!   `d = d[-1] + Σ_l f_l·s_l`, with `f` a fixed column (the pointwise chip's weights) or an
//!   advice one (the matrix product's left operand, hidden weights); one lane is `f·s`.
//!
//! The gate expressions are built here exactly as each chip built them before, so the keys
//! (and model ids) of existing circuits are unchanged.

use super::{known_field, Links, Wire};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

/// The selectors of a sequence's first row and of its later rows.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    pub first: Selector,
    pub next: Selector,
}

impl Steps {
    pub fn new(meta: &mut ConstraintSystem<Fr>) -> Self {
        Steps {
            first: meta.selector(),
            next: meta.selector(),
        }
    }

    /// Enables `first` on `row` when it starts a sequence, else `next`.
    pub fn enable(&self, region: &mut Region<Fr>, row: usize, starts: bool) -> Result<(), Error> {
        if starts {
            self.first.enable(region, row)
        } else {
            self.next.enable(region, row)
        }
    }
}

/// The running dot's other factor.
#[derive(Clone, Copy, Debug)]
pub enum Factor {
    Fixed(Column<Fixed>),
    Advice(Column<Advice>),
}

/// Horner's rule in a gate: `((start·ρ + v_0)·ρ + v_1)·ρ + ...`.
fn horner_expr(
    start: Expression<Fr>,
    rho: &Expression<Fr>,
    values: Vec<Expression<Fr>>,
) -> Expression<Fr> {
    values.into_iter().fold(start, |t, v| t * rho.clone() + v)
}

pub fn lanes_horner_gate(
    meta: &mut ConstraintSystem<Fr>,
    name: &'static str,
    steps: Steps,
    h: Column<Advice>,
    lanes: &[Column<Advice>],
    rho: Challenge,
) {
    let lanes = lanes.to_vec();
    meta.create_gate(name, |meta| {
        let first = meta.query_selector(steps.first);
        let next = meta.query_selector(steps.next);
        let rho = meta.query_challenge(rho);
        let cur = meta.query_advice(h, Rotation::cur());
        let prev = meta.query_advice(h, Rotation::prev());
        let values = |meta: &mut VirtualCells<'_, Fr>| -> Vec<_> {
            lanes
                .iter()
                .map(|x| meta.query_advice(*x, Rotation::cur()))
                .collect()
        };
        let zero = Expression::Constant(Fr::zero());
        let from_zero = horner_expr(zero, &rho, values(meta));
        let from_prev = horner_expr(prev, &rho, values(meta));
        vec![first * (cur.clone() - from_zero), next * (cur - from_prev)]
    });
}

pub fn accumulator_horner_gate(
    meta: &mut ConstraintSystem<Fr>,
    name: &'static str,
    steps: Steps,
    h: Column<Advice>,
    (acc, bias): (Column<Advice>, Column<Fixed>),
    rho: Challenge,
) {
    meta.create_gate(name, |meta| {
        let first = meta.query_selector(steps.first);
        let next = meta.query_selector(steps.next);
        let rho = meta.query_challenge(rho);
        let cur = meta.query_advice(h, Rotation::cur());
        let prev = meta.query_advice(h, Rotation::prev());
        let y = meta.query_advice(acc, Rotation::cur()) - meta.query_fixed(bias, Rotation::cur());
        vec![
            first * (cur.clone() - y.clone()),
            next * (cur - prev * rho - y),
        ]
    });
}

pub fn running_dot_gate(
    meta: &mut ConstraintSystem<Fr>,
    name: &'static str,
    steps: Steps,
    d: Column<Advice>,
    lanes: &[(Factor, Column<Advice>)],
) {
    let lanes = lanes.to_vec();
    meta.create_gate(name, |meta| {
        let first = meta.query_selector(steps.first);
        let next = meta.query_selector(steps.next);
        let cur = meta.query_advice(d, Rotation::cur());
        let prev = meta.query_advice(d, Rotation::prev());
        // One lane is `f·s`, as the gate was written before it had lanes (the same key).
        let term = lanes
            .iter()
            .map(|&(factor, s)| {
                let f = match factor {
                    Factor::Fixed(c) => meta.query_fixed(c, Rotation::cur()),
                    Factor::Advice(c) => meta.query_advice(c, Rotation::cur()),
                };
                f * meta.query_advice(s, Rotation::cur())
            })
            .reduce(|sum, t| sum + t)
            .unwrap_or_else(|| Expression::Constant(Fr::zero()));
        vec![
            first * (cur.clone() - term.clone()),
            next * (cur - prev - term),
        ]
    });
}

/// `count` sequences of `len` values in the lanes: sequence `i` takes `⌈len/w⌉` rows from
/// `start + i·⌈len/w⌉`, front-padded with copies of one constant zero (`zero`, made on first
/// use), each value a copy of its wire; a missing wire (`None`, a convolution tap on padding)
/// is a copy of the same constant zero. `steps` enabled on every row.
#[allow(clippy::too_many_arguments)]
pub fn assign_lanes<W: Copy + Into<Option<Wire>>>(
    region: &mut Region<Fr>,
    links: &mut Links,
    zero: &mut Option<Cell>,
    (lanes, steps): (&[Column<Advice>], Steps),
    start: usize,
    (count, len): (usize, usize),
    wires: &[W],
) -> Result<(), Error> {
    let w = lanes.len();
    let rows = len.div_ceil(w);
    let pads = rows * w - len;
    for i in 0..count {
        for r in 0..rows {
            let row = start + i * rows + r;
            steps.enable(region, row, r == 0)?;
            for (l, &column) in lanes.iter().enumerate() {
                let at = r * w + l;
                let wire = if at < pads {
                    None
                } else {
                    (*wires.get(i * len + at - pads).ok_or(Error::Synthesis)?).into()
                };
                match wire {
                    Some(wire) => {
                        let value = wire.value.map(|v| super::fe(v as i128));
                        let cell = region.assign_advice(column, row, known_field(value)).cell();
                        links.copy(region, cell, wire.source);
                    }
                    None => constant_copy(region, (column, row), Fr::zero(), zero)?,
                }
            }
        }
    }
    Ok(())
}

/// One sequence of `len` copies of the constant `value` in the lanes from `start`, laid out as
/// [`assign_lanes`] lays a sequence (front pads copies of the constant zero, `steps` enabled):
/// every `value` a copy of the cell `slot` holds (the first, constrained to the constant, made
/// on first use), every pad of the one `zero` holds.
pub fn assign_constant_lanes(
    region: &mut Region<Fr>,
    (zero, slot): (&mut Option<Cell>, &mut Option<Cell>),
    (lanes, steps): (&[Column<Advice>], Steps),
    start: usize,
    len: usize,
    value: Fr,
) -> Result<(), Error> {
    let w = lanes.len();
    let rows = len.div_ceil(w);
    let pads = rows * w - len;
    for r in 0..rows {
        let row = start + r;
        steps.enable(region, row, r == 0)?;
        for (l, &column) in lanes.iter().enumerate() {
            if r * w + l < pads {
                constant_copy(region, (column, row), Fr::zero(), zero)?;
            } else {
                constant_copy(region, (column, row), value, slot)?;
            }
        }
    }
    Ok(())
}

/// Assigns the constant `value` at `(column, row)`: a copy of the cell `slot` holds, or, the
/// first time, that cell itself, constrained to the constant.
pub(super) fn constant_copy(
    region: &mut Region<Fr>,
    (column, row): (Column<Advice>, usize),
    value: Fr,
    slot: &mut Option<Cell>,
) -> Result<(), Error> {
    let cell = region
        .assign_advice(column, row, known_field(Some(value)))
        .cell();
    match slot {
        Some(c) => region.constrain_equal(cell, *c),
        None => {
            region.constrain_constant(cell, value)?;
            *slot = Some(cell);
        }
    }
    Ok(())
}

/// The second phase of [`assign_lanes`]'s sequences in column `h`: each sequence's sum's cell
/// and value.
pub fn lanes_sums(
    region: &mut Region<Fr>,
    (h, width): (Column<Advice>, usize),
    start: usize,
    (count, len): (usize, usize),
    values: &[Option<Fr>],
    rho: Option<Fr>,
) -> Result<(Vec<Cell>, Vec<Option<Fr>>), Error> {
    let rows = len.div_ceil(width);
    let pads = rows * width - len;
    let (mut cells, mut sums) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for i in 0..count {
        let mut sum = Some(Fr::zero());
        let mut last = None;
        for r in 0..rows {
            for l in 0..width {
                let at = r * width + l;
                let v = if at < pads {
                    Some(Fr::zero())
                } else {
                    *values.get(i * len + at - pads).ok_or(Error::Synthesis)?
                };
                sum = sum.zip(rho).zip(v).map(|((s, rho), v)| s * rho + v);
            }
            let row = start + i * rows + r;
            last = Some(region.assign_advice(h, row, known_field(sum)).cell());
        }
        cells.push(last.ok_or(Error::Synthesis)?);
        sums.push(sum);
    }
    Ok((cells, sums))
}

/// The accumulator Horner sums in column `h`, one value per row from `start`, sequences of
/// `len`: each sequence's sum's cell.
pub fn accumulator_sums(
    region: &mut Region<Fr>,
    h: Column<Advice>,
    start: usize,
    len: usize,
    values: &[Option<Fr>],
    rho: Option<Fr>,
) -> Result<Vec<Cell>, Error> {
    let mut cells = Vec::with_capacity(values.len() / len.max(1));
    for (i, chunk) in values.chunks(len.max(1)).enumerate() {
        let mut sum = Some(Fr::zero());
        let mut last = None;
        for (j, &v) in chunk.iter().enumerate() {
            sum = sum.zip(rho).zip(v).map(|((s, rho), v)| s * rho + v);
            let row = start + i * len + j;
            last = Some(region.assign_advice(h, row, known_field(sum)).cell());
        }
        cells.push(last.ok_or(Error::Synthesis)?);
    }
    Ok(cells)
}
