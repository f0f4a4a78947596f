//! Exporter-shaped ONNX models of common architectures (examples/onnx-zoo, made by
//! scripts/make_onnx_zoo.py with onnxruntime as the float reference): each loads with no
//! option, its float evaluation matches onnxruntime, it compiles with the default options, its
//! quantized output tracks onnxruntime's (top-1 equal, max error within a stated fraction of the
//! output range), and its circuit accepts the honest witness and rejects a changed output.
//! Three are transformers (a ViT encoder, a GPT-2-shaped causal decoder, and one reading token
//! ids through its embedding tables).

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use zkinfer_core::prove::{compile, CompileOptions};

struct Case {
    model: zkinfer_core::ir::Model,
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    /// For a model of token ids: the vocabulary size.
    token_ids_below: Option<u64>,
}

fn case(name: &str) -> Result<Case, String> {
    case_in("examples/onnx-zoo", name)
}

/// A model and its JSON (inputs, onnxruntime's outputs) from the repository's folder `dir`.
fn case_in(dir: &str, name: &str) -> Result<Case, String> {
    let dir = repo().join(dir);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<Vec<f32>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect()
    };
    let model = zkinfer_core::onnx::load_onnx(dir.join(format!("{name}.onnx")))
        .map_err(|e| e.to_string())?;
    Ok(Case {
        model,
        inputs: floats(&json["inputs"]),
        outputs: floats(&json["outputs"]),
        token_ids_below: json["token_ids_below"].as_u64(),
    })
}

impl Case {
    /// Calibration samples: what `zkinfer compile` uses by default, or for a model of token
    /// ids, seeded random ids (the test inputs are not among them).
    fn calibration(&self) -> Vec<Vec<f32>> {
        let n = self.model.input_len();
        match self.token_ids_below {
            None => calibration(n),
            Some(v) => {
                let mut rng = rand::rngs::StdRng::seed_from_u64(99);
                (0..16)
                    .map(|_| (0..n).map(|_| rng.gen_range(0..v) as f32).collect())
                    .collect()
            }
        }
    }
}

/// What `zkinfer compile` calibrates on when given no samples (the test inputs are not among
/// them): the defaults a newcomer gets.
fn calibration(n: usize) -> Vec<Vec<f32>> {
    zkinfer_core::quant::synthetic_calibration(n)
}

/// Argmax over the last axis of each row.
fn top1(v: &[f64], classes: usize) -> Vec<usize> {
    v.chunks(classes)
        .map(|row| {
            row.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0
        })
        .collect()
}

/// (model, classes along which top-1 is taken, largest error as a fraction of the output range).
const SUPPORTED: &[(&str, usize, f64)] = &[
    ("resnet_bn", 10, 0.05),
    ("squeezenet_fire", 16, 0.05),
    ("mlp_activations", 10, 0.05),
    ("unet_decoder", 256, 0.05),
    ("efficientnet_mbconv", 10, 0.05),
    ("mobilenetv3_block", 10, 0.05),
    ("kws_1d", 12, 0.05),
    ("unet_upconv", 256, 0.05),
    ("seg_bilinear", 256, 0.05),
    ("vit_encoder", 10, 0.05),
    ("gpt_decoder", 16, 0.05),
    ("gpt_tokens", 32, 0.05),
    ("char_mlp", 36, 0.05),
];

#[test]
fn exporter_shaped_models_compile_prove_and_track_onnxruntime() {
    // The models are independent and MockProver runs on one core: the cores share them.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let corrupted_kinds: std::collections::BTreeSet<&str> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut kinds = std::collections::BTreeSet::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(name, classes, tolerance)) = SUPPORTED.get(i) else {
                            return kinds;
                        };
                        kinds.extend(check_exporter_shaped_model(name, classes, tolerance));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    println!("corrupted cells rejected in steps of kind {corrupted_kinds:?}");
    for kind in ["table", "product", "matmul"] {
        assert!(
            corrupted_kinds.contains(kind),
            "no {kind} step was corrupted"
        );
    }
}

/// The witness of `x` (its quantized input and every tensor's values), which MockProver must
/// accept.
fn accepted_witness(
    name: &str,
    compiled: &zkinfer_core::prove::Compiled,
    x: &[f32],
) -> (Vec<i64>, Vec<Vec<i64>>) {
    let (input, values) = compiled.witness(x).unwrap();
    exports::mock_verify(compiled, &input, values.clone()).unwrap_or_else(|e| {
        panic!(
            "{name}: honest witness rejected: {:?}",
            &e[..e.len().min(3)]
        )
    });
    (input, values)
}

/// One zoo model: the float evaluator against onnxruntime, the quantized model within
/// `tolerance` of it with the same top-1 (`classes` outputs, or per-pixel classes), MockProver
/// accepting the honest witness and rejecting a corrupted cell of each new kind of step and a
/// changed output. Returns the kinds of step corrupted.
fn check_exporter_shaped_model(
    name: &str,
    classes: usize,
    tolerance: f64,
) -> std::collections::BTreeSet<&'static str> {
    let mut corrupted_here = std::collections::BTreeSet::new();
    let c = case(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let m = &c.model;
    // Float evaluation against onnxruntime.
    for (x, want) in c.inputs.iter().zip(&c.outputs) {
        let got = &m.eval_float(x).unwrap()[m.output].data;
        let err = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0f32, f32::max);
        assert!(err < 1e-4, "{name}: float evaluator off by {err}");
    }
    let compiled = compile(m, &c.calibration(), &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut worst = 0f64;
    for (i, (x, want)) in c.inputs.iter().zip(&c.outputs).enumerate() {
        let (_, values) = compiled.witness(x).unwrap();
        let got = compiled
            .graph
            .dequantize_output(&values[compiled.graph.output]);
        let range = want.iter().fold(0f32, |a, v| a.max(v.abs())) as f64;
        let err = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - *b as f64).abs())
            .fold(0f64, f64::max);
        worst = worst.max(err / range);
        let want64: Vec<f64> = want.iter().map(|&v| v as f64).collect();
        // The segmentation models' per-pixel scores: [1, 2, H, W], classes along the
        // channel axis.
        let per_pixel_classes = name.starts_with("unet") || name.starts_with("seg");
        let (a, b) = if per_pixel_classes {
            let hw = classes;
            let per_pixel = |v: &[f64]| -> Vec<usize> {
                (0..hw).map(|p| (v[hw + p] > v[p]) as usize).collect()
            };
            (per_pixel(&got), per_pixel(&want64))
        } else {
            (top1(&got, classes), top1(&want64, classes))
        };
        let agree = a.iter().zip(&b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64;
        assert!(
            agree >= if per_pixel_classes { 0.97 } else { 1.0 },
            "{name} input {i}: top-1 agrees on {:.1}%",
            100.0 * agree
        );
    }
    println!(
        "{name}: {} | largest |quantized - onnxruntime| over 4 inputs: {:.2}% of the output range",
        compiled.plan,
        100.0 * worst
    );
    assert!(
        worst <= tolerance,
        "{name}: error {worst} of the output range"
    );

    // The circuit accepts the honest witness and rejects a changed output.
    let (input, values) = accepted_witness(name, &compiled, &c.inputs[0]);
    // Whether MockProver accepts the honest witness with `tensor`'s first value one higher, the
    // values after it left as they were (the output's: a changed public output).
    let accepts_changed = |tensor: usize| {
        let mut changed = values.clone();
        changed[tensor][0] += 1;
        exports::mock_verify(&compiled, &input, changed).is_ok()
    };
    // A corrupted cell of each new kind of step (a function's table output, a product of
    // two activations, a matrix product of two activations, data movement's rescaled
    // input) is rejected, downstream values left as they were: the first step of each
    // kind in each model.
    for (i, step) in compiled.graph.steps.iter().enumerate() {
        use zkinfer_core::qgraph::{Activation, StepKind};
        let kind = match &step.kind {
            StepKind::Linear(l) if matches!(l.rescale.act, Activation::Table(_)) => "table",
            StepKind::Product(_) => "product",
            StepKind::MatMul(_) => "matmul",
            StepKind::Linear(_) if step.name.contains(":rescale") => "gather input",
            _ => continue,
        };
        if !corrupted_here.insert(kind) {
            continue;
        }
        assert!(
            !accepts_changed(step.output),
            "{name}: step {i} ({kind}) accepts a corrupted output cell"
        );
    }
    assert!(
        !accepts_changed(compiled.graph.output),
        "{name}: a changed output is accepted"
    );
    corrupted_here
}

/// Zoo models quantized by onnxruntime (the QDQ and QOperator formats) and converted to half
/// precision (`scripts/make_onnx_quantized.py`): each loads with no option as the real-valued
/// network it simulates (weights the values their int8 or float16 stands for, activation pairs
/// and integer operators' outputs a clip to their grid, casts to float16 the identity), and both that network and its zkinfer
/// quantization stay within `tolerance` of onnxruntime's output for the file, with its class
/// wherever onnxruntime's own rounding kept the float model's (its activation rounding moves
/// the quantized ViT's close scores by up to 10% of their range and flips one input's class);
/// the circuit accepts the honest witness and rejects a changed output.
#[test]
fn quantized_and_half_precision_models_prove_the_network_they_simulate() {
    for (zoo_name, form, tolerance) in [
        ("resnet_bn", "qdq", 0.02),
        ("mobilenetv3_block", "qdq", 0.03),
        ("efficientnet_mbconv", "qdq", 0.04),
        ("vit_encoder", "qdq", 0.10),
        ("resnet_bn", "qop", 0.02),
        ("mobilenetv3_block", "qop", 0.03),
        ("efficientnet_mbconv", "qop", 0.04),
        ("squeezenet_fire", "qop", 0.04),
        ("kws_1d", "qop", 0.04),
        ("resnet_bn", "dyn", 0.02),
        ("vit_encoder", "dyn", 0.03),
        ("resnet_bn", "fp16", 0.02),
        ("vit_encoder", "fp16", 0.02),
    ] {
        let name = &format!("{zoo_name}_{form}");
        let float_model = case(zoo_name).unwrap();
        let c = case_in("examples/onnx-quantized", name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let m = &c.model;
        // Every one is a classifier: its output is one row of scores.
        let classes = c.outputs[0].len();
        let compiled = compile(m, &c.calibration(), &CompileOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (mut float_worst, mut quantized_worst) = (0f64, 0f64);
        for ((x, want), float_want) in c.inputs.iter().zip(&c.outputs).zip(&float_model.outputs) {
            let want: Vec<f64> = want.iter().map(|&v| v as f64).collect();
            let float_want: Vec<f64> = float_want.iter().map(|&v| v as f64).collect();
            let class_kept = top1(&want, classes) == top1(&float_want, classes);
            let range = want.iter().fold(0f64, |a, v| a.max(v.abs()));
            let float: Vec<f64> = m.eval_float(x).unwrap()[m.output]
                .data
                .iter()
                .map(|&v| v as f64)
                .collect();
            let (_, values) = compiled.witness(x).unwrap();
            let quantized = compiled
                .graph
                .dequantize_output(&values[compiled.graph.output]);
            for (got, worst) in [
                (&float, &mut float_worst),
                (&quantized, &mut quantized_worst),
            ] {
                let err = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f64, f64::max);
                *worst = worst.max(err / range);
                if class_kept {
                    assert_eq!(
                        top1(got, classes),
                        top1(&want, classes),
                        "{name}: another class"
                    );
                }
            }
        }
        println!(
            "{name}: largest difference from onnxruntime's output: the network it simulates \
             {:.2}%, zkinfer's quantization {:.2}% of the output range",
            100.0 * float_worst,
            100.0 * quantized_worst
        );
        assert!(
            float_worst <= tolerance,
            "{name}: float network off by {float_worst}"
        );
        assert!(
            quantized_worst <= tolerance,
            "{name}: quantized off by {quantized_worst}"
        );
        let (input, values) = accepted_witness(name, &compiled, &c.inputs[0]);
        let mut changed = values;
        changed[compiled.graph.output][0] += 1;
        assert!(
            exports::mock_verify(&compiled, &input, changed).is_err(),
            "{name}: a changed output is accepted"
        );
    }
}

/// One real proof of the family with tables and products, compiled as `zkinfer compile` does by
/// default (hidden weights, salted input hash): it verifies, and tampering is rejected.
#[test]
fn an_efficientnet_block_with_hidden_weights_proves_and_verifies() {
    let compiled = proves_and_verifies_with_hidden_weights("efficientnet_mbconv");
    assert!(compiled.plan.shape.products, "{}", compiled.plan);
}

// The transformer family's one real proof is the bundled text example's
// (tests/tests/text_example.rs): token ids through hidden embedding tables, Freivalds-checked
// matrix products of two activations, a causal mask, LayerNorm and GELU.

fn proves_and_verifies_with_hidden_weights(name: &str) -> zkinfer_core::prove::Compiled {
    use zkinfer_core::circuit::Visibility;
    use zkinfer_core::{verify, VerifierKey};
    let c = case(name).unwrap();
    let opts = CompileOptions {
        visibility: Visibility::SERVED,
        ..CompileOptions::default()
    };
    let compiled = compile(&c.model, &c.calibration(), &opts).unwrap();
    let params = srs().load(compiled.plan.k).unwrap();
    let (pk, key_bytes) = compiled.keygen(&params, "dev").unwrap();
    let key = VerifierKey::from_bytes(&key_bytes).unwrap();
    let salt = halo2curves::bn256::Fr::from(77);
    let bundle = compiled
        .prove(&params, &pk, &key, &c.inputs[1], Some(salt))
        .unwrap();
    let verified = verify(&key, &bundle.to_bytes()).unwrap();
    let (_, values) = compiled.witness(&c.inputs[1]).unwrap();
    assert_eq!(verified.output.values, values[compiled.graph.output]);
    let mut b = bundle.clone();
    let middle = b.proof.len() / 2;
    b.proof[middle] ^= 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "flipped proof byte");
    let mut b = bundle;
    b.header.output.values[3] += 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "changed output");
    compiled
}

/// Structured fuzzing of the ONNX front end: the zoo models with one attribute, one constant
/// or one wiring detail changed at random (seeded) must load or be refused with an error,
/// never panic.
#[test]
fn mutated_zoo_models_load_or_are_refused_without_panicking() {
    use prost::Message;
    use tract_onnx::pb::ModelProto;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let names = [
        "onnx-zoo/resnet_bn",
        "onnx-zoo/squeezenet_fire",
        "onnx-zoo/efficientnet_mbconv",
        "onnx-zoo/mobilenetv3_block",
        "onnx-zoo/kws_1d",
        "onnx-zoo/unet_decoder",
        "onnx-zoo/mlp_activations",
        "onnx-zoo/unet_upconv",
        "onnx-zoo/seg_bilinear",
        // Quantization nodes, their int8 weights and grids (scales, zero points).
        "onnx-quantized/resnet_bn_qdq",
        "onnx-quantized/mobilenetv3_block_qdq",
        "onnx-quantized/efficientnet_mbconv_qop",
        "onnx-quantized/resnet_bn_dyn",
        "onnx-quantized/squeezenet_fire_qop",
    ];
    let odd_ints = [-1i64, 0, 1, 2, 3, -7, 1 << 20, i64::MAX, i64::MIN, 1 << 40];
    let odd_floats = [f32::NAN, f32::INFINITY, -1.0, 0.0, 1e30, -1e-30];
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..1800 {
        let name = names[round % names.len()];
        let bytes = std::fs::read(repo().join(format!("examples/{name}.onnx"))).unwrap();
        let mut m = ModelProto::decode(bytes.as_slice()).unwrap();
        let g = m.graph.as_mut().unwrap();
        match rng.gen_range(0..6) {
            0 | 1 => {
                // An attribute's integers or float.
                let n = rng.gen_range(0..g.node.len());
                let node = &mut g.node[n];
                if node.attribute.is_empty() {
                    continue;
                }
                let a = rng.gen_range(0..node.attribute.len());
                let attr = &mut node.attribute[a];
                if !attr.ints.is_empty() {
                    let i = rng.gen_range(0..attr.ints.len());
                    attr.ints[i] = odd_ints[rng.gen_range(0..odd_ints.len())];
                    if rng.gen_bool(0.2) {
                        attr.ints.pop();
                    }
                } else if attr.i != 0 || rng.gen_bool(0.5) {
                    attr.i = odd_ints[rng.gen_range(0..odd_ints.len())];
                } else {
                    attr.f = odd_floats[rng.gen_range(0..odd_floats.len())];
                }
            }
            2 => {
                // A constant's dimension or integer content (shapes, scales, pads, axes).
                let n = rng.gen_range(0..g.initializer.len());
                let t = &mut g.initializer[n];
                if !t.dims.is_empty() && rng.gen_bool(0.5) {
                    let d = rng.gen_range(0..t.dims.len());
                    t.dims[d] = odd_ints[rng.gen_range(0..odd_ints.len())];
                } else if !t.raw_data.is_empty() {
                    let i = rng.gen_range(0..t.raw_data.len());
                    t.raw_data[i] = rng.gen();
                }
            }
            3 => {
                // An input dropped or rewired to another tensor.
                let n = rng.gen_range(0..g.node.len());
                let other = g.node[rng.gen_range(0..g.node.len())].output[0].clone();
                let node = &mut g.node[n];
                if node.input.is_empty() {
                    continue;
                }
                let i = rng.gen_range(0..node.input.len());
                if rng.gen_bool(0.5) {
                    node.input.remove(i);
                } else {
                    node.input[i] = other;
                }
            }
            4 => {
                // Another supported operator in a node's place.
                let ops = zkinfer_core::onnx::supported_operators();
                let n = rng.gen_range(0..g.node.len());
                g.node[n].op_type = ops[rng.gen_range(0..ops.len())].to_string();
            }
            _ => {
                // The input's shape.
                let input = &mut g.input[0];
                if let Some(tract_onnx::pb::type_proto::Value::TensorType(t)) =
                    input.r#type.as_mut().and_then(|t| t.value.as_mut())
                {
                    if let Some(shape) = t.shape.as_mut() {
                        let d = rng.gen_range(0..shape.dim.len());
                        shape.dim[d].value = Some(
                            tract_onnx::pb::tensor_shape_proto::dimension::Value::DimValue(
                                odd_ints[rng.gen_range(0..5)].abs(),
                            ),
                        );
                    }
                }
            }
        }
        let mutated = m.encode_to_vec();
        let result = std::panic::catch_unwind(|| {
            zkinfer_core::onnx::load_onnx_bytes(&mutated, name, "mutated")
        });
        match result {
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(_)) => refused += 1,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("zkinfer-onnx-panic-{round}.onnx"));
                std::fs::write(&path, &mutated).unwrap();
                panic!(
                    "{name}, mutation {round}: the loader panicked (model in {})",
                    path.display()
                );
            }
        }
    }
    println!("mutated models: {loaded} loaded, {refused} refused");
    assert!(
        loaded > 100 && refused > 100,
        "{loaded} loaded, {refused} refused"
    );
}
