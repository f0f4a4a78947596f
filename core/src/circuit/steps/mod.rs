//! The layout of each step kind, one file per kind (the data-movement kinds share one). Each
//! lays out one step from the next free rows of the chips it uses, advancing them, and returns
//! the wires of the step's output:
//!
//! - [`linear`]: Conv, Dense, pooling sums — dot products, each rescaled or requantized and
//!   activated (or a pointwise convolution's randomized check);
//! - [`max_pool`]: max pooling windows in the max chip;
//! - [`movement`]: Reshape, Slice, Concat and Gather — wires rearranged, no rows (but Gather's
//!   proven zero);
//! - [`quantized_add`]: TFLite's ADD and SUB — each input through its requantization map, the
//!   sum (or difference) requantized and clamped;
//! - [`quantized_mul`]: TFLite's MUL — the product of two computed tensors, requantized and
//!   clamped;
//! - [`squared_difference`]: TFLite's SQUARED_DIFFERENCE — both inputs through their maps, the
//!   difference squared on a product row, requantized and clamped;
//! - [`embedding`]: a token embedding's rows looked up by id in its fixed table;
//! - [`softmax`]: TFLite's int8 SOFTMAX — the row max in the max chip, the reference kernel's
//!   fixed-point arithmetic in the arithmetic chip;
//! - [`lookup`]: an 8-bit tensor through an explicit table (TFLite's elementwise operators);
//! - [`product`]: the elementwise product of two computed tensors, rescaled;
//! - [`matmul`]: the matrix product of two computed tensors by Freivalds' check, rescaled.
//!
//! The rows are those [`super::plan`] counts, and the order in which cells are assigned is part
//! of the circuit (the keys, and so the model ids): a change here is a new circuit.

mod embedding;
mod linear;
mod lookup;
mod matmul;
mod max_pool;
mod movement;
mod product;
mod quantized_add;
mod quantized_mul;
pub(super) mod softmax;
mod squared_difference;

use super::io::ParamCells;
use super::matmul::PendingMatMul;
use super::pointwise::PendingPointwise;
use super::requant::RequantParams;
use super::table::{self, TableSpec};
use super::{Links, ModelConfig, Wire};
use crate::qgraph::{Activation, QGraph, QuantizedMultiplier, Term};
use halo2_proofs::circuit::{Cell, Region};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

/// The randomized checks whose second half needs the challenge drawn after the first phase.
pub(super) struct SecondPhase {
    pub pointwise: Vec<PendingPointwise>,
    pub matmul: Vec<PendingMatMul>,
}

/// The state of a model's layout while its steps are laid out.
pub(super) struct StepLayout<'a, 'r> {
    config: &'a ModelConfig,
    region: &'a mut Region<'r, Fr>,
    links: &'a mut Links,
    graph: &'a QGraph,
    /// Every tensor's integers when proving, None for key generation.
    values: Option<&'a Vec<Vec<i64>>>,
    spec: TableSpec,
    /// Each tensor's wires, filled as the steps producing them are laid out.
    pub wires: Vec<Vec<Wire>>,
    /// Each step's parameter cells when the weights are hidden.
    param_cells: ParamCells,
    /// The next free rows of the dot (and rescale/requantization) columns, of the max chip, and
    /// of the pointwise chip's weight dots.
    dot_row: usize,
    max_row: usize,
    weight_row: usize,
    /// The next free row of the arithmetic chip (softmax steps).
    arith_row: usize,
    /// Pointwise convolutions' first-phase halves, finished in the second phase.
    pending: Vec<PendingPointwise>,
    /// Matrix products' first-phase halves, finished in the second phase.
    pending_matmul: Vec<PendingMatMul>,
    /// The zero cell the pointwise and matrix-product chips' pads copy, made on first need.
    zero_cell: Option<Cell>,
    /// The proven zero that padding picks, made on first need.
    zero_wire: Option<Wire>,
    /// Scratch: a linear output's terms and their hidden weight cells.
    terms: Vec<Term>,
    hidden_cells: Vec<Option<Cell>>,
    /// Embedding steps laid out so far (the next one's tag is this plus one).
    embeddings_laid_out: usize,
}

impl<'a, 'r> StepLayout<'a, 'r> {
    /// Steps laid out from row 0 of their chips, after the input (`wires`) and the hidden
    /// weights (`param_cells`).
    pub fn new(
        config: &'a ModelConfig,
        region: &'a mut Region<'r, Fr>,
        links: &'a mut Links,
        graph: &'a QGraph,
        values: Option<&'a Vec<Vec<i64>>>,
        wires: Vec<Vec<Wire>>,
        param_cells: ParamCells,
    ) -> Self {
        StepLayout {
            config,
            region,
            links,
            graph,
            values,
            spec: TableSpec::of(graph),
            wires,
            param_cells,
            dot_row: 0,
            max_row: 0,
            weight_row: 0,
            arith_row: 0,
            pending: Vec::new(),
            pending_matmul: Vec::new(),
            zero_cell: None,
            zero_wire: None,
            terms: Vec::new(),
            hidden_cells: Vec::new(),
            embeddings_laid_out: 0,
        }
    }

    /// Every tensor's wires, and the pointwise checks and matrix products left for the second
    /// phase.
    pub fn finish(self) -> (Vec<Vec<Wire>>, SecondPhase) {
        (
            self.wires,
            SecondPhase {
                pointwise: self.pending,
                matmul: self.pending_matmul,
            },
        )
    }

    /// Element `i` of tensor `t`, when proving.
    fn value(&self, t: usize, i: usize) -> Option<i64> {
        self.values.map(|v| v[t][i])
    }

    /// One table-map row: `x` as a one-term dot product (its divide-by-1 accumulator) whose
    /// output `y` is looked up as `(tag, x, y)`, on an identity rescale row or, in shapes
    /// without the rescale chip, on the requantization chip's map row. TFLite ADD's input maps
    /// and the 8-bit lookups both use it.
    fn map_row(&mut self, x: Wire, tag: u64, y: Option<i64>) -> Result<Wire, Error> {
        let config = self.config;
        let (_, acc) =
            config
                .dot
                .assign(self.region, self.links, self.dot_row, &[x], &[1], 0, None)?;
        let out = match (&config.rescale, &config.requant) {
            (Some(rescale), _) => rescale.assign(
                self.region,
                self.dot_row,
                acc,
                1,
                None,
                Activation::Identity,
                tag,
                y,
            )?,
            (None, Some(requant)) => requant.assign_map(self.region, self.dot_row, tag, y)?,
            (None, None) => return Err(Error::Synthesis),
        };
        self.dot_row += 1;
        Ok(out)
    }

    /// The fixed-point chip's parameters for a TFLite output requantized by `multiplier` onto
    /// zero point `zp` and clamped to `[lo, hi]` in the stored domain, with that clamp's tag.
    fn clamped_requant(
        &self,
        multiplier: QuantizedMultiplier,
        zp: i64,
        lo: i64,
        hi: i64,
    ) -> Result<(RequantParams, u64), Error> {
        let params = RequantParams {
            multiplier,
            zp_in: zp,
            zp_out: zp,
            lo,
            hi,
            ties_up: false,
        };
        Ok((params, self.tag_of(Activation::Clip { lo, hi })?))
    }

    /// The lookup table's tag of an activation.
    fn tag_of(&self, act: Activation) -> Result<u64, Error> {
        match act {
            Activation::Identity => Ok(table::TAG_IDENTITY),
            Activation::Relu => Ok(table::TAG_RELU),
            Activation::Clip { lo, hi } => self.spec.clip_tag(lo, hi).ok_or(Error::Synthesis),
            Activation::Table(t) => self.spec.function_tag(&t).ok_or(Error::Synthesis),
        }
    }

    /// Elements of tensor `t`.
    fn len(&self, t: usize) -> usize {
        self.graph.tensors[t].len()
    }
}
