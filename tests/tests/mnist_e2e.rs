//! The bundled MNIST example end to end: a real KZG proof, verified, and every kind of tampering
//! rejected.

mod common;

use common::*;
use zkinfer_core::{verify, Error, ProofBundle, VerifierKey};

fn rejected(key: &VerifierKey, bytes: &[u8], what: &str) -> String {
    match verify(key, bytes) {
        Ok(v) => panic!("{what}: accepted ({:?})", v.output_values),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mnist_proof_verifies_and_tampering_is_rejected() {
    let compiled = mnist_compiled();
    let x = mnist_digit(3);
    let (MnistKeys { key_bytes, key, .. }, bundle) = mnist_digit_proof(3);
    let bytes = bundle.to_bytes();

    // Valid, and the public output is the integer evaluator's output bit for bit.
    let verified = verify(&key, &bytes).unwrap();
    let (q_in, values) = compiled.witness(&x).unwrap();
    assert_eq!(bundle.header.input.values, q_in);
    assert_eq!(verified.output.values, values[compiled.graph.output]);
    assert_eq!(verified.predicted_class, Some(3));

    // 1. Proof bytes: flip bytes across the proof.
    for pos in [0, 1, 100, bundle.proof.len() / 2, bundle.proof.len() - 1] {
        let mut b = bundle.clone();
        b.proof[pos] ^= 0x01;
        rejected(&key, &b.to_bytes(), &format!("proof byte {pos}"));
    }
    // 2. A different output (the forged prediction), and a different input.
    let mut b = bundle.clone();
    b.header.output.values[5] += 1;
    rejected(&key, &b.to_bytes(), "changed output");
    let mut b = bundle.clone();
    b.header.input.values[300] += 1;
    rejected(&key, &b.to_bytes(), "changed input");
    // 3. Reuse of the proof for another input: digit 7's input with digit 3's proof.
    let (q7, _) = compiled.witness(&mnist_digit(7)).unwrap();
    let mut b = bundle.clone();
    b.header.input.values = q7;
    rejected(&key, &b.to_bytes(), "proof reused for another input");
    // 4. Changed model id, and a scale change.
    let mut b = bundle.clone();
    b.header.model_id = "00".repeat(32);
    assert!(rejected(&key, &b.to_bytes(), "model id").contains("model"));
    let mut b = bundle.clone();
    b.header.output.frac_bits += 1;
    rejected(&key, &b.to_bytes(), "output scale");
    // 5. Truncated / extended proof and bundle.
    let mut b = bundle.clone();
    b.proof.truncate(b.proof.len() - 32);
    rejected(&key, &b.to_bytes(), "truncated proof");
    let mut b = bundle.clone();
    b.proof.extend_from_slice(&[0u8; 32]);
    rejected(&key, &b.to_bytes(), "extended proof");
    assert!(matches!(
        verify(&key, &bytes[..bytes.len() - 1]),
        Err(Error::Malformed { .. })
    ));
    let mut extended = bytes.clone();
    extended.push(0);
    assert!(matches!(
        verify(&key, &extended),
        Err(Error::Malformed { .. })
    ));

    // 6. Verifier key tampering: any changed byte changes the model id, and a key whose
    // commitments differ but claims the bundle's id cannot verify it either.
    let mut tampered_key = key_bytes.clone();
    let last = tampered_key.len() - 10;
    tampered_key[last] ^= 1;
    if let Ok(k2) = VerifierKey::from_bytes(&tampered_key) {
        assert_ne!(k2.model_id, key.model_id);
        let mut b = bundle.clone();
        b.header.model_id = k2.model_id.clone();
        rejected(&k2, &b.to_bytes(), "tampered verifier key");
    }

    // 6b. A key whose commitment is not a curve point (coordinates in the field, y changed) is
    // refused when parsed: the key stores points uncompressed, and halo2's raw reader checks
    // only the coordinates. Layout: magic and version (12 bytes), then length-prefixed sections
    // (header, KZG points, halo2 key); in the halo2 key, 10 bytes precede the first fixed
    // commitment (x then y, 32 bytes each).
    let header_len = u32::from_le_bytes(key_bytes[12..16].try_into().unwrap()) as usize;
    let halo2_key = 16 + header_len + 4 + 160 + 4;
    let first_y = halo2_key + 10 + 32;
    let mut off_curve = key_bytes.clone();
    off_curve[first_y] ^= 1;
    match VerifierKey::from_bytes(&off_curve) {
        Ok(_) => panic!("a key with an off-curve commitment was accepted"),
        Err(e) => assert!(
            e.to_string().contains("not a point on the curve"),
            "unexpected error: {e}"
        ),
    }

    // 7. Another model's key (same network, different circuit): replaying the proof fails even
    // when the bundle is relabelled with that model's id.
    let other = zkinfer_core::prove::compile(
        &mnist_model(),
        &mnist_calibration(784),
        &zkinfer_core::prove::CompileOptions {
            act_bits: Some(13),
            ..Default::default()
        },
    )
    .unwrap();
    let other_params = srs().load(other.plan.k).unwrap();
    let other_key_bytes = other.verifier_key_bytes(&other_params, "dev").unwrap();
    let other_key = VerifierKey::from_bytes(&other_key_bytes).unwrap();
    assert_ne!(other_key.model_id, key.model_id);
    rejected(&other_key, &bytes, "another model's key");
    let mut b = bundle.clone();
    b.header.model_id = other_key.model_id.clone();
    rejected(&other_key, &b.to_bytes(), "another model's key, relabelled");

    // 8. Parameters from a different secret: a proof made with them does not verify under the
    // published key, and the published proof does not verify under a key made with them.
    let rogue = zkinfer_core::srs::seeded_setup(compiled.plan.k, 1234);
    let (rogue_pk, rogue_key_bytes) = compiled.keygen(&rogue, "rogue").unwrap();
    let rogue_key = VerifierKey::from_bytes(&rogue_key_bytes).unwrap();
    let rogue_bundle = compiled.prove(&rogue, &rogue_pk, &key, &x, None).unwrap();
    rejected(
        &key,
        &rogue_bundle.to_bytes(),
        "proof from other parameters",
    );
    let mut b = bundle.clone();
    b.header.model_id = rogue_key.model_id.clone();
    rejected(&rogue_key, &b.to_bytes(), "key from other parameters");

    // The bundle round-trips.
    assert_eq!(ProofBundle::from_bytes(&bytes).unwrap(), bundle);
}

#[test]
fn mnist_quantized_accuracy_matches_float_on_heldout_digits() {
    let compiled = mnist_compiled();
    let model = mnist_model();
    let images = std::fs::read(mnist_dir().join("heldout.bin")).unwrap();
    let labels = std::fs::read(mnist_dir().join("heldout-labels.bin")).unwrap();
    assert_eq!(images.len(), labels.len() * 784);
    let digits = labels.iter().enumerate().map(|(i, &label)| {
        let pixels = &images[i * 784..(i + 1) * 784];
        (
            pixels.iter().map(|&p| p as f32 / 255.0).collect(),
            label as usize,
        )
    });
    let acc = zkinfer_core::prove::accuracy(&model, compiled, digits).unwrap();
    assert_eq!(acc.samples, labels.len());
    let (fa, ia) = (100.0 * acc.float, 100.0 * acc.quantized);
    println!(
        "held-out accuracy ({} digits): float {fa:.2}%, quantized {ia:.2}%",
        acc.samples
    );
    assert!(ia >= 97.0, "quantized accuracy {ia}");
    assert!((fa - ia).abs() <= 0.5, "float {fa} vs quantized {ia}");
}
