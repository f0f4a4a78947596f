//! The typed model IR: what a loader produces and what quantization consumes.
//!
//! Tensors are identified by index; every node writes exactly one tensor. Shapes are NCHW with
//! batch 1 and are inferred once, when the model is built, so later stages never guess.

pub use crate::ops::conv::{Conv, ConvGeometry};
pub use crate::ops::dense::Dense;
pub use crate::ops::elementwise::{self, AddOperand, Clip};
pub use crate::ops::pool::{Pool, PoolKind};
pub use crate::ops::window::{self, Window2d};
pub use crate::tensor::MAX_TENSOR_ELEMENTS;

pub mod softmax;

use crate::error::{Error, Result};
use crate::ops::gather::Gather;
use crate::ops::unary::UnaryFn;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

pub type TensorId = usize;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Op {
    Conv(Conv),
    Dense(Dense),
    Add(AddOperand),
    Relu,
    Clip(Clip),
    Pool(Pool),
    /// Flatten and Reshape: row-major data is unchanged, only the shape.
    Reshape,
    /// An elementwise function ([`crate::ops::unary`]).
    Unary(UnaryFn),
    /// Data movement ([`crate::ops::gather`]).
    Gather(Gather),
    /// The product of two computed tensors, the second broadcast ([`crate::ops::mul`]).
    Mul,
    /// The matrix product of two computed tensors ([`crate::ops::matmul`]).
    MatMul,
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Conv(_) => "Conv",
            Op::Dense(_) => "Dense",
            Op::Add(_) => "Add",
            Op::Relu => "Relu",
            Op::Clip(_) => "Clip",
            Op::Pool(p) => match p.kind {
                PoolKind::Max => "MaxPool",
                PoolKind::Average { .. } => "AveragePool",
                PoolKind::Sum => "ReduceSum",
            },
            Op::Reshape => "Reshape",
            Op::Unary(f) => f.name(),
            Op::Gather(g) => g.movement.name(),
            Op::Mul => "Mul",
            Op::MatMul => "MatMul",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub op: Op,
    /// Tensor inputs (constants live inside the op).
    pub inputs: Vec<TensorId>,
    pub output: TensorId,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Model {
    pub name: String,
    /// Shape of every tensor, indexed by TensorId (batch dimension included, always 1).
    pub shapes: Vec<Vec<usize>>,
    pub tensor_names: Vec<String>,
    pub input: TensorId,
    pub output: TensorId,
    /// Topologically ordered.
    pub nodes: Vec<Node>,
}

/// Incrementally builds a model, inferring and checking each node's output shape as it is added.
pub struct ModelBuilder {
    model: Model,
}

impl ModelBuilder {
    pub fn new(
        name: impl Into<String>,
        input_name: impl Into<String>,
        input_shape: Vec<usize>,
    ) -> Result<Self> {
        if input_shape.first() != Some(&1) || input_shape.contains(&0) {
            return Err(Error::InvalidModel(format!(
                "input shape {input_shape:?} must have batch size 1 and no zero or unknown dimension"
            )));
        }
        check_elements("the input", &input_shape)?;
        Ok(ModelBuilder {
            model: Model {
                name: name.into(),
                shapes: vec![input_shape],
                tensor_names: vec![input_name.into()],
                input: 0,
                output: 0,
                nodes: vec![],
            },
        })
    }

    pub fn shape(&self, t: TensorId) -> &[usize] {
        &self.model.shapes[t]
    }

    /// Adds a node; `reshape_to` gives the target shape for Reshape nodes.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: Vec<TensorId>,
        output_name: impl Into<String>,
        reshape_to: Option<Vec<usize>>,
    ) -> Result<TensorId> {
        let name = name.into();
        let in_shapes: Vec<&[usize]> = inputs
            .iter()
            .map(|&t| self.model.shapes[t].as_slice())
            .collect();
        let out_shape = infer_shape(&name, &op, &in_shapes, reshape_to)?;
        check_elements(&format!("node '{name}' ({})", op.name()), &out_shape)?;
        let id = self.model.shapes.len();
        self.model.shapes.push(out_shape);
        self.model.tensor_names.push(output_name.into());
        self.model.nodes.push(Node {
            name,
            op,
            inputs,
            output: id,
        });
        self.model.output = id;
        Ok(id)
    }

    /// The operator of the node writing tensor `t`, for a front end folding a following node
    /// into it (BatchNormalization into its convolution). The output shape must not change.
    pub fn producer_op_mut(&mut self, t: TensorId) -> Option<&mut Op> {
        self.model
            .nodes
            .iter_mut()
            .find(|n| n.output == t)
            .map(|n| &mut n.op)
    }

    pub fn finish(mut self, output: TensorId) -> Result<Model> {
        if self.model.nodes.is_empty() {
            return Err(Error::InvalidModel("the model has no operators".into()));
        }
        self.model.output = output;
        Ok(self.model)
    }
}

fn check_elements(what: &str, shape: &[usize]) -> Result<()> {
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    match n {
        Some(n) if n <= MAX_TENSOR_ELEMENTS => Ok(()),
        _ => Err(Error::InvalidModel(format!(
            "{what}: shape {shape:?} has more than {MAX_TENSOR_ELEMENTS} elements"
        ))),
    }
}

fn infer_shape(
    node: &str,
    op: &Op,
    ins: &[&[usize]],
    reshape_to: Option<Vec<usize>>,
) -> Result<Vec<usize>> {
    let bad = |msg: String| Error::InvalidModel(format!("node '{node}' ({}): {msg}", op.name()));
    let expect_inputs = match op {
        Op::Add(AddOperand::Tensor) | Op::Mul | Op::MatMul => 2,
        Op::Gather(_) => ins.len().max(1),
        Op::Conv(_)
        | Op::Dense(_)
        | Op::Add(AddOperand::Constant(_))
        | Op::Relu
        | Op::Clip(_)
        | Op::Pool(_)
        | Op::Reshape
        | Op::Unary(_) => 1,
    };
    if ins.len() != expect_inputs {
        return Err(bad(format!(
            "expected {expect_inputs} tensor input(s), got {}",
            ins.len()
        )));
    }
    let x = ins[0];
    match op {
        Op::Conv(c) => c.output_shape(x).map_err(bad),
        Op::Dense(d) => d.output_shape(x).map_err(bad),
        Op::Pool(p) => p.output_shape(x).map_err(bad),
        Op::Add(AddOperand::Tensor) => {
            if ins[0] != ins[1] {
                return Err(bad(format!(
                    "operand shapes {:?} and {:?} differ",
                    ins[0], ins[1]
                )));
            }
            Ok(x.to_vec())
        }
        Op::Add(AddOperand::Constant(c)) => {
            crate::tensor::broadcast_indices(&c.shape, x).ok_or_else(|| {
                bad(format!(
                    "constant of shape {:?} does not broadcast to {:?}",
                    c.shape, x
                ))
            })?;
            Ok(x.to_vec())
        }
        Op::Relu | Op::Clip(_) | Op::Unary(_) => Ok(x.to_vec()),
        Op::Gather(g) => g.output_shape(ins).map_err(bad),
        Op::Mul => crate::ops::mul::broadcast(ins[0], ins[1])
            .map(|_| x.to_vec())
            .map_err(bad),
        Op::MatMul => crate::ops::matmul::MatMulShape::of(ins[0], ins[1])
            .map(|(out, _)| out)
            .map_err(bad),
        Op::Reshape => {
            let to = reshape_to.ok_or_else(|| bad("missing target shape".into()))?;
            if to.iter().product::<usize>() != x.iter().product::<usize>() {
                return Err(bad(format!("cannot reshape {x:?} to {to:?}")));
            }
            Ok(to)
        }
    }
}

impl Model {
    pub fn input_shape(&self) -> &[usize] {
        &self.shapes[self.input]
    }

    pub fn output_shape(&self) -> &[usize] {
        &self.shapes[self.output]
    }

    pub fn input_len(&self) -> usize {
        self.input_shape().iter().product()
    }

    /// Runs the float model, returning every tensor (indexed by TensorId).
    pub fn eval_float(&self, input: &[f32]) -> Result<Vec<Tensor>> {
        if input.len() != self.input_len() {
            return Err(Error::InvalidInput(format!(
                "expected {} input values for shape {:?}, got {}",
                self.input_len(),
                self.input_shape(),
                input.len()
            )));
        }
        let mut values: Vec<Option<Tensor>> = vec![None; self.shapes.len()];
        values[self.input] = Some(Tensor::new(self.input_shape().to_vec(), input.to_vec()));
        for node in &self.nodes {
            let args: Vec<&Tensor> = node
                .inputs
                .iter()
                .map(|&t| values[t].as_ref().expect("topological order"))
                .collect();
            let shape = self.shapes[node.output].clone();
            let out = match &node.op {
                Op::Conv(c) => c.eval(args[0], shape),
                Op::Dense(d) => d.eval(args[0], shape),
                Op::Pool(p) => p.eval(args[0], shape),
                Op::Add(a) => elementwise::add(a, &args, shape),
                Op::Relu => elementwise::map(args[0], |v| v.max(0.0)),
                Op::Clip(c) => elementwise::map(args[0], |v| v.clamp(c.min, c.max)),
                Op::Reshape => Tensor::new(shape, args[0].data.clone()),
                Op::Unary(f) => elementwise::map(args[0], |v| f.eval_f32(v)),
                Op::Gather(g) => {
                    let data: Vec<&[f32]> = args.iter().map(|t| t.data.as_slice()).collect();
                    let picked =
                        crate::ops::gather::pick_all(&g.picks, &data).ok_or_else(|| {
                            Error::InvalidModel(format!(
                                "node '{}': a pick is out of range",
                                node.name
                            ))
                        })?;
                    Tensor::new(shape, picked)
                }
                Op::Mul => {
                    let idx = crate::ops::mul::broadcast(&args[0].shape, &args[1].shape)
                        .map_err(Error::InvalidModel)?;
                    let data = args[0]
                        .data
                        .iter()
                        .zip(idx)
                        .map(|(a, j)| a * args[1].data[j as usize])
                        .collect();
                    Tensor::new(shape, data)
                }
                Op::MatMul => {
                    let (_, geometry) =
                        crate::ops::matmul::MatMulShape::of(&args[0].shape, &args[1].shape)
                            .map_err(Error::InvalidModel)?;
                    let data = geometry.sums(&args[0].data, &args[1].data).ok_or_else(|| {
                        Error::InvalidModel(format!(
                            "node '{}': operands shorter than their shapes",
                            node.name
                        ))
                    })?;
                    Tensor::new(shape, data)
                }
            };
            values[node.output] = Some(out);
        }
        Ok(values
            .into_iter()
            .map(|v| v.unwrap_or_else(|| Tensor::zeros(vec![0])))
            .collect())
    }

    /// Number of nodes consuming each tensor (the model output counts as one consumer).
    pub fn consumer_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.shapes.len()];
        for n in &self.nodes {
            for &i in &n.inputs {
                c[i] += 1;
            }
        }
        c[self.output] += 1;
        c
    }
}
