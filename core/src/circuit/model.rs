//! [`ModelCircuit`]: the circuit proving one inference of a quantized graph, its [`Circuit`]
//! implementation, and its layout: the input (and hidden weights) enter the region
//! ([`super::io`]), each step is laid out by its kind's function ([`super::steps`]), then the
//! output leaves it.
//!
//! Everything is one region with explicit row offsets, so the order in which the layout assigns
//! cells and the rows it picks are the circuit: the verifying key, and the model id hashed from
//! it, change with them. [`super::plan`] counts the same rows.

use super::steps::StepLayout;
use super::table::TableSpec;
use super::{
    instance_vector, public_len, CircuitShape, LinkBlinding, Links, ModelConfig, PublicPart,
    TensorVisibility, Wire,
};
use crate::qgraph::{QGraph, StepKind};
use halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use halo2curves::bn256::Fr;
use std::sync::Arc;

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

    /// Lays out the whole model in one region: the input, the hidden weights (if any), every
    /// step in order, the output, then the pointwise checks' and matrix products' second phase.
    fn layout(
        &self,
        config: &ModelConfig,
        region: &mut Region<Fr>,
        links: &mut Links,
    ) -> Result<(), Error> {
        let g = &self.graph;
        let vis = self.shape.visibility;
        if vis.hidden_weights() && !super::embedding::embeddings(g).is_empty() {
            // An embedding's table lies in fixed columns, in the verifying key: hidden weights
            // keep the one-hot composition instead (`crate::ops::embedding`).
            return Err(Error::Synthesis);
        }
        let in_len = public_len(vis.input, g.input_tensor().len(), g.act_bits);
        let out_len = public_len(vis.output, g.output_tensor().len(), g.act_bits);
        // (pack row, Poseidon row): the next free rows of those chips.
        let mut hash_rows = (0usize, 0usize);
        let mut wires: Vec<Vec<Wire>> = vec![vec![]; g.tensors.len()];
        wires[g.input] = self.layout_input(config, region, links, &mut hash_rows)?;
        // Hidden weights: lay out and commit every parameter first; dot products copy them.
        let param_cells =
            self.layout_params(config, region, links, &mut hash_rows, in_len + out_len)?;
        let mut steps = StepLayout::new(
            config,
            region,
            links,
            g,
            self.values.as_deref(),
            wires,
            param_cells,
        );
        for (step_index, step) in g.steps.iter().enumerate() {
            let out = match &step.kind {
                StepKind::Reshape => steps.reshape(step),
                StepKind::Slice { start } => steps.slice(step, *start)?,
                StepKind::Concat => steps.concat(step),
                StepKind::Product(p) => steps.product(step, p)?,
                StepKind::MatMul(p) => steps.matmul(step, p)?,
                StepKind::Gather { picks } => steps.gather(step, picks)?,
                StepKind::Lookup(t) => steps.lookup(step, t)?,
                StepKind::ByteSoftmax(t) => steps.byte_softmax(step, t)?,
                StepKind::Embedding(t) => steps.embedding(step, t)?,
                StepKind::QuantizedMul(mul) => steps.quantized_mul(step, mul)?,
                StepKind::SquaredDifference(sd) => steps.squared_difference(step, sd)?,
                StepKind::QuantizedAdd(add) => steps.quantized_add(step, add, false)?,
                StepKind::QuantizedSub(sub) => steps.quantized_add(step, sub, true)?,
                StepKind::Max {
                    window,
                    in_shape,
                    out_shape,
                } => steps.max_pool(step, window, in_shape, out_shape)?,
                StepKind::Linear(lin) => steps.linear(step_index, step, lin)?,
            };
            steps.wires[step.output] = out;
        }
        let (wires, pending) = steps.finish();
        self.layout_output(
            config,
            region,
            links,
            &mut hash_rows,
            &wires[g.output],
            in_len,
        )?;
        if config.pointwise.is_some() || config.matmul.is_some() {
            // Every first-phase cell is assigned: commit them, then draw the challenges.
            region.next_phase();
        }
        if let Some(pw) = &config.pointwise {
            for p in pending.pointwise {
                pw.finish(region, p)?;
            }
        }
        if let Some(chip) = &config.matmul {
            for p in pending.matmul {
                chip.finish(region, p)?;
            }
        }
        Ok(())
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
        if let Some(embedding) = &config.embedding {
            embedding.load(&mut layouter, &super::embedding::embeddings(&self.graph))?;
        }
        let mut links = Links::default();
        layouter.assign_region(
            || "model",
            |mut region| self.layout(&config, &mut region, &mut links),
        )?;
        links.apply(&mut layouter, config.instance);
        Ok(())
    }
}
