//! A real KZG proof under TFLite's exact integer semantics: the first three inverted-residual
//! blocks of the uint8 MobileNet v2 (stem, two depthwise/pointwise blocks, a block with its
//! residual ADD) at 16×16 on a dev image, verified, and tampering rejected.

mod common;

use common::*;
use zkinfer_core::prove::{compile_quantized, CompileOptions};
use zkinfer_core::tflite::{lower, Loaded};
use zkinfer_core::{verify, VerifierKey};

#[test]
fn truncated_mobilenet_real_proof_verifies_and_tampering_is_rejected() {
    let (Some(imagenet), Some(full)) = (imagenet_dir(), mobilenet_tflite()) else {
        return;
    };
    let Loaded::Quantized(graph) = lower(&full.truncated(10, 16, 16).unwrap()).unwrap() else {
        panic!("quantized")
    };
    let compiled = compile_quantized(graph, &CompileOptions::default()).unwrap();
    assert!(compiled.plan.shape.fixed_point);
    let params = srs().load(compiled.plan.k).unwrap();
    let (pk, key_bytes) = compiled.keygen(&params, "dev").unwrap();
    let key = VerifierKey::from_bytes(&key_bytes).unwrap();

    let x = tflite_dev_pixels(&compiled.graph, &imagenet, "n01440764_tench.JPEG", 16);
    let bundle = compiled.prove(&params, &pk, &key, &x).unwrap();
    let verified = verify(&key, &bundle.to_bytes()).unwrap();
    let (_, values) = compiled.witness(&x).unwrap();
    assert_eq!(verified.output.values, values[compiled.graph.output]);

    let mut b = bundle.clone();
    let middle = b.proof.len() / 2;
    b.proof[middle] ^= 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "flipped proof byte");
    let mut b = bundle.clone();
    b.header.output.values[11] += 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "changed output");
    let mut b = bundle;
    b.header.input.values[0] += 1;
    assert!(verify(&key, &b.to_bytes()).is_err(), "changed input");
}
