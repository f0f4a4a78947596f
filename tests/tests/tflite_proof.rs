//! A real KZG proof under TFLite's exact integer semantics (the fixed-point requantization
//! family's one real proof in the suite): the first three inverted-residual blocks of the uint8
//! MobileNet v2 (stem, two depthwise/pointwise blocks, a block with its residual ADD) at 16×16
//! on a dev image, fixed weights, the input public but packed (what a large input should be),
//! the pointwise convolutions proven by the randomized check. It verifies with the integer
//! evaluator's output; a flipped proof byte, a changed output value and changed input values
//! are rejected. A SOFTMAX over the last block's channels (TFLite's uint8 reference kernel, see
//! `zkinfer_core::ops::byte_softmax`) follows, with a RESHAPE after it so that it is proven
//! rather than left outside as a final softmax is: the arithmetic chip's real proof.
//! (The MockProver tests of this circuit, with wrong activations, are in
//! core/src/tflite/tests.rs; the same prefix proven as a two-segment chain is the benchmark in
//! segments.rs.)

mod common;

use common::*;
use zkinfer_core::circuit::Visibility;
use zkinfer_core::prove::{compile_quantized, CompileOptions};
use zkinfer_core::tflite::{lower, Loaded, TfGraph, TfOp, TfOpKind, TfQuant, TfTensor, TfType};

/// `g` followed by a SOFTMAX over its output's last axis (uint8 at scale 1/256, as TFLite's
/// kernel requires) and a RESHAPE to one row.
fn with_softmax(mut g: TfGraph) -> TfGraph {
    let last = g.tensors[g.output].clone();
    let n = last.len();
    let mut push = |t: TfTensor| {
        g.tensors.push(t);
        g.tensors.len() - 1
    };
    let probs_tensor = TfTensor {
        name: "probs".into(),
        quant: Some(TfQuant {
            scales: vec![1.0 / 256.0],
            zero_points: vec![0],
            dim: 0,
        }),
        data: None,
        ..last
    };
    let probs = push(probs_tensor.clone());
    let shape = push(TfTensor {
        name: "shape".into(),
        shape: vec![2],
        dtype: TfType::I32,
        quant: None,
        data: Some(
            [1i32, n as i32]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
    });
    let flat = push(TfTensor {
        name: "flat".into(),
        shape: vec![1, n],
        ..probs_tensor
    });
    g.ops.push(TfOp {
        kind: TfOpKind::Softmax {
            beta: zkinfer_core::ops::unary::Param::new(1.0),
        },
        inputs: vec![Some(g.output)],
        outputs: vec![probs],
    });
    g.ops.push(TfOp {
        kind: TfOpKind::Reshape,
        inputs: vec![Some(probs), Some(shape)],
        outputs: vec![flat],
    });
    g.output = flat;
    g
}
use zkinfer_core::{verify, VerifierKey};

#[test]
fn truncated_mobilenet_real_proof_verifies_and_tampering_is_rejected() {
    let (Some(imagenet), Some(full)) = (imagenet_dir(), mobilenet_tflite()) else {
        return;
    };
    let truncated = with_softmax(full.truncated(10, 16, 16).unwrap());
    let Loaded::Quantized(graph) = lower(&truncated).unwrap() else {
        panic!("quantized")
    };
    let opts = CompileOptions {
        visibility: Visibility::PUBLIC_PACKED_INPUT,
        ..CompileOptions::default()
    };
    let compiled = compile_quantized(graph, &opts).unwrap();
    let plan = &compiled.plan;
    assert!(
        plan.shape.fixed_point && plan.shape.freivalds && plan.shape.byte_softmax,
        "{plan}"
    );
    let params = srs().load(plan.k).unwrap();
    let (pk, key_bytes) = compiled.keygen(&params, "dev").unwrap();
    let key = VerifierKey::from_bytes(&key_bytes).unwrap();

    let x = tflite_dev_pixels(&compiled.graph, &imagenet, "n01440764_tench.JPEG", 16);
    let bundle = compiled.prove(&params, &pk, &key, &x, None).unwrap();
    let verified = verify(&key, &bundle.to_bytes()).unwrap();
    let (q_in, values) = compiled.witness(&x).unwrap();
    assert_eq!(verified.output.values, values[compiled.graph.output]);
    // The packed input is in the bundle value by value, and every value is bound by the proof.
    assert_eq!(bundle.header.input.values, q_in);
    // A consumer holding the pixels it sent finds them proven: the key carries the model's
    // own input quantization (scale, zero point), so the check quantizes as the prover did.
    assert!(key.header.input.affine.is_some());
    assert_eq!(
        zkinfer_core::verify::proves_input(&key, &bundle, &x, None).unwrap(),
        Some(true)
    );
    let mut other = x.clone();
    other[5] += 0.5;
    assert_eq!(
        zkinfer_core::verify::proves_input(&key, &bundle, &other, None).unwrap(),
        Some(false)
    );

    let mut b = bundle.clone();
    let middle = b.proof.len() / 2;
    b.proof[middle] ^= 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "flipped proof byte");
    let mut b = bundle.clone();
    b.header.output.values[11] += 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "changed output");
    for (i, delta) in [(0, 1), (300, -1), (767, 2)] {
        let mut b = bundle.clone();
        b.header.input.values[i] += delta;
        assert!(
            verify(&key, &b.to_bytes()).is_err(),
            "input value {i} changed by {delta}"
        );
    }
}
