//! Commitments a proof can carry instead of the values themselves:
//! - the **model commitment** of a model with hidden weights: the Poseidon hash of a salt and of
//!   every Conv/Dense weight and bias, split into range-checked limbs and packed (see
//!   [`crate::circuit::pack`]); the circuit recomputes it from the very cells its dot products
//!   use and makes it public;
//! - the **hash of a hashed input or output**: the Poseidon hash of its integers (one limb each,
//!   since they lie in the activation domain), which a consumer recomputes from the input it sent.
//!
//! The same graph and salt always give the same commitment. The salt (zero unless chosen at
//! compile time) makes the commitment hiding: without it, anyone holding a candidate model can
//! test whether it is the committed one.

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
    let mut messages = Vec::with_capacity(packed.len() + 1);
    messages.push(salt);
    messages.extend(packed);
    poseidon::hash(&messages)
}

/// The hash of a hashed input or output tensor's integers.
pub fn tensor_hash(values: &[i64], act_bits: u32) -> Result<Fr> {
    if values.is_empty() {
        return Err(Error::InvalidInput("cannot hash an empty tensor".into()));
    }
    poseidon::hash_integers(values, 1, act_bits).ok_or_else(|| {
        Error::InvalidInput(format!(
            "a value lies outside the {act_bits}-bit activation domain"
        ))
    })
}

/// Number of packed message elements for `limbs` limbs.
pub fn packed_len(limbs: usize, act_bits: u32) -> usize {
    limbs.div_ceil(poseidon::limbs_per_element(act_bits))
}
