use crate::onnx::tests::{init, int, ints, load, node, run};
use crate::onnx::{pb, DataType};
use crate::prove::{compile, CompileOptions};

fn bools(name: &str, dims: &[i64], values: &[bool]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Bool as i32,
        int32_data: values.iter().map(|&v| v as i32).collect(),
        ..Default::default()
    }
}

fn softmax_rows(rows: &[&[Option<f32>]]) -> Vec<f32> {
    rows.iter()
        .flat_map(|row| {
            let m = row.iter().flatten().fold(f32::MIN, |a, &v| a.max(v));
            let s: f32 = row.iter().flatten().map(|v| (v - m).exp()).sum();
            row.iter()
                .map(move |v| v.map_or(0.0, |v| (v - m).exp() / s))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn close(got: &[f32], want: &[f32], tolerance: f32) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tolerance, "{got:?} vs {want:?}");
    }
}

/// Scores of 3 queries over 3 keys, with a causal mask as GPT-2 exports write it.
const SCORES: [f32; 9] = [0.5, 2.0, -1.0, 1.5, -0.5, 3.0, 0.25, 1.0, -2.0];

fn causal_softmax_expected() -> Vec<f32> {
    let s = |i: usize| Some(SCORES[i]);
    softmax_rows(&[
        &[s(0), None, None],
        &[s(3), s(4), None],
        &[s(6), s(7), s(8)],
    ])
}

/// `model` compiled with the defaults, calibrated on [`SCORES`] scaled up to 2×, and its
/// dequantized output on [`SCORES`].
fn quantized_on_scores(model: &crate::ir::Model) -> Vec<f32> {
    let calibration: Vec<Vec<f32>> = (0..8)
        .map(|s| SCORES.iter().map(|v| v * (1.0 + s as f32 / 8.0)).collect())
        .collect();
    let compiled = compile(model, &calibration, &CompileOptions::default()).unwrap();
    let (_, values) = compiled.witness(&SCORES).unwrap();
    compiled
        .graph
        .dequantize_output(&values[compiled.graph.output])
        .iter()
        .map(|&v| v as f32)
        .collect()
}

#[test]
fn an_additive_causal_mask_before_softmax_removes_the_masked_scores() {
    let m = -10000.0;
    let mask = init(
        "mask",
        &[1, 1, 3, 3],
        &[0.0, m, m, 0.0, 0.0, m, 0.0, 0.0, 0.0],
    );
    let model = load(
        &[1, 1, 3, 3],
        vec![
            node("Add", &["x", "mask"], "masked", vec![]),
            node("Softmax", &["masked"], "y", vec![int("axis", -1)]),
        ],
        vec![mask],
    )
    .unwrap();
    // No node adds -10000: the mask is wiring, not a value the scores' scale must hold.
    assert!(
        !model.nodes.iter().any(|n| matches!(
            &n.op,
            crate::ir::Op::Add(crate::ir::AddOperand::Constant(c)) if c.data.iter().any(|&v| v < -1.0)
        )),
        "the mask became an addition"
    );
    let (shape, y) = run(&model, &SCORES);
    assert_eq!(shape, vec![1, 1, 3, 3]);
    close(&y, &causal_softmax_expected(), 1e-6);
    // Quantized, the scores keep their precision: a masked entry is exactly zero and the rest
    // within a few steps of the float softmax.
    let q = quantized_on_scores(&model);
    assert_eq!((q[1], q[2], q[5]), (0.0, 0.0, 0.0), "{q:?}");
    close(&q, &causal_softmax_expected(), 0.01);
}

#[test]
fn where_with_a_constant_condition_picks_masks_and_fills() {
    // GPT-2's export: Where(causal, scores, finfo.min) before Softmax.
    let causal = bools(
        "causal",
        &[3, 3],
        &[true, false, false, true, true, false, true, true, true],
    );
    let fill = init("fill", &[], &[f32::MIN]);
    let model = load(
        &[1, 1, 3, 3],
        vec![
            node("Where", &["causal", "x", "fill"], "masked", vec![]),
            node("Softmax", &["masked"], "y", vec![int("axis", -1)]),
        ],
        vec![causal.clone(), fill],
    )
    .unwrap();
    close(&run(&model, &SCORES).1, &causal_softmax_expected(), 1e-6);
    // A finite fill that feeds no softmax is a pick of zero plus a constant.
    let fill = init("fill", &[], &[2.5]);
    let model = load(
        &[1, 1, 3, 3],
        vec![node("Where", &["causal", "x", "fill"], "y", vec![])],
        vec![causal.clone(), fill],
    )
    .unwrap();
    let (shape, y) = run(&model, &SCORES);
    assert_eq!(shape, vec![1, 1, 3, 3]);
    assert_eq!(y, vec![0.5, 2.5, 2.5, 1.5, -0.5, 2.5, 0.25, 1.0, -2.0]);
    // Two computed operands: the condition picks between them, here x and -x.
    let model = load(
        &[1, 1, 3, 3],
        vec![
            node("Neg", &["x"], "neg", vec![]),
            node("Where", &["causal", "x", "neg"], "y", vec![]),
        ],
        vec![causal.clone()],
    );
    // Neg of a computed tensor may not be mapped; Sub from zero is what exporters write.
    let model = model.or_else(|_| {
        load(
            &[1, 1, 3, 3],
            vec![
                node("Sub", &["zero", "x"], "neg", vec![]),
                node("Where", &["causal", "x", "neg"], "y", vec![]),
            ],
            vec![causal.clone(), init("zero", &[], &[0.0])],
        )
    });
    let y = run(&model.unwrap(), &SCORES).1;
    assert_eq!(y, vec![0.5, -2.0, 1.0, 1.5, -0.5, -3.0, 0.25, 1.0, -2.0]);
    // A computed condition is refused by name.
    let refused = load(
        &[1, 1, 3, 3],
        vec![node("Where", &["x", "x", "x"], "y", vec![])],
        vec![],
    );
    assert!(format!("{:?}", refused.unwrap_err()).contains("computed condition"));
}

#[test]
fn a_row_masked_everywhere_is_refused_unless_the_mask_only_shifts_it() {
    let m = -1e9;
    // Row 1 is masked everywhere by one value: a shift, which softmax ignores.
    let mask = init("mask", &[1, 1, 2, 2], &[0.0, m, m, m]);
    let nodes = || {
        vec![
            node("Add", &["x", "mask"], "masked", vec![]),
            node("Softmax", &["masked"], "y", vec![int("axis", -1)]),
        ]
    };
    let model = load(&[1, 1, 2, 2], nodes(), vec![mask]).unwrap();
    let y = run(&model, &[1.0, 2.0, 0.0, 1.0]).1;
    let want = softmax_rows(&[&[Some(1.0), None], &[Some(0.0), Some(1.0)]]);
    close(&y, &want, 1e-6);
    let unequal = init("mask", &[1, 1, 2, 2], &[0.0, m, m, 2.0 * m]);
    let refused = load(&[1, 1, 2, 2], nodes(), vec![unequal]).unwrap_err();
    assert!(
        format!("{refused:?}").contains("masks every score"),
        "{refused:?}"
    );
}

#[test]
fn layer_normalization_and_its_decomposition_agree_with_the_definition() {
    let x = [1.0f32, 2.0, 4.0, -1.0, 0.0, 3.0];
    let gamma = init("gamma", &[3], &[1.0, 0.5, 2.0]);
    let beta = init("beta", &[3], &[0.0, 0.1, -0.2]);
    let expected: Vec<f32> = x
        .chunks(3)
        .flat_map(|r| {
            let mean = r.iter().sum::<f32>() / 3.0;
            let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 3.0;
            let inv = 1.0 / (var + 1e-5).sqrt();
            let (g, b) = ([1.0, 0.5, 2.0], [0.0, 0.1, -0.2]);
            (0..3)
                .map(|i| (r[i] - mean) * inv * g[i] + b[i])
                .collect::<Vec<_>>()
        })
        .collect();
    let fused = load(
        &[1, 2, 3],
        vec![node(
            "LayerNormalization",
            &["x", "gamma", "beta"],
            "y",
            vec![int("axis", -1)],
        )],
        vec![gamma.clone(), beta.clone()],
    )
    .unwrap();
    close(&run(&fused, &x).1, &expected, 1e-5);
    // As torch exports nn.LayerNorm below opset 17.
    let decomposed = load(
        &[1, 2, 3],
        vec![
            node("ReduceMean", &["x"], "mean", vec![ints("axes", &[-1])]),
            node("Sub", &["x", "mean"], "d", vec![]),
            node("Pow", &["d", "two"], "sq", vec![]),
            node("ReduceMean", &["sq"], "var", vec![ints("axes", &[-1])]),
            node("Add", &["var", "eps"], "v", vec![]),
            node("Sqrt", &["v"], "std", vec![]),
            node("Div", &["d", "std"], "n", vec![]),
            node("Mul", &["n", "gamma"], "s", vec![]),
            node("Add", &["s", "beta"], "y", vec![]),
        ],
        vec![
            gamma,
            beta,
            init("two", &[], &[2.0]),
            init("eps", &[], &[1e-5]),
        ],
    )
    .unwrap();
    close(&run(&decomposed, &x).1, &expected, 1e-5);
}

#[test]
fn pow_by_a_constant_maps_the_exponents_exporters_write_and_refuses_others() {
    let x = [0.25f32, 1.0, 4.0];
    for (p, want) in [
        (1.0f32, [0.25f32, 1.0, 4.0]),
        (2.0, [0.0625, 1.0, 16.0]),
        (3.0, [0.015625, 1.0, 64.0]),
        (0.5, [0.5, 1.0, 2.0]),
        (-1.0, [4.0, 1.0, 0.25]),
        (-0.5, [2.0, 1.0, 0.5]),
    ] {
        let model = load(
            &[1, 3],
            vec![node("Pow", &["x", "p"], "y", vec![])],
            vec![init("p", &[], &[p])],
        )
        .unwrap();
        close(&run(&model, &x).1, &want, 1e-6);
    }
    let refused = load(
        &[1, 3],
        vec![node("Pow", &["x", "p"], "y", vec![])],
        vec![init("p", &[], &[1.7])],
    );
    assert!(format!("{:?}", refused.unwrap_err()).contains("exponent 1.7"));
}

#[test]
fn dropout_in_training_mode_is_refused() {
    let model = load(
        &[1, 3],
        vec![node("Dropout", &["x", "ratio", "training"], "y", vec![])],
        vec![init("ratio", &[], &[0.5]), bools("training", &[], &[true])],
    );
    assert!(format!("{:?}", model.unwrap_err()).contains("training_mode"));
    let model = load(
        &[1, 3],
        vec![
            node("Dropout", &["x", "ratio", "training"], "d", vec![]),
            node("Relu", &["d"], "y", vec![]),
        ],
        vec![init("ratio", &[], &[0.5]), bools("training", &[], &[false])],
    )
    .unwrap();
    assert_eq!(run(&model, &[1.0, -2.0, 3.0]).1, vec![1.0, 0.0, 3.0]);
}

#[test]
fn a_linear_layer_on_a_sequence_is_one_dense_step_with_its_bias() {
    let x = [1.0f32, 2.0, 3.0, -1.0, 0.5, 0.0];
    let w = init("w", &[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let bias = init("b", &[2], &[0.5, -0.5]);
    let want = [4.5f32, 4.5, -0.5, 0.0];
    // torch writes Add(bias, MatMul(x, Wᵀ)).
    let model = load(
        &[1, 2, 3],
        vec![
            node("MatMul", &["x", "w"], "xw", vec![]),
            node("Add", &["b", "xw"], "y", vec![]),
        ],
        vec![w.clone(), bias.clone()],
    )
    .unwrap();
    assert_eq!(run(&model, &x), (vec![1, 2, 2], want.to_vec()));
    let ops: Vec<&str> = model.nodes.iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["Dense"], "the bias is the dense layer's own");
    // Read by a second node too, the product stays and the Add is its own step.
    let model = load(
        &[1, 2, 3],
        vec![
            node("MatMul", &["x", "w"], "xw", vec![]),
            node("Add", &["xw", "b"], "biased", vec![]),
            node("Add", &["biased", "xw"], "y", vec![]),
        ],
        vec![w, bias],
    )
    .unwrap();
    let doubled: Vec<f32> = [4.0f32, 5.0, -1.0, 0.5]
        .iter()
        .zip([0.5, -0.5, 0.5, -0.5])
        .map(|(v, b)| 2.0 * v + b)
        .collect();
    assert_eq!(run(&model, &x).1, doubled);
}

/// A 5-token vocabulary embedded in 3 features.
const TABLE: [f32; 15] = [
    0.5, -1.0, 0.25, 1.5, 0.0, -0.75, -0.5, 2.0, 1.0, 0.125, -0.25, 0.5, 1.0, 1.0, -1.5,
];

fn embedding_model() -> crate::ir::Model {
    load(
        &[1, 4],
        vec![node("Gather", &["wte", "x"], "y", vec![int("axis", 0)])],
        vec![init("wte", &[5, 3], &TABLE)],
    )
    .unwrap()
}

#[test]
fn token_ids_pick_their_embedding_rows_and_other_values_pick_none() {
    let model = embedding_model();
    let (shape, y) = run(&model, &[0.0, 3.0, 4.0, 1.0]);
    assert_eq!(shape, vec![1, 4, 3]);
    let rows: Vec<f32> = [0, 3, 4, 1]
        .iter()
        .flat_map(|&r| TABLE[3 * r..3 * r + 3].to_vec())
        .collect();
    assert_eq!(y, rows);
    // Not an id: no row.
    let (_, y) = run(&model, &[2.5, 5.0, -1.0, 2.0]);
    assert_eq!(&y[..9], &[0.0; 9]);
    assert_eq!(&y[9..], &TABLE[6..9]);
    // A computed table at computed indices is refused by name.
    let refused = load(
        &[1, 4],
        vec![node("Gather", &["x", "x"], "y", vec![])],
        vec![],
    );
    assert!(format!("{:?}", refused.unwrap_err()).contains("only a constant table"));
}

#[test]
fn a_proven_embedding_selects_the_exact_row_and_a_forged_one_hot_is_rejected() {
    use crate::qgraph::{Activation, StepKind};
    let model = embedding_model();
    let calibration: Vec<Vec<f32>> = (0..10)
        .map(|s| (0..4).map(|i| ((s + i) % 5) as f32).collect())
        .collect();
    // Hidden weights keep the one-hot composition (fixed ones fold it into a lookup:
    // `crate::ops::embedding`).
    let opts = CompileOptions {
        visibility: crate::circuit::Visibility {
            weights: crate::circuit::WeightVisibility::Hidden,
            ..Default::default()
        },
        ..Default::default()
    };
    let compiled = compile(&model, &calibration, &opts).unwrap();
    let ids = [0.0, 3.0, 4.0, 1.0];
    let (input, values) = compiled.witness(&ids).unwrap();
    let out = compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]);
    let rows: Vec<f32> = [0, 3, 4, 1]
        .iter()
        .flat_map(|&r| TABLE[3 * r..3 * r + 3].to_vec())
        .collect();
    close(
        &out.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        &rows,
        1e-3,
    );
    let prove =
        |values: Vec<Vec<i64>>| crate::test_fixtures::mock_compiled(&compiled, &input, values);
    prove(values.clone()).unwrap();
    // The one-hot step: a 1 moved to another row is not what the table gives for its offset.
    let (at, step) = compiled
        .graph
        .steps
        .iter()
        .enumerate()
        .find(|(_, s)| {
            matches!(&s.kind, StepKind::Linear(l)
                if matches!(l.rescale.act, Activation::Table(t)
                    if t.func == crate::ops::unary::UnaryFn::NearZero))
        })
        .expect("a one-hot step");
    let one_hot = &values[step.output];
    let one = *one_hot.iter().max().unwrap();
    assert!(
        one > 0 && one_hot.iter().filter(|&&v| v == one).count() == 4,
        "{at}"
    );
    let mut forged = values.clone();
    forged[step.output][0] = 0;
    forged[step.output][1] = one;
    assert!(
        prove(forged).is_err(),
        "a one-hot vector pointing at another row"
    );
}

#[test]
fn a_vocabulary_too_large_for_the_activation_bits_is_refused() {
    let rows = 600;
    let model = load(
        &[1, 2],
        vec![node("Gather", &["wte", "x"], "y", vec![])],
        vec![init("wte", &[rows, 1], &vec![0.5; rows as usize])],
    )
    .unwrap();
    let calibration = vec![vec![0.0, (rows - 1) as f32]];
    let opts = CompileOptions {
        act_bits: Some(8),
        ..CompileOptions::default()
    };
    let Err(err) = compile(&model, &calibration, &opts) else {
        panic!("a 600-token vocabulary at 8 bits was accepted")
    };
    assert!(format!("{err}").contains("token ids"), "{err}");
}

#[test]
fn rms_normalization_and_its_decomposition_are_one_inverse_root_table() {
    use crate::ir::Op;
    use crate::ops::unary::UnaryFn;
    let x = [1.0f32, 2.0, 4.0, -1.0, 0.0, 3.0];
    let gamma = init("gamma", &[3], &[1.0, 0.5, 2.0]);
    let expected: Vec<f32> = x
        .chunks(3)
        .flat_map(|r| {
            let ms = r.iter().map(|v| v * v).sum::<f32>() / 3.0;
            let inv = 1.0 / (ms + 1e-6).sqrt();
            (0..3)
                .map(|i| r[i] * inv * [1.0, 0.5, 2.0][i])
                .collect::<Vec<_>>()
        })
        .collect();
    let has = |m: &crate::ir::Model, f: fn(&UnaryFn) -> bool| {
        m.nodes
            .iter()
            .any(|n| matches!(&n.op, Op::Unary(u) if f(u)))
    };
    let fused = load(
        &[1, 2, 3],
        vec![node(
            "RMSNormalization",
            &["x", "gamma"],
            "y",
            vec![crate::onnx::tests::float("epsilon", 1e-6)],
        )],
        vec![gamma.clone()],
    )
    .unwrap();
    close(&run(&fused, &x).1, &expected, 1e-5);
    // As LLaMA's RMSNorm exports: x · rsqrt(mean(x²) + ε) · γ, rsqrt as Reciprocal(Sqrt).
    let decomposed = load(
        &[1, 2, 3],
        vec![
            node("Pow", &["x", "two"], "sq", vec![]),
            node("ReduceMean", &["sq"], "ms", vec![ints("axes", &[-1])]),
            node("Add", &["ms", "eps"], "v", vec![]),
            node("Sqrt", &["v"], "root", vec![]),
            node("Reciprocal", &["root"], "inv", vec![]),
            node("Mul", &["x", "inv"], "n", vec![]),
            node("Mul", &["n", "gamma"], "y", vec![]),
        ],
        vec![gamma, init("two", &[], &[2.0]), init("eps", &[], &[1e-6])],
    )
    .unwrap();
    close(&run(&decomposed, &x).1, &expected, 1e-5);
    for m in [&fused, &decomposed] {
        assert!(has(m, |u| matches!(u, UnaryFn::InverseSqrt { .. })));
        assert!(!has(m, |u| matches!(
            u,
            UnaryFn::Sqrt | UnaryFn::Reciprocal
        )));
    }
}

#[test]
fn a_root_read_elsewhere_keeps_its_own_sqrt() {
    use crate::ir::Op;
    use crate::ops::unary::UnaryFn;
    let model = load(
        &[1, 3],
        vec![
            node("Sqrt", &["x"], "root", vec![]),
            node("Div", &["x", "root"], "q", vec![]),
            node("Add", &["q", "root"], "y", vec![]),
        ],
        vec![],
    )
    .unwrap();
    assert!(model
        .nodes
        .iter()
        .any(|n| matches!(n.op, Op::Unary(UnaryFn::Sqrt))));
    let y = run(&model, &[1.0, 4.0, 9.0]).1;
    close(&y, &[2.0, 4.0, 6.0], 1e-5);
}

#[test]
fn ids_beyond_the_calibration_samples_still_pick_their_rows() {
    // 40 tokens; calibration that never saw an id above 3 (as random normal samples would).
    let rows = 40;
    let table: Vec<f32> = (0..rows * 2).map(|i| (i as f32 * 0.37).sin()).collect();
    let model = load(
        &[1, 3],
        vec![node("Gather", &["wte", "x"], "y", vec![])],
        vec![init("wte", &[rows as i64, 2], &table)],
    )
    .unwrap();
    let calibration = vec![vec![0.0, 1.0, 3.0], vec![2.0, 0.0, 1.0]];
    let compiled = compile(&model, &calibration, &CompileOptions::default()).unwrap();
    let (_, values) = compiled.witness(&[39.0, 20.0, 0.0]).unwrap();
    let out = compiled
        .graph
        .dequantize_output(&values[compiled.graph.output]);
    let want: Vec<f32> = [39, 20, 0]
        .iter()
        .flat_map(|&r| table[2 * r..2 * r + 2].to_vec())
        .collect();
    close(
        &out.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        &want,
        2e-3,
    );
}

#[test]
fn an_attention_mask_added_after_the_causal_where_masks_both() {
    // HuggingFace's GPT-2 with an attention_mask input: Where(causal, scores, finfo.min), then
    // Add of the extended mask ((1 - mask) * finfo.min over the keys), then Softmax. Here the
    // last key is padding, and one query's scores get a small bias besides.
    let causal = bools(
        "causal",
        &[3, 3],
        &[true, false, false, true, true, false, true, true, true],
    );
    let fill = init("fill", &[], &[f32::MIN]);
    let padding = init("padding", &[1, 1, 1, 3], &[0.0, 0.0, f32::MIN]);
    let bias = init("bias", &[1, 1, 3, 1], &[0.0, 0.5, 0.0]);
    let model = load(
        &[1, 1, 3, 3],
        vec![
            node("Where", &["causal", "x", "fill"], "causal_scores", vec![]),
            node("Add", &["causal_scores", "padding"], "padded", vec![]),
            node("Add", &["bias", "padded"], "masked", vec![]),
            node("Softmax", &["masked"], "y", vec![int("axis", -1)]),
        ],
        vec![causal, fill, padding, bias],
    )
    .unwrap();
    let s = |i: usize| Some(SCORES[i]);
    let b = |i: usize| Some(SCORES[i] + 0.5);
    let want = softmax_rows(&[
        &[s(0), None, None],
        &[b(3), b(4), None],
        &[s(6), s(7), None],
    ]);
    close(&run(&model, &SCORES).1, &want, 1e-6);
    // Quantized: no node holds finfo.min, masked entries are exactly zero.
    let q = quantized_on_scores(&model);
    assert_eq!((q[1], q[2], q[5], q[8]), (0.0, 0.0, 0.0, 0.0), "{q:?}");
    close(&q, &want, 0.01);
    // A padding mask that leaves a query no key is refused by name.
    let causal = bools(
        "causal",
        &[3, 3],
        &[true, false, false, true, true, false, true, true, true],
    );
    let everything = init("padding", &[1, 1, 1, 3], &[f32::MIN, 0.0, 0.0]);
    let refused = load(
        &[1, 1, 3, 3],
        vec![
            node("Where", &["causal", "x", "fill"], "causal_scores", vec![]),
            node("Add", &["causal_scores", "padding"], "masked", vec![]),
            node("Softmax", &["masked"], "y", vec![int("axis", -1)]),
        ],
        vec![causal, init("fill", &[], &[f32::MIN]), everything],
    );
    let err = format!("{:?}", refused.unwrap_err());
    assert!(
        err.contains("row 0") && err.contains("masks every score"),
        "{err}"
    );
}
