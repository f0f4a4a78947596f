//! `--weights`, `--input-visibility`, `--output-visibility` and `--salt` of `zkinfer compile`:
//! what a proof reveals of the model, its input and its output.

use anyhow::{Context, Result};
use clap::Args;
use zkinfer_core::circuit::{TensorVisibility, Visibility, WeightVisibility};
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::halo2curves::ff::Field;
use zkinfer_core::poseidon;

/// `--weights` values (clap's spelling of [`WeightVisibility`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WeightsArg {
    Fixed,
    Hidden,
}

/// `--input-visibility` / `--output-visibility` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TensorArg {
    Public,
    /// Public, packed into few public field elements: much faster to verify for a large tensor
    /// (an image), at the cost of a range check per value in the proof.
    Packed,
    /// Only a Poseidon hash: for the input, salted with a salt the consumer chooses, sends and
    /// keeps (no one else can test a guessed input against it, and equal inputs do not link).
    Hashed,
    /// Only a Poseidon hash without a salt (anyone can test a guessed value against it).
    HashedUnsalted,
    Hidden,
}

impl TensorArg {
    /// The input's visibility: `hashed` is salted.
    fn input(self) -> TensorVisibility {
        match self {
            TensorArg::Hashed => TensorVisibility::Salted,
            other => other.output(),
        }
    }

    /// The output's visibility: a hash is unsalted (only the consumer has a salt, and it does
    /// not choose the output).
    fn output(self) -> TensorVisibility {
        match self {
            TensorArg::Public => TensorVisibility::Public,
            TensorArg::Packed => TensorVisibility::Packed,
            TensorArg::Hashed | TensorArg::HashedUnsalted => TensorVisibility::Hashed,
            TensorArg::Hidden => TensorVisibility::Hidden,
        }
    }
}

#[derive(Args, Clone)]
pub(crate) struct VisibilityArgs {
    /// Conv/Dense weights: `fixed` in the verifying key, or `hidden` behind a Poseidon
    /// commitment that every proof carries.
    #[arg(long, value_enum, default_value_t = WeightsArg::Hidden)]
    weights: WeightsArg,
    /// Input: `public` (integers in the proof), `packed` (public, packed into few field elements:
    /// much faster to verify for a large input), `hashed` (only its Poseidon hash, salted with
    /// the consumer's input salt), `hashed-unsalted` (a hash anyone can test guesses against),
    /// `hidden`.
    #[arg(long, value_enum, default_value_t = TensorArg::Hashed)]
    input_visibility: TensorArg,
    /// Output: `public`, `packed`, `hashed` (unsalted) or `hidden`.
    #[arg(long, value_enum, default_value_t = TensorArg::Public)]
    output_visibility: TensorArg,
    /// Salt of the model commitment: 64 hex digits, or `random`. Without a salt the commitment
    /// is a function of the weights alone, so anyone holding a candidate model can test whether
    /// it is the committed one; with a random salt it reveals nothing about them.
    #[arg(long, value_name = "HEX|random")]
    salt: Option<String>,
}

impl VisibilityArgs {
    pub(crate) fn visibility(&self) -> Visibility {
        Visibility {
            weights: match self.weights {
                WeightsArg::Fixed => WeightVisibility::Fixed,
                WeightsArg::Hidden => WeightVisibility::Hidden,
            },
            input: self.input_visibility.input(),
            output: self.output_visibility.output(),
        }
    }

    pub(crate) fn salt(&self) -> Result<Option<Fr>> {
        match self.salt.as_deref() {
            None => Ok(None),
            Some("random") => Ok(Some(Fr::random(rand::rngs::OsRng))),
            Some(hex) => poseidon::from_hex(hex).map(Some).with_context(|| {
                format!("--salt '{hex}' is not 64 hex digits below the BN254 scalar modulus")
            }),
        }
    }
}
