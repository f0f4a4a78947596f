//! `zkinfer demo --example text`: the bundled character-level GPT (examples/text, trained by
//! scripts/train_text_model.py on Moby Dick) end to end: compile with the served defaults
//! (weights hidden behind their commitment, a salted input hash), measure how often the proven
//! integer model's next character is the float model's on held-out chapters, prove the next
//! character of a prompt, verify it, and reject a forged answer.

use crate::cli_util::step;
use crate::SrsArgs;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use zkinfer_core::prove::{summary, CompileOptions, ModelDir};
use zkinfer_core::tensor::argmax;
use zkinfer_core::text_input::Tokenizer;

const MODEL: &[u8] = include_bytes!("../../examples/text/model.onnx");
const TOKENIZER: &str = include_str!("../../examples/text/tokenizer.json");
const CALIBRATION: &str = include_str!("../../examples/text/calibration.json");
const HELDOUT: &str = include_str!("../../examples/text/heldout.txt");
/// Held-out positions the demo measures (spread evenly over chapters 121-135 and the epilogue).
const POSITIONS: usize = 400;
/// The activation domain the example is compiled at: the widest whose proof stays under a
/// minute on two cores (BENCHMARKS.md), with the proven next character equal to the float
/// model's on the held-out positions (examples/text/README.md).
pub(crate) const TEXT_ACT_BITS: u32 = 12;

pub fn run(dir: Option<PathBuf>, prompt: &str, srs: &SrsArgs) -> Result<()> {
    let tokenizer = Tokenizer::from_json(TOKENIZER, "examples/text/tokenizer.json")?;
    // Refuse a prompt the vocabulary cannot spell before any compiling.
    let x = tokenizer.window(prompt).context("--prompt")?;
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zkinfer-demo-text-{}", std::process::id()))
    });
    println!(
        "== zkinfer demo: character-level GPT on Moby Dick (examples/text), working in {}",
        dir.display()
    );
    let model = zkinfer_core::onnx::load_onnx_bytes(MODEL, "text", "examples/text/model.onnx")?;
    let cal = zkinfer_core::input::parse_samples(CALIBRATION, model.input_len())?;
    let opts = CompileOptions {
        act_bits: Some(TEXT_ACT_BITS),
        visibility: zkinfer_core::circuit::Visibility::SERVED,
        tokenizer: Some(tokenizer.clone()),
        ..Default::default()
    };
    let (compiled, _) = step(
        &format!(
            "1. quantizing ({} training windows, {TEXT_ACT_BITS}-bit activations)",
            cal.len()
        ),
        || Ok(zkinfer_core::prove::compile(&model, &cal, &opts)?),
    )?;
    println!("   layout: {}", compiled.plan);

    let heldout = tokenizer.encode(HELDOUT.trim())?;
    let context = tokenizer.context;
    let stride = (heldout.len() - context - 1) / POSITIONS;
    let windows = (0..POSITIONS).map(|i| {
        let start = i * stride;
        let window = heldout[start..start + context]
            .iter()
            .map(|&id| id as f32)
            .collect();
        (window, heldout[start + context] as usize)
    });
    let q = zkinfer_core::prove::next_token_quality(&model, &compiled, windows)?;
    println!(
        "   held-out text, {} positions: the proven model's next character is the float model's \
         at {:.1}%; accuracy float {:.1}%, proven {:.1}%; perplexity float {:.2}, proven {:.2}",
        q.positions,
        100.0 * q.agreement,
        100.0 * q.float_accuracy,
        100.0 * q.quantized_accuracy,
        q.float_perplexity,
        q.quantized_perplexity
    );

    let model_dir = ModelDir::new(&dir);
    let text = summary(
        Some(&model),
        &compiled,
        std::path::Path::new("examples/text/model.onnx"),
    );
    let source = srs.source();
    step("2. generating KZG parameters and keys", || {
        Ok(model_dir.write(&compiled, &source, &text)?)
    })?;
    let prover = model_dir.prover(&source)?;
    println!("   model id: {}", prover.model_id());

    let input_salt = zkinfer_core::commitment::random_input_salt();
    let input_path = dir.join("prompt.input.json");
    let sent = serde_json::json!({
        "input_data": [x],
        "input_salt": zkinfer_core::poseidon::to_hex(&input_salt),
    });
    zkinfer_core::fsutil::write_atomic(&input_path, sent.to_string().as_bytes())?;
    let (bundle, _) = step(
        &format!("3. proving the next character after {prompt:?}"),
        || Ok(prover.prove(&x, Some(input_salt))?),
    )?;
    let bytes = bundle.to_bytes();
    let proof_path = dir.join("prompt.proof");
    zkinfer_core::fsutil::write_atomic(&proof_path, &bytes)?;
    println!(
        "   bundle {} bytes (proof {} bytes) -> {}",
        bytes.len(),
        bundle.proof.len(),
        proof_path.display()
    );

    let key = zkinfer_core::VerifierKey::from_bytes(&prover.verifier_key_bytes)?;
    let (verified, _) = step("4. verifying", || Ok(zkinfer_core::verify(&key, &bytes)?))?;
    let next = verified.predicted_class.unwrap_or_default();
    let shown = |id: usize| format!("{:?}", tokenizer.token(id).unwrap_or("?"));
    println!(
        "   VALID: the committed model's next character after {prompt:?} is {}",
        shown(next)
    );
    let expected_hash = zkinfer_core::verify::input_hash(&key, &x, Some(input_salt))?;
    if verified.input_hash.as_deref() != Some(expected_hash.as_str()) {
        bail!("the proof's input hash is not the hash of the prompt sent");
    }
    println!(
        "   the weights stay private (committed as {}) and so does the prompt: the proof carries \
         the hash {expected_hash} of its token ids and a salt only the consumer holds ({})",
        verified.model_commitment.as_deref().unwrap_or("-"),
        input_path.display()
    );

    // A forged claim: same proof, another next character.
    let mut forged = bundle.clone();
    let best = argmax(&verified.output_values);
    let other = (best + 1) % forged.header.output.values.len();
    forged.header.output.values[other] = forged.header.output.values[best] + 1;
    match zkinfer_core::verify(&key, &forged.to_bytes()) {
        Ok(_) => bail!("a forged output was accepted"),
        Err(e) => println!(
            "5. a forged bundle claiming the next character {} is rejected: {e}",
            shown(other)
        ),
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
