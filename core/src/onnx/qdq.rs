//! ONNX models quantized in the QDQ format (onnxruntime's `quantize_static` default, and what
//! quantization-aware training exports): the float network with `QuantizeLinear` →
//! `DequantizeLinear` pairs on its activations and `DequantizeLinear` of int8 or uint8 weights.
//!
//! zkinfer proves the float network such a model simulates, quantized by its own calibration:
//! - a weight is the float value it stands for, exactly: `DequantizeLinear` of a constant is
//!   `(q - zero_point) · scale` (per tensor or per axis), and a pair over a float constant is
//!   its fake quantization `(clamp(round(x / scale) + zero_point) - zero_point) · scale`;
//! - a pair over an activation is a Clip to the grid's range, `[(min - zero_point) · scale,
//!   (max - zero_point) · scale]`: its saturation is kept (onnxruntime drops a Relu whose output
//!   a uint8 grid with zero point 0 clamps anyway), its rounding to the grid is replaced by
//!   zkinfer's own fixed point (`tests/tests/onnx_zoo.rs` measures how far the result is from
//!   onnxruntime's output).
//!
//! [`simulated_network`] rewrites the graph so before anything else reads it, so that fusions
//! (SiLU, GELU, a Linear's bias) see through the pairs; dynamic quantization's integer kernels
//! (`dynamic.rs`) and the QOperator format's integer operators (`qoperator.rs`) are rewritten
//! first. Integer operators none of them maps (`QAttention`, ...) are refused by name.

use super::constant::{constant_node_value, load_const, Const};
use super::{attr, attr_int, bad_model, unsupported};
use crate::error::Result;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{self, tensor_proto::DataType, NodeProto};

/// Operators of onnxruntime's integer formats (QOperator, dynamic quantization) that are
/// refused, with a way out, when `qoperator.rs` did not rewrite them.
const INTEGER_KERNELS: &[&str] = &[
    "QLinearConv",
    "QLinearMatMul",
    "QLinearAdd",
    "QLinearMul",
    "QLinearGlobalAveragePool",
    "QLinearAveragePool",
    "QLinearSigmoid",
    "QLinearLeakyRelu",
    "QLinearConcat",
    "QLinearSoftmax",
    "QGemm",
    "QAttention",
    "ConvInteger",
    "MatMulInteger",
    "DynamicQuantizeLinear",
];

/// Rewrites a QDQ-format graph into the float network it simulates (see the module's text).
/// A graph without quantization nodes is left as it is.
pub(super) fn simulated_network(graph: &mut pb::GraphProto) -> Result<()> {
    super::dynamic::float_kernels(graph)?;
    super::qoperator::float_operators(graph)?;
    if let Some(n) = graph
        .node
        .iter()
        .find(|n| INTEGER_KERNELS.contains(&n.op_type.as_str()))
    {
        return Err(unsupported(
            n,
            "(an integer operator of onnxruntime's QOperator or dynamic quantization formats \
             that zkinfer does not map; quantize with quant_format=QuantFormat.QDQ, or give \
             the float model)",
        ));
    }
    let quantizing =
        |n: &NodeProto| matches!(n.op_type.as_str(), "QuantizeLinear" | "DequantizeLinear");
    if !graph.node.iter().any(quantizing) {
        return Ok(());
    }
    let constants = Constants::of(graph);
    let quantize_nodes: HashMap<&str, &NodeProto> = graph
        .node
        .iter()
        .filter(|n| n.op_type == "QuantizeLinear")
        .filter_map(|n| Some((n.output.first()?.as_str(), n)))
        .collect();
    // What replaces each DequantizeLinear: a float constant, or a Clip of the activation.
    let mut folded: Vec<pb::TensorProto> = vec![];
    let mut clips: HashMap<usize, NodeProto> = HashMap::new();
    let mut removed: HashSet<usize> = HashSet::new();
    for (i, node) in graph.node.iter().enumerate() {
        if node.op_type != "DequantizeLinear" {
            continue;
        }
        match replacement(node, &quantize_nodes, &constants)? {
            Replacement::Constant(t) => {
                folded.push(t);
                removed.insert(i);
            }
            Replacement::Clip(clip, bounds) => {
                folded.extend(bounds);
                clips.insert(i, clip);
            }
        }
    }
    // A QuantizeLinear all of whose readers were DequantizeLinear nodes rewritten above is gone
    // with them; one read by anything else stays, and the loader refuses it by name.
    let index = Index::of(graph);
    let outputs: HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    for (i, n) in graph.node.iter().enumerate() {
        let Some(out) = n.output.first() else {
            continue;
        };
        let rewritten = |j: &usize| removed.contains(j) || clips.contains_key(j);
        let read_only_by_rewritten = index.readers(out).iter().all(rewritten);
        if n.op_type == "QuantizeLinear"
            && read_only_by_rewritten
            && !outputs.contains(out.as_str())
        {
            removed.insert(i);
        }
    }
    rewrite_nodes(graph, &removed, clips, folded);
    Ok(())
}

/// `graph` with the nodes at `removed` dropped, those at the keys of `replaced` replaced in
/// place, and `initializers` added (what each rewrite of a quantized format ends with).
pub(super) fn rewrite_nodes(
    graph: &mut pb::GraphProto,
    removed: &HashSet<usize>,
    mut replaced: HashMap<usize, NodeProto>,
    initializers: Vec<pb::TensorProto>,
) {
    graph.node = std::mem::take(&mut graph.node)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(i, n)| replaced.remove(&i).unwrap_or(n))
        .collect();
    graph.initializer.extend(initializers);
}

// One per DequantizeLinear, consumed at once: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Replacement {
    /// The float constant a DequantizeLinear writes.
    Constant(pb::TensorProto),
    /// A Clip of the activation a pair passes on, with its two bounds.
    Clip(NodeProto, [pb::TensorProto; 2]),
}

/// What replaces DequantizeLinear `node`: the value it writes when that is a constant (of a
/// constant, or of a QuantizeLinear of one), else the Clip a pair over an activation is.
fn replacement(
    node: &NodeProto,
    quantize_nodes: &HashMap<&str, &NodeProto>,
    constants: &Constants,
) -> Result<Replacement> {
    let (Some(x), Some(out)) = (node.input.first(), node.output.first()) else {
        return Err(unsupported(node, "without an input or an output"));
    };
    if let Some(q) = constants.get(x)? {
        let values = dequantized(node, &q, constants)?;
        return Ok(Replacement::Constant(float_tensor(out, &values)));
    }
    let Some(&quantize) = quantize_nodes.get(x.as_str()) else {
        return Err(unsupported(
            node,
            format!(
                "of '{x}', computed by no QuantizeLinear (only a weight's, or a \
                 QuantizeLinear's output: the QDQ format)"
            ),
        ));
    };
    check_same_grid(quantize, node, constants)?;
    let source = quantize
        .input
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    if let Some(c) = constants.get(source)? {
        let q = quantized(quantize, &c, constants)?;
        let values = dequantized(node, &q, constants)?;
        return Ok(Replacement::Constant(float_tensor(out, &values)));
    }
    let (lo, hi) = clip_bounds(quantize, constants)?;
    let bound = |end: &str, v: f64| {
        let scalar = Const {
            shape: vec![],
            values: vec![v],
            integer: false,
        };
        float_tensor(&format!("{out}:{end}"), &scalar)
    };
    let bounds = [bound("min", lo), bound("max", hi)];
    let clip = NodeProto {
        op_type: "Clip".into(),
        name: format!("{}:range", node.name),
        input: vec![
            source.to_string(),
            bounds[0].name.clone(),
            bounds[1].name.clone(),
        ],
        output: vec![out.clone()],
        ..Default::default()
    };
    Ok(Replacement::Clip(clip, bounds))
}

/// Constant tensors by name: initializers and Constant nodes' `value` tensors.
pub(super) struct Constants<'g> {
    tensors: HashMap<&'g str, &'g pb::TensorProto>,
    /// Constant nodes given by a number attribute (`value_float`, `value_floats`, ...): a scale
    /// may be written so; they have no element type of their own.
    numbers: HashMap<&'g str, Const>,
}

impl<'g> Constants<'g> {
    pub(super) fn of(graph: &'g pb::GraphProto) -> Self {
        let mut tensors: HashMap<&str, &pb::TensorProto> = graph
            .initializer
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let mut numbers = HashMap::new();
        for n in graph.node.iter().filter(|n| n.op_type == "Constant") {
            let Some(out) = n.output.first() else {
                continue;
            };
            match attr(n, "value").and_then(|a| a.t.as_ref()) {
                Some(t) => {
                    tensors.insert(out.as_str(), t);
                }
                None => {
                    if let Ok(Ok(c)) = constant_node_value(n) {
                        numbers.insert(out.as_str(), c);
                    }
                }
            }
        }
        Constants { tensors, numbers }
    }

    pub(super) fn get(&self, name: &str) -> Result<Option<Const>> {
        match self.tensors.get(name) {
            Some(t) => load_const(t).map(Some),
            None => Ok(self.numbers.get(name).cloned()),
        }
    }

    fn data_type(&self, name: &str) -> Option<DataType> {
        self.tensors
            .get(name)
            .and_then(|t| DataType::try_from(t.data_type).ok())
    }
}

/// Who writes and who reads each tensor.
pub(super) struct Index {
    pub(super) producer: HashMap<String, usize>,
    readers: HashMap<String, Vec<usize>>,
}

impl Index {
    pub(super) fn of(graph: &pb::GraphProto) -> Self {
        let mut producer = HashMap::new();
        let mut readers: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            for out in n.output.iter().filter(|o| !o.is_empty()) {
                producer.insert(out.clone(), i);
            }
            for input in n.input.iter().filter(|o| !o.is_empty()) {
                readers.entry(input.clone()).or_default().push(i);
            }
        }
        Index { producer, readers }
    }

    pub(super) fn readers(&self, name: &str) -> &[usize] {
        self.readers.get(name).map_or(&[], Vec::as_slice)
    }

    /// The one node reading `name`, when it is one node of type `op`.
    pub(super) fn only_reader(
        &self,
        graph: &pb::GraphProto,
        name: &str,
        op: &str,
    ) -> Option<usize> {
        match self.readers(name) {
            [r] if graph.node[*r].op_type == op => Some(*r),
            _ => None,
        }
    }
}

/// Blocked quantization (opset 21's `block_size`) is not read.
pub(super) fn check_unblocked(node: &NodeProto) -> Result<()> {
    if attr_int(node, "block_size", 0) != 0 {
        return Err(unsupported(node, "blocked quantization (block_size)"));
    }
    Ok(())
}

/// The scale and zero point of the grid at `node`'s inputs `at` (a `QuantizeLinear` or
/// `DequantizeLinear` has its grid at inputs 1 and 2, an operator of the QOperator format
/// several), as one value per element of `x`: per tensor, or per axis along `axis`.
pub(super) fn per_element_at(
    node: &NodeProto,
    at: [usize; 2],
    axis: i64,
    x: &Const,
    constants: &Constants,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let operand = |i: usize, what: &str| -> Result<Option<Const>> {
        match node.input.get(i).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(n) => constants
                .get(n)?
                .map(Some)
                .ok_or_else(|| unsupported(node, format!("a computed {what} '{n}'"))),
        }
    };
    let scale = operand(at[0], "scale")?.ok_or_else(|| unsupported(node, "no scale"))?;
    let zero = operand(at[1], "zero point")?;
    if let Some(z) = &zero {
        if z.values.len() != scale.values.len() {
            return Err(bad_model(format!(
                "node '{}': {} scales but {} zero points",
                node.name,
                scale.values.len(),
                z.values.len()
            )));
        }
    }
    if scale.values.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        return Err(unsupported(node, "a scale that is not a positive number"));
    }
    let n = x.values.len();
    let channels = scale.values.len();
    let channel_of: Box<dyn Fn(usize) -> usize> = if channels == 1 && scale.shape.len() <= 1 {
        Box::new(|_| 0)
    } else {
        let rank = x.shape.len() as i64;
        let a = axis;
        let axis = usize::try_from(if a < 0 { a + rank } else { a })
            .ok()
            .filter(|&a| a < x.shape.len() && x.shape[a] == channels)
            .ok_or_else(|| {
                unsupported(
                    node,
                    format!("{channels} scales along axis {a} of shape {:?}", x.shape),
                )
            })?;
        let inner: usize = x.shape[axis + 1..].iter().product();
        Box::new(move |i| (i / inner.max(1)) % channels)
    };
    let zero_of = |c: usize| zero.as_ref().map_or(0.0, |z| z.values[c]);
    Ok((0..n)
        .map(|i| {
            let c = channel_of(i);
            (scale.values[c], zero_of(c))
        })
        .unzip())
}

/// `f(value, scale, zero point)` for each element of constant `x`, on the grid at `node`'s
/// inputs `at` (per axis along `axis`).
fn on_grid(
    node: &NodeProto,
    at: [usize; 2],
    axis: i64,
    x: &Const,
    constants: &Constants,
    integer: bool,
    f: impl Fn(f64, f64, f64) -> f64,
) -> Result<Const> {
    let (scales, zeros) = per_element_at(node, at, axis, x, constants)?;
    Ok(Const {
        shape: x.shape.clone(),
        values: (0..x.values.len())
            .map(|i| f(x.values[i], scales[i], zeros[i]))
            .collect(),
        integer,
    })
}

/// `DequantizeLinear`: `(x - zero_point) · scale`.
fn dequantized(node: &NodeProto, x: &Const, constants: &Constants) -> Result<Const> {
    check_unblocked(node)?;
    dequantized_at(node, [1, 2], attr_int(node, "axis", 1), x, constants)
}

/// `(x - zero_point) · scale` on the grid at `node`'s inputs `at` (per axis along `axis`).
pub(super) fn dequantized_at(
    node: &NodeProto,
    at: [usize; 2],
    axis: i64,
    x: &Const,
    constants: &Constants,
) -> Result<Const> {
    on_grid(node, at, axis, x, constants, false, |v, s, z| (v - z) * s)
}

/// The stored range of a `QuantizeLinear`'s output: its zero point's type (uint8 when there is
/// none).
fn stored_range(node: &NodeProto, constants: &Constants) -> Result<(f64, f64)> {
    stored_range_at(node, 2, constants)
}

/// The stored range of a grid whose zero point is `node`'s input `zero` (uint8 when absent).
pub(super) fn stored_range_at(
    node: &NodeProto,
    zero: usize,
    constants: &Constants,
) -> Result<(f64, f64)> {
    let zero_type = node
        .input
        .get(zero)
        .filter(|n| !n.is_empty())
        .and_then(|n| constants.data_type(n))
        .unwrap_or(DataType::Uint8);
    match zero_type {
        DataType::Int8 => Ok((-128.0, 127.0)),
        DataType::Uint8 => Ok((0.0, 255.0)),
        DataType::Int16 => Ok((-32768.0, 32767.0)),
        DataType::Uint16 => Ok((0.0, 65535.0)),
        other => Err(unsupported(
            node,
            format!("quantization to {other:?} (int8, uint8, int16 and uint16 only)"),
        )),
    }
}

/// What a `QuantizeLinear` -> `DequantizeLinear` pair clamps an activation to: its stored range
/// on its grid. Only per-tensor grids (one scale), as activations are quantized.
fn clip_bounds(quantize: &NodeProto, constants: &Constants) -> Result<(f64, f64)> {
    check_unblocked(quantize)
        .map_err(|_| unsupported(quantize, "an activation quantized per axis"))?;
    grid_bounds(quantize, [1, 2], constants)
}

/// The values the stored integers of the per-tensor grid at `node`'s inputs `at` span.
pub(super) fn grid_bounds(
    node: &NodeProto,
    at: [usize; 2],
    constants: &Constants,
) -> Result<(f64, f64)> {
    let (lo, hi) = stored_range_at(node, at[1], constants)?;
    let (s, z) = scalar_grid(node, at, constants)?;
    Ok(((lo - z) * s, (hi - z) * s))
}

/// The scale and zero point of the per-tensor grid at `node`'s inputs `at`.
pub(super) fn scalar_grid(
    node: &NodeProto,
    at: [usize; 2],
    constants: &Constants,
) -> Result<(f64, f64)> {
    let one = Const {
        shape: vec![],
        values: vec![0.0],
        integer: false,
    };
    let (scales, zeros) = per_element_at(node, at, 1, &one, constants)
        .map_err(|_| unsupported(node, "an activation quantized per axis"))?;
    Ok((scales[0], zeros[0]))
}

/// `QuantizeLinear` of a constant: `clamp(round(x / scale) + zero_point)` (ties to even), within
/// the zero point's type.
fn quantized(node: &NodeProto, x: &Const, constants: &Constants) -> Result<Const> {
    check_unblocked(node)?;
    let (lo, hi) = stored_range(node, constants)?;
    let axis = attr_int(node, "axis", 1);
    on_grid(node, [1, 2], axis, x, constants, true, |v, s, z| {
        ((v / s).round_ties_even() + z).clamp(lo, hi)
    })
}

/// A pair over an activation is the identity only when both ends use the same grid.
fn check_same_grid(
    quantize: &NodeProto,
    dequantize: &NodeProto,
    constants: &Constants,
) -> Result<()> {
    let grid = |n: &NodeProto| -> Result<Vec<Option<Vec<f64>>>> {
        (1..3)
            .map(|i| match n.input.get(i).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Ok(constants.get(s)?.map(|c| c.values)),
            })
            .collect()
    };
    let zero_or_absent = |g: &[Option<Vec<f64>>]| -> (Option<Vec<f64>>, Vec<f64>) {
        let zeros = g[1].clone().unwrap_or_else(|| vec![0.0]);
        (g[0].clone(), zeros)
    };
    let (q, d) = (grid(quantize)?, grid(dequantize)?);
    let same_axis = attr_int(quantize, "axis", 1) == attr_int(dequantize, "axis", 1);
    if zero_or_absent(&q) != zero_or_absent(&d) || q[0].is_none() || !same_axis {
        return Err(unsupported(
            dequantize,
            format!(
                "after QuantizeLinear '{}' with another scale or zero point (a \
                 requantization; only QuantizeLinear -> DequantizeLinear pairs on one grid)",
                quantize.name
            ),
        ));
    }
    Ok(())
}

pub(super) fn float_tensor(name: &str, c: &Const) -> pb::TensorProto {
    pb::TensorProto {
        name: name.to_string(),
        dims: c.shape.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        float_data: c.values.iter().map(|&v| v as f32).collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::tests::{
        graph_of as graph, init, int, node, run_simulated as run, simulated_refusal as refusal,
        stored as bytes,
    };

    #[test]
    fn an_int8_weight_quantized_per_axis_is_the_float_it_stands_for() {
        // w = (q - z) · s per column: scales 0.5, 1, 2 and zero points 0, 1, -1 along axis 1.
        let nodes = vec![
            node(
                "DequantizeLinear",
                &["wq", "ws", "wz"],
                "w",
                vec![int("axis", 1)],
            ),
            node("MatMul", &["x", "w"], "y", vec![]),
        ];
        let inits = vec![
            bytes("wq", &[2, 3], DataType::Int8, &[2, 3, -1, -4, 1, 0]),
            init("ws", &[3], &[0.5, 1.0, 2.0]),
            bytes("wz", &[3], DataType::Int8, &[0, 1, -1]),
        ];
        let y = run(graph(&[1, 2], nodes, inits), &[1.0, 10.0]);
        // w = [[1, 2, 0], [-2, 0, 2]]
        assert_eq!(y, vec![1.0 - 20.0, 2.0, 20.0]);
    }

    #[test]
    fn a_pair_over_an_activation_clamps_it_to_the_grid_range_and_keeps_its_value_inside() {
        // uint8, scale 0.5, zero point 10: the grid spans [-5, 122.5].
        let nodes = vec![
            node("QuantizeLinear", &["x", "s", "z"], "q", vec![]),
            node("DequantizeLinear", &["q", "s", "z"], "y", vec![]),
        ];
        let inits = vec![
            init("s", &[], &[0.5]),
            bytes("z", &[], DataType::Uint8, &[10]),
        ];
        let y = run(graph(&[1, 4], nodes, inits), &[-7.0, -5.0, 3.3, 200.0]);
        assert_eq!(y, vec![-5.0, -5.0, 3.3, 122.5]);
    }

    #[test]
    fn a_scale_written_as_a_constant_nodes_number_is_read() {
        let scale = NodeProto {
            op_type: "Constant".into(),
            output: vec!["s".into()],
            attribute: vec![pb::AttributeProto {
                name: "value_float".into(),
                f: 0.5,
                ..Default::default()
            }],
            ..Default::default()
        };
        let nodes = vec![
            scale,
            node("QuantizeLinear", &["x", "s", "z"], "q", vec![]),
            node("DequantizeLinear", &["q", "s", "z"], "y", vec![]),
        ];
        let inits = vec![bytes("z", &[], DataType::Int8, &[0])];
        let y = run(graph(&[1, 2], nodes, inits), &[100.0, -0.75]);
        assert_eq!(y, vec![63.5, -0.75]);
    }

    #[test]
    fn a_float_weight_between_a_pair_is_fake_quantized() {
        // int8, scale 0.25: 0.3 -> 0.25, 0.4 -> 0.5 (1.6 rounds to 2), 100 saturates at 127.
        let nodes = vec![
            node("QuantizeLinear", &["w", "s", "z"], "wq", vec![]),
            node("DequantizeLinear", &["wq", "s", "z"], "wf", vec![]),
            node("Mul", &["x", "wf"], "y", vec![]),
        ];
        let inits = vec![
            init("w", &[1, 3], &[0.3, 0.4, 100.0]),
            init("s", &[], &[0.25]),
            bytes("z", &[], DataType::Int8, &[0]),
        ];
        let y = run(graph(&[1, 3], nodes, inits), &[1.0, 1.0, 1.0]);
        assert_eq!(y, vec![0.25, 0.5, 31.75]);
    }

    #[test]
    fn integer_kernels_a_requantization_and_a_lone_dequantize_are_refused_by_name() {
        let inits = || {
            vec![
                init("s", &[], &[0.5]),
                init("t", &[], &[0.25]),
                bytes("z", &[], DataType::Uint8, &[0]),
            ]
        };
        let dynamic = vec![node("ConvInteger", &["x", "s", "z"], "y", vec![])];
        let err = refusal(graph(&[1, 1, 2, 2], dynamic, inits()));
        assert!(err.contains("ConvInteger") && err.contains("QDQ"), "{err}");
        let requantized = vec![
            node("QuantizeLinear", &["x", "s", "z"], "q", vec![]),
            node("DequantizeLinear", &["q", "t", "z"], "y", vec![]),
        ];
        let err = refusal(graph(&[1, 4], requantized, inits()));
        assert!(err.contains("requantization"), "{err}");
        let lone = vec![node("DequantizeLinear", &["x", "s", "z"], "y", vec![])];
        let err = refusal(graph(&[1, 4], lone, inits()));
        assert!(
            err.contains("DequantizeLinear") && err.contains("QuantizeLinear"),
            "{err}"
        );
    }
}
