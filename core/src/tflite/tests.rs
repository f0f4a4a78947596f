//! TFLite semantics on small hand-built graphs whose outputs are worked out by hand from
//! TFLite's kernels (comments show the arithmetic). Several cases are chosen where TFLite's
//! double rounding differs from rounding the real result once, so a simpler rounding fails them.

use super::writer::flatbuffer;
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
        op(
            TfOpKind::Softmax {
                beta: crate::ops::unary::Param::new(1.0),
            },
            &[2],
            3,
        ),
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
fn a_requantization_that_no_input_could_prove_is_refused_before_any_key_work() {
    // A fully connected layer with a fused ReLU whose output scale is 1e-8, as TFLite's
    // converter writes it for a ReLU that the representative data never made positive: the
    // multiplier is 1e8.
    let tensors = vec![
        act_u8("x", &[1, 4], 1.0, 0),
        const_u8("w", &[2, 4], 1.0, 0, &[1, 0, 0, 0, 0, 0, 0, 1]),
        act_u8("y", &[1, 2], 1e-8, 0),
    ];
    let relu = TfOpKind::FullyConnected {
        act: FusedActivation::Relu,
    };
    let g = TfGraph {
        name: "dead-relu".into(),
        tensors,
        ops: vec![op(relu, &[0, 1, -1], 2)],
        input: 0,
        output: 2,
    };
    let Loaded::Quantized(q) = lower(&g).unwrap() else {
        panic!()
    };
    let err = crate::prove::check_provable(&q).unwrap_err().to_string();
    assert!(err.contains("1.000e8") && err.contains("16 bits"), "{err}");
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
    // SOFTMAX in the middle of a model is proven, as TFLite computes it: with the output
    // scale TFLite requires (1/256), not another.
    let tensors = vec![
        act_u8("x", &[1, 2], 1.0, 0),
        act_u8("p", &[1, 2], 1.0 / 128.0, 0),
        act_u8("r", &[1, 2], 1.0 / 256.0, 0),
    ];
    let g = TfGraph {
        name: "s".into(),
        tensors,
        ops: vec![
            op(
                TfOpKind::Softmax {
                    beta: crate::ops::unary::Param::new(1.0),
                },
                &[0],
                1,
            ),
            op(TfOpKind::Reshape, &[1], 2),
        ],
        input: 0,
        output: 2,
    };
    let err = lower(&g).unwrap_err();
    assert!(err.to_string().contains("SOFTMAX"), "{err}");
    assert!(err.to_string().contains("scale 1/256"), "{err}");
    // A reshape that changes the element count.
    let g = TfGraph {
        name: "r".into(),
        tensors: vec![
            act_u8("x", &[1, 2, 2, 3], 1.0, 0),
            act_u8("y", &[1, 13], 1.0, 0),
        ],
        ops: vec![op(TfOpKind::Reshape, &[0], 1)],
        input: 0,
        output: 1,
    };
    let err = lower(&g).unwrap_err();
    assert!(err.to_string().contains("element count"), "{err}");
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

pub(super) fn shared(path: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    if p.exists() {
        return Some(p);
    }
    // A run that needs the data (.ci/run sets the variable) fails rather than passing silently.
    let required = std::env::var_os("ZKINFER_REQUIRE_TEST_DATA").is_some_and(|v| v != "0");
    assert!(
        !required,
        "{} is missing and this run requires it",
        p.display()
    );
    eprintln!("SKIP: {} is absent", p.display());
    None
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
/// MockProver under TFLite's exact requantization, at the planner's dot width and at 9 (a 3×3
/// depthwise product per row, not a power of two); at the planner's width a wrong activation
/// inside the network or at the residual ADD's output is rejected (each MockProver run at
/// k = 19 takes about 15 s, so the negative cases run at one width).
#[test]
fn truncated_mobilenet_proves_and_rejects_a_wrong_activation() {
    truncated_mobilenet_at(None, true);
    truncated_mobilenet_at(Some(9), false);
}

fn truncated_mobilenet_at(width: Option<usize>, negative_cases: bool) {
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
    let plan = plan_layout(&g, width, Visibility::PUBLIC);
    eprintln!("{plan}");
    assert!(plan.shape.fixed_point);
    // Its table: no ReLU (TFLite's fused activations are clips) and only the power-of-two ranges
    // its requantizations use, which keeps it within 2^18 rows (it needed k = 19 with both).
    let spec = crate::circuit::table::TableSpec::of(&g);
    assert!(spec.no_relu);
    let used = spec
        .below_pow2_bits
        .clone()
        .expect("a fixed-point graph lists its ranges");
    assert!(used.len() < 16, "{used:?}");
    assert!(plan.k <= 18, "{plan}");
    // The projections (96 and 144 input channels) are proven by the randomized check.
    assert!(plan.shape.freivalds && plan.weight_rows > 0);
    let output = values[g.output].clone();
    let graph = Arc::new(g);
    let circuit = |values: Vec<Vec<i64>>| ModelCircuit {
        shape: plan.shape.clone(),
        graph: graph.clone(),
        values: Some(Arc::new(values)),
        salt: Default::default(),
        input_salt: None,
        link_blinding: Default::default(),
    };
    let honest = circuit(values.clone());
    let instance = honest.instance(&input, &output).unwrap();
    MockProver::run(plan.k, &honest, vec![instance.clone()])
        .unwrap()
        .verify()
        .unwrap_or_else(|e| panic!("honest witness rejected: {:?}", &e[..e.len().min(3)]));
    if !negative_cases {
        return;
    }
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

/// A small uint8 model with every operator the quantized lowering supports: PAD folded into a
/// VALID CONV_2D (per-tensor uint8 weights), DEPTHWISE_CONV_2D (per-channel int8 weights), a
/// residual ADD, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, RESHAPE, FULLY_CONNECTED and a final
/// SOFTMAX.
fn small_quantized_graph() -> TfGraph {
    let (s, zp) = (1.0 / 16.0, 128);
    let w_conv: Vec<u8> = (0..3 * 3 * 3 * 2)
        .map(|i| (100 + 7 * i % 57) as u8)
        .collect();
    let w_dw: Vec<i8> = (0..3 * 3 * 3).map(|i| (i * 5 % 23) as i8 - 11).collect();
    let w_fc: Vec<u8> = (0..4 * 3).map(|i| (90 + 13 * i % 70) as u8).collect();
    let per_channel = TfTensor {
        quant: Some(TfQuant {
            scales: vec![0.02, 0.03, 0.05],
            zero_points: vec![0; 3],
            dim: 3,
        }),
        ..const_i8("dw/weights", &[1, 3, 3, 3], 1.0, &w_dw)
    };
    let tensors = vec![
        /*  0 */ act_u8("input", &[1, 4, 4, 2], s, zp),
        /*  1 */ const_i32("pad/paddings", &[4, 2], &[0, 0, 1, 1, 1, 1, 0, 0]),
        /*  2 */ act_u8("pad", &[1, 6, 6, 2], s, zp),
        /*  3 */ const_u8("conv/weights", &[3, 3, 3, 2], 0.01, 120, &w_conv),
        /*  4 */ const_i32("conv/bias", &[3], &[40, -25, 7]),
        /*  5 */ act_u8("conv", &[1, 4, 4, 3], 0.05, 0),
        /*  6 */ per_channel,
        /*  7 */ const_i32("dw/bias", &[3], &[-3, 12, 0]),
        /*  8 */ act_u8("dw", &[1, 4, 4, 3], 0.04, 0),
        /*  9 */ act_u8("add", &[1, 4, 4, 3], 0.08, 3),
        /* 10 */ act_u8("maxpool", &[1, 2, 2, 3], 0.08, 3),
        /* 11 */ act_u8("avgpool", &[1, 2, 2, 3], 0.08, 3),
        /* 12 */ const_i32("mean/axes", &[2], &[1, 2]),
        /* 13 */ act_u8("mean", &[1, 1, 1, 3], 0.07, 5),
        /* 14 */ const_i32("reshape/shape", &[2], &[1, 3]),
        /* 15 */ act_u8("reshape", &[1, 3], 0.07, 5),
        /* 16 */ const_u8("fc/weights", &[4, 3], 0.02, 128, &w_fc),
        /* 17 */ const_i32("fc/bias", &[4], &[100, -100, 50, 0]),
        /* 18 */ act_u8("logits", &[1, 4], 0.1, 120),
        /* 19 */ act_u8("probs", &[1, 4], 1.0 / 256.0, 0),
    ];
    let ops = vec![
        op(TfOpKind::Pad, &[0, 1], 2),
        op(conv(FusedActivation::Relu6), &[2, 3, 4], 5),
        op(
            TfOpKind::DepthwiseConv2d {
                padding: Padding::Same,
                stride: [1, 1],
                dilation: [1, 1],
                depth_multiplier: 1,
                act: FusedActivation::Relu,
            },
            &[5, 6, 7],
            8,
        ),
        op(
            TfOpKind::Add {
                act: FusedActivation::None,
            },
            &[5, 8],
            9,
        ),
        op(
            TfOpKind::MaxPool2d {
                padding: Padding::Valid,
                stride: [2, 2],
                filter: [2, 2],
                act: FusedActivation::None,
            },
            &[9],
            10,
        ),
        op(
            TfOpKind::AveragePool2d {
                padding: Padding::Same,
                stride: [1, 1],
                filter: [2, 2],
                act: FusedActivation::Relu6,
            },
            &[10],
            11,
        ),
        op(TfOpKind::Mean { keep_dims: true }, &[11, 12], 13),
        op(TfOpKind::Reshape, &[13, 14], 15),
        op(
            TfOpKind::FullyConnected {
                act: FusedActivation::None,
            },
            &[15, 16, 17],
            18,
        ),
        op(
            TfOpKind::Softmax {
                beta: crate::ops::unary::Param::new(1.0),
            },
            &[18],
            19,
        ),
    ];
    TfGraph {
        name: "small_quantized".into(),
        tensors,
        ops,
        input: 0,
        output: 19,
    }
}

/// The same network in float32 (dequantized constants), plus a MUL by a per-channel constant,
/// which only float models support.
fn small_float_graph() -> TfGraph {
    let mut g = small_quantized_graph();
    g.name = "small_float".into();
    for t in &mut g.tensors {
        let ints = matches!(
            t.name.as_str(),
            "pad/paddings" | "mean/axes" | "reshape/shape"
        );
        if ints {
            continue;
        }
        if let Some(data) = &t.data {
            let q = t.quant.clone();
            let values: Vec<f32> = match t.dtype {
                TfType::I32 => data
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32 / 1000.0)
                    .collect(),
                _ => {
                    let q = q.expect("quantized constant");
                    t.int_data()
                        .unwrap()
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            // Per-channel scales run along the last axis here.
                            let c = if q.scales.len() == 1 {
                                0
                            } else {
                                i % q.scales.len()
                            };
                            (v - q.zero_points[c]) as f32 * q.scales[c]
                        })
                        .collect()
                }
            };
            t.data = Some(values.iter().flat_map(|v| v.to_le_bytes()).collect());
        }
        t.dtype = TfType::F32;
        t.quant = None;
    }
    // MUL the depthwise output by a per-channel constant before the residual ADD.
    let scale = g.tensors.len();
    g.tensors.push(TfTensor {
        name: "mul/scale".into(),
        shape: vec![3],
        dtype: TfType::F32,
        quant: None,
        data: Some(
            [0.5f32, 1.5, -1.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
    });
    let mul = g.tensors.len();
    g.tensors.push(TfTensor {
        name: "mul".into(),
        ..g.tensors[8].clone()
    });
    g.ops.insert(
        3,
        op(
            TfOpKind::Mul {
                act: FusedActivation::None,
            },
            &[8, scale as i64],
            mul,
        ),
    );
    g.ops[4].inputs[1] = Some(mul);
    g
}

/// The hand-built models in `fuzz/corpus/tflite/` (seeds of the `tflite` fuzz target).
fn fuzz_seeds() -> [(&'static str, TfGraph); 2] {
    [
        ("small_quantized.tflite", small_quantized_graph()),
        ("small_float.tflite", small_float_graph()),
    ]
}

#[test]
fn hand_built_flatbuffers_parse_back_and_lower() {
    for (file, g) in fuzz_seeds() {
        let bytes = flatbuffer(&g);
        assert!(is_tflite(&bytes), "{file}");
        let parsed = parse(&bytes, &g.name, file).unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{g:?}"), "{file}");
        match lower(&parsed).unwrap() {
            Loaded::Quantized(q) => {
                assert_eq!(g.name, "small_quantized");
                assert_eq!(q.input_tensor().shape, vec![1, 2, 4, 4]);
                // SOFTMAX is left out: the logits are the output.
                assert_eq!(q.output_tensor().shape, vec![1, 4]);
                let x: Vec<i64> = (0..32).map(|i| (i * 37 % 256) - 128).collect();
                let values = q.evaluate(&x).unwrap();
                assert_eq!(values[q.output].len(), 4);
            }
            Loaded::Float(m) => {
                assert_eq!(g.name, "small_float");
                assert_eq!(m.input_shape(), &[1, 2, 4, 4]);
                assert_eq!(m.output_shape(), &[1, 4]);
                let out = m.eval_float(&[0.25; 32]).unwrap();
                assert!(out[m.output].data.iter().all(|v| v.is_finite()));
            }
        }
    }
}

/// The committed fuzz seeds are these models (byte layout may differ between flatbuffers
/// versions, so they are compared as parsed graphs). `ZKINFER_WRITE_FUZZ_SEEDS=1 cargo test -p
/// zkinfer-core --lib fuzz_seeds` rewrites them.
#[test]
fn fuzz_seeds_are_the_hand_built_models() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/tflite");
    for (file, g) in fuzz_seeds() {
        let path = dir.join(file);
        if std::env::var_os("ZKINFER_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(&path, flatbuffer(&g)).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let parsed = parse(&bytes, &g.name, file).unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{g:?}"), "{file}");
    }
}

/// Inputs the `tflite` fuzz target once crashed (`fuzz/regressions/tflite/`), run the way the
/// target runs them: parse, then lower. Each must come back as a result, not a panic or an
/// unbounded allocation.
#[test]
fn fuzz_regressions_parse_and_lower_without_panicking() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/tflite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        if let Ok(g) = parse(&bytes, "fuzz", &name) {
            let _ = lower(&g);
        }
    }
}

/// Found by the fuzzer (`avg_pool_huge_filter-*`): an AVERAGE_POOL_2D with SAME padding and a
/// 2 × 1 762 131 970 filter over a 2×2 input is a legal window (all but a few taps fall on
/// padding), but counting each output's taps one by one allocated (28 GB) and walked the whole
/// window. The divisors are now counted per axis, and must equal the enumerated counts.
/// A consumer's float input is quantized by the verifier exactly as the prover quantizes it,
/// with the model's own scale and zero point (carried by the key), clamping included: before
/// the key carried them, `verify --input` quantized as round(x) and called the proven input of
/// any TFLite model whose input scale is not 1 "another input".
#[test]
fn the_verifier_quantizes_a_tflite_input_as_the_prover_does() {
    use crate::prove::{compile_quantized, CompileOptions};
    let Loaded::Quantized(graph) = lower(&small_quantized_graph()).unwrap() else {
        panic!("quantized")
    };
    let compiled = compile_quantized(graph, &CompileOptions::default()).unwrap();
    let header = compiled.vk_header("dev");
    let spec = &header.input;
    let affine = spec
        .affine
        .expect("the key carries the input's quantization");
    assert_ne!(affine.scale, 1.0);
    let n = spec.len();
    // Values around zero, half-way points, and far outside the stored range (clamped).
    let x: Vec<f32> = (0..n)
        .map(|i| (i as f32 - n as f32 / 2.0) * affine.scale * 0.75 + (i % 3) as f32 * 40.0)
        .collect();
    let prover = compiled.graph.quantize_input(&x).unwrap();
    assert_eq!(spec.quantize(&x, header.shape.act_bits).unwrap(), prover);
    assert!(prover
        .iter()
        .any(|&q| q == affine.q_max - affine.zero_point));
    let mut bad = header.clone();
    bad.input.affine = Some(crate::qgraph::AffineQuant {
        q_min: 10,
        q_max: 0,
        ..affine
    });
    assert!(bad.input.quantize(&x, header.shape.act_bits).is_err());
    // Huge inputs saturate to the stored range instead of overflowing.
    let huge = vec![f32::MAX; n];
    assert!(spec
        .quantize(&huge, header.shape.act_bits)
        .unwrap()
        .iter()
        .all(|&q| q == affine.q_max - affine.zero_point));
}

#[test]
fn average_pool_divisors_count_in_bounds_taps_per_axis() {
    use super::quantized::pool_divisors;
    for (kernel, stride, pads, dilation, h, w) in [
        ([2, 2], [1, 1], [0, 0, 1, 1], [1, 1], 2, 2),
        ([3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 5, 4),
        ([3, 2], [1, 3], [2, 0, 1, 3], [2, 1], 6, 7),
        ([7, 7], [1, 1], [3, 3, 3, 3], [1, 1], 7, 7),
        ([5, 1], [2, 1], [4, 0, 4, 0], [1, 1], 3, 1),
        ([1, 1], [1, 1], [0; 4], [1, 1], 3, 3),
    ] {
        let window = Window2d {
            kernel,
            stride,
            pads,
            dilation,
        };
        let (oh, ow) = window.output_hw(h, w).unwrap();
        let (in_shape, out_shape) = (vec![1, 2, h, w], vec![1, 2, oh, ow]);
        let enumerated: Vec<u64> = (0..2 * oh * ow)
            .map(|o| window.pooled_indices(&in_shape, &out_shape, o).len() as u64)
            .collect();
        assert_eq!(
            pool_divisors(&window, &in_shape, &out_shape),
            enumerated,
            "{window:?} over {h}x{w}"
        );
    }
    // Worse than the fuzzer's case: SAME over 2×2 with a filter of 2^31 - 1 each way lowers,
    // and each of the four outputs averages the whole input.
    let huge = (1 << 31) - 1;
    let g = TfGraph {
        name: "p".into(),
        tensors: vec![
            act_u8("x", &[1, 2, 2, 1], 1.0, 0),
            act_u8("y", &[1, 2, 2, 1], 1.0, 0),
        ],
        ops: vec![op(
            TfOpKind::AveragePool2d {
                padding: Padding::Same,
                stride: [1, 1],
                filter: [huge, huge],
                act: FusedActivation::None,
            },
            &[0],
            1,
        )],
        input: 0,
        output: 1,
    };
    let Loaded::Quantized(q) = lower(&g).unwrap() else {
        panic!("quantized")
    };
    let crate::qgraph::StepKind::Linear(l) = &q.steps[0].kind else {
        panic!("an average pool is a linear step")
    };
    assert_eq!(
        (0..4).map(|o| l.rescale.divisor(o)).collect::<Vec<_>>(),
        vec![Some(4); 4]
    );
}

/// A PAD's declared output shape must be its input's plus the padding: the lowerings map the
/// output to the unpadded input, and the next operator reads the declared shape. Before this
/// was checked, a FULLY_CONNECTED after a PAD declared larger than its input indexed its
/// weights out of bounds, and a SAME window over a declared height of 0 underflowed.
#[test]
fn pad_output_shape_must_be_the_padded_input() {
    // Input NHWC [1, 2, 1, 100], PAD by nothing, declared as [1, 1, 1, 101]; FC of 101 inputs.
    let quantized = vec![
        act_u8("x", &[1, 2, 1, 100], 1.0, 0),
        const_i32("paddings", &[4, 2], &[0; 8]),
        act_u8("p", &[1, 1, 1, 101], 1.0, 0),
        const_u8("w", &[1, 101], 1.0, 0, &[1; 101]),
        act_u8("y", &[1, 1], 1.0, 0),
    ];
    let float = as_float(&quantized);
    for tensors in [quantized, float] {
        let g = TfGraph {
            name: "pad".into(),
            tensors,
            ops: vec![
                op(TfOpKind::Pad, &[0, 1], 2),
                op(
                    TfOpKind::FullyConnected {
                        act: FusedActivation::None,
                    },
                    &[2, 3],
                    4,
                ),
            ],
            input: 0,
            output: 4,
        };
        let err = lower(&g).unwrap_err();
        assert!(err.to_string().contains("declares output shape"), "{err}");
    }
    // PAD by nothing declared with height 0, then a SAME pool.
    let quantized = vec![
        act_u8("x", &[1, 2, 2, 1], 1.0, 0),
        const_i32("paddings", &[4, 2], &[0; 8]),
        act_u8("p", &[1, 0, 2, 1], 1.0, 0),
        act_u8("y", &[1, 1, 2, 1], 1.0, 0),
    ];
    let float = as_float(&quantized);
    for tensors in [quantized, float] {
        let g = TfGraph {
            name: "pad".into(),
            tensors,
            ops: vec![
                op(TfOpKind::Pad, &[0, 1], 2),
                op(
                    TfOpKind::AveragePool2d {
                        padding: Padding::Same,
                        stride: [1, 1],
                        filter: [1, 1],
                        act: FusedActivation::None,
                    },
                    &[2],
                    3,
                ),
            ],
            input: 0,
            output: 3,
        };
        assert!(lower(&g).is_err());
    }
    assert_eq!(pads_for(Padding::Same, 0, 1, 1, 1), None);
    // The right declared shape still lowers.
    let g = TfGraph {
        name: "pad".into(),
        tensors: vec![
            act_u8("x", &[1, 2, 2, 1], 1.0, 0),
            const_i32("paddings", &[4, 2], &[0, 0, 1, 0, 0, 2, 0, 0]),
            act_u8("p", &[1, 3, 4, 1], 1.0, 0),
            const_u8("w", &[1, 1, 1, 1], 1.0, 0, &[1]),
            act_u8("y", &[1, 3, 4, 1], 1.0, 0),
        ],
        ops: vec![
            op(TfOpKind::Pad, &[0, 1], 2),
            op(conv(FusedActivation::None), &[2, 3], 4),
        ],
        input: 0,
        output: 4,
    };
    lower(&g).unwrap();
}

/// The same tensors in float32: constants dequantized, integer operands kept.
fn as_float(tensors: &[TfTensor]) -> Vec<TfTensor> {
    tensors
        .iter()
        .map(|t| match t.dtype {
            TfType::I32 => t.clone(),
            _ => TfTensor {
                dtype: TfType::F32,
                quant: None,
                data: t
                    .data
                    .as_ref()
                    .map(|d| d.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect()),
                ..t.clone()
            },
        })
        .collect()
}

/// Quantization parameters from a file feed integer arithmetic: a vanishing output scale or an
/// extreme zero point is refused or saturates, never overflows.
#[test]
fn extreme_quantization_parameters_do_not_overflow() {
    // ReLU6 at scale 1e-30: 6/scale saturates; the range is clamped to the stored range.
    let y = act_u8("y", &[1, 1], 1e-30, 1);
    assert_eq!(
        super::quantized::activation_range(FusedActivation::Relu6, &y).unwrap(),
        (1, 255)
    );
    let y = act_u8("y", &[1, 1], 1.0, i64::MAX);
    assert!(super::quantized::activation_range(FusedActivation::Relu6, &y).is_ok());
    // A convolution into such a tensor lowers or is refused, without overflow.
    for (scale, zp) in [(1e-30, 1), (1.0, i64::MAX), (1.0, i64::MIN)] {
        let g = TfGraph {
            name: "c".into(),
            tensors: vec![
                act_u8("x", &[1, 1, 1, 1], 1.0, 0),
                const_u8("w", &[1, 1, 1, 1], 1.0, 0, &[1]),
                act_u8("y", &[1, 1, 1, 1], scale, zp),
            ],
            ops: vec![op(conv(FusedActivation::Relu6), &[0, 1], 2)],
            input: 0,
            output: 2,
        };
        let _ = lower(&g);
    }
    // MEAN into an int8 tensor of zero point -128 whose scale makes the shifted input zero
    // point overflow int32 (TFLite computes it in int32).
    let mean = |out: TfTensor| TfGraph {
        name: "m".into(),
        tensors: vec![
            act_u8("x", &[1, 2, 2, 3], 1.0, 200),
            const_i32("axes", &[2], &[1, 2]),
            out,
        ],
        ops: vec![op(TfOpKind::Mean { keep_dims: true }, &[0, 1], 2)],
        input: 0,
        output: 2,
    };
    let tiny = TfTensor {
        dtype: TfType::I8,
        ..act_u8("y", &[1, 1, 1, 3], 1e-30, -128)
    };
    let err = lower(&mean(tiny)).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    // MEAN's output must be [1, 1, 1, C].
    let err = lower(&mean(act_u8("y", &[1, 1, 3, 1], 1.0, 0))).unwrap_err();
    assert!(err.to_string().contains("declares output shape"), "{err}");
    lower(&mean(act_u8("y", &[1, 1, 1, 3], 1.0, 0))).unwrap();
}

/// Found by the fuzzer (`weight_zero_point_overflow-*`): a weight zero point from the file is
/// an arbitrary i64, and centring the weights on it (`w - zp`) overflowed. Weight zero points
/// must lie in the weights' stored range, for convolutions and fully connected layers alike.
#[test]
fn weight_zero_points_outside_the_stored_range_are_refused() {
    for zp in [i64::MIN, i64::MAX, 256, -1] {
        let w = TfTensor {
            quant: quant(1.0, zp),
            ..const_u8("w", &[1, 1, 1, 1], 1.0, 0, &[1])
        };
        let conv = TfGraph {
            name: "c".into(),
            tensors: vec![
                act_u8("x", &[1, 1, 1, 1], 1.0, 0),
                w.clone(),
                act_u8("y", &[1, 1, 1, 1], 1.0, 0),
            ],
            ops: vec![op(conv(FusedActivation::None), &[0, 1], 2)],
            input: 0,
            output: 2,
        };
        let fc = TfGraph {
            name: "f".into(),
            tensors: vec![
                act_u8("x", &[1, 1], 1.0, 0),
                TfTensor {
                    shape: vec![1, 1],
                    ..w
                },
                act_u8("y", &[1, 1], 1.0, 0),
            ],
            ops: vec![op(
                TfOpKind::FullyConnected {
                    act: FusedActivation::None,
                },
                &[0, 1],
                2,
            )],
            input: 0,
            output: 2,
        };
        for g in [conv, fc] {
            let err = lower(&g).unwrap_err();
            assert!(
                err.to_string().contains("weights of 'y' have zero point"),
                "{zp}: {err}"
            );
        }
    }
}

/// Declared shapes are bounded when parsed: a tensor of more than 2^26 elements (or whose
/// element count overflows) and a graph whose operators move more than 2^26 elements in all
/// are refused, so no size arithmetic downstream can overflow and the lowering's allocations
/// stay bounded.
#[test]
fn oversized_shapes_are_refused_when_parsed() {
    let big = (1 << 31) - 1;
    let g = |shape: &[usize], n_ops: usize| TfGraph {
        name: "big".into(),
        tensors: vec![act_u8("x", shape, 1.0, 0), act_u8("y", shape, 1.0, 0)],
        ops: (0..n_ops).map(|_| op(TfOpKind::Reshape, &[0], 1)).collect(),
        input: 0,
        output: 1,
    };
    let err = parse(&flatbuffer(&g(&[1, big, big, big], 1)), "big", "big").unwrap_err();
    assert!(err.to_string().contains("elements"), "{err}");
    let err = parse(&flatbuffer(&g(&[1, 1 << 13, 1 << 13, 2], 1)), "big", "big").unwrap_err();
    assert!(err.to_string().contains("elements"), "{err}");
    // 2^24 elements each, read and written by 3 operators: 6·2^24 > 2^26.
    let err = parse(&flatbuffer(&g(&[1, 1 << 12, 1 << 12, 1], 3)), "big", "big").unwrap_err();
    assert!(err.to_string().contains("in all"), "{err}");
    parse(&flatbuffer(&g(&[1, 1 << 12, 1 << 12, 1], 2)), "big", "big").unwrap();
}

/// Float TFLite models with the operators of issue 20 (LOGISTIC, TANH, LEAKY_RELU,
/// CONCATENATION on the channel axis, MUL of two tensors with broadcasting), written as a
/// flatbuffer and read back: the float IR computes them, and a quantized model refuses them
/// by name.
#[test]
fn float_functions_concatenation_and_tensor_products_load_from_a_flatbuffer() {
    use crate::ops::unary::{Param, UnaryFn};
    let f32_tensor = |name: &str, shape: &[usize], data: Option<Vec<f32>>| TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::F32,
        quant: None,
        data: data.map(|d| d.iter().flat_map(|v| v.to_le_bytes()).collect()),
    };
    let (h, w, c) = (2, 2, 3);
    let tensors = vec![
        f32_tensor("x", &[1, h, w, c], None),
        f32_tensor("sig", &[1, h, w, c], None),
        f32_tensor("tanh", &[1, h, w, c], None),
        f32_tensor("cat", &[1, h, w, 2 * c], None),
        f32_tensor("leaky", &[1, h, w, 2 * c], None),
        f32_tensor("gate", &[1, 1, 1, 2 * c], None),
        f32_tensor("pool", &[1, 1, 1, 2 * c], None),
        f32_tensor("out", &[1, h, w, 2 * c], None),
    ];
    let leaky = UnaryFn::LeakyRelu {
        alpha: Param::new(0.25),
    };
    let ops = vec![
        op(TfOpKind::Unary(UnaryFn::Sigmoid), &[0], 1),
        op(TfOpKind::Unary(UnaryFn::Tanh), &[0], 2),
        op(
            TfOpKind::Concatenation {
                axis: -1,
                act: FusedActivation::None,
            },
            &[1, 2],
            3,
        ),
        op(TfOpKind::Unary(leaky), &[3], 4),
        op(
            TfOpKind::pool(true, Padding::Valid, [1, 1], [h, w], FusedActivation::None),
            &[4],
            6,
        ),
        op(TfOpKind::Unary(UnaryFn::Sigmoid), &[6], 5),
        op(
            TfOpKind::Mul {
                act: FusedActivation::None,
            },
            &[4, 5],
            7,
        ),
    ];
    let g = TfGraph {
        name: "float_ops".into(),
        tensors,
        ops,
        input: 0,
        output: 7,
    };
    let bytes = flatbuffer(&g);
    let Loaded::Float(m) =
        load_tflite_bytes(&bytes, "float_ops", "test", FinalSoftmax::Outside).unwrap()
    else {
        panic!("a float model lowers to the float IR")
    };
    // The NHWC input x[p, ch] = (p·c + ch)/4 - 1, given in the IR's NCHW order.
    let nchw: Vec<f32> = (0..c)
        .flat_map(|ch| (0..h * w).map(move |p| (p * c + ch) as f32 / 4.0 - 1.0))
        .collect();
    let out = m.eval_float(&nchw).unwrap()[m.output].clone();
    assert_eq!(out.shape, vec![1, 2 * c, h, w]);
    // By hand, channel-major: channels 0..c are sigmoid, c..2c tanh, then LeakyRelu, then the
    // product with the sigmoid of each channel's mean.
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    let leaky = |v: f64| if v >= 0.0 { v } else { 0.25 * v };
    for ch in 0..2 * c {
        let vals: Vec<f64> = (0..h * w)
            .map(|p| {
                let x = (p * c + ch % c) as f64 / 4.0 - 1.0;
                leaky(if ch < c { sigmoid(x) } else { x.tanh() })
            })
            .collect();
        let gate = sigmoid(vals.iter().sum::<f64>() / vals.len() as f64);
        for (p, v) in vals.iter().enumerate() {
            let got = out.data[ch * h * w + p] as f64;
            assert!(
                (got - v * gate).abs() < 1e-5,
                "channel {ch}, pixel {p}: {got} vs {}",
                v * gate
            );
        }
    }
    // The same operators in a uint8 model load as TFLite's integer arithmetic (checked against
    // the interpreter in `ptq_tests.rs`); one the interpreter has no
    // uint8 kernel for, EXP, is refused by name.
    let mut q = g.clone();
    for t in &mut q.tensors {
        t.dtype = TfType::U8;
        t.quant = Some(TfQuant {
            scales: vec![0.05],
            zero_points: vec![128],
            dim: 0,
        });
    }
    assert!(matches!(
        load_tflite_bytes(&flatbuffer(&q), "q", "test", FinalSoftmax::Outside),
        Ok(Loaded::Quantized(_))
    ));
    for op in &mut q.ops {
        if op.kind == TfOpKind::Unary(UnaryFn::Sigmoid) {
            op.kind = TfOpKind::Unary(UnaryFn::Exp);
        }
    }
    let err = load_tflite_bytes(&flatbuffer(&q), "q", "test", FinalSoftmax::Outside)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("EXP") && err.contains("uint8") && err.contains("quantized"),
        "{err}"
    );
}

#[test]
fn float_models_move_data_in_nhwc_order_through_reshape_transpose_and_nearest_resize() {
    let f32_tensor = |name: &str, shape: &[usize]| TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::F32,
        quant: None,
        data: None,
    };
    let (h, w, c) = (2, 2, 3);
    let tensors = vec![
        f32_tensor("x", &[1, h, w, c]),
        const_i32("size", &[2], &[4, 4]),
        f32_tensor("up", &[1, 2 * h, 2 * w, c]),
        const_i32("perm", &[4], &[0, 2, 1, 3]),
        f32_tensor("swapped", &[1, 2 * w, 2 * h, c]),
        const_i32("shape", &[2], &[1, 48]),
        f32_tensor("flat", &[1, 4 * h * w * c]),
    ];
    let ops = vec![
        op(
            TfOpKind::ResizeNearest {
                align_corners: false,
                half_pixel_centers: false,
            },
            &[0, 1],
            2,
        ),
        op(TfOpKind::Transpose, &[2, 3], 4),
        op(TfOpKind::Reshape, &[4, 5], 6),
    ];
    let g = TfGraph {
        name: "movement".into(),
        tensors,
        ops,
        input: 0,
        output: 6,
    };
    let Loaded::Float(m) =
        load_tflite_bytes(&flatbuffer(&g), "movement", "test", FinalSoftmax::Outside).unwrap()
    else {
        panic!("a float model lowers to the float IR")
    };
    // x[y, x, ch] = 100·y + 10·x + ch (NHWC), given in the IR's NCHW order.
    let value = |y: usize, x: usize, ch: usize| (100 * y + 10 * x + ch) as f32;
    let nchw: Vec<f32> = (0..c)
        .flat_map(|ch| (0..h).flat_map(move |y| (0..w).map(move |x| value(y, x, ch))))
        .collect();
    let out = m.eval_float(&nchw).unwrap()[m.output].clone();
    // Upsampled by 2, rows and columns swapped, flattened in NHWC order: element
    // ((r·4 + s)·c + ch) is up[s][r][ch] = x[s/2][r/2][ch].
    let mut want = vec![];
    for r in 0..2 * w {
        for s in 0..2 * h {
            for ch in 0..c {
                want.push(value(s / 2, r / 2, ch));
            }
        }
    }
    assert_eq!(out.data, want);
}

#[test]
fn a_float_pad_before_a_max_pool_is_made_with_zeros() {
    let f32_tensor = |name: &str, shape: &[usize]| TfTensor {
        name: name.into(),
        shape: shape.to_vec(),
        dtype: TfType::F32,
        quant: None,
        data: None,
    };
    let tensors = vec![
        f32_tensor("x", &[1, 2, 2, 1]),
        const_i32("paddings", &[4, 2], &[0, 0, 1, 1, 1, 1, 0, 0]),
        f32_tensor("padded", &[1, 4, 4, 1]),
        f32_tensor("pooled", &[1, 2, 2, 1]),
    ];
    let ops = vec![
        op(TfOpKind::Pad, &[0, 1], 2),
        op(
            TfOpKind::pool(false, Padding::Valid, [2, 2], [2, 2], FusedActivation::None),
            &[2],
            3,
        ),
    ];
    let g = TfGraph {
        name: "pad_pool".into(),
        tensors,
        ops,
        input: 0,
        output: 3,
    };
    let Loaded::Float(m) =
        load_tflite_bytes(&flatbuffer(&g), "pad_pool", "test", FinalSoftmax::Outside).unwrap()
    else {
        panic!("a float model lowers to the float IR")
    };
    // Each 2x2 window holds one input value and three padding zeros: negatives become 0.
    let out = m.eval_float(&[-1.0, 2.0, -3.0, 4.0]).unwrap()[m.output].clone();
    assert_eq!(out.data, vec![0.0, 2.0, 0.0, 4.0]);
}
