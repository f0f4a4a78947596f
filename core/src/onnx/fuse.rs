//! Patterns of several ONNX nodes the loader maps as one core operator, found before any node
//! is mapped: gated activations (`Mul(x, Sigmoid(x))`), GELU in any of the forms exporters
//! write it (torch's `Div, Erf, Add, Mul, Mul`, Hugging Face's `0.5·x·(1 + erf(x/√2))`, the
//! tanh approximation with its `Pow(x, 3)`), `1/√(v + ε)` written as Sqrt and a division, and
//! a Linear's bias added after its MatMul. Each
//! saves steps and the rounding between them: one table for a whole function.

use super::{attr_float, Loader, NodeProto};
use crate::ops::unary::UnaryFn;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb;

/// Nodes a GELU region may contain: elementwise arithmetic with scalar constants, the products
/// and sums of two region values, and the two functions GELU is written with.
const GELU_REGION_OPS: &[&str] = &["Add", "Sub", "Mul", "Div", "Pow", "Erf", "Tanh"];

/// Where GELU's forms are compared: both tails, the bend, and zero.
const PROBES: &[f64] = &[-4.0, -2.5, -1.0, -0.4, 0.0, 0.3, 0.9, 1.7, 3.0, 5.0];

/// The node computing each tensor name.
type Producers<'g> = HashMap<&'g str, &'g NodeProto>;

impl Loader {
    /// Finds every pattern this module fuses (after the initializers are loaded: some patterns
    /// need their constants), recording what the mapping of each node then does.
    pub(super) fn find_fusions(&mut self, graph: &pb::GraphProto) {
        let producer: Producers = graph
            .node
            .iter()
            .flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n)))
            .collect();
        self.find_gated_activations(graph, &producer);
        self.find_linear_biases(graph);
        self.find_gelu(graph, &producer);
        self.find_inverse_sqrt(graph, &producer);
    }

    /// The value of a scalar constant.
    fn scalar(&self, name: &str) -> Option<f64> {
        self.consts
            .get(name)
            .filter(|c| c.values.len() == 1)
            .map(|c| c.values[0])
    }

    /// Finds `Mul(x, g(x))` with `g` a Sigmoid (SiLU) or a HardSigmoid of slope 1/6 and offset
    /// 1/2 (hard swish) whose output nothing else reads: one function of `x`, one table.
    fn find_gated_activations(&mut self, graph: &pb::GraphProto, producers: &Producers) {
        let producer = |name: &str| producers.get(name).copied();
        for mul in graph
            .node
            .iter()
            .filter(|n| n.op_type == "Mul" && n.input.len() == 2)
        {
            for (x, gate) in [(0, 1), (1, 0)] {
                let (x, gate) = (&mul.input[x], &mul.input[gate]);
                let Some(g) = producer(gate) else { continue };
                if g.input.first() != Some(x) || self.consumers.get(gate) != Some(&1) {
                    continue;
                }
                let f = match g.op_type.as_str() {
                    "Sigmoid" => UnaryFn::Silu,
                    "HardSigmoid"
                        if (attr_float(g, "alpha", 0.2) - 1.0 / 6.0).abs() < 1e-6
                            && attr_float(g, "beta", 0.5) == 0.5 =>
                    {
                        UnaryFn::HardSwish
                    }
                    _ => continue,
                };
                if let Some(out) = mul.output.first() {
                    self.fused_unary.insert(out.clone(), (x.clone(), f));
                    self.fused_away.insert(gate.clone());
                }
                break;
            }
        }
    }

    /// Finds `Add(MatMul(x, W), b)` (either operand order) with `W` a 2-D initializer, `b` an
    /// initializer with one value per output column (any leading 1s), and the MatMul's output
    /// read by that Add alone: the bias joins the dense layer instead of costing a step.
    fn find_linear_biases(&mut self, graph: &pb::GraphProto) {
        let mut readers: HashMap<&str, Vec<&NodeProto>> = HashMap::new();
        for n in &graph.node {
            for i in &n.input {
                readers.entry(i.as_str()).or_default().push(n);
            }
        }
        for mm in graph.node.iter().filter(|n| n.op_type == "MatMul") {
            let (Some(w), Some(out)) = (
                mm.input.get(1).and_then(|w| self.consts.get(w)),
                mm.output.first(),
            ) else {
                continue;
            };
            let [_, n_out] = w.shape[..] else { continue };
            let [add] = readers
                .get(out.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
            else {
                continue;
            };
            if add.op_type != "Add" || add.input.len() != 2 || self.is_graph_output(out) {
                continue;
            }
            let other = if add.input[0] == *out {
                &add.input[1]
            } else {
                &add.input[0]
            };
            let Some(bias) = self.consts.get(other) else {
                continue;
            };
            let per_column = bias.values.len() == n_out
                && bias.shape.last() == Some(&n_out)
                && bias.shape.iter().rev().skip(1).all(|&d| d == 1);
            if per_column && bias.values.iter().all(|v| v.is_finite()) {
                if let Some(add_out) = add.output.first() {
                    let values = bias.values.iter().map(|&v| v as f32).collect();
                    self.linear_bias
                        .insert(out.clone(), (add_out.clone(), values));
                    // The MatMul's dense layer computes the Add's output too.
                    self.fused_away.insert(add_out.clone());
                }
            }
        }
    }

    /// Finds GELU however it is written: from the input `x` of each Erf or Tanh chain, grows
    /// the region of elementwise nodes computed from `x` and scalar constants alone, and takes
    /// the last region output that equals `x·Φ(x)` (exact or tanh form) on every probe point
    /// and whose region nodes nothing outside reads. That output becomes one Gelu of `x`; the
    /// region's other nodes are skipped.
    fn find_gelu(&mut self, graph: &pb::GraphProto, producer: &Producers) {
        let mut taken: HashSet<String> = HashSet::new();
        let mut found = vec![];
        for core in graph
            .node
            .iter()
            .filter(|n| n.op_type == "Erf" || n.op_type == "Tanh")
        {
            // Candidates for x: walk back from the function's input through elementwise
            // nodes with one tensor operand (the scaled, shifted or cubed x).
            let mut candidates = vec![];
            let mut t = core.input.first().map(String::as_str);
            for _ in 0..6 {
                let Some(name) = t else { break };
                candidates.push(name);
                t = producer.get(name).and_then(|p| {
                    if !GELU_REGION_OPS.contains(&p.op_type.as_str()) {
                        return None;
                    }
                    let tensors: Vec<&str> = p
                        .input
                        .iter()
                        .map(String::as_str)
                        .filter(|i| self.scalar(i).is_none())
                        .collect();
                    match tensors[..] {
                        [one] => Some(one),
                        // x + c·x³: both operands come from x; follow the first.
                        [a, _] => Some(a),
                        _ => None,
                    }
                });
            }
            // The farthest x first: the whole function, not a part of it.
            for x in candidates.into_iter().rev() {
                let constant = self.consts.contains_key(x)
                    || producer.get(x).is_some_and(|p| p.op_type == "Constant");
                if constant {
                    continue;
                }
                if let Some((y, region)) = self.gelu_region(graph, x) {
                    if region.iter().chain([&y.0]).any(|n| taken.contains(n)) {
                        continue;
                    }
                    taken.extend(region.iter().cloned());
                    taken.insert(y.0.clone());
                    found.push((y, x.to_string(), region));
                    break;
                }
            }
        }
        for ((y, f), x, region) in found {
            self.fused_away.extend(region);
            self.fused_unary.insert(y, (x, f));
        }
    }

    /// The region grown from `x` (see [`Loader::find_gelu`]): the GELU output's name and form,
    /// and the outputs of the region's other nodes.
    #[allow(clippy::type_complexity)]
    fn gelu_region(
        &self,
        graph: &pb::GraphProto,
        x: &str,
    ) -> Option<((String, UnaryFn), Vec<String>)> {
        // Every region value on every probe point, by tensor name.
        let mut values: HashMap<&str, Vec<f64>> = HashMap::new();
        values.insert(x, PROBES.to_vec());
        let mut order: Vec<&NodeProto> = vec![];
        for n in &graph.node {
            if !GELU_REGION_OPS.contains(&n.op_type.as_str()) || n.output.len() != 1 {
                continue;
            }
            let operand = |i: usize| -> Option<Vec<f64>> {
                let name = n.input.get(i)?.as_str();
                values
                    .get(name)
                    .cloned()
                    .or_else(|| self.scalar(name).map(|c| vec![c; PROBES.len()]))
            };
            let computed = n.input.iter().any(|i| values.contains_key(i.as_str()));
            let out: Option<Vec<f64>> = match (n.op_type.as_str(), computed) {
                (_, false) => None,
                ("Erf", _) => operand(0).map(|a| a.into_iter().map(libm::erf).collect()),
                ("Tanh", _) => operand(0).map(|a| a.into_iter().map(libm::tanh).collect()),
                (op, _) => {
                    let (a, b) = (operand(0)?, operand(1)?);
                    let f = match op {
                        "Add" => |a: f64, b: f64| a + b,
                        "Sub" => |a: f64, b: f64| a - b,
                        "Mul" => |a: f64, b: f64| a * b,
                        "Div" => |a: f64, b: f64| a / b,
                        _ => |a: f64, b: f64| a.powf(b),
                    };
                    Some(a.iter().zip(&b).map(|(&a, &b)| f(a, b)).collect())
                }
            };
            if let Some(v) = out {
                values.insert(n.output[0].as_str(), v);
                order.push(n);
            }
        }
        // The last region output that is GELU, with its region closed under readers.
        for (i, n) in order.iter().enumerate().rev() {
            let y = n.output[0].as_str();
            let form = [false, true].into_iter().find(|&tanh| {
                let f = UnaryFn::Gelu {
                    tanh_approximation: tanh,
                };
                PROBES
                    .iter()
                    .zip(&values[y])
                    .all(|(&p, &v)| (f.eval(p) - v).abs() <= 1e-5 * f.eval(p).abs().max(1.0))
            });
            let Some(tanh) = form else { continue };
            // The nodes y depends on, back to x (the order is topological: readers come later).
            let mut needed: Vec<&NodeProto> = vec![n];
            for m in order[..i].iter().rev() {
                let out = m.output[0].as_str();
                if needed.iter().any(|r| r.input.iter().any(|s| s == out)) {
                    needed.push(m);
                }
            }
            let needed_outputs: HashSet<&str> =
                needed.iter().map(|m| m.output[0].as_str()).collect();
            let inner: Vec<&str> = needed[1..].iter().map(|m| m.output[0].as_str()).collect();
            // Inner values read only inside, and not graph outputs; x itself is not inner.
            let inside = |reader: &NodeProto| {
                reader
                    .output
                    .first()
                    .is_some_and(|o| needed_outputs.contains(o.as_str()))
            };
            let closed = inner.iter().all(|&o| {
                !self.is_graph_output(o)
                    && graph
                        .node
                        .iter()
                        .filter(|r| r.input.iter().any(|s| s == o))
                        .all(inside)
            });
            let has_function = needed
                .iter()
                .any(|m| m.op_type == "Erf" || m.op_type == "Tanh");
            if closed && has_function && !inner.is_empty() {
                let f = UnaryFn::Gelu {
                    tanh_approximation: tanh,
                };
                return Some((
                    (y.to_string(), f),
                    inner.iter().map(|s| s.to_string()).collect(),
                ));
            }
        }
        None
    }
}

/// `1/√(v + ε)` written as Sqrt then a division: the Div (or Reciprocal) output's name, with
/// `v`, `ε` and the dividend (None for a Reciprocal).
#[derive(Clone, Debug)]
pub(super) struct InverseSqrt {
    pub v: String,
    pub epsilon: f32,
    pub dividend: Option<String>,
    /// When `v` is `ReduceMean(a²)` of the dividend `a` (its square a `Pow(a, 2)` or
    /// `Mul(a, a)`; both read by nothing else, so not mapped on their own): that ReduceMean,
    /// whose axes say whether the whole is a normalization over rows.
    pub mean_square: Option<pb::NodeProto>,
}

impl Loader {
    /// Finds `Div(a, Sqrt(v + ε))` and `Reciprocal(Sqrt(v + ε))` (a layer or RMS norm's
    /// scale as exporters decompose it; ε a scalar constant, or absent) whose Sqrt and Add are
    /// read by nothing else: one `1/√(v + ε)` table and a product, instead of a Sqrt table, a
    /// reciprocal table and the rounding between them. With `v = mean(a²)` over rows, the
    /// whole normalization (rows scaled first, [`InverseSqrt::mean_square`]); `Mul(a, 1/√(v +
    /// ε))` counts as the division.
    fn find_inverse_sqrt(&mut self, graph: &pb::GraphProto, producer: &Producers) {
        let mut found = vec![];
        for d in &graph.node {
            let (sqrt_out, dividend) = match (d.op_type.as_str(), &d.input[..]) {
                ("Div", [a, s]) => (s.as_str(), Some(a.clone())),
                ("Reciprocal", [s]) => (s.as_str(), None),
                _ => continue,
            };
            let Some(sqrt) = producer.get(sqrt_out).filter(|p| p.op_type == "Sqrt") else {
                continue;
            };
            if !self.read_once(sqrt_out) || dividend.as_deref() == Some(sqrt_out) {
                continue;
            }
            let Some(inner) = sqrt.input.first() else {
                continue;
            };
            // v + ε, when the Add is this Sqrt's alone; else √v itself.
            let mut away = vec![sqrt_out.to_string()];
            let (v, epsilon) = match producer.get(inner.as_str()) {
                Some(add) if add.op_type == "Add" && self.read_once(inner) => {
                    match (self.scalar(&add.input[0]), self.scalar(&add.input[1])) {
                        (None, Some(e)) if e >= 0.0 => {
                            away.push(inner.clone());
                            (add.input[0].clone(), e)
                        }
                        (Some(e), None) if e >= 0.0 => {
                            away.push(inner.clone());
                            (add.input[1].clone(), e)
                        }
                        _ => (inner.clone(), 0.0),
                    }
                }
                _ => (inner.clone(), 0.0),
            };
            if self.consts.contains_key(&v) {
                continue;
            }
            let Some(out) = d.output.first() else {
                continue;
            };
            let mut out = out.clone();
            let mut dividend = dividend;
            // `a·(1/√(mean(a²) + ε))`: RMSNorm as LLaMA-style models write it (`torch.rsqrt`
            // as a Div of 1 or a Reciprocal, then a product by the normalised input). The
            // product's output is then the fused node's, and the root's inverse is read by
            // nothing else.
            let unit_dividend = match &dividend {
                None => true,
                Some(c) => self.scalar(c) == Some(1.0),
            };
            let mut mean_square = None;
            if unit_dividend && self.read_once(&out) {
                let times = graph.node.iter().find_map(|m| match &m.input[..] {
                    [x, y] if m.op_type == "Mul" && (x == &out) != (y == &out) => {
                        let a = if x == &out { y } else { x };
                        let found = self.mean_square_of(a, &v, producer)?;
                        Some((m.output.first().cloned(), a.clone(), found))
                    }
                    _ => None,
                });
                if let Some((Some(product), a, found)) = times {
                    away.push(out);
                    out = product;
                    dividend = Some(a);
                    mean_square = Some(found);
                }
            }
            // Else the division's own dividend (found once, by the search above or here).
            let mean_square = mean_square.or_else(|| {
                dividend
                    .as_deref()
                    .and_then(|a| self.mean_square_of(a, &v, producer))
            });
            if let Some((_, square)) = &mean_square {
                // The mean and the square are the fusion's alone: neither is mapped by itself.
                away.push(v.clone());
                away.push(square.clone());
            }
            found.push((
                out,
                InverseSqrt {
                    v,
                    epsilon: epsilon as f32,
                    dividend,
                    mean_square: mean_square.map(|(mean, _)| mean.clone()),
                },
                away,
            ));
        }
        for (out, inv, away) in found {
            self.fused_away.extend(away);
            self.fused_inverse_sqrt.insert(out, inv);
        }
    }

    /// Whether one node reads `name` and it is no graph output: a tensor a fusion may take.
    fn read_once(&self, name: &str) -> bool {
        self.consumers.get(name) == Some(&1) && !self.is_graph_output(name)
    }

    /// `v = ReduceMean(Pow(a, 2))` or `ReduceMean(Mul(a, a))`, the ReduceMean and the square
    /// each read by nothing else: the ReduceMean and the square's name.
    fn mean_square_of<'g>(
        &self,
        a: &str,
        v: &str,
        producer: &Producers<'g>,
    ) -> Option<(&'g pb::NodeProto, String)> {
        let mean = producer.get(v).filter(|p| p.op_type == "ReduceMean")?;
        let square_name = mean.input.first()?;
        if !self.read_once(v) || !self.read_once(square_name) {
            return None;
        }
        let square = producer.get(square_name.as_str())?;
        let squares_a = match (square.op_type.as_str(), &square.input[..]) {
            ("Mul", [x, y]) => x == a && y == a,
            ("Pow", [x, p]) => x == a && self.scalar(p) == Some(2.0),
            _ => false,
        };
        squares_a.then(|| (*mean, square_name.clone()))
    }
}

#[cfg(test)]
#[path = "fuse_tests.rs"]
mod tests;
