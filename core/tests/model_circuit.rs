//! Whole-model circuit tests on a small synthetic network that uses every operator: the circuit
//! accepts the integer evaluator's witness, and rejects any corrupted step output, a lie in one
//! layer with every later layer recomputed honestly from it, or a wrong public value.

use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use zkinfer_core::circuit::{
    fe, instance_vector, layout_candidates, plan_layout, LayoutPlan, ModelCircuit, PublicPart,
    Visibility,
};
use zkinfer_core::ir::{
    AddOperand, Clip, Conv, Dense, Model, ModelBuilder, Op, Pool, PoolKind, Window2d,
};
use zkinfer_core::qgraph::{QGraph, StepKind};
use zkinfer_core::quant::{quantize, Calibration, QuantOptions};
use zkinfer_core::tensor::Tensor;

fn random(rng: &mut impl Rng, shape: Vec<usize>, scale: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::new(
        shape,
        (0..n).map(|_| rng.gen_range(-scale..scale)).collect(),
    )
}

fn window(k: usize, s: usize, p: usize) -> Window2d {
    Window2d {
        kernel: [k, k],
        stride: [s, s],
        pads: [p; 4],
        dilation: [1, 1],
    }
}

/// conv+relu -> {maxpool, avgpool} -> add+clip -> global avg -> flatten -> dense -> add bias
fn small_model() -> Model {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut b = ModelBuilder::new("small", "x", vec![1, 1, 6, 6]).unwrap();
    let conv = Conv {
        weight: random(&mut rng, vec![3, 1, 3, 3], 0.8),
        bias: vec![0.1, -0.2, 0.05],
        window: window(3, 1, 1),
        group: 1,
    };
    let t = b
        .add("conv", Op::Conv(conv), vec![0], "conv", None)
        .unwrap();
    let t1 = b.add("relu", Op::Relu, vec![t], "relu", None).unwrap();
    let t2 = b
        .add(
            "max",
            Op::Pool(Pool {
                kind: PoolKind::Max,
                window: window(2, 2, 0),
            }),
            vec![t1],
            "max",
            None,
        )
        .unwrap();
    let avg = Pool {
        kind: PoolKind::Average {
            count_include_pad: false,
        },
        window: window(2, 2, 0),
    };
    let t3 = b.add("avg", Op::Pool(avg), vec![t1], "avg", None).unwrap();
    let t4 = b
        .add(
            "add",
            Op::Add(AddOperand::Tensor),
            vec![t2, t3],
            "add",
            None,
        )
        .unwrap();
    let t5 = b
        .add(
            "clip",
            Op::Clip(Clip { min: 0.0, max: 1.5 }),
            vec![t4],
            "clip",
            None,
        )
        .unwrap();
    // Depthwise conv with padding exercises groups and border taps.
    let dw = Conv {
        weight: random(&mut rng, vec![3, 1, 3, 3], 0.8),
        bias: vec![0.0; 3],
        window: window(3, 1, 1),
        group: 3,
    };
    let t6 = b.add("dw", Op::Conv(dw), vec![t5], "dw", None).unwrap();
    let gap = Pool {
        kind: PoolKind::Average {
            count_include_pad: false,
        },
        window: window(3, 1, 0),
    };
    let t7 = b.add("gap", Op::Pool(gap), vec![t6], "gap", None).unwrap();
    let t8 = b
        .add("flatten", Op::Reshape, vec![t7], "flat", Some(vec![1, 3]))
        .unwrap();
    let dense = Dense {
        weight: random(&mut rng, vec![4, 3], 1.0),
        bias: vec![0.0; 4],
    };
    let t9 = b
        .add("dense", Op::Dense(dense), vec![t8], "dense", None)
        .unwrap();
    let bias = Tensor::new(vec![4], vec![0.5, -0.5, 0.25, 0.0]);
    let out = b
        .add(
            "bias",
            Op::Add(AddOperand::Constant(bias)),
            vec![t9],
            "out",
            None,
        )
        .unwrap();
    b.finish(out).unwrap()
}

fn compile() -> (Model, QGraph, Vec<f32>) {
    let model = small_model();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let samples: Vec<Vec<f32>> = (0..6)
        .map(|_| (0..36).map(|_| rng.gen_range(0.0..1.0)).collect())
        .collect();
    let cal = Calibration::run(&model, &samples).unwrap();
    let graph = quantize(
        &model,
        &cal,
        &QuantOptions {
            act_bits: 10,
            ..Default::default()
        },
    )
    .unwrap();
    (model, graph, samples[0].clone())
}

/// Input and output integers, public.
fn public_instance(input: &[i64], output: &[i64]) -> Vec<Fr> {
    instance_vector(PublicPart::Values(input), PublicPart::Values(output), None)
}

/// The layout of `graph` with public weights at dot `width` whose convolutions other than 1×1
/// take the randomized check over their im2col matrix where it needs fewer rows
/// (`conv_windows`), or take direct dot products.
fn layout(graph: &QGraph, at: (usize, bool)) -> LayoutPlan {
    layout_as(graph, at, Visibility::PUBLIC)
}

/// [`layout`] under `vis` (with hidden weights the check copies their committed cells).
fn layout_as(graph: &QGraph, (width, conv_windows): (usize, bool), vis: Visibility) -> LayoutPlan {
    layout_candidates(graph, Some(width), vis)
        .into_iter()
        .find(|p| p.shape.conv_freivalds == conv_windows)
        .expect("a layout at this width with and without the check")
}

/// The layout the tests below prove: 4 lanes, the padded 3×3 convolution by the randomized
/// check over its im2col matrix.
const IM2COL: (usize, bool) = (4, true);

fn run(
    graph: &QGraph,
    values: Vec<Vec<i64>>,
    instance: Vec<Fr>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    run_at(IM2COL, graph, values, instance)
}

/// [`run`] in another [`layout`].
fn run_at(
    at: (usize, bool),
    graph: &QGraph,
    values: Vec<Vec<i64>>,
    instance: Vec<Fr>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let plan = layout(graph, at);
    let circuit = ModelCircuit {
        shape: plan.shape,
        graph: Arc::new(graph.clone()),
        values: Some(Arc::new(values)),
        salt: Fr::zero(),
        input_salt: None,
        link_blinding: Default::default(),
    };
    MockProver::run(plan.k, &circuit, vec![instance])
        .unwrap()
        .verify()
}

#[test]
fn whole_model_circuit_accepts_the_integer_evaluation() {
    let (model, graph, x) = compile();
    // Every operator kind made it into the graph.
    let kinds: Vec<&str> = graph
        .steps
        .iter()
        .map(|s| match s.kind {
            StepKind::Linear(_) => "linear",
            StepKind::Max { .. } => "max",
            StepKind::Reshape => "reshape",
            StepKind::QuantizedAdd(_) => "tflite add",
            StepKind::QuantizedSub(_) => "tflite sub",
            StepKind::QuantizedMul(_) => "tflite mul",
            StepKind::SquaredDifference(_) => "tflite squared difference",
            StepKind::Lookup(_) => "tflite lookup",
            StepKind::ByteSoftmax(_) => "tflite softmax",
            StepKind::Slice { .. } | StepKind::Concat => "segment link",
            StepKind::Gather { .. } => "data movement",
            StepKind::Product(_) => "product",
            StepKind::MatMul(_) => "matrix product",
            StepKind::Embedding(_) => "embedding",
        })
        .collect();
    assert!(
        kinds.contains(&"max")
            && kinds.contains(&"reshape")
            && kinds.iter().filter(|k| **k == "linear").count() >= 6
    );
    // The padded 3×3 convolution goes through the randomized check in [`IM2COL`], in fewer
    // rows; the planner itself prefers direct dot products for this small model (the same k,
    // fewer columns).
    assert!(layout(&graph, IM2COL).dot_rows < layout(&graph, (4, false)).dot_rows);
    assert!(
        !plan_layout(&graph, Some(4), Visibility::PUBLIC)
            .shape
            .conv_freivalds
    );
    let q = graph.quantize_input(&x).unwrap();
    let values = graph.evaluate(&q).unwrap();
    let out = values[graph.output].clone();
    run(&graph, values, public_instance(&q, &out)).unwrap();
    // And the integer model tracks the float model.
    let err = zkinfer_core::quant::compare(&model, &graph, &x).unwrap();
    assert!(
        err.max_abs_error < 0.05,
        "quantization error {}",
        err.max_abs_error
    );
}

/// At 4 lanes per dot row with the 3×3 convolution by the randomized check and by direct dot
/// products, and at 9 (not a power of two: a 3×3 depthwise product in one row).
#[test]
fn whole_model_circuit_rejects_every_corrupted_step_output() {
    for at in [IM2COL, (4, false), (9, false)] {
        corrupted_step_outputs_are_rejected_at(at);
    }
}

fn corrupted_step_outputs_are_rejected_at(at: (usize, bool)) {
    let run = |graph: &QGraph, values, instance| run_at(at, graph, values, instance);
    let (_, graph, x) = compile();
    let q = graph.quantize_input(&x).unwrap();
    let values = graph.evaluate(&q).unwrap();
    let out = values[graph.output].clone();
    let instance = public_instance(&q, &out);
    run(&graph, values.clone(), instance.clone())
        .unwrap_or_else(|e| panic!("layout {at:?}: the honest witness is rejected: {e:?}"));
    let mut tried = 0;
    for step in &graph.steps {
        if matches!(step.kind, StepKind::Reshape) {
            continue; // a reshape output is the same cells as its input
        }
        for index in [0, graph.tensors[step.output].len() - 1] {
            let mut bad = values.clone();
            bad[step.output][index] += 1;
            // Keep the public output consistent with the corrupted witness where the corruption
            // is in the output itself, so only the internal constraints can catch it.
            let mut inst = instance.clone();
            if step.output == graph.output {
                inst[q.len() + index] += Fr::one();
            }
            assert!(
                run(&graph, bad, inst).is_err(),
                "layout {at:?}: corrupted output {index} of step '{}' was accepted",
                step.name
            );
            tried += 1;
        }
    }
    assert!(tried >= 14);
    // A wrong public output or input with an honest witness.
    let mut wrong_out = instance.clone();
    *wrong_out.last_mut().unwrap() += Fr::one();
    assert!(run(&graph, values.clone(), wrong_out).is_err());
    let mut wrong_in = instance.clone();
    wrong_in[3] += fe(1);
    assert!(run(&graph, values, wrong_in).is_err());
}

/// The forgery a real attacker tries: change one value of one layer's output and recompute every
/// later layer honestly from it, so the witness is consistent everywhere except at that one
/// layer and the public output is the (different) output that follows. Every such witness must
/// be rejected, whichever layer carries the lie.
#[test]
fn whole_model_circuit_rejects_a_lie_in_one_layer_with_honest_downstream() {
    let (_, graph, x) = compile();
    let q = graph.quantize_input(&x).unwrap();
    let honest = graph.evaluate(&q).unwrap();
    let (lo, hi) = graph.domain();
    let (mut tried, mut output_changed) = (0, 0);
    for (position, step) in graph.steps.iter().enumerate() {
        if matches!(step.kind, StepKind::Reshape) {
            continue; // a reshape output is the same cells as its input
        }
        for index in [0, graph.tensors[step.output].len() / 2] {
            let mut forged = honest.clone();
            let v = &mut forged[step.output][index];
            *v = if *v < hi { *v + 1 } else { *v - 1 };
            assert!((lo..=hi).contains(v));
            // Everything after the lie is computed honestly from it.
            let mut terms = Vec::new();
            let mut consistent = true;
            for later in &graph.steps[position + 1..] {
                match graph.evaluate_step(later, &forged, &mut terms) {
                    Ok(out) => forged[later.output] = out,
                    Err(_) => {
                        consistent = false; // the lie pushed a later value out of range
                        break;
                    }
                }
            }
            if !consistent {
                continue;
            }
            let out = &forged[graph.output];
            if *out != honest[graph.output] {
                output_changed += 1;
            }
            let instance = public_instance(&q, out);
            assert!(
                run(&graph, forged.clone(), instance).is_err(),
                "a lie in output {index} of step '{}' with an honest downstream was accepted",
                step.name
            );
            tried += 1;
        }
    }
    eprintln!("{tried} one-layer forgeries rejected ({output_changed} changed the public output)");
    assert!(tried >= 12, "only {tried} forgeries could be built");
    assert!(
        output_changed > 0,
        "no forgery changed the output: the test proves little"
    );
}

// ---- Hidden weights, hashed input/output ----

/// The input salt the tests below prove a salted input with.
const INPUT_SALT: u64 = 0xfeed_5a17;

fn run_with(
    graph: &QGraph,
    vis: Visibility,
    salt: Fr,
    values: Vec<Vec<i64>>,
    instance: Vec<Fr>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let input_salt = (vis.input == zkinfer_core::circuit::TensorVisibility::Salted)
        .then(|| Fr::from(INPUT_SALT));
    run_salted(graph, vis, salt, input_salt, values, instance)
}

fn run_salted(
    graph: &QGraph,
    vis: Visibility,
    salt: Fr,
    input_salt: Option<Fr>,
    values: Vec<Vec<i64>>,
    instance: Vec<Fr>,
) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let plan = layout_as(graph, IM2COL, vis);
    let circuit = ModelCircuit {
        shape: plan.shape,
        graph: Arc::new(graph.clone()),
        values: Some(Arc::new(values)),
        salt,
        input_salt,
        link_blinding: Default::default(),
    };
    MockProver::run(plan.k, &circuit, vec![instance])
        .unwrap()
        .verify()
}

/// The same graph with its first convolution's weights and bias edited by `edit`.
fn with_first_conv(graph: &QGraph, edit: impl FnOnce(&mut Vec<i64>, &mut Vec<i64>)) -> QGraph {
    let mut g = graph.clone();
    for step in &mut g.steps {
        if let StepKind::Linear(lin) = &mut step.kind {
            if let zkinfer_core::qgraph::LinearKernel::Conv { weight, bias, .. } = &mut lin.kernel {
                edit(weight, bias);
                return g;
            }
        }
    }
    panic!("no conv step");
}

/// The same graph with one Conv weight changed by `delta`.
fn with_changed_weight(graph: &QGraph, delta: i64) -> QGraph {
    with_first_conv(graph, |weight, _| weight[4] += delta)
}

/// The same graph with the first convolution's bias of channel 1 changed by `delta`.
fn with_changed_bias(graph: &QGraph, delta: i64) -> QGraph {
    with_first_conv(graph, |_, bias| bias[1] += delta)
}

#[test]
fn hidden_weights_and_hashed_tensors_are_bound_by_their_public_values() {
    use zkinfer_core::circuit::{TensorVisibility, WeightVisibility};
    use zkinfer_core::commitment::{model_commitment, salted_tensor_hash, tensor_hash};
    let (_, graph, x) = compile();
    let q = graph.quantize_input(&x).unwrap();
    let values = graph.evaluate(&q).unwrap();
    let out = values[graph.output].clone();
    let salt = Fr::from(0x5a17u64);
    let commitment = model_commitment(&graph, salt);
    let b = graph.act_bits;
    for vis in [
        Visibility::SERVED,
        Visibility {
            weights: WeightVisibility::Hidden,
            input: TensorVisibility::Hidden,
            output: TensorVisibility::Hashed,
        },
        Visibility {
            weights: WeightVisibility::Fixed,
            input: TensorVisibility::Hashed,
            output: TensorVisibility::Public,
        },
        Visibility {
            weights: WeightVisibility::Fixed,
            input: TensorVisibility::Salted,
            output: TensorVisibility::Hashed,
        },
        Visibility {
            weights: WeightVisibility::Fixed,
            input: TensorVisibility::Packed,
            output: TensorVisibility::Packed,
        },
    ] {
        fn part(v: TensorVisibility, t: &[i64], b: u32) -> PublicPart<'_> {
            match v {
                TensorVisibility::Public => PublicPart::Values(t),
                TensorVisibility::Packed => PublicPart::Packed(t, b),
                TensorVisibility::Hashed => PublicPart::Hash(tensor_hash(t, b).unwrap()),
                TensorVisibility::Salted => {
                    PublicPart::Hash(salted_tensor_hash(t, b, Some(Fr::from(INPUT_SALT))).unwrap())
                }
                TensorVisibility::Hidden | TensorVisibility::Linked => PublicPart::Hidden,
            }
        }
        let c = vis.hidden_weights().then_some(commitment);
        let honest = instance_vector(part(vis.input, &q, b), part(vis.output, &out, b), c);
        run_with(&graph, vis, salt, values.clone(), honest.clone())
            .unwrap_or_else(|e| panic!("{vis:?}: {e:?}"));
        // Every public value is binding: change any one and the proof is rejected.
        for i in 0..honest.len() {
            let mut wrong = honest.clone();
            wrong[i] += Fr::one();
            assert!(
                run_with(&graph, vis, salt, values.clone(), wrong).is_err(),
                "{vis:?}: public value {i} changed and still accepted"
            );
        }
    }
    // A different salt is a different commitment.
    assert_ne!(model_commitment(&graph, Fr::zero()), commitment);
    // The input salt is absorbed: the proof binds the salted hash, so neither the unsalted hash
    // nor the hash under another salt is accepted for the salted input, and a prover who knows
    // only the public hash cannot prove with another salt.
    let vis = Visibility {
        input: TensorVisibility::Salted,
        ..Visibility::SERVED
    };
    let with_hash = |h: Fr| {
        instance_vector(
            PublicPart::Hash(h),
            PublicPart::Values(&out),
            Some(commitment),
        )
    };
    let salted = salted_tensor_hash(&q, b, Some(Fr::from(INPUT_SALT))).unwrap();
    run_with(&graph, vis, salt, values.clone(), with_hash(salted)).unwrap();
    for claimed in [
        tensor_hash(&q, b).unwrap(),
        salted_tensor_hash(&q, b, Some(Fr::from(INPUT_SALT + 1))).unwrap(),
        salted_tensor_hash(&q, b, Some(Fr::zero())).unwrap(),
    ] {
        assert_ne!(claimed, salted);
        assert!(run_with(&graph, vis, salt, values.clone(), with_hash(claimed)).is_err());
    }
    let other_salt = Some(Fr::from(INPUT_SALT + 1));
    assert!(run_salted(
        &graph,
        vis,
        salt,
        other_salt,
        values.clone(),
        with_hash(salted)
    )
    .is_err());
    // A prover that runs other weights cannot claim the committed model: the circuit recomputes
    // the commitment from the weights it multiplies by.
    let other = with_changed_weight(&graph, 1);
    let other_values = other.evaluate(&q).unwrap();
    let other_out = other_values[other.output].clone();
    let vis = Visibility::SERVED;
    let claimed = instance_vector(
        PublicPart::Hash(salted),
        PublicPart::Values(&other_out),
        Some(commitment),
    );
    assert!(run_with(&other, vis, salt, other_values.clone(), claimed).is_err());
    // It proves fine under its own commitment, which differs.
    let own = model_commitment(&other, salt);
    assert_ne!(own, commitment);
    let instance = instance_vector(
        PublicPart::Hash(salted),
        PublicPart::Values(&other_out),
        Some(own),
    );
    run_with(&other, vis, salt, other_values, instance).unwrap();
}

#[test]
fn hidden_weights_do_not_change_the_circuit_degree_or_enter_the_key() {
    use halo2_proofs::plonk::ConstraintSystem;
    use zkinfer_core::circuit::ModelConfig;
    let (_, graph, _) = compile();
    let degree = |vis: Visibility| {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelConfig::configure(&mut cs, &plan_layout(&graph, Some(4), vis).shape);
        cs.degree()
    };
    assert_eq!(degree(Visibility::PUBLIC), degree(Visibility::SERVED));
    // Keys of two models that differ only in a weight value: equal when the weights are hidden
    // (the key holds the architecture only), different when they are fixed.
    let other = with_changed_weight(&graph, 1);
    let k = [IM2COL, (4, false)]
        .into_iter()
        .flat_map(|at| [Visibility::SERVED, Visibility::PUBLIC].map(|v| layout_as(&graph, at, v).k))
        .max()
        .unwrap();
    let params = zkinfer_core::srs::SrsSource::Dev {
        cache_dir: zkinfer_core::srs::default_cache_dir(),
    }
    .load(k)
    .unwrap();
    let vk_of = |g: &QGraph, vis: Visibility, at: (usize, bool)| {
        let plan = layout_as(g, at, vis);
        let mut params = params.clone();
        halo2_proofs::poly::commitment::Params::downsize(&mut params, plan.k);
        let circuit = ModelCircuit {
            shape: plan.shape,
            graph: Arc::new(g.clone()),
            values: None,
            salt: Fr::zero(),
            input_salt: None,
            link_blinding: Default::default(),
        };
        let vk = halo2_proofs::plonk::keygen_vk(&params, &circuit).unwrap();
        vk.to_bytes(halo2_proofs::SerdeFormat::RawBytes)
    };
    // With the convolutions proven directly and by the randomized check (whose weight column
    // is then advice, copies of the committed cells, and whose fixed bias column then holds
    // the rounding offset alone); a changed bias as well as a changed weight.
    let other_bias = with_changed_bias(&graph, 3);
    for at in [IM2COL, (4, false)] {
        for other in [&other, &other_bias] {
            assert_eq!(
                vk_of(&graph, Visibility::SERVED, at),
                vk_of(other, Visibility::SERVED, at),
                "{at:?}"
            );
            assert_ne!(
                vk_of(&graph, Visibility::PUBLIC, at),
                vk_of(other, Visibility::PUBLIC, at),
                "{at:?}"
            );
        }
    }
}

/// conv 3×3 (padded, 2 -> 4 channels) -> relu -> depthwise conv 3×3 (padded): every parameter
/// is a convolution's, on an 8×8 image.
fn conv_only_graph() -> (QGraph, Vec<f32>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let mut b = ModelBuilder::new("convs", "x", vec![1, 2, 8, 8]).unwrap();
    let conv = Conv {
        weight: random(&mut rng, vec![4, 2, 3, 3], 0.8),
        bias: vec![0.1, -0.2, 0.05, 0.3],
        window: window(3, 1, 1),
        group: 1,
    };
    let t = b
        .add("conv", Op::Conv(conv), vec![0], "conv", None)
        .unwrap();
    let t = b.add("relu", Op::Relu, vec![t], "relu", None).unwrap();
    let dw = Conv {
        weight: random(&mut rng, vec![4, 1, 3, 3], 0.8),
        bias: vec![0.2, 0.0, -0.1, 0.05],
        window: window(3, 1, 1),
        group: 4,
    };
    let out = b.add("dw", Op::Conv(dw), vec![t], "out", None).unwrap();
    let model = b.finish(out).unwrap();
    let samples: Vec<Vec<f32>> = (0..6)
        .map(|_| (0..128).map(|_| rng.gen_range(0.0..1.0)).collect())
        .collect();
    let cal = Calibration::run(&model, &samples).unwrap();
    let options = QuantOptions {
        act_bits: 10,
        ..Default::default()
    };
    let graph = quantize(&model, &cal, &options).unwrap();
    (graph, samples[0].clone())
}

#[test]
fn hidden_weights_all_in_checked_convolutions_need_no_advice_weight_columns() {
    use halo2_proofs::plonk::ConstraintSystem;
    use zkinfer_core::circuit::{ModelConfig, TensorVisibility, WeightVisibility};
    use zkinfer_core::commitment::model_commitment;
    let (graph, x) = conv_only_graph();
    let vis = Visibility {
        weights: WeightVisibility::Hidden,
        input: TensorVisibility::Public,
        output: TensorVisibility::Public,
    };
    let plan = layout_candidates(&graph, Some(4), vis)
        .into_iter()
        .find(|p| p.shape.checked_weights_only)
        .expect("a layout whose every hidden weight is in a checked convolution");
    assert!(plan.shape.freivalds && plan.shape.conv_freivalds);
    let advice = |shape| {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelConfig::configure(&mut cs, shape);
        cs.num_advice_columns()
    };
    let with_weight_columns = zkinfer_core::circuit::CircuitShape {
        checked_weights_only: false,
        ..plan.shape.clone()
    };
    // The dot chip's advice weights (one per lane) and advice bias.
    assert_eq!(advice(&with_weight_columns), advice(&plan.shape) + 4 + 1);
    let q = graph.quantize_input(&x).unwrap();
    let values = graph.evaluate(&q).unwrap();
    let out = values[graph.output].clone();
    let salt = Fr::from(0x5a17u64);
    let commitment = model_commitment(&graph, salt);
    let prove = |g: &QGraph, values: Vec<Vec<i64>>, out: &[i64], commitment: Fr| {
        let circuit = ModelCircuit {
            shape: plan.shape.clone(),
            graph: Arc::new(g.clone()),
            values: Some(Arc::new(values)),
            salt,
            input_salt: None,
            link_blinding: Default::default(),
        };
        let instance = instance_vector(
            PublicPart::Values(&q),
            PublicPart::Values(out),
            Some(commitment),
        );
        MockProver::run(plan.k, &circuit, vec![instance])
            .unwrap()
            .verify()
    };
    prove(&graph, values.clone(), &out, commitment).unwrap();
    // A wrong output, and another model's outputs under this model's commitment.
    let mut wrong = out.clone();
    wrong[3] += 1;
    assert!(prove(&graph, values.clone(), &wrong, commitment).is_err());
    let mut other = graph.clone();
    for step in &mut other.steps {
        if let StepKind::Linear(lin) = &mut step.kind {
            if let zkinfer_core::qgraph::LinearKernel::Conv { bias, .. } = &mut lin.kernel {
                bias[1] += 5;
            }
        }
    }
    let other_values = other.evaluate(&q).unwrap();
    let other_out = other_values[other.output].clone();
    assert_ne!(other_out, out);
    assert!(prove(&other, other_values.clone(), &other_out, commitment).is_err());
    prove(
        &other,
        other_values,
        &other_out,
        model_commitment(&other, salt),
    )
    .unwrap();
}
