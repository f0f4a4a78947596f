//! TFLite semantics on small hand-built graphs whose outputs are worked out by hand from
//! TFLite's kernels (comments show the arithmetic). Several cases are chosen where TFLite's
//! double rounding differs from rounding the real result once, so a simpler rounding fails them.

use super::*;
use crate::qgraph::{
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul, QuantizedMultiplier,
};

fn quant(scale: f32, zp: i64) -> Option<TfQuant> {
    Some(TfQuant {
        scales: vec![scale],
        zero_points: vec![zp],
        dim: 0,
    })
}

fn act_u8(name: &str, shape: &[usize], scale: f32, zp: i64) -> TfTensor {
    TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::U8,
        quant: quant(scale, zp),
        data: None,
    }
}

fn const_u8(name: &str, shape: &[usize], scale: f32, zp: i64, data: &[u8]) -> TfTensor {
    TfTensor {
        data: Some(data.to_vec()),
        ..act_u8(name, shape, scale, zp)
    }
}

fn const_i8(name: &str, shape: &[usize], scale: f32, data: &[i8]) -> TfTensor {
    TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::I8,
        quant: quant(scale, 0),
        data: Some(data.iter().map(|&v| v as u8).collect()),
    }
}

fn const_i32(name: &str, shape: &[usize], data: &[i32]) -> TfTensor {
    TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::I32,
        quant: None,
        data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

fn op(kind: TfOpKind, inputs: &[i64], output: usize) -> TfOp {
    TfOp {
        kind,
        inputs: inputs
            .iter()
            .map(|&i| (i >= 0).then_some(i as usize))
            .collect(),
        outputs: vec![output],
    }
}

/// Lowers a quantized graph and runs it on stored (uint8) input values; returns stored outputs.
fn run(tensors: Vec<TfTensor>, ops: Vec<TfOp>, output: usize, input: &[i64]) -> Vec<i64> {
    let g = TfGraph {
        name: "case".into(),
        tensors,
        ops,
        input: 0,
        output,
    };
    let Loaded::Quantized(q) = lower(&g).unwrap() else {
        panic!("a uint8 graph must lower to a quantized graph")
    };
    let zp_in = q.input_tensor().affine.unwrap().zero_point;
    let zp_out = q.output_tensor().affine.unwrap().zero_point;
    // NHWC input with at most one of H·W and C above 1 in these cases: same order as NCHW.
    let centred: Vec<i64> = input.iter().map(|v| v - zp_in).collect();
    let values = q.evaluate(&centred).unwrap();
    values[q.output].iter().map(|v| v + zp_out).collect()
}

fn conv(act: FusedActivation) -> TfOpKind {
    TfOpKind::Conv2d {
        padding: Padding::Valid,
        stride: [1, 1],
        dilation: [1, 1],
        act,
    }
}

#[test]
fn fixed_point_primitives_follow_gemmlowp() {
    // 0.5 = 2^30·2^-31, 0.25 one more right shift, 1.0 one left shift.
    let m = |r: f64| {
        let q = QuantizedMultiplier::from_real(r);
        (q.multiplier, q.shift)
    };
    assert_eq!(m(0.5), (1 << 30, 0));
    assert_eq!(m(0.25), (1 << 30, -1));
    assert_eq!(m(1.0), (1 << 30, 1));
    assert_eq!(m(0.0), (0, 0));
    // 0.75 = 0.75·2^0: significand 0.75·2^31.
    assert_eq!(m(0.75), (3 << 29, 0));
    // SaturatingRoundingDoublingHighMul rounds half up: 2.5 -> 3, -2.5 -> -2.
    assert_eq!(saturating_rounding_doubling_high_mul(5, 1 << 30), 3);
    assert_eq!(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2);
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
        i32::MAX
    );
    // RoundingDivideByPOT rounds half away from zero: 2.5 -> 3, -2.5 -> -3, -1.25 -> -1.
    assert_eq!(rounding_divide_by_pot(5, 1), 3);
    assert_eq!(rounding_divide_by_pot(-5, 1), -3);
    assert_eq!(rounding_divide_by_pot(-5, 2), -1);
    assert_eq!(rounding_divide_by_pot(7, 0), 7);
    // Double rounding: 5·0.25 = 1.25, but TFLite computes round(round(2.5)/2) = round(1.5) = 2.
    assert_eq!(QuantizedMultiplier::from_real(0.25).apply(5), Some(2));
    assert_eq!(QuantizedMultiplier::from_real(0.25).apply(-5), Some(-1));
    // A left shift that leaves int32 is refused, not wrapped.
    assert_eq!(QuantizedMultiplier::from_real(4.0).apply(1 << 30), None);
}

#[test]
fn conv_with_zero_points_bias_requantization_and_fused_relu6() {
    // x: scale 0.5, zp 10; w = 7 at zp 3 (centred 4), scale 0.25; bias 5; y: scale 1, zp 20.
    // Multiplier 0.125. acc = 5 + 4·(x - 10) = [5, 21, -11, 985]
    // -> SRDHM (/2, half up) [3, 11, -5, 493] -> /4 half away [1, 3, -1, 123] -> +20.
    let tensors = |act| {
        (
            vec![
                act_u8("x", &[1, 2, 2, 1], 0.5, 10),
                const_u8("w", &[1, 1, 1, 1], 0.25, 3, &[7]),
                const_i32("b", &[1], &[5]),
                act_u8("y", &[1, 2, 2, 1], 1.0, 20),
            ],
            vec![op(conv(act), &[0, 1, 2], 3)],
        )
    };
    let (t, o) = tensors(FusedActivation::None);
    assert_eq!(run(t, o, 3, &[10, 14, 6, 255]), vec![21, 23, 19, 143]);
    // ReLU6 at scale 1, zp 20: clamp to [20, 26] in the stored domain.
    let (t, o) = tensors(FusedActivation::Relu6);
    assert_eq!(run(t, o, 3, &[10, 14, 6, 255]), vec![21, 23, 20, 26]);
}

#[test]
fn depthwise_conv_with_same_padding_and_per_channel_int8_weights() {
    // 3×3 input 1..9, 3×3 all-ones kernel, SAME: sums of in-bounds neighbourhoods
    // [12, 21, 16, 27, 45, 33, 24, 39, 28], times 0.25 with TFLite's double rounding:
    // 21 -> 10.5 -> 11 -> 5.5 -> 6 (5.25 exactly), 45 -> 23 -> 12 (11.25), 33 -> 17 -> 9.
    let mut w = const_i8("w", &[1, 3, 3, 1], 1.0, &[1; 9]);
    w.quant = Some(TfQuant {
        scales: vec![1.0],
        zero_points: vec![0],
        dim: 3,
    });
    let tensors = vec![
        act_u8("x", &[1, 3, 3, 1], 1.0, 0),
        w,
        const_i32("b", &[1], &[0]),
        act_u8("y", &[1, 3, 3, 1], 4.0, 0),
    ];
    let dw = TfOpKind::DepthwiseConv2d {
        padding: Padding::Same,
        stride: [1, 1],
        dilation: [1, 1],
        depth_multiplier: 1,
        act: FusedActivation::None,
    };
    let out = run(
        tensors,
        vec![op(dw, &[0, 1, 2], 3)],
        3,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert_eq!(out, vec![3, 6, 4, 7, 12, 9, 6, 10, 7]);
}

#[test]
fn pad_then_valid_conv_equals_same_conv() {
    let x: Vec<i64> = (0..25).map(|v| (v * 37 % 256) as i64).collect();
    let w: Vec<u8> = (0..9).map(|v| (v * 29 % 256) as u8).collect();
    let base = |extra: Vec<TfTensor>| {
        let mut t = vec![
            act_u8("x", &[1, 5, 5, 1], 0.02, 128),
            const_u8("w", &[1, 3, 3, 1], 0.01, 120, &w),
            const_i32("b", &[1], &[-300]),
            act_u8("y", &[1, 5, 5, 1], 0.05, 100),
        ];
        t.extend(extra);
        t
    };
    let same = run(
        base(vec![]),
        vec![op(
            TfOpKind::Conv2d {
                padding: Padding::Same,
                stride: [1, 1],
                dilation: [1, 1],
                act: FusedActivation::Relu,
            },
            &[0, 1, 2],
            3,
        )],
        3,
        &x,
    );
    let padded = run(
        base(vec![
            const_i32("pads", &[4, 2], &[0, 0, 1, 1, 1, 1, 0, 0]),
            act_u8("xp", &[1, 7, 7, 1], 0.02, 128),
        ]),
        vec![
            op(TfOpKind::Pad, &[0, 4], 5),
            op(conv(FusedActivation::Relu), &[5, 1, 2], 3),
        ],
        3,
        &x,
    );
    assert_eq!(same, padded);
    // ReLU at zp 100 clamps below 100.
    assert!(same.iter().all(|&v| v >= 100));
}

#[test]
fn add_requantizes_both_inputs_and_rounds_three_times() {
    // a·0.5 + b·0.25 at output scale 0.5: [3·0.5 + 5·0.25, 7·0.5 + 1·0.25] = [2.75, 3.75]
    // = [5.5, 7.5] output steps; the last RoundingDivideByPOT rounds half away: [6, 8].
    let add = quantized::quantized_add(
        &act_u8("a", &[1, 1, 1, 2], 0.5, 0),
        &act_u8("b", &[1, 1, 1, 2], 0.25, 0),
        &act_u8("y", &[1, 1, 1, 2], 0.5, 0),
        FusedActivation::None,
    )
    .unwrap();
    assert_eq!(add.left_shift, 20);
    assert_eq!((add.apply(3, 5), add.apply(7, 1)), (Some(6), Some(8)));
    // Saturation at the top of uint8, and a fused ReLU6 at scale 0.5 clamps to 12 steps.
    assert_eq!(add.apply(255, 255), Some(255));
    let relu6 = quantized::quantized_add(
        &act_u8("a", &[1, 1, 1, 2], 0.5, 0),
        &act_u8("b", &[1, 1, 1, 2], 0.25, 0),
        &act_u8("y", &[1, 1, 1, 2], 0.5, 0),
        FusedActivation::Relu6,
    )
    .unwrap();
    assert_eq!(relu6.apply(30, 0), Some(12));
}

#[test]
fn average_pool_rounds_half_up_around_the_zero_point() {
    let tensors = |pool: [usize; 2]| {
        vec![
            act_u8("x", &[1, 2, 2, 1], 1.0, 100),
            act_u8("y", &[1, 2 / pool[0], 2 / pool[1], 1], 1.0, 100),
        ]
    };
    let pool = TfOpKind::AveragePool2d {
        padding: Padding::Valid,
        stride: [2, 2],
        filter: [2, 2],
        act: FusedActivation::None,
    };
    // (405 + 2) / 4 = 101; (403 + 2) / 4 = 101; (406 + 2) / 4 = 102 (101.5 rounds up).
    for (x, y) in [
        ([100, 101, 102, 102], 101),
        ([100, 100, 101, 102], 101),
        ([100, 101, 102, 103], 102),
        ([0, 0, 0, 1], 0),
    ] {
        let out = run(tensors([2, 2]), vec![op(pool.clone(), &[0], 1)], 1, &x);
        assert_eq!(out, vec![y], "{x:?}");
    }
}

#[test]
fn mean_over_height_and_width_uses_tflite_mean4d() {
    // Σ = 101 at real multiplier 1/4: SRDHM 50.5 -> 51, then /2 half away -> 26 (25.25).
    let tensors = vec![
        act_u8("x", &[1, 2, 2, 1], 1.0, 0),
        const_i32("axes", &[2], &[1, 2]),
        act_u8("y", &[1, 1, 1, 1], 1.0, 0),
    ];
    let out = run(
        tensors,
        vec![op(TfOpKind::Mean { keep_dims: true }, &[0, 1], 2)],
        2,
        &[10, 20, 30, 41],
    );
    assert_eq!(out, vec![26]);
}

#[test]
fn fully_connected_reads_nhwc_flattening_and_softmax_is_left_out() {
    // Input NHWC [1,1,2,2] = [1, 2, 3, 4]; weight rows pick NHWC positions 0 and 3.
    let tensors = vec![
        act_u8("x", &[1, 1, 2, 2], 1.0, 0),
        const_u8("w", &[2, 4], 1.0, 0, &[1, 0, 0, 0, 0, 0, 0, 1]),
        act_u8("logits", &[1, 2], 1.0, 0),
        act_u8("probs", &[1, 2], 1.0 / 256.0, 0),
    ];
    let ops = vec![
        op(
            TfOpKind::FullyConnected {
                act: FusedActivation::None,
            },
            &[0, 1, -1],
            2,
        ),
        op(TfOpKind::Softmax, &[2], 3),
    ];
    // Our input tensor is NCHW: [c0: 1, 3; c1: 2, 4].
    let g = TfGraph {
        name: "fc".into(),
        tensors,
        ops,
        input: 0,
        output: 3,
    };
    let Loaded::Quantized(q) = lower(&g).unwrap() else {
        panic!()
    };
    assert_eq!(q.tensors[q.output].name, "logits");
    let values = q.evaluate(&[1, 3, 2, 4]).unwrap();
    assert_eq!(values[q.output], vec![1, 4]);
}

#[test]
fn unsupported_and_malformed_models_are_refused_with_a_reason() {
    let err = parse(b"not a flatbuffer", "x", "x.tflite").unwrap_err();
    assert!(
        err.to_string().contains("not a valid TFLite model"),
        "{err}"
    );
    let mut bytes = vec![0u8; 64];
    bytes[4..8].copy_from_slice(b"TFL3");
    assert!(parse(&bytes, "x", "x.tflite").is_err());
    // SOFTMAX in the middle of a model cannot be left outside the proof.
    let tensors = vec![
        act_u8("x", &[1, 2], 1.0, 0),
        act_u8("p", &[1, 2], 1.0 / 256.0, 0),
        act_u8("r", &[1, 2], 1.0 / 256.0, 0),
    ];
    let g = TfGraph {
        name: "s".into(),
        tensors,
        ops: vec![
            op(TfOpKind::Softmax, &[0], 1),
            op(TfOpKind::Reshape, &[1], 2),
        ],
        input: 0,
        output: 2,
    };
    let err = lower(&g).unwrap_err();
    assert!(err.to_string().contains("SOFTMAX"), "{err}");
    // A reshape that would reorder NHWC data.
    let g = TfGraph {
        name: "r".into(),
        tensors: vec![
            act_u8("x", &[1, 2, 2, 3], 1.0, 0),
            act_u8("y", &[1, 12], 1.0, 0),
        ],
        ops: vec![op(TfOpKind::Reshape, &[0], 1)],
        input: 0,
        output: 1,
    };
    let err = lower(&g).unwrap_err();
    assert!(err.to_string().contains("reorders"), "{err}");
    // A filter whose input channels do not match the input: an error, not an out-of-bounds
    // read, for quantized and float models alike.
    let quantized = vec![
        act_u8("x", &[1, 2, 2, 1], 1.0, 0),
        const_u8("w", &[1, 1, 1, 2], 1.0, 0, &[1, 1]),
        const_i32("b", &[1], &[0]),
        act_u8("y", &[1, 2, 2, 1], 1.0, 0),
    ];
    let float: Vec<TfTensor> = quantized
        .iter()
        .map(|t| TfTensor {
            dtype: TfType::F32,
            quant: None,
            data: t
                .data
                .as_ref()
                .map(|_| (0..t.len()).flat_map(|_| 1f32.to_le_bytes()).collect()),
            ..t.clone()
        })
        .collect();
    for tensors in [quantized, float] {
        let g = TfGraph {
            name: "c".into(),
            tensors,
            ops: vec![op(conv(FusedActivation::None), &[0, 1, 2], 3)],
            input: 0,
            output: 3,
        };
        let err = lower(&g).unwrap_err();
        assert!(err.to_string().contains("does not fit"), "{err}");
    }
}

fn shared(path: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent", p.display());
        None
    }
}

#[test]
fn mobilenet_v2_uint8_loads_as_its_tflite_graph() {
    let Some(p) = shared("imagenet/mobilenet_v2_1.0_224_quant.tflite") else {
        return;
    };
    let Loaded::Quantized(g) = load_tflite(&p).unwrap() else {
        panic!("uint8 model must be quantized")
    };
    assert_eq!(g.input_tensor().shape, vec![1, 3, 224, 224]);
    assert_eq!(g.output_tensor().shape, vec![1, 1001]);
    let count = |f: &dyn Fn(&crate::qgraph::StepKind) -> bool| {
        g.steps.iter().filter(|s| f(&s.kind)).count()
    };
    // 52 convolutions (incl. depthwise and the classifier), 10 residual ADDs, 1 pool, 1 reshape.
    assert_eq!(
        count(&|k| matches!(k, crate::qgraph::StepKind::QuantizedAdd(_))),
        10
    );
    assert_eq!(count(&|k| matches!(k, crate::qgraph::StepKind::Reshape)), 1);
    assert_eq!(g.steps.len(), 65);
}

#[test]
fn float_tflite_mnist_loads_into_the_float_ir() {
    let Some(p) = shared("bench/zkml_mnist.tflite") else {
        return;
    };
    let Loaded::Float(m) = load_tflite(&p).unwrap() else {
        panic!("float model must lower to the float IR")
    };
    assert_eq!(m.input_shape(), &[1, 1, 28, 28]);
    assert_eq!(m.output_shape(), &[1, 10]);
    let out = m.eval_float(&vec![0.5; 784]).unwrap();
    assert!(out[m.output].data.iter().all(|v| v.is_finite()));
}

/// The first three inverted-residual blocks of MobileNet v2 (10 operators: the stem, two
/// depthwise/pointwise blocks and a block with its residual ADD) at 16×16, proven with the
/// MockProver under TFLite's exact requantization; a wrong activation anywhere is rejected.
#[test]
fn truncated_mobilenet_proves_and_rejects_a_wrong_activation() {
    use crate::circuit::{plan_layout, ModelCircuit, Visibility};
    use halo2_proofs::dev::MockProver;
    use rand::{Rng, SeedableRng};
    use std::sync::Arc;

    let Some(p) = shared("imagenet/mobilenet_v2_1.0_224_quant.tflite") else {
        return;
    };
    let bytes = std::fs::read(&p).unwrap();
    let full = parse(&bytes, "mobilenet", "test").unwrap();
    let Loaded::Quantized(g) = lower(&full.truncated(10, 16, 16).unwrap()).unwrap() else {
        panic!("quantized")
    };
    assert!(g
        .steps
        .iter()
        .any(|s| matches!(s.kind, crate::qgraph::StepKind::QuantizedAdd(_))));
    let zp = g.input_tensor().affine.expect("affine input").zero_point;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let input: Vec<i64> = (0..g.input_tensor().len())
        .map(|_| rng.gen_range(0..=255) - zp)
        .collect();
    let values = g.evaluate(&input).unwrap();
    let plan = plan_layout(&g, None, Visibility::PUBLIC);
    assert!(plan.shape.fixed_point);
    let output = values[g.output].clone();
    let graph = Arc::new(g);
    let circuit = |values: Vec<Vec<i64>>| ModelCircuit {
        shape: plan.shape.clone(),
        graph: graph.clone(),
        values: Some(Arc::new(values)),
        salt: Default::default(),
    };
    let honest = circuit(values.clone());
    let instance = honest.instance(&input, &output).unwrap();
    MockProver::run(plan.k, &honest, vec![instance.clone()])
        .unwrap()
        .verify()
        .unwrap_or_else(|e| panic!("honest witness rejected: {:?}", &e[..e.len().min(3)]));
    // One activation inside the network off by one: the ADD's input from the projection.
    let add = graph
        .steps
        .iter()
        .find(|s| matches!(s.kind, crate::qgraph::StepKind::QuantizedAdd(_)))
        .unwrap();
    let mut wrong = values.clone();
    wrong[add.inputs[1]][5] += 1;
    assert!(
        MockProver::run(plan.k, &circuit(wrong), vec![instance.clone()])
            .unwrap()
            .verify()
            .is_err(),
        "a wrong intermediate activation was accepted"
    );
    // The ADD's own output off by one (the public output is the ADD's, so keep it honest).
    let mut wrong = values;
    wrong[add.output][7] += 1;
    assert!(MockProver::run(plan.k, &circuit(wrong), vec![instance])
        .unwrap()
        .verify()
        .is_err());
}
