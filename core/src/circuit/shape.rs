//! The circuit's shape and configuration: [`CircuitShape`] (everything `configure` depends on,
//! stored in the verifier key), [`ModelConfig::configure`] (the columns, gates and lookups of
//! every chip), and the public instance column's layout ([`instance_vector`], [`public_len`]).

use super::arith::ArithConfig;
use super::dot::DotConfig;
use super::embedding::EmbeddingConfig;
use super::fe;
use super::matmul::MatMulConfig;
use super::max::MaxConfig;
use super::pack::PackConfig;
use super::pointwise::PointwiseConfig;
use super::poseidon::PoseidonConfig;
use super::requant::RequantConfig;
use super::rescale::RescaleConfig;
use super::table::TableConfig;
use super::{TensorVisibility, Visibility};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Instance};
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

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
    /// [`pointwise`](super::pointwise); the circuit then has a second phase.
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
    /// Whether the graph multiplies two computed matrices ([`crate::ops::matmul`]): the circuit
    /// then has the matrix-product chip, and a second phase.
    #[serde(default)]
    pub matmul: bool,
    /// Whether the lookups are proven by the log-derivative argument (the vendored halo2's
    /// patch 9: one argument per table, no sorting, `n + 1` polynomials for `n` lookups instead
    /// of `3n`) rather than halo2's permutation argument. Every compile since sets it.
    #[serde(default)]
    pub log_derivative_lookups: bool,
    /// Whether convolutions other than 1×1 (any window, stride, padding, groups) are proven by
    /// the randomized check of [`pointwise`](super::pointwise) over their im2col matrix, where
    /// it takes fewer rows than direct dot products. Set only when some convolution does.
    #[serde(default)]
    pub conv_freivalds: bool,
    /// With hidden weights: whether every step with parameters is a convolution the randomized
    /// check takes, so no dot product multiplies by a hidden weight and the dot chip has no
    /// advice weight columns (a chain segment without the classifier drops 2·width + 2
    /// columns). Set only then.
    #[serde(default)]
    pub checked_weights_only: bool,
    /// Whether Dense steps over several rows (a sequence's tokens) are proven by the randomized
    /// check of [`pointwise`](super::pointwise), where it takes fewer rows than direct dot
    /// products. Set only when some Dense step does.
    #[serde(default)]
    pub dense_freivalds: bool,
    /// Factors per row of the randomized check's weight dot (1 before it had lanes; written
    /// only when not 1).
    #[serde(default = "one_lane")]
    pub weight_lanes: usize,
    /// Whether the Poseidon chip lays two partial rounds on one row (38 rows a pair of message
    /// elements instead of 66, [`super::poseidon`]). Set by every compile that hashes or commits
    /// something since the twelfth session; a key made before configures the chip as it was.
    #[serde(default)]
    pub poseidon_paired_rounds: bool,
    /// Whether the graph looks token embeddings up in a fixed table
    /// ([`embedding`](super::embedding)): the circuit then has the embedding chip and its
    /// table. Written only when set.
    #[serde(default)]
    pub embedding_lookups: bool,
    /// Whether the graph has TFLite int8 softmax steps ([`crate::ops::byte_softmax`]): the
    /// circuit then has the arithmetic chip ([`super::arith`]). Written only when set.
    #[serde(default)]
    pub byte_softmax: bool,
}

fn one_lane() -> usize {
    1
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
            ("matmul", self.matmul),
            ("log_derivative_lookups", self.log_derivative_lookups),
            ("conv_freivalds", self.conv_freivalds),
            ("checked_weights_only", self.checked_weights_only),
            ("dense_freivalds", self.dense_freivalds),
        ];
        let lanes_written = self.weight_lanes != 1 || !readable;
        // After the lanes, in the order the fields are declared (bincode reads them so).
        let paired_written = self.poseidon_paired_rounds || !readable;
        let embedding_written = self.embedding_lookups || !readable;
        let softmax_written = self.byte_softmax || !readable;
        let written = flags.iter().filter(|(_, on)| *on || !readable).count();
        let mut st = s.serialize_struct(
            "CircuitShape",
            3 + written
                + lanes_written as usize
                + paired_written as usize
                + embedding_written as usize
                + softmax_written as usize,
        )?;
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
        if lanes_written {
            st.serialize_field("weight_lanes", &self.weight_lanes)?;
        } else {
            st.skip_field("weight_lanes")?;
        }
        if paired_written {
            st.serialize_field("poseidon_paired_rounds", &self.poseidon_paired_rounds)?;
        } else {
            st.skip_field("poseidon_paired_rounds")?;
        }
        if embedding_written {
            st.serialize_field("embedding_lookups", &self.embedding_lookups)?;
        } else {
            st.skip_field("embedding_lookups")?;
        }
        if softmax_written {
            st.serialize_field("byte_softmax", &self.byte_softmax)?;
        } else {
            st.skip_field("byte_softmax")?;
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
            matmul: false,
            log_derivative_lookups: false,
            conv_freivalds: false,
            checked_weights_only: false,
            dense_freivalds: false,
            weight_lanes: 1,
            poseidon_paired_rounds: false,
            embedding_lookups: false,
            byte_softmax: false,
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
    /// Present when the graph multiplies two computed matrices.
    pub matmul: Option<MatMulConfig>,
    /// Present when something is hashed or committed.
    pub pack: Option<PackConfig>,
    pub poseidon: Option<PoseidonConfig>,
    /// Present when the graph looks token embeddings up.
    pub embedding: Option<EmbeddingConfig>,
    /// Present when the graph has TFLite int8 softmax steps.
    pub arith: Option<ArithConfig>,
    /// The unblinded link columns of a linked input and a linked output.
    pub link_in: Option<Column<Advice>>,
    pub link_out: Option<Column<Advice>>,
}

impl ModelConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: &CircuitShape) -> Self {
        if shape.log_derivative_lookups {
            meta.use_log_derivative_lookups();
        }
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
            (shape.visibility.hidden_weights() && !shape.checked_weights_only) || shape.products,
        );
        let rescale = (!shape.no_rescale)
            .then(|| RescaleConfig::configure(meta, dot.acc, &table, shape.raw_ties));
        let max = (!shape.no_max_pool).then(|| MaxConfig::configure(meta, &table));
        let requant = shape.fixed_point.then(|| {
            RequantConfig::configure(meta, dot.acc, &table, shape.no_rescale, shape.ties_up)
        });
        let pointwise = shape.freivalds.then(|| {
            PointwiseConfig::configure(
                meta,
                &dot,
                shape.conv_freivalds,
                shape.dense_freivalds,
                shape.visibility.hidden_weights(),
                shape.weight_lanes,
            )
        });
        let matmul = shape.matmul.then(|| MatMulConfig::configure(meta, &dot));
        let hashing = shape.visibility.needs_hashing();
        let pack = shape
            .visibility
            .needs_packing()
            .then(|| PackConfig::configure(meta, &table));
        let poseidon =
            hashing.then(|| PoseidonConfig::configure(meta, shape.poseidon_paired_rounds));
        // Last, so that shapes without it keep their constraint systems.
        let embedding = shape
            .embedding_lookups
            .then(|| EmbeddingConfig::configure(meta, &dot));
        let arith = shape
            .byte_softmax
            .then(|| ArithConfig::configure(meta, &table));
        ModelConfig {
            instance,
            table,
            dot,
            rescale,
            max,
            requant,
            pointwise,
            matmul,
            pack,
            poseidon,
            embedding,
            arith,
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

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn shape_json_omits_unset_flags_and_every_flag_round_trips() {
        let names = [
            "fixed_point",
            "freivalds",
            "no_max_pool",
            "no_rescale",
            "matmul",
            "conv_freivalds",
            "checked_weights_only",
            "dense_freivalds",
            "poseidon_paired_rounds",
            "embedding_lookups",
        ];
        let set = |bits: usize| {
            let mut shape = CircuitShape::default();
            let flags = [
                &mut shape.fixed_point,
                &mut shape.freivalds,
                &mut shape.no_max_pool,
                &mut shape.no_rescale,
                &mut shape.matmul,
                &mut shape.conv_freivalds,
                &mut shape.checked_weights_only,
                &mut shape.dense_freivalds,
                &mut shape.poseidon_paired_rounds,
                &mut shape.embedding_lookups,
            ];
            for (i, flag) in flags.into_iter().enumerate() {
                *flag = bits >> i & 1 == 1;
            }
            shape
        };
        for bits in 0..1024 {
            let shape = set(bits);
            let json = serde_json::to_string(&shape).unwrap();
            for (i, name) in names.iter().enumerate() {
                let on = bits >> i & 1 == 1;
                assert_eq!(json.contains(&format!("\"{name}\":true")), on, "{json}");
                assert_eq!(
                    json.contains(&format!("\"{name}\"")),
                    on,
                    "an unset flag is written: {json}"
                );
            }
            assert!(!json.contains("weight_lanes"), "{json}");
            assert_eq!(serde_json::from_str::<CircuitShape>(&json).unwrap(), shape);
            let lanes = CircuitShape {
                weight_lanes: 4,
                ..shape.clone()
            };
            let lanes_json = serde_json::to_string(&lanes).unwrap();
            assert!(lanes_json.contains("\"weight_lanes\":4"), "{lanes_json}");
            assert_eq!(
                serde_json::from_str::<CircuitShape>(&lanes_json).unwrap(),
                lanes
            );
            #[cfg(feature = "prover")]
            {
                let bytes = bincode::serialize(&shape).unwrap();
                assert_eq!(bincode::deserialize::<CircuitShape>(&bytes).unwrap(), shape);
            }
        }
    }
}
