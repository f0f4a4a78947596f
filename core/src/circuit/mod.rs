//! The halo2 circuit for a quantized graph. A circuit is a value built from a
//! [`QGraph`](crate::qgraph::QGraph); its column layout depends only on the small
//! [`CircuitShape`], which is all a verifier needs to rebuild the constraint system.
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
//!
//! Where things are: the chips (one file each: [`dot`], [`rescale`], [`requant`], [`max`],
//! [`pointwise`], [`matmul`], [`embedding`], [`pack`], [`poseidon`], [`table`], [`link`]) and the bounds they assume
//! ([`limits`]); what a proof reveals (`visibility.rs`); the shape, configuration and instance
//! layout (`shape.rs`); the circuit and its layout (`model.rs`), which lays out the input, output
//! and hidden weights (`io.rs`) and each step by its kind (`steps/`); and the planner choosing
//! the dot width and k (`plan.rs`).

pub mod arith;
pub mod dot;
pub mod embedding;
pub mod horner;
pub mod limits;
pub mod link;
pub mod matmul;
pub mod max;
pub mod pack;
pub mod pointwise;
pub mod poseidon;
pub mod requant;
pub mod rescale;
pub mod table;

mod io;
mod model;
mod plan;
mod shape;
mod steps;
#[cfg(test)]
pub(crate) mod testing;
mod visibility;

pub use link::{LinkBlinding, LINK_BLINDING_ROWS};
pub use model::ModelCircuit;
pub use plan::{
    dot_lengths, estimate_at_k, estimate_prover_bytes, hashing_rows, layout_candidates,
    layout_candidates_with, plan_layout, plan_layout_at, LayoutPlan,
};
pub use shape::{instance_vector, public_len, CircuitShape, ModelConfig, PublicPart};
pub use visibility::{TensorVisibility, Visibility, WeightVisibility};

use halo2_proofs::circuit::{Cell, Layouter, Region, Value};
use halo2_proofs::plonk::{Column, Instance};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;

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
