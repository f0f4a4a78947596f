//! The lookup table shared by every chip: `(tag, input, output)` triples. Most functions run over
//! the activation domain `[-2^(B-1), 2^(B-1))`:
//! - tag 0: identity `(0, v, v)`: a signed range check (and `(0, 0, 0)` for disabled rows);
//! - tag 1: ReLU `(1, v, max(v, 0))`, left out of graphs with fixed-point requantization that
//!   never apply it (quantized TFLite: every fused activation is a clip);
//! - tag 2+i: the i-th distinct clip `(2+i, v, clamp(v, lo_i, hi_i))`;
//! - [`TAG_SIGN`] (graphs with fixed-point requantization): `(TAG_SIGN, v, [v >= 0])`, which
//!   both range-checks a (B-1)-bit limb (output 1) and gives a sign bit;
//! - [`TAG_BELOW_POW2`] (with the sign function): `(TAG_BELOW_POW2, v, 2^j)` for every
//!   `0 <= v < 2^j`: `v < p` for a fixed power of two `p` in one lookup. Graphs with fixed-point
//!   requantization hold only the `j` their requantization rows use ([`requant_limb_bits`]),
//!   which keeps a TFLite table within 2^18 rows; other graphs hold every `j <= 15`;
//! - [`TAG_FIRST_SOFTMAX`]+2j, +2j+1 (TFLite's int8 SOFTMAX): the j-th distinct softmax input
//!   scale's exp table `(tag, d, e(d))` and its rescale to Q12.19 `(tag, d, RDBPOT(e(d), 12))`,
//!   for the 256 differences `d` in `[-255, 0]` ([`crate::ops::byte_softmax`]);
//! - [`TAG_SOFTMAX_CLAMP`] (with any softmax): `(tag, q, min(q, 255))` for `q` in `[0, 512)`, the
//!   softmax output's clamp (its unclamped output is at most 257, see `steps/softmax.rs`), in
//!   512 rows rather than a clip's whole activation domain;
//! - [`TAG_FIRST_FUNCTION`]+j: the j-th distinct elementwise function `(tag, q, f_j(q))` over the
//!   activation domain, its output rounded and clamped into the domain ([`TableFn::apply`]);
//! - [`TAG_FIRST_MAP`]+j (TFLite ADD): `(tag, a, M_j(a·2^l))` for every centred 8-bit value `a`
//!   in `[-255, 255]`, the requantization of one ADD input by its multiplier;
//! - [`TAG_FIRST_LOOKUP`]+j (TFLite's int8/uint8 elementwise operators): the j-th distinct
//!   [`ByteLookup`], `(tag, x, y)` for its 256 centred inputs (listed after every other entry,
//!   so graphs without lookups keep their tables).
//!
//! The table's size depends on B, the number of distinct clips, ADD input multipliers (each map
//! costs 511 rows), lookups (256 rows each) and requantization shifts only, never on the size of
//! the model's tensors or its weights.

use super::fe;
use crate::ops::byte_softmax::{ByteSoftmax, ExpKey, DIFFS};
use crate::ops::lookup::{ByteLookup, LOOKUP_INPUTS};
use crate::ops::squared_difference::SquaredDifference;
use crate::ops::unary::TableFn;
use crate::qgraph::{Activation, QGraph, QuantizedMultiplier, Rounding, StepKind};
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};
use halo2curves::bn256::Fr;

pub const TAG_IDENTITY: u64 = 0;
pub const TAG_RELU: u64 = 1;
pub const TAG_FIRST_CLIP: u64 = 2;
/// Far above any clip tag, so older tables keep their numbering.
pub const TAG_SIGN: u64 = 1 << 32;
pub const TAG_FIRST_MAP: u64 = TAG_SIGN + 1;
/// Far above any map tag.
pub const TAG_BELOW_POW2: u64 = 1 << 33;
/// The first function table ([`crate::ops::unary`]), far above the power-of-two tag.
pub const TAG_FIRST_FUNCTION: u64 = 1 << 34;
/// The first explicit 8-bit lookup, between the power-of-two tag and the function tags.
pub const TAG_FIRST_LOOKUP: u64 = TAG_BELOW_POW2 + 1;
/// The first softmax exp table, above every function tag.
pub const TAG_FIRST_SOFTMAX: u64 = 1 << 35;
/// The softmax output's clamp, just below the exp tables.
pub const TAG_SOFTMAX_CLAMP: u64 = TAG_FIRST_SOFTMAX - 1;
/// The unclamped softmax outputs the clamp table holds: `[0, 512)`.
pub const SOFTMAX_CLAMP_INPUTS: i64 = 512;
/// The `j` of the power-of-two ranges the softmax's rows use: 15-bit limbs, the top limbs of
/// 31-, 32- and 34-bit remainders, a bit, and the row's `2^(h-1)` for `h` in `1..=12`.
const SOFTMAX_POW2_BITS: [u32; 13] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15];
/// The largest `j` of the power-of-two range function.
pub const BELOW_POW2_MAX_BITS: u32 = 15;

/// The centred values an 8-bit (uint8 or int8) tensor can hold: `stored - zero_point`.
pub const MAP_DOMAIN: std::ops::RangeInclusive<i64> = -255..=255;

/// One ADD input's requantization: `M(a·2^left_shift)`, negated when `negated` (the subtracted
/// input of a squared difference, so that the difference is a sum of map outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddInputMap {
    pub multiplier: QuantizedMultiplier,
    pub left_shift: u32,
    pub negated: bool,
}

impl AddInputMap {
    /// An ADD or SUB input's map.
    pub fn add_input(multiplier: QuantizedMultiplier, left_shift: u32) -> Self {
        AddInputMap {
            multiplier,
            left_shift,
            negated: false,
        }
    }

    /// A SQUARED_DIFFERENCE's two maps: the first input's, and the second's negated.
    pub fn squared_difference(sd: &SquaredDifference) -> [Self; 2] {
        let [a, b] = sd.input_multipliers;
        [
            Self::add_input(a, sd.left_shift),
            AddInputMap {
                negated: true,
                ..Self::add_input(b, sd.left_shift)
            },
        ]
    }

    pub fn apply(&self, a: i64) -> Option<i64> {
        let v = self
            .multiplier
            .apply(a.checked_mul(1i64 << self.left_shift)?)?;
        Some(if self.negated { -v } else { v })
    }
}

/// The `j` of the two power-of-two ranges a fixed-point requantization by `m` looks its limbs
/// up in (`RequantParams::limb_bounds`: `pa = 2^min(e+1, 15)`, `pb = 2^max(e+1-15, 0)`).
pub fn requant_limb_bits(m: &QuantizedMultiplier) -> (u32, u32) {
    let bits = m.right_shift() + 1;
    (
        bits.min(BELOW_POW2_MAX_BITS),
        bits.saturating_sub(BELOW_POW2_MAX_BITS),
    )
}

/// Which functions a graph's table holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableSpec {
    pub clips: Vec<(i64, i64)>,
    /// Whether the sign function is present (graphs with fixed-point requantization).
    pub sign: bool,
    pub maps: Vec<AddInputMap>,
    /// Elementwise functions by their quantized tables, over the activation domain.
    pub functions: Vec<TableFn>,
    /// Explicit 8-bit tables, in first-use order.
    pub lookups: Vec<ByteLookup>,
    /// The softmax exp tables, one pair per distinct key, in first-use order.
    pub softmax: Vec<ExpKey>,
    /// Whether the ReLU function is left out: only in graphs with fixed-point requantization
    /// (quantized TFLite, whose fused activations are all clips) that never apply ReLU. Every
    /// other graph keeps it, so its table and key are what they were.
    pub no_relu: bool,
    /// The `j` of the power-of-two ranges held, ascending: in graphs with fixed-point
    /// requantization, only those its rows' limb bounds use; `None` (every other graph): all of
    /// `0..=BELOW_POW2_MAX_BITS` with the sign function, as before.
    pub below_pow2_bits: Option<Vec<u32>>,
}

impl TableSpec {
    pub fn of(graph: &QGraph) -> Self {
        let mut maps = Vec::new();
        let mut lookups: Vec<ByteLookup> = Vec::new();
        let mut softmax: Vec<ExpKey> = Vec::new();
        let mut sign = false;
        let mut uses_relu = false;
        // The multipliers of every fixed-point requantization row (requant.rs): each row's
        // power-of-two ranges follow from its right shift.
        let mut requant_multipliers: Vec<QuantizedMultiplier> = Vec::new();
        for s in &graph.steps {
            match &s.kind {
                StepKind::QuantizedAdd(add) | StepKind::QuantizedSub(add) => {
                    sign = true;
                    requant_multipliers.push(add.output_multiplier);
                    for m in add.input_multipliers {
                        let map = AddInputMap::add_input(m, add.left_shift);
                        if !maps.contains(&map) {
                            maps.push(map);
                        }
                    }
                }
                StepKind::Linear(lin) => {
                    // Both read signs: the requantization's negative ties, and the raw sum's
                    // of TFLite int8 pools.
                    sign |= match lin.rescale.rounding {
                        Rounding::FixedPoint(_) | Rounding::HalfAwayFromZero { .. } => true,
                        Rounding::HalfUp { .. } => false,
                    };
                    if let Rounding::FixedPoint(fp) = &lin.rescale.rounding {
                        requant_multipliers.extend(fp.multipliers.iter().copied());
                    }
                    uses_relu |= matches!(lin.rescale.act, Activation::Relu);
                }
                StepKind::QuantizedMul(mul) => {
                    sign = true;
                    requant_multipliers.push(mul.multiplier);
                }
                StepKind::SquaredDifference(sd) => {
                    sign = true;
                    requant_multipliers.push(sd.output_multiplier);
                    for map in AddInputMap::squared_difference(sd) {
                        if !maps.contains(&map) {
                            maps.push(map);
                        }
                    }
                }
                StepKind::Lookup(t) => {
                    // Its rows are the fixed-point chip's map rows, which that chip (and its
                    // sign function) must be there to lay out, even in a graph of 8-bit
                    // functions alone.
                    sign = true;
                    if !lookups.contains(t) {
                        lookups.push(t.clone());
                    }
                }
                StepKind::MatMul(p) => {
                    if let Some(r) = &p.requant {
                        sign = true;
                        requant_multipliers.push(r.multiplier);
                    }
                }
                StepKind::ByteSoftmax(t) => {
                    if !softmax.contains(&t.key()) {
                        softmax.push(t.key());
                    }
                }
                StepKind::Max { .. }
                | StepKind::Reshape
                | StepKind::Slice { .. }
                | StepKind::Concat
                | StepKind::Gather { .. }
                | StepKind::Product(_)
                | StepKind::Embedding(_) => {}
            }
        }
        // A softmax's rows read the range table's powers of two as requantization rows do.
        let fixed_point =
            !requant_multipliers.is_empty() || !softmax.is_empty() || !lookups.is_empty();
        let below_pow2_bits = fixed_point.then(|| {
            let mut bits: Vec<u32> = requant_multipliers
                .iter()
                .flat_map(|m| {
                    let (a, b) = requant_limb_bits(m);
                    [a, b]
                })
                .collect();
            if !softmax.is_empty() {
                bits.extend(SOFTMAX_POW2_BITS);
            }
            bits.sort_unstable();
            bits.dedup();
            bits
        });
        TableSpec {
            clips: graph.clips(),
            sign,
            maps,
            functions: graph.tables(),
            lookups,
            softmax,
            no_relu: fixed_point && !uses_relu,
            below_pow2_bits,
        }
    }

    /// The `j` of every power-of-two range the table holds.
    pub fn pow2_ranges(&self) -> Vec<u32> {
        match &self.below_pow2_bits {
            Some(bits) => bits.clone(),
            None if self.sign => (0..=BELOW_POW2_MAX_BITS).collect(),
            None => Vec::new(),
        }
    }

    pub fn rows(&self, act_bits: u32) -> usize {
        let functions = 1
            + !self.no_relu as usize
            + self.clips.len()
            + self.sign as usize
            + self.functions.len();
        // The power-of-two ranges: 2^j entries for each j held.
        let below_pow2: usize = self.pow2_ranges().iter().map(|&j| 1usize << j).sum();
        (functions << act_bits)
            + below_pow2
            + self.maps.len() * MAP_DOMAIN.count()
            + self.lookups.len() * LOOKUP_INPUTS
            + self.softmax.len() * 2 * DIFFS.count()
            + if self.softmax.is_empty() {
                0
            } else {
                SOFTMAX_CLAMP_INPUTS as usize
            }
    }

    /// The exp table's tag and its rescale's of a softmax step.
    pub fn softmax_tags(&self, t: &ByteSoftmax) -> Option<(u64, u64)> {
        let j = self.softmax.iter().position(|k| *k == t.key())? as u64;
        Some((TAG_FIRST_SOFTMAX + 2 * j, TAG_FIRST_SOFTMAX + 2 * j + 1))
    }

    pub fn clip_tag(&self, lo: i64, hi: i64) -> Option<u64> {
        let i = self.clips.iter().position(|&c| c == (lo, hi))?;
        Some(TAG_FIRST_CLIP + i as u64)
    }

    pub fn function_tag(&self, t: &TableFn) -> Option<u64> {
        let key = t.table_key();
        let i = self.functions.iter().position(|f| *f == key)?;
        Some(TAG_FIRST_FUNCTION + i as u64)
    }

    pub fn lookup_tag(&self, t: &ByteLookup) -> Option<u64> {
        let j = self.lookups.iter().position(|l| l == t)?;
        Some(TAG_FIRST_LOOKUP + j as u64)
    }

    pub fn map_tag(&self, map: &AddInputMap) -> Option<u64> {
        let j = self.maps.iter().position(|m| m == map)?;
        Some(TAG_FIRST_MAP + j as u64)
    }
}

#[derive(Clone, Debug)]
pub struct TableConfig {
    pub tag: TableColumn,
    pub input: TableColumn,
    pub output: TableColumn,
    pub act_bits: u32,
}

impl TableConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, act_bits: u32) -> Self {
        TableConfig {
            tag: meta.lookup_table_column(),
            input: meta.lookup_table_column(),
            output: meta.lookup_table_column(),
            act_bits,
        }
    }

    /// Offset that maps an unsigned range [0, 2^B) onto the signed domain.
    pub fn offset(&self) -> u64 {
        1 << (self.act_bits - 1)
    }

    pub fn load(&self, layouter: &mut impl Layouter<Fr>, spec: &TableSpec) -> Result<(), Error> {
        let half = 1i64 << (self.act_bits - 1);
        type Function = Box<dyn Fn(i64) -> Option<i64>>;
        let full = || -half..half;
        let mut functions: Vec<(u64, Vec<i64>, Function)> =
            vec![(TAG_IDENTITY, full().collect(), Box::new(Some))];
        if !spec.no_relu {
            functions.push((
                TAG_RELU,
                full().collect(),
                Box::new(|v: i64| Some(v.max(0))),
            ));
        }
        for (i, &(lo, hi)) in spec.clips.iter().enumerate() {
            functions.push((
                TAG_FIRST_CLIP + i as u64,
                full().collect(),
                Box::new(move |v: i64| Some(v.clamp(lo, hi))),
            ));
        }
        if spec.sign {
            functions.push((
                TAG_SIGN,
                full().collect(),
                Box::new(|v: i64| Some((v >= 0) as i64)),
            ));
        }
        for (i, &t) in spec.functions.iter().enumerate() {
            functions.push((
                TAG_FIRST_FUNCTION + i as u64,
                full().collect(),
                Box::new(move |v: i64| Some(t.apply(v))),
            ));
        }
        // (tag, domain, f) with one output per input cannot express `(v, 2^j)` for several j:
        // these entries are listed directly.
        let mut pairs: Vec<(u64, i64, i64)> = Vec::new();
        for j in spec.pow2_ranges() {
            pairs.extend((0..1i64 << j).map(|v| (TAG_BELOW_POW2, v, 1i64 << j)));
        }
        for (j, t) in spec.lookups.iter().enumerate() {
            let tag = TAG_FIRST_LOOKUP + j as u64;
            pairs.extend(t.entries().map(|(x, y)| (tag, x, y)));
        }
        for (j, key) in spec.softmax.iter().enumerate() {
            let softmax = ByteSoftmax::of_key(*key);
            let tag = TAG_FIRST_SOFTMAX + 2 * j as u64;
            pairs.extend(softmax.exp_table().into_iter().map(|(d, e)| (tag, d, e)));
            pairs.extend(
                softmax
                    .scaled_exp_table()
                    .into_iter()
                    .map(|(d, e)| (tag + 1, d, e)),
            );
        }
        if !spec.softmax.is_empty() {
            pairs.extend((0..SOFTMAX_CLAMP_INPUTS).map(|q| (TAG_SOFTMAX_CLAMP, q, q.min(255))));
        }
        for (j, map) in spec.maps.iter().enumerate() {
            let map = *map;
            functions.push((
                TAG_FIRST_MAP + j as u64,
                MAP_DOMAIN.collect(),
                Box::new(move |a| map.apply(a)),
            ));
        }
        layouter.assign_table(
            || "activation table",
            |mut table| {
                let entries = functions.iter().flat_map(|(tag, domain, f)| {
                    // An input whose image overflows TFLite's int32 has no entry: no proof can
                    // use it.
                    domain.iter().filter_map(|&v| Some((*tag, v, f(v)?)))
                });
                for (row, (tag, v, out)) in entries.chain(pairs.iter().copied()).enumerate() {
                    let tag = Fr::from(tag);
                    table.assign_cell(|| "tag", self.tag, row, || Value::known(tag))?;
                    table.assign_cell(|| "in", self.input, row, || Value::known(fe(v as i128)))?;
                    table.assign_cell(
                        || "out",
                        self.output,
                        row,
                        || Value::known(fe(out as i128)),
                    )?;
                }
                Ok(())
            },
        )
    }
}
