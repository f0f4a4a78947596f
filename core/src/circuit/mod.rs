//! The halo2 circuit for a quantized graph. A circuit is a value built from a [`QGraph`]; its
//! column layout depends only on the small [`CircuitShape`], which is all a verifier needs to
//! rebuild the constraint system.
//!
//! Layout: everything lives in one region with explicit row offsets (this halo2 fork's
//! SimpleFloorPlanner does not stack regions). Linear steps fill the dot/rescale columns from row
//! 0 downwards, one dot product per output element, with the rescale on its last row; max-pool
//! windows fill their own columns from row 0 in parallel. The lookup table occupies its own
//! fixed columns. With hidden weights or hashed/hidden tensors, the pack and Poseidon chips
//! fill their own columns from row 0 as well.
//!
//! Public values are the instance column, in this order: the input (its integers, its hash, or
//! nothing), the output (likewise), then the model commitment if the weights are hidden.

pub mod dot;
pub mod limits;
pub mod link;
pub mod max;
pub mod pack;
pub mod pointwise;
pub mod poseidon;
pub mod requant;
pub mod rescale;
pub mod table;

pub use link::{LinkBlinding, LINK_BLINDING_ROWS};

use crate::ops::gather::{Gather, Pick};
use crate::qgraph::{Activation, LinearKernel, QGraph, QStep, Rounding, StepKind, Term};
use dot::{DotConfig, HiddenWeights};
use halo2_proofs::circuit::{Cell, Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use max::MaxConfig;
use pack::{PackConfig, Packable, Packed};
use pointwise::{PendingPointwise, PointwiseConfig, PointwiseDims};
use poseidon::{Message, PoseidonConfig};
use requant::{RequantConfig, RequantParams};
use rescale::RescaleConfig;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use table::{AddInputMap, TableConfig, TableSpec};

/// Integer to field element (negative numbers map to p - |v|).
pub fn fe(v: i128) -> Fr {
    // `from_u128` costs 64 doublings; nearly every value fits in a u64 (one multiplication).
    let magnitude = match u64::try_from(v.unsigned_abs()) {
        Ok(small) => Fr::from(small),
        Err(_) => Fr::from_u128(v.unsigned_abs()),
    };
    if v < 0 {
        -magnitude
    } else {
        magnitude
    }
}

pub(crate) fn known(v: Option<impl Into<i128>>) -> Value<Fr> {
    match v {
        Some(v) => Value::known(fe(v.into())),
        None => Value::unknown(),
    }
}

pub(crate) fn known_field(v: Option<Fr>) -> Value<Fr> {
    v.map_or(Value::unknown(), Value::known)
}

/// Where a value lives: an advice cell, or a row of the public instance column.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Advice(Cell),
    Instance(usize),
}

/// A value flowing between chips; `value` is None while generating keys.
#[derive(Clone, Copy, Debug)]
pub struct Wire {
    pub source: Source,
    pub value: Option<i64>,
}

/// Equality constraints to instance rows, applied once the region is laid out.
#[derive(Default)]
pub struct Links {
    instance: Vec<(Cell, usize)>,
}

impl Links {
    /// Constrains `cell` to equal the value at `source`.
    pub fn copy(&mut self, region: &mut Region<Fr>, cell: Cell, source: Source) {
        match source {
            Source::Advice(c) => region.constrain_equal(cell, c),
            Source::Instance(row) => self.instance.push((cell, row)),
        }
    }

    /// Makes `cell` public at instance `row`.
    pub fn expose(&mut self, cell: Cell, row: usize) {
        self.instance.push((cell, row));
    }

    fn apply(self, layouter: &mut impl Layouter<Fr>, column: Column<Instance>) {
        for (cell, row) in self.instance {
            layouter.constrain_instance(cell, column, row);
        }
    }
}

/// Whether a model's Conv/Dense weights are public constants of the circuit (in the verifying
/// key) or a private witness bound to a public commitment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum WeightVisibility {
    #[default]
    Fixed,
    Hidden,
}

/// How the input or output appears in a proof: its integers, only their Poseidon hash (salted,
/// for an input), not at all, or as the commitment to a link column (a segment's tensor at a
/// cut, see [`crate::segment`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum TensorVisibility {
    #[default]
    Public,
    Hashed,
    Hidden,
    /// The values fill rows 0.. of an unblinded advice column whose commitment, read from the
    /// proof, links this proof to the neighbouring segment's proof holding the same column.
    Linked,
    /// Public like `Public` (the bundle carries the integers), but the instance holds them
    /// packed [`crate::poseidon::limbs_per_element`] to a field element, as the hash's message
    /// is, range-checked by the pack chip: a large input (an image's 150,528 pixels) costs the
    /// verifier a fifteenth (16-bit activations) to a thirty-first (8-bit) of the transcript
    /// absorptions and Lagrange coefficients.
    Packed,
    /// Only the Poseidon hash of a salt and the integers (inputs only): the salt, a field
    /// element the consumer draws, sends with its input and keeps, makes the hash hiding (no
    /// one without it can test a guessed input against a bundle, receipt or report) and
    /// unlinkable (two requests with the same input have unrelated hashes). `Hashed` is the
    /// unsalted hash, for keys made before salts existed and inputs that are public anyway.
    Salted,
}

impl TensorVisibility {
    /// Whether a proof bundle carries the tensor's integers.
    pub fn carries_values(self) -> bool {
        matches!(self, TensorVisibility::Public | TensorVisibility::Packed)
    }

    /// Whether a proof carries the tensor's Poseidon hash (salted or not).
    pub fn is_hashed(self) -> bool {
        matches!(self, TensorVisibility::Hashed | TensorVisibility::Salted)
    }

    /// The name a key, the CLI and the WASM verifier spell it with.
    pub fn name(self) -> &'static str {
        match self {
            TensorVisibility::Public => "public",
            TensorVisibility::Hashed => "hashed",
            TensorVisibility::Hidden => "hidden",
            TensorVisibility::Linked => "linked",
            TensorVisibility::Packed => "packed",
            TensorVisibility::Salted => "salted",
        }
    }
}

/// What a proof reveals, chosen at compile time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Visibility {
    pub weights: WeightVisibility,
    pub input: TensorVisibility,
    pub output: TensorVisibility,
}

impl Visibility {
    /// Everything public, weights in the verifying key.
    pub const PUBLIC: Visibility = Visibility {
        weights: WeightVisibility::Fixed,
        input: TensorVisibility::Public,
        output: TensorVisibility::Public,
    };
    /// Everything public, weights in the verifying key, the input packed into few public field
    /// elements (what a large public input should be).
    pub const PUBLIC_PACKED_INPUT: Visibility = Visibility {
        weights: WeightVisibility::Fixed,
        input: TensorVisibility::Packed,
        output: TensorVisibility::Public,
    };
    /// The default for a served model: weights hidden and committed, input hashed with the
    /// consumer's salt, output public.
    pub const SERVED: Visibility = Visibility {
        weights: WeightVisibility::Hidden,
        input: TensorVisibility::Salted,
        output: TensorVisibility::Public,
    };

    /// Whether the circuit needs the pack chip (hashing, or a packed public tensor).
    pub fn needs_packing(&self) -> bool {
        self.needs_hashing()
            || self.input == TensorVisibility::Packed
            || self.output == TensorVisibility::Packed
    }

    /// Whether the circuit needs the pack and Poseidon chips.
    pub fn needs_hashing(&self) -> bool {
        use TensorVisibility::{Hashed, Hidden, Salted};
        self.weights == WeightVisibility::Hidden
            || matches!(self.input, Hashed | Salted | Hidden)
            || matches!(self.output, Hashed | Salted | Hidden)
    }

    pub fn hidden_weights(&self) -> bool {
        self.weights == WeightVisibility::Hidden
    }

    /// Refuses what no circuit can be made for: a salted output (only the consumer, who sends
    /// the input, has a salt to absorb).
    pub fn check(&self) -> crate::error::Result<()> {
        if self.output == TensorVisibility::Salted {
            return Err(crate::error::Error::UnsupportedShape {
                field: "visibility",
                value: "output salted".into(),
                limit: "only the input can be salted (the consumer's salt): hash the output \
                        unsalted, or keep it public or hidden"
                    .into(),
            });
        }
        Ok(())
    }

    /// Whether this is a segment of a chain: an input or output linked to a neighbour.
    pub fn is_segment(&self) -> bool {
        self.input == TensorVisibility::Linked || self.output == TensorVisibility::Linked
    }
}

/// Everything `configure` depends on. Stored in the verifier key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CircuitShape {
    /// Products per dot-product row.
    pub dot_width: usize,
    /// B: the activation/lookup domain is [-2^(B-1), 2^(B-1)).
    pub act_bits: u32,
    /// Keys written before visibilities existed are all-public.
    #[serde(default)]
    pub visibility: Visibility,
    /// Whether the circuit has the fixed-point requantization chip (TFLite's integer models).
    #[serde(default)]
    pub fixed_point: bool,
    /// Whether pointwise convolutions are proven by the randomized check of
    /// [`pointwise`] (fixed weights only); the circuit then has a second phase.
    #[serde(default)]
    pub freivalds: bool,
    /// Whether the max-pool chip is left out (the graph has no max pooling).
    #[serde(default)]
    pub no_max_pool: bool,
    /// Whether the half-up rescale chip is left out (the graph divides nothing that way: no
    /// half-up rescale and no TFLite ADD, whose input maps use it).
    #[serde(default)]
    pub no_rescale: bool,
    /// Whether some requantization rounds its last shift's ties up (TFLite's int8 CONV_2D and
    /// FULLY_CONNECTED): the requantization chip then has a column choosing the rounding.
    #[serde(default)]
    pub ties_up: bool,
    /// Whether some rescale rounds a raw sum half away from zero (TFLite's int8 average pools):
    /// the rescale chip then has the columns that detect negative ties.
    #[serde(default)]
    pub raw_ties: bool,
    /// Whether the graph multiplies two computed tensors ([`crate::ops::mul`]): the dot chip
    /// then has its advice-weight columns even when the weights are fixed.
    #[serde(default)]
    pub products: bool,
}

/// In the verifier key's JSON header, the flags from `fixed_point` on are written only when set,
/// so the keys (and model ids, their hashes) of every model without them are what they were
/// before they existed. Binary encodings (bincode, in `compiled.bin`) always carry them: they
/// cannot skip fields.
impl Serialize for CircuitShape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let readable = s.is_human_readable();
        let flags = [
            ("fixed_point", self.fixed_point),
            ("freivalds", self.freivalds),
            ("no_max_pool", self.no_max_pool),
            ("no_rescale", self.no_rescale),
            ("ties_up", self.ties_up),
            ("raw_ties", self.raw_ties),
            ("products", self.products),
        ];
        let written = flags.iter().filter(|(_, on)| *on || !readable).count();
        let mut st = s.serialize_struct("CircuitShape", 3 + written)?;
        st.serialize_field("dot_width", &self.dot_width)?;
        st.serialize_field("act_bits", &self.act_bits)?;
        st.serialize_field("visibility", &self.visibility)?;
        for (name, on) in flags {
            if on || !readable {
                st.serialize_field(name, &on)?;
            } else {
                st.skip_field(name)?;
            }
        }
        st.end()
    }
}

impl Default for CircuitShape {
    fn default() -> Self {
        CircuitShape {
            dot_width: 1,
            act_bits: 8,
            visibility: Visibility::PUBLIC,
            fixed_point: false,
            freivalds: false,
            no_max_pool: false,
            no_rescale: false,
            ties_up: false,
            raw_ties: false,
            products: false,
        }
    }
}

/// A tensor's part of the public values.
#[derive(Clone, Copy, Debug)]
pub enum PublicPart<'a> {
    Values(&'a [i64]),
    /// Values packed as [`crate::poseidon::pack_limbs`] packs one-limb integers of these bits.
    Packed(&'a [i64], u32),
    Hash(Fr),
    Hidden,
}

/// The instance column: input part, output part, then the model commitment (if any).
pub fn instance_vector(
    input: PublicPart<'_>,
    output: PublicPart<'_>,
    commitment: Option<Fr>,
) -> Vec<Fr> {
    let mut out = Vec::new();
    for part in [input, output] {
        match part {
            PublicPart::Values(v) => out.extend(v.iter().map(|&x| fe(x as i128))),
            // The verifier range-checks the values first (see `check_tensor`); a value out of
            // range here adds nothing, and the instance length then fails verification.
            PublicPart::Packed(v, bits) => {
                out.extend(crate::poseidon::pack_limbs(v, bits).unwrap_or_default())
            }
            PublicPart::Hash(h) => out.push(h),
            PublicPart::Hidden => {}
        }
    }
    out.extend(commitment);
    out
}

/// Instance rows a tensor of `n` values takes under `vis` (with `act_bits`-bit activations).
pub fn public_len(vis: TensorVisibility, n: usize, act_bits: u32) -> usize {
    match vis {
        TensorVisibility::Public => n,
        TensorVisibility::Packed => n.div_ceil(crate::poseidon::limbs_per_element(act_bits)),
        TensorVisibility::Hashed | TensorVisibility::Salted => 1,
        TensorVisibility::Hidden | TensorVisibility::Linked => 0,
    }
}

#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub instance: Column<Instance>,
    pub table: TableConfig,
    pub dot: DotConfig,
    /// Absent when the shape leaves the chip out.
    pub rescale: Option<RescaleConfig>,
    pub max: Option<MaxConfig>,
    /// Present for graphs with TFLite's fixed-point requantization.
    pub requant: Option<RequantConfig>,
    /// Present when pointwise convolutions are proven by the randomized check.
    pub pointwise: Option<PointwiseConfig>,
    /// Present when something is hashed or committed.
    pub pack: Option<PackConfig>,
    pub poseidon: Option<PoseidonConfig>,
    /// The unblinded link columns of a linked input and a linked output.
    pub link_in: Option<Column<Advice>>,
    pub link_out: Option<Column<Advice>>,
}

impl ModelConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: &CircuitShape) -> Self {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        // Link columns come first, so they exist (and take column indices) only in linked
        // shapes: every other shape's constraint system is unchanged.
        let mut link = |v: TensorVisibility| {
            (v == TensorVisibility::Linked).then(|| {
                let column = meta.unblinded_advice_column();
                meta.enable_equality(column);
                column
            })
        };
        let link_in = link(shape.visibility.input);
        let link_out = link(shape.visibility.output);
        let table = TableConfig::configure(meta, shape.act_bits);
        let dot = DotConfig::configure(
            meta,
            shape.dot_width,
            shape.visibility.hidden_weights() || shape.products,
        );
        let rescale = (!shape.no_rescale)
            .then(|| RescaleConfig::configure(meta, dot.acc, &table, shape.raw_ties));
        let max = (!shape.no_max_pool).then(|| MaxConfig::configure(meta, &table));
        let requant = shape.fixed_point.then(|| {
            RequantConfig::configure(meta, dot.acc, &table, shape.no_rescale, shape.ties_up)
        });
        let pointwise = (shape.freivalds && !shape.visibility.hidden_weights())
            .then(|| PointwiseConfig::configure(meta, &dot));
        let hashing = shape.visibility.needs_hashing();
        let pack = shape
            .visibility
            .needs_packing()
            .then(|| PackConfig::configure(meta, &table));
        let poseidon = hashing.then(|| PoseidonConfig::configure(meta));
        ModelConfig {
            instance,
            table,
            dot,
            rescale,
            max,
            requant,
            pointwise,
            pack,
            poseidon,
            link_in,
            link_out,
        }
    }

    /// The advice column indices of the input and output link columns of `shape`.
    pub fn link_columns(shape: &CircuitShape) -> (Option<usize>, Option<usize>) {
        let mut cs = ConstraintSystem::<Fr>::default();
        let config = ModelConfig::configure(&mut cs, shape);
        (
            config.link_in.map(|c| c.index()),
            config.link_out.map(|c| c.index()),
        )
    }
}

/// The circuit proving `graph` on one input. `values` holds every tensor's integers (from
/// [`QGraph::evaluate`]) when proving, and is None for key generation. Step outputs are taken
/// from `values` as given (intermediate quotients and remainders are derived), so a witness that
/// disagrees with the integer semantics anywhere makes the constraints fail.
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    pub shape: CircuitShape,
    pub graph: Arc<QGraph>,
    pub values: Option<Arc<Vec<Vec<i64>>>>,
    /// The model commitment's salt (hidden weights only; a private witness).
    pub salt: Fr,
    /// The salt of a salted input's hash (a private witness; None for any other input).
    pub input_salt: Option<Fr>,
    /// The blinding rows of the link columns (a segment of a chain; see [`LinkBlinding`]).
    pub link_blinding: LinkBlinding,
}

impl ModelCircuit {
    /// The public instance column for this input and output under the circuit's visibility.
    pub fn instance(&self, input: &[i64], output: &[i64]) -> crate::error::Result<Vec<Fr>> {
        let vis = self.shape.visibility;
        let act_bits = self.graph.act_bits;
        let part = |v: TensorVisibility, values, salt| -> crate::error::Result<PublicPart<'_>> {
            Ok(match v {
                TensorVisibility::Public => PublicPart::Values(values),
                TensorVisibility::Packed => PublicPart::Packed(values, act_bits),
                TensorVisibility::Hashed | TensorVisibility::Salted => PublicPart::Hash(
                    crate::commitment::public_hash(v, values, act_bits, salt)?
                        .ok_or(crate::error::Error::Synthesis("a hash".into()))?,
                ),
                TensorVisibility::Hidden | TensorVisibility::Linked => PublicPart::Hidden,
            })
        };
        let commitment = vis
            .hidden_weights()
            .then(|| crate::commitment::model_commitment(&self.graph, self.salt));
        Ok(instance_vector(
            part(vis.input, input, self.input_salt)?,
            part(vis.output, output, None)?,
            commitment,
        ))
    }

    /// Packs `items` (and hashes them if `hash`), exposing the digest at instance `row`.
    #[allow(clippy::too_many_arguments)]
    fn pack_and_hash(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
        salt: Option<Option<Fr>>,
        expose_at: Option<usize>,
    ) -> Result<Vec<Cell>, Error> {
        let packed = Self::pack(config, region, links, rows, items)?;
        if let Some(row) = expose_at {
            let pack = config.pack.as_ref().ok_or(Error::Synthesis)?;
            let hasher = config.poseidon.as_ref().ok_or(Error::Synthesis)?;
            let mut messages = Vec::with_capacity(packed.messages.len() + 1);
            if let Some(salt) = salt {
                // The salt is a free witness in a row of the packed column that no gate reads.
                let cell = region
                    .assign_advice(pack.packed, rows.0, known_field(salt))
                    .cell();
                rows.0 += 1;
                messages.push(Message { cell, value: salt });
            }
            messages.extend(packed.messages);
            let (digest, _) = hasher.assign(region, rows.1, &messages)?;
            rows.1 += PoseidonConfig::rows_for(messages.len());
            links.expose(digest, row);
        }
        Ok(packed.values)
    }

    /// Lays out `items` in the pack chip from its next free row (`rows.0`).
    fn pack(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
    ) -> Result<Packed, Error> {
        let pack = config.pack.as_ref().ok_or(Error::Synthesis)?;
        let packed = pack.assign(region, links, rows.0, items)?;
        rows.0 += packed.rows;
        Ok(packed)
    }

    /// Packs `items` and exposes the packed elements at instance rows `first`..
    fn pack_and_expose(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        rows: &mut (usize, usize),
        items: &[Packable],
        first: usize,
    ) -> Result<Vec<Cell>, Error> {
        let packed = Self::pack(config, region, links, rows, items)?;
        for (j, message) in packed.messages.iter().enumerate() {
            links.expose(message.cell, first + j);
        }
        Ok(packed.values)
    }

    fn layout(
        &self,
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
    ) -> Result<(), Error> {
        let g = &self.graph;
        let values = self.values.as_deref();
        let value = |t: usize, i: usize| values.map(|v| v[t][i]);
        let vis = self.shape.visibility;
        let n_in = g.input_tensor().len();
        let in_len = public_len(vis.input, n_in, g.act_bits);
        let out_len = public_len(vis.output, g.output_tensor().len(), g.act_bits);
        // (pack row, Poseidon row): the next free rows of those chips.
        let mut hash_rows = (0usize, 0usize);
        let mut wires: Vec<Vec<Wire>> = vec![vec![]; g.tensors.len()];
        wires[g.input] = match vis.input {
            TensorVisibility::Linked => {
                // The previous segment range-checked these values; equal link commitments make
                // them the same values.
                let column = config.link_in.ok_or(Error::Synthesis)?;
                let blind = self.link_blinding.input.as_ref();
                LinkBlinding::assign(region, column, n_in, blind, values.is_some());
                (0..n_in)
                    .map(|i| {
                        let v = value(g.input, i);
                        let cell = region.assign_advice(column, i, known(v)).cell();
                        Wire {
                            source: Source::Advice(cell),
                            value: v,
                        }
                    })
                    .collect()
            }
            TensorVisibility::Public => (0..n_in)
                .map(|i| Wire {
                    source: Source::Instance(i),
                    value: value(g.input, i),
                })
                .collect(),
            TensorVisibility::Packed
            | TensorVisibility::Hashed
            | TensorVisibility::Salted
            | TensorVisibility::Hidden => {
                // The input lives in range-checked advice cells (its packing public, hashed, or
                // neither).
                let items: Vec<Packable> = (0..n_in)
                    .map(|i| Packable {
                        value: value(g.input, i),
                        limbs: 1,
                        source: None,
                    })
                    .collect();
                let cells = if vis.input == TensorVisibility::Packed {
                    Self::pack_and_expose(config, region, links, &mut hash_rows, &items, 0)?
                } else {
                    let expose = vis.input.is_hashed().then_some(0);
                    // The salt's cell is a free witness: unknown at key generation.
                    let salt = (vis.input == TensorVisibility::Salted)
                        .then(|| values.and(self.input_salt));
                    Self::pack_and_hash(
                        config,
                        region,
                        links,
                        &mut hash_rows,
                        &items,
                        salt,
                        expose,
                    )?
                };
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(i, cell)| Wire {
                        source: Source::Advice(cell),
                        value: value(g.input, i),
                    })
                    .collect()
            }
        };
        // Hidden weights: lay out and commit every parameter first; dot products copy them.
        let mut param_cells: Vec<Option<(Vec<Cell>, Vec<Cell>)>> = vec![None; g.steps.len()];
        if vis.hidden_weights() {
            let tensors = crate::commitment::param_tensors(g);
            let mut items = Vec::new();
            for t in &tensors {
                items.extend(t.values.iter().map(|&v| Packable {
                    value: Some(v),
                    limbs: t.limbs,
                    source: None,
                }));
            }
            let salt = self.values.as_ref().map(|_| self.salt);
            let cells = Self::pack_and_hash(
                config,
                region,
                links,
                &mut hash_rows,
                &items,
                Some(salt),
                Some(in_len + out_len),
            )?;
            let mut at = 0;
            for t in &tensors {
                let these = cells[at..at + t.values.len()].to_vec();
                at += t.values.len();
                let entry = param_cells[t.step].get_or_insert_with(|| (vec![], vec![]));
                if t.is_bias {
                    entry.1 = these;
                } else {
                    entry.0 = these;
                }
            }
        }
        let spec = TableSpec::of(g);
        let tag_of = |act: Activation| -> Result<u64, Error> {
            match act {
                Activation::Identity => Ok(table::TAG_IDENTITY),
                Activation::Relu => Ok(table::TAG_RELU),
                Activation::Clip { lo, hi } => spec.clip_tag(lo, hi).ok_or(Error::Synthesis),
                Activation::Table(t) => spec.function_tag(&t).ok_or(Error::Synthesis),
            }
        };
        let (mut dot_row, mut max_row, mut weight_row) = (0, 0, 0);
        // Pointwise convolutions' first-phase halves, finished in the second phase.
        let mut pending: Vec<PendingPointwise> = Vec::new();
        let mut zero_cell = None;
        // The proven zero that padding picks, made on first need.
        let mut zero_wire: Option<Wire> = None;
        let mut terms = Vec::new();
        let mut hidden_cells = Vec::new();
        for (step_index, step) in g.steps.iter().enumerate() {
            let n_out = g.tensors[step.output].len();
            let mut out = Vec::with_capacity(n_out);
            match &step.kind {
                StepKind::Reshape => out = wires[step.inputs[0]].clone(),
                StepKind::Slice { start } => {
                    out = wires[step.inputs[0]]
                        .get(*start..*start + n_out)
                        .ok_or(Error::Synthesis)?
                        .to_vec()
                }
                StepKind::Concat => {
                    out = step
                        .inputs
                        .iter()
                        .flat_map(|&t| wires[t].iter().copied())
                        .collect()
                }
                StepKind::Product(p) => {
                    let (a, b) = (&wires[step.inputs[0]], &wires[step.inputs[1]]);
                    let rescale = config.rescale.as_ref().ok_or(Error::Synthesis)?;
                    for (o, &j) in p.second.iter().enumerate() {
                        let x = *a.get(o).ok_or(Error::Synthesis)?;
                        let w = *b.get(j as usize).ok_or(Error::Synthesis)?;
                        let acc = config.dot.assign_product(
                            region,
                            links,
                            dot_row,
                            x,
                            w,
                            (p.divisor() / 2) as i128,
                        )?;
                        out.push(rescale.assign(
                            region,
                            dot_row,
                            acc,
                            p.divisor(),
                            None,
                            Activation::Identity,
                            table::TAG_IDENTITY,
                            value(step.output, o),
                        )?);
                        dot_row += 1;
                    }
                }
                StepKind::Gather { picks } => {
                    if Gather::has_zeros(picks) && zero_wire.is_none() {
                        zero_wire = Some(Self::zero(config, region, links, dot_row)?);
                        dot_row += 1;
                    }
                    for p in picks {
                        out.push(match *p {
                            Pick::Input { slot, index } => *step
                                .inputs
                                .get(slot as usize)
                                .and_then(|&t| wires[t].get(index as usize))
                                .ok_or(Error::Synthesis)?,
                            Pick::Zero => zero_wire.ok_or(Error::Synthesis)?,
                        });
                    }
                }
                StepKind::Lookup(t) => {
                    // One row per element: the element's divide-by-1 accumulator looked up in
                    // this table's rows, as an ADD input's map is.
                    let tag = spec.lookup_tag(t).ok_or(Error::Synthesis)?;
                    for (o, &x) in wires[step.inputs[0]].iter().enumerate() {
                        let (_, acc) =
                            config
                                .dot
                                .assign(region, links, dot_row, &[x], &[1], 0, None)?;
                        let y = value(step.output, o);
                        out.push(match (&config.rescale, &config.requant) {
                            (Some(rescale), _) => rescale.assign(
                                region,
                                dot_row,
                                acc,
                                1,
                                None,
                                Activation::Identity,
                                tag,
                                y,
                            )?,
                            (None, Some(requant)) => requant.assign_map(region, dot_row, tag, y)?,
                            (None, None) => return Err(Error::Synthesis),
                        });
                        dot_row += 1;
                    }
                }
                StepKind::QuantizedMul(mul) => {
                    // `a·b` on a product row, requantized and clamped by the fixed-point chip
                    // on the same row.
                    let requant = config.requant.as_ref().ok_or(Error::Synthesis)?;
                    let params = RequantParams {
                        multiplier: mul.multiplier,
                        zp_in: mul.out_zero_point,
                        zp_out: mul.out_zero_point,
                        lo: mul.act_min,
                        hi: mul.act_max,
                        ties_up: false,
                    };
                    let clamp_tag = tag_of(Activation::Clip {
                        lo: mul.act_min,
                        hi: mul.act_max,
                    })?;
                    let (a, b) = (&wires[step.inputs[0]], &wires[step.inputs[1]]);
                    for (o, &j) in mul.second.iter().enumerate() {
                        let x = *a.get(o).ok_or(Error::Synthesis)?;
                        let w = *b.get(j as usize).ok_or(Error::Synthesis)?;
                        let acc = config.dot.assign_product(region, links, dot_row, x, w, 0)?;
                        out.push(requant.assign(
                            region,
                            dot_row,
                            acc,
                            &params,
                            clamp_tag,
                            value(step.output, o),
                        )?);
                        dot_row += 1;
                    }
                }
                StepKind::QuantizedAdd(add) => {
                    let requant = config.requant.as_ref().ok_or(Error::Synthesis)?;
                    let params = RequantParams {
                        multiplier: add.output_multiplier,
                        zp_in: add.out_zero_point,
                        zp_out: add.out_zero_point,
                        lo: add.act_min,
                        hi: add.act_max,
                        ties_up: false,
                    };
                    let clamp_tag = tag_of(Activation::Clip {
                        lo: add.act_min,
                        hi: add.act_max,
                    })?;
                    let pairs = wires[step.inputs[0]].iter().zip(&wires[step.inputs[1]]);
                    for (o, (&left, &right)) in pairs.enumerate() {
                        // Each input through its requantization map (a table function of the
                        // centred 8-bit value: a divide-by-1 rescale row whose activation is
                        // the map), then the sum requantized and clamped.
                        let mut scaled = [None; 2];
                        for (k, slot) in scaled.iter_mut().enumerate() {
                            let map = AddInputMap {
                                multiplier: add.input_multipliers[k],
                                left_shift: add.left_shift,
                            };
                            let tag = spec.map_tag(&map).ok_or(Error::Synthesis)?;
                            let x = [left, right][k];
                            let (_, acc) =
                                config
                                    .dot
                                    .assign(region, links, dot_row, &[x], &[1], 0, None)?;
                            let y = x.value.and_then(|a| map.apply(a));
                            *slot = Some(match &config.rescale {
                                Some(rescale) => rescale.assign(
                                    region,
                                    dot_row,
                                    acc,
                                    1,
                                    None,
                                    Activation::Identity,
                                    tag,
                                    y,
                                )?,
                                None => requant.assign_map(region, dot_row, tag, y)?,
                            });
                            dot_row += 1;
                        }
                        let ins = [scaled[0].expect("set"), scaled[1].expect("set")];
                        // SUB takes the second rescaled input off after rounding it, as
                        // TFLite does: the sign is the dot product's constant weight.
                        let second = if add.subtract { -1 } else { 1 };
                        let (_, acc) = config.dot.assign(
                            region,
                            links,
                            dot_row,
                            &ins,
                            &[1, second],
                            0,
                            None,
                        )?;
                        out.push(requant.assign(
                            region,
                            dot_row,
                            acc,
                            &params,
                            clamp_tag,
                            value(step.output, o),
                        )?);
                        dot_row += 1;
                    }
                }
                StepKind::Max {
                    window,
                    in_shape,
                    out_shape,
                } => {
                    for o in 0..n_out {
                        let ins: Vec<Wire> = QStep::max_window(window, in_shape, out_shape, o)
                            .into_iter()
                            .map(|i| wires[step.inputs[0]][i])
                            .collect();
                        let max = config.max.as_ref().ok_or(Error::Synthesis)?;
                        out.push(max.assign(
                            region,
                            links,
                            max_row,
                            &ins,
                            value(step.output, o),
                        )?);
                        max_row += ins.len();
                    }
                }
                StepKind::Linear(lin) => {
                    let tag = tag_of(lin.rescale.act)?;
                    let pointwise = config
                        .pointwise
                        .as_ref()
                        .and_then(|pw| Some((pw, PointwiseDims::of(lin, config.dot.width())?)));
                    if let Some((pw, dims)) = pointwise {
                        let LinearKernel::Conv { weight, bias, .. } = &lin.kernel else {
                            return Err(Error::Synthesis);
                        };
                        let x = &wires[step.inputs[0]];
                        let channel_bias: Vec<i128> = (0..dims.cout)
                            .map(|co| bias[co] as i128 + lin.rescale.bias_offset(co * dims.hw))
                            .collect();
                        // The accumulators the prover claims: W·X + B, B with the rounding
                        // offset (one per channel, as `PointwiseDims::of` checked).
                        let y: Vec<Option<i128>> = match values {
                            Some(v) => lin
                                .conv_sums(&step.name, n_out, &v[step.inputs[0]])
                                .ok()
                                .flatten()
                                .ok_or(Error::Synthesis)?
                                .iter()
                                .enumerate()
                                .map(|(o, &sum)| Some(sum as i128 + lin.rescale.bias_offset(o)))
                                .collect(),
                            None => vec![None; n_out],
                        };
                        pending.push(pw.assign(
                            region,
                            links,
                            &mut zero_cell,
                            (dot_row, weight_row),
                            dims,
                            x,
                            &y,
                            &channel_bias,
                            weight,
                        )?);
                        for (o, &acc) in y.iter().enumerate() {
                            let y = value(step.output, o);
                            out.push(Self::rescale(
                                config,
                                region,
                                lin,
                                tag,
                                o,
                                dot_row + o,
                                acc,
                                y,
                            )?);
                        }
                        dot_row += dims.rows(config.dot.width());
                        weight_row += dims.weight_rows();
                    } else {
                        let params = param_cells[step_index].as_ref();
                        for o in 0..n_out {
                            let mut bias = lin.terms(o, &mut terms) + lin.rescale.bias_offset(o);
                            let ins: Vec<Wire> = terms
                                .iter()
                                .map(|t| wires[step.inputs[t.slot]][t.index])
                                .collect();
                            let ws: Vec<i64> = terms.iter().map(|t| t.weight).collect();
                            let rows = DotConfig::rows_for(ins.len(), config.dot.width());
                            let hidden = match params {
                                Some((weight_cells, bias_cells)) => {
                                    hidden_cells.clear();
                                    for t in &terms {
                                        hidden_cells.push(if t.param == Term::STRUCTURAL {
                                            None
                                        } else {
                                            Some(
                                                *weight_cells
                                                    .get(t.param)
                                                    .ok_or(Error::Synthesis)?,
                                            )
                                        });
                                    }
                                    let (_, biases) = lin.params().ok_or(Error::Synthesis)?;
                                    let b = lin.bias_index(o).ok_or(Error::Synthesis)?;
                                    bias -= biases[b] as i128;
                                    Some(HiddenWeights {
                                        weights: &hidden_cells,
                                        bias: Some((bias_cells[b], biases[b])),
                                    })
                                }
                                None => None,
                            };
                            let (_, acc) = config.dot.assign(
                                region,
                                links,
                                dot_row,
                                &ins,
                                &ws,
                                bias,
                                hidden.as_ref(),
                            )?;
                            let y = value(step.output, o);
                            let last = dot_row + rows - 1;
                            out.push(Self::rescale(config, region, lin, tag, o, last, acc, y)?);
                            dot_row += rows;
                        }
                    }
                }
            }
            wires[step.output] = out;
        }
        let outputs = &wires[g.output];
        if vis.output != TensorVisibility::Linked
            && outputs
                .iter()
                .any(|w| matches!(w.source, Source::Instance(_)))
        {
            // An output that is the public input itself (no computing step): not a model.
            return Err(Error::Synthesis);
        }
        match vis.output {
            TensorVisibility::Public => {
                for (j, w) in outputs.iter().enumerate() {
                    if let Source::Advice(cell) = w.source {
                        links.expose(cell, in_len + j);
                    }
                }
            }
            TensorVisibility::Packed | TensorVisibility::Hashed => {
                let items: Vec<Packable> = outputs
                    .iter()
                    .map(|w| Packable {
                        value: w.value,
                        limbs: 1,
                        source: Some(w.source),
                    })
                    .collect();
                if vis.output == TensorVisibility::Packed {
                    Self::pack_and_expose(config, region, links, &mut hash_rows, &items, in_len)?;
                } else {
                    Self::pack_and_hash(
                        config,
                        region,
                        links,
                        &mut hash_rows,
                        &items,
                        None,
                        Some(in_len),
                    )?;
                }
            }
            // Refused by `CircuitShape::validate`: only the consumer, who sends the input, can
            // choose a salt.
            TensorVisibility::Salted => return Err(Error::Synthesis),
            TensorVisibility::Linked => {
                let column = config.link_out.ok_or(Error::Synthesis)?;
                for (j, w) in outputs.iter().enumerate() {
                    let cell = region.assign_advice(column, j, known(w.value)).cell();
                    links.copy(region, cell, w.source);
                }
                let blind = self.link_blinding.output.as_ref();
                LinkBlinding::assign(region, column, outputs.len(), blind, values.is_some());
            }
            TensorVisibility::Hidden => {}
        }
        if let Some(pw) = &config.pointwise {
            // Every first-phase cell is assigned: commit them, then draw ρ.
            region.next_phase();
            for p in pending {
                pw.finish(region, p)?;
            }
        }
        Ok(())
    }

    /// The rescale (half-up division) or fixed-point requantization of output `o` of `lin`,
    /// reading the accumulator `acc` on `row`.
    /// A wire holding a proven 0: an empty dot product (its accumulator is the fixed bias, 0)
    /// through an identity row of the rescale chip (or the requantization chip's map row).
    fn zero(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
        row: usize,
    ) -> Result<Wire, Error> {
        let (_, acc) = config.dot.assign(region, links, row, &[], &[], 0, None)?;
        let value = acc.map(|_| 0i64);
        match (&config.rescale, &config.requant) {
            (Some(rescale), _) => rescale.assign(
                region,
                row,
                acc,
                1,
                None,
                Activation::Identity,
                table::TAG_IDENTITY,
                value,
            ),
            (None, Some(requant)) => requant.assign_map(region, row, table::TAG_IDENTITY, value),
            (None, None) => Err(Error::Synthesis),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rescale(
        config: &ModelConfig,
        region: &mut Region<Fr>,
        lin: &crate::qgraph::Linear,
        tag: u64,
        o: usize,
        row: usize,
        acc: Option<i128>,
        y: Option<i64>,
    ) -> Result<Wire, Error> {
        match &lin.rescale.rounding {
            Rounding::HalfUp { divisors } | Rounding::HalfAwayFromZero { divisors, .. } => {
                // The zero point of a raw sum rounded half away from zero; None: half up.
                let raw_zero_point = match &lin.rescale.rounding {
                    Rounding::HalfAwayFromZero { zero_point, .. } => Some(*zero_point),
                    _ => None,
                };
                config.rescale.as_ref().ok_or(Error::Synthesis)?.assign(
                    region,
                    row,
                    acc,
                    *divisors.get(o).ok_or(Error::Synthesis)?,
                    raw_zero_point,
                    lin.rescale.act,
                    tag,
                    y,
                )
            }
            Rounding::FixedPoint(fp) => {
                let Activation::Clip { lo, hi } = lin.rescale.act else {
                    return Err(Error::Synthesis);
                };
                let params = RequantParams {
                    multiplier: fp.multiplier(o),
                    zp_in: fp.out_offset,
                    zp_out: fp.out_zero_point,
                    lo,
                    hi,
                    ties_up: fp.ties_up,
                };
                config
                    .requant
                    .as_ref()
                    .ok_or(Error::Synthesis)?
                    .assign(region, row, acc, &params, tag, y)
            }
        }
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        ModelCircuit {
            values: None,
            ..self.clone()
        }
    }

    fn params(&self) -> CircuitShape {
        self.shape.clone()
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, &shape)
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        ModelConfig::configure(meta, &CircuitShape::default())
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config
            .table
            .load(&mut layouter, &TableSpec::of(&self.graph))?;
        let mut links = Links::default();
        layouter.assign_region(
            || "model",
            |mut region| self.layout(&config, &mut region, &mut links),
        )?;
        links.apply(&mut layouter, config.instance);
        Ok(())
    }
}

/// The chosen layout of a model: shape, k and what it costs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayoutPlan {
    pub shape: CircuitShape,
    pub k: u32,
    pub dot_rows: usize,
    pub max_rows: usize,
    /// Rows of the pointwise chip's weight dots (the randomized check's `W·(X·r)`).
    #[serde(default)]
    pub weight_rows: usize,
    /// Rows of the pack and Poseidon chips (hidden weights, hashed tensors).
    #[serde(default)]
    pub pack_rows: usize,
    #[serde(default)]
    pub hash_rows: usize,
    pub table_rows: usize,
    pub instance_len: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub usable_rows: usize,
    /// The prover's estimated peak memory (see [`estimate_prover_bytes`]).
    #[serde(default)]
    pub estimated_peak_bytes: u64,
}

/// An estimate of the prover's peak memory for a circuit of 2^k rows. This halo2 keeps each
/// advice and fixed column's values and coefficients, and evaluates the quotient one coset of
/// the extended domain at a time, so a column costs about three polynomials (of 2^k field
/// elements) and nothing is held on the whole extended domain. Each lookup (permuted columns,
/// product) and each column in the permutation argument (its sigma polynomial, its share of the
/// grand products, the copy map during key generation) costs about seven. Peak bytes are then a
/// constant (the process, the KZG parameters of small k) plus a multiple of those columns: a
/// least-squares line through peaks measured by the bench, m3_cifar at k=18 (2.42 GiB; 23
/// advice, 22 fixed, 4 lookups, 20 permuted columns) and a full-size MobileNet segment at k=21
/// (15.36 GiB; 23 advice, 20 fixed, 7 lookups, 13 permuted), rounded up 10%. A line through the
/// small circuits alone (the previous fit) over-estimated the k=21 segments by about 20%, and
/// so planned MobileNet as 8 segments where 5 fit.
pub fn estimate_prover_bytes(
    k: u32,
    advice: usize,
    fixed: usize,
    lookups: usize,
    permuted: usize,
) -> u64 {
    let columns = 3.0 * (advice + fixed) as f64 + 7.0 * (lookups + permuted) as f64;
    ESTIMATE_CONSTANT + (1.1 * 0.9 * columns * 32.0 * (1u64 << k) as f64) as u64
}

/// The part of [`estimate_prover_bytes`] that does not grow with the domain.
const ESTIMATE_CONSTANT: u64 = (1.1 * 0.29 * (1u64 << 30) as f64) as u64;

/// [`estimate_prover_bytes`] of the same columns at `to_k` rows instead of `from_k`.
pub fn estimate_at_k(bytes: u64, from_k: u32, to_k: u32) -> u64 {
    let scaling = bytes.saturating_sub(ESTIMATE_CONSTANT);
    let scaled = if to_k >= from_k {
        scaling.saturating_mul(1 << (to_k - from_k))
    } else {
        scaling >> (from_k - to_k)
    };
    ESTIMATE_CONSTANT + scaled
}

impl LayoutPlan {
    /// The same layout at a larger `k` (every segment of a chain shares one k, so that equal
    /// link columns have equal commitments). No-op when `k` is not larger.
    pub fn raise_k(&mut self, k: u32) {
        if k <= self.k {
            return;
        }
        let reserved = (1usize << self.k) - self.usable_rows;
        self.estimated_peak_bytes = estimate_at_k(self.estimated_peak_bytes, self.k, k);
        self.usable_rows = (1usize << k) - reserved;
        self.k = k;
    }
}

impl std::fmt::Display for LayoutPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "k={} ({} usable rows), dot width {}, activation bits {}, columns: {} advice + {} fixed + 1 instance, \
             rows used: {} linear, {} max-pool, {} pointwise weights, {} pack, {} Poseidon, {} lookup table, {} lookups, \
             estimated prover peak {:.1} GiB",
            self.k,
            self.usable_rows,
            self.shape.dot_width,
            self.shape.act_bits,
            self.advice_columns,
            self.fixed_columns,
            self.dot_rows,
            self.max_rows,
            self.weight_rows,
            self.pack_rows,
            self.hash_rows,
            self.table_rows,
            self.lookups,
            self.estimated_peak_bytes as f64 / GIB
        )
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// Rows needed by the linear and max-pool steps for a given dot width, and by the pointwise
/// chip's weight dots. `term_counts[i]` counts step i's dot products by length (length,
/// how many); with `freivalds`,
/// the pointwise convolutions take [`PointwiseDims::rows`] instead.
fn rows_needed(
    graph: &QGraph,
    term_counts: &[Vec<(usize, usize)>],
    width: usize,
    freivalds: bool,
) -> (usize, usize, usize) {
    let (mut dot, mut max, mut weight) = (0, 0, 0);
    for (s, counts) in graph.steps.iter().zip(term_counts) {
        match &s.kind {
            StepKind::Linear(lin) if freivalds => match PointwiseDims::of(lin, width) {
                Some(dims) => {
                    dot += dims.rows(width);
                    weight += dims.weight_rows();
                }
                None => dot += direct_rows(counts, width),
            },
            StepKind::Max {
                window,
                in_shape,
                out_shape,
            } => {
                let n: usize = graph.tensors[s.output].len();
                max += (0..n)
                    .map(|o| QStep::max_window(window, in_shape, out_shape, o).len())
                    .sum::<usize>();
            }
            StepKind::Linear(_)
            | StepKind::QuantizedAdd(_)
            | StepKind::QuantizedMul(_)
            | StepKind::Lookup(_)
            | StepKind::Product(_)
            | StepKind::Gather { .. }
            | StepKind::Reshape
            | StepKind::Slice { .. }
            | StepKind::Concat => dot += direct_rows(counts, width),
        }
    }
    (dot, max, weight)
}

/// Rows of a step's dot products, counted by length, at dot `width`.
fn direct_rows(counts: &[(usize, usize)], width: usize) -> usize {
    counts
        .iter()
        .map(|&(n, times)| times * DotConfig::rows_for(n, width))
        .sum()
}

/// Whether the randomized pointwise check applies at dot `width`: weights are public constants
/// and some step is a pointwise convolution wider than `width`.
fn uses_freivalds(graph: &QGraph, width: usize, visibility: Visibility) -> bool {
    !visibility.hidden_weights()
        && graph.steps.iter().any(|s| match &s.kind {
            StepKind::Linear(lin) => PointwiseDims::of(lin, width).is_some(),
            _ => false,
        })
}

/// Rows of the pack and Poseidon chips under `vis`.
pub fn hashing_rows(graph: &QGraph, vis: Visibility) -> (usize, usize) {
    use crate::commitment::{packed_len, param_tensors};
    let b = graph.act_bits;
    let (mut pack, mut hash) = (0, 0);
    let mut tensor = |v: TensorVisibility, n: usize| {
        // A salt takes one more row of the packed column and one more message.
        let salt = (v == TensorVisibility::Salted) as usize;
        match v {
            TensorVisibility::Hashed | TensorVisibility::Salted => {
                pack += n + salt;
                hash += PoseidonConfig::rows_for(salt + packed_len(n, b));
            }
            TensorVisibility::Hidden | TensorVisibility::Packed => pack += n,
            TensorVisibility::Public | TensorVisibility::Linked => {}
        }
    };
    tensor(vis.input, graph.input_tensor().len());
    tensor(vis.output, graph.output_tensor().len());
    if vis.hidden_weights() {
        let limbs: usize = param_tensors(graph)
            .iter()
            .map(|t| t.values.len() * t.limbs)
            .sum();
        pack += limbs + 1;
        hash += PoseidonConfig::rows_for(1 + packed_len(limbs, b));
    }
    (pack, hash)
}

/// Picks the dot width and the smallest k that fit the model, minimising an estimate of proving
/// work (columns times rows). `width` forces a dot width.
pub fn plan_layout(graph: &QGraph, width: Option<usize>, visibility: Visibility) -> LayoutPlan {
    let cost = |p: &LayoutPlan| {
        (p.advice_columns as f64 + p.fixed_columns as f64 / 2.0 + 3.0 * p.lookups as f64)
            * (1u64 << p.k) as f64
    };
    layout_candidates(graph, width, visibility)
        .into_iter()
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
        .expect("at least one candidate")
}

/// The layout at a given `k` (a segment of a chain, whose k is the chain's) with the smallest
/// estimated prover peak, or None if the model needs more rows than 2^k at every dot width.
pub fn plan_layout_at(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
    k: u32,
) -> Option<LayoutPlan> {
    layout_candidates(graph, width, visibility)
        .into_iter()
        .filter(|p| p.k <= k)
        .map(|mut p| {
            p.raise_k(k);
            p
        })
        .min_by_key(|p| p.estimated_peak_bytes)
}

/// One layout per candidate dot width (only `width` if given), each at its smallest k.
pub fn layout_candidates(
    graph: &QGraph,
    width: Option<usize>,
    visibility: Visibility,
) -> Vec<LayoutPlan> {
    layout_candidates_with(graph, &dot_lengths(graph), width, visibility)
}

/// Each step's dot products counted by length: (terms, how many), in order of length.
pub fn dot_lengths(graph: &QGraph) -> Vec<Vec<(usize, usize)>> {
    let mut terms = Vec::new();
    graph
        .steps
        .iter()
        .map(|s| {
            let mut counts = std::collections::BTreeMap::new();
            let n_out = graph.tensors[s.output].len();
            match &s.kind {
                StepKind::Linear(lin) => {
                    for o in 0..n_out {
                        lin.terms(o, &mut terms);
                        *counts.entry(terms.len()).or_insert(0) += 1;
                    }
                }
                // One single-term dot product per output.
                StepKind::Product(_) | StepKind::QuantizedMul(_) | StepKind::Lookup(_) => {
                    counts.insert(1, n_out);
                }
                StepKind::Gather { picks } => {
                    // Padding's proven zero: an empty dot product (one row), at most once per
                    // step.
                    if Gather::has_zeros(picks) {
                        counts.insert(0, 1);
                    }
                }
                StepKind::QuantizedAdd(_) => {
                    // Two input maps (one term each) and the sum (two terms) per output.
                    counts.insert(1, 2 * n_out);
                    counts.insert(2, n_out);
                }
                StepKind::Max { .. }
                | StepKind::Reshape
                | StepKind::Slice { .. }
                | StepKind::Concat => {}
            }
            counts.into_iter().collect()
        })
        .collect()
}

/// [`layout_candidates`] with each step's [`dot_lengths`] given (a planner trying many pieces
/// of one graph counts them once).
pub fn layout_candidates_with(
    graph: &QGraph,
    term_counts: &[Vec<(usize, usize)>],
    width: Option<usize>,
    visibility: Visibility,
) -> Vec<LayoutPlan> {
    let b = graph.act_bits;
    let instance_len = public_len(visibility.input, graph.input_tensor().len(), b)
        + public_len(visibility.output, graph.output_tensor().len(), b)
        + visibility.hidden_weights() as usize;
    let (pack_rows, hash_rows) = hashing_rows(graph, visibility);
    // A linked tensor fills rows 0.. of its link column, its blinding rows the next ones.
    let linked = |v: TensorVisibility, n: usize| {
        if v == TensorVisibility::Linked {
            n + LINK_BLINDING_ROWS
        } else {
            0
        }
    };
    let link_rows = linked(visibility.input, graph.input_tensor().len())
        .max(linked(visibility.output, graph.output_tensor().len()));
    let spec = TableSpec::of(graph);
    let table_rows = spec.rows(graph.act_bits);
    let uses_max_pool = graph
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Max { .. }));
    // TFLite ADD's input maps use the rescale chip only when it is there anyway (otherwise the
    // requantization chip's map rows).
    let roundings = || {
        graph.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Linear(lin) => Some(&lin.rescale.rounding),
            _ => None,
        })
    };
    let pads_with_zeros = graph
        .steps
        .iter()
        .any(|s| matches!(&s.kind, StepKind::Gather { picks } if Gather::has_zeros(picks)));
    let half_up_products = graph
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Product(_)));
    // TFLite's MUL reads its factors on product rows too, requantized by the fixed-point chip.
    let products = half_up_products
        || graph
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::QuantizedMul(_)));
    let uses_rescale = pads_with_zeros
        || half_up_products
        || roundings().any(|r| match r {
            Rounding::HalfUp { .. } | Rounding::HalfAwayFromZero { .. } => true,
            Rounding::FixedPoint(_) => false,
        });
    let ties_up = roundings().any(|r| matches!(r, Rounding::FixedPoint(fp) if fp.ties_up));
    let raw_ties = roundings().any(|r| matches!(r, Rounding::HalfAwayFromZero { .. }));
    let candidates: Vec<usize> = match width {
        Some(w) => vec![w.max(1)],
        None => vec![4, 8, 9, 16, 32, 64],
    };
    let mut plans = Vec::with_capacity(candidates.len());
    for w in candidates {
        let shape = CircuitShape {
            dot_width: w,
            act_bits: graph.act_bits,
            visibility,
            fixed_point: spec.sign,
            freivalds: uses_freivalds(graph, w, visibility),
            no_max_pool: !uses_max_pool,
            no_rescale: !uses_rescale,
            ties_up,
            raw_ties,
            products,
        };
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelConfig::configure(&mut cs, &shape);
        let (dot_rows, max_rows, weight_rows) = rows_needed(graph, term_counts, w, shape.freivalds);
        let need = dot_rows
            .max(max_rows)
            .max(weight_rows)
            .max(table_rows)
            .max(instance_len)
            .max(pack_rows)
            .max(hash_rows)
            .max(link_rows);
        let reserved = cs.blinding_factors() + 1;
        let mut k = 4;
        while (1usize << k) < need + reserved || (1usize << k) < cs.minimum_rows() {
            k += 1;
        }
        let plan = LayoutPlan {
            shape,
            k,
            dot_rows,
            max_rows,
            weight_rows,
            pack_rows,
            hash_rows,
            table_rows,
            instance_len,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            lookups: cs.lookups().len(),
            usable_rows: (1usize << k) - reserved,
            estimated_peak_bytes: estimate_prover_bytes(
                k,
                cs.num_advice_columns(),
                cs.num_fixed_columns(),
                cs.lookups().len(),
                cs.permutation().get_columns().len(),
            ),
        };
        plans.push(plan);
    }
    plans
}

#[cfg(test)]
pub(crate) mod testing {
    //! A harness running one chip's assignments inside the full configuration, for MockProver
    //! tests with an 8-bit domain and one clip activation [0, 24].
    use super::*;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
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
        }
    }

    #[derive(Clone)]
    pub struct TestCircuit {
        inputs: Vec<i64>,
        body: Rc<Body>,
        shape: CircuitShape,
        spec: TableSpec,
    }

    impl TestCircuit {
        pub fn new(
            inputs: Vec<i64>,
            body: impl Fn(&ModelConfig, &mut Region<Fr>, &mut Links, &[Wire]) -> Result<(), Error>
                + 'static,
        ) -> Self {
            TestCircuit {
                inputs,
                body: Rc::new(body),
                shape: test_shape(),
                spec: TableSpec {
                    clips: vec![(0, 24)],
                    ..TableSpec::default()
                },
            }
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

        fn configure_with_params(
            meta: &mut ConstraintSystem<Fr>,
            shape: CircuitShape,
        ) -> ModelConfig {
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

    pub fn mock_k(
        k: u32,
        circuit: &TestCircuit,
        instance: &[Fr],
    ) -> Result<(), Vec<VerifyFailure>> {
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
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn shape_json_omits_unset_flags_and_every_flag_round_trips() {
        let names = ["fixed_point", "freivalds", "no_max_pool", "no_rescale"];
        let set = |bits: usize| {
            let mut shape = CircuitShape::default();
            let flags = [
                &mut shape.fixed_point,
                &mut shape.freivalds,
                &mut shape.no_max_pool,
                &mut shape.no_rescale,
            ];
            for (i, flag) in flags.into_iter().enumerate() {
                *flag = bits >> i & 1 == 1;
            }
            shape
        };
        for bits in 0..16 {
            let shape = set(bits);
            let json = serde_json::to_string(&shape).unwrap();
            for (i, name) in names.iter().enumerate() {
                let on = bits >> i & 1 == 1;
                assert_eq!(json.contains(&format!("\"{name}\":true")), on, "{json}");
                assert_eq!(json.contains(name), on, "an unset flag is written: {json}");
            }
            assert_eq!(serde_json::from_str::<CircuitShape>(&json).unwrap(), shape);
            #[cfg(feature = "prover")]
            {
                let bytes = bincode::serialize(&shape).unwrap();
                assert_eq!(bincode::deserialize::<CircuitShape>(&bytes).unwrap(), shape);
            }
        }
    }
}
