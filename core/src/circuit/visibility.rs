//! What a proof reveals: whether the weights are constants of the circuit or a committed
//! witness, and how the input and output appear (integers, packed, hashed, salted, linked to a
//! neighbouring segment, or not at all). Chosen at compile time and stored in the key's
//! [`super::CircuitShape`].

use serde::{Deserialize, Serialize};

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
/// cut, see [`crate::chain`]).
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
