//! The bounds a verifier key's [`CircuitShape`] must respect: every limit a chip's soundness
//! argument (or the verifier's own safety) assumes about the shape, checked when a key is read
//! ([`crate::verifier_key::VerifierKey::from_bytes`]), before halo2 builds the constraint system
//! from it. A key outside them was not made by zkinfer's compiler, and its circuit need not prove
//! what its header claims.
//!
//! What these checks cannot do: the lookup table, the requantization chip's limb bounds, the
//! weights, divisors and multipliers are fixed columns chosen by whoever made the key. A key
//! maker can put anything there, within these limits, and the circuit proves that. Against a
//! malicious key maker the protection is the consumer pinning the model id (or chain id) of a
//! model it trusts; these limits only make sure that a pinned key's shape means what the chips'
//! soundness arguments below assume.
//!
//! The limits, and why:
//! - `act_bits` in [`MIN_ACT_BITS`]..=[`MAX_ACT_BITS`] (B). The compiler's range
//!   (`quant.rs`). Every chip range-checks through the activation table's `[-2^(B-1), 2^(B-1))`,
//!   and every argument below needs B-bit values far below the field: the max chip's product
//!   of differences `Π (m - a_i)` vanishes only if some `m - a_i` is 0 in the field, which for
//!   two B-bit values means equal integers; the rescale chip's `q·d + r` and the dot chip's accumulator
//!   (`Σ x·w`, at most 256 lanes × 2^26 rows of B-bit activations times weights) stay below
//!   p/2, so each field equation is an integer equation; the pack chip's `2^B` base is a u64
//!   and packs `⌊252/B⌋` limbs below 2^252 < p. It also keeps the table (below) within
//!   [`crate::verifier_key::MAX_K`].
//! - the activation table fits the key's rows: at least `2·2^B` entries (identity, and ReLU
//!   or, with fixed-point requantization, the sign function; such a table may leave ReLU out)
//!   plus, with fixed-point requantization, at least one entry of the power-of-two range
//!   function (it holds only the ranges its graph uses), plus the rows halo2 reserves (blinding
//!   factors, at least [`MIN_RESERVED_ROWS`]): at most `2^k`. A key whose table cannot be loaded was not made by
//!   keygen, and its range checks would not be over the domain the header claims.
//! - `fixed_point` needs `act_bits` = [`REQUANT_ACT_BITS`] (16). The requantization chip
//!   range-checks its remainder limbs `r1a`, `r1b` through the sign function to
//!   `[0, 2^(B-1))`; `R = r1a + 2^15·r1b + 2^30·t` is the unique decomposition with
//!   `R < 2^(31+e)`, which fixes the quotient `qh`, only for 15-bit limbs. With B > 16 the
//!   limbs reach 2^(B-1), `r1a + 2^15·r1b` can exceed 2^30, and `(R + 2^(31+e), qh - 1)` also
//!   satisfies the chip's equation: another quotient, another output. With B < 16 the honest
//!   15-bit limbs do not fit. The same lookup on `qh - 1` bounds `|qh| <= 2^15`, so
//!   `qh·2^(31+e) < 2^76` (e <= 29) and the chip's equation holds over the integers.
//!   The right shift `e` itself is bounded by the chip's fixed limb bounds `pa`, `pb`, which
//!   must be table entries `2^j`, `j <= 15` (so `e <= 29`) in a table zkinfer loads; the
//!   table is in the key's fixed columns, pinned with the model id (see above).
//! - `dot_width` in 1..=[`MAX_DOT_WIDTH`]: the number of product lanes, which sizes the
//!   constraint system a verifier rebuilds from an untrusted key, and the accumulator bound
//!   above. The compiler's widths are at most 64.
//! - a salted hash only for the input ([`super::TensorVisibility::Salted`]): the salt is the
//!   consumer's, who sends the input; the circuit has no salt for an output.
//! - `freivalds` needs no limit (with hidden weights its weight column is advice copying the
//!   committed cells): its soundness error, `Cout·HW/|F|`, is small for any shape, both factors
//!   being at most 2^k <= 2^26 rows, so it is below 2^-200.
//! - `conv_freivalds` only with `freivalds`: it says which convolutions the chip takes (a
//!   layout choice), so it means nothing in a shape without the chip.
//! - `checked_weights_only` only with hidden weights, `freivalds` and no `products`: it leaves
//!   out the dot chip's advice weight columns, which only those shapes can do without (a
//!   layout that needs them fails to synthesize, it cannot prove anything else).
//! - `dense_freivalds` only with `freivalds`, as `conv_freivalds`.
//! - `weight_lanes` in 1..=[`MAX_WEIGHT_LANES`], and other than 1 only with `freivalds`: like
//!   `dot_width` it sizes the constraint system (two columns a lane) a verifier rebuilds from
//!   an untrusted key. The compiler's lanes are at most the dot width (64).
//!
//! Not in the shape, so not checked here: per-tensor limb counts of hidden weights, divisors,
//! multipliers and weights live in the key's fixed columns, which the model id pins.

use super::requant::REQUANT_ACT_BITS;
use super::CircuitShape;
use crate::error::{Error, Result};

pub const MIN_ACT_BITS: u32 = 8;
pub const MAX_ACT_BITS: u32 = 20;
pub const MAX_DOT_WIDTH: usize = 256;
pub const MAX_WEIGHT_LANES: usize = 64;
/// The fewest rows halo2 reserves at the end of a circuit: `blinding_factors() + 1`, and
/// `blinding_factors()` is at least `max(3, queries per column) + 2`.
pub const MIN_RESERVED_ROWS: u64 = 6;

impl CircuitShape {
    /// The fewest rows the activation table of this shape has.
    pub fn min_table_rows(&self) -> u64 {
        // Identity, and ReLU or (fixed-point shapes, which may leave ReLU out) the sign
        // function; the power-of-two ranges of a fixed-point table are those its graph uses,
        // possibly only 2^0.
        let functions = 2;
        let below_pow2 = self.fixed_point as u64;
        (functions << self.act_bits.min(MAX_ACT_BITS)) + below_pow2
    }

    /// Checks the shape against every chip's limits (module doc) for a circuit of 2^k rows.
    pub fn validate(&self, k: u32) -> Result<()> {
        let refuse = |field: &'static str, value: String, limit: String| {
            Err(Error::UnsupportedShape {
                field,
                value,
                limit,
            })
        };
        let b = self.act_bits;
        if !(MIN_ACT_BITS..=MAX_ACT_BITS).contains(&b) {
            return refuse(
                "act_bits",
                b.to_string(),
                format!("the activation domain is {MIN_ACT_BITS} to {MAX_ACT_BITS} bits"),
            );
        }
        if !(1..=MAX_DOT_WIDTH).contains(&self.dot_width) {
            return refuse(
                "dot_width",
                self.dot_width.to_string(),
                format!("a dot product has 1 to {MAX_DOT_WIDTH} lanes"),
            );
        }
        if self.fixed_point && b != REQUANT_ACT_BITS {
            return refuse(
                "act_bits",
                b.to_string(),
                format!(
                    "the fixed-point requantization chip needs exactly {REQUANT_ACT_BITS} \
                     (its 15-bit remainder limbs are range-checked in that domain)"
                ),
            );
        }
        self.visibility.check()?;
        if self.checked_weights_only
            && !(self.freivalds && self.visibility.hidden_weights() && !self.products)
        {
            return refuse(
                "checked_weights_only",
                "true".into(),
                "only a shape with hidden weights, the randomized check and no products of two \
                 computed values can leave out the dot chip's advice weight columns"
                    .into(),
            );
        }
        if self.embedding_lookups && (self.dot_width < 2 || self.visibility.hidden_weights()) {
            return refuse(
                "embedding_lookups",
                "true".into(),
                "an embedding row holds an id and at least one value (dot width 2 or more), and \
                 its table is fixed (not with hidden weights)"
                    .into(),
            );
        }
        if self.byte_softmax && (self.no_max_pool || b != REQUANT_ACT_BITS) {
            return refuse(
                "byte_softmax",
                "true".into(),
                format!(
                    "a softmax's row max is proven by the max chip and its output clamped in \
                     the {REQUANT_ACT_BITS}-bit domain"
                ),
            );
        }
        if self.conv_freivalds && !self.freivalds {
            return refuse(
                "conv_freivalds",
                "true".into(),
                "convolutions take the randomized check only in a shape that has it (freivalds)"
                    .into(),
            );
        }
        if self.dense_freivalds && !self.freivalds {
            return refuse(
                "dense_freivalds",
                "true".into(),
                "Dense steps take the randomized check only in a shape that has it (freivalds)"
                    .into(),
            );
        }
        if !(1..=MAX_WEIGHT_LANES).contains(&self.weight_lanes)
            || (self.weight_lanes != 1 && !self.freivalds)
        {
            return refuse(
                "weight_lanes",
                self.weight_lanes.to_string(),
                format!(
                    "the randomized check's weight dot has 1 to {MAX_WEIGHT_LANES} lanes, and \
                     more than one only in a shape that has the check (freivalds)"
                ),
            );
        }
        let rows = self.min_table_rows();
        if k >= 64 || rows + MIN_RESERVED_ROWS > 1u64 << k {
            return refuse(
                "act_bits",
                b.to_string(),
                format!("its activation table ({rows} rows or more) does not fit k = {k}"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::{Visibility, WeightVisibility};

    fn fixed_point() -> CircuitShape {
        CircuitShape {
            act_bits: 16,
            fixed_point: true,
            ..CircuitShape::default()
        }
    }

    /// Every limit, with the field each refusal names; the compiler's shapes pass.
    #[test]
    fn every_chip_limit_is_enforced() {
        CircuitShape::default().validate(10).unwrap();
        fixed_point().validate(19).unwrap();
        let hidden = Visibility {
            weights: WeightVisibility::Hidden,
            ..Visibility::PUBLIC
        };
        // The randomized check takes hidden weights as copies of their committed cells.
        for checked_weights_only in [false, true] {
            CircuitShape {
                freivalds: true,
                conv_freivalds: true,
                dense_freivalds: true,
                weight_lanes: 8,
                checked_weights_only,
                visibility: hidden,
                ..Default::default()
            }
            .validate(12)
            .unwrap();
        }
        let cases: Vec<(CircuitShape, u32, &str)> = vec![
            (
                CircuitShape {
                    act_bits: 7,
                    ..Default::default()
                },
                20,
                "act_bits = 7",
            ),
            (
                CircuitShape {
                    act_bits: 21,
                    ..Default::default()
                },
                26,
                "act_bits = 21",
            ),
            (
                CircuitShape {
                    act_bits: 63,
                    ..Default::default()
                },
                26,
                "act_bits = 63",
            ),
            (
                CircuitShape {
                    dot_width: 0,
                    ..Default::default()
                },
                10,
                "dot_width = 0",
            ),
            (
                CircuitShape {
                    dot_width: 257,
                    ..Default::default()
                },
                10,
                "dot_width = 257",
            ),
            (
                CircuitShape {
                    act_bits: 17,
                    ..fixed_point()
                },
                26,
                "needs exactly 16",
            ),
            (
                CircuitShape {
                    act_bits: 20,
                    ..fixed_point()
                },
                26,
                "needs exactly 16",
            ),
            (
                CircuitShape {
                    act_bits: 12,
                    ..fixed_point()
                },
                26,
                "needs exactly 16",
            ),
            (
                CircuitShape {
                    conv_freivalds: true,
                    ..Default::default()
                },
                12,
                "conv_freivalds",
            ),
            (
                CircuitShape {
                    checked_weights_only: true,
                    ..Default::default()
                },
                12,
                "checked_weights_only",
            ),
            (
                CircuitShape {
                    dense_freivalds: true,
                    ..Default::default()
                },
                12,
                "dense_freivalds",
            ),
            (
                CircuitShape {
                    weight_lanes: 4,
                    ..Default::default()
                },
                12,
                "weight_lanes = 4",
            ),
            (
                CircuitShape {
                    weight_lanes: 0,
                    freivalds: true,
                    ..Default::default()
                },
                12,
                "weight_lanes = 0",
            ),
            (
                CircuitShape {
                    weight_lanes: 65,
                    freivalds: true,
                    ..Default::default()
                },
                12,
                "weight_lanes = 65",
            ),
            (
                CircuitShape {
                    checked_weights_only: true,
                    freivalds: true,
                    products: true,
                    visibility: hidden,
                    ..Default::default()
                },
                12,
                "checked_weights_only",
            ),
            (
                CircuitShape {
                    visibility: Visibility {
                        output: crate::circuit::TensorVisibility::Salted,
                        ..Visibility::PUBLIC
                    },
                    ..Default::default()
                },
                12,
                "only the input can be salted",
            ),
            // Two 8-bit functions fill 2^9 rows: k = 9 leaves none for halo2.
            (CircuitShape::default(), 9, "does not fit k = 9"),
            (
                CircuitShape {
                    act_bits: 20,
                    ..Default::default()
                },
                21,
                "does not fit k = 21",
            ),
            // Two 16-bit functions (identity, sign) and a power-of-two range entry: 2^17 + 1
            // rows at the least (a TFLite table may leave ReLU out, and holds only the ranges
            // its requantizations use).
            (fixed_point(), 17, "does not fit k = 17"),
        ];
        for (shape, k, why) in cases {
            let err = shape.validate(k).unwrap_err().to_string();
            assert!(err.contains(why), "{shape:?} at k = {k}: {err}");
        }
    }
}
