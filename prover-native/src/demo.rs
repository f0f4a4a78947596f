//! `zkinfer demo`: the bundled MNIST example end to end. The example's files are embedded in the
//! binary so the demo runs from anywhere.

use crate::cli_util::{fmt_values, step};
use crate::SrsArgs;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
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

    let x = zkinfer_core::input::parse_single(DIGITS[digit as usize], model.input_len())?;
    prove_and_verify(
        &Proving {
            model: &model,
            compiled: &compiled,
            source_file: "examples/mnist/model.onnx",
            dir: &dir,
            name: &format!("digit_{digit}"),
            what: &format!("the prediction for a held-out '{digit}'"),
        },
        &x,
        srs,
        |v| {
            format!(
                "the committed model outputs {} -> predicted digit {}",
                fmt_values(&v.output_values),
                v.predicted_class.unwrap_or_default()
            )
        },
        |class| format!("digit {class}"),
    )
}

/// A compiled example and where its demo writes.
pub(crate) struct Proving<'a> {
    pub model: &'a zkinfer_core::ir::Model,
    pub compiled: &'a zkinfer_core::prove::Compiled,
    /// The model file, as the summary names it.
    pub source_file: &'a str,
    pub dir: &'a Path,
    /// File stem of the proof and of the input file `verify --input` reads back.
    pub name: &'a str,
    /// What is proven ("the prediction for a held-out '7'").
    pub what: &'a str,
}

/// What both demos do once the model is compiled: keys, a proof of `x` with a fresh input salt
/// (the consumer's side of a salted input: drawn, sent with the input and kept, here in the
/// input file), verification with the input hash recomputed, a forged claim refused, and the
/// command to verify it yourself. `valid` says what a verified bundle shows; `class` names an
/// output index.
pub(crate) fn prove_and_verify(
    p: &Proving,
    x: &[f32],
    srs: &SrsArgs,
    valid: impl Fn(&zkinfer_core::verify::Verified) -> String,
    class: impl Fn(usize) -> String,
) -> Result<()> {
    let model_dir = ModelDir::new(p.dir);
    let text = summary(Some(p.model), p.compiled, Path::new(p.source_file));
    let source = srs.source();
    step("2. generating KZG parameters and keys", || {
        Ok(model_dir.write(p.compiled, &source, &text)?)
    })?;
    let prover = model_dir.prover(&source)?;
    println!("   model id: {}", prover.model_id());

    let input_salt = zkinfer_core::commitment::random_input_salt();
    let input_path = p.dir.join(format!("{}.input.json", p.name));
    let sent = serde_json::json!({
        "input_data": [x],
        "input_salt": zkinfer_core::poseidon::to_hex(&input_salt),
    });
    zkinfer_core::fsutil::write_atomic(&input_path, sent.to_string().as_bytes())?;
    let (bundle, _) = step(&format!("3. proving {}", p.what), || {
        Ok(prover.prove(x, Some(input_salt))?)
    })?;
    let bytes = bundle.to_bytes();
    let proof_path = p.dir.join(format!("{}.proof", p.name));
    zkinfer_core::fsutil::write_atomic(&proof_path, &bytes)?;
    println!(
        "   bundle {} bytes (proof {} bytes) -> {}",
        bytes.len(),
        bundle.proof.len(),
        proof_path.display()
    );

    let key = zkinfer_core::VerifierKey::from_bytes(&prover.verifier_key_bytes)?;
    let (verified, _) = step("4. verifying", || Ok(zkinfer_core::verify(&key, &bytes)?))?;
    println!("   VALID: {}", valid(&verified));
    let commitment = verified.model_commitment.as_deref().unwrap_or("-");
    println!(
        "   the weights stay private: the proof shows they are the ones committed as {commitment}"
    );
    let expected_hash = zkinfer_core::verify::input_hash(&key, x, Some(input_salt))?;
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
        Err(e) => println!(
            "5. a forged bundle claiming {} is rejected: {e}",
            class(other)
        ),
    }
    // Every value a consumer pins, so the command checks what a real consumer must; the setup
    // is the development one here, which `verify` flags (a real deployment pins --setup).
    println!(
        "done: verify it yourself as a consumer would, pinning the model id and commitment and \
         checking your input (with its salt):\n   zkinfer verify {} {} --model-id {} \
         --commitment {commitment} --input {}\n   (a real deployment also pins its ceremony's \
         --setup DIGEST: these keys are under the insecure development setup)",
        p.dir.join("verifier-key").display(),
        proof_path.display(),
        zkinfer_core::verifier_key::model_id(&prover.verifier_key_bytes),
        input_path.display(),
    );
    Ok(())
}
