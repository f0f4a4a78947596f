//! ONNX models in onnxruntime's QOperator format (`quantize_static(quant_format=QOperator)`,
//! and the ONNX model zoo's older int8 models): integer tensors flow between integer operators
//! (`QLinearConv`, `QLinearMatMul`, `QGemm`, `QLinearAdd`, ...), each with its inputs' and its
//! output's grids, entered by `QuantizeLinear` and left by `DequantizeLinear`.
//!
//! As with the QDQ format (`qdq.rs`), zkinfer proves the real-valued network such a model
//! simulates: [`float_operators`] gives every integer tensor the float value it stands for, so
//! a `QuantizeLinear` into the integer part is a Clip to its grid's range, a `DequantizeLinear`
//! out of it is the identity, and each integer operator is its float operator (weights and
//! int32 biases dequantized: a bias by the input's scale times the weight's) followed by a Clip
//! to its output grid's range. The operators' own rounding is replaced by zkinfer's fixed point.

use super::constant::Const;
use super::qdq::{dequantized_at, float_tensor, grid_bounds, scalar_grid, Constants};
use super::unsupported;
use crate::error::Result;
use std::collections::HashSet;
use tract_onnx::pb::{self, NodeProto};

/// The integer operators rewritten here.
pub(super) const REWRITTEN: &[&str] = &[
    "QLinearConv",
    "QLinearMatMul",
    "QGemm",
    "QLinearAdd",
    "QLinearMul",
    "QLinearGlobalAveragePool",
    "QLinearSigmoid",
    "QLinearLeakyRelu",
    "QLinearConcat",
    "QLinearAveragePool",
    "QLinearSoftmax",
];

/// Rewrites a QOperator-format graph into the float network it simulates (see the module's
/// text); a graph without these operators is left as it is.
pub(super) fn float_operators(graph: &mut pb::GraphProto) -> Result<()> {
    if !graph
        .node
        .iter()
        .any(|n| REWRITTEN.contains(&n.op_type.as_str()))
    {
        return Ok(());
    }
    let (nodes, initializers) = {
        let mut r = Rewrite {
            constants: Constants::of(graph),
            floats: HashSet::new(),
            nodes: vec![],
            initializers: vec![],
        };
        let integer_readers: HashSet<&str> = graph
            .node
            .iter()
            .filter(|n| REWRITTEN.contains(&n.op_type.as_str()))
            .flat_map(|n| n.input.iter().map(String::as_str))
            .collect();
        for n in &graph.node {
            let out = n.output.first().cloned().unwrap_or_default();
            let x = n.input.first().cloned().unwrap_or_default();
            match n.op_type.as_str() {
                "QuantizeLinear" if integer_readers.contains(out.as_str()) => {
                    r.clip(n, &x, &out, [1, 2])?;
                }
                "DequantizeLinear" if r.floats.contains(&x) => {
                    r.nodes.push(plain("Identity", n, vec![x], &out, vec![]));
                }
                op if REWRITTEN.contains(&op) => r.operator(n, &out)?,
                _ => r.nodes.push(n.clone()),
            }
        }
        (r.nodes, r.initializers)
    };
    graph.node = nodes;
    graph.initializer.extend(initializers);
    Ok(())
}

struct Rewrite<'g> {
    constants: Constants<'g>,
    /// Integer tensors now holding the float value they stand for.
    floats: HashSet<String>,
    nodes: Vec<NodeProto>,
    initializers: Vec<pb::TensorProto>,
}

impl Rewrite<'_> {
    /// A Clip of `x` to the range of the grid at `node`'s inputs `grid`, writing `out`.
    fn clip(&mut self, node: &NodeProto, x: &str, out: &str, grid: [usize; 2]) -> Result<()> {
        let (lo, hi) = grid_bounds(node, grid, &self.constants)?;
        let lo = self.constant(&format!("{out}:min"), vec![], vec![lo]);
        let hi = self.constant(&format!("{out}:max"), vec![], vec![hi]);
        let inputs = vec![x.to_string(), lo, hi];
        self.nodes.push(plain("Clip", node, inputs, out, vec![]));
        self.floats.insert(out.to_string());
        Ok(())
    }

    fn constant(&mut self, name: &str, shape: Vec<usize>, values: Vec<f64>) -> String {
        let c = Const {
            shape,
            values,
            integer: false,
        };
        self.initializers.push(float_tensor(name, &c));
        name.to_string()
    }

    /// Operand `i` of `node` as a float tensor's name: a computed one as it is, a constant
    /// dequantized on the grid at `grid` (per axis along `axis`).
    fn operand(
        &mut self,
        node: &NodeProto,
        i: usize,
        grid: [usize; 2],
        axis: i64,
    ) -> Result<String> {
        let name = node.input.get(i).cloned().unwrap_or_default();
        let Some(q) = self.constants.get(&name)? else {
            return Ok(name);
        };
        let w = dequantized_at(node, grid, axis, &q, &self.constants)?;
        Ok(self.constant(&format!("{name}:dequantized"), w.shape, w.values))
    }

    /// An int32 bias at input `i` in float: `b · x_scale · w_scale` per output channel.
    fn bias(
        &mut self,
        node: &NodeProto,
        i: usize,
        x_scale: usize,
        w_scale: usize,
    ) -> Result<Option<String>> {
        let Some(name) = node.input.get(i).filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        let b = self
            .constants
            .get(name)?
            .ok_or_else(|| unsupported(node, format!("a computed bias '{name}'")))?;
        let (xs, _) = scalar_grid(node, [x_scale, x_scale + 1], &self.constants)?;
        let ws = self
            .constants
            .get(&node.input[w_scale])?
            .ok_or_else(|| unsupported(node, "a computed weight scale"))?;
        if ws.values.len() != 1 && ws.values.len() != b.values.len() {
            return Err(unsupported(
                node,
                format!(
                    "{} weight scales for {} biases",
                    ws.values.len(),
                    b.values.len()
                ),
            ));
        }
        let values = (0..b.values.len())
            .map(|c| b.values[c] * xs * ws.values[if ws.values.len() == 1 { 0 } else { c }])
            .collect();
        Ok(Some(self.constant(
            &format!("{name}:dequantized"),
            b.shape.clone(),
            values,
        )))
    }

    /// `node` as its float operator, then a Clip to its output grid (when it has one).
    fn operator(&mut self, n: &NodeProto, out: &str) -> Result<()> {
        let float_out = format!("{out}:float");
        let (op, inputs, output_grid, attributes): (&str, Vec<String>, Option<[usize; 2]>, _) =
            match n.op_type.as_str() {
                "QLinearConv" => {
                    let x = self.operand(n, 0, [1, 2], 1)?;
                    let w = self.operand(n, 3, [4, 5], 0)?;
                    let mut inputs = vec![x, w];
                    inputs.extend(self.bias(n, 8, 1, 4)?);
                    ("Conv", inputs, Some([6, 7]), n.attribute.clone())
                }
                "QLinearMatMul" => {
                    let a = self.operand(n, 0, [1, 2], 1)?;
                    let b = self.operand(n, 3, [4, 5], -1)?;
                    ("MatMul", vec![a, b], Some([6, 7]), vec![])
                }
                "QLinearAdd" | "QLinearMul" => {
                    let a = self.operand(n, 0, [1, 2], 1)?;
                    let b = self.operand(n, 3, [4, 5], 1)?;
                    let op = if n.op_type == "QLinearAdd" {
                        "Add"
                    } else {
                        "Mul"
                    };
                    (op, vec![a, b], Some([6, 7]), vec![])
                }
                "QGemm" => {
                    let trans_b = n.attribute.iter().any(|a| a.name == "transB" && a.i != 0);
                    let a = self.operand(n, 0, [1, 2], 1)?;
                    let b = self.operand(n, 3, [4, 5], if trans_b { 0 } else { 1 })?;
                    let mut inputs = vec![a, b];
                    inputs.extend(self.bias(n, 6, 1, 4)?);
                    let grid = n.input.get(7).filter(|s| !s.is_empty()).map(|_| [7, 8]);
                    ("Gemm", inputs, grid, n.attribute.clone())
                }
                "QLinearGlobalAveragePool" | "QLinearAveragePool" => {
                    if n.attribute
                        .iter()
                        .any(|a| a.name == "channels_last" && a.i != 0)
                    {
                        return Err(unsupported(n, "channels_last (NHWC) pooling"));
                    }
                    let x = self.operand(n, 0, [1, 2], 1)?;
                    let (op, attributes) = if n.op_type == "QLinearAveragePool" {
                        let window = n.attribute.iter().filter(|a| a.name != "channels_last");
                        ("AveragePool", window.cloned().collect())
                    } else {
                        ("GlobalAveragePool", vec![])
                    };
                    (op, vec![x], Some([3, 4]), attributes)
                }
                // Inputs: the output's grid, then each operand with its grid.
                "QLinearConcat" => {
                    if n.input.len() < 5 || !(n.input.len() - 2).is_multiple_of(3) {
                        return Err(unsupported(
                            n,
                            format!(
                                "{} inputs (the output's scale and zero point, then a value, \
                                 scale and zero point per operand)",
                                n.input.len()
                            ),
                        ));
                    }
                    let operands = (2..n.input.len())
                        .step_by(3)
                        .map(|i| self.operand(n, i, [i + 1, i + 2], 1))
                        .collect::<Result<Vec<_>>>()?;
                    ("Concat", operands, Some([0, 1]), n.attribute.clone())
                }
                // Its `opset` attribute names the Softmax it stands for, whose `axis` reads as
                // the model's own Softmax would (onnxruntime keeps the model's opset).
                "QLinearSoftmax" => {
                    let x = self.operand(n, 0, [1, 2], 1)?;
                    let axis = n.attribute.iter().filter(|a| a.name == "axis");
                    ("Softmax", vec![x], Some([3, 4]), axis.cloned().collect())
                }
                "QLinearSigmoid" | "QLinearLeakyRelu" => {
                    let x = self.operand(n, 0, [1, 2], 1)?;
                    let op = if n.op_type == "QLinearSigmoid" {
                        "Sigmoid"
                    } else {
                        "LeakyRelu"
                    };
                    (op, vec![x], Some([3, 4]), n.attribute.clone())
                }
                other => return Err(unsupported(n, format!("{other} is not rewritten"))),
            };
        match output_grid {
            Some(grid) => {
                self.nodes
                    .push(plain(op, n, inputs, &float_out, attributes));
                self.clip(n, &float_out, out, grid)
            }
            None => {
                self.nodes.push(plain(op, n, inputs, out, attributes));
                self.floats.insert(out.to_string());
                Ok(())
            }
        }
    }
}

/// A default-domain node named after `like`.
fn plain(
    op: &str,
    like: &NodeProto,
    input: Vec<String>,
    out: &str,
    attribute: Vec<pb::AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: format!("{}:{op}", like.name),
        input,
        output: vec![out.to_string()],
        attribute,
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "qoperator_tests.rs"]
mod tests;
