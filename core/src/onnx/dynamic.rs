//! ONNX models quantized by onnxruntime's dynamic quantization (`quantize_dynamic`, the usual
//! way transformers are made smaller for CPUs): each weight is stored as int8 or uint8, and
//! before each matrix product the activation is quantized at run time to uint8 on a grid
//! spanning its own minimum and maximum:
//!
//! ```text
//! x -> DynamicQuantizeLinear -> (xq, xs, xz)
//! MatMulInteger(xq, Wq, xz, wz) -> Cast(to float) -> Mul(·, Mul(xs, ws)) -> y
//! ```
//!
//! (`ConvInteger` alike), and an embedding table may be stored quantized, read by a `Gather`
//! and a `DequantizeLinear` of the rows it picks.
//!
//! As with the QDQ and QOperator formats, zkinfer proves the real-valued network such a model
//! simulates: [`float_kernels`] replaces each such chain by its float operator over the
//! unquantized activation and the weight's float value, `(Wq - wz) · ws` (per tensor, or per
//! output column), and a dequantized table's `Gather` by a `Gather` of the table's float values.
//! The run-time rounding of activations to 8 bits is replaced by zkinfer's own fixed point.
//! A pattern other than onnxruntime's is refused, naming the node in the way.

use super::qdq::{check_unblocked, dequantized_at, float_tensor, rewrite_nodes, Constants, Index};
use super::{attr_int, unsupported};
use crate::error::Result;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{self, tensor_proto::DataType, NodeProto};

/// The integer kernels of dynamic quantization rewritten here.
const KERNELS: &[&str] = &["MatMulInteger", "ConvInteger"];

/// Rewrites dynamic quantization's integer kernels and dequantized table reads into the float
/// network they simulate (see the module's text); other graphs are left as they are.
pub(super) fn float_kernels(graph: &mut pb::GraphProto) -> Result<()> {
    let index = Index::of(graph);
    let gathered_table = |n: &NodeProto| -> Option<usize> {
        let producer = *index.producer.get(n.input.first()?.as_str())?;
        (n.op_type == "DequantizeLinear" && graph.node[producer].op_type == "Gather")
            .then_some(producer)
    };
    let relevant = |n: &NodeProto| {
        KERNELS.contains(&n.op_type.as_str())
            || n.op_type == "DynamicQuantizeLinear"
            || gathered_table(n).is_some()
    };
    if !graph.node.iter().any(relevant) {
        return Ok(());
    }
    let constants = Constants::of(graph);
    let mut rewrite = Rewrite {
        index: &index,
        constants: &constants,
        replaced: HashMap::new(),
        removed: HashSet::new(),
        candidates: vec![],
        dequantized: vec![],
        made: HashSet::new(),
    };
    for (i, n) in graph.node.iter().enumerate() {
        if KERNELS.contains(&n.op_type.as_str()) {
            rewrite.kernel(graph, i)?;
        } else if let Some(gather) = gathered_table(n) {
            rewrite.table_read(graph, gather, i)?;
        }
    }
    let Rewrite {
        replaced,
        mut removed,
        mut candidates,
        dequantized,
        ..
    } = rewrite;
    // A quantization read by several kernels (a transformer's query, key and value) is listed
    // once per kernel.
    candidates.sort_unstable();
    candidates.dedup();
    // A scale product and a DynamicQuantizeLinear go when nothing that stays reads them
    // (candidates come in reading order: a scale product before the quantization it reads).
    let graph_outputs: HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    for &c in candidates.iter().rev() {
        let n = &graph.node[c];
        for out in n.output.iter().filter(|o| !o.is_empty()) {
            let stays = index
                .readers(out)
                .iter()
                .find(|&&r| !removed.contains(&r) && !replaced.contains_key(&r));
            if let Some(&r) = stays {
                let reader = &graph.node[r];
                return Err(unsupported(
                    n,
                    format!(
                        "whose output '{out}' is read by '{}' ({}), not only by the \
                         MatMulInteger or ConvInteger chains of onnxruntime's dynamic \
                         quantization that zkinfer rewrites",
                        reader.name, reader.op_type
                    ),
                ));
            }
            if graph_outputs.contains(out.as_str()) {
                return Err(unsupported(
                    n,
                    format!("whose output '{out}' is the model's"),
                ));
            }
        }
        removed.insert(c);
    }
    rewrite_nodes(graph, &removed, replaced, dequantized);
    Ok(())
}

struct Rewrite<'a, 'g> {
    index: &'a Index,
    constants: &'a Constants<'g>,
    /// Nodes replaced in place, by index.
    replaced: HashMap<usize, NodeProto>,
    removed: HashSet<usize>,
    /// Scale products and quantizations to remove once no remaining node reads them (in any
    /// order, repeated).
    candidates: Vec<usize>,
    dequantized: Vec<pb::TensorProto>,
    /// Names of the dequantized constants made so far (a table may be read twice).
    made: HashSet<String>,
}

impl Rewrite<'_, '_> {
    /// The chain from the MatMulInteger or ConvInteger at `k` to the Mul by its scales, as the
    /// float operator over the unquantized activation and the dequantized weight.
    fn kernel(&mut self, graph: &pb::GraphProto, k: usize) -> Result<()> {
        let n = &graph.node[k];
        let input = |i: usize| n.input.get(i).map(String::as_str).unwrap_or_default();
        let quantization = self
            .index
            .producer
            .get(input(0))
            .map(|&d| (d, &graph.node[d]))
            .filter(|(_, d)| {
                d.op_type == "DynamicQuantizeLinear"
                    && d.output.first().map(String::as_str) == Some(input(0))
            });
        let Some((d, quantize)) = quantization else {
            return Err(unsupported(
                n,
                format!(
                    "reading '{}', which no DynamicQuantizeLinear writes (only onnxruntime's \
                     dynamic quantization is read: quantize with quant_format=QuantFormat.QDQ, \
                     or give the float model)",
                    input(0)
                ),
            ));
        };
        let output = |i: usize| quantize.output.get(i).map(String::as_str).unwrap_or("");
        if input(2) != output(2) || output(2).is_empty() {
            return Err(unsupported(
                n,
                format!(
                    "with an input zero point '{}' other than its DynamicQuantizeLinear's",
                    input(2)
                ),
            ));
        }
        let Some(q) = self.constants.get(input(1))? else {
            return Err(unsupported(n, format!("a computed weight '{}'", input(1))));
        };
        let out = n.output.first().map(String::as_str).unwrap_or_default();
        let chain = || -> Option<(usize, usize, usize, String)> {
            let cast = self.index.only_reader(graph, out, "Cast")?;
            if attr_int(&graph.node[cast], "to", 0) != DataType::Float as i64 {
                return None;
            }
            let scaled = self
                .index
                .only_reader(graph, graph.node[cast].output.first()?, "Mul")?;
            let cast_out = &graph.node[cast].output[0];
            let m = &graph.node[scaled];
            let scales = m.input.iter().find(|s| *s != cast_out)?;
            let product = *self.index.producer.get(scales.as_str())?;
            let p = &graph.node[product];
            if p.op_type != "Mul" || p.input.len() != 2 {
                return None;
            }
            let weight_scale = p.input.iter().find(|s| *s != output(1))?;
            p.input.iter().any(|s| s == output(1)).then_some(())?;
            Some((cast, scaled, product, weight_scale.clone()))
        };
        let Some((cast, scaled, product, weight_scale)) = chain() else {
            return Err(unsupported(
                n,
                "whose output is not a Cast to float times the product of its input's and its \
                 weight's scales (the chain onnxruntime's dynamic quantization writes)",
            ));
        };
        let conv = n.op_type == "ConvInteger";
        let scale = self
            .constants
            .get(&weight_scale)?
            .ok_or_else(|| unsupported(n, format!("a computed weight scale '{weight_scale}'")))?;
        if conv && scale.values.len() != 1 {
            // A vector times a convolution's NCHW output would scale its last axis, not its
            // channels: not what a per-channel weight means.
            return Err(unsupported(
                n,
                "a ConvInteger scaled by more than one number",
            ));
        }
        // The weight's dequantization as a DequantizeLinear of it would write it: scales per
        // output column of a MatMulInteger's [K, N] weight, per output channel of a
        // ConvInteger's.
        let grid = NodeProto {
            op_type: n.op_type.clone(),
            name: n.name.clone(),
            input: vec![input(1).into(), weight_scale, input(3).into()],
            ..Default::default()
        };
        let w = dequantized_at(&grid, [1, 2], if conv { 0 } else { -1 }, &q, self.constants)?;
        let w_name = self.constant(&format!("{}:dequantized:{}", input(1), grid.input[1]), &w);
        let float_out = graph.node[scaled]
            .output
            .first()
            .cloned()
            .unwrap_or_default();
        let (op, attribute) = if conv {
            ("Conv", n.attribute.clone())
        } else {
            ("MatMul", vec![])
        };
        let x = quantize.input.first().cloned().unwrap_or_default();
        self.replaced.insert(
            k,
            NodeProto {
                op_type: op.into(),
                name: format!("{}:{op}", n.name),
                input: vec![x, w_name],
                output: vec![float_out],
                attribute,
                ..Default::default()
            },
        );
        self.removed.extend([cast, scaled]);
        self.candidates.extend([d, product]);
        Ok(())
    }

    /// `DequantizeLinear(Gather(Tq, ids))` at `dq` as `Gather(T, ids)` with the table's float
    /// values (per-tensor grids only: a per-axis one would name an axis of the gathered rows).
    /// A Gather of a computed integer tensor is left to the QOperator rewrite, where such a
    /// tensor already holds its float value.
    fn table_read(&mut self, graph: &pb::GraphProto, gather: usize, dq: usize) -> Result<()> {
        let (g, n) = (&graph.node[gather], &graph.node[dq]);
        let table = g.input.first().cloned().unwrap_or_default();
        let Some(q) = self.constants.get(&table)? else {
            return Ok(());
        };
        let picked = g.output.first().map(String::as_str).unwrap_or_default();
        if self.index.only_reader(graph, picked, "DequantizeLinear") != Some(dq) {
            return Err(unsupported(
                g,
                format!("whose quantized rows '{picked}' are read by more than a DequantizeLinear"),
            ));
        }
        check_unblocked(n)?;
        let scales = n.input.get(1).map(String::as_str).unwrap_or_default();
        let per_tensor = self
            .constants
            .get(scales)?
            .is_some_and(|s| s.values.len() == 1);
        if !per_tensor {
            return Err(unsupported(
                n,
                "of a Gather of a table quantized per axis (only one scale for the table)",
            ));
        }
        let t = dequantized_at(n, [1, 2], 0, &q, self.constants)?;
        let t_name = self.constant(&format!("{table}:dequantized"), &t);
        let mut read = g.clone();
        read.input[0] = t_name;
        read.output = n.output.clone();
        self.replaced.insert(gather, read);
        self.removed.insert(dq);
        Ok(())
    }

    /// A float constant named `name` holding `c` (made once).
    fn constant(&mut self, name: &str, c: &super::constant::Const) -> String {
        if self.made.insert(name.to_string()) {
            self.dequantized.push(float_tensor(name, c));
        }
        name.to_string()
    }
}

#[cfg(test)]
#[path = "dynamic_tests.rs"]
mod tests;
