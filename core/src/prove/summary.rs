//! The human-readable description of a compiled model (`summary.txt`).

use super::*;

/// A human-readable description of a compiled model.
pub fn summary(model: Option<&Model>, compiled: &Compiled, source: &Path) -> String {
    let g = &compiled.graph;
    let mut s = format!(
        "zkinfer compiled model\nsource: {}\ninput: {:?} at scale 2^{}\noutput: {:?} at scale 2^{}\n",
        source.display(),
        g.input_tensor().shape,
        g.input_tensor().frac_bits,
        g.output_tensor().shape,
        g.output_tensor().frac_bits
    );
    match model {
        Some(model) => s += &format!("float operators: {}\n", model.nodes.len()),
        None => s += "quantized by TFLite: its integer semantics, exactly\n",
    }
    s += "quantized steps:\n";
    for st in &g.steps {
        let t = &g.tensors[st.output];
        let kind = match &st.kind {
            crate::qgraph::StepKind::Linear(l) => format!(
                "linear, {} then {:?}",
                match &l.rescale.rounding {
                    crate::qgraph::Rounding::HalfUp { divisors } =>
                        format!("divisor {}", divisors.first().copied().unwrap_or(1)),
                    crate::qgraph::Rounding::HalfAwayFromZero { divisors, .. } => format!(
                        "divisor {}, raw sum rounded half away from zero",
                        divisors.first().copied().unwrap_or(1)
                    ),
                    crate::qgraph::Rounding::FixedPoint(fp) => format!(
                        "fixed-point multiplier ({} channel(s)), zero point {}{}",
                        fp.multipliers.len(),
                        fp.out_zero_point,
                        if fp.ties_up { ", ties rounded up" } else { "" }
                    ),
                },
                l.rescale.act
            ),
            crate::qgraph::StepKind::Max { .. } => "max pool".into(),
            crate::qgraph::StepKind::Reshape => "reshape".into(),
            crate::qgraph::StepKind::Slice { start } => format!("slice from {start}"),
            crate::qgraph::StepKind::Concat => "concatenation".into(),
            crate::qgraph::StepKind::QuantizedAdd(_) => "quantized add (TFLite)".into(),
            crate::qgraph::StepKind::QuantizedSub(_) => "quantized sub (TFLite)".into(),
            crate::qgraph::StepKind::QuantizedMul(_) => "quantized mul (TFLite)".into(),
            crate::qgraph::StepKind::SquaredDifference(_) => {
                "quantized squared difference (TFLite)".into()
            }
            crate::qgraph::StepKind::Lookup(_) => "8-bit lookup table (TFLite)".into(),
            crate::qgraph::StepKind::ByteSoftmax(t) => {
                format!(
                    "softmax over rows of {} (TFLite's int8 reference kernel)",
                    t.depth
                )
            }
            crate::qgraph::StepKind::Embedding(t) => format!(
                "embedding rows looked up by token id ({} rows of {})",
                t.rows(),
                t.width
            ),
            crate::qgraph::StepKind::Product(p) => {
                format!("product of two tensors, divisor {}", p.divisor())
            }
            crate::qgraph::StepKind::MatMul(p) => format!(
                "matrix product ({} of {}×{}·{}×{}), divisor {}",
                p.shape.items.len(),
                p.shape.m,
                p.shape.k,
                p.shape.k,
                p.shape.n,
                p.divisor()
            ),
            crate::qgraph::StepKind::Gather { picks } => format!(
                "data movement{}",
                if crate::ops::gather::Gather::has_zeros(picks) {
                    " with zero padding"
                } else {
                    ""
                }
            ),
        };
        s += &format!(
            "  {:<28} {:<40} -> {:?} at 2^{}\n",
            st.name, kind, t.shape, t.frac_bits
        );
    }
    s += &format!("layout: {}\n", compiled.plan);
    s += &format!(
        "calibration: {} samples, max |float - quantized| output error {:.5}, argmax agreement {:.1}%\n",
        compiled.calibration_samples,
        compiled.max_abs_error,
        100.0 * compiled.argmax_agreement
    );
    s += &describe_visibility(compiled);
    s
}

/// What a proof of this model reveals, in words.
pub fn describe_visibility(compiled: &Compiled) -> String {
    let vis = compiled.visibility();
    let tensor = |name: &str, v: TensorVisibility| match v {
        TensorVisibility::Public => format!("the {name} is public (integers at the scale above)"),
        TensorVisibility::Packed => format!(
            "the {name} is public (integers at the scale above, packed into few public field \
             elements)"
        ),
        TensorVisibility::Hashed => {
            format!("the {name} is hashed (only its Poseidon hash is public)")
        }
        TensorVisibility::Salted => format!(
            "the {name} is hashed with a salt the consumer chooses (only that hash is public; \
             without the salt no one can test a guessed {name} against it)"
        ),
        TensorVisibility::Hidden => format!("the {name} is hidden"),
        TensorVisibility::Linked => {
            format!("the {name} is linked to the neighbouring segment by a column commitment")
        }
    };
    let weights = match compiled.commitment() {
        Some(c) => format!(
            "the weights are hidden, bound by the model commitment {}",
            crate::poseidon::to_hex(&c)
        ),
        None => "the weights are fixed in the verifying key (bound by the model id)".into(),
    };
    format!(
        "public: {}; {}; {}; intermediate activations are private witness values.\n",
        tensor("input", vis.input),
        tensor("output", vis.output),
        weights
    )
}
