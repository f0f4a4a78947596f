//! Commitments a proof can carry instead of the values themselves:
//! - the **model commitment** of a model with hidden weights: the Poseidon hash of a salt and of
//!   every Conv/Dense weight and bias, split into range-checked limbs and packed (see
//!   [`crate::circuit::pack`]); the circuit recomputes it from the very cells its dot products
//!   use and makes it public;
//! - the **hash of a hashed input or output**: the Poseidon hash of its integers (one limb each,
//!   since they lie in the activation domain), which a consumer recomputes from the input it sent;
//!   for a salted input ([`TensorVisibility::Salted`]) the consumer's salt is the first message,
//!   as the model commitment's salt is, so that the hash is hiding and two requests with the same
//!   input are not linkable.
//!
//! The same graph and salt always give the same commitment. The salt (zero unless chosen at
//! compile time) makes the commitment hiding: without it, anyone holding a candidate model can
//! test whether it is the committed one.

use crate::circuit::TensorVisibility;
use crate::error::{Error, Result};
use crate::poseidon;
use crate::qgraph::{QGraph, StepKind};
use halo2curves::bn256::Fr;

/// One committed parameter tensor: a Conv/Dense step's weights or biases.
#[derive(Clone, Copy, Debug)]
pub struct ParamTensor<'a> {
    pub step: usize,
    pub is_bias: bool,
    pub values: &'a [i64],
    /// Limbs per value (the smallest count that represents every value of the tensor).
    pub limbs: usize,
}

/// The committed parameters in commitment order: steps in order, each step's weights then
/// biases.
pub fn param_tensors(graph: &QGraph) -> Vec<ParamTensor<'_>> {
    let mut out = Vec::new();
    for (step, s) in graph.steps.iter().enumerate() {
        if let StepKind::Linear(lin) = &s.kind {
            if let Some((weights, bias)) = lin.params() {
                for (is_bias, values) in [(false, weights), (true, bias)] {
                    out.push(ParamTensor {
                        step,
                        is_bias,
                        values,
                        limbs: poseidon::limbs_needed(values, graph.act_bits),
                    });
                }
            }
        }
    }
    out
}

/// Every committed integer's limbs, in order.
fn param_limbs(graph: &QGraph) -> Vec<i64> {
    let mut limbs = Vec::new();
    for t in param_tensors(graph) {
        for &v in t.values {
            limbs.extend(poseidon::to_limbs(v, t.limbs, graph.act_bits).expect("limbs_needed"));
        }
    }
    limbs
}

/// The model commitment of `graph`'s weights under `salt`.
pub fn model_commitment(graph: &QGraph, salt: Fr) -> Fr {
    let packed = poseidon::pack_limbs(&param_limbs(graph), graph.act_bits)
        .expect("limbs are in range by construction");
    hash_salted(Some(salt), packed)
}

/// The commitment of a chain whose segments hide their weights: the Poseidon hash of a domain
/// tag and every segment's model commitment in chain order. One value binds every segment's
/// weights and their order; it is what a provider publishes and a consumer pins, as for a
/// single circuit. The tag keeps it from equalling a single model's commitment (whose first
/// message is a salt).
pub fn chain_commitment(segments: &[Fr]) -> Fr {
    let mut messages = Vec::with_capacity(segments.len() + 1);
    messages.push(<Fr as halo2curves::ff::PrimeField>::from_u128(
        u128::from_be_bytes(*b"zkinfer chain v1"),
    ));
    messages.extend_from_slice(segments);
    poseidon::hash(&messages)
}

/// The Poseidon hash of packed messages with `salt` (if any) absorbed first: the layout the
/// circuit's `pack_and_hash` proves, for the model commitment and salted tensors alike.
fn hash_salted(salt: Option<Fr>, packed: Vec<Fr>) -> Fr {
    let mut messages = Vec::with_capacity(packed.len() + 1);
    messages.extend(salt);
    messages.extend(packed);
    poseidon::hash(&messages)
}

/// The hash of a hashed input or output tensor's integers.
pub fn tensor_hash(values: &[i64], act_bits: u32) -> Result<Fr> {
    salted_tensor_hash(values, act_bits, None)
}

/// The hash of a tensor's integers, with `salt` (if any) absorbed first.
pub fn salted_tensor_hash(values: &[i64], act_bits: u32, salt: Option<Fr>) -> Result<Fr> {
    if values.is_empty() {
        return Err(Error::InvalidInput("cannot hash an empty tensor".into()));
    }
    // One limb per value: the values lie in the activation domain.
    let packed = poseidon::pack_limbs(values, act_bits).ok_or_else(|| {
        Error::InvalidInput(format!(
            "a value lies outside the {act_bits}-bit activation domain"
        ))
    })?;
    Ok(hash_salted(salt, packed))
}

/// The hash a proof carries for a tensor that is `vis`: None unless it is hashed. A salted
/// tensor needs its salt, and any other refuses one, so that no caller believes it salted a
/// hash that has no salt.
pub fn public_hash(
    vis: TensorVisibility,
    values: &[i64],
    act_bits: u32,
    salt: Option<Fr>,
) -> Result<Option<Fr>> {
    match (vis, salt) {
        (TensorVisibility::Salted, Some(s)) => {
            salted_tensor_hash(values, act_bits, Some(s)).map(Some)
        }
        (TensorVisibility::Salted, None) => Err(Error::InvalidInput(
            "this model hashes its input with a salt: the input salt the consumer chose is needed"
                .into(),
        )),
        (_, Some(_)) => Err(Error::InvalidInput(format!(
            "an input salt was given, but this model's input is {}, not salted",
            vis.name()
        ))),
        (TensorVisibility::Hashed, None) => tensor_hash(values, act_bits).map(Some),
        (
            TensorVisibility::Public
            | TensorVisibility::Packed
            | TensorVisibility::Hidden
            | TensorVisibility::Linked,
            None,
        ) => Ok(None),
    }
}

/// Parses an input salt: 64 hex digits (0x optional), below the BN254 scalar modulus.
pub fn parse_input_salt(hex: &str) -> Result<Fr> {
    poseidon::from_hex(hex.trim()).ok_or_else(|| {
        Error::InvalidInput(format!(
            "the input salt '{hex}' is not 64 hex digits below the BN254 scalar modulus"
        ))
    })
}

/// The input salt a protocol over public items (a published test set, a committed collection)
/// proves and checks them with: zero for a salted input, which hides nothing about an item
/// everyone holds, and None for any other input.
pub fn public_item_salt(vis: TensorVisibility) -> Option<Fr> {
    use halo2curves::ff::Field;
    (vis == TensorVisibility::Salted).then_some(Fr::ZERO)
}

/// A fresh random input salt (what a consumer that did not choose one is given).
#[cfg(feature = "prover")]
pub fn random_input_salt() -> Fr {
    use halo2curves::ff::Field;
    Fr::random(rand::rngs::OsRng)
}

/// Number of packed message elements for `limbs` limbs.
pub fn packed_len(limbs: usize, act_bits: u32) -> usize {
    limbs.div_ceil(poseidon::limbs_per_element(act_bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A salted hash absorbs its salt: another salt, or none, is another hash; and each
    /// visibility takes a salt exactly when it is salted.
    #[test]
    fn a_salted_hash_needs_its_salt_and_only_a_salted_tensor_takes_one() {
        let values = [3, -4, 127, -128, 0];
        let (s1, s2) = (Fr::from(11), Fr::from(12));
        let salted = |s| salted_tensor_hash(&values, 8, Some(s)).unwrap();
        let unsalted = tensor_hash(&values, 8).unwrap();
        assert_ne!(salted(s1), salted(s2));
        assert_ne!(salted(s1), unsalted);
        // The salt is absorbed as a message of its own, not as a value of the tensor.
        assert_ne!(salted(Fr::from(0)), unsalted);
        let public = |v, s| public_hash(v, &values, 8, s);
        assert_eq!(
            public(TensorVisibility::Salted, Some(s1)).unwrap(),
            Some(salted(s1))
        );
        assert_eq!(
            public(TensorVisibility::Hashed, None).unwrap(),
            Some(unsalted)
        );
        assert_eq!(public(TensorVisibility::Public, None).unwrap(), None);
        let err = public(TensorVisibility::Salted, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("salt"), "{err}");
        for vis in [
            TensorVisibility::Hashed,
            TensorVisibility::Public,
            TensorVisibility::Packed,
            TensorVisibility::Hidden,
        ] {
            let err = public(vis, Some(s1)).unwrap_err().to_string();
            assert!(err.contains("not salted"), "{vis:?}: {err}");
        }
        // Values outside the activation domain are refused, salted or not.
        assert!(salted_tensor_hash(&[128], 8, Some(s1)).is_err());
        assert!(salted_tensor_hash(&[], 8, Some(s1)).is_err());
        assert_eq!(parse_input_salt(&poseidon::to_hex(&s1)).unwrap(), s1);
        assert!(parse_input_salt("0xzz").is_err());
        assert_eq!(
            public_item_salt(TensorVisibility::Salted),
            Some(Fr::from(0))
        );
        assert_eq!(public_item_salt(TensorVisibility::Hashed), None);
    }
}
