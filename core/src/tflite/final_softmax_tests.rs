//! What ends a model: a final LOG_SOFTMAX or ARG_MAX is left outside the proof as a final
//! SOFTMAX is by default (the values it reads are proven; they agree with the interpreter's in
//! `ptq_tests`, `op_argmax_int8` and `op_log_softmax_int8`). A SOFTMAX that ends a model is
//! proven as its output when asked (`compile --prove-softmax`, [`FinalSoftmax::Proven`]): the integer model's probabilities against the interpreter's
//! (TFLite's reference kernel is the one proven; the default x86 kernel computes the softmax in
//! float through a table of exponentials, and how often it differs is reported), its circuit,
//! and a float model's softmax through the ONNX mapping.

use super::interpreter_tests::{nchw_order, nhwc_order, reference_python};
use super::ptq_tests::{as_bytes, example, graph, int8_inputs, reference_bytes_with, MockCheck};
use super::*;
use crate::qgraph::StepKind;

/// `model` lowered with its final SOFTMAX proven.
fn proven(g: &TfGraph) -> QGraph {
    match lower_with(g, FinalSoftmax::Proven).unwrap_or_else(|e| panic!("{}: {e}", g.name)) {
        Loaded::Quantized(q) => q,
        Loaded::Float(_) => panic!("{}: a quantized model lowered as float", g.name),
    }
}

/// Our stored output of `q` for one stored input, in TFLite's order.
fn stored_output(q: &QGraph, g: &TfGraph, stored: &[i64]) -> Vec<i64> {
    let zp_in = q.input_tensor().affine.expect("affine input").zero_point;
    let zp_out = q.output_tensor().affine.expect("affine output").zero_point;
    let centred: Vec<i64> = nchw_order(stored, &g.tensors[g.input].shape)
        .iter()
        .map(|v| v - zp_in)
        .collect();
    let values = q.evaluate(&centred).unwrap();
    let out: Vec<i64> = values[q.output].iter().map(|v| v + zp_out).collect();
    nhwc_order(&out, &[out.len()])
}

#[test]
fn a_final_softmax_is_left_out_by_default_and_proven_as_the_output_when_asked() {
    // The float-interface model ends SOFTMAX, DEQUANTIZE: the softmax's 8-bit output is proven.
    for model in [
        "keras_mbv3_int8.tflite",
        "keras_vit_int8.tflite",
        "keras_mbv3_float_io.tflite",
    ] {
        let g = graph(model);
        let Loaded::Quantized(logits) = lower(&g).unwrap() else {
            panic!("{model}: lowered as float")
        };
        let q = proven(&g);
        let last = q.steps.last().unwrap();
        assert!(
            matches!(last.kind, StepKind::ByteSoftmax(_)) && last.output == q.output,
            "{model}: the proven softmax writes the output"
        );
        assert!(!logits
            .steps
            .iter()
            .any(|s| s.output == logits.output && matches!(s.kind, StepKind::ByteSoftmax(_))));
        assert_eq!(q.steps.len(), logits.steps.len() + 1, "{model}");
        let out = q.output_tensor().affine.expect("affine output");
        assert!((out.scale - 1.0 / 256.0).abs() < 1e-9, "{model}: {out:?}");
        assert_eq!(q.output_tensor().len(), logits.output_tensor().len());
    }
}

/// Probabilities of `model` on 64 seeded inputs: equal to the reference kernel's wherever our
/// logits equal its logits (the default kernels' products differ from the reference kernels'
/// only where a product lands on a tie), and how many differ from the default kernel's.
#[test]
fn a_proven_final_softmax_gives_the_reference_kernels_probabilities() {
    let Some(python) = reference_python() else {
        return;
    };
    let mut report = String::new();
    for model in ["keras_mbv3_int8.tflite", "keras_vit_int8.tflite"] {
        let g = graph(model);
        let q = proven(&g);
        let inputs = int8_inputs(g.tensors[g.input].len(), 64, 12);
        let bytes = std::fs::read(example(model)).unwrap();
        let run = |resolver: &str, final_softmax: FinalSoftmax| -> Vec<Vec<i64>> {
            reference_bytes_with(
                &python,
                model,
                &bytes,
                &as_bytes(&inputs),
                inputs.len(),
                resolver,
                final_softmax,
            )
            .into_iter()
            .map(|v| v.into_iter().map(|b| b as i8 as i64).collect())
            .collect()
        };
        let reference_logits = run("BUILTIN_REF", FinalSoftmax::Outside);
        let reference = run("BUILTIN_REF", FinalSoftmax::Proven);
        let default = run("BUILTIN_WITHOUT_DEFAULT_DELEGATES", FinalSoftmax::Proven);
        let Loaded::Quantized(logits_graph) = lower(&g).unwrap() else {
            unreachable!()
        };
        let (mut same_logits, mut compared, mut off_reference, mut off_default) = (0, 0, 0, 0);
        for (i, input) in inputs.iter().enumerate() {
            let ours = stored_output(&q, &g, input);
            let logits = stored_output(&logits_graph, &g, input);
            off_default += ours.iter().zip(&default[i]).filter(|(a, b)| a != b).count();
            compared += ours.len();
            if logits == reference_logits[i] {
                same_logits += 1;
                let differing = ours.iter().zip(&reference[i]).filter(|(a, b)| a != b);
                off_reference += differing.count();
            }
        }
        report += &format!(
            "{model}: {same_logits} of 64 inputs with the reference kernels' logits, \
             {off_reference} of their probabilities differ from the reference kernel's; \
             {off_default} of {compared} from the default kernel's\n"
        );
        assert_eq!(off_reference, 0, "{report}");
        assert_eq!(off_default, 0, "{report}");
        assert!(same_logits > 0, "{report}");
    }
    eprintln!("{report}");
}

/// The proven softmax's circuit accepts the evaluator's values and rejects a probability one
/// off (the model's output, so the instance carries it too).
#[test]
fn a_proven_final_softmax_circuit_rejects_another_probability() {
    let (check, honest) = MockCheck::lowered("keras_mbv3_int8.tflite", 6, FinalSoftmax::Proven);
    assert!(check.accepts(&honest), "the honest witness is rejected");
    let output = check.q.output;
    let largest = (0..honest[output].len())
        .max_by_key(|&i| honest[output][i])
        .unwrap();
    for index in [largest, (largest + 1) % honest[output].len()] {
        let values = check.corrupted(&honest, output, index);
        assert!(
            !check.accepts(&values),
            "probability {index} one off is accepted"
        );
    }
}

/// A float model's final SOFTMAX over one row, when proven, is part of the float model (the
/// softmax composed of core operators that ONNX's Softmax is), which our quantization then
/// proves as an ONNX model's: its outputs are the softmax of the logits the default lowering
/// ends with.
#[test]
fn a_float_models_proven_final_softmax_is_part_of_the_model() {
    let g = graph("keras_mbv3_float16.tflite");
    let model = |final_softmax| match lower_with(&g, final_softmax).unwrap() {
        Loaded::Float(m) => m,
        Loaded::Quantized(_) => panic!("a float model lowered as quantized"),
    };
    let (logits, probabilities) = (model(FinalSoftmax::Outside), model(FinalSoftmax::Proven));
    let input: Vec<f32> = (0..logits.input_len())
        .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
        .collect();
    let output = |m: &crate::ir::Model| m.eval_float(&input).unwrap()[m.output].data.clone();
    let (z, p) = (output(&logits), output(&probabilities));
    let max = z.iter().cloned().fold(f32::MIN, f32::max);
    let total: f32 = z.iter().map(|v| (v - max).exp()).sum();
    assert_eq!(z.len(), p.len());
    for (z, p) in z.iter().zip(&p) {
        let want = (z - max).exp() / total;
        assert!((p - want).abs() < 1e-5, "{p} vs softmax {want}");
    }
}

/// MobileNet v2 1.0/224 (uint8, 1,001 classes) with its SOFTMAX proven. A chain's segments
/// share one k (21, which its early layers' activations need), where the softmax's arithmetic
/// chip makes any segment holding it larger: with hidden weights (the default) no cutting fits
/// 20 GiB, and compile says so, naming the softmax, before any key work; with public weights
/// (`--weights fixed`) the chain plans within 20 GiB and ends with the softmax. On a seeded
/// image its probabilities equal both of the interpreter's kernel sets'.
#[test]
fn mobilenet_v2s_proven_softmax_ends_its_chain_and_agrees_with_the_interpreter() {
    use crate::circuit::{Visibility, WeightVisibility};

    let Some(path) = super::tests::shared("imagenet/mobilenet_v2_1.0_224_quant.tflite") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let g = parse(&bytes, "mobilenet_v2", "test").unwrap();
    let q = proven(&g);
    assert!(matches!(
        q.steps.last().unwrap().kind,
        StepKind::ByteSoftmax(_)
    ));
    assert_eq!(q.output_tensor().len(), 1001);
    let budget = crate::prove::DEFAULT_MEMORY_BUDGET;
    let err = crate::chain::plan_chain(&q, None, Visibility::SERVED, budget).unwrap_err();
    assert!(
        err.to_string().contains("Predictions/Softmax")
            && err.to_string().contains("--weights fixed"),
        "{err}"
    );
    let fixed = Visibility {
        weights: WeightVisibility::Fixed,
        ..Visibility::SERVED
    };
    let (chain, cuts) = crate::chain::plan_chain(&q, None, fixed, budget).unwrap();
    let segments = crate::chain::split(&chain, &cuts).unwrap();
    assert!(segments.len() > 1, "MobileNet v2 is a chain");
    let last = &segments.last().unwrap().graph;
    assert!(matches!(
        last.steps.last().unwrap().kind,
        StepKind::ByteSoftmax(_)
    ));

    let Some(python) = reference_python() else {
        return;
    };
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(21);
    let image: Vec<i64> = (0..g.tensors[g.input].len())
        .map(|_| rand::Rng::gen_range(&mut rng, 0..=255))
        .collect();
    let ours = stored_output(&q, &g, &image);
    let pixels: Vec<u8> = image.iter().map(|&v| v as u8).collect();
    for resolver in ["BUILTIN_WITHOUT_DEFAULT_DELEGATES", "BUILTIN_REF"] {
        let final_softmax = FinalSoftmax::Proven;
        let run = reference_bytes_with(
            &python,
            "mobilenet_v2",
            &bytes,
            &pixels,
            1,
            resolver,
            final_softmax,
        );
        let want: Vec<i64> = run[0].iter().map(|&b| i64::from(b)).collect();
        assert_eq!(ours, want, "{resolver}");
    }
}

#[test]
fn a_final_arg_max_or_log_softmax_is_left_outside_and_the_logits_are_proven() {
    for model in ["op_argmax_int8.tflite", "op_log_softmax_int8.tflite"] {
        let g = graph(model);
        let tail = g.ops.last().unwrap();
        assert!(matches!(tail.kind, TfOpKind::ArgMax | TfOpKind::LogSoftmax));
        let logits = tail.inputs[0].unwrap();
        let Loaded::Quantized(q) = lower(&g).unwrap() else {
            panic!("{model}: lowered as float")
        };
        let last = q.steps.last().unwrap();
        assert_eq!(last.output, q.output, "{model}");
        assert_eq!(q.output_tensor().len(), g.tensors[logits].len(), "{model}");
        assert!(
            matches!(last.kind, StepKind::Linear(_)),
            "{model}: {:?}",
            last.kind
        );
    }
    // ARG_MAX needs no probabilities: left outside with --prove-softmax too. A LOG_SOFTMAX cannot
    // be proven, so asking for the softmax refuses it rather than leaving it out unasked.
    assert!(lower_with(&graph("op_argmax_int8.tflite"), FinalSoftmax::Proven).is_ok());
    let Err(err) = lower_with(&graph("op_log_softmax_int8.tflite"), FinalSoftmax::Proven) else {
        panic!("a final LOG_SOFTMAX lowered with the softmax proven")
    };
    assert!(err.to_string().contains("LOG_SOFTMAX"), "{err}");
}

#[test]
fn an_arg_max_in_the_middle_of_a_model_is_refused_by_name() {
    let mut g = graph("op_argmax_int8.tflite");
    // A RESHAPE of the class index after the ARG_MAX: it no longer ends the model.
    let index = g.ops.last().unwrap().outputs[0];
    let shape = g.tensors.len();
    g.tensors.push(TfTensor {
        name: "shape".into(),
        shape: vec![1],
        dtype: TfType::I32,
        quant: None,
        data: Some(1i32.to_le_bytes().to_vec()),
    });
    let mut out = g.tensors[index].clone();
    out.name = "reshaped".into();
    g.tensors.push(out);
    g.ops.push(TfOp {
        kind: TfOpKind::Reshape,
        inputs: vec![Some(index), Some(shape)],
        outputs: vec![shape + 1],
    });
    g.output = shape + 1;
    let Err(err) = lower(&g) else {
        panic!("an ARG_MAX in the middle lowered")
    };
    assert!(err.to_string().contains("ARG_MAX"), "{err}");

    // A final ARG_MAX over another axis than the last is several indices, not the class.
    let mut g = graph("op_argmax_int8.tflite");
    let axis = g.ops.last().unwrap().inputs[1].unwrap();
    g.tensors[axis].data = Some(0i32.to_le_bytes().to_vec());
    let Err(err) = lower(&g) else {
        panic!("an ARG_MAX over the first axis lowered")
    };
    assert!(err.to_string().contains("ARG_MAX"), "{err}");
}

#[test]
fn a_float_models_final_log_softmax_or_arg_max_is_left_outside() {
    use super::interpreter_tests::{Builder, Kind};
    // TILE, then `tail` (each of LOG_SOFTMAX, ARG_MAX, and the two in a row).
    let model = |tail: &[TfOpKind]| {
        let mut b = Builder::new(Kind::I8PerTensor, 1);
        let x = b.float_act("input", &[1, 3]);
        let multiples = b.ints("multiples", &[2], &[1, 2]);
        let mut t = b.float_act("tiled", &[1, 6]);
        b.op(TfOpKind::Tile, &[x, multiples], t);
        for (i, kind) in tail.iter().enumerate() {
            if *kind == TfOpKind::ArgMax {
                let axis = b.ints("axis", &[1], &[-1]);
                let class = b.float_act("class", &[1]);
                b.op(TfOpKind::ArgMax, &[t, axis], class);
                t = class;
            } else {
                let next = b.float_act(&format!("tail{i}"), &[1, 6]);
                b.op(kind.clone(), &[t], next);
                t = next;
            }
        }
        lower(&b.graph("float_tail", t))
    };
    for tail in [&[TfOpKind::LogSoftmax][..], &[TfOpKind::ArgMax]] {
        let Ok(Loaded::Float(m)) = model(tail) else {
            panic!("{tail:?}: a float graph lowers to the float IR")
        };
        let out = m.eval_float(&[0.5, -1.0, 2.0]).unwrap()[m.output]
            .data
            .clone();
        assert_eq!(out, vec![0.5, -1.0, 2.0, 0.5, -1.0, 2.0], "{tail:?}");
    }
    // An ARG_MAX only alone: the LOG_SOFTMAX before it would be in the middle.
    let Err(err) = model(&[TfOpKind::LogSoftmax, TfOpKind::ArgMax]) else {
        panic!("LOG_SOFTMAX then ARG_MAX lowered")
    };
    assert!(err.to_string().contains("LOG_SOFTMAX"), "{err}");
}
