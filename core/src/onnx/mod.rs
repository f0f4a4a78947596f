//! ONNX loader: parses the protobuf with tract-onnx (a maintained parser) and maps each node onto
//! our typed IR. Every unsupported operator or attribute is reported by name, before any
//! expensive work happens.

use crate::error::{Error, Result};
use crate::ir::{AddOperand, Clip, Conv, Dense, Model, ModelBuilder, Op, Pool, PoolKind, TensorId};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::path::Path;
#[cfg(test)]
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{self, type_proto, NodeProto};
use tract_onnx::prelude::Framework;

/// Loads a float ONNX model (batch size 1) into the IR, its external data (if any) from the
/// file's directory.
pub fn load_onnx(path: impl AsRef<Path>) -> Result<Model> {
    load_onnx_with(path, &OnnxChoices::default())
}

/// [`load_onnx`] with values for the input's symbolic dimensions and any extra inputs.
pub fn load_onnx_with(path: impl AsRef<Path>, choices: &OnnxChoices) -> Result<Model> {
    let path = path.as_ref();
    let (bytes, name) = crate::loader::read_model_file(path)?;
    load_onnx_file_bytes(&bytes, &name, path, choices)
}

/// Loads a model from ONNX bytes; `origin` names them in error messages. A model whose weights
/// are external data is refused: it needs [`load_onnx`] (its file's directory).
pub fn load_onnx_bytes(bytes: &[u8], name: &str, origin: &str) -> Result<Model> {
    load_onnx_in(bytes, name, origin, None, &OnnxChoices::default())
}

/// The bytes of the ONNX file at `path`, its external data read from the file's directory.
pub(crate) fn load_onnx_file_bytes(
    bytes: &[u8],
    name: &str,
    path: &Path,
    choices: &OnnxChoices,
) -> Result<Model> {
    let dir = path.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    });
    load_onnx_in(bytes, name, &path.display().to_string(), dir, choices)
}

fn load_onnx_in(
    bytes: &[u8],
    name: &str,
    origin: &str,
    dir: Option<&Path>,
    choices: &OnnxChoices,
) -> Result<Model> {
    let malformed = |reason: String| Error::MalformedModel {
        path: origin.to_string(),
        reason,
    };
    let mut proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| malformed(format!("{e:#}")))?;
    let graph = proto
        .graph
        .as_mut()
        .ok_or_else(|| malformed("no graph".into()))?;
    constant::read_external_data(graph, dir).map_err(|e| match e {
        Error::MalformedModel { reason, .. } => malformed(reason),
        other => other,
    })?;
    if let Some(output) = &choices.output {
        prove_tensor(graph, output)?;
    }
    leave_final_argmax_outside(graph);
    qdq::simulated_network(graph).map_err(|e| match e {
        Error::MalformedModel { reason, .. } => malformed(reason),
        other => other,
    })?;
    let graph = &*graph;
    // The default domain's opset (operators whose defaults changed, e.g. Softmax's axis).
    let opset = proto
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(13, |o| o.version);
    Loader::load_with(graph, name, opset, choices).map_err(|e| match e {
        Error::MalformedModel { reason, .. } => malformed(reason),
        other => other,
    })
}

/// Loads a graph written in memory (a float TFLite model's, [`crate::tflite`]) with the
/// default choices; its nodes carry the names error messages give.
pub(crate) fn load_graph(graph: &pb::GraphProto, name: &str, opset: i64) -> Result<Model> {
    Loader::load_with(graph, name, opset, &OnnxChoices::default())
}

/// Makes the tensor named `output` the graph's one output and keeps only the nodes it needs
/// (another output's nodes may use operators that are not mapped, and would cost rows).
fn prove_tensor(graph: &mut pb::GraphProto, output: &str) -> Result<()> {
    let producers: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
        .collect();
    let is_input = graph.input.iter().any(|i| i.name == output);
    let Some(&last) = producers.get(output) else {
        let what = if is_input {
            "a graph input, which the proof takes rather than shows"
        } else {
            "no node writes it"
        };
        let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
        return Err(Error::InvalidInput(format!(
            "--output-tensor '{output}': {what} (the graph's outputs: {outputs:?})"
        )));
    };
    let mut needed = vec![false; graph.node.len()];
    let mut pending = vec![last];
    while let Some(i) = pending.pop() {
        if std::mem::replace(&mut needed[i], true) {
            continue;
        }
        pending.extend(
            graph.node[i]
                .input
                .iter()
                .filter_map(|name| producers.get(name.as_str()))
                .filter(|&&p| !needed[p]),
        );
    }
    let mut needed = needed.into_iter();
    graph.node.retain(|_| needed.next().unwrap_or(false));
    graph.output = vec![pb::ValueInfoProto {
        name: output.to_string(),
        ..Default::default()
    }];
    Ok(())
}

/// A classifier or a segmenter exported with its class indices (a final ArgMax over its
/// scores) proves the scores: the ArgMax is left outside the proof, as TFLite's final SOFTMAX
/// is, and its input becomes the model's output. The class is their argmax, which anyone
/// computes from the proven output (an index is no fixed-point value a circuit step makes).
/// Only an ArgMax writing the graph's one output that nothing else reads; one anywhere else is
/// refused by name as before.
fn leave_final_argmax_outside(graph: &mut pb::GraphProto) {
    let [output] = &graph.output[..] else {
        return;
    };
    let indices = output.name.clone();
    let last = graph.node.iter().position(|n| {
        n.op_type == "ArgMax"
            && (n.domain.is_empty() || n.domain == "ai.onnx")
            && n.output.first() == Some(&indices)
    });
    let Some(last) = last else {
        return;
    };
    let Some(scores) = graph.node[last].input.first().cloned() else {
        return;
    };
    if graph.node.iter().any(|n| n.input.contains(&indices)) {
        return;
    }
    graph.node.remove(last);
    graph.output[0] = pb::ValueInfoProto {
        name: scores,
        ..Default::default()
    };
}

mod attrs;
mod constant;
mod dynamic;
mod fold;
mod fuse;
mod ops;
mod qdq;
mod qoperator;

pub(crate) use attrs::auto_pad;
use attrs::{
    attr, attr_float, attr_int, attr_ints, attr_str, ceil_mode_pads, usize_pair, window,
    window_ceil,
};
use constant::{constant_node_value, load_const, Const};

struct Loader {
    consts: HashMap<String, Const>,
    tensors: HashMap<String, TensorId>,
    /// How many nodes (and graph outputs) read each tensor name.
    consumers: HashMap<String, usize>,
    graph_outputs: Vec<String>,
    /// A function written as several nodes (SiLU and hard swish as `Mul(x, g(x))`, GELU in
    /// any exporter's form): its last node's output name, with `x` and the function.
    fused_unary: HashMap<String, (String, crate::ops::unary::UnaryFn)>,
    /// Outputs of nodes a fused pattern absorbs (the Sigmoid of a SiLU, the inner nodes of a
    /// GELU, a Linear's bias Add): never mapped.
    fused_away: std::collections::HashSet<String>,
    /// A division by `√(v + ε)`, by its output name.
    fused_inverse_sqrt: HashMap<String, fuse::InverseSqrt>,
    /// `Add(MatMul(x, W), b)` with constant `W` and a per-output constant `b` read by nothing
    /// else (nn.Linear on a sequence, as torch exports it): the MatMul's output name, with the
    /// Add's output name and `b`, one dense layer with its bias.
    linear_bias: HashMap<String, (String, Vec<f32>)>,
    /// The input of each Softmax node, with the axis it normalises (attribute or default).
    softmax_axes: HashMap<String, i64>,
    /// Attention scores an additive mask or a Where masks, by the masking node's output name:
    /// the Softmax reading it skips the masked entries.
    masked_scores: HashMap<String, ops::MaskedScores>,
    /// Each two-input Add by the name of one input: its output and its other input. A mask's
    /// candidate may reach its Softmax through another mask added to it (HuggingFace's GPT-2
    /// adds the attention mask after its causal `Where`).
    add_operands: HashMap<String, (String, String)>,
    /// The model's opset of the default domain.
    opset: i64,
    /// Computed tensors known to hold integers: an integer-typed graph input (token ids) and
    /// what Equal, Not, CumSum, casts and integer arithmetic make of it. Equal is proven as
    /// `|x - c| < ½` and a cast to an integer type as the identity, exact only on these.
    integer_valued: std::collections::HashSet<String>,
}

fn bad_model(reason: impl Into<String>) -> Error {
    Error::MalformedModel {
        path: String::new(),
        reason: reason.into(),
    }
}

fn unsupported(node: &NodeProto, detail: impl Into<String>) -> Error {
    let detail = detail.into();
    Error::UnsupportedOp {
        op: node.op_type.clone(),
        node: node_name(node),
        detail: if detail.is_empty() {
            detail
        } else {
            format!(": {detail}")
        },
    }
}

fn node_name(node: &NodeProto) -> String {
    if node.name.is_empty() {
        node.output.first().cloned().unwrap_or_default()
    } else {
        node.name.clone()
    }
}

/// Values for an ONNX input's symbolic dimensions (`dim_param`: exporters' `batch`,
/// `sequence_length`, `height`...), by name: a proof is of one fixed shape.
pub type SymbolicDims = [(String, usize)];

/// What fills a graph input that is not the proven one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFill {
    /// Every element 1 (an attention mask over an unpadded sequence).
    Ones,
    /// Every element 0 (token type ids of a single segment).
    Zeros,
    /// `0, 1, ..., n - 1` along the last axis (position ids).
    Range,
}

impl std::str::FromStr for InputFill {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "ones" => Ok(InputFill::Ones),
            "zeros" => Ok(InputFill::Zeros),
            "range" => Ok(InputFill::Range),
            other => Err(format!("'{other}' is not ones, zeros or range")),
        }
    }
}

/// How an ONNX file's graph is taken: values for symbolic dimensions, the inputs besides the
/// proven one held constant (HuggingFace exports' `attention_mask`, `token_type_ids`,
/// `position_ids`), each by name, and the tensor to prove when not the graph's one output. The
/// constants are part of the model, bound by its id.
#[derive(Clone, Debug, Default)]
pub struct OnnxChoices {
    pub dims: Vec<(String, usize)>,
    pub constants: Vec<(String, InputFill)>,
    /// The tensor the proof shows, by name: one of several graph outputs (a language model's
    /// logits beside its key/value cache) or any tensor inside the graph. Only the nodes it
    /// needs are loaded.
    pub output: Option<String>,
}

impl OnnxChoices {
    pub fn is_empty(&self) -> bool {
        self.dims.is_empty() && self.constants.is_empty() && self.output.is_none()
    }
}

/// The constant `fill` of an input of `shape`.
fn filled(shape: Vec<usize>, fill: InputFill) -> Const {
    let n: usize = shape.iter().product();
    let last = shape.last().copied().unwrap_or(1).max(1);
    let values = (0..n)
        .map(|i| match fill {
            InputFill::Ones => 1.0,
            InputFill::Zeros => 0.0,
            InputFill::Range => (i % last) as f64,
        })
        .collect();
    Const {
        shape,
        values,
        integer: true,
    }
}

/// The input's shape: its fixed dimensions, a symbolic first (batch) dimension as 1, any other
/// symbolic one from `dims` by name. For the proven input (`every_name_used`), every name in
/// `dims` must be one of its own.
fn value_shape(
    vi: &pb::ValueInfoProto,
    dims: &SymbolicDims,
    every_name_used: bool,
) -> Result<Vec<usize>> {
    use pb::tensor_shape_proto::dimension::Value;
    let Some(pb::TypeProto {
        value: Some(type_proto::Value::TensorType(t)),
        ..
    }) = &vi.r#type
    else {
        return Err(bad_model(format!("input '{}' is not a tensor", vi.name)));
    };
    let declared = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or(&[]);
    let params: Vec<&str> = declared
        .iter()
        .filter_map(|d| match &d.value {
            Some(Value::DimParam(p)) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    if every_name_used {
        if let Some((unused, _)) = dims.iter().find(|(n, _)| !params.contains(&n.as_str())) {
            return Err(bad_model(format!(
                "input '{}' has no dimension named '{unused}' (its symbolic dimensions: \
                 {params:?})",
                vi.name
            )));
        }
    }
    let given = |name: &str| dims.iter().find(|(n, _)| n == name).map(|&(_, v)| v);
    declared
        .iter()
        .enumerate()
        .map(|(i, d)| match &d.value {
            Some(Value::DimValue(v)) if *v > 0 => Ok(*v as usize),
            Some(Value::DimParam(p)) => match given(p) {
                Some(v) if v > 0 && (i > 0 || v == 1) => Ok(v),
                Some(_) => Err(bad_model(format!(
                    "input '{}': dimension '{p}' must be at least 1 (and 1 for the batch)",
                    vi.name
                ))),
                // A symbolic batch dimension: we prove one sample at a time.
                None if i == 0 => Ok(1),
                None if !p.is_empty() => Err(bad_model(format!(
                    "input '{}' has a symbolic dimension {i}, '{p}': a proof is of one shape, \
                     so give it a value (`zkinfer compile --dim {p}=N`)",
                    vi.name
                ))),
                None => Err(unknown_dimension(vi, i)),
            },
            _ if i == 0 => Ok(1),
            _ => Err(unknown_dimension(vi, i)),
        })
        .collect()
}

fn unknown_dimension(vi: &pb::ValueInfoProto, i: usize) -> Error {
    bad_model(format!(
        "input '{}' has an unknown dimension {i} (re-export the model with a fixed shape)",
        vi.name
    ))
}

impl Loader {
    #[cfg(test)]
    fn load(graph: &pb::GraphProto, name: &str, opset: i64) -> Result<Model> {
        Self::load_with(graph, name, opset, &OnnxChoices::default())
    }

    fn load_with(
        graph: &pb::GraphProto,
        name: &str,
        opset: i64,
        choices: &OnnxChoices,
    ) -> Result<Model> {
        let dims = &choices.dims[..];
        let mut loader = Loader {
            consts: HashMap::new(),
            tensors: HashMap::new(),
            consumers: HashMap::new(),
            graph_outputs: graph.output.iter().map(|o| o.name.clone()).collect(),
            fused_unary: HashMap::new(),
            fused_away: Default::default(),
            fused_inverse_sqrt: HashMap::new(),
            linear_bias: HashMap::new(),
            softmax_axes: HashMap::new(),
            masked_scores: HashMap::new(),
            add_operands: HashMap::new(),
            opset,
            integer_valued: Default::default(),
        };
        for n in graph.node.iter().filter(|n| n.op_type == "Add") {
            if let ([a, b], Some(out)) = (&n.input[..], n.output.first()) {
                loader
                    .add_operands
                    .insert(a.clone(), (out.clone(), b.clone()));
                loader
                    .add_operands
                    .insert(b.clone(), (out.clone(), a.clone()));
            }
        }
        for n in graph.node.iter().filter(|n| n.op_type == "Softmax") {
            if let Some(x) = n.input.first() {
                let default_axis = if opset >= 13 { -1 } else { 1 };
                loader
                    .softmax_axes
                    .insert(x.clone(), attr_int(n, "axis", default_axis));
            }
        }
        for name in graph
            .node
            .iter()
            .flat_map(|n| n.input.iter())
            .chain(&loader.graph_outputs)
        {
            *loader.consumers.entry(name.clone()).or_default() += 1;
        }
        for init in &graph.initializer {
            loader.consts.insert(init.name.clone(), load_const(init)?);
        }
        // Constant nodes' tensors too, once: the patterns fused below read their scalars
        // (TorchScript writes GELU's √2, 1 and 0.5 as Constant nodes, not initializers). One the
        // loader cannot read is left for its node's mapping to report.
        for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
            if let (Some(out), Ok(Ok(c))) = (node.output.first(), constant_node_value(node)) {
                loader.consts.insert(out.clone(), c);
            }
        }
        // Inputs held constant, before the patterns are found (a mask folds like any constant).
        for (name, fill) in &choices.constants {
            let vi = graph
                .input
                .iter()
                .find(|i| &i.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
                    Error::InvalidModel(format!(
                        "no graph input is named '{name}' (the inputs: {names:?})"
                    ))
                })?;
            let shape = value_shape(vi, dims, false)?;
            loader.consts.insert(name.clone(), filled(shape, *fill));
        }
        loader.find_fusions(graph);
        if graph.output.len() != 1 {
            let names: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
            return Err(Error::InvalidModel(format!(
                "expected exactly one graph output, found {} ({names:?}): a proof shows one \
                 output tensor; choose it with --output-tensor NAME (any tensor of the graph)",
                graph.output.len()
            )));
        }
        let inputs: Vec<&pb::ValueInfoProto> = graph
            .input
            .iter()
            // An input no node reads (another output's, once `--output-tensor` chose one) is not
            // part of the proof.
            .filter(|i| {
                !loader.consts.contains_key(&i.name) && loader.consumers.contains_key(&i.name)
            })
            .collect();
        if inputs.len() != 1 {
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(Error::InvalidModel(format!(
                "expected exactly one graph input, found {} ({names:?}): a proof takes one \
                 input tensor; hold the others constant with --constant-input \
                 NAME=ones|zeros|range",
                inputs.len()
            )));
        }
        let shape = value_shape(inputs[0], dims, true)?;
        let mut builder = ModelBuilder::new(name, inputs[0].name.clone(), shape)?;
        loader.tensors.insert(inputs[0].name.clone(), 0);
        if is_integer_type(inputs[0]) {
            loader.integer_valued.insert(inputs[0].name.clone());
        }
        // Check every operator first so an unsupported one is reported before any work.
        for node in &graph.node {
            if !is_supported(&node.op_type) || !node.domain.is_empty() && node.domain != "ai.onnx" {
                return Err(unsupported(node, ""));
            }
        }
        for node in &graph.node {
            loader.node(&mut builder, node)?;
        }
        let out_name = &graph.output[0].name;
        let out = *loader.tensors.get(out_name).ok_or_else(|| {
            Error::InvalidModel(format!(
                "graph output '{out_name}' is not computed from the input"
            ))
        })?;
        builder.finish(out)
    }

    fn tensor(&self, node: &NodeProto, i: usize) -> Result<TensorId> {
        let name = node
            .input
            .get(i)
            .ok_or_else(|| unsupported(node, format!("missing input {i}")))?;
        self.tensors.get(name).copied().ok_or_else(|| {
            unsupported(
                node,
                format!("input '{name}' must be computed from the model input"),
            )
        })
    }

    fn constant(&self, node: &NodeProto, i: usize) -> Result<Option<&Const>> {
        match node.input.get(i) {
            None => Ok(None),
            Some(n) if n.is_empty() => Ok(None),
            Some(n) => match self.consts.get(n) {
                Some(c) => Ok(Some(c)),
                None if self.tensors.contains_key(n) => Err(unsupported(
                    node,
                    format!("input '{n}' must be a constant (weights, shapes, bounds)"),
                )),
                None => Err(bad_model(format!(
                    "node '{}' reads undefined tensor '{n}'",
                    node_name(node)
                ))),
            },
        }
    }

    fn is_graph_output(&self, name: &str) -> bool {
        self.graph_outputs.iter().any(|o| o == name)
    }

    /// Maps one node, and records whether its output holds integers.
    fn node(&mut self, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
        let integer = self.integer_output(node);
        self.map_node(b, node)?;
        if integer {
            if let Some(out) = node.output.first() {
                if self.tensors.contains_key(out) {
                    self.integer_valued.insert(out.clone());
                }
            }
        }
        Ok(())
    }

    /// Whether `node`'s output holds integers whenever its inputs do: a comparison's booleans,
    /// and sums, products, movements and casts of integer tensors and integral constants.
    fn integer_output(&self, node: &NodeProto) -> bool {
        const PRESERVING: &[&str] = &[
            "Add",
            "Sub",
            "Mul",
            "Neg",
            "Abs",
            "Relu",
            "Identity",
            "Reshape",
            "Flatten",
            "Squeeze",
            "Unsqueeze",
            "Transpose",
            "Concat",
            "Slice",
            "Expand",
            "Tile",
            "CumSum",
            "ReduceSum",
            "Max",
            "Min",
            "Not",
            "Cast",
        ];
        match node.op_type.as_str() {
            "Equal" => true,
            op if PRESERVING.contains(&op) => {
                node.input.iter().filter(|n| !n.is_empty()).all(|n| {
                    self.integer_valued.contains(n)
                        || self
                            .consts
                            .get(n)
                            .is_some_and(|c| c.values.iter().all(|v| v.fract() == 0.0))
                })
            }
            _ => false,
        }
    }

    fn map_node(&mut self, b: &mut ModelBuilder, node: &NodeProto) -> Result<()> {
        if self.fold(b, node)? {
            return Ok(());
        }
        let out = node.output.first().cloned().unwrap_or_default();
        if self.fused_away.contains(&out) {
            return Ok(());
        }
        if let Some(inv) = self.fused_inverse_sqrt.get(&out).cloned() {
            return ops::divide_by_root(self, b, node, inv);
        }
        if let Some((x, f)) = self.fused_unary.get(&out).cloned() {
            let x = *self.tensors.get(&x).ok_or_else(|| {
                unsupported(node, format!("{} input '{x}' not computed", f.name()))
            })?;
            let id = b.add(node_name(node), Op::Unary(f), vec![x], out.clone(), None)?;
            self.tensors.insert(out, id);
            return Ok(());
        }
        if let Some(map) = ops::mapper(&node.op_type) {
            return map(self, b, node);
        }
        if !SUPPORTED.contains(&node.op_type.as_str()) {
            return Err(unsupported(
                node,
                "only as shape arithmetic on constants (a Shape, or constant inputs)",
            ));
        }
        let out_name = node.output.first().cloned().unwrap_or_default();
        let name = node_name(node);
        let (op, inputs, reshape_to) = match node.op_type.as_str() {
            // Read before the patterns were fused (`Loader::load`); one that could not be read
            // is reported here.
            "Constant" if self.consts.contains_key(&out_name) => return Ok(()),
            "Constant" => {
                let c = constant_node_value(node).map_err(|e| unsupported(node, e))??;
                self.consts.insert(out_name, c);
                return Ok(());
            }
            "Identity" | "Dropout" => {
                // Dropout is the identity at inference; a `training_mode` input that is (or
                // may be) true drops values at random, which no proof can reproduce.
                if node.op_type == "Dropout" {
                    let training = self.constant(node, 2).map_err(|_| {
                        unsupported(node, "a computed training_mode (inference only)")
                    })?;
                    if training.is_some_and(|t| t.values.iter().any(|&v| v != 0.0)) {
                        return Err(unsupported(node, "training_mode true (inference only)"));
                    }
                }
                let x = self.tensor(node, 0)?;
                self.tensors.insert(out_name, x);
                return Ok(());
            }
            "Conv" => {
                let x = self.tensor(node, 0)?;
                let w = self
                    .constant(node, 1)?
                    .ok_or_else(|| unsupported(node, "missing weight"))?;
                if !(3..=4).contains(&w.shape.len()) {
                    return Err(unsupported(
                        node,
                        format!("weight shape {:?} (only 1-D and 2-D convolution)", w.shape),
                    ));
                }
                let bias = match self.constant(node, 2)? {
                    Some(c) => c.values.iter().map(|&v| v as f32).collect(),
                    None => vec![0.0; w.shape[0]],
                };
                let group = attr_int(node, "group", 1);
                if group < 1 {
                    return Err(unsupported(node, format!("group={group}")));
                }
                if w.shape.len() == 3 {
                    let w = w.clone();
                    return ops::conv_1d(self, b, node, x, &w, bias, group as usize);
                }
                let conv = Conv {
                    weight: w.to_tensor(),
                    bias,
                    window: window(
                        node,
                        [w.shape[2], w.shape[3]],
                        b.shape(x).get(2..).unwrap_or_default(),
                    )?,
                    group: group as usize,
                };
                (Op::Conv(conv), vec![x], None)
            }
            "Gemm" => {
                let mut x = self.tensor(node, 0)?;
                if b.shape(x).len() != 2 {
                    return Err(unsupported(
                        node,
                        format!("input shape {:?} (Gemm takes a matrix)", b.shape(x)),
                    ));
                }
                if attr_int(node, "transA", 0) != 0 {
                    let map = crate::ops::gather::maps::transpose(b.shape(x), None)
                        .map_err(|e| unsupported(node, e))?;
                    x = ops::emit_part(b, node, "transpose_a", Op::Gather(map), vec![x], None)?;
                }
                let w = self
                    .constant(node, 1)?
                    .ok_or_else(|| unsupported(node, "missing weight"))?;
                if w.shape.len() != 2 {
                    return Err(unsupported(node, format!("weight shape {:?}", w.shape)));
                }
                let (alpha, beta) = (
                    attr_float(node, "alpha", 1.0),
                    attr_float(node, "beta", 1.0),
                );
                let trans_b = attr_int(node, "transB", 0) != 0;
                let (n_out, n_in) = if trans_b {
                    (w.shape[0], w.shape[1])
                } else {
                    (w.shape[1], w.shape[0])
                };
                let mut weight = vec![0f32; n_out * n_in];
                for o in 0..n_out {
                    for i in 0..n_in {
                        let v = if trans_b {
                            w.values[o * n_in + i]
                        } else {
                            w.values[i * n_out + o]
                        };
                        weight[o * n_in + i] = (v * alpha as f64) as f32;
                    }
                }
                let weight = Tensor::new(vec![n_out, n_in], weight);
                let scaled = |c: &Const, to: &[usize]| {
                    crate::tensor::broadcast_indices(&c.shape, to).map(|idx| {
                        idx.iter()
                            .map(|&i| (c.values[i] * beta as f64) as f32)
                            .collect::<Vec<f32>>()
                    })
                };
                let rows = b.shape(x)[0];
                let bias = self.constant(node, 2)?;
                // The bias with the per-feature values it gives, if it gives one per feature.
                match bias.map(|c| (c, scaled(c, &[1, n_out]))) {
                    None => (
                        Op::Dense(Dense {
                            weight,
                            bias: vec![0.0; n_out],
                        }),
                        vec![x],
                        None,
                    ),
                    // One bias per output feature: the layer's own.
                    Some((_, Some(bias))) => (Op::Dense(Dense { weight, bias }), vec![x], None),
                    // A bias varying by row too: a constant added to the product.
                    Some((c, None)) => {
                        let full = scaled(c, &[rows, n_out]).ok_or_else(|| {
                            unsupported(node, format!("bias shape {:?}", c.shape))
                        })?;
                        let dense = Dense {
                            weight,
                            bias: vec![0.0; n_out],
                        };
                        let y =
                            ops::emit_part(b, node, "product", Op::Dense(dense), vec![x], None)?;
                        (
                            Op::Add(AddOperand::Constant(Tensor::new(vec![rows, n_out], full))),
                            vec![y],
                            None,
                        )
                    }
                }
            }
            "MatMul" => {
                let x = self.tensor(node, 0)?;
                let second = node.input.get(1).map(String::as_str).unwrap_or_default();
                if self.tensors.contains_key(second) {
                    // Two computed operands (attention): the matrix product itself.
                    let y = self.tensor(node, 1)?;
                    (Op::MatMul, vec![x, y], None)
                } else {
                    let w = self
                        .constant(node, 1)?
                        .ok_or_else(|| unsupported(node, "missing second operand"))?;
                    let (mut op, inputs) = matmul_by_constant(node, x, w)?;
                    if let (Some((add_out, bias)), Op::Dense(d)) =
                        (self.linear_bias.get(&out_name), &mut op)
                    {
                        d.bias = bias.clone();
                        let id = b.add(name, op, inputs, add_out.clone(), None)?;
                        self.tensors.insert(add_out.clone(), id);
                        self.tensors.insert(out_name, id);
                        return Ok(());
                    }
                    (op, inputs, None)
                }
            }
            "Add" => {
                let lhs_const = node
                    .input
                    .first()
                    .is_some_and(|n| self.consts.contains_key(n));
                let (ti, ci) = if lhs_const { (1, 0) } else { (0, 1) };
                if let Some(masked) = node
                    .input
                    .get(ti)
                    .and_then(|n| self.masked_scores.get(n))
                    .cloned()
                {
                    return ops::add_to_masked(self, b, node, masked, ci);
                }
                let x = self.tensor(node, ti)?;
                match node.input.get(ci).and_then(|n| self.consts.get(n)).cloned() {
                    Some(c) if ops::record_mask(self, b, node, x, &c)? => return Ok(()),
                    Some(c) => {
                        let x = ops::widen_for_constant(b, node, x, &c.shape)?;
                        (Op::Add(AddOperand::Constant(c.to_tensor())), vec![x], None)
                    }
                    None => {
                        let y = self.tensor(node, ci)?;
                        let (x, y) = ops::broadcast_pair(b, node, x, y)?;
                        (Op::Add(AddOperand::Tensor), vec![x, y], None)
                    }
                }
            }
            "Relu" => (Op::Relu, vec![self.tensor(node, 0)?], None),
            "Clip" => {
                let x = self.tensor(node, 0)?;
                let scalar = |c: Option<&Const>, default: f32| -> Result<f32> {
                    match c {
                        None => Ok(default),
                        Some(c) if c.values.len() == 1 => Ok(c.values[0] as f32),
                        Some(_) => Err(unsupported(node, "min/max must be scalars")),
                    }
                };
                let (min, max) = if node.input.len() > 1 {
                    (
                        scalar(self.constant(node, 1)?, f32::NEG_INFINITY)?,
                        scalar(self.constant(node, 2)?, f32::INFINITY)?,
                    )
                } else {
                    (
                        attr_float(node, "min", f32::NEG_INFINITY),
                        attr_float(node, "max", f32::INFINITY),
                    )
                };
                if min.is_nan() || max.is_nan() || min > max {
                    return Err(unsupported(node, format!("bounds [{min}, {max}]")));
                }
                (Op::Clip(Clip { min, max }), vec![x], None)
            }
            "MaxPool" | "AveragePool" => {
                let x = self.tensor(node, 0)?;
                if node.output.len() > 1 && !node.output[1].is_empty() {
                    return Err(unsupported(node, "the Indices output"));
                }
                let kind = if node.op_type == "MaxPool" {
                    PoolKind::Max
                } else {
                    PoolKind::Average {
                        count_include_pad: attr_int(node, "count_include_pad", 0) != 0,
                    }
                };
                let shape = b.shape(x).to_vec();
                if shape.len() == 3 {
                    return ops::pool_1d(self, b, node, x, kind);
                }
                let kernel = usize_pair(node, "kernel_shape", 0)?;
                let spatial = shape.get(2..).unwrap_or_default();
                let mut window = window_ceil(node, kernel, kind == PoolKind::Max, spatial)?;
                if attr_int(node, "ceil_mode", 0) != 0 {
                    ceil_mode_pads(node, &mut window, &shape)?;
                }
                (Op::Pool(Pool { kind, window }), vec![x], None)
            }
            "Flatten" => {
                let x = self.tensor(node, 0)?;
                let s = b.shape(x).to_vec();
                let mut axis = attr_int(node, "axis", 1);
                if axis < 0 {
                    axis += s.len() as i64;
                }
                if axis < 0 || axis as usize > s.len() {
                    return Err(unsupported(node, format!("axis={axis}")));
                }
                let (a, r) = s.split_at(axis as usize);
                (
                    Op::Reshape,
                    vec![x],
                    Some(vec![a.iter().product(), r.iter().product()]),
                )
            }
            "Reshape" => {
                let x = self.tensor(node, 0)?;
                let spec = self
                    .constant(node, 1)?
                    .ok_or_else(|| unsupported(node, "shape must be constant"))?;
                let from = b.shape(x).to_vec();
                (
                    Op::Reshape,
                    vec![x],
                    Some(reshape_target(node, &from, &spec.values)?),
                )
            }
            _ => return Err(unsupported(node, "")),
        };
        let id = b.add(name, op, inputs, out_name.clone(), reshape_to)?;
        self.tensors.insert(out_name, id);
        Ok(())
    }
}

/// `x·W` for a constant 2-D `W`: a dense layer applied to each row of `x`.
pub(in crate::onnx) fn matmul_by_constant(
    node: &NodeProto,
    x: TensorId,
    w: &Const,
) -> Result<(Op, Vec<TensorId>)> {
    if w.shape.len() != 2 {
        return Err(unsupported(node, format!("weight shape {:?}", w.shape)));
    }
    let (n_in, n_out) = (w.shape[0], w.shape[1]);
    let mut weight = vec![0f32; n_out * n_in];
    for o in 0..n_out {
        for i in 0..n_in {
            weight[o * n_in + i] = w.values[i * n_out + o] as f32;
        }
    }
    Ok((
        Op::Dense(Dense {
            weight: Tensor::new(vec![n_out, n_in], weight),
            bias: vec![0.0; n_out],
        }),
        vec![x],
    ))
}

/// Whether a TensorProto type code is an integer or boolean type: UINT8 2, INT8 3, UINT16 4,
/// INT16 5, INT32 6, INT64 7, BOOL 9, UINT32 12, UINT64 13.
pub(in crate::onnx) fn is_integer_code(code: i64) -> bool {
    matches!(code, 2..=7 | 9 | 12 | 13)
}

/// The boolean type's TensorProto code.
pub(in crate::onnx) const BOOL_CODE: i64 = 9;

/// Whether a graph input holds an integer or boolean type (token ids).
fn is_integer_type(input: &pb::ValueInfoProto) -> bool {
    matches!(
        input.r#type.as_ref().and_then(|t| t.value.as_ref()),
        Some(type_proto::Value::TensorType(t)) if is_integer_code(t.elem_type as i64)
    )
}

/// Resolves ONNX Reshape's 0 (copy) and -1 (infer) entries.
fn reshape_target(node: &NodeProto, from: &[usize], spec: &[f64]) -> Result<Vec<usize>> {
    let total: usize = from.iter().product();
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &v) in spec.iter().enumerate() {
        match v as i64 {
            0 => out.push(
                *from
                    .get(i)
                    .ok_or_else(|| unsupported(node, "0 beyond input rank"))?,
            ),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            d if d > 0 => out.push(d as usize),
            d => return Err(unsupported(node, format!("shape entry {d}"))),
        }
    }
    if let Some(i) = infer {
        let known: usize = out.iter().product();
        if known == 0 || !total.is_multiple_of(known) {
            return Err(unsupported(
                node,
                format!("cannot reshape {from:?} to {spec:?}"),
            ));
        }
        out[i] = total / known;
    }
    Ok(out)
}

/// Whether the loader maps ONNX operator `op`.
pub fn is_supported(op: &str) -> bool {
    SUPPORTED.contains(&op) || ops::mapper(op).is_some() || fold::FOLDABLE.contains(&op)
}

/// Operators the loader accepts only as shape arithmetic, folded into constants at load time
/// (a `Shape`, or all inputs constant; see `fold.rs`), sorted. Those also mapped as tensor
/// operators are in [`supported_operators`] instead.
pub fn folded_operators() -> Vec<&'static str> {
    let mut only: Vec<&str> = fold::FOLDABLE
        .iter()
        .copied()
        .filter(|op| !SUPPORTED.contains(op) && ops::mapper(op).is_none())
        .collect();
    only.sort_unstable();
    only
}

/// Every ONNX operator the loader maps, sorted.
pub fn supported_operators() -> Vec<&'static str> {
    let mut all: Vec<&str> = SUPPORTED
        .iter()
        .copied()
        .chain(ops::MAPPED.iter().map(|(n, _)| *n))
        .collect();
    all.sort_unstable();
    all
}

/// Operators the loader maps onto the IR in this file; [`supported_operators`] lists them all.
const SUPPORTED: &[&str] = &[
    "Conv",
    "Gemm",
    "MatMul",
    "Add",
    "Relu",
    "Clip",
    "MaxPool",
    "AveragePool",
    "Flatten",
    "Reshape",
    "Constant",
    "Identity",
    "Dropout",
];

#[cfg(test)]
pub(crate) mod exporter_tests;
/// Each operator MobileNet v2 (Keras, opset 13) uses, on a tiny graph whose output is computed
/// by hand; and malformed nodes, which must be typed errors.
#[cfg(test)]
pub(crate) mod tests;
