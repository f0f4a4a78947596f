//! The halo2 circuit for a quantized graph. A circuit is a value built from a [`QGraph`]; its
//! column layout depends only on the small [`CircuitShape`], which is all a verifier needs to
//! rebuild the constraint system.
//!
//! Layout: everything lives in one region with explicit row offsets (this halo2 fork's
//! SimpleFloorPlanner does not stack regions). Linear steps fill the dot/rescale columns from row
//! 0 downwards, one dot product per output element, with the rescale on its last row; max-pool
//! windows fill their own columns from row 0 in parallel. The lookup table occupies its own
//! fixed columns. Public values are the instance column: the input integers, then the output
//! integers.

pub mod dot;
pub mod max;
pub mod rescale;
pub mod table;

use crate::qgraph::{Activation, QGraph, QStep, StepKind};
use dot::DotConfig;
use halo2_proofs::circuit::{Cell, Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use max::MaxConfig;
use rescale::RescaleConfig;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use table::TableConfig;

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

/// Everything `configure` depends on. Stored in the verifier key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// Products per dot-product row.
    pub dot_width: usize,
    /// B: the activation/lookup domain is [-2^(B-1), 2^(B-1)).
    pub act_bits: u32,
}

impl Default for CircuitShape {
    fn default() -> Self {
        CircuitShape {
            dot_width: 1,
            act_bits: 8,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub instance: Column<Instance>,
    pub table: TableConfig,
    pub dot: DotConfig,
    pub rescale: RescaleConfig,
    pub max: MaxConfig,
}

impl ModelConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: &CircuitShape) -> Self {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let table = TableConfig::configure(meta, shape.act_bits);
        let dot = DotConfig::configure(meta, shape.dot_width);
        let rescale = RescaleConfig::configure(meta, dot.acc, &table);
        let max = MaxConfig::configure(meta, &table);
        ModelConfig {
            instance,
            table,
            dot,
            rescale,
            max,
        }
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
}

impl ModelCircuit {
    /// The public instance column: input integers then output integers.
    pub fn instance(input: &[i64], output: &[i64]) -> Vec<Fr> {
        input.iter().chain(output).map(|&v| fe(v as i128)).collect()
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
        let n_in = g.input_tensor().len();
        let mut wires: Vec<Vec<Wire>> = vec![vec![]; g.tensors.len()];
        wires[g.input] = (0..n_in)
            .map(|i| Wire {
                source: Source::Instance(i),
                value: value(g.input, i),
            })
            .collect();
        let clips = g.clips();
        let tag_of = |act: Activation| -> u64 {
            match act {
                Activation::Identity => table::TAG_IDENTITY,
                Activation::Relu => table::TAG_RELU,
                Activation::Clip { lo, hi } => {
                    table::TAG_FIRST_CLIP
                        + clips
                            .iter()
                            .position(|&c| c == (lo, hi))
                            .expect("collected") as u64
                }
            }
        };
        let (mut dot_row, mut max_row) = (0, 0);
        let mut terms = Vec::new();
        for step in &g.steps {
            let n_out = g.tensors[step.output].len();
            let mut out = Vec::with_capacity(n_out);
            match &step.kind {
                StepKind::Reshape => out = wires[step.inputs[0]].clone(),
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
                        out.push(config.max.assign(
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
                    let tag = tag_of(lin.rescale.act);
                    for o in 0..n_out {
                        let d = lin.rescale.divisors[o];
                        let bias = lin.terms(o, &mut terms) + crate::qgraph::Rescale::half(d);
                        let ins: Vec<Wire> = terms
                            .iter()
                            .map(|t| wires[step.inputs[t.slot]][t.index])
                            .collect();
                        let ws: Vec<i64> = terms.iter().map(|t| t.weight).collect();
                        let rows = DotConfig::rows_for(ins.len(), config.dot.width());
                        let (_, acc) =
                            config.dot.assign(region, links, dot_row, &ins, &ws, bias)?;
                        let y = value(step.output, o);
                        out.push(config.rescale.assign(
                            region,
                            dot_row + rows - 1,
                            acc,
                            d,
                            lin.rescale.act,
                            tag,
                            y,
                        )?);
                        dot_row += rows;
                    }
                }
            }
            wires[step.output] = out;
        }
        for (j, w) in wires[g.output].iter().enumerate() {
            match w.source {
                Source::Advice(cell) => links.expose(cell, n_in + j),
                Source::Instance(_) => return Err(Error::Synthesis),
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
        config.table.load(&mut layouter, &self.graph.clips())?;
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
    pub table_rows: usize,
    pub instance_len: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub usable_rows: usize,
}

impl std::fmt::Display for LayoutPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "k={} ({} usable rows), dot width {}, activation bits {}, columns: {} advice + {} fixed + 1 instance, \
             rows used: {} linear, {} max-pool, {} lookup table, {} lookups",
            self.k,
            self.usable_rows,
            self.shape.dot_width,
            self.shape.act_bits,
            self.advice_columns,
            self.fixed_columns,
            self.dot_rows,
            self.max_rows,
            self.table_rows,
            self.lookups
        )
    }
}

/// Rows needed by the linear and max-pool steps for a given dot width.
fn rows_needed(graph: &QGraph, term_counts: &[usize], width: usize) -> (usize, usize) {
    let dot = term_counts
        .iter()
        .map(|&n| DotConfig::rows_for(n, width))
        .sum();
    let mut max = 0;
    for s in &graph.steps {
        if let StepKind::Max {
            window,
            in_shape,
            out_shape,
        } = &s.kind
        {
            let n: usize = graph.tensors[s.output].len();
            max += (0..n)
                .map(|o| QStep::max_window(window, in_shape, out_shape, o).len())
                .sum::<usize>();
        }
    }
    (dot, max)
}

/// Picks the dot width and the smallest k that fit the model, minimising an estimate of proving
/// work (columns times rows). `width` forces a dot width.
pub fn plan_layout(graph: &QGraph, width: Option<usize>) -> LayoutPlan {
    let mut term_counts = Vec::new();
    let mut terms = Vec::new();
    for s in &graph.steps {
        if let StepKind::Linear(lin) = &s.kind {
            for o in 0..graph.tensors[s.output].len() {
                lin.terms(o, &mut terms);
                term_counts.push(terms.len());
            }
        }
    }
    let instance_len = graph.input_tensor().len() + graph.output_tensor().len();
    let table_rows = TableConfig::rows(graph.act_bits, graph.clips().len());
    let candidates: Vec<usize> = match width {
        Some(w) => vec![w.max(1)],
        None => vec![4, 8, 16, 32, 64],
    };
    let mut best: Option<(f64, LayoutPlan)> = None;
    for w in candidates {
        let shape = CircuitShape {
            dot_width: w,
            act_bits: graph.act_bits,
        };
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelConfig::configure(&mut cs, &shape);
        let (dot_rows, max_rows) = rows_needed(graph, &term_counts, w);
        let need = dot_rows.max(max_rows).max(table_rows).max(instance_len);
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
            table_rows,
            instance_len,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            lookups: cs.lookups().len(),
            usable_rows: (1usize << k) - reserved,
        };
        let cost = (plan.advice_columns as f64
            + plan.fixed_columns as f64 / 2.0
            + 3.0 * plan.lookups as f64)
            * (1u64 << k) as f64;
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, plan));
        }
    }
    best.expect("at least one candidate").1
}

#[cfg(test)]
pub(crate) mod testing {
    //! A harness running one chip's assignments inside the full configuration, for MockProver
    //! tests with an 8-bit domain and one clip activation [0, 24].
    use super::*;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use std::rc::Rc;

    type Body = dyn Fn(&ModelConfig, &mut Region<Fr>, &mut Links, &[Wire]) -> Result<(), Error>;

    #[derive(Clone)]
    pub struct TestCircuit {
        inputs: Vec<i64>,
        body: Rc<Body>,
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
            }
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
            CircuitShape {
                dot_width: 4,
                act_bits: 8,
            }
        }

        fn configure_with_params(
            meta: &mut ConstraintSystem<Fr>,
            shape: CircuitShape,
        ) -> ModelConfig {
            ModelConfig::configure(meta, &shape)
        }

        fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
            ModelConfig::configure(
                meta,
                &CircuitShape {
                    dot_width: 4,
                    act_bits: 8,
                },
            )
        }

        fn synthesize(
            &self,
            config: ModelConfig,
            mut layouter: impl Layouter<Fr>,
        ) -> Result<(), Error> {
            config.table.load(&mut layouter, &[(0, 24)])?;
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
        let instance = instance.iter().map(|&v| fe(v as i128)).collect();
        MockProver::run(10, circuit, vec![instance])
            .expect("synthesis")
            .verify()
    }

    pub fn assert_rejected(result: Result<(), Vec<VerifyFailure>>) {
        assert!(
            result.is_err(),
            "a corrupted witness or wrong public value was accepted"
        );
    }
}
