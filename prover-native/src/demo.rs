//! `zkinfer demo`: the bundled MNIST example end to end. The example's files are embedded in the
//! binary so the demo runs from anywhere.

use crate::cli_util::{fmt_values, step};
use crate::SrsArgs;
use anyhow::{bail, Result};
use std::path::PathBuf;
use zkinfer_core::prove::{summary, CompileOptions, ModelDir};
use zkinfer_core::tensor::argmax;

const MODEL: &[u8] = include_bytes!("../../examples/mnist/model.onnx");
const CALIBRATION: &str = include_str!("../../examples/mnist/calibration.json");
const HELDOUT: &[u8] = include_bytes!("../../examples/mnist/heldout.bin");
const HELDOUT_LABELS: &[u8] = include_bytes!("../../examples/mnist/heldout-labels.bin");
const DIGITS: [&str; 10] = [
    include_str!("../../examples/mnist/digits/digit_0.json"),
    include_str!("../../examples/mnist/digits/digit_1.json"),
    include_str!("../../examples/mnist/digits/digit_2.json"),
    include_str!("../../examples/mnist/digits/digit_3.json"),
    include_str!("../../examples/mnist/digits/digit_4.json"),
    include_str!("../../examples/mnist/digits/digit_5.json"),
    include_str!("../../examples/mnist/digits/digit_6.json"),
    include_str!("../../examples/mnist/digits/digit_7.json"),
    include_str!("../../examples/mnist/digits/digit_8.json"),
    include_str!("../../examples/mnist/digits/digit_9.json"),
];

pub fn run(dir: Option<PathBuf>, digit: u8, srs: &SrsArgs) -> Result<()> {
    if digit > 9 {
        bail!("--digit must be 0-9");
    }
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zkinfer-demo-{}", std::process::id()))
    });
    println!(
        "== zkinfer demo: MNIST CNN (examples/mnist), working in {}",
        dir.display()
    );
    let model = zkinfer_core::onnx::load_onnx_bytes(MODEL, "mnist", "examples/mnist/model.onnx")?;
    let cal = zkinfer_core::input::parse_samples(CALIBRATION, model.input_len())?;
    let labels: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    let opts = CompileOptions {
        labels: Some(labels),
        visibility: zkinfer_core::circuit::Visibility::SERVED,
        ..Default::default()
    };
    let (compiled, _) = step("1. quantizing (calibrated on 64 training digits)", || {
        Ok(zkinfer_core::prove::compile(&model, &cal, &opts)?)
    })?;
    println!("   layout: {}", compiled.plan);

    // Accuracy of the float and the integer (proven) model on the 1,500 held-out digits.
    let digits = HELDOUT_LABELS.iter().enumerate().map(|(i, &label)| {
        let pixels = &HELDOUT[i * 784..(i + 1) * 784];
        (
            pixels.iter().map(|&p| p as f32 / 255.0).collect(),
            label as usize,
        )
    });
    let acc = zkinfer_core::prove::accuracy(&model, &compiled, digits)?;
    println!(
        "   held-out accuracy over {} digits: float {:.2}%, quantized (proven semantics) {:.2}%",
        acc.samples,
        100.0 * acc.float,
        100.0 * acc.quantized
    );

    let model_dir = ModelDir::new(&dir);
    let text = summary(
        Some(&model),
        &compiled,
        std::path::Path::new("examples/mnist/model.onnx"),
    );
    let source = srs.source();
    step("2. generating KZG parameters and keys", || {
        Ok(model_dir.write(&compiled, &source, &text)?)
    })?;
    let prover = model_dir.prover(&source)?;
    println!("   model id: {}", prover.model_id());

    let x = zkinfer_core::input::parse_single(DIGITS[digit as usize], model.input_len())?;
    // The consumer's side of a salted input: a fresh salt sent with the input and kept, here in
    // the input file `verify --input` reads back.
    let input_salt = zkinfer_core::commitment::random_input_salt();
    let salt_hex = zkinfer_core::poseidon::to_hex(&input_salt);
    let input_path = dir.join(format!("digit_{digit}.input.json"));
    let sent = serde_json::json!({ "input_data": [x], "input_salt": salt_hex });
    zkinfer_core::fsutil::write_atomic(&input_path, sent.to_string().as_bytes())?;
    let (bundle, _) = step(
        &format!("3. proving the prediction for a held-out '{digit}'"),
        || Ok(prover.prove(&x, Some(input_salt))?),
    )?;
    let bytes = bundle.to_bytes();
    let proof_path = dir.join(format!("digit_{digit}.proof"));
    zkinfer_core::fsutil::write_atomic(&proof_path, &bytes)?;
    println!(
        "   bundle {} bytes (proof {} bytes) -> {}",
        bytes.len(),
        bundle.proof.len(),
        proof_path.display()
    );

    let key = zkinfer_core::VerifierKey::from_bytes(&prover.verifier_key_bytes)?;
    let (verified, _) = step("4. verifying", || Ok(zkinfer_core::verify(&key, &bytes)?))?;
    let class = verified.predicted_class.unwrap_or_default();
    println!(
        "   VALID: the committed model outputs {} -> predicted digit {class}",
        fmt_values(&verified.output_values),
    );
    println!(
        "   the weights stay private: the proof shows they are the ones committed as {}",
        verified.model_commitment.as_deref().unwrap_or("-")
    );
    let expected_hash = zkinfer_core::verify::input_hash(&key, &x, Some(input_salt))?;
    if verified.input_hash.as_deref() != Some(expected_hash.as_str()) {
        bail!("the proof's input hash is not the hash of the input sent");
    }
    println!(
        "   the input stays private too: the proof carries the hash {expected_hash} of the input \
         and a salt only the consumer holds ({}), who recomputes it from what it sent",
        input_path.display()
    );

    // A forged claim: same proof, a different predicted output.
    let mut forged = bundle.clone();
    let best = argmax(&verified.output_values);
    let other = (best + 1) % forged.header.output.values.len();
    forged.header.output.values[other] = forged.header.output.values[best] + 1;
    match zkinfer_core::verify(&key, &forged.to_bytes()) {
        Ok(_) => bail!("a forged output was accepted"),
        Err(e) => println!("5. a forged bundle claiming digit {other} is rejected: {e}"),
    }
    println!(
        "done: verify it yourself with\n   zkinfer verify {} {} --input {} --commitment {}",
        dir.join("verifier-key").display(),
        proof_path.display(),
        input_path.display(),
        verified.model_commitment.as_deref().unwrap_or("-")
    );
    Ok(())
}
